"""The server log's Cog: turns the server's events into entries and posts them, batched, to the chosen channels.

Thin on purpose: it reads plain values off discord.py's events, builds entries with `entries.py` and posts them
through the `Batcher`. Role and nickname changes come from the server's audit log (Discord's own before and after,
and who made the change): the bot needs the View Audit Log permission for them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import discord

from wolaro.modules.serverlog import entries
from wolaro.modules.serverlog.batcher import Batcher
from wolaro.modules.serverlog.config import Config
from wolaro.modules.serverlog.posting import Rendered, post_arguments, render
from wolaro.sdk import GuildConfig, ModuleSpec, WolaroModule

NAME = "serverlog"
NO_MENTIONS = discord.AllowedMentions.none()
CHANNEL_CHANGES = {"name": "Name", "topic": "Topic", "slowmode": "Slow mode (seconds)", "category": "Category"}
ROLE_CHANGES = {"name": "Name", "colour": "Colour", "hoist": "Shown separately", "mentionable": "Anyone can mention"}


def _channel_values(channel: Any) -> dict[str, Any]:
    return {
        "name": getattr(channel, "name", None),
        "topic": getattr(channel, "topic", None),
        "slowmode": getattr(channel, "slowmode_delay", None),
        "category": getattr(getattr(channel, "category", None), "name", None),
    }


def _role_values(role: Any) -> dict[str, Any]:
    return {"name": role.name, "colour": str(role.colour), "hoist": role.hoist, "mentionable": role.mentionable}


class ServerLog(WolaroModule):
    """Posts what happens in the server to the channels chosen for each kind of event."""

    def __init__(self, bot: Any) -> None:
        super().__init__(bot)
        self.batcher: Batcher[tuple[Rendered, str]] = Batcher(self._post)

    async def cog_unload(self) -> None:  # noqa: D102
        await self.batcher.flush_all()

    # ------------------------------------------------------------------ posting
    def _log(self, config: GuildConfig, entry: entries.Entry | None) -> None:
        if entry is None:
            return
        settings = Config.model_validate(config.module_configs.get(NAME) or {})
        channel = settings.channel_for(entry.category)
        if channel is None or channel in entry.channel_ids or entries.ignored(settings, entry):
            return
        language = config.language

        def translate(message: str, **values: Any) -> str:
            return str(self.bot.translator.translate(language, message, **values))

        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        self.batcher.add(channel, (render(entry, translate, when), language))

    async def _post(self, channel_id: int, items: list[tuple[Rendered, str]], dropped: int) -> None:
        language = items[-1][1]

        def translate(message: str, **values: Any) -> str:
            return str(self.bot.translator.translate(language, message, **values))

        arguments = post_arguments([rendered for rendered, _ in items], dropped, translate)
        await self.bot.get_partial_messageable(channel_id).send(**arguments, allowed_mentions=NO_MENTIONS)

    def _chain(self, channel_id: int) -> tuple[int, ...]:
        """The channel, its parent (a thread's channel) and its category, for the ignore list."""
        channel = self.bot.get_channel(channel_id)
        parent = getattr(channel, "parent_id", None) or getattr(channel, "category_id", None)
        grandparent = getattr(getattr(channel, "parent", None), "category_id", None)
        return tuple(dict.fromkeys(c for c in (channel_id, parent, grandparent) if c))

    # ----------------------------------------------------------------- messages
    async def on_guild_raw_message_edit(self, config: GuildConfig, payload: discord.RawMessageUpdateEvent) -> None:
        """A message was edited: its text before (when the bot saw it) and after."""
        data: dict[str, Any] = dict(payload.data)
        author = data.get("author") or {}
        if "content" not in data or not author or author.get("bot"):
            return
        before = payload.cached_message.content if payload.cached_message is not None else None
        link = f"https://discord.com/channels/{payload.guild_id}/{payload.channel_id}/{payload.message_id}"
        chain = self._chain(payload.channel_id)
        self._log(config, entries.message_edited(chain, int(author["id"]), before, str(data["content"]), link))

    async def on_guild_raw_message_delete(self, config: GuildConfig, payload: discord.RawMessageDeleteEvent) -> None:
        """A message was deleted: its text when the bot saw it."""
        cached = payload.cached_message
        if cached is not None and cached.author.bot:
            return
        author = cached.author.id if cached is not None else None
        content = cached.content if cached is not None else None
        files = len(cached.attachments) if cached is not None else 0
        self._log(config, entries.message_deleted(self._chain(payload.channel_id), author, content, files))

    async def on_guild_raw_bulk_message_delete(
        self, config: GuildConfig, payload: discord.RawBulkMessageDeleteEvent
    ) -> None:
        """Messages deleted at once: one entry for all of them."""
        seen = [(m.author.id, m.content) for m in payload.cached_messages if not m.author.bot]
        chain = self._chain(payload.channel_id)
        self._log(config, entries.bulk_deleted(chain, len(payload.message_ids), seen))

    # ------------------------------------------------------------------ members
    async def on_guild_member_join(self, config: GuildConfig, member: discord.Member) -> None:
        """A member joined: how old their account is."""
        age = (dt.datetime.now(dt.UTC) - member.created_at).days
        self._log(config, entries.member_joined(member.id, str(member), age))

    async def on_guild_member_remove(self, config: GuildConfig, payload: discord.RawMemberRemoveEvent) -> None:
        """A member left."""
        self._log(config, entries.member_left(payload.user.id, str(payload.user)))

    async def on_guild_member_ban(self, config: GuildConfig, guild: discord.Guild, user: discord.User) -> None:
        """A member was banned."""
        self._log(config, entries.banned(user.id, str(user)))

    async def on_guild_member_unban(self, config: GuildConfig, guild: discord.Guild, user: discord.User) -> None:
        """A ban was lifted."""
        self._log(config, entries.banned(user.id, str(user), lifted=True))

    async def on_guild_audit_log_entry(self, config: GuildConfig, entry: discord.AuditLogEntry) -> None:
        """Role and nickname changes, from the server's audit log (before, after and who)."""
        target = getattr(entry.target, "id", None)
        if target is None:
            return
        if entry.action is discord.AuditLogAction.member_role_update:
            added = [role.id for role in getattr(entry.after, "roles", [])]
            removed = [role.id for role in getattr(entry.before, "roles", [])]
            self._log(config, entries.roles_changed(target, added, removed, entry.user_id))
        elif entry.action is discord.AuditLogAction.member_update and hasattr(entry.after, "nick"):
            before, after = getattr(entry.before, "nick", None), getattr(entry.after, "nick", None)
            self._log(config, entries.nickname_changed(target, before, after, entry.user_id))

    async def on_guild_voice_state_update(
        self, config: GuildConfig, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        """A member joined, left or moved between voice channels."""
        old = before.channel.id if before.channel is not None else None
        new = after.channel.id if after.channel is not None else None
        self._log(config, entries.voice_moved(member.id, old, new))

    # ---------------------------------------------------------- channels, roles
    async def on_guild_channel_create(self, config: GuildConfig, channel: discord.abc.GuildChannel) -> None:
        """A channel was created."""
        self._log(config, entries.server_item("channel", "created", channel.mention, channel.name))

    async def on_guild_channel_delete(self, config: GuildConfig, channel: discord.abc.GuildChannel) -> None:
        """A channel was deleted."""
        self._log(config, entries.server_item("channel", "deleted", channel.mention, channel.name))

    async def on_guild_channel_update(
        self, config: GuildConfig, before: discord.abc.GuildChannel, after: discord.abc.GuildChannel
    ) -> None:
        """A channel's name, topic, slow mode or category changed."""
        changes = entries.changed_lines(_channel_values(before), _channel_values(after), CHANNEL_CHANGES)
        self._log(config, entries.server_item("channel", "changed", after.mention, after.name, changes))

    async def on_guild_role_create(self, config: GuildConfig, role: discord.Role) -> None:
        """A role was created."""
        self._log(config, entries.server_item("role", "created", role.mention, role.name))

    async def on_guild_role_delete(self, config: GuildConfig, role: discord.Role) -> None:
        """A role was deleted."""
        self._log(config, entries.server_item("role", "deleted", role.mention, role.name))

    async def on_guild_role_update(self, config: GuildConfig, before: discord.Role, after: discord.Role) -> None:
        """A role's name, colour or display changed."""
        changes = entries.changed_lines(_role_values(before), _role_values(after), ROLE_CHANGES)
        self._log(config, entries.server_item("role", "changed", after.mention, after.name, changes))


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name=NAME,
    title="Server log",
    bot_permissions=("view_audit_log", "read_message_history", "embed_links", "attach_files"),
    description="Posts edited and deleted messages, arrivals, departures, bans, role, nickname, channel and voice "
    "changes to the channels you choose.",
    version="1.0.0",
    config=Config,
    cogs=(ServerLog,),
    locales=HERE / "locales",
)
