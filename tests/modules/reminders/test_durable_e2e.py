"""A reminder due while the bot process is down (killed) is delivered once, by the next process, after it starts."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from tests.support.harness import PlatformProcess, answered, process_env
from tests.support.moderation import Place, say
from wolaro.data.database import Database
from wolaro.jobs import ScheduledJob
from wolaro.settings import Settings

pytestmark = pytest.mark.timeout(120)


def reminders_in(sandbox, channel: int) -> list[str]:
    return [m["content"] for m in sandbox.bot_messages(channel) if m["content"].startswith("⏰")]


async def test_a_reminder_due_during_a_crash_is_delivered_once_after_restart(sandbox, tmp_path):
    place = Place.of(sandbox)
    user = place.plain[0]
    data_dir = tmp_path / "data"
    env = process_env(sandbox, DATA_DIR=str(data_dir), JOBS_POLL_INTERVAL="0.2", API_PORT="0", LOG_LEVEL="WARNING")
    first = PlatformProcess(env, tmp_path / "first.log").start()
    second: PlatformProcess | None = None
    try:
        await answered(sandbox, place.channel, place.owner)
        reply = await say(sandbox, place.channel, user, "!remind 2s feed the cat")
        assert reply["content"].startswith("I'll remind you on <t:"), reply["content"]
        first.kill()  # SIGKILL: no shutdown; the reminder is only a row in the database now
        await asyncio.sleep(3)
        assert reminders_in(sandbox, place.channel) == []

        second = PlatformProcess(env, tmp_path / "second.log").start()
        delivered = await sandbox.wait_for_message(
            place.channel, predicate=lambda m: m["content"].startswith("⏰"), timeout=30
        )
        assert delivered["content"].startswith(f"⏰ <@{user}>, you asked me <t:")
        assert delivered["content"].endswith("remind you: feed the cat")
        await asyncio.sleep(1.5)  # a second delivery would have arrived by now
        assert len(reminders_in(sandbox, place.channel)) == 1
    finally:
        for process in (first, second):
            if process is not None:
                process.stop()
    db = Database(Settings(_env_file=None, data_dir=data_dir).effective_database_url)
    try:
        async with db.session() as session:
            query = select(ScheduledJob).where(ScheduledJob.kind == "reminders.deliver")  # other modules plan jobs too
            (job,) = (await session.execute(query)).scalars().all()
    finally:
        await db.dispose()
    assert (job.kind, job.status, job.attempts) == ("reminders.deliver", "done", 1)
    for process in (first, second):
        assert "Traceback" not in process.log(), process.log()[-3000:]
