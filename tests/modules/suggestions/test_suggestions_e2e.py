"""Suggestions through the real bot and the sandbox: submitted by command and by form, voted on with buttons,
approved and denied by staff with a reason, and the author told (by DM, or in the channel if DMs are closed)."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.moderation import Place, audit_actions, dm_texts, say, slash
from wolaro.modules.suggestions import service

pytestmark = pytest.mark.timeout(60)


async def configure(sandbox, place: Place, key: str, value: str) -> None:
    reply = await say(sandbox, place.channel, place.owner, f"!config set suggestions {key} {value}")
    assert "is now" in reply["content"], reply["content"]


async def click(sandbox, board: int, message: dict, user: int, up: bool) -> dict:
    custom_id = service.vote_custom_id(int(message["embeds"][0]["title"].split("#")[1]), up)
    record = await sandbox.invoke_component(board, int(message["id"]), user, custom_id)
    return await sandbox.wait_for_interaction_response(record)


def buttons(sandbox, board: int, message: dict) -> list[str]:
    shown = sandbox.find_message(board, int(message["id"]))
    return [b["label"] for row in shown["components"] for b in row["components"]]


async def test_suggestions_flow_through_votes_approval_and_denial(sandbox, bot):
    place = Place.of(sandbox)
    board = place.modlog  # the guild's second channel serves as the suggestions channel
    a, b, c = place.plain
    await say(sandbox, place.channel, place.owner, "!modules enable suggestions")
    refused = await say(sandbox, place.channel, a, "!suggest a music channel")
    assert "an admin must choose a suggestions channel" in refused["content"]
    await configure(sandbox, place, "channel_id", str(board))
    await configure(sandbox, place, "staff_role_id", str(sandbox.role_id(place.guild, "Moderator")))

    reply = await say(sandbox, place.channel, a, "!suggest a music channel")
    assert reply["content"] == f"Your suggestion #1 is posted in <#{board}>."
    first = sandbox.bot_messages(board)[-1]
    assert first["embeds"][0]["title"] == "💡 Suggestion #1"
    assert first["embeds"][0]["description"] == "a music channel"

    opened = await sandbox.invoke_slash(place.guild, place.channel, b, "suggest")
    form = await sandbox.wait_for_interaction_response(opened)
    assert form["data"]["custom_id"] == service.MODAL_ID
    submitted = await sandbox.submit_modal(opened, {service.MODAL_TEXT_ID: "movie nights on Fridays"})
    answer = await sandbox.wait_for_interaction_response(submitted)
    assert answer["content"] == f"Your suggestion #2 is posted in <#{board}>." and answer["ephemeral"]
    second = sandbox.bot_messages(board)[-1]
    assert second["embeds"][0]["description"] == "movie nights on Fridays"

    await click(sandbox, board, first, b, True)
    assert buttons(sandbox, board, first) == ["1", "0"]
    await click(sandbox, board, first, c, True)
    assert buttons(sandbox, board, first) == ["2", "0"]
    await click(sandbox, board, first, c, False)  # changes their mind
    assert buttons(sandbox, board, first) == ["1", "1"]
    await click(sandbox, board, first, a, True)
    assert buttons(sandbox, board, first) == ["2", "1"]
    await click(sandbox, board, first, a, True)  # the same button again takes the vote back
    assert buttons(sandbox, board, first) == ["1", "1"]
    queue = await say(sandbox, place.channel, c, "!suggestion")
    assert "Suggestions waiting: 2" in queue["embeds"][0]["title"]
    assert "**#1** 👍 1 · 👎 1" in queue["embeds"][0]["description"]

    denied = await say(sandbox, place.channel, c, "!suggestion approve 1 sure")
    assert "Only staff" in denied["content"]
    await sandbox.send_message(place.channel, place.mod, "!suggestion approve 1 great idea, this week")
    await sandbox.wait_for_message(place.channel, predicate=lambda m: m["content"] == "Suggestion #1 approved.")
    decided = sandbox.find_message(board, int(first["id"]))
    assert decided["components"] == []
    fields = {f["name"]: f["value"] for f in decided["embeds"][0]["fields"]}
    assert fields["Approved"] == f"By <@{place.mod}>: great idea, this week" and fields["Votes"] == "👍 1 · 👎 1"
    assert (
        dm_texts(sandbox, a)[-1].startswith("Your suggestion #1 in **")
        and "approved. Reason: great idea" in (dm_texts(sandbox, a)[-1])
    )

    sandbox.state.users[b].dms_open = False  # b is told in the suggestions channel instead
    await sandbox.send_message(place.channel, place.owner, "!suggestion deny 2 we already have one")
    told = await sandbox.wait_for_message(board, predicate=lambda m: m["content"].startswith(f"<@{b}>"))
    assert told["content"] == f"<@{b}>, your suggestion #2 was denied. Reason: we already have one"
    fields = {f["name"]: f["value"] for f in sandbox.find_message(board, int(second["id"]))["embeds"][0]["fields"]}
    assert fields["Denied"] == f"By <@{place.owner}>: we already have one"
    await sandbox.wait_for_message(place.channel, predicate=lambda m: m["content"] == "Suggestion #2 denied.")
    again = await say(sandbox, place.channel, place.owner, "!suggestion approve 2")
    assert again["content"] == "Suggestion #2 has already been decided."
    assert (await say(sandbox, place.channel, c, "!suggestion"))[
        "content"
    ] == "No suggestion is waiting for a decision."
    actions = await audit_actions(bot, place.guild)
    assert actions[-2:] == ["suggestions.approve", "suggestions.deny"]


async def test_slash_suggestion_too_long_is_refused_clearly(sandbox, bot):
    place = Place.of(sandbox)
    await say(sandbox, place.channel, place.owner, "!modules enable suggestions")
    await say(sandbox, place.channel, place.owner, f"!config set suggestions channel_id {place.modlog}")
    answer = await slash(sandbox, place, place.plain[0], "suggest", {"text": "x" * 1001})
    assert answer["ephemeral"] and answer["content"] == "A suggestion has at most 1000 characters."


async def test_votes_arriving_together_leave_the_right_counts_on_the_buttons(sandbox, bot, eventually):
    place = Place.of(sandbox)
    board = place.modlog
    await say(sandbox, place.channel, place.owner, "!modules enable suggestions")
    await configure(sandbox, place, "channel_id", str(board))
    await say(sandbox, place.channel, place.plain[0], "!suggest more emojis")
    shown = sandbox.bot_messages(board)[-1]
    voters = sandbox.member_ids(place.guild)  # six members: four for, two against, all at once
    await asyncio.gather(*(click(sandbox, board, shown, user, n < 4) for n, user in enumerate(voters)))
    await eventually(lambda: buttons(sandbox, board, shown) == ["4", "2"], timeout=5)
