"""Role menus end to end: every mode, limits, required and blocked roles, hierarchy refusals, restarts, moves."""

from __future__ import annotations

import re

import pytest
import pytest_asyncio

from tests.modules.rolemenus.conftest import move_role
from tests.support.harness import running_bot
from tests.support.moderation import Place, say

pytestmark = pytest.mark.timeout(120)
CREATED = re.compile(r"(?:Role|Reaction) menu #(\d+) created\.")


@pytest.fixture
def place(sandbox):
    return Place.of(sandbox)


@pytest_asyncio.fixture
async def enabled(sandbox, bot, place):
    reply = await say(sandbox, place.channel, place.owner, "!modules enable rolemenus")
    assert "enabled" in reply["content"], reply["content"]
    return place


async def admin(sandbox, place, text: str) -> str:
    return (await say(sandbox, place.channel, place.owner, text))["content"]


async def make_menu(sandbox, place, kind: str, mode: str, roles: list[int], *, channel: int | None = None):
    """Create, fill and post a menu; (menu number, the posted message)."""
    where = channel or place.modlog
    reply = await admin(sandbox, place, f"!rolemenu create <#{where}> {kind} {mode} Pick a colour")
    number = int(CREATED.match(reply).group(1))
    for role in roles:
        assert "is in role menu" in await admin(sandbox, place, f"!rolemenu add {number} <@&{role}>")
    await sandbox.send_message(place.channel, place.owner, f"!rolemenu post {number}")
    posted = await sandbox.wait_for_message(where, timeout=5)
    await sandbox.wait_for_message(place.channel, timeout=5)
    return number, posted


async def press(sandbox, message, user: int, custom_id: str, values=None) -> str:
    record = await sandbox.invoke_component(
        int(message["channel_id"]), int(message["id"]), user, custom_id, values=values
    )
    answer = await sandbox.wait_for_interaction_response(record)
    assert answer["ephemeral"]
    return answer["content"]


def above_bot(role: int) -> str:
    return (
        f"I can't give or take <@&{role}>: it is above my highest role. A server admin needs to move my role above it."
    )


def roles_of(sandbox, guild: int, user: int) -> set[int]:
    return set(sandbox.state.guild(guild).members[user].roles)


async def test_normal_menu_toggles_and_respects_its_limit(sandbox, enabled, colours):
    place = enabled
    red, blue = colours["red"], colours["blue"]
    number, message = await make_menu(sandbox, place, "buttons", "normal", [red, blue])
    ids = [c["custom_id"] for row in message["components"] for c in row["components"]]
    assert ids == [f"rolemenu:{number}:{red}", f"rolemenu:{number}:{blue}"]
    user = place.plain[0]
    assert await press(sandbox, message, user, ids[0]) == f"You now have <@&{red}>."
    assert red in roles_of(sandbox, place.guild, user)
    assert await press(sandbox, message, user, ids[0]) == f"You no longer have <@&{red}>."
    assert red not in roles_of(sandbox, place.guild, user)

    assert "updated" in await admin(sandbox, place, f"!rolemenu limits {number} 1")
    await press(sandbox, message, user, ids[0])
    reply = await press(sandbox, message, user, ids[1])
    assert reply == "You can have at most 1 roles from this menu: drop one first."
    assert blue not in roles_of(sandbox, place.guild, user)

    # adding a role to the posted menu edits its message in place; the buttons already there keep working
    green = colours["green"]
    assert "is in role menu" in await admin(sandbox, place, f"!rolemenu add {number} <@&{green}> 🟢 Greens")
    edited = sandbox.find_message(place.modlog, int(message["id"]))
    buttons = [c for row in edited["components"] for c in row["components"]]
    assert [b["custom_id"] for b in buttons] == [*ids, f"rolemenu:{number}:{green}"]
    assert buttons[2]["label"] == "Greens" and buttons[2]["emoji"]["name"] == "🟢"
    assert await press(sandbox, edited, user, ids[0]) == f"You no longer have <@&{red}>."


async def test_unique_verify_and_drop_modes(sandbox, enabled, colours):
    place = enabled
    red, blue = colours["red"], colours["blue"]
    user = place.plain[0]
    _, unique = await make_menu(sandbox, place, "buttons", "unique", [red, blue])
    ids = [c["custom_id"] for row in unique["components"] for c in row["components"]]
    await press(sandbox, unique, user, ids[0])
    reply = await press(sandbox, unique, user, ids[1])
    assert reply == f"You now have <@&{blue}>.\nYou no longer have <@&{red}>."
    assert {red, blue} & roles_of(sandbox, place.guild, user) == {blue}

    _, verify = await make_menu(sandbox, place, "buttons", "verify", [red])
    (verify_id,) = [c["custom_id"] for row in verify["components"] for c in row["components"]]
    assert await press(sandbox, verify, user, verify_id) == f"You now have <@&{red}>."
    assert await press(sandbox, verify, user, verify_id) == f"You already have <@&{red}>."
    assert red in roles_of(sandbox, place.guild, user)

    _, drop = await make_menu(sandbox, place, "buttons", "drop", [red])
    (drop_id,) = [c["custom_id"] for row in drop["components"] for c in row["components"]]
    assert await press(sandbox, drop, user, drop_id) == f"You no longer have <@&{red}>."
    assert await press(sandbox, drop, user, drop_id) == f"You don't have <@&{red}>."


async def test_select_menu_required_and_blocked_roles(sandbox, enabled, colours):
    place = enabled
    red, blue, green = colours["red"], colours["blue"], colours["green"]
    number, message = await make_menu(sandbox, place, "select", "normal", [red, blue])
    (select,) = message["components"][0]["components"]
    assert select["custom_id"] == f"rolemenu:{number}" and select["max_values"] == 2
    user, other = place.plain[0], place.plain[1]
    reply = await press(sandbox, message, user, select["custom_id"], [str(red), str(blue)])
    assert reply == f"You now have <@&{red}>, <@&{blue}>."
    reply = await press(sandbox, message, user, select["custom_id"], [str(blue)])
    assert reply == f"You no longer have <@&{red}>."

    await admin(sandbox, place, f"!rolemenu limits {number} 0 <@&{green}>")
    reply = await press(sandbox, message, other, select["custom_id"], [str(red)])
    assert reply == f"You need the role <@&{green}> to use this menu."
    member_role = sandbox.role_id(place.guild, "Member")
    await admin(sandbox, place, f"!rolemenu limits {number} 0 <@&{member_role}> <@&{green}>")
    await sandbox.member_update(place.guild, other, roles=[member_role, green])
    reply = await press(sandbox, message, other, select["custom_id"], [str(red)])
    assert reply == f"Members with the role <@&{green}> cannot use this menu."


async def test_roles_above_the_bot_are_refused_when_built_and_when_clicked(sandbox, enabled, colours):
    place = enabled
    admin_role = sandbox.role_id(place.guild, "Admin")
    reply = await admin(sandbox, place, f"!rolemenu create <#{place.modlog}> buttons normal Staff")
    number = int(CREATED.match(reply).group(1))
    assert await admin(sandbox, place, f"!rolemenu add {number} <@&{admin_role}>") == above_bot(admin_role)

    red = colours["red"]
    _, message = await make_menu(sandbox, place, "buttons", "normal", [red])
    (custom_id,) = [c["custom_id"] for row in message["components"] for c in row["components"]]
    await move_role(sandbox, place.guild, red, 10)  # an admin drags Red above the bot's role
    await say(sandbox, place.channel, place.owner, "!ping")  # the bot has seen the update
    reply = await press(sandbox, message, place.plain[0], custom_id)
    assert reply == above_bot(red)
    assert red not in roles_of(sandbox, place.guild, place.plain[0])


async def test_a_menu_works_after_a_restart_and_a_move(sandbox, bot, settings, enabled, colours):
    place = enabled
    red = colours["red"]
    number, message = await make_menu(sandbox, place, "buttons", "normal", [red])
    custom_id = f"rolemenu:{number}:{red}"
    await bot.close()
    async with running_bot(sandbox, settings):
        assert await press(sandbox, message, place.plain[0], custom_id) == f"You now have <@&{red}>."
        other = sandbox.text_channel_ids(place.guild)[2]
        reply = await admin(sandbox, place, f"!rolemenu move {number} <#{other}>")
        assert reply == f"Role menu #{number} is in <#{other}>."
        moved = sandbox.bot_messages(other)[-1]
        assert int(message["id"]) not in sandbox.state.history(place.modlog)  # the old one is gone
        assert await press(sandbox, moved, place.plain[0], custom_id) == f"You no longer have <@&{red}>."


async def test_reaction_roles_on_an_existing_message(sandbox, enabled, colours, eventually):
    place = enabled
    red = colours["red"]
    posted = await sandbox.send_message(place.modlog, place.owner, "React for roles: 🔴 red")
    message_id = int(posted["id"])
    reply = await admin(sandbox, place, f"!rolemenu reactions <#{place.modlog}> {message_id} normal")
    number = int(CREATED.match(reply).group(1))
    assert "is in role menu" in await admin(sandbox, place, f"!rolemenu add {number} <@&{red}> 🔴")
    user = place.plain[0]
    await sandbox.add_reaction(place.modlog, message_id, user, "🔴")
    await eventually(lambda: red in roles_of(sandbox, place.guild, user))
    await sandbox.remove_reaction(place.modlog, message_id, user, "🔴")
    await eventually(lambda: red not in roles_of(sandbox, place.guild, user))
