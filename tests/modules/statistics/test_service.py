"""The statistics logic as plain values: the ingest buffer and its bound, rows per table, voice sessions, times,
stat channel names, and the cache that drops a server's results on a noticeable change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wolaro.data.cache import MemoryCache
from wolaro.modules.statistics import stat_channels, views
from wolaro.modules.statistics.cache import StatsCache
from wolaro.modules.statistics.config import Config, Figure
from wolaro.modules.statistics.ingest import Buffer, rows_of
from wolaro.modules.statistics.times import day_of_hour, hour_of_snowflake, period_days, split_by_hour
from wolaro.modules.statistics.voice import RESUME_GAP, VoiceTracker, restored

HOUR = 490_000  # 2025-11-24 16:00 UTC


def test_messages_are_counted_per_guild_hour_channel_and_member():
    buffer = Buffer()
    for _ in range(3):
        buffer.add_message(1, HOUR, 10, 100)
    buffer.add_message(1, HOUR, 11, 100)
    buffer.add_message(1, HOUR + 1, 10, 101)
    batch = buffer.take()
    assert batch.messages == {(1, HOUR, 10, 100): 3, (1, HOUR, 11, 100): 1, (1, HOUR + 1, 10, 101): 1}
    assert batch.events == 5 and not len(buffer)


def test_the_buffer_is_bounded_and_counts_what_it_drops():
    buffer = Buffer(max_keys=2)
    assert buffer.add_message(1, HOUR, 10, 100) and buffer.add_message(1, HOUR, 10, 101)
    assert not buffer.add_message(1, HOUR, 10, 102)  # a third counter does not fit
    assert buffer.add_message(1, HOUR, 10, 100)  # an existing one still counts
    assert buffer.dropped == 1 and buffer.batch.events == 3


def test_a_failed_batch_is_merged_back_with_newer_counters():
    buffer = Buffer(max_keys=3)
    buffer.add_message(1, HOUR, 10, 100)
    failed = buffer.take()
    buffer.add_message(1, HOUR, 10, 100)
    buffer.add_message(1, HOUR, 10, 200)
    buffer.add_message(1, HOUR, 10, 300)
    buffer.add_member_change(1, HOUR, joined=True, member_count=7)
    assert buffer.restore(failed) == 0
    assert buffer.batch.messages == {(1, HOUR, 10, 100): 2, (1, HOUR, 10, 200): 1, (1, HOUR, 10, 300): 1}
    assert buffer.batch.members == {(1, HOUR): [1, 0, 7]}


def test_rows_roll_hours_up_into_the_servers_local_days():
    buffer = Buffer()
    # 23:00 UTC on 2025-11-24 is already the 25th in Paris (UTC+1)
    late = int(datetime(2025, 11, 24, 23, tzinfo=UTC).timestamp() // 3600)
    buffer.add_message(1, late - 1, 10, 100)
    buffer.add_message(1, late, 10, 100)
    buffer.add_voice(1, 20, 100, [(late, 600)])
    buffer.add_member_change(1, late, joined=False, member_count=41)
    rows = rows_of(buffer.take(), lambda guild: "Europe/Paris")
    first, second = day_of_hour(late - 1, "Europe/Paris"), day_of_hour(late, "Europe/Paris")
    assert second == first + 1
    assert sorted(rows.user_daily) == [(1, first, 100, 1, 0), (1, second, 100, 1, 600)]
    assert sorted(rows.channel_daily) == [(1, first, 10, 1, 0), (1, second, 10, 1, 0), (1, second, 20, 0, 600)]
    assert sorted(rows.guild_daily) == [(1, first, 1, 0, 0, 0, None), (1, second, 1, 600, 0, 1, 41)]
    assert len(rows.hourly) == 3


def test_opted_out_members_and_ignored_channels_are_left_out_of_a_flush():
    buffer = Buffer()
    buffer.add_message(1, HOUR, 10, 100)
    buffer.add_message(1, HOUR, 10, 200)
    buffer.add_message(1, HOUR, 99, 300)
    batch = buffer.take()
    assert batch.without(set(), None) is batch
    kept = batch.without({(1, 200)}, lambda guild, channel: channel == 99)
    assert kept.messages == {(1, HOUR, 10, 100): 1}


def test_voice_time_counts_joins_moves_and_leaves_split_by_hour():
    tracker = VoiceTracker()
    start = HOUR * 3600 + 3000.0  # 10 minutes before the hour ends
    assert tracker.update(1, 100, 20, True, start) == []
    (moved,) = tracker.update(1, 100, 21, True, start + 1200)  # across the hour: 600 s + 600 s
    assert moved.channel_id == 20 and moved.pieces == ((HOUR, 600), (HOUR + 1, 600))
    (left,) = tracker.update(1, 100, None, True, start + 1500)
    assert left.channel_id == 21 and left.pieces == ((HOUR + 1, 300),)
    assert tracker.closed == {(1, 100)} and not tracker.sessions


def test_deafened_time_is_not_counted_and_checkpoints_never_count_twice():
    tracker = VoiceTracker()
    tracker.update(1, 100, 20, True, 1000.0)
    (heard,) = tracker.update(1, 100, 20, False, 1100.0)  # deafens: 100 s counted so far
    assert sum(s for _, s in heard.pieces) == 100
    assert tracker.checkpoint(1500.0) == []  # deafened: nothing
    tracker.update(1, 100, 20, True, 1600.0)  # undeafens
    (after,) = tracker.checkpoint(1700.0)
    assert sum(s for _, s in after.pieces) == 100
    assert tracker.checkpoint(1700.0) == [] and tracker.checkpoint(1650.0) == []  # never again, never negative


def test_a_session_left_open_by_a_crash_is_resumed_only_if_the_member_stayed():
    assert restored(20, 20, 1000, 5000, 5000 + RESUME_GAP) is not None
    assert restored(20, 20, 1000, 5000, 5001 + RESUME_GAP) is None  # away too long: closed at its checkpoint
    assert restored(None, 20, 1000, 5000, 5010) is None  # left meanwhile
    assert restored(21, 20, 1000, 5000, 5010) is None  # moved meanwhile
    assert restored(20, 20, 1000, 6000, 5010) is None  # a checkpoint in the future (clock jump) is not trusted


def test_times():
    assert hour_of_snowflake(0) == 1420070400 // 3600
    assert split_by_hour(10.0, 10.0) == [] and split_by_hour(20.0, 10.0) == []
    assert split_by_hour(3500.0, 7300.0) == [(0, 100), (1, 3600), (2, 100)]
    now = datetime(2026, 1, 1, 0, 30, tzinfo=UTC)  # still Dec 31st in New York
    assert period_days("day", "America/New_York", now)[0] == period_days("day", "UTC", now)[0] - 1
    first, last = period_days("week", "America/New_York", now)
    assert last - first == 6 and period_days("all", "UTC", now)[0] == 0


def test_stat_channel_names_and_config():
    assert stat_channels.channel_name("Members: {value}", 12345) == "Members: 12,345"
    assert stat_channels.channel_name("Membres : {value}", 12345, "fr") == "Membres : 12\u202f345"
    assert len(stat_channels.channel_name("x" * 89 + "{value}", 10**9)) == 100
    assert stat_channels.figure_value(Figure.ONLINE, {"online": 7}) == 7
    with pytest.raises(ValueError):
        Config.model_validate({"stat_channels": [{"channel_id": 1234567890123, "template": "no figure"}]})
    with pytest.raises(ValueError):
        Config.model_validate({"timezone": "Mars/Olympus"})
    assert stat_channels.configured({"stat_channels": [{"channel_id": "x"}, {"channel_id": 1234567890123}]})


def test_voice_time_is_shown_in_hours_minutes_and_seconds():
    assert [views.voice_time(s) for s in (0, 59, 61, 3600, 36_000 + 125)] == [
        "0s",
        "59s",
        "1m 01s",
        "1h 00m",
        "10h 02m",
    ]


async def test_results_are_cached_and_dropped_on_a_noticeable_change():
    cache = StatsCache(MemoryCache())
    calls = []

    async def compute():
        calls.append(1)
        return {"messages": 1000}

    assert await cache.get_or_compute(1, "overview", compute) == {"messages": 1000}
    await cache.get_or_compute(1, "overview", compute)
    assert len(calls) == 1
    await cache.changed({1: 5})  # 0.5 % of what was shown: kept
    await cache.get_or_compute(1, "overview", compute)
    assert len(calls) == 1
    await cache.changed({1: 5, 2: 1})  # 1 % in all: dropped
    await cache.get_or_compute(1, "overview", compute)
    assert len(calls) == 2
