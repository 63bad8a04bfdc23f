"""Durable moderation jobs: `moderation.unban` lifts a temporary ban when it ends, whichever process is alive then.

The job is scheduled in the transaction that records the ban (see `service.record`). Its handler:

* does nothing if the ban case it was scheduled for is no longer in force (a later ban or an unban replaced it);
* lifts the ban through Discord REST (`DELETE /guilds/{id}/bans/{user}`; a ban already gone counts as lifted);
* records the automatic unban case (and its audit row) in the transaction that marks the job done, so the case
  is written exactly once even if a worker dies midway (the job then runs again: the REST call finds no ban,
  and the case is recorded by that run);
* posts the unban to the modlog channel.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import discord

from wolaro.logging import get_logger
from wolaro.modules.moderation import cases
from wolaro.modules.moderation.config import Config
from wolaro.modules.moderation.rules import Action, audit_reason
from wolaro.modules.moderation.service import announce, record

if TYPE_CHECKING:
    from wolaro.jobs.context import JobContext

log = get_logger(__name__)


async def lift_temporary_ban(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Lift a temporary ban that has ended and record it as an automatic unban case."""
    guild_id = int(payload["guild_id"])
    user_id = int(payload["user_id"])
    ban_case = int(payload["case"]) if payload.get("case") is not None else None
    services = ctx.services
    if ban_case is not None:
        async with services.db.session() as session:
            case = await cases.get(session, guild_id, ban_case)
        if case is not None and not case.active:
            log.info("temporary ban already lifted or replaced", guild_id=guild_id, case=ban_case)
            return
    guild_config = await services.config.get(guild_id)
    config = Config.of(guild_config)
    t = partial(services.translator.translate, guild_config.language)
    bot_id = ctx.bot.user.id if ctx.bot is not None and ctx.bot.user is not None else int(payload.get("bot_id") or 0)
    reason = t("Temporary ban expired (case #{number})", number=ban_case)
    http = await ctx.discord_http()
    try:
        await http.unban(user_id, guild_id, reason=audit_reason("Wolaro", reason))
    except discord.NotFound:
        log.info("temporary ban was already gone in Discord", guild_id=guild_id, user_id=user_id)
    async with ctx.transaction() as session:
        unban, _, _ = await record(
            session,
            services,
            guild_id=guild_id,
            action=Action.UNBAN,
            target_id=user_id,
            moderator_id=bot_id,
            reason=reason,
            duration=None,
            automated=True,
            config=config,
            bot_id=bot_id,
            ref_case=ban_case,
        )
    guild = ctx.bot.get_guild(guild_id) if ctx.bot is not None else None
    await announce(
        services,
        http,
        unban,
        config=config,
        t=t,
        guild_name=guild.name if guild is not None else str(guild_id),
        dm=False,
        bot=ctx.bot,
    )
    log.info("temporary ban lifted", guild_id=guild_id, user_id=user_id, case=unban.number, ban_case=ban_case)
