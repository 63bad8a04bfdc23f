"""Case numbers under concurrency through Discord: 50 warn commands at once get cases 1..50 (PostgreSQL)."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.support.harness import bot_settings, running_bot
from tests.support.moderation import Place
from wolaro.modules.moderation import cases

pytestmark = [pytest.mark.timeout(120), pytest.mark.serial]  # 50 commands against Discord's deadlines: alone


@pytest.mark.postgres
async def test_fifty_warn_commands_fired_at_once_through_discord(sandbox, postgres_url, tmp_path):
    place = Place.of(sandbox)
    settings = bot_settings(
        sandbox,
        tmp_path,
        database_url=postgres_url,
        command_cooldown_rate="1000/second",
        user_global_rate="1000/minute",
    )
    async with running_bot(sandbox, settings) as bot:
        records = await asyncio.gather(
            *(
                sandbox.invoke_slash(
                    place.guild, place.channel, place.mod, "warn", {"member": place.plain[i % 3], "reason": f"w{i}"}
                )
                for i in range(50)
            )
        )
        answers = await asyncio.gather(*(sandbox.wait_for_interaction_response(r, timeout=15) for r in records))
        numbers = sorted(int(re.search(r"case #(\d+)", a["content"]).group(1)) for a in answers)
        assert numbers == list(range(1, 51))
        async with bot.services.db.session() as session:
            assert await cases.numbers(session, place.guild) == list(range(1, 51))
            for target in place.plain:
                assert await cases.count_active_warnings(session, place.guild, target) in (16, 17)
