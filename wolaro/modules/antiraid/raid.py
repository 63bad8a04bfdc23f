"""Raid mode's effects in Discord, over REST only, so the bot and a separate job worker run them alike.

* `protect`: raise the verification level and lock the chosen channels (what `state.start` recorded).
* `end_raid`: mark raid mode off, undo exactly what it changed, announce it. Run by `/raidmode off` and by the
  durable `antiraid.end` job. Undoing is idempotent (the level goes back only if it is still the raised one; a
  lock removes only the bits raid mode added), and the record of what to undo is cleared only once it is done,
  so a job that fails half-way is retried without losing anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import discord
from discord.http import handle_message_parameters

from wolaro.jobs import JobContext
from wolaro.logging import get_logger
from wolaro.modules.antiraid import service, state
from wolaro.modules.antiraid.config import Config
from wolaro.modules.antiraid.state import RaidView
from wolaro.modules.moderation.public import modlog_channel

if TYPE_CHECKING:
    from discord.http import HTTPClient

    from wolaro.core.config_service import GuildConfig
    from wolaro.core.services import Services

log = get_logger(__name__)

MODULE = "antiraid"
ROLE_OVERWRITE: Literal[0] = 0
"""Overwrite type of a role (@everyone is the role whose id is the guild's)."""


def alert_channel(guild_config: GuildConfig, config: Config) -> int | None:
    """Where raid mode is announced: the module's alert channel, else the moderation module's modlog channel."""
    if config.alert_channel_id:
        return config.alert_channel_id
    return modlog_channel(guild_config)


async def send_alert(services: Services, http: HTTPClient, guild_config: GuildConfig, text: str) -> None:
    """Post `text` (already in the guild's language) in the guild's alert channel, if it has one."""
    config = Config.model_validate(guild_config.module_configs.get(MODULE) or {})
    channel_id = alert_channel(guild_config, config)
    if not config.alert or channel_id is None or not text:
        return
    try:
        with handle_message_parameters(content=text, allowed_mentions=discord.AllowedMentions.none()) as params:
            await http.send_message(channel_id, params=params)
    except discord.HTTPException as exc:
        log.warning("raid alert not delivered", guild_id=guild_config.guild_id, channel_id=channel_id, error=str(exc))


async def protect(http: HTTPClient, view: RaidView, locks: dict[int, service.Lock], reason: str) -> None:
    """Apply raid mode's protections (each failure is logged; the others still happen)."""
    guild_id = view.guild_id
    if view.raised_verification_level is not None:
        try:
            await http.edit_guild(guild_id, reason=reason, verification_level=view.raised_verification_level)
        except discord.HTTPException as exc:
            log.warning("could not raise the verification level", guild_id=guild_id, error=str(exc))
    for channel_id, plan in locks.items():
        try:
            await http.edit_channel_permissions(
                channel_id, guild_id, str(plan.allow), str(plan.deny), ROLE_OVERWRITE, reason=reason
            )
        except discord.HTTPException as exc:
            log.warning("could not lock a channel", guild_id=guild_id, channel_id=channel_id, error=str(exc))


async def restore(http: HTTPClient, view: RaidView, reason: str) -> None:
    """Undo raid mode's protections, reading the current state over REST. Raises if Discord fails (retry)."""
    guild_id = view.guild_id
    previous = view.previous_verification_level
    if view.raised_verification_level is not None and previous is not None:
        data = await http.get_guild(guild_id, with_counts=False)
        level = service.level_to_restore(
            int(data.get("verification_level", 0)), view.raised_verification_level, previous
        )
        if level is not None:
            await http.edit_guild(guild_id, reason=reason, verification_level=level)
    for key, record in view.locked_channels.items():
        channel_id = int(key)
        try:
            channel = await http.get_channel(channel_id)
        except discord.NotFound:
            continue  # deleted meanwhile: nothing to unlock
        overwrites: list[dict[str, Any]] = list(channel.get("permission_overwrites") or [])  # type: ignore[call-overload]
        current = next((o for o in overwrites if int(o["id"]) == guild_id), None)
        if current is None:
            continue  # an admin removed the overwrite meanwhile
        allow, deny, delete = service.unlock(int(current.get("allow", 0)), int(current.get("deny", 0)), record)
        if delete:
            await http.delete_channel_permissions(channel_id, guild_id, reason=reason)
        else:
            await http.edit_channel_permissions(
                channel_id, guild_id, str(allow), str(deny), ROLE_OVERWRITE, reason=reason
            )


async def end_raid(
    services: Services, http: HTTPClient, guild_id: int, *, force: bool, actor_id: int | None
) -> RaidView | None:
    """End raid mode (when due, or at once with `force`) and undo its protections; None if nothing to end."""
    ended = await state.finish(services, guild_id, force=force, actor_id=actor_id)
    if ended is None:
        return None
    guild_config = await services.config.get(guild_id)
    language = guild_config.language
    await restore(http, ended, services.translator.translate(language, "Raid mode ended"))
    await state.mark_restored(services, guild_id)
    if ended.active or ended.restore_pending:
        if actor_id is not None:
            text = services.translator.translate(language, "Raid mode was turned off by <@{user}>.", user=actor_id)
        else:
            text = services.translator.translate(language, "Raid mode ended after a quiet period.")
        await send_alert(services, http, guild_config, text)
    return ended


async def end_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The durable end of an automatic raid: due when nobody joined for the quiet period."""
    guild_id = int(ctx.guild_id if ctx.guild_id is not None else payload["guild_id"])
    http = await ctx.discord_http()
    await end_raid(ctx.services, http, guild_id, force=False, actor_id=None)
