"""Tell the dashboard when a member stops being a guild admin (seed 002, "Admin role removed on Discord").

Called by the bot for every GUILD_MEMBER_UPDATE (the `raw_member_update` fan-out: members are mostly not cached)
and GUILD_MEMBER_REMOVE. It computes the member's guild-level permissions from the guild's cached roles and,
when they can no longer manage the guild (owner, Administrator or Manage Server), publishes
`permission:revoked` {guild_id, user_id, reason}; every API process then drops that user's dashboard access to
the guild at once.

Without a member cache the previous state is known only for members seen before, so the first update of a member
this process has not seen, without manage rights, is published too (`was_manager: null`): a revocation is never
missed, and each member costs at most one such message per process lifetime. Consumers treat it as "re-check".

Changes whose members the bot cannot list (members are not cached) are published for the whole guild, without
`user_id`: every dashboard open on it is re-checked against Discord. That is a role losing Administrator or Manage
Server (GUILD_ROLE_UPDATE, @everyone included), a role with either deleted (GUILD_ROLE_DELETE), and the bot leaving
the guild (GUILD_DELETE, `bot_left: true`, published once the shared presence table says so). An ownership transfer
asks for a re-check of the previous owner (`recheck: true`). Any change of a role's permissions also forgets what
this process knew of the guild's members, so their next update is judged afresh.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from wolaro.core.permissions import guild_permissions
from wolaro.data.pubsub import PERMISSION_REVOKED, PubSub
from wolaro.logging import get_logger

if TYPE_CHECKING:
    import discord

log = get_logger(__name__)

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5


def can_manage(guild: discord.Guild, user_id: int, role_ids: list[int]) -> bool:
    """Whether a member with these roles may manage the guild: owner, Administrator or Manage Server."""
    return _manages(guild_permissions(guild, user_id, role_ids).value)


class PermissionWatch:
    """Remembers who could manage which guild (bounded) and publishes when that stops."""

    def __init__(self, bot: discord.Client, pubsub: PubSub, *, capacity: int = 100_000) -> None:
        self.bot = bot
        self.pubsub = pubsub
        self.capacity = capacity
        self._known: OrderedDict[tuple[int, int], tuple[bool, int]] = OrderedDict()  # -> (manages, guild epoch)
        self._epoch: dict[int, int] = {}  # guild -> bumped when its roles' permissions change
        self.published = 0
        add_listener = getattr(bot, "add_listener", None)
        if add_listener is not None:  # a commands.Bot: follow the guild events that change everyone's rights
            add_listener(self.on_guild_role_update, "on_guild_role_update")
            add_listener(self.on_guild_role_delete, "on_guild_role_delete")
            add_listener(self.on_guild_update, "on_guild_update")
            add_listener(self.on_guild_remove, "on_guild_remove")

    def known(self, guild_id: int, user_id: int) -> bool | None:
        """What this process last saw of the member's rights (None: unknown, or older than a role change)."""
        entry = self._known.get((guild_id, user_id))
        if entry is None or entry[1] != self._epoch.get(guild_id, 0):
            return None
        return entry[0]

    def _remember(self, key: tuple[int, int], value: bool | None) -> bool | None:
        previous = self.known(*key)
        self._known.pop(key, None)
        if value is not None:
            self._known[key] = (value, self._epoch.get(key[0], 0))
            if len(self._known) > self.capacity:
                self._known.popitem(last=False)
        return previous

    def _forget_guild(self, guild_id: int) -> None:
        self._epoch[guild_id] = self._epoch.get(guild_id, 0) + 1

    async def member_updated(self, data: dict[str, Any]) -> None:
        """A GUILD_MEMBER_UPDATE payload."""
        guild = self.bot.get_guild(int(data["guild_id"]))
        if guild is None or data.get("user", {}).get("bot"):
            return
        user_id = int(data["user"]["id"])
        manages = can_manage(guild, user_id, [int(r) for r in data.get("roles", ())])
        previous = self._remember((guild.id, user_id), manages)
        if not manages and previous is not False:
            await self._publish(guild.id, user_id, "Manage Server and Administrator permissions removed", previous)

    async def member_removed(self, guild_id: int | None, user_id: int) -> None:
        """A GUILD_MEMBER_REMOVE (left, kicked or banned)."""
        if guild_id is None:
            return
        previous = self._remember((guild_id, user_id), None)
        if previous is not False:
            await self._publish(guild_id, user_id, "No longer a member of the server", previous)

    # ---- what changes everyone's rights at once
    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        """A role's permissions changed: a role that lost its manage rights re-checks every dashboard of the guild."""
        if before.permissions.value == after.permissions.value:
            return
        self._forget_guild(after.guild.id)
        if _manages(before.permissions.value) and not _manages(after.permissions.value):
            await self._publish_guild(after.guild.id, "A role lost the Manage Server permission", role_id=after.id)

    async def on_guild_role_delete(self, role: discord.Role) -> None:
        """A role was deleted: if it gave manage rights, every dashboard of the guild is re-checked."""
        self._forget_guild(role.guild.id)
        if _manages(role.permissions.value):
            reason = "A role with the Manage Server permission was deleted"
            await self._publish_guild(role.guild.id, reason, role_id=role.id)

    async def on_guild_update(self, before: discord.Guild, after: discord.Guild) -> None:
        """Ownership moved: the previous owner keeps the dashboard only if their roles allow it (re-checked)."""
        if before.owner_id is None or before.owner_id == after.owner_id:
            return
        self._remember((after.id, before.owner_id), None)
        self.published += 1
        await self.pubsub.publish(
            PERMISSION_REVOKED,
            {
                "guild_id": after.id,
                "user_id": before.owner_id,
                "reason": "Ownership of the server moved to someone else",
                "was_manager": True,
                "recheck": True,
                "ts": time.time(),
            },
        )

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """The bot left (kicked, guild deleted): every dashboard of the guild closes once presence says so."""
        self._forget_guild(guild.id)
        presence = getattr(self.bot, "presence", None)
        flush = getattr(presence, "flush", None)
        if flush is not None:
            try:
                await flush()  # the API re-reads `bot_guilds` on this message: it must already say "gone"
            except Exception:
                log.exception("presence flush before a bot-left revocation failed")
        await self._publish_guild(guild.id, "The bot is no longer in the server", bot_left=True)

    async def _publish_guild(self, guild_id: int, reason: str, **extra: Any) -> None:
        self.published += 1
        log.info("dashboard access re-check for a whole guild", guild_id=guild_id, reason=reason)
        message = {"guild_id": guild_id, "user_id": None, "reason": reason, "ts": time.time(), **extra}
        await self.pubsub.publish(PERMISSION_REVOKED, message)

    async def _publish(self, guild_id: int, user_id: int, reason: str, previous: bool | None) -> None:
        self.published += 1
        log.info("dashboard permission revoked", guild_id=guild_id, user_id=user_id, reason=reason)
        await self.pubsub.publish(
            PERMISSION_REVOKED,
            {"guild_id": guild_id, "user_id": user_id, "reason": reason, "was_manager": previous, "ts": time.time()},
        )


def _manages(value: int) -> bool:
    return bool(value & (ADMINISTRATOR | MANAGE_GUILD))
