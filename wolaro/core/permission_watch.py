"""Tell the dashboard when a member stops being a guild admin (seed 002, "Admin role removed on Discord").

Called by the bot for every GUILD_MEMBER_UPDATE (the `raw_member_update` fan-out: members are mostly not cached)
and GUILD_MEMBER_REMOVE. It computes the member's guild-level permissions from the guild's cached roles and,
when they can no longer manage the guild (owner, Administrator or Manage Server), publishes
`permission:revoked` {guild_id, user_id, reason}; every API process then drops that user's dashboard access to
the guild at once.

Without a member cache the previous state is known only for members seen before, so the first update of a member
this process has not seen, without manage rights, is published too (`was_manager: null`): a revocation is never
missed, and each member costs at most one such message per process lifetime. Consumers treat it as "re-check".
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from wolaro.data.pubsub import PERMISSION_REVOKED, PubSub
from wolaro.logging import get_logger

if TYPE_CHECKING:
    import discord

log = get_logger(__name__)

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5


def can_manage(guild: discord.Guild, user_id: int, role_ids: list[int]) -> bool:
    """Whether a member with these roles may manage the guild: owner, Administrator or Manage Server."""
    if guild.owner_id == user_id:
        return True
    value = guild.default_role.permissions.value
    for role_id in role_ids:
        role = guild.get_role(role_id)
        if role is not None:
            value |= role.permissions.value
    return bool(value & (ADMINISTRATOR | MANAGE_GUILD))


class PermissionWatch:
    """Remembers who could manage which guild (bounded) and publishes when that stops."""

    def __init__(self, bot: discord.Client, pubsub: PubSub, *, capacity: int = 100_000) -> None:
        self.bot = bot
        self.pubsub = pubsub
        self.capacity = capacity
        self._known: OrderedDict[tuple[int, int], bool] = OrderedDict()
        self.published = 0

    def _remember(self, key: tuple[int, int], value: bool | None) -> bool | None:
        previous = self._known.pop(key, None)
        if value is not None:
            self._known[key] = value
            if len(self._known) > self.capacity:
                self._known.popitem(last=False)
        return previous

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

    async def _publish(self, guild_id: int, user_id: int, reason: str, previous: bool | None) -> None:
        self.published += 1
        log.info("dashboard permission revoked", guild_id=guild_id, user_id=user_id, reason=reason)
        await self.pubsub.publish(
            PERMISSION_REVOKED,
            {"guild_id": guild_id, "user_id": user_id, "reason": reason, "was_manager": previous, "ts": time.time()},
        )
