"""The emulator's world: users, guilds, channels, roles, members, messages, bans, commands and DM channels.

Plain dataclasses with no Discord JSON in them (``payloads.py`` renders them). Everything here is
inspectable from tests through ``Sandbox.state``.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from wolaro.sandbox.errors import unknown
from wolaro.sandbox.snowflake import parse_iso

TEXT = 0
DM = 1
VOICE = 2
CATEGORY = 4

#: Keep at most this many messages per channel (oldest dropped), so long synthetic runs stay bounded.
MAX_MESSAGES_PER_CHANNEL = 5000


@dataclass(slots=True)
class User:
    """A Discord user account."""

    id: int
    username: str
    global_name: str | None = None
    avatar: str | None = None
    bot: bool = False
    system: bool = False
    public_flags: int = 0
    #: False makes the bot's DMs to this user fail with 50007, as with closed DMs.
    dms_open: bool = True
    #: The language chosen in their Discord client (`locale` of `GET /users/@me` with an OAuth token).
    locale: str = "en-US"

    @property
    def display_name(self) -> str:
        """The name Discord shows when there is no nickname."""
        return self.global_name or self.username


@dataclass(slots=True)
class Role:
    """A guild role. ``@everyone`` has the guild's id and position 0."""

    id: int
    guild_id: int
    name: str
    permissions: int
    position: int
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False
    bot_id: int | None = None


@dataclass(slots=True)
class Overwrite:
    """A channel permission overwrite (type 0 = role, 1 = member)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0


@dataclass(slots=True)
class Channel:
    """A guild text/voice/category channel or a DM channel."""

    id: int
    type: int
    name: str | None
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    bitrate: int = 64000
    user_limit: int = 0
    last_message_id: int | None = None
    recipients: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Member:
    """A user's membership of a guild."""

    user_id: int
    guild_id: int
    roles: list[int]
    joined_at: str
    nick: str | None = None
    communication_disabled_until: str | None = None
    deaf: bool = False
    mute: bool = False
    flags: int = 0
    pending: bool = False

    def is_timed_out(self) -> bool:
        """Whether a timeout is running now."""
        until = self.communication_disabled_until
        return until is not None and parse_iso(until) > dt.datetime.now(dt.UTC)


@dataclass(slots=True)
class VoiceState:
    """A member connected to a voice channel."""

    user_id: int
    channel_id: int
    session_id: str
    self_mute: bool = False
    self_deaf: bool = False


@dataclass(slots=True)
class Ban:
    """A guild ban."""

    user_id: int
    reason: str | None


@dataclass(slots=True)
class Guild:
    """A guild and everything scoped to it."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    voice_states: dict[int, VoiceState] = field(default_factory=dict)
    bans: dict[int, Ban] = field(default_factory=dict)
    #: Guild-scoped application commands registered by the bot, by command id.
    commands: dict[int, dict[str, Any]] = field(default_factory=dict)
    verification_level: int = 1
    default_message_notifications: int = 1
    explicit_content_filter: int = 0
    system_channel_id: int | None = None
    rules_channel_id: int | None = None
    afk_channel_id: int | None = None
    afk_timeout: int = 300
    preferred_locale: str = "en-US"
    description: str | None = None
    features: list[str] = field(default_factory=list)
    #: The bot's managed role in this guild.
    bot_role_id: int = 0
    #: Members who are not offline, with their status (online, idle or dnd); anyone else is offline.
    presences: dict[int, str] = field(default_factory=dict)
    #: The bot was removed from the guild (``remove_bot``): REST answers for it as Discord does for a stranger.
    bot_removed: bool = False

    def role_named(self, name: str) -> Role:
        """Return the role called ``name`` (``"@everyone"``, ``"Admin"``, ``"Moderator"``, ``"Member"``...)."""
        for role in self.roles.values():
            if role.name == name:
                return role
        raise KeyError(name)


@dataclass(slots=True)
class SandboxState:
    """All entities of one emulator, keyed by id."""

    application_id: int
    bot_user_id: int
    users: dict[int, User] = field(default_factory=dict)
    guilds: dict[int, Guild] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    #: Messages per channel, oldest first, as the Discord message JSON the bot would fetch.
    messages: dict[int, OrderedDict[int, dict[str, Any]]] = field(default_factory=dict)
    #: Global application commands registered by the bot, by command id.
    commands: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: DM channel id per user id.
    dm_channels: dict[int, int] = field(default_factory=dict)
    #: Audit log entries per guild id, oldest first (Discord JSON).
    audit_log: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    #: When each pinned message was pinned (message id -> timestamp).
    pinned_at: dict[int, str] = field(default_factory=dict)
    #: Who reacted with what: (message id, emoji id or name) -> user ids.
    reactors: dict[tuple[int, str], set[int]] = field(default_factory=dict)
    #: Uploaded attachment bytes by attachment id (served under /cdn/attachments/...).
    attachments: dict[int, bytes] = field(default_factory=dict)
    #: Members of each thread (user ids), and each thread's metadata (see ``threads.py``).
    thread_members: dict[int, set[int]] = field(default_factory=dict)
    thread_meta: dict[int, dict[str, Any]] = field(default_factory=dict)

    # ---- lookups raising Discord's 404s ----------------------------------------------------------
    def guild(self, guild_id: int) -> Guild:
        """Return the guild or raise 404 Unknown Guild."""
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise unknown("Guild") from None

    def channel(self, channel_id: int) -> Channel:
        """Return the channel or raise 404 Unknown Channel."""
        try:
            return self.channels[channel_id]
        except KeyError:
            raise unknown("Channel") from None

    def user(self, user_id: int) -> User:
        """Return the user or raise 404 Unknown User."""
        try:
            return self.users[user_id]
        except KeyError:
            raise unknown("User") from None

    def member(self, guild: Guild, user_id: int) -> Member:
        """Return the member or raise 404 Unknown Member."""
        try:
            return guild.members[user_id]
        except KeyError:
            raise unknown("Member") from None

    def role(self, guild: Guild, role_id: int) -> Role:
        """Return the role or raise 404 Unknown Role."""
        try:
            return guild.roles[role_id]
        except KeyError:
            raise unknown("Role") from None

    def message(self, channel_id: int, message_id: int) -> dict[str, Any]:
        """Return the stored message or raise 404 Unknown Message."""
        try:
            return self.messages[channel_id][message_id]
        except KeyError:
            raise unknown("Message") from None

    def bot_member(self, guild: Guild) -> Member:
        """The bot's own member in ``guild``."""
        return guild.members[self.bot_user_id]

    def history(self, channel_id: int) -> OrderedDict[int, dict[str, Any]]:
        """The channel's stored messages, oldest first (an empty, detached mapping if there are none)."""
        found = self.messages.get(channel_id)
        return found if found is not None else OrderedDict()

    def store_message(self, channel_id: int, message: dict[str, Any]) -> None:
        """Append ``message`` to the channel history, dropping the oldest past the cap."""
        history = self.messages.setdefault(channel_id, OrderedDict())
        history[int(message["id"])] = message
        if len(history) > MAX_MESSAGES_PER_CHANNEL:
            history.popitem(last=False)
        channel = self.channels.get(channel_id)
        if channel is not None:
            channel.last_message_id = int(message["id"])

    def summary(self) -> dict[str, Any]:
        """A JSON-able overview of the world (for ``GET /_sandbox/state`` and the CLI)."""
        guilds = []
        for guild in self.guilds.values():
            guilds.append(
                {
                    "id": str(guild.id),
                    "name": guild.name,
                    "owner_id": str(guild.owner_id),
                    "member_count": len(guild.members),
                    "channels": [
                        {"id": str(c), "name": self.channels[c].name, "type": self.channels[c].type}
                        for c in guild.channel_ids
                    ],
                    "roles": [
                        {"id": str(r.id), "name": r.name, "position": r.position}
                        for r in sorted(guild.roles.values(), key=lambda r: r.position)
                    ],
                    "members": [
                        {
                            "id": str(m.user_id),
                            "username": self.users[m.user_id].username,
                            "roles": [str(r) for r in m.roles],
                            "bot": self.users[m.user_id].bot,
                        }
                        for m in guild.members.values()
                    ],
                    "bans": [str(b) for b in guild.bans],
                    "commands": sorted(c["name"] for c in guild.commands.values()),
                }
            )
        return {
            "application_id": str(self.application_id),
            "bot_user_id": str(self.bot_user_id),
            "guilds": guilds,
            "global_commands": sorted(c["name"] for c in self.commands.values()),
        }
