"""Economy end-to-end helpers: guild 0 of the sandbox with the module switched on, and short ways to talk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest_asyncio

from tests.support.harness import bot_settings, running_bot
from tests.support.moderation import Place, say
from wolaro.modules.economy import bank, ledger
from wolaro.sandbox import Sandbox


@dataclass
class Town:
    """Guild 0 with economy on: the owner (admin), a moderator, three plain members and the bot."""

    sandbox: Sandbox
    bot: Any
    place: Place

    @property
    def guild(self) -> int:
        return self.place.guild

    @property
    def channel(self) -> int:
        return self.place.channel

    async def say(self, author: int, content: str) -> str:
        """Type a prefix command; the bot's answer."""
        return str((await say(self.sandbox, self.channel, author, content))["content"])

    async def slash(self, user: int, name: str, options: dict[str, Any] | None = None, **extra: Any) -> dict:
        """Run a slash command; the bot's final answer (content, embeds, ephemeral...)."""
        record = await self.sandbox.invoke_slash(self.guild, self.channel, user, name, options, **extra)
        return await self.sandbox.wait_for_interaction_response(record, timeout=5)

    async def configure(self, **changes: Any) -> None:
        await self.bot.config.update_module_config(self.guild, "economy", changes, actor_id=None)

    async def balance(self, user: int) -> ledger.Balance:
        return await bank.balance(self.bot.services.db, self.guild, user)

    async def sums(self) -> ledger.Sums:
        async with self.bot.services.db.session() as session:
            return await ledger.sums(session, self.guild)


@pytest_asyncio.fixture
async def bot(sandbox, tmp_path, master_admin):
    """The real bot on SQLite, with command rate limits loose enough for a scripted conversation."""
    settings = bot_settings(
        sandbox,
        tmp_path,
        master_admin_ids=[master_admin],
        command_cooldown_rate="1000/second",
        user_global_rate="1000/second",
    )
    async with running_bot(sandbox, settings) as running:
        yield running


@pytest_asyncio.fixture
async def town(sandbox, bot) -> Town:
    place = Place.of(sandbox)
    town = Town(sandbox, bot, place)
    assert "enabled" in await town.say(place.owner, "!modules enable economy")
    return town
