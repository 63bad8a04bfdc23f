"""The durable job `reminders.deliver`: post a reminder when it is due, whichever process is alive then.

The reminder is posted in the channel where it was set, mentioning its owner (and pinging nobody else: allowed
mentions name only that user). If that channel is gone or the bot may no longer write there, the owner gets it by
DM instead. If neither works (closed DMs too), the job fails at once with the reason, since retrying cannot help.

Idempotent: every send carries the nonce `reminder-<job id>` with `enforce_nonce`, so if a worker dies after
posting but before the job is marked done, the run that takes the job over gets Discord's first message back
instead of posting a second one.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import discord

from wolaro.jobs.context import PermanentJobError
from wolaro.logging import get_logger

if TYPE_CHECKING:
    from discord.http import HTTPClient

    from wolaro.jobs.context import JobContext

log = get_logger(__name__)


def t(message: str) -> str:
    """Mark `message` for the catalog; it is translated where shown."""
    return message


IN_CHANNEL = t("⏰ {mention}, you asked me {created} to remind you: {text}")
BY_DM = t("⏰ In **{guild}**, you asked me {created} to remind you: {text}")


async def deliver_reminder(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Post the reminder in its channel, or by DM if the channel is gone or closed to the bot."""
    guild_id = int(payload["guild_id"])
    user_id = int(payload["user_id"])
    channel_id = int(payload["channel_id"])
    created = discord.utils.format_dt(datetime.fromisoformat(payload["created_at"]), "R")
    guild_config = await ctx.services.config.get(guild_id)
    translate = partial(ctx.services.translator.translate, guild_config.language)
    http = await ctx.discord_http()
    nonce = f"reminder-{ctx.job_id}"
    text = translate(IN_CHANNEL, mention=f"<@{user_id}>", created=created, text=payload["text"])
    try:
        await _send(http, channel_id, text, user_id, nonce)
    except (discord.NotFound, discord.Forbidden) as exc:
        log.info("reminder channel unavailable: sending by DM", guild_id=guild_id, job_id=ctx.job_id, error=str(exc))
    else:
        log.info("reminder delivered", guild_id=guild_id, job_id=ctx.job_id, channel_id=channel_id)
        return
    text = translate(BY_DM, guild=payload.get("guild_name") or str(guild_id), created=created, text=payload["text"])
    try:
        dm = await http.start_private_message(user_id)
        await _send(http, int(dm["id"]), text, user_id, nonce)
    except (discord.NotFound, discord.Forbidden) as exc:
        raise PermanentJobError(f"neither the channel nor the user's DMs accept the reminder: {exc}") from exc
    log.info("reminder delivered by DM", guild_id=guild_id, job_id=ctx.job_id)


async def _send(http: HTTPClient, channel_id: int, text: str, user_id: int, nonce: str) -> None:
    mentions = discord.AllowedMentions(everyone=False, roles=False, users=[discord.Object(user_id)])
    # discord.py sends `enforce_nonce` with a nonce: a second send of this reminder returns the first message
    with discord.http.handle_message_parameters(content=text[:2000], nonce=nonce, allowed_mentions=mentions) as params:
        await http.send_message(channel_id, params=params)
