"""The core listeners for server changes (edits, bulk deletions, bans, audit entries, channels, roles, the server).

Like the bot's own `on_message` and `on_member_join`, each is one discord.py listener per event that finds the
event's guild and hands it to `WolaroBot._guild_event`, which delivers it to the modules enabled there
(`on_guild_<event>` handlers, see `wolaro.core.module.GUILD_EVENTS`). Kept here so bot.py stays small.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wolaro.core.bot import WolaroBot


def _payload(payload: Any, *_: Any) -> int | None:
    return getattr(payload, "guild_id", None)


def _guild(guild: Any, *_: Any) -> int | None:
    return getattr(guild, "id", None)


def _of(thing: Any, *rest: Any) -> int | None:
    """The guild of a channel or role (for an update: of the new one)."""
    target = rest[0] if rest else thing
    guild = getattr(target, "guild", None)
    return getattr(guild, "id", None)


#: discord.py event -> how to find its guild id from the listener's arguments.
GUILD_OF: dict[str, Callable[..., int | None]] = {
    "raw_message_edit": _payload,
    "raw_bulk_message_delete": _payload,
    "raw_reaction_clear": _payload,
    "raw_reaction_clear_emoji": _payload,
    "member_ban": _guild,
    "member_unban": _guild,
    "audit_log_entry_create": _of,
    "guild_channel_create": _of,
    "guild_channel_delete": _of,
    "guild_channel_update": _of,
    "guild_role_create": _of,
    "guild_role_delete": _of,
    "guild_role_update": _of,
    "guild_join": _guild,
    "guild_available": _guild,
    "guild_update": _guild,
    "guild_remove": _guild,
}

#: Events delivered only once the bot is ready: before that, GUILD_CREATEs are the start-up burst (thousands per
#: shard), which modules handle in one pass when the gateway is ready (and the configs are prefetched in bulk).
AFTER_READY = frozenset({"guild_available"})


def attach(bot: WolaroBot) -> None:
    """Register one listener per event of `GUILD_OF` on `bot`."""
    for event, guild_of in GUILD_OF.items():

        async def listener(*args: Any, _event: str = event, _guild_of: Callable[..., int | None] = guild_of) -> None:
            if _event in AFTER_READY and not bot.is_ready():
                return
            await bot._guild_event(_event, _guild_of(*args), *args)

        bot.add_listener(listener, f"on_{event}")
