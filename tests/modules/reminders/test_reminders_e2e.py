"""Reminders end to end: set, list, cancel, delivery in the channel or by DM, refusals, idempotent delivery."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from tests.support.moderation import Place, dm_texts, rest_calls, say, slash
from wolaro.jobs import JobContext, ScheduledJob
from wolaro.modules.reminders.jobs import deliver_reminder
from wolaro.modules.reminders.service import DELIVER_JOB
from wolaro.sandbox import permissions as perm
from wolaro.sandbox.state import Overwrite

pytestmark = pytest.mark.timeout(60)

CONFIRMED = re.compile(r"I'll remind you on <t:(\d+):F> \(<t:\d+:R>\)\. Reminder #(\d+)\.")


@pytest.fixture
def place(sandbox):
    return Place.of(sandbox)


@pytest_asyncio.fixture
async def worker(bot):
    """The job worker running in the bot's process (as in `wolaro run`), polling fast."""
    jobs = bot.services.jobs
    jobs.bot = bot
    jobs.poll_interval = 0.2
    await jobs.start()
    return jobs


def confirmed(content: str) -> tuple[int, int]:
    """(due timestamp, reminder number) of a confirmation."""
    match = CONFIRMED.fullmatch(content)
    assert match, content
    return int(match.group(1)), int(match.group(2))


def is_reminder(message: dict[str, Any]) -> bool:
    return message["content"].startswith("⏰")


def reminder_posts(sandbox, channel: int) -> list[Any]:
    """The bot's REST sends of reminders to `channel`."""
    calls = rest_calls(sandbox, "POST", f"/channels/{channel}/messages")
    return [c for c in calls if (c.json.get("content") or "").startswith("⏰")]


async def job_row(bot, job_id: int) -> ScheduledJob:
    async with bot.services.db.session() as session:
        return (await session.execute(select(ScheduledJob).where(ScheduledJob.id == job_id))).scalar_one()


async def test_a_reminder_is_delivered_in_its_channel_pinging_only_its_owner(sandbox, bot, place, worker, eventually):
    user = place.plain[0]
    before = datetime.now(UTC).timestamp()
    reply = await say(sandbox, place.channel, user, "!remind in 2s stretch your legs @everyone")
    due, number = confirmed(reply["content"])
    assert before + 1 <= due <= before + 4

    reply = await say(sandbox, place.channel, user, "!reminders")
    (line,) = reply["embeds"][0]["description"].splitlines()
    assert reply["embeds"][0]["title"] == "Your reminders here: 1"
    assert line.startswith(f"**#{number}** <t:{due}:f>") and line.endswith("stretch your legs @everyone")

    delivered = await sandbox.wait_for_message(place.channel, predicate=is_reminder, timeout=10)
    assert delivered["content"].startswith(f"⏰ <@{user}>, you asked me <t:")
    assert delivered["content"].endswith("to remind you: stretch your legs @everyone")
    assert [m["id"] for m in delivered["mentions"]] == [str(user)] and not delivered["mention_everyone"]
    (post,) = reminder_posts(sandbox, place.channel)
    assert post.json["allowed_mentions"] == {"parse": [], "users": [user], "replied_user": True}
    assert post.json["nonce"] == f"reminder-{number}" and post.json["enforce_nonce"] is True

    async def done() -> bool:
        return (await job_row(bot, number)).status == "done"

    await eventually(done)
    reply = await say(sandbox, place.channel, user, "!reminders")
    assert reply["content"] == "You have no pending reminders here."


async def test_slash_reminders_are_ephemeral_and_cancelled_only_by_their_owner(sandbox, bot, place):
    alice, bob = place.plain[0], place.plain[1]
    response = await slash(sandbox, place, alice, "remind", {"when": "1h", "text": "standup"})
    assert response["ephemeral"]
    _, number = confirmed(response["content"])
    await slash(sandbox, place, bob, "remind", {"when": "2h", "text": "lunch"})

    record = await sandbox.invoke_slash(place.guild, place.channel, alice, "reminders", subcommand="list")
    listed = await sandbox.wait_for_interaction_response(record)
    assert listed["ephemeral"] and listed["embeds"][0]["title"] == "Your reminders here: 1"
    assert "standup" in listed["embeds"][0]["description"] and "lunch" not in listed["embeds"][0]["description"]

    record = await sandbox.invoke_slash(
        place.guild, place.channel, bob, "reminders", {"number": number}, subcommand="cancel"
    )
    refused = await sandbox.wait_for_interaction_response(record)
    assert refused["ephemeral"]
    assert refused["content"] == f"Reminder #{number} is someone else's: you can only cancel your own."
    reply = await say(sandbox, place.channel, bob, f"!reminders cancel {number}")
    assert reply["content"] == f"Reminder #{number} is someone else's: you can only cancel your own."

    elsewhere = Place.of(sandbox, 1)  # another server never sees this one's reminders
    reply = await say(sandbox, elsewhere.channel, elsewhere.owner, f"!reminders cancel {number}")
    assert reply["content"] == f"There is no pending reminder #{number} here."

    reply = await say(sandbox, place.channel, alice, f"!reminders cancel {number}")
    assert reply["content"] == f"Reminder #{number} cancelled."
    reply = await say(sandbox, place.channel, alice, f"!reminders cancel {number}")
    assert reply["content"] == f"There is no pending reminder #{number} here."
    assert (await job_row(bot, number)).status == "cancelled"
    pending = await bot.services.jobs.pending(guild_id=place.guild, kind=DELIVER_JOB)
    assert [job.payload["text"] for job in pending] == ["lunch"]


async def test_refusals_bad_time_too_far_too_many(sandbox, bot, place):
    alice, bob, carol = place.plain  # each runs at most 5 commands in 5 s (the default per-command rate)
    reply = await say(sandbox, place.channel, alice, "!remind tomorrow buy milk")
    assert reply["content"].startswith("`tomorrow` is not a time.")
    reply = await say(sandbox, place.channel, alice, "!remind 5 parsecs hello")
    assert reply["content"].startswith("`5 parsecs` is not a time.")
    response = await slash(sandbox, place, alice, "remind", {"when": "soon", "text": "x"})
    assert response["ephemeral"] and response["content"].startswith("`soon` is not a time.")
    reply = await say(sandbox, place.channel, bob, "!remind 366d far away")
    assert reply["content"] == "Reminders can be set at most 52w 1d ahead here."
    reply = await say(sandbox, place.channel, bob, "!remind 0s now")
    assert reply["content"] == "A reminder needs a delay of at least one second."
    reply = await say(sandbox, place.channel, bob, "!remind 1h " + "x" * 1501)
    assert reply["content"] == "A reminder's text has at most 1500 characters."

    for key, value in (("max_horizon", "1d"), ("max_per_user", "2")):
        reply = await say(sandbox, place.channel, place.owner, f"!config set reminders {key} {value}")
        assert "is now" in reply["content"], reply["content"]
    reply = await say(sandbox, place.channel, carol, "!remind 2d later")
    assert reply["content"] == "Reminders can be set at most 1d ahead here."
    for text in ("one", "two"):
        confirmed((await say(sandbox, place.channel, carol, f"!remind 1h {text}"))["content"])
    reply = await say(sandbox, place.channel, carol, "!remind 1h three")
    assert reply["content"] == "You already have 2 pending reminders here, the most allowed: cancel one first."
    confirmed((await say(sandbox, place.channel, place.mod, "!remind 1h mine"))["content"])  # the limit is per member
    reply = await say(sandbox, place.channel, place.owner, "!config set reminders max_horizon forever")
    assert reply["content"].startswith("Invalid value for Furthest reminder")
    assert len(await bot.services.jobs.pending(guild_id=place.guild, kind=DELIVER_JOB)) == 3


async def test_reminders_in_french(sandbox, bot, place, worker):
    await say(sandbox, place.channel, place.owner, "!language fr")
    reply = await say(sandbox, place.channel, place.plain[0], "!remind demain pain")
    assert reply["content"].startswith("`demain` n'est pas un délai.")
    reply = await say(sandbox, place.channel, place.plain[0], "!remind 1s pain")
    assert reply["content"].startswith("Je vous le rappellerai le <t:")
    delivered = await sandbox.wait_for_message(place.channel, predicate=is_reminder, timeout=10)
    assert delivered["content"].endswith("de vous rappeler : pain")


async def test_a_deleted_or_closed_channel_sends_the_reminder_by_dm(sandbox, bot, place, worker, eventually):
    alice, bob, carol = place.plain
    gone, closed = sandbox.text_channel_ids(place.guild)[1:3]
    confirmed((await say(sandbox, gone, alice, "!remind 2s water the plants"))["content"])
    confirmed((await say(sandbox, closed, bob, "!remind 2s call back"))["content"])
    _, failing = confirmed((await say(sandbox, closed, carol, "!remind 2s nothing reaches me"))["content"])
    await bot.http.delete_channel(gone)
    bot_id = sandbox.state.bot_user_id
    sandbox.state.channels[closed].overwrites[bot_id] = Overwrite(id=bot_id, type=1, deny=perm.SEND_MESSAGES)
    sandbox.state.users[carol].dms_open = False

    await eventually(lambda: dm_texts(sandbox, alice) and dm_texts(sandbox, bob), timeout=10)
    (text,) = dm_texts(sandbox, alice)
    assert text.startswith("⏰ In **Cozy Cafe**, you asked me <t:") and text.endswith("remind you: water the plants")
    assert dm_texts(sandbox, bob)[0].endswith("remind you: call back")
    assert not any(is_reminder(m) for m in sandbox.bot_messages(closed))

    async def failed() -> bool:
        return (await job_row(bot, failing)).status == "failed"

    await eventually(failed, timeout=10)
    row = await job_row(bot, failing)
    assert row.attempts == 1 and "neither the channel nor the user's DMs" in row.last_error


async def test_delivering_twice_posts_once(sandbox, bot, place):
    """A worker that dies after posting leaves the job to another, which runs it again: Discord's nonce dedupes."""
    user = place.plain[0]
    _, number = confirmed((await say(sandbox, place.channel, user, "!remind 1h once only"))["content"])
    bot.services.jobs.bot = bot
    (job,) = await bot.services.jobs.pending(guild_id=place.guild, kind=DELIVER_JOB)
    for attempt in (1, 2):
        ctx = JobContext(
            job_id=number,
            kind=DELIVER_JOB,
            guild_id=place.guild,
            attempt=attempt,
            max_attempts=8,
            run_at=job.run_at,
            scheduler=bot.services.jobs,
            bot=bot,
        )
        await deliver_reminder(ctx, job.payload)
    posts = reminder_posts(sandbox, place.channel)
    assert len(posts) == 2 and posts[0].response["id"] == posts[1].response["id"]
    assert [m["content"] for m in sandbox.bot_messages(place.channel) if is_reminder(m)] == [posts[0].json["content"]]
