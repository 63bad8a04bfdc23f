"""Durable jobs of the statistics module: the retention clean-up and the stat channel renames.

`statistics.cleanup` (a platform job, daily) builds the member blocks whose days are over (`store.build_blocks`),
then deletes every server's hourly rows older than its `hourly_days` and daily rows older than its
`retention_days`. `statistics.stat_channels` (one per server) renames its stat channels
and schedules itself again; both survive restarts and run in whichever worker is alive.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import discord

from wolaro.modules.statistics import online, queries, stat_channels, store
from wolaro.modules.statistics.times import today
from wolaro.sdk import JobContext, get_logger

log = get_logger(__name__)

CLEANUP_JOB = "statistics.cleanup"
STAT_CHANNELS_JOB = "statistics.stat_channels"
CLEANUP_EVERY = timedelta(hours=24)
MEMBER_PAGES = 10
"""Pages of 1,000 members read to count bots (humans = members - bots); bigger servers count the first 10,000."""


async def schedule_cleanup(jobs: Any, *, delay: timedelta = timedelta(minutes=5)) -> None:
    """Make sure one clean-up is pending (never postpones one already scheduled)."""
    if not await jobs.pending(guild_id=None, kind=CLEANUP_JOB, limit=1):
        await jobs.schedule(
            CLEANUP_JOB, run_at=datetime.now(UTC) + delay, guild_id=None, payload={}, dedupe_key=CLEANUP_JOB
        )


async def clean_up(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Build the member blocks now complete, delete what retention no longer keeps, schedule the next clean-up."""
    services = ctx.services
    removed = 0
    now_hour = int(time.time() // 3600)
    built = await store.build_blocks(ctx.db, now_hour // 24)
    for guild_id in await store.guilds_with_statistics(ctx.db):
        raw = (await services.config.get(guild_id)).module_configs.get("statistics") or {}
        hourly_days = int(raw.get("hourly_days") or 90)
        retention = int(raw.get("retention_days") or 365)
        removed += await store.clean_up(
            ctx.db,
            guild_id,
            oldest_hour=now_hour - hourly_days * 24,
            oldest_day=today(raw.get("timezone") or "UTC") - retention + 1,
        )
        removed += await online.clean_up(  # members online, by the same rules
            ctx.db,
            guild_id,
            oldest_hour=now_hour - hourly_days * 24,
            oldest_day=today(raw.get("timezone") or "UTC") - retention + 1,
        )
    log.info("statistics clean-up done", block_rows_built=built, rows_removed=removed)
    await services.jobs.schedule(
        CLEANUP_JOB, run_at=datetime.now(UTC) + CLEANUP_EVERY, guild_id=None, payload={}, dedupe_key=CLEANUP_JOB
    )


async def schedule_stat_channels(jobs: Any, guild_id: int, *, at: datetime | None = None) -> None:
    """Make sure the server's stat channel job is pending (never postpones one already scheduled)."""
    if not await jobs.pending(guild_id=guild_id, kind=STAT_CHANNELS_JOB, limit=1):
        await jobs.schedule(
            STAT_CHANNELS_JOB,
            run_at=at or datetime.now(UTC),
            guild_id=guild_id,
            payload={},
            dedupe_key=f"{STAT_CHANNELS_JOB}:{guild_id}",
        )


async def _figures(ctx: JobContext, guild_id: int, timezone: str, wanted: set[str]) -> dict[str, int]:
    http = await ctx.discord_http()
    guild = await http.get_guild(guild_id, with_counts=True)
    data: dict[str, Any] = dict(guild)
    members = int(data.get("approximate_member_count") or 0)
    figures = {"members": members, "online": int(data.get("approximate_presence_count") or 0)}
    if "online" in wanted:  # the bot's own count of the latest minute when the server counts members online
        recorded = await online.latest(ctx.db, guild_id, time.time())
        if recorded is not None:
            figures["online"] = recorded
    if "humans" in wanted:
        bots, after = 0, None
        for _ in range(MEMBER_PAGES):
            page = await http.get_members(guild_id, 1000, after)
            bots += sum(1 for m in page if m.get("user", {}).get("bot"))
            if len(page) < 1000:
                break
            after = int(page[-1]["user"]["id"])
        figures["humans"] = max(0, members - bots)
    if "messages_today" in wanted:
        figures["messages_today"] = await queries.messages_on(ctx.db, guild_id, today(timezone))
    return figures


async def update_stat_channels(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Rename the server's stat channels whose figure changed (each at most once per 330 s), then plan the next."""
    guild_id = ctx.guild_id
    assert guild_id is not None
    config = await ctx.services.config.get(guild_id)
    raw = config.module_configs.get("statistics") or {}
    channels = stat_channels.configured(raw)
    if "statistics" not in config.enabled_modules or not channels:
        return  # nothing to show: the job ends (it is scheduled again when stat channels are set)
    now = int(time.time())
    try:
        figures = await _figures(ctx, guild_id, raw.get("timezone") or "UTC", {c.figure.value for c in channels})
    except (discord.NotFound, discord.Forbidden) as exc:  # the bot is no longer in the server: the job ends
        log.info("stat channels stopped: the server cannot be read", guild_id=guild_id, error=str(exc))
        return  # scheduled again if the bot is added back (the module's on_guild_joined)
    http = await ctx.discord_http()
    for channel in channels:
        value = stat_channels.figure_value(channel.figure, figures)
        name = stat_channels.channel_name(channel.template, value, config.language)
        if not await stat_channels.claim_rename(ctx.db, guild_id, channel.channel_id, name, now):
            continue
        try:
            await http.edit_channel(channel.channel_id, name=name, reason="Stat channel")
        except (discord.NotFound, discord.Forbidden) as exc:
            log.info("stat channel not renamed", guild_id=guild_id, channel_id=channel.channel_id, error=str(exc))
    next_at = await stat_channels.next_rename_at(ctx.db, guild_id, now)
    await ctx.services.jobs.schedule(
        STAT_CHANNELS_JOB,
        run_at=datetime.fromtimestamp(next_at, UTC),
        guild_id=guild_id,
        payload={},
        dedupe_key=f"{STAT_CHANNELS_JOB}:{guild_id}",
    )
