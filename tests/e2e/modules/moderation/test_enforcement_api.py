"""The enforcement API automod and anti-raid call: real bot, real guild objects, the sandbox's Discord."""

from __future__ import annotations

import datetime

import pytest
from sqlalchemy import select

from wolaro.core.errors import UserFacingError
from wolaro.data.models import AuditLog
from wolaro.modules.moderation.enforcement import Action, CaseView, enforce, unban_key
from wolaro.modules.moderation.models import ModCase

pytestmark = pytest.mark.timeout(60)


async def test_automated_ban_and_warn_record_cases_audit_and_job(sandbox, bot):
    guild_id = sandbox.guild_ids()[0]
    guild = bot.get_guild(guild_id)
    plain = sandbox.member_ids(guild_id)[3]
    other = sandbox.member_ids(guild_id)[4]

    warn = await enforce(
        bot, guild=guild, target=plain, action=Action.WARN, moderator_id=bot.user.id, reason="spam", automated=True
    )
    assert isinstance(warn, CaseView) and warn.number == 1 and warn.action is Action.WARN and warn.automated

    ban = await enforce(
        bot,
        guild=guild,
        target=other,
        action=Action.BAN,
        moderator_id=bot.user.id,
        reason="raid",
        duration=datetime.timedelta(hours=1),
        delete_message_days=1,
        automated=True,
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
        await enforce(
            bot, guild=guild, target=sandbox.owner_id(guild_id), action=Action.KICK, moderator_id=bot.user.id,
            reason=None, automated=True,
        )
    assert refused.value.msgid == "Nobody can moderate the server owner."


async def test_channel_and_nickname_actions_are_not_enforced(sandbox, bot):
    """Purge, slowmode, lock, unlock and nick act through their own commands; `enforce` refuses them."""
    guild_id = sandbox.guild_ids()[0]
    guild = bot.get_guild(guild_id)
    for action in (Action.PURGE, Action.SLOWMODE, Action.LOCK, Action.UNLOCK, Action.NICK):
        with pytest.raises(ValueError, match="its own command"):
            await enforce(
                bot, guild=guild, target=sandbox.member_ids(guild_id)[3], action=action, moderator_id=bot.user.id,
                reason=None, automated=True,
            )
    async with bot.services.db.session() as session:
        assert (await session.scalars(select(ModCase.number).where(ModCase.guild_id == guild_id))).all() == []
