"""The durable job `rolemenus.publish`: post or update a menu saved from the dashboard (the API holds no gateway)."""

from __future__ import annotations

from functools import partial
from typing import Any

from wolaro.modules.rolemenus import publish, store
from wolaro.sdk import JobContext, PermanentJobError, get_logger

log = get_logger(__name__)
PUBLISH_JOB = "rolemenus.publish"


async def publish_menu(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Publish the menu as it is stored now (a later save schedules another run; publishing twice is harmless)."""
    guild_id, menu_id = int(payload["guild_id"]), int(payload["menu_id"])
    menu = await store.get(ctx.services.db, guild_id, menu_id)
    if menu is None:
        return
    config = await ctx.services.config.get(guild_id)
    translate = partial(ctx.services.translator.translate, config.language)
    http = await ctx.discord_http()
    roles, top = await publish.hierarchy_from_rest(http, guild_id)
    try:
        publish.check_hierarchy(menu, roles, top)
        channel = int(payload["channel_id"]) if payload.get("channel_id") else None
        message_id = await publish.publish(http, menu, translate, channel_id=channel)
    except publish.Refused as exc:
        raise PermanentJobError(translate(exc.message, **exc.fields)) from None
    await store.set_message(ctx.services.db, guild_id, menu_id, channel or menu.channel_id, message_id)
    log.info("role menu published", guild_id=guild_id, menu_id=menu_id, message_id=message_id)
