"""Custom commands end to end through the sandbox: every trigger, cooldown, roles, channels, store, try, import."""

from __future__ import annotations

import asyncio
import json

import pytest
import pytest_asyncio

from tests.support.moderation import Place, say

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def place(sandbox):
    return Place.of(sandbox)


@pytest_asyncio.fixture
async def enabled(sandbox, bot, place):
    reply = await say(sandbox, place.channel, place.owner, "!modules enable customcommands")
    assert "enabled" in reply["content"], reply["content"]
    return place


async def add(sandbox, place, text: str) -> str:
    return (await say(sandbox, place.channel, place.owner, text))["content"]


async def quiet(sandbox, channel: int, author: int, content: str, wait: float = 0.6) -> None:
    """`content` gets no answer."""
    await sandbox.send_message(channel, author, content)
    with pytest.raises(TimeoutError):
        await sandbox.wait_for_message(channel, timeout=wait)


async def test_every_trigger_answers_with_its_template(sandbox, enabled):
    place = enabled
    user = place.plain[0]
    assert await add(
        sandbox, place, "!cc add hello Hi {{ user.mention }} in {{ guild.name }}, you said {{ args_text }}"
    ) == ("Custom command hello created.")
    reply = await say(sandbox, place.channel, user, "!hello there friend")
    assert reply["content"].startswith(f"Hi <@{user}> in ") and reply["content"].endswith("you said there friend")
    assert reply["allowed_mentions"]["parse"] == [] if "allowed_mentions" in reply else True

    await add(sandbox, place, "!cc add gm Good morning {{ user.name }}!")
    assert "updated" in await add(sandbox, place, "!cc trigger gm startswith good morning")
    assert (await say(sandbox, place.channel, user, "Good morning all"))["content"].startswith("Good morning ")

    await add(sandbox, place, "!cc add pizza Pizza time")
    await add(sandbox, place, "!cc trigger pizza contains pizza")
    assert (await say(sandbox, place.channel, user, "who wants PIZZA tonight"))["content"] == "Pizza time"

    await add(sandbox, place, "!cc add ping2 pong")
    await add(sandbox, place, "!cc trigger ping2 exact ping?")
    assert (await say(sandbox, place.channel, user, "ping?"))["content"] == "pong"
    await quiet(sandbox, place.channel, user, "ping? no")

    await add(sandbox, place, "!cc add order Order {{ args_text }} noted")
    await add(sandbox, place, r"!cc trigger order regex ^order #\d{3}$")
    assert (await say(sandbox, place.channel, user, "order #123"))["content"] == "Order  noted"
    await quiet(sandbox, place.channel, user, "order #12")

    await add(sandbox, place, "!cc add where You are in {{ channel.mention }} ({{ channel.name }}), {{ args[1] }}")
    assert "updated" in await add(sandbox, place, "!cc embed where true Where am I?")
    reply = await say(sandbox, place.channel, user, "!where a b c")
    (embed,) = reply["embeds"]
    channel_name = sandbox.state.channels[place.channel].name
    assert (
        embed["title"] == "Where am I?" and embed["description"] == f"You are in <#{place.channel}> ({channel_name}), b"
    )

    await add(sandbox, place, "!cc aliases hello hi hey")
    assert (await say(sandbox, place.channel, user, "!hey"))["content"].startswith(f"Hi <@{user}>")


async def test_names_of_built_in_commands_are_refused(sandbox, enabled):
    place = enabled
    assert (
        await add(sandbox, place, "!cc add ping pong")
        == "ping is already one of the bot's commands: choose another name."
    )
    await add(sandbox, place, "!cc add greet hi")
    assert await add(sandbox, place, "!cc aliases greet remind") == (
        "remind is already one of the bot's commands: choose another name."
    )
    reply = await add(sandbox, place, "!cc add bad {% for %}")  # what is wrong and where, in our words
    assert reply == "Line 1, character 4: something is missing or misplaced here (a name, a value or an operator)."


async def test_cooldown_role_and_channel_restrictions(sandbox, enabled):
    place = enabled
    user, other = place.plain[0], place.plain[1]
    await add(sandbox, place, "!cc add gift Here is your daily gift")
    await add(sandbox, place, "!cc cooldown gift 60")
    assert (await say(sandbox, place.channel, user, "!gift"))["content"] == "Here is your daily gift"
    assert (await say(sandbox, place.channel, user, "!gift"))["content"] == "Wait 60 s before using gift again."
    assert (await say(sandbox, place.channel, other, "!gift"))["content"] == "Here is your daily gift"

    moderator_role = sandbox.role_id(place.guild, "Moderator")
    await add(sandbox, place, "!cc add modhelp Moderators, see the handbook")
    await add(sandbox, place, f"!cc roles modhelp <@&{moderator_role}>")
    reply = await say(sandbox, place.channel, user, "!modhelp")
    assert reply["content"] == f"You need one of these roles to use modhelp: <@&{moderator_role}>."
    assert (await say(sandbox, place.channel, place.mod, "!modhelp"))["content"] == "Moderators, see the handbook"

    await add(sandbox, place, "!cc add here only here")
    await add(sandbox, place, f"!cc channels here <#{place.modlog}>")
    await quiet(sandbox, place.channel, user, "!here")
    assert (await say(sandbox, place.modlog, user, "!here"))["content"] == "only here"


async def test_store_counts_across_runs_within_its_quota(sandbox, bot, enabled):
    place = enabled
    user = place.plain[0]
    template = (
        "{% assign n = store.visits | default: 0 | plus: 1 %}{{ 'visits' | store_set: n }}Visit {{ n }}"
        "{{ args[0] | store_set: 'x' }}"
    )
    await add(sandbox, place, f"!cc add visit {template}")
    reply = await add(sandbox, place, "!config set customcommands storage_keys 2")
    assert "is now" in reply
    assert (await say(sandbox, place.channel, user, "!visit a"))["content"] == "Visit 1"
    assert (await say(sandbox, place.channel, user, "!visit a"))["content"] == "Visit 2"
    reply = await say(sandbox, place.channel, user, "!visit b")
    assert reply["content"] == "Visit 3\n(Not saved: this server's storage is full.)"
    from wolaro.modules.customcommands import store

    assert await store.read_all(bot.services.db, place.guild) == {"visits": "3", "a": "x"}


async def test_try_renders_without_posting_and_hostile_templates_end(sandbox, enabled):
    place = enabled
    reply = await add(
        sandbox, place, "!cc try {{ user.__class__ }}{{ 'x' | append: 'y' }}{% for i in (1..5) %}{{ i }}{% endfor %}"
    )
    assert reply == "xy12345"
    reply = await add(sandbox, place, "!cc try {% for i in (1..100000) %}x{% endfor %}")
    assert reply == "The template does too much work (over 20000 steps)."
    reply = await add(sandbox, place, "!cc try {% include 'self' %}")
    assert reply == "Templates cannot include other templates."

    await add(
        sandbox, place, "!cc add heavy {% for a in (1..1000) %}{% for b in (1..9) %}{{ a }}{% endfor %}{% endfor %}"
    )
    other = Place.of(sandbox, 1)
    heavy = asyncio.gather(*(sandbox.send_message(place.channel, place.plain[0], "!heavy") for _ in range(3)))
    await heavy
    assert (await say(sandbox, other.channel, other.owner, "!ping"))["content"].startswith("Pong")


async def test_export_and_import_round_trip_through_chat(sandbox, bot, enabled):
    place = enabled
    await add(sandbox, place, "!cc add rules Read the rules")
    await add(sandbox, place, "!cc cooldown rules 5")
    reply = await say(sandbox, place.channel, place.owner, "!cc export")
    (attachment,) = reply["attachments"]
    assert attachment["filename"] == "custom-commands.json"
    exported = sandbox.state.attachments[int(attachment["id"])]
    document = json.loads(exported)
    assert document["commands"][0]["name"] == "rules" and document["commands"][0]["cooldown_seconds"] == 5

    other = Place.of(sandbox, 1)
    await say(sandbox, other.channel, other.owner, "!modules enable customcommands")
    await sandbox.send_message(other.channel, other.owner, "!cc import", files=[("custom-commands.json", exported)])
    assert (await sandbox.wait_for_message(other.channel, timeout=5))["content"] == "1 custom commands imported."
    assert (await say(sandbox, other.channel, other.plain[0], "!rules"))["content"] == "Read the rules"

    bad = json.dumps({"commands": [{"name": "ping", "response": "hijack"}]}).encode()
    await sandbox.send_message(other.channel, other.owner, "!cc import", files=[("custom-commands.json", bad)])
    refused = (await sandbox.wait_for_message(other.channel, timeout=5))["content"]
    assert refused == "ping is already one of the bot's commands: choose another name."
    await sandbox.send_message(other.channel, other.owner, "!cc import", files=[("x.json", b"{not json")])
    refused = (await sandbox.wait_for_message(other.channel, timeout=5))["content"]
    assert refused == "That is not a custom commands export (it is not valid JSON)."
    assert (await say(sandbox, other.channel, other.plain[1], "!rules"))["content"] == "Read the rules"  # unchanged
