"""The durable job `giveaways.end`, and the announcement an early end or a reroll shares with it.

Exactly once: the draw is `store.claim_end`'s conditional update, so of every process that runs the end (the job
on any worker, a retried job after a crash, `/giveaway end`), one draws; the rest find it drawn. The announcement
is sent with the nonce `giveaway-<id>-<round>` (`enforce_nonce`: Discord returns the first message for a repeat)
and recorded in `result_message_id`, so a job retried after a crash between the draw and the post announces once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import discord

from wolaro.data.models import utcnow
from wolaro.logging import get_logger
from wolaro.modules.giveaways import render, store
from wolaro.modules.giveaways.render import Translate
from wolaro.modules.giveaways.store import GiveawayView

if TYPE_CHECKING:
    from discord.http import HTTPClient

    from wolaro.jobs.context import JobContext

log = get_logger(__name__)


async def publish(
    http: HTTPClient, t: Translate, giveaway: GiveawayView, winners: Sequence[int], *, round_: int
) -> int | None:
    """Announce a draw (a reply to the giveaway) and, for the first, show the giveaway as ended; the message id."""
    mentions = discord.AllowedMentions(everyone=False, roles=False, users=[discord.Object(u) for u in winners])
    reference = (
        {"message_id": giveaway.message_id, "channel_id": giveaway.channel_id, "fail_if_not_exists": False}
        if giveaway.message_id
        else None
    )
    if round_ == 1 and giveaway.message_id:
        with (
            contextlib.suppress(discord.NotFound, discord.Forbidden),
            render.params(embed=render.ended_embed(giveaway, winners, t), view=None) as params,
        ):
            await http.edit_message(giveaway.channel_id, giveaway.message_id, params=params)
    text = render.announcement(giveaway, winners, t, reroll=round_ > 1)
    with render.params(
        content=text, nonce=f"giveaway-{giveaway.id}-{round_}", allowed_mentions=mentions, message_reference=reference
    ) as params:
        sent = await http.send_message(giveaway.channel_id, params=params)
    return int(sent["id"])


async def end_giveaway(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Draw the giveaway's winners (unless someone did) and announce them once."""
    giveaway_id = int(payload["giveaway_id"])
    guild_id = int(ctx.guild_id or 0)
    db = ctx.db
    winners = await store.claim_end(db, guild_id, giveaway_id, utcnow())
    giveaway = await store.get(db, guild_id, giveaway_id)
    if giveaway is None:
        return  # removed meanwhile (its message could not be posted)
    if winners is None:
        if giveaway.result_message_id is not None:
            log.info("giveaway already ended and announced", guild_id=guild_id, giveaway_id=giveaway_id)
            return
        winners = await store.winners_of(db, giveaway_id, 1)
    config = await ctx.services.config.get(guild_id)
    t = partial(ctx.services.translator.translate, config.language)
    try:
        message_id = await publish(await ctx.discord_http(), t, giveaway, winners, round_=1)
    except (discord.NotFound, discord.Forbidden) as exc:
        log.info("giveaway channel unavailable: winners drawn, not announced", giveaway_id=giveaway_id, error=str(exc))
        return
    if message_id is not None:
        await store.ENDING.set_result_message(db, guild_id, giveaway_id, message_id)
    log.info("giveaway ended", guild_id=guild_id, giveaway_id=giveaway_id, winners=len(winners))
