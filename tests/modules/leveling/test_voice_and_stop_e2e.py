"""Leveling's voice minutes and its graceful stop, through discord.py and the sandbox.

Voice XP is paid per tick (a minute in production; a fraction of a second here, by lowering the cog's
`voice_interval`) only to members unmuted, undeafened, not in the AFK channel and with another human there. A
graceful stop writes the XP still in the buffer, however long the batch window.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.harness import bot_settings, running_bot
from wolaro.data.database import Database
from wolaro.modules.leveling import store
from wolaro.modules.leveling.module import Leveling
from wolaro.sandbox import Sandbox


@pytest.fixture
def fast_voice(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A voice tick every 0.2 s (the bot started after this fixture uses it)."""
    monkeypatch.setattr(Leveling, "voice_interval", 0.2)
    yield


async def test_voice_minutes_only_for_eligible_members(
    fast_voice: None, sandbox: Sandbox, bot: Any, eventually
) -> None:
    guild = sandbox.guild_ids()[0]
    voice = sandbox.voice_channel_ids(guild)[0]
    ada, bob = sandbox.member_ids(guild)[2:4]
    await bot.config.set_module_enabled(guild, "leveling", True, actor_id=None)
    await bot.config.update_module_config(guild, "leveling", {"voice_xp_per_minute": 600}, actor_id=None)
    cog = bot.get_cog("leveling")
    db = bot.services.db

    async def xp(user: int) -> int:
        await cog.flush()
        return await store.total(db, guild, user)

    async def ticks(count: int = 3) -> None:
        """Let a few voice ticks pass (each pays 2 XP at 600 XP a minute and a tick of 0.2 s)."""
        await asyncio.sleep(cog.voice_interval * count)

    await sandbox.voice_state(guild, ada, voice)  # alone: nothing
    await ticks()
    assert await xp(ada) == 0
    await sandbox.voice_state(guild, bob, voice)  # two humans: both earn

    async def both_earn() -> bool:
        return await xp(ada) > 0 and await xp(bob) > 0

    await eventually(both_earn, timeout=10)
    sandbox.state.guild(guild).voice_states[ada].self_mute = True  # ada mutes herself
    await sandbox.voice_state(guild, ada, voice)
    await ticks()
    muted_at, bob_at = await xp(ada), await xp(bob)

    async def bob_earns() -> bool:
        return await xp(bob) > bob_at

    await eventually(bob_earns, timeout=10)  # bob still has another human there
    assert await xp(ada) == muted_at  # muted: nothing more
    sandbox.state.guild(guild).voice_states[ada].self_mute = False
    await sandbox.voice_state(guild, ada, voice)
    await sandbox.voice_state(guild, bob, None)  # bob leaves: ada alone again
    await ticks()
    alone_at = await xp(ada)
    await ticks()
    assert await xp(ada) == alone_at


async def test_graceful_stop_writes_what_the_buffer_holds(
    monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, tmp_path: Path
) -> None:
    monkeypatch.setattr(Leveling, "flush_interval", 3600.0)  # no flush would come before the stop
    guild = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild)[0]
    owner, _, ada, bob = sandbox.member_ids(guild)[:4]
    settings = bot_settings(sandbox, tmp_path)
    async with running_bot(sandbox, settings) as bot:
        await bot.config.set_module_enabled(guild, "leveling", True, actor_id=None)
        await bot.config.update_module_config(
            guild, "leveling", {"xp_min": 5, "xp_max": 5, "cooldown_seconds": 0}, actor_id=None
        )
        for index in range(6):
            await sandbox.send_message(channel, ada if index % 2 else bob, f"message {index}")
        await sandbox.send_message(channel, owner, "!levels")
        reply = await sandbox.wait_for_message(channel, timeout=10)
        assert reply["content"] == "Nobody has earned XP here yet."  # all of it is still in the buffer
        assert bot.get_cog("leveling").buffer.total() == 35  # the command's message earned too
    db = Database(settings.effective_database_url)
    try:
        assert await store.total(db, guild, ada) == 15
        assert await store.total(db, guild, bob) == 15
        assert await store.total(db, guild, owner) == 5
    finally:
        await db.dispose()
