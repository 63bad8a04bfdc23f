"""Polls through the real bot and the sandbox: a native poll and button polls open, take votes and close with the
right results, by `/poll end` and by the durable job."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.moderation import Place, say
from wolaro.data.models import utcnow
from wolaro.modules.polls import service, store

pytestmark = pytest.mark.timeout(60)

SCREENS = Path("/work/notes/screens/15")


def save_screen(image: bytes) -> None:
    """Keep the chart for people to look at."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    (SCREENS / "poll-chart.png").write_bytes(image)


async def enable(sandbox, place: Place) -> None:
    assert "enabled" in (await say(sandbox, place.channel, place.owner, "!modules enable polls"))["content"]


async def started(sandbox, place: Place, user: int, command: str) -> tuple[int, dict]:
    """Run a poll command; (the poll's number, its message)."""
    await sandbox.send_message(place.channel, user, command)
    ack = await sandbox.wait_for_message(place.channel, predicate=lambda m: "started" in m["content"], timeout=5)
    number = int(ack["content"].split("#")[1].split()[0])
    shown = next(m for m in reversed(sandbox.bot_messages(place.channel)) if m.get("poll") or m["components"])
    return number, shown


async def click(sandbox, place: Place, message: dict, user: int, option: int) -> str:
    custom_id = service.vote_custom_id(int(message["embeds"][0]["footer"]["text"].split("#")[1]), option)
    record = await sandbox.invoke_component(place.channel, int(message["id"]), user, custom_id)
    answer = await sandbox.wait_for_interaction_response(record)
    assert answer["ephemeral"], answer
    return answer["content"]


async def test_a_native_poll_opens_takes_votes_and_closes_with_discords_counts(sandbox, bot):
    place = Place.of(sandbox)
    a, b, c = place.plain
    await enable(sandbox, place)
    number, shown = await started(sandbox, place, a, '!poll native 1d "Best fruit?" "apple | pear | plum"')
    poll = shown["poll"]
    assert poll["question"]["text"] == "Best fruit?"
    assert [x["poll_media"]["text"] for x in poll["answers"]] == ["apple", "pear", "plum"]
    channel, message = place.channel, int(shown["id"])
    await sandbox.vote_poll(channel, message, a, 1)
    await sandbox.vote_poll(channel, message, b, 2)
    await sandbox.vote_poll(channel, message, c, 2)
    listed = await say(sandbox, place.channel, a, "!poll")
    assert "Best fruit?" in listed["embeds"][0]["description"]

    refused = await say(sandbox, place.channel, b, f"!poll end {number}")
    assert "Only the poll's author" in refused["content"]
    await sandbox.send_message(place.channel, a, f"!poll end {number}")
    await sandbox.wait_for_message(place.channel, predicate=lambda m: m["content"] == f"Poll #{number} closed.")
    assert sandbox.state.message(channel, message)["poll"]["results"]["is_finalized"] is True
    system = [m for m in sandbox.state.history(channel).values() if m["type"] == 46]
    assert len(system) == 1 and {"name": "victor_answer_text", "value": "pear"} in system[0]["embeds"][0]["fields"]
    closed = await store.get(bot.services.db, place.guild, number)
    assert closed is not None and closed.results == [1, 2, 0] and not closed.open
    assert await bot.services.jobs.pending(guild_id=place.guild, kind=service.CLOSE_JOB) == []


async def test_a_native_poll_is_closed_by_its_job(sandbox, bot):
    place = Place.of(sandbox)
    await enable(sandbox, place)
    number, shown = await started(sandbox, place, place.owner, '!poll native 1h "Tea or coffee?" "tea | coffee"')
    await sandbox.vote_poll(place.channel, int(shown["id"]), place.plain[0], 2)
    jobs = bot.services.jobs
    await jobs.schedule(  # its hour is up (the same job, moved to now)
        service.CLOSE_JOB,
        run_at=utcnow(),
        guild_id=place.guild,
        payload={"poll_id": number},
        dedupe_key=store.CLOSING.key(place.guild, number),
    )
    jobs.bot = bot
    assert await jobs.run_due() == 1
    closed = await store.get(bot.services.db, place.guild, number)
    assert closed is not None and closed.results == [0, 1]
    assert sandbox.state.message(place.channel, int(shown["id"]))["poll"]["results"]["is_finalized"] is True


async def test_an_anonymous_weighted_button_poll_of_twelve_options_closes_with_a_chart(sandbox, bot, eventually):
    place = Place.of(sandbox)
    a, b, c = place.plain
    jobs = bot.services.jobs
    jobs.bot = bot
    jobs.poll_interval = 0.2
    await jobs.start()
    await enable(sandbox, place)
    moderators = sandbox.role_id(place.guild, "Moderator")
    options = " | ".join(f"option {n}" for n in range(1, 13))
    number, shown = await started(
        sandbox, place, a, f'!poll buttons 3s "Pick one" "{options}" yes "<@&{moderators}>=3"'
    )
    buttons = [x for row in shown["components"] for x in row["components"]]
    assert len(buttons) == 12 and buttons[11]["label"] == "option 12"
    assert "Results stay hidden" in shown["embeds"][0]["description"]
    said = await click(sandbox, place, shown, place.mod, 11)
    assert "count 3 times" in said and "hidden" in said and "votes (" not in said
    assert "Results stay hidden" in await click(sandbox, place, shown, a, 0)
    await click(sandbox, place, shown, b, 0)
    await click(sandbox, place, shown, c, 0)
    await click(sandbox, place, shown, c, 1)  # changes their mind
    assert "1 votes" not in shown["embeds"][0]["description"]  # nothing shown while open

    result = await sandbox.wait_for_message(
        place.channel, predicate=lambda m: m["content"].startswith("📊 The poll"), timeout=15
    )
    assert result["content"] == "📊 The poll **Pick one** closed: **option 12** wins with 3 votes."
    (attachment,) = result["attachments"]
    assert attachment["filename"] == f"poll-{number}.png"
    image = sandbox.state.attachments[int(attachment["id"])]
    assert image.startswith(b"\x89PNG")
    await asyncio.to_thread(save_screen, image)
    closed = sandbox.find_message(place.channel, int(shown["id"]))
    assert closed["components"] == [] and "Closed. 6 votes in all." in closed["embeds"][0]["description"]
    polled = await store.get(bot.services.db, place.guild, number)
    assert polled is not None and polled.results == [2, 1] + [0] * 9 + [3]
    await eventually(
        lambda: len([m for m in sandbox.bot_messages(place.channel) if "📊 The poll" in m["content"]]) == 1
    )


async def test_an_open_button_poll_shows_standings_and_its_author_ends_it(sandbox, bot):
    place = Place.of(sandbox)
    a, b, _ = place.plain
    await enable(sandbox, place)
    number, shown = await started(sandbox, place, a, '!poll buttons 1h "Movie night?" "yes | no"')
    said = await click(sandbox, place, shown, a, 0)
    assert "Your vote for **yes** is counted." in said and "yes · " in said and "1 votes (100%)" in said
    said = await click(sandbox, place, shown, b, 1)
    assert "1 votes (50%)" in said
    bad = await say(sandbox, place.channel, a, '!poll buttons 1h "Only one?" "yes"')
    assert "at least 2 options" in bad["content"]
    await sandbox.send_message(place.channel, a, f"!poll end {number}")
    result = await sandbox.wait_for_message(place.channel, predicate=lambda m: m["content"].startswith("📊 The poll"))
    assert "closed in a tie between **yes**, **no** (1 votes each)" in result["content"]
    await sandbox.wait_for_message(place.channel, predicate=lambda m: m["content"] == f"Poll #{number} closed.")
    assert "already closed" in (await say(sandbox, place.channel, a, f"!poll end {number}"))["content"]
    assert sandbox.find_message(place.channel, int(shown["id"]))["components"] == []
    late = await store.get(bot.services.db, place.guild, number)
    assert late is not None and not await store.vote(bot.services.db, late, b, 0, 1)  # a click sent before the edit
