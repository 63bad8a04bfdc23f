"""Case numbering on both databases: concurrent warnings over separate connections, and rolled-back cases."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from wolaro.core.services import upgrade_schema_async as upgrade_async
from wolaro.data.database import Database
from wolaro.data.models import AuditLog
from wolaro.modules.moderation import cases
from wolaro.modules.moderation.config import Config
from wolaro.modules.moderation.models import ModCaseCounter
from wolaro.modules.moderation.rules import Action
from wolaro.modules.moderation.service import record

pytestmark = pytest.mark.timeout(120)

GUILD_A, GUILD_B, TARGET, MODERATOR = 1001, 1002, 42, 7


async def test_fifty_concurrent_warnings_on_separate_connections(database_url):
    """50 warnings in guild A and 20 in guild B, all at once, spread over 5 engines (separate pools)."""
    await upgrade_async(database_url)
    engines = [Database(database_url, pool_size=10, max_overflow=0) for _ in range(5)]
    config = Config.model_validate({"escalation": [{"warns": 10, "action": "kick"}, {"warns": 20, "action": "ban"}]})

    async def warn(index: int, guild: int) -> tuple[int, int | None, Action | None]:
        db = engines[index % len(engines)]
        services = SimpleNamespace(db=db, jobs=None)  # warnings schedule no job
        async with db.transaction() as session:
            case, step, count = await record(
                session,
                services,  # type: ignore[arg-type]
                guild_id=guild,
                action=Action.WARN,
                target_id=TARGET,
                moderator_id=MODERATOR,
                reason=f"warning {index}",
                duration=None,
                automated=False,
                config=config,
                bot_id=1,
            )
        return case.number, count, step.action if step else None

    try:
        results = await asyncio.gather(*(warn(i, GUILD_A) for i in range(50)), *(warn(i, GUILD_B) for i in range(20)))
        in_a, in_b = results[:50], results[50:]
        assert sorted(number for number, _, _ in in_a) == list(range(1, 51))
        assert sorted(number for number, _, _ in in_b) == list(range(1, 21))
        # each warning counted the ones committed before it: every count once, so each threshold fires once
        assert sorted(count for _, count, _ in in_a) == list(range(1, 51))
        assert all(number == count for number, count, _ in in_a)
        assert sorted(str(step) for _, _, step in in_a if step) == ["ban", "kick"]
        async with engines[0].session() as session:
            assert await cases.numbers(session, GUILD_A) == list(range(1, 51))
            assert await cases.numbers(session, GUILD_B) == list(range(1, 21))
            counters = dict((await session.execute(select(ModCaseCounter.guild_id, ModCaseCounter.last_case))).all())
            assert counters == {GUILD_A: 50, GUILD_B: 20}
            audits = await session.scalar(
                select(func.count()).select_from(AuditLog).where(AuditLog.action == "moderation.warn")
            )
            assert audits == 70
    finally:
        for db in engines:
            await db.dispose()


async def test_a_rolled_back_case_gives_its_number_back(migrated_db):
    services = SimpleNamespace(db=migrated_db, jobs=None)
    with pytest.raises(RuntimeError):
        async with migrated_db.transaction() as session:
            await record(
                session,
                services,  # type: ignore[arg-type]
                guild_id=GUILD_A,
                action=Action.NOTE,
                target_id=TARGET,
                moderator_id=MODERATOR,
                reason="lost",
                duration=None,
                automated=False,
                config=Config(),
                bot_id=1,
            )
            raise RuntimeError("the Discord action failed")
    async with migrated_db.transaction() as session:
        case, _, _ = await record(
            session,
            services,  # type: ignore[arg-type]
            guild_id=GUILD_A,
            action=Action.NOTE,
            target_id=TARGET,
            moderator_id=MODERATOR,
            reason="kept",
            duration=None,
            automated=False,
            config=Config(),
            bot_id=1,
        )
    assert case.number == 1
