"""The durable job `polls.close`, shared with `/poll end`: close a poll once and show its results.

Exactly once: `store.close` is a conditional update (`closed_at IS NULL`) storing the final results, so of all the
processes that close a poll, one counts. A button poll's results are posted with the nonce `poll-<id>`
(`enforce_nonce`) and recorded in `result_message_id`, so a job retried after a crash posts them once. A native
poll is ended through Discord (`POST .../polls/{message}/expire`), which posts its own results; its final counts
are read back from the message and stored.
"""

from __future__ import annotations

import contextlib
import io
from functools import partial
from typing import TYPE_CHECKING, Any

import discord

from wolaro.data.database import Database
from wolaro.data.models import utcnow
from wolaro.logging import get_logger
from wolaro.modules.polls import chart, render, service, store
from wolaro.modules.polls.render import Translate
from wolaro.modules.polls.store import PollView

if TYPE_CHECKING:
    from discord.http import HTTPClient

    from wolaro.jobs.context import JobContext

log = get_logger(__name__)


async def native_results(http: HTTPClient, poll: PollView) -> list[int]:
    """End a native poll on Discord (unless it ended) and read its counts, in the options' order."""
    assert poll.message_id is not None
    message: Any = await http.get_message(poll.channel_id, poll.message_id)
    if not (message.get("poll") or {}).get("results", {}).get("is_finalized"):
        with contextlib.suppress(discord.HTTPException):  # it may have expired meanwhile
            message = await http.end_poll(poll.channel_id, poll.message_id)
    counts = {
        int(c["id"]): int(c["count"]) for c in (message.get("poll") or {}).get("results", {}).get("answer_counts", [])
    }
    return [counts.get(index + 1, 0) for index in range(len(poll.options))]


async def finish(db: Database, http: HTTPClient, t: Translate, guild_id: int, poll_id: int) -> bool:
    """Close the poll (unless closed) and show its results once; whether this call closed it."""
    poll = await store.get(db, guild_id, poll_id)
    if poll is None or poll.message_id is None:
        return False
    given = await native_results(http, poll) if poll.kind == service.NATIVE and poll.open else None
    results = await store.close(db, guild_id, poll_id, utcnow(), given)
    closed_here = results is not None
    if poll.kind == service.NATIVE:
        return closed_here
    if results is None:
        again = await store.get(db, guild_id, poll_id)
        if again is None or again.result_message_id is not None or again.results is None:
            return False
        results = again.results
    await _publish(db, http, t, poll, results)
    return closed_here


async def _publish(db: Database, http: HTTPClient, t: Translate, poll: PollView, results: list[int]) -> None:
    assert poll.message_id is not None
    with (
        contextlib.suppress(discord.NotFound, discord.Forbidden),
        discord.http.handle_message_parameters(embed=render.closed_embed(poll, results, t), view=None) as params,
    ):
        await http.edit_message(poll.channel_id, poll.message_id, params=params)
    image = await chart.render(poll.question, poll.options, results, t("Votes"))
    reference = {"message_id": poll.message_id, "channel_id": poll.channel_id, "fail_if_not_exists": False}
    with discord.http.handle_message_parameters(
        content=render.headline(poll, results, t),
        file=discord.File(io.BytesIO(image), filename=f"poll-{poll.id}.png"),
        nonce=f"poll-{poll.id}",
        allowed_mentions=discord.AllowedMentions.none(),
        message_reference=reference,  # type: ignore[arg-type]
    ) as params:
        sent = await http.send_message(poll.channel_id, params=params)
    await store.CLOSING.set_result_message(db, poll.guild_id, poll.id, int(sent["id"]))


async def close_poll(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The poll's time is up: close it."""
    guild_id = int(ctx.guild_id or 0)
    config = await ctx.services.config.get(guild_id)
    t = partial(ctx.services.translator.translate, config.language)
    try:
        await finish(ctx.db, await ctx.discord_http(), t, guild_id, int(payload["poll_id"]))
    except (discord.NotFound, discord.Forbidden) as exc:
        log.info("poll message unavailable: closed without showing results", poll_id=payload["poll_id"], error=str(exc))
        await store.close(ctx.db, guild_id, int(payload["poll_id"]), utcnow(), None)
