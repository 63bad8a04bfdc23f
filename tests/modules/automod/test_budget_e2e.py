"""A guild whose automod rules take more than their share of the bot's time is paused, audited and told; the
settings that could stall the others are refused from chat."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from wolaro.data.models import AuditLog
from wolaro.modules.automod import service

pytestmark = [pytest.mark.timeout(60), pytest.mark.serial]  # timed: run alone (scripts/test.sh)

OFF = {"enabled": False}
HOSTILE_WORDS = ["-" * (k % 94 + 1) + "x" * (k // 94 + 1) for k in range(499)] + ["darn"]


async def audit_rows(bot, guild: int) -> list[AuditLog]:
    async with bot.services.db.session() as session:
        query = select(AuditLog).where(AuditLog.guild_id == guild, AuditLog.target == "automod")
        return list(await session.scalars(query.order_by(AuditLog.id)))


async def settle(sandbox, channel: int, author: int) -> None:
    await sandbox.send_message(channel, author, "!prefix")
    await sandbox.wait_for_message(channel, predicate=lambda m: "prefix" in m["content"], timeout=5)


async def test_a_guild_over_its_time_budget_is_paused_audited_and_told(sandbox, bot, eventually, monkeypatch):
    monkeypatch.setattr(service, "GUILD_BUDGET_MS", 3)  # a few hostile messages instead of hundreds
    guild_a, guild_b, _ = sandbox.guild_ids()
    channel_a, modlog_a, _ = sandbox.text_channel_ids(guild_a)
    channel_b = sandbox.text_channel_ids(guild_b)[0]
    owner_a, owner_b = sandbox.owner_id(guild_a), sandbox.owner_id(guild_b)
    plain = sandbox.member_ids(guild_a)[2:6]
    await bot.config.set_module_enabled(guild_a, "automod", True, actor_id=None)
    await bot.config.update_module_config(
        guild_a,
        "automod",
        {"spam": OFF, "duplicates": OFF, "words": {"enabled": True, "words": HOSTILE_WORDS}},
        actor_id=None,
    )
    await bot.config.update_module_config(guild_a, "moderation", {"modlog_channel_id": modlog_a}, actor_id=None)
    await settle(sandbox, channel_a, owner_a)

    for n in range(40):  # each costs the word matcher about a millisecond: over 3 ms within a few messages
        await sandbox.send_message(channel_a, plain[n % len(plain)], "-" * 2000)
    notice = await sandbox.wait_for_message(modlog_a, predicate=lambda m: "paused" in m["content"], timeout=10)
    assert "automod settings" in notice["content"] and "3 ms" in notice["content"]

    # Recorded through the config service: every process sees it, and the audit log says the bot did it.
    stored = (await bot.config.get(guild_a)).module_configs["automod"]
    assert stored["paused_until"] is not None
    rows = await audit_rows(bot, guild_a)
    pause_rows = [r for r in rows if (r.after or {}).get("paused_until")]
    assert len(pause_rows) == 1, [(r.action, r.after) for r in rows]
    assert pause_rows[0].action == "module.config" and pause_rows[0].actor_id == bot.user.id
    assert pause_rows[0].before == {"paused_until": None}

    # Paused: a banned word passes (the text rules are skipped), other guilds are answered at once.
    deletes_before = len([c for c in sandbox.rest_log if c.method == "DELETE" and f"/channels/{channel_a}/" in c.path])
    await sandbox.send_message(channel_a, plain[0], "well darn")
    await settle(sandbox, channel_a, owner_a)
    deletes = [c for c in sandbox.rest_log if c.method == "DELETE" and f"/channels/{channel_a}/" in c.path]
    assert len(deletes) == deletes_before
    started = time.perf_counter()
    await sandbox.send_message(channel_b, owner_b, "!ping")
    await sandbox.wait_for_message(channel_b, predicate=lambda m: m["content"].startswith("Pong"), timeout=5)
    assert time.perf_counter() - started < 0.5

    # The status shows it; clearing `paused_until` (dashboard or chat) resumes the rules at once.
    await sandbox.send_message(channel_a, owner_a, "!automod")
    status = await sandbox.wait_for_message(channel_a, predicate=lambda m: bool(m.get("embeds")), timeout=5)
    assert "paused until" in str(status["embeds"])
    monkeypatch.setattr(service, "GUILD_BUDGET_MS", 250)
    await bot.config.update_module_config(guild_a, "automod", {"paused_until": None}, actor_id=owner_a)
    await sandbox.send_message(channel_a, plain[1], "well darn")
    await sandbox.wait_for_request("DELETE", rf"/channels/{channel_a}/messages/\d+$", timeout=5)
    assert len([r for r in await audit_rows(bot, guild_a) if (r.after or {}).get("paused_until")]) == 1


async def test_the_settings_that_stalled_everyone_are_refused_from_chat(sandbox, bot):
    guild = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild)[0]
    owner = sandbox.owner_id(guild)
    await bot.config.set_module_enabled(guild, "automod", True, actor_id=None)
    await sandbox.send_message(channel, owner, "!config set automod regex_timeout_ms 1000")
    reply = await sandbox.wait_for_message(channel, timeout=5)
    assert "Pattern time per message" in reply["content"] and "50" in reply["content"]
    await sandbox.send_message(channel, owner, "!config set automod regex_suspend_seconds 1")
    reply = await sandbox.wait_for_message(channel, timeout=5)
    assert "Pattern pause" in reply["content"] and "10" in reply["content"]
    word = "-" * 150 + "x"
    await sandbox.send_message(channel, owner, f'!config set automod words {{"enabled": true, "words": ["{word}"]}}')
    reply = await sandbox.wait_for_message(channel, timeout=5)
    assert "Banned words" in reply["content"] and "100" in reply["content"]
    stored = (await bot.config.get(guild)).module_configs["automod"]
    assert stored["regex_timeout_ms"] == 50 and stored["regex_suspend_seconds"] == 60
    assert stored["words"]["words"] == []
    await asyncio.sleep(0)
