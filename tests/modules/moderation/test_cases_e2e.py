"""The case log end to end: case, reason, modlogs with page buttons, warnings, pardon, clearwarns, warn expiry."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from tests.support.moderation import Place, audit_actions, rest_calls, say, set_config, slash
from wolaro.data.models import AuditLog
from wolaro.modules.moderation.service import Action, enforce

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def place(sandbox):
    return Place.of(sandbox)


async def test_case_shows_and_reason_edits_the_case_and_its_modlog_post(sandbox, bot, place):
    target = place.plain[0]
    await set_config(sandbox, place, "modlog_channel_id", str(place.modlog))
    await say(sandbox, place.channel, place.mod, f"!warn <@{target}> first reason")
    (post,) = [m for m in sandbox.bot_messages(place.modlog) if m["embeds"]]

    reply = await say(sandbox, place.channel, place.mod, "!case 1")
    embed = reply["embeds"][0]
    assert embed["title"] == "Case #1 | Warning"
    assert {f["name"]: f["value"] for f in embed["fields"]}["Reason"] == "first reason"

    response = await slash(sandbox, place, place.mod, "reason", {"number": 1, "text": "posting scam links"})
    assert response["content"] == "Reason of case #1 updated."
    assert len(rest_calls(sandbox, "PATCH", f"/channels/{place.modlog}/messages/{post['id']}")) == 1
    stored = sandbox.state.messages[place.modlog][int(post["id"])]
    assert {f["name"]: f["value"] for f in stored["embeds"][0]["fields"]}["Reason"] == "posting scam links"
    async with bot.services.db.session() as session:
        row = await session.scalar(select(AuditLog).where(AuditLog.action == "moderation.reason"))
    assert row.before == {"reason": "first reason"} and row.after == {"reason": "posting scam links"}
    assert row.actor_id == place.mod and row.target == "case:1"

    reply = await say(sandbox, place.channel, place.mod, "!case 99")
    assert reply["content"] == "There is no case #99 here."
    response = await slash(sandbox, place, place.mod, "reason", {"number": 99, "text": "x"})
    assert response["ephemeral"] and response["content"] == "There is no case #99 here."


async def test_a_case_number_too_large_for_any_case_is_refused_clearly(sandbox, bot, place):
    reply = await say(sandbox, place.channel, place.mod, "!case 99999999999999999999")
    assert reply["content"].startswith("Invalid input") and "Usage: `!case <number>`" in reply["content"]
    reply = await say(sandbox, place.channel, place.mod, "!pardon 0")
    assert reply["content"].startswith("Invalid input")


async def test_modlogs_pages_turn_only_for_the_moderator_who_asked(sandbox, bot, place):
    target = place.plain[0]
    guild = bot.get_guild(place.guild)
    for n in range(7):
        await enforce(
            bot,
            await bot.config.get(guild.id),
            guild=guild,
            target=target,
            action=Action.NOTE,
            moderator_id=place.mod,
            reason=f"note {n + 1}",
        )
    response = await slash(sandbox, place, place.mod, "modlogs", {"user": target})
    message = response["message"]
    embed = response["embeds"][0]
    assert embed["footer"]["text"] == "Page 1 of 2 · 7 cases"
    assert embed["description"].splitlines()[0].startswith("**#7** Note · note 7")
    previous, following = response["components"][0]["components"]
    assert previous["disabled"] and not following.get("disabled")
    assert (previous["label"], following["label"]) == ("Previous", "Next")

    other = await sandbox.invoke_component(place.channel, int(message["id"]), place.owner, following["custom_id"])
    answer = await sandbox.wait_for_interaction_response(other)
    assert answer["ephemeral"] and answer["content"] == f"Only <@{place.mod}> can turn these pages."
    assert sandbox.find_message(place.channel, int(message["id"]))["embeds"][0]["footer"]["text"].startswith("Page 1")

    mine = await sandbox.invoke_component(place.channel, int(message["id"]), place.mod, following["custom_id"])
    await sandbox.wait_for_interaction_response(mine)
    turned = sandbox.find_message(place.channel, int(message["id"]))
    assert turned["embeds"][0]["footer"]["text"] == "Page 2 of 2 · 7 cases"
    assert [line.split(" · ")[1] for line in turned["embeds"][0]["description"].splitlines()] == ["note 2", "note 1"]
    previous, following = turned["components"][0]["components"]
    assert not previous.get("disabled") and following["disabled"]

    reply = await say(sandbox, place.channel, place.mod, f"!modlogs <@{place.plain[1]}>")
    assert reply["content"] == f"**{sandbox.state.users[place.plain[1]].username}** has no cases here."


async def test_warnings_pardon_and_clearwarns(sandbox, bot, place):
    target = place.plain[0]
    name = sandbox.state.users[target].username
    await set_config(sandbox, place, "modlog_channel_id", str(place.modlog))
    for reason in ("one", "two", "three"):
        await say(sandbox, place.channel, place.mod, f"!warn <@{target}> {reason}")
    await say(sandbox, place.channel, place.mod, f"!note <@{target}> just a note")

    reply = await say(sandbox, place.channel, place.mod, f"!warnings <@{target}>")
    assert reply["embeds"][0]["title"] == f"Active warnings of {name}: 3"
    reply = await say(sandbox, place.channel, place.mod, "!pardon 2 misunderstanding")
    assert reply["content"] == "Warning #2 pardoned: it no longer counts."
    reply = await say(sandbox, place.channel, place.mod, "!pardon 2")
    assert reply["content"] == "Warning #2 is already pardoned or expired."
    reply = await say(sandbox, place.channel, place.mod, "!pardon 4")
    assert reply["content"] == "Case #4 is not a warning."
    response = await slash(sandbox, place, place.mod, "warnings", {"user": target})
    assert response["embeds"][0]["title"] == f"Active warnings of {name}: 2"
    assert "#2" not in response["embeds"][0]["description"]

    response = await slash(sandbox, place, place.mod, "clearwarns", {"user": target, "reason": "fresh start"})
    assert response["content"] == f"Cleared 2 warnings of **{name}**."
    reply = await say(sandbox, place.channel, place.mod, f"!warnings <@{target}>")
    assert reply["content"] == f"**{name}** has no active warnings."
    reply = await say(sandbox, place.channel, place.mod, f"!clearwarns <@{target}>")
    assert reply["content"] == f"**{name}** has no active warnings."
    notices = [m["embeds"][0]["title"] for m in sandbox.bot_messages(place.modlog) if m["embeds"]]
    assert notices[-2:] == ["Warning #2 pardoned", "Warnings cleared"]
    actions = [a for a in await audit_actions(bot, place.guild) if a.startswith("moderation")]
    assert actions == ["moderation.warn"] * 3 + ["moderation.note", "moderation.pardon", "moderation.clearwarns"]
    reply = await say(sandbox, place.channel, place.plain[1], "!pardon 1")
    assert reply["content"] == "You need these permissions: Moderate Members."


async def test_warnings_expire_after_the_configured_time(sandbox, bot, place):
    target = place.plain[0]
    await set_config(sandbox, place, "warn_expiry", "1s")
    await set_config(sandbox, place, "escalation", '[{"warns": 2, "action": "kick"}]')
    reply = await say(sandbox, place.channel, place.mod, f"!warn <@{target}> one")
    assert "Active warnings: 1." in reply["content"]
    await asyncio.sleep(1.2)
    reply = await say(sandbox, place.channel, place.mod, f"!warn <@{target}> two")
    assert "Active warnings: 1." in reply["content"] and "escalation" not in reply["content"]
    assert target in sandbox.state.guild(place.guild).members
    reply = await say(sandbox, place.channel, place.mod, "!case 1")
    fields = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}
    assert fields["Status"] == "No longer in force" and "Expires" in fields
    reply = await say(sandbox, place.channel, place.mod, "!pardon 1")
    assert reply["content"] == "Warning #1 is already pardoned or expired."
