"""A database made by the migrations of before modules had their own branches (0001-0007, alembic_version 0007),
with rows in every table, upgrades with today's `wolaro migrate` without losing one, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import inspect, text

from wolaro.core.registry import discover_specs, migration_folders, model_modules
from wolaro.core.services import upgrade_schema
from wolaro.data import migrate
from wolaro.data.database import Database

OLD_VERSIONS = Path(__file__).resolve().parent / "schema_0007" / "versions"
TABLES = (
    "guilds",
    "guild_modules",
    "audit_log",
    "scheduled_jobs",
    "antiraid_state",
    "mod_case_counters",
    "mod_cases",
    "bot_guilds",
    "dashboard_sessions",
)
ROWS = [
    "INSERT INTO guilds (id, prefix, language, settings, blacklisted) VALUES (111, '?', 'fr', '{\"a\": 1}', false)",
    "INSERT INTO guilds (id, settings) VALUES (222, '{}')",
    "INSERT INTO guild_modules (guild_id, module, enabled, config) VALUES (111, 'moderation', true, '{\"x\": 2}')",
    "INSERT INTO guild_modules (guild_id, module, enabled, config) VALUES (111, 'antiraid', false, '{}')",
    "INSERT INTO audit_log (guild_id, actor_id, action, target, before, after)"
    " VALUES (111, 5, 'moderation.warn', 'user:7', NULL, '{\"case\": 1}')",
    "INSERT INTO scheduled_jobs (guild_id, kind, payload, run_at, status, dedupe_key)"
    " VALUES (111, 'moderation.unban', '{\"user_id\": 7}', '2030-01-01 00:00:00', 'pending', 'moderation.unban:111:7')",
    "INSERT INTO antiraid_state (guild_id, active, manual, joins, locked_channels, updated_at)"
    " VALUES (111, true, false, 12, '[1, 2]', '2026-11-01 10:00:00')",
    "INSERT INTO mod_case_counters (guild_id, last_case) VALUES (111, 2)",
    "INSERT INTO mod_cases (guild_id, number, action, target_id, moderator_id, reason, active, automated,"
    " target_kind, details) VALUES (111, 1, 'warn', 7, 5, 'spam', true, false, 'member', NULL)",
    "INSERT INTO mod_cases (guild_id, number, action, target_id, moderator_id, reason, active, automated,"
    " target_kind, details) VALUES (111, 2, 'purge', 99, 5, NULL, true, false, 'channel', '{\"count\": 10}')",
    "INSERT INTO bot_guilds (id, shard_id, name, owner_id, member_count) VALUES (111, 0, 'Guild', 5, 50)",
    "INSERT INTO dashboard_sessions (id, user_id, discord_tokens, token_expires_at, expires_at)"
    " VALUES ('s1', 5, 'gAAAA-encrypted', '2030-01-01 00:00:00', '2030-01-01 00:00:00')",
]


def _build_old_database(url: str) -> None:
    """The schema exactly as the migrations 0001-0007 of before made it."""
    config = migrate.alembic_config(url)
    config.set_main_option("version_locations", str(OLD_VERSIONS))
    with migrate._ALEMBIC:
        command.upgrade(config, "head")


async def _dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    dump: dict[str, list[tuple[Any, ...]]] = {}
    async with db.session() as session:
        for table in TABLES:
            rows = (await session.execute(text(f"SELECT * FROM {table}"))).mappings().all()
            dump[table] = sorted(tuple(sorted((k, repr(v)) for k, v in row.items())) for row in rows)
    return dump


async def test_a_database_of_before_upgrades_with_every_row_kept(database_url: str) -> None:
    _build_old_database(database_url)
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            for statement in ROWS:
                await session.execute(text(statement))
            assert (await session.execute(text("SELECT version_num FROM alembic_version"))).scalars().all() == ["0007"]
        before = await _dump(db)
        assert all(before[table] for table in TABLES), "every table holds rows before the upgrade"

        upgrade_schema(database_url)  # what `wolaro migrate` runs

        after = await _dump(db)
        assert after == before
        specs = discover_specs()
        async with db.session() as session:
            versions = set((await session.execute(text("SELECT version_num FROM alembic_version"))).scalars())
        assert versions == migrate.head_revisions(migration_folders(specs))
        assert {"moderation_0001", "antiraid_0001"} <= versions
        # and the schema is the one today's models describe (`alembic check` finds no difference)
        migrate.check(database_url, branches=migration_folders(specs), models=model_modules(specs))
        upgrade_schema(database_url)  # a second run is a no-op
        assert await _dump(db) == before
    finally:
        await db.dispose()


async def test_a_database_at_0005_gets_the_case_columns_of_0006(database_url: str) -> None:
    """A database stopped before 0006 (mod_cases without target_kind/details) is completed by the module branch."""
    config = migrate.alembic_config(database_url)
    config.set_main_option("version_locations", str(OLD_VERSIONS))
    with migrate._ALEMBIC:
        command.upgrade(config, "0005")
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO mod_cases (guild_id, number, action, target_id, moderator_id, active, automated)"
                    " VALUES (1, 1, 'ban', 7, 5, true, false)"
                )
            )
        upgrade_schema(database_url)
        async with db.engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("mod_cases")}
            )
        assert {"target_kind", "details"} <= columns
        async with db.session() as session:
            kind = (await session.execute(text("SELECT target_kind FROM mod_cases"))).scalar_one()
        assert kind == "member"
    finally:
        await db.dispose()
