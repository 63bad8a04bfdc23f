"""Alembic environment: runs Wolaro's migrations on the async engine (SQLite or PostgreSQL).

Driven programmatically by `wolaro.data.migrate` (there is no alembic.ini): the URL arrives in
`config.attributes["url"]` (or the `sqlalchemy.url` option).
"""

from __future__ import annotations

import asyncio
import importlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from wolaro.data.database import make_engine, take_migration_lock
from wolaro.data.models import Base, UTCDateTime, import_all_models

config = context.config
import_all_models()
for _module in config.attributes.get("models", ()):  # the installed modules' tables (their specs name them)
    importlib.import_module(_module)
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: use wolaro.data.migrate.alembic_config(url)")
    return str(url)


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our column types as plain SQLAlchemy types, so revisions do not import application code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=render_item,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (`alembic upgrade --sql`)."""
    url = _url()
    _configure(url=url, literal_binds=True, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    # Two processes starting together on an empty database would both create `alembic_version` and the tables;
    # the lock makes the second wait, then find the schema at head. Taken before Alembic looks at the database,
    # so every revision runs in this one transaction (committed by `run_migrations_online`).
    take_migration_lock(connection)
    _configure(connection=connection, render_as_batch=sqlite)
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        # Foreign keys are off while migrating (batch mode recreates tables): check nothing was left dangling.
        problems = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
        if problems:
            raise RuntimeError(f"foreign key violations after migrating: {problems[:10]}")


async def run_migrations_online() -> None:
    """Run the migrations on a live connection of the async engine."""
    engine = make_engine(_url(), for_migrations=True)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def _run_blocking() -> None:
    """Run the async migration to completion, also when called from a thread whose event loop is running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop_running = False
    else:
        loop_running = True
    if not loop_running:  # outside the except block: a failure here is not chained to "no running event loop"
        asyncio.run(run_migrations_online())
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="alembic") as pool:
        pool.submit(lambda: asyncio.run(run_migrations_online())).result()


if context.is_offline_mode():
    run_migrations_offline()
else:
    _run_blocking()
