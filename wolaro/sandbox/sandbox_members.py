"""``Sandbox`` member and moderation events: joins, leaves, role changes, human moderators, voice, reactions."""

from __future__ import annotations

import datetime as dt
from types import EllipsisType
from typing import Any

from wolaro.sandbox import audit, mutations
from wolaro.sandbox import permissions as perm
from wolaro.sandbox.errors import SandboxError
from wolaro.sandbox.sandbox_world import SandboxBase
from wolaro.sandbox.snowflake import iso
from wolaro.sandbox.state import Guild, User


class MembersMixin(SandboxBase):
    """Members join, change and leave; human moderators kick, ban and time out; voice moves; reactions."""

    async def member_join(
        self,
        guild_id: int,
        *,
        username: str | None = None,
        created_at: dt.datetime | None = None,
        bot: bool = False,
        user_id: int | None = None,
    ) -> dict[str, Any]:
        """A new user (account created ``created_at``, default now) joins; or existing ``user_id`` rejoins.

        Returns the GUILD_MEMBER_ADD payload.
        """
        self._action()
        guild = self.state.guild(guild_id)
        if user_id is None:
            uid = self.ids.at(created_at) if created_at is not None else self.ids.now()
            name = username or f"newcomer{uid % 100000}"
            self.state.users[uid] = User(id=uid, username=name, global_name=None if bot else name.capitalize(), bot=bot)
        else:
            uid = user_id
            if uid not in self.state.users:
                raise SandboxError(f"unknown user {uid}")
        if uid in guild.bans:
            raise SandboxError(f"user {uid} is banned from guild {guild_id}")
        if uid in guild.members:
            raise SandboxError(f"user {uid} is already a member of guild {guild_id}")
        data = await mutations.member_added(self.sandbox, guild, mutations.new_member(guild, uid))
        if self._observers:
            self._observe(
                {
                    "kind": "member_join",
                    "guild_id": guild_id,
                    "guild": guild.name,
                    "channel_id": None,
                    "channel": None,
                    "user_id": uid,
                    "user": self.display_name(guild_id, uid),
                    "content": "joined",
                }
            )
        return data

    async def member_update(
        self,
        guild_id: int,
        user_id: int,
        *,
        roles: list[int] | None = None,
        nick: str | EllipsisType | None = ...,
    ) -> dict[str, Any]:
        """Change a member's roles and/or nickname (as a server admin would); returns GUILD_MEMBER_UPDATE."""
        self._action()
        guild = self.state.guild(guild_id)
        member = guild.members.get(user_id)
        if member is None:
            raise SandboxError(f"user {user_id} is not a member of guild {guild_id}")
        if roles is not None:
            unknown_roles = [r for r in roles if r not in guild.roles or r == guild.id]
            if unknown_roles:
                raise SandboxError(f"unknown roles {unknown_roles}")
            member.roles = list(dict.fromkeys(roles))
        if not isinstance(nick, EllipsisType):
            member.nick = nick
        return await mutations.member_changed(self.sandbox, guild, member)

    async def member_remove(self, guild_id: int, user_id: int) -> None:
        """The member leaves the guild (GUILD_MEMBER_REMOVE)."""
        self._action()
        guild = self.state.guild(guild_id)
        if user_id not in guild.members:
            raise SandboxError(f"user {user_id} is not a member of guild {guild_id}")
        name = self.display_name(guild_id, user_id)
        await mutations.member_removed(self.sandbox, guild, user_id)
        if self._observers:
            self._observe(
                {
                    "kind": "member_leave",
                    "guild_id": guild_id,
                    "guild": guild.name,
                    "channel_id": None,
                    "channel": None,
                    "user_id": user_id,
                    "user": name,
                    "content": "left",
                }
            )

    def _moderator(self, guild_id: int, moderator_id: int, bits: int, target_id: int | None) -> Guild:
        """Check that a human moderator could do this in the Discord client (permission and hierarchy)."""
        guild = self.state.guild(guild_id)
        mod = guild.members.get(moderator_id)
        if mod is None:
            raise SandboxError(f"user {moderator_id} is not a member of guild {guild_id}")
        if perm.base_permissions(guild, mod) & bits != bits:
            raise SandboxError(f"user {moderator_id} lacks the permission for this")
        target = guild.members.get(target_id) if target_id is not None else None
        if target is not None and not perm.outranks(guild, mod, target):
            raise SandboxError(f"user {moderator_id} does not outrank {target_id}")
        return guild

    async def user_kick(self, guild_id: int, moderator_id: int, user_id: int, reason: str | None = None) -> None:
        """A human moderator kicks a member from the Discord client (audit log entry by them)."""
        self._action()
        guild = self._moderator(guild_id, moderator_id, perm.KICK_MEMBERS, user_id)
        if user_id not in guild.members:
            raise SandboxError(f"user {user_id} is not a member of guild {guild_id}")
        await audit.record(self.sandbox, guild, moderator_id, audit.MEMBER_KICK, user_id, reason)
        await mutations.member_removed(self.sandbox, guild, user_id)

    async def user_ban(
        self,
        guild_id: int,
        moderator_id: int,
        user_id: int,
        reason: str | None = None,
        *,
        delete_message_seconds: int = 0,
    ) -> None:
        """A human moderator bans a user from the Discord client."""
        self._action()
        guild = self._moderator(guild_id, moderator_id, perm.BAN_MEMBERS, user_id)
        if user_id not in self.state.users or user_id == guild.owner_id:
            raise SandboxError(f"cannot ban {user_id}")
        await audit.record(self.sandbox, guild, moderator_id, audit.MEMBER_BAN_ADD, user_id, reason)
        await mutations.banned(self.sandbox, guild, user_id, reason, delete_message_seconds)

    async def user_unban(self, guild_id: int, moderator_id: int, user_id: int, reason: str | None = None) -> None:
        """A human moderator lifts a ban from the Discord client."""
        self._action()
        guild = self._moderator(guild_id, moderator_id, perm.BAN_MEMBERS, None)
        if user_id not in guild.bans:
            raise SandboxError(f"user {user_id} is not banned from guild {guild_id}")
        await audit.record(self.sandbox, guild, moderator_id, audit.MEMBER_BAN_REMOVE, user_id, reason)
        await mutations.unbanned(self.sandbox, guild, user_id)

    async def user_timeout(
        self, guild_id: int, moderator_id: int, user_id: int, until: dt.datetime | None, reason: str | None = None
    ) -> dict[str, Any]:
        """A human moderator times a member out until ``until`` (None lifts it); returns GUILD_MEMBER_UPDATE."""
        self._action()
        guild = self._moderator(guild_id, moderator_id, perm.MODERATE_MEMBERS, user_id)
        member = guild.members.get(user_id)
        if member is None or perm.base_permissions(guild, member) & perm.ADMINISTRATOR:
            raise SandboxError(f"cannot time out {user_id}")
        old = member.communication_disabled_until
        member.communication_disabled_until = iso(until) if until is not None else None
        await audit.record(
            self.sandbox,
            guild,
            moderator_id,
            audit.MEMBER_UPDATE,
            user_id,
            reason,
            changes=[audit.change("communication_disabled_until", old, member.communication_disabled_until)],
        )
        return await mutations.member_changed(self.sandbox, guild, member)

    async def voice_state(self, guild_id: int, user_id: int, channel_id: int | None) -> None:
        """The member joins/moves to voice channel ``channel_id``, or leaves voice (None)."""
        self._action()
        guild = self.state.guild(guild_id)
        if user_id not in guild.members:
            raise SandboxError(f"user {user_id} is not a member of guild {guild_id}")
        if channel_id is not None and channel_id not in self.voice_channel_ids(guild_id):
            raise SandboxError(f"{channel_id} is not a voice channel of guild {guild_id}")
        await mutations.voice_moved(self.sandbox, guild, user_id, channel_id)

    async def add_reaction(self, channel_id: int, message_id: int, user_id: int, emoji: str) -> None:
        """User ``user_id`` reacts to a message with a unicode ``emoji`` (MESSAGE_REACTION_ADD)."""
        self._action()
        channel = self.state.channel(channel_id)
        message = self.state.message(channel_id, message_id)
        await mutations.reaction_added(self.sandbox, channel, message, user_id, {"id": None, "name": emoji})

    async def remove_reaction(self, channel_id: int, message_id: int, user_id: int, emoji: str) -> None:
        """User ``user_id`` takes back their unicode ``emoji`` reaction (MESSAGE_REACTION_REMOVE)."""
        self._action()
        channel = self.state.channel(channel_id)
        message = self.state.message(channel_id, message_id)
        await mutations.reaction_removed(self.sandbox, channel, message, user_id, {"id": None, "name": emoji})
