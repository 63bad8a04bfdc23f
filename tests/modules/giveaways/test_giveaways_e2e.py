"""Giveaways through the real bot and the sandbox: start, enter and leave by button, requirements, the end job,
an early end, a reroll and the list."""

from __future__ import annotations

import pytest

from tests.support.moderation import Place, say
from wolaro.modules.giveaways import store

pytestmark = pytest.mark.timeout(60)


def announcements(sandbox, channel: int) -> list[dict]:
    return [m for m in sandbox.bot_messages(channel) if m["content"].startswith(("🎉", "Nobody"))]


def giveaway_message(sandbox, channel: int) -> dict:
    return next(m for m in reversed(sandbox.bot_messages(channel)) if m["components"])


async def click(sandbox, channel: int, message: dict, user: int) -> str:
    custom_id = message["components"][0]["components"][0]["custom_id"]
    record = await sandbox.invoke_component(channel, int(message["id"]), user, custom_id)
    answer = await sandbox.wait_for_interaction_response(record)
    assert answer["ephemeral"], answer
    return answer["content"]


async def start(sandbox, place: Place, text: str) -> dict:
    await sandbox.send_message(place.channel, place.owner, text)
    shown = await sandbox.wait_for_message(place.channel, predicate=lambda m: bool(m["components"]), timeout=5)
    assert shown["embeds"][0]["title"].startswith("🎉"), shown
    return shown


async def test_members_enter_and_leave_and_winners_are_drawn_once_on_time(sandbox, bot, eventually):
    place = Place.of(sandbox)
    a, b, c = place.plain
    jobs = bot.services.jobs
    jobs.bot = bot
    jobs.poll_interval = 0.2
    await jobs.start()
    assert "enabled" in (await say(sandbox, place.channel, place.owner, "!modules enable giveaways"))["content"]

    shown = await start(sandbox, place, '!giveaway start 2s 2 "A golden ticket"')
    assert "Winners: 2" in shown["embeds"][0]["description"]
    assert "You're in! 1 entries" in await click(sandbox, place.channel, shown, a)
    assert "You're in! 2 entries" in await click(sandbox, place.channel, shown, b)
    assert "You're in! 3 entries" in await click(sandbox, place.channel, shown, c)
    assert "You left the giveaway" in await click(sandbox, place.channel, shown, c)

    await eventually(lambda: len(announcements(sandbox, place.channel)) == 1, timeout=10)
    (announced,) = announcements(sandbox, place.channel)
    assert announced["content"].startswith("🎉 Congratulations")
    assert "**A golden ticket**" in announced["content"]
    assert f"<@{a}>" in announced["content"] and f"<@{b}>" in announced["content"]
    assert f"<@{c}>" not in announced["content"]
    edited = sandbox.find_message(place.channel, int(shown["id"]))
    assert edited["components"] == [] and edited["embeds"][0]["description"].startswith("Ended")
    number = int(shown["embeds"][0]["footer"]["text"].split("#")[1])
    late = await store.toggle(bot.services.db, place.guild, number, c, may_enter=True)  # a click sent before the edit
    assert late == (store.Entry.ENDED, 0)
    assert sorted(await store.winners_of(bot.services.db, number)) == sorted([a, b])

    # everybody who entered already won: a reroll finds nobody else
    await sandbox.send_message(place.channel, place.owner, f"!giveaway reroll {number}")
    rerolled = await sandbox.wait_for_message(place.channel, predicate=lambda m: "Nobody else" in m["content"])
    assert "no new winner" in rerolled["content"]
    assert len([m for m in announcements(sandbox, place.channel) if "Congratulations" in m["content"]]) == 1


async def test_requirements_end_early_reroll_and_list(sandbox, bot):
    place = Place.of(sandbox)
    a, b, c = place.plain
    await say(sandbox, place.channel, place.owner, "!modules enable giveaways")
    moderator_role = sandbox.role_id(place.guild, "Moderator")
    shown = await start(sandbox, place, f'!giveaway start 1h 1 "Moderators only" <@&{moderator_role}>')
    assert f"Needs the role <@&{moderator_role}>" in shown["embeds"][0]["description"]
    assert "You need the role" in await click(sandbox, place.channel, shown, a)
    assert "You're in!" in await click(sandbox, place.channel, shown, place.mod)

    second = await start(sandbox, place, '!giveaway start 1h 1 "Anyone"')
    for user in (a, b, c):
        assert "You're in!" in await click(sandbox, place.channel, second, user)
    listed = await say(sandbox, place.channel, a, "!giveaway")
    assert "Giveaways running: 2" in listed["embeds"][0]["title"]
    assert "Moderators only" in listed["embeds"][0]["description"]

    number = int(second["embeds"][0]["footer"]["text"].split("#")[1])
    await sandbox.send_message(place.channel, place.owner, f"!giveaway end {number}")
    won = await sandbox.wait_for_message(place.channel, predicate=lambda m: "Congratulations" in m["content"])
    (first_winner,) = await store.winners_of(bot.services.db, number, 1)
    assert f"<@{first_winner}>" in won["content"]
    await sandbox.wait_for_message(place.channel, predicate=lambda m: m["content"] == f"Giveaway #{number} ended.")
    again = await say(sandbox, place.channel, place.owner, f"!giveaway end {number}")
    assert again["content"] == f"Giveaway #{number} has already ended."
    assert await bot.services.jobs.pending(guild_id=place.guild, kind="giveaways.end") != []  # the other one's

    await sandbox.send_message(place.channel, place.owner, f"!giveaway reroll {number}")
    new = await sandbox.wait_for_message(place.channel, predicate=lambda m: "New draw" in m["content"])
    (second_winner,) = await store.winners_of(bot.services.db, number, 2)
    await sandbox.wait_for_message(place.channel, predicate=lambda m: "rerolled" in m["content"])
    assert second_winner != first_winner and f"<@{second_winner}>" in new["content"]
    refused = await say(sandbox, place.channel, a, f"!giveaway end {number}")
    assert "Manage Server" in refused["content"] or "permission" in refused["content"].lower(), refused["content"]
    listed = await say(sandbox, place.channel, a, "!giveaway list")
    assert "Giveaways running: 1" in listed["embeds"][0]["title"]
