"""The server log end to end, one test per kind of event: the sandbox sends what Discord sends, the real bot posts
each kind to its own channel, batched (a purge of 100 messages is one post), and ignores what it is told to."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.moderation import Place, rest_calls
from wolaro.sandbox import Sandbox

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def place(sandbox: Sandbox, bot: Any) -> Place:
    """Guild 0 with the server log on: messages to text channel 1, everything else to text channel 2."""
    place = Place.of(sandbox)
    channels = sandbox.text_channel_ids(place.guild)
    await bot.config.set_module_enabled(place.guild, "serverlog", True, actor_id=place.owner)
    others = {f"{c}_channel_id": channels[2] for c in ("members", "bans", "member_changes", "server", "voice")}
    await bot.config.update_module_config(
        place.guild, "serverlog", {"messages_channel_id": channels[1], **others}, actor_id=place.owner
    )
    bot.get_cog("serverlog").batcher.delay = 0.2  # the tests need not wait the production 1.5 s
    return place


def others(sandbox: Sandbox, place: Place) -> int:
    return sandbox.text_channel_ids(place.guild)[2]


async def posted(sandbox: Sandbox, channel: int) -> list[dict[str, Any]]:
    """The embeds of the bot's next post in `channel`."""
    message = await sandbox.wait_for_message(channel, timeout=5)
    return message.get("embeds") or []


def descriptions(embeds: list[dict[str, Any]]) -> list[str]:
    return [e.get("description", "") for e in embeds]


def fields(embed: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


async def test_edits_and_deletions_show_the_text_the_bot_saw(sandbox, bot, place):
    alice = place.plain[0]
    message = await sandbox.send_message(place.channel, alice, "helo world")
    await sandbox.edit_message(place.channel, int(message["id"]), "hello world")
    (edit,) = await posted(sandbox, place.modlog)
    assert edit["description"] == f"<@{alice}> edited a message in <#{place.channel}>"
    assert fields(edit)["Before"] == "helo world" and fields(edit)["After"] == "hello world"

    await sandbox.delete_message(place.channel, int(message["id"]))
    (deleted,) = await posted(sandbox, place.modlog)
    assert deleted["description"] == f"A message by <@{alice}> was deleted in <#{place.channel}>"
    assert fields(deleted)["Message"] == "hello world"


async def test_a_purge_of_100_messages_is_one_post_within_the_rate_limit(sandbox, bot, place):
    ids = [int((await sandbox.send_message(place.channel, place.plain[n % 3], f"spam {n}"))["id"]) for n in range(100)]
    await sandbox.bulk_delete(place.channel, ids)
    (entry,) = await posted(sandbox, place.modlog)
    assert entry["description"] == f"100 messages were deleted in <#{place.channel}>"
    assert "spam 0" in fields(entry)["Messages"] and fields(entry)["Not shown"] == "75 more"
    # 30 messages deleted one by one in a moment: one post too (a summary and a file)
    singles = [int((await sandbox.send_message(place.channel, place.plain[0], f"one {n}"))["id"]) for n in range(30)]
    for message_id in singles:
        await sandbox.delete_message(place.channel, message_id)
    (summary,) = await posted(sandbox, place.modlog)
    assert summary["description"].startswith("30 events in a short time")
    posts = [c for c in rest_calls(sandbox, "POST", f"/channels/{place.modlog}/messages")]
    assert len(posts) == 2


async def test_joins_leaves_bans_and_unbans(sandbox, bot, place):
    log = others(sandbox, place)
    newcomer = await sandbox.member_join(place.guild)
    newcomer_id = int(newcomer["user"]["id"])
    (joined,) = await posted(sandbox, log)
    assert joined["description"].startswith(f"<@{newcomer_id}> (") and "joined the server" in joined["description"]
    await sandbox.user_ban(place.guild, place.owner, newcomer_id, reason="raid")
    found = descriptions(await posted(sandbox, log))
    assert any("left the server" in d for d in found) and any(d.endswith("was banned") for d in found)
    await sandbox.user_unban(place.guild, place.owner, newcomer_id)
    (unbanned,) = await posted(sandbox, log)
    assert unbanned["description"].endswith("was unbanned")


async def test_role_and_nickname_changes_name_who_made_them(sandbox, bot, place):
    log = others(sandbox, place)
    alice = place.plain[0]
    moderator_role = sandbox.role_id(place.guild, "Moderator")
    await sandbox.moderator_edits_member(place.guild, place.owner, alice, add_roles=(moderator_role,), nick="Ally")
    found = {e["description"]: fields(e) for e in await posted(sandbox, log)}
    assert found[f"The roles of <@{alice}> changed"] == {
        "Roles given": f"<@&{moderator_role}>",
        "By": f"<@{place.owner}>",
    }
    assert found[f"The nickname of <@{alice}> changed"]["After"] == "Ally"


async def test_channel_and_role_changes_and_voice_moves_in_french(sandbox, bot, place):
    log = others(sandbox, place)
    await bot.config.set_language(place.guild, "fr", actor_id=place.owner)
    await sandbox.rename_channel(place.channel, "annonces", topic="Les nouvelles")
    member_role = sandbox.role_id(place.guild, "Member")
    await sandbox.rename_role(place.guild, member_role, "Habitués")
    voice = sandbox.voice_channel_ids(place.guild)[0]
    await sandbox.voice_state(place.guild, place.plain[1], voice)
    found = {e["description"]: fields(e) for e in await posted(sandbox, log)}
    assert found[f"Le salon <#{place.channel}> a été modifié"]["Nom"].endswith("→ annonces")
    assert found[f"Le rôle <@&{member_role}> a été modifié"]["Nom"] == "Member → Habitués"
    assert f"<@{place.plain[1]}> a rejoint le salon vocal <#{voice}>" in found


async def test_ignored_channels_and_members_are_not_logged(sandbox, bot, place):
    alice, bob = place.plain[0], place.plain[1]
    other_channel = others(sandbox, place)
    await bot.config.update_module_config(
        place.guild, "serverlog", {"ignored_channel_ids": [other_channel], "ignored_user_ids": [bob]}, actor_id=1
    )
    quiet = await sandbox.send_message(other_channel, alice, "in an ignored channel")
    muted = await sandbox.send_message(place.channel, bob, "from an ignored member")
    shown = await sandbox.send_message(place.channel, alice, "logged")
    for channel, message in ((other_channel, quiet), (place.channel, muted), (place.channel, shown)):
        await sandbox.delete_message(channel, int(message["id"]))
    (only,) = await posted(sandbox, place.modlog)
    assert fields(only)["Message"] == "logged"
