"""Anti-raid through the real bot: a scripted join burst starts raid mode, the durable job ends it, /raidmode."""

from __future__ import annotations

import datetime as dt

import discord
import pytest
from sqlalchemy import select

from wolaro.data.models import AuditLog
from wolaro.modules.antiraid import service, state
from wolaro.modules.moderation.models import ModCase

pytestmark = pytest.mark.timeout(60)

LOCKED = service.SEND_MESSAGES


async def enable(bot, guild: int, modlog: int | None = None, **settings) -> None:
    await bot.config.set_module_enabled(guild, "antiraid", True, actor_id=None)
    if settings:
        await bot.config.update_module_config(guild, "antiraid", settings, actor_id=None)
    if modlog is not None:
        await bot.config.update_module_config(guild, "moderation", {"modlog_channel_id": modlog}, actor_id=None)


async def cases_of(bot, guild: int) -> list[ModCase]:
    async with bot.services.db.session() as session:
        return list(await session.scalars(select(ModCase).where(ModCase.guild_id == guild).order_by(ModCase.number)))


async def audit_of(bot, guild: int) -> list[str]:
    async with bot.services.db.session() as session:
        rows = await session.scalars(
            select(AuditLog.action)
            .where(AuditLog.guild_id == guild, AuditLog.action.like("antiraid.%"))
            .order_by(AuditLog.id)
        )
        return list(rows)


def texts(sandbox, channel: int) -> list[str]:
    return [m.get("content", "") for m in sandbox.bot_messages(channel)]


def everyone_overwrite(sandbox, guild: int, channel: int):
    return sandbox.state.channels[channel].overwrites.get(guild)


async def start_worker(bot) -> None:
    bot.services.jobs.bot = bot
    await bot.services.jobs.start()


async def test_join_burst_starts_raid_mode_and_the_durable_job_ends_it(sandbox, bot, eventually):
    guild_a, guild_b, _ = sandbox.guild_ids()
    _, modlog, locked = sandbox.text_channel_ids(guild_a)
    await enable(bot, guild_a, modlog=modlog, quiet_seconds=2, lock_channel_ids=[locked])  # 10 joins in 10 s
    await enable(bot, guild_b)
    await start_worker(bot)
    assert sandbox.state.guild(guild_a).verification_level == 1

    joiners = [int((await sandbox.member_join(guild_a))["user"]["id"]) for _ in range(11)]
    await sandbox.wait_for_request("PATCH", rf"/guilds/{guild_a}$")
    await eventually(lambda: sandbox.state.guild(guild_a).verification_level == 3)
    await eventually(lambda: everyone_overwrite(sandbox, guild_a, locked) is not None)
    assert everyone_overwrite(sandbox, guild_a, locked).deny & LOCKED
    await eventually(lambda: any("Raid mode is on" in t for t in texts(sandbox, modlog)))
    view = await state.load(bot.services, guild_a)
    assert view.active and not view.manual and view.joins == 11

    # Joins during the raid are timed out too, and push the end back.
    joiners += [int((await sandbox.member_join(guild_a))["user"]["id"]) for _ in range(2)]
    members = sandbox.state.guild(guild_a).members

    await eventually(lambda: all(members[j].is_timed_out() for j in joiners), timeout=10)

    async def all_recorded() -> bool:
        return len(await cases_of(bot, guild_a)) >= len(joiners)

    await eventually(all_recorded)
    found = await cases_of(bot, guild_a)
    assert sorted(c.target_id for c in found) == sorted(joiners)
    assert {(c.action, c.automated, c.duration_seconds) for c in found} == {("timeout", True, 3600)}

    # Normal joins elsewhere are untouched.
    for _ in range(3):
        await sandbox.member_join(guild_b)
    assert not [c for c in sandbox.rest_log if c.method == "PATCH" and c.path.startswith(f"/guilds/{guild_b}")]
    assert await cases_of(bot, guild_b) == []

    # Two quiet seconds later the durable antiraid.end job restores everything.
    await eventually(lambda: any("ended after a quiet period" in t for t in texts(sandbox, modlog)), timeout=15)
    assert sandbox.state.guild(guild_a).verification_level == 1
    assert everyone_overwrite(sandbox, guild_a, locked) is None  # raid mode created it, so it is gone
    view = await state.load(bot.services, guild_a)
    assert not view.active and not view.restore_pending
    assert await audit_of(bot, guild_a) == ["antiraid.start", "antiraid.end"]
    assert await state.load(bot.services, guild_b) == state.RaidView(guild_b)


async def test_young_accounts_are_kicked_old_ones_welcome(sandbox, bot, eventually):
    guild = sandbox.guild_ids()[0]
    await enable(bot, guild, min_account_age_days=7)
    now = dt.datetime.now(dt.UTC)
    old = int((await sandbox.member_join(guild, created_at=now - dt.timedelta(days=30)))["user"]["id"])
    young = int((await sandbox.member_join(guild, created_at=now - dt.timedelta(days=1)))["user"]["id"])
    call = await sandbox.wait_for_request("DELETE", rf"/guilds/{guild}/members/{young}$")
    assert "younger than 7 days" in (call.reason or "")
    members = sandbox.state.guild(guild).members
    assert young not in members and old in members
    await eventually(lambda: cases_of(bot, guild))
    assert [(c.action, c.target_id) for c in await cases_of(bot, guild)] == [("kick", young)]


async def test_raidmode_on_off_status_by_admins_only(sandbox, bot):
    guild = sandbox.guild_ids()[0]
    general, modlog, locked = sandbox.text_channel_ids(guild)
    owner, plain = sandbox.owner_id(guild), sandbox.member_ids(guild)[3]
    await enable(bot, guild, modlog=modlog, lock_channel_ids=[locked, general], joiner_action="kick")

    async def slash(user, subcommand, options=None):
        record = await sandbox.invoke_slash(guild, general, user, "raidmode", options, subcommand=subcommand)
        return await sandbox.wait_for_interaction_response(record, timeout=5)

    refused = await slash(plain, "on")
    assert refused["ephemeral"] and "Manage Server" in refused["content"]
    assert "is off" in (await slash(owner, "status"))["content"]

    answer = await slash(owner, "on")
    assert "Raid mode is on" in answer["content"] and "kicked" in answer["content"]
    assert sandbox.state.guild(guild).verification_level == 3
    assert everyone_overwrite(sandbox, guild, general).deny & LOCKED
    assert "until `/raidmode off`" in (await slash(owner, "status"))["content"]
    assert "already on" in (await slash(owner, "on"))["content"]

    joiner = int((await sandbox.member_join(guild))["user"]["id"])
    await sandbox.wait_for_request("DELETE", rf"/guilds/{guild}/members/{joiner}$")

    answer = await slash(owner, "off")
    assert "protections were undone" in answer["content"]
    assert sandbox.state.guild(guild).verification_level == 1
    assert everyone_overwrite(sandbox, guild, general) is None
    assert everyone_overwrite(sandbox, guild, locked) is None
    assert any(f"turned off by <@{owner}>" in t for t in texts(sandbox, modlog))
    assert "not on" in (await slash(owner, "off"))["content"]
    assert not await bot.services.jobs.pending(guild_id=guild, kind=service.END_JOB)


async def test_lock_keeps_an_existing_overwrite_and_restores_it(sandbox, bot):
    guild = sandbox.guild_ids()[0]
    general, _, locked = sandbox.text_channel_ids(guild)
    owner = sandbox.owner_id(guild)
    await enable(bot, guild, lock_channel_ids=[locked], raise_verification=False)
    channel = bot.get_channel(locked)
    # The server already allows @everyone to send and attach files there; the bot's role is exempt from lockdowns
    # (the sandbox, stricter than Discord's documented guild-level rule, wants the bot to keep what it writes).
    await channel.set_permissions(
        channel.guild.me.top_role, overwrite=discord.PermissionOverwrite(send_messages=True, add_reactions=True)
    )
    await channel.set_permissions(
        channel.guild.default_role, overwrite=discord.PermissionOverwrite(send_messages=True, attach_files=True)
    )
    before = everyone_overwrite(sandbox, guild, locked)
    assert before.allow & LOCKED and before.deny == 0

    record = await sandbox.invoke_slash(guild, general, owner, "raidmode", {"minutes": 30}, subcommand="on")
    answer = await sandbox.wait_for_interaction_response(record, timeout=5)
    assert "Raid mode ends" in answer["content"]
    during = everyone_overwrite(sandbox, guild, locked)
    assert during.deny & LOCKED and not during.allow & LOCKED and during.allow & (1 << 15)
    assert [j.kind for j in await bot.services.jobs.pending(guild_id=guild)] == [service.END_JOB]
    assert sandbox.state.guild(guild).verification_level == 1  # raising is off

    record = await sandbox.invoke_slash(guild, general, owner, "raidmode", subcommand="off")
    await sandbox.wait_for_interaction_response(record, timeout=5)
    after = everyone_overwrite(sandbox, guild, locked)
    assert (after.allow, after.deny) == (before.allow, before.deny)
    assert not await bot.services.jobs.pending(guild_id=guild)
