"""Moderation actions end to end: the real bot, commands typed or invoked as slash commands in the sandbox."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.moderation import (
    Place,
    audit_actions,
    case_list,
    dm_texts,
    rest_calls,
    say,
    set_config,
    slash,
)
from wolaro.modules.moderation.rules import Action
from wolaro.sandbox import mutations
from wolaro.sandbox import permissions as perm
from wolaro.sandbox.errors import SandboxError
from wolaro.sandbox.snowflake import parse_iso

pytestmark = pytest.mark.timeout(60)

UNITS_HINT = "s (seconds), m (minutes), h (hours), d (days), w (weeks)"


@pytest.fixture
def place(sandbox):
    return Place.of(sandbox)


async def test_warn_by_prefix_and_slash_numbers_cases_dms_posts_modlog_and_audits(sandbox, bot, place):
    target = place.plain[0]
    await set_config(sandbox, place, "modlog_channel_id", str(place.modlog))

    reply = await say(sandbox, place.channel, place.mod, f"!warn <@{target}> posting scam links")
    assert "was warned (case #1)" in reply["content"] and "Active warnings: 1." in reply["content"]
    response = await slash(sandbox, place, place.mod, "warn", {"member": target, "reason": "again"})
    assert not response["ephemeral"] and "was warned (case #2)" in response["content"]
    assert "Active warnings: 2." in response["content"]

    found = await case_list(bot, place.guild, target)
    assert [(c.number, c.action, c.moderator_id, c.reason) for c in found] == [
        (1, Action.WARN, place.mod, "posting scam links"),
        (2, Action.WARN, place.mod, "again"),
    ]
    posts = [m for m in sandbox.bot_messages(place.modlog) if m["embeds"]]
    assert [p["embeds"][0]["title"] for p in posts] == ["Case #1 | Warning", "Case #2 | Warning"]
    fields = {f["name"]: f["value"] for f in posts[0]["embeds"][0]["fields"]}
    assert fields["Reason"] == "posting scam links" and str(target) in fields["User"]
    assert found[0].modlog_message_id == int(posts[0]["id"])
    dms = dm_texts(sandbox, target)
    assert len(dms) == 2 and "You were warned in **Cozy Cafe**." in dms[0] and "Reason: posting scam links" in dms[0]
    assert [a for a in await audit_actions(bot, place.guild) if a.startswith("moderation")] == ["moderation.warn"] * 2


async def test_kick_dms_first_then_removes_with_the_audit_reason(sandbox, bot, place):
    target = place.plain[0]
    response = await slash(sandbox, place, place.mod, "kick", {"member": target, "reason": "trolling"})
    assert "was kicked (case #1)" in response["content"]
    assert target not in sandbox.state.guild(place.guild).members
    (kick,) = rest_calls(sandbox, "DELETE", f"/guilds/{place.guild}/members/{target}")
    assert kick.reason is not None and "trolling" in kick.reason and str(place.mod) in kick.reason
    dm_post = next(c for c in sandbox.rest_log if c.method == "POST" and c.path == "/users/@me/channels")
    assert sandbox.rest_log.index(dm_post) < sandbox.rest_log.index(kick)  # DM while they still share the server
    assert "You were kicked from **Cozy Cafe**." in dm_texts(sandbox, target)[0]
    (case,) = await case_list(bot, place.guild, target)
    assert case.action is Action.KICK and not case.active


async def test_ban_with_deleted_days_then_unban(sandbox, bot, place):
    target = place.plain[0]
    response = await slash(sandbox, place, place.mod, "ban", {"user": target, "delete_days": 1, "reason": "spam bot"})
    assert "was banned (case #1)" in response["content"]
    (ban,) = rest_calls(sandbox, "PUT", f"/bans/{target}")
    assert ban.query["delete_message_seconds"] == "86400" and "spam bot" in ban.reason
    assert target in sandbox.state.guild(place.guild).bans
    assert await bot.services.jobs.pending(guild_id=place.guild) == []

    reply = await say(sandbox, place.channel, place.mod, f"!unban {target} appeal accepted")
    assert "was unbanned (case #2)" in reply["content"]
    assert target not in sandbox.state.guild(place.guild).bans
    ban_case, unban_case = await case_list(bot, place.guild, target)
    assert not ban_case.active and unban_case.action is Action.UNBAN
    reply = await say(sandbox, place.channel, place.mod, f"!unban {target}")
    assert reply["content"] == f"<@{target}> is not banned here."


async def test_temp_ban_schedules_its_unban_which_a_new_ban_or_an_unban_replaces(sandbox, bot, place):
    target = place.plain[0]
    reply = await say(sandbox, place.channel, place.mod, f"!ban <@{target}> 2h30m raiding the server")
    assert "was banned for 2h 30m (case #1)" in reply["content"]
    (job,) = await bot.services.jobs.pending(guild_id=place.guild, kind="moderation.unban")
    assert job.payload["user_id"] == target and job.payload["case"] == 1
    (case,) = await case_list(bot, place.guild, target)
    assert case.expires_at is not None and abs((case.expires_at - job.run_at).total_seconds()) < 1
    assert "You were banned from **Cozy Cafe** for 2h 30m." in dm_texts(sandbox, target)[0]

    reply = await say(sandbox, place.channel, place.mod, f"!ban {target} 1d longer")
    assert "for 1d (case #2)" in reply["content"]
    (job2,) = await bot.services.jobs.pending(guild_id=place.guild, kind="moderation.unban")
    assert job2.id == job.id and job2.payload["case"] == 2  # the same pending job, rescheduled

    reply = await say(sandbox, place.channel, place.mod, f"!ban {target} for good now")
    assert "was banned (case #3)" in reply["content"]
    assert await bot.services.jobs.pending(guild_id=place.guild) == []
    old, older, permanent = await case_list(bot, place.guild, target)
    assert not old.active and not older.active and permanent.active

    await say(sandbox, place.channel, place.mod, f"!ban {target} 3d")
    assert len(await bot.services.jobs.pending(guild_id=place.guild)) == 1
    await say(sandbox, place.channel, place.mod, f"!unban {target}")
    assert await bot.services.jobs.pending(guild_id=place.guild) == []


async def test_softban_removes_the_member_and_their_messages_but_not_banned(sandbox, bot, place):
    target = place.plain[0]
    message = await sandbox.send_message(place.channel, target, "buy cheap followers")
    response = await slash(sandbox, place, place.mod, "softban", {"user": target, "reason": "spam"})
    assert "was softbanned" in response["content"] and "(case #1)" in response["content"]
    guild = sandbox.state.guild(place.guild)
    assert target not in guild.members and target not in guild.bans
    assert int(message["id"]) not in sandbox.state.messages[place.channel]
    (ban,) = rest_calls(sandbox, "PUT", f"/bans/{target}")
    assert ban.query["delete_message_seconds"] == "86400"
    assert len(rest_calls(sandbox, "DELETE", f"/bans/{target}")) == 1


async def test_timeout_and_untimeout_use_discords_native_timeout(sandbox, bot, place):
    target = place.plain[0]
    response = await slash(
        sandbox, place, place.mod, "timeout", {"member": target, "duration": "10m", "reason": "calm down"}
    )
    assert "was timed out for 10m (case #1)" in response["content"]
    (patch,) = rest_calls(sandbox, "PATCH", f"/guilds/{place.guild}/members/{target}")
    until = parse_iso(patch.json["communication_disabled_until"])
    assert abs((until - dt.datetime.now(dt.UTC)).total_seconds() - 600) < 5
    with pytest.raises(SandboxError, match="timed out"):
        await sandbox.send_message(place.channel, target, "hello?")

    reply = await say(sandbox, place.channel, place.mod, f"!untimeout <@{target}> ok")
    assert "timeout was removed (case #2)" in reply["content"]
    await sandbox.send_message(place.channel, target, "thanks")
    reply = await say(sandbox, place.channel, place.mod, f"!untimeout <@{target}>")
    assert reply["content"] == f"<@{target}> is not timed out."
    reply = await say(sandbox, place.channel, place.mod, f"!mute <@{target}> 29d")
    assert reply["content"] == "A timeout lasts at most 4w."
    timeout_case, untimeout_case = await case_list(bot, place.guild, target)
    assert not timeout_case.active and untimeout_case.action is Action.UNTIMEOUT
    assert "Your timeout in **Cozy Cafe** was lifted." in dm_texts(sandbox, target)[-1]


async def test_note_is_a_case_without_discord_action_or_dm(sandbox, bot, place):
    target = place.plain[0]
    calls_before = len(sandbox.rest_log)
    reply = await say(sandbox, place.channel, place.mod, f"!note <@{target}> argued in voice, talked to them")
    assert reply["content"] == f"Note added to **{sandbox.state.users[target].username}** (case #1)."
    assert [c.method for c in sandbox.rest_log[calls_before:]] == ["POST"]  # only the reply
    assert dm_texts(sandbox, target) == []
    (case,) = await case_list(bot, place.guild, target)
    assert case.action is Action.NOTE and case.reason == "argued in voice, talked to them"


async def test_hierarchy_refusals(sandbox, bot, place):
    guild = sandbox.state.guild(place.guild)
    moderator_role = sandbox.role_id(place.guild, "Moderator")
    admin_role = sandbox.role_id(place.guild, "Admin")
    peer, above_bot = place.plain[0], place.plain[1]
    await sandbox.member_update(place.guild, peer, roles=[moderator_role])
    await sandbox.member_update(place.guild, above_bot, roles=[admin_role])

    refusals = {
        (place.mod, "warn", place.owner): "Nobody can moderate the server owner.",
        (place.mod, "kick", place.mod): "You can't moderate yourself.",
        (place.mod, "kick", sandbox.state.bot_user_id): "I can't moderate myself.",
        (place.mod, "kick", peer): f"<@{peer}> has a role equal to or above yours: you can't moderate them.",
        (place.owner, "kick", above_bot): (
            f"<@{above_bot}> has a role equal to or above mine: move my role above theirs first."
        ),
    }
    for (user, command, target), expected in refusals.items():
        response = await slash(sandbox, place, user, command, {"member": target})
        assert response["ephemeral"] and response["content"] == expected, (command, response["content"])
    response = await slash(sandbox, place, place.owner, "ban", {"user": above_bot})
    assert response["content"].endswith("move my role above theirs first.")
    reply = await say(sandbox, place.channel, place.mod, f"!ban <@{place.owner}>")
    assert reply["content"] == "Nobody can moderate the server owner."
    assert peer in guild.members and above_bot in guild.members and not guild.bans
    assert not [c for c in sandbox.rest_log if c.method in ("PUT", "DELETE") and "/guilds/" in c.path]
    assert not [a for a in await audit_actions(bot, place.guild) if a.startswith("moderation")]


async def test_missing_permissions_of_the_invoker_and_of_the_bot(sandbox, bot, place):
    plain, target = place.plain[0], place.plain[1]
    reply = await say(sandbox, place.channel, plain, f"!ban <@{target}> I don't like them")
    assert reply["content"] == "You need these permissions: Ban Members."
    reply = await say(sandbox, place.channel, plain, "!purge 5")
    assert reply["content"] == "You need these permissions: Manage Messages."
    reply = await say(sandbox, place.channel, place.mod, "!lock")
    assert reply["content"] == "You need these permissions: Manage Channels."
    with pytest.raises(SandboxError, match="default_member_permissions"):
        await sandbox.invoke_slash(place.guild, place.channel, plain, "kick", {"member": target})

    guild = sandbox.state.guild(place.guild)
    bot_role = guild.roles[guild.bot_role_id]
    bot_role.permissions &= ~perm.BAN_MEMBERS
    await mutations.role_event(sandbox, guild, bot_role, "GUILD_ROLE_UPDATE")
    reply = await say(sandbox, place.channel, place.mod, f"!ban <@{target}>")
    assert reply["content"] == "I need these permissions: Ban Members."
    assert target in guild.members and await case_list(bot, place.guild, target) == []


async def test_bad_durations_are_refused_with_the_accepted_units(sandbox, bot, place):
    target = place.plain[0]
    reply = await say(sandbox, place.channel, place.mod, f"!ban <@{target}> 5 parsecs")
    assert reply["content"].startswith("`5 parsecs` is not a duration.") and UNITS_HINT in reply["content"]
    response = await slash(sandbox, place, place.mod, "ban", {"user": target, "duration": "5 parsecs"})
    assert response["ephemeral"] and response["content"].startswith("`5 parsecs` is not a duration.")
    reply = await say(sandbox, place.channel, place.mod, f"!timeout <@{target}> soon please")
    assert reply["content"].startswith("`soon` is not a duration.")
    reply = await say(sandbox, place.channel, place.mod, f"!ban <@{target}> 400d")
    assert reply["content"] == "A temporary ban lasts at most 52w 1d; leave the duration out to ban for good."
    response = await slash(sandbox, place, place.mod, "timeout", {"member": target, "duration": "0s"})
    assert response["content"] == "`0s` is too short: at least 1s."
    assert target in sandbox.state.guild(place.guild).members and not sandbox.state.guild(place.guild).bans
    assert await case_list(bot, place.guild, target) == []


async def test_warnings_escalate_at_the_configured_counts(sandbox, bot, place):
    target = place.plain[0]
    steps = '[{"warns": 2, "action": "timeout", "duration": "1h"}, {"warns": 3, "action": "kick"}]'
    await set_config(sandbox, place, "escalation", steps)
    await say(sandbox, place.channel, place.mod, f"!warn <@{target}> one")
    reply = await say(sandbox, place.channel, place.mod, f"!warn <@{target}> two")
    assert "Active warnings: 2." in reply["content"]
    assert "Automatic escalation: Timeout (case #3)." in reply["content"]
    assert sandbox.state.guild(place.guild).members[target].is_timed_out()
    reply = await say(sandbox, place.channel, place.mod, f"!warn <@{target}> three")
    assert "Automatic escalation: Kick (case #5)." in reply["content"]
    assert target not in sandbox.state.guild(place.guild).members
    found = await case_list(bot, place.guild, target)
    assert [(c.number, c.action, c.automated, c.ref_case) for c in found] == [
        (1, Action.WARN, False, None),
        (2, Action.WARN, False, None),
        (3, Action.TIMEOUT, True, 2),
        (4, Action.WARN, False, None),
        (5, Action.KICK, True, 4),
    ]
    assert found[2].moderator_id == sandbox.state.bot_user_id and found[2].reason.startswith("2 active warnings")

    bad = '[{"warns": 2, "action": "timeout"}]'
    reply = await say(sandbox, place.channel, place.owner, f"!config set moderation escalation {bad}")
    assert reply["content"] == "Invalid value for Automatic actions › 1 › For how long: A timeout needs a length."


async def test_replies_and_refusals_in_french(sandbox, bot, place):
    await say(sandbox, place.channel, place.owner, "!language fr")
    reply = await say(sandbox, place.channel, place.mod, f"!warn <@{place.owner}>")
    assert reply["content"] == "Personne ne peut sanctionner le propriétaire du serveur."
    reply = await say(sandbox, place.channel, place.mod, f"!ban <@{place.plain[0]}> 5 parsecs")
    assert reply["content"].startswith("`5 parsecs` n'est pas une durée.")
    reply = await say(sandbox, place.channel, place.mod, f"!warn <@{place.plain[0]}> spam")
    assert "a reçu un avertissement (cas n°1)" in reply["content"]
    assert "Vous avez reçu un avertissement sur **Cozy Cafe**." in dm_texts(sandbox, place.plain[0])[0]


async def test_a_modlog_channel_of_another_server_is_never_posted_to(sandbox, bot, place):
    elsewhere = sandbox.text_channel_ids(sandbox.guild_ids()[1])[0]
    await set_config(sandbox, place, "modlog_channel_id", str(elsewhere))
    reply = await say(sandbox, place.channel, place.mod, f"!warn <@{place.plain[0]}> spam")
    assert "was warned (case #1)" in reply["content"]
    reply = await say(sandbox, place.channel, place.owner, "!lock")
    assert reply["content"] == f"<#{place.channel}> is locked (case #2)."
    assert sandbox.bot_messages(elsewhere) == []
    (case,) = await case_list(bot, place.guild, place.plain[0])
    assert case.modlog_message_id is None


async def test_help_lists_the_moderation_commands_with_examples(sandbox, bot, place):
    response = await slash(sandbox, place, place.mod, "help")
    fields = {field["name"]: field["value"] for field in response["embeds"][0]["fields"]}
    assert all(f"`!{name}`" in fields["moderation"] for name in ("ban", "warn", "modlogs", "purge", "lock"))
    response = await slash(sandbox, place, place.mod, "help", {"command": "ban"})
    assert "Examples: `!ban @alice spam bot`" in response["content"] and "[duration]" in response["content"]
