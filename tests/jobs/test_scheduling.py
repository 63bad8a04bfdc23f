"""Scheduling, replacing, cancelling and listing jobs, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text

from tests.support.jobs import Recorder, all_rows, job_row, later
from wolaro.data.database import Database
from wolaro.jobs import JobScheduler, JobStatus


async def test_schedule_writes_a_pending_row(scheduler: JobScheduler, migrated_db: Database) -> None:
    run_at = later(60)
    job_id = await scheduler.schedule(
        "test.record", run_at=run_at, guild_id=42, payload={"user_id": 7, "note": "é"}, max_attempts=3
    )
    row = await job_row(migrated_db, job_id)
    assert (row.kind, row.guild_id, row.payload, row.status) == (
        "test.record",
        42,
        {"user_id": 7, "note": "é"},
        "pending",
    )
    assert row.run_at == run_at  # timezone-aware UTC round trip on both dialects
    assert (row.attempts, row.max_attempts, row.locked_by, row.finished_at) == (0, 3, None, None)


async def test_dedupe_key_replaces_the_pending_job(scheduler: JobScheduler, migrated_db: Database) -> None:
    key = "moderation.unban:1:99"
    first = await scheduler.schedule("test.record", run_at=later(60), guild_id=1, payload={"v": 1}, dedupe_key=key)
    new_time = later(3600)
    second = await scheduler.schedule("test.record", run_at=new_time, guild_id=1, payload={"v": 2}, dedupe_key=key)
    assert second == first
    rows = await all_rows(migrated_db)
    assert len(rows) == 1
    assert rows[0].payload == {"v": 2}
    assert rows[0].run_at == new_time


async def test_dedupe_key_is_free_again_once_the_job_finished(
    scheduler: JobScheduler, recorder: Recorder, migrated_db: Database
) -> None:
    key = "reminder:1:5"
    first = await scheduler.schedule("test.record", run_at=later(-1), guild_id=1, payload={}, dedupe_key=key)
    assert await scheduler.run_due() == 1
    second = await scheduler.schedule("test.record", run_at=later(60), guild_id=1, payload={}, dedupe_key=key)
    assert second != first
    assert [(r.id, r.status) for r in await all_rows(migrated_db)] == [(first, "done"), (second, "pending")]


async def test_dedupe_key_of_another_guild_is_refused(scheduler: JobScheduler, migrated_db: Database) -> None:
    await scheduler.schedule("test.record", run_at=later(60), guild_id=1, payload={"v": 1}, dedupe_key="k")
    with pytest.raises(ValueError, match="another guild"):
        await scheduler.schedule("test.record", run_at=later(60), guild_id=2, payload={"v": 2}, dedupe_key="k")
    rows = await all_rows(migrated_db)
    assert [(r.guild_id, r.payload) for r in rows] == [(1, {"v": 1})]


async def test_cancel_by_dedupe_key_and_by_id(
    scheduler: JobScheduler, recorder: Recorder, migrated_db: Database
) -> None:
    by_key = await scheduler.schedule("test.record", run_at=later(-1), guild_id=1, payload={}, dedupe_key="a")
    by_id = await scheduler.schedule("test.record", run_at=later(-1), guild_id=1, payload={})
    kept = await scheduler.schedule("test.record", run_at=later(-1), guild_id=1, payload={})
    assert await scheduler.cancel(dedupe_key="a") is True
    assert await scheduler.cancel(job_id=by_id) is True
    assert await scheduler.cancel(job_id=by_id) is False  # already cancelled
    assert await scheduler.cancel(dedupe_key="nope") is False
    assert await scheduler.run_due() == 1
    assert set(recorder.counts()) == {kept}
    statuses = {r.id: r.status for r in await all_rows(migrated_db)}
    assert statuses == {by_key: "cancelled", by_id: "cancelled", kept: "done"}
    assert (await job_row(migrated_db, by_key)).finished_at is not None


async def test_cancel_respects_the_guild(scheduler: JobScheduler) -> None:
    job_id = await scheduler.schedule("test.record", run_at=later(60), guild_id=1, payload={})
    assert await scheduler.cancel(job_id=job_id, guild_id=2) is False
    assert await scheduler.cancel(job_id=job_id, guild_id=None) is False
    assert await scheduler.cancel(job_id=job_id, guild_id=1) is True


async def test_cancel_needs_a_target(scheduler: JobScheduler) -> None:
    with pytest.raises(ValueError):
        await scheduler.cancel()


async def test_schedule_inside_a_transaction_that_rolls_back_leaves_no_job(
    scheduler: JobScheduler, migrated_db: Database
) -> None:
    with pytest.raises(RuntimeError, match="ban failed"):
        async with migrated_db.transaction() as session:
            await session.execute(text("INSERT INTO guilds (id, settings) VALUES (5, '{}')"))
            await scheduler.schedule("test.record", run_at=later(60), guild_id=5, payload={}, session=session)
            raise RuntimeError("ban failed")
    assert await all_rows(migrated_db) == []
    async with migrated_db.session() as session:
        assert (await session.execute(text("SELECT count(*) FROM guilds"))).scalar() == 0


async def test_schedule_inside_a_transaction_commits_with_it(scheduler: JobScheduler, migrated_db: Database) -> None:
    async with migrated_db.transaction() as session:
        await session.execute(text("INSERT INTO guilds (id, settings) VALUES (5, '{}')"))
        job_id = await scheduler.schedule("test.record", run_at=later(60), guild_id=5, payload={}, session=session)
        cancelled = await scheduler.cancel(job_id=job_id, session=session)
    assert cancelled
    assert [(r.id, r.status) for r in await all_rows(migrated_db)] == [(job_id, "cancelled")]


async def test_pending_filters_by_guild_and_kind(scheduler: JobScheduler, recorder: Recorder) -> None:
    scheduler.registry.register("test.other", recorder)
    a = await scheduler.schedule("test.record", run_at=later(30), guild_id=1, payload={"n": 1})
    b = await scheduler.schedule("test.other", run_at=later(20), guild_id=1, payload={"n": 2})
    c = await scheduler.schedule("test.record", run_at=later(10), guild_id=2, payload={"n": 3})
    platform = await scheduler.schedule("test.record", run_at=later(40), guild_id=None, payload={})
    done = await scheduler.schedule("test.record", run_at=later(-1), guild_id=1, payload={})
    await scheduler.run_due()
    assert [j.id for j in await scheduler.pending(guild_id=1)] == [b, a]  # soonest first, finished jobs left out
    assert [j.id for j in await scheduler.pending(guild_id=1, kind="test.record")] == [a]
    assert [j.id for j in await scheduler.pending(guild_id=2)] == [c]
    assert [j.id for j in await scheduler.pending(guild_id=None)] == [platform]
    assert [j.id for j in await scheduler.pending()] == [c, b, a, platform]
    assert [j.id for j in await scheduler.pending(limit=2)] == [c, b]
    info = (await scheduler.pending(guild_id=2))[0]
    assert (info.kind, info.payload, info.status, info.attempts) == ("test.record", {"n": 3}, JobStatus.PENDING, 0)
    assert done not in [j.id for j in await scheduler.pending()]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"kind": "Bad Kind"}, "invalid job kind"),
        ({"run_at": datetime(2030, 1, 1)}, "timezone-aware"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"dedupe_key": ""}, "dedupe_key"),
        ({"dedupe_key": "x" * 201}, "dedupe_key"),
        ({"payload": {"when": object()}}, "JSON"),
    ],
)
async def test_bad_arguments_are_refused(
    scheduler: JobScheduler, migrated_db: Database, arguments: dict[str, object], message: str
) -> None:
    values: dict[str, object] = {"kind": "test.record", "run_at": later(5), "guild_id": 1, "payload": {}}
    values.update(arguments)
    kind = values.pop("kind")
    with pytest.raises(ValueError, match=message):
        await scheduler.schedule(kind, **values)  # type: ignore[arg-type]
    assert await all_rows(migrated_db) == []
