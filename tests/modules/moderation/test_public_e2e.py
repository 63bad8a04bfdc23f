"""Moderation's public interface (what automod and anti-raid call) and its flow: real bot, the sandbox's Discord."""

from __future__ import annotations

import datetime

import pytest
from sqlalchemy import select

from wolaro.core.errors import UserFacingError
from wolaro.data.models import AuditLog
from wolaro.modules.moderation.models import ModCase
from wolaro.modules.moderation.public import SanctionAction as Action
from wolaro.modules.moderation.public import modlog_channel, sanction
from wolaro.modules.moderation.service import CaseView, Policy, Request, enforce, execute, unban_key

pytestmark = pytest.mark.timeout(60)


async def test_automated_ban_and_warn_record_cases_audit_and_job(sandbox, bot):
    guild_id = sandbox.guild_ids()[0]
    guild = bot.get_guild(guild_id)
    plain = sandbox.member_ids(guild_id)[3]
    other = sandbox.member_ids(guild_id)[4]

    config = await bot.config.get(guild_id)
    warn = await sanction(bot, config, guild=guild, member=plain, action=Action.WARN, reason="spam")
    assert isinstance(warn, CaseView) and warn.number == 1 and warn.action is Action.WARN and warn.automated

    ban = await sanction(
        bot,
        config,
        guild=guild,
        member=other,
        action=Action.BAN,
        reason="raid",
        duration=datetime.timedelta(hours=1),
        delete_message_days=1,
    )
    assert ban.number == 2 and ban.expires_at is not None and ban.active
    call = next(c for c in sandbox.rest_log if c.method == "PUT" and c.path.endswith(f"/bans/{other}"))
    assert call.reason is not None and "raid" in call.reason
    assert other in sandbox.state.guild(guild_id).bans

    pending = await bot.services.jobs.pending(guild_id=guild_id, kind="moderation.unban")
    assert [job.dedupe_key for job in pending] == [unban_key(guild_id, other)]
    async with bot.services.db.session() as session:
        actions = (await session.scalars(select(AuditLog.action).where(AuditLog.guild_id == guild_id))).all()
        numbers = (await session.scalars(select(ModCase.number).where(ModCase.guild_id == guild_id))).all()
    assert sorted(actions) == ["moderation.ban", "moderation.warn"]
    assert sorted(numbers) == [1, 2]

    with pytest.raises(UserFacingError) as refused:
        await sanction(bot, config, guild=guild, member=sandbox.owner_id(guild_id), action=Action.KICK, reason="x")
    assert refused.value.msgid == "Nobody can moderate the server owner."


async def test_channel_and_nickname_actions_are_not_enforced(sandbox, bot):
    """Purge, slowmode, lock, unlock and nick act through their own commands; `enforce` refuses them."""
    guild_id = sandbox.guild_ids()[0]
    guild = bot.get_guild(guild_id)
    for action in (Action.PURGE, Action.SLOWMODE, Action.LOCK, Action.UNLOCK, Action.NICK):
        with pytest.raises(ValueError, match="its own command"):
            await enforce(
                bot,
                await bot.config.get(guild_id),
                guild=guild,
                target=sandbox.member_ids(guild_id)[3],
                action=action,
                moderator_id=bot.user.id,
                reason=None,
                automated=True,
            )
    async with bot.services.db.session() as session:
        assert (await session.scalars(select(ModCase.number).where(ModCase.guild_id == guild_id))).all() == []


async def test_the_flow_uses_the_config_it_is_given_and_reads_none(sandbox, bot, monkeypatch):
    """The command hands `execute` the guild config it holds (`ctx.config`): the flow never reads it again."""
    guild_id = sandbox.guild_ids()[0]
    guild = bot.get_guild(guild_id)
    config = await bot.config.get(guild_id)
    policy = Policy.of(bot, config, guild.name)

    async def no_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("the moderation flow read the guild config again")

    monkeypatch.setattr(bot.config, "get", no_read)
    monkeypatch.setattr(bot.config, "module_config", no_read)
    target = sandbox.member_ids(guild_id)[3]
    request = Request.checked(Action.WARN, target, bot.user.id, "spam", automated=True)
    outcome = await execute(bot, policy, guild=guild, target=target, request=request)
    assert outcome.case.action is Action.WARN and outcome.active_warnings == 1


async def test_modlog_channel_is_read_from_the_guild_config(sandbox, bot):
    guild_id = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild_id)[1]
    assert modlog_channel(await bot.config.get(guild_id)) is None
    await bot.config.update_module_config(guild_id, "moderation", {"modlog_channel_id": channel}, actor_id=None)
    assert modlog_channel(await bot.config.get(guild_id)) == channel
