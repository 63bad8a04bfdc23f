"""Per-command permissions end to end: rules set from chat, enforced by the one gate for prefix and slash alike."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.moderation import Place, say, slash
from wolaro.data.models import AuditLog

pytestmark = pytest.mark.timeout(60)


async def sub(sandbox, place, user, subcommand, options):
    """`/permissions <subcommand> options` as `user`; the bot's answer."""
    record = await sandbox.invoke_slash(place.guild, place.channel, user, "permissions", options, subcommand=subcommand)
    return await sandbox.wait_for_interaction_response(record, timeout=5)


@pytest.fixture
def place(sandbox):
    return Place.of(sandbox)


async def test_a_denied_role_is_refused_for_prefix_and_slash_commands(sandbox, bot, place):
    member_role = sandbox.role_id(place.guild, "Member")
    reply = await say(sandbox, place.channel, place.owner, f"!permissions deny ping <@&{member_role}>")
    assert reply["content"] == f"`ping` is refused to <@&{member_role}>."
    refusal = f"Members with the role <@&{member_role}> cannot use `ping` here."

    reply = await say(sandbox, place.channel, place.plain[0], "!ping")
    assert reply["content"] == refusal
    response = await slash(sandbox, place, place.plain[0], "ping")
    assert response["ephemeral"] and response["content"] == refusal

    # the owner (Manage Server) is never refused; another command is untouched
    assert (await say(sandbox, place.channel, place.owner, "!ping"))["content"].startswith("Pong")
    response = await slash(sandbox, place, place.plain[0], "avatar")
    assert "cannot use" not in (response.get("content") or "")

    async with bot.services.db.session() as session:
        actions = list(await session.scalars(select(AuditLog.action).where(AuditLog.guild_id == place.guild)))
    assert actions == ["permissions.rule"]


async def test_a_denied_channel_and_a_switched_off_module_are_refused_in_french_too(sandbox, bot, place):
    reply = await say(sandbox, place.channel, place.owner, f"!permissions deny ping <#{place.channel}>")
    assert reply["content"] == f"`ping` is refused to <#{place.channel}>."
    response = await slash(sandbox, place, place.plain[0], "ping")
    assert response["ephemeral"] and response["content"] == "`ping` cannot be used in this channel."
    reply = await say(sandbox, place.channel, place.plain[0], "!ping")
    assert reply["content"] == "`ping` cannot be used in this channel."

    # the same command in another channel works; then the whole module is switched off, from slash
    response = await sub(sandbox, place, place.owner, "off", {"target": "module:utility"})
    assert response["content"] == "`module:utility` is switched off: only server managers can still use it."
    await bot.config.set_language(place.guild, "fr", actor_id=place.owner)
    other = Place(place.guild, place.modlog, place.modlog, place.owner, place.mod, place.plain)
    response = await slash(sandbox, other, place.plain[1], "ping")
    assert response["ephemeral"] and response["content"] == "Les commandes utility sont désactivées sur ce serveur."

    response = await sub(sandbox, place, place.owner, "reset", {"target": "ping"})
    assert response["content"] == "`ping` n’a plus aucune restriction."
    response = await sub(sandbox, place, place.owner, "show", {"target": "utility"})
    assert response["content"] == "**module:utility**: Désactivée"
