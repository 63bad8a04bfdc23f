"""Privacy coverage: every column that can hold a person's id is declared by some module's hooks, and those hooks
export it and erase it.

The rule (strict, so a future module cannot forget): among every table mapped on `Base.metadata` (the core's, the
jobs' and the dashboard's, and every module's models), a column is *person-shaped* when it is a 64-bit integer
(`Snowflake`/`BigInteger`), a JSON document, or its name ends in `_id` or `_by`. Each person-shaped column must be
either declared in some hook's `stores` or declared not personal with the reason it never names a person: by
its module's spec (`ModuleSpec.not_personal`, read from every installed module, third parties included), by the
platform (`privacy_core.PLATFORM_NOT_PERSONAL`). Then, for every declared column, a row naming a person is
written in two servers: the person's export finds it, a `/privacy delete` in one server clears that server's
row only, and an erasure everywhere leaves no row of any table mentioning the person.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest
from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, MetaData, String, Table, insert, select

from wolaro.core.privacy import (
    declared_columns,
    delete_user,
    export_user,
    kept_columns,
    not_personal_columns,
    not_personal_problems,
    privacy_hooks,
)
from wolaro.core.registry import ModuleSpec, discover_specs
from wolaro.data.database import Database
from wolaro.data.models import Base, UTCDateTime, import_all_models

PERSON = 734_512_998_601_234_567
GUILD = 111_000_000_000_000_001
OTHER_GUILD = 222_000_000_000_000_002
SOMEONE_ELSE = 42

#: Names that never name a person, in any table: a row's own key, and the server it belongs to.
GENERIC_NOT_PERSONAL = {"id", "guild_id"}


#: Person-shaped columns of built-in modules that hold no person's id, each with the reason.
def person_shaped(column: Column[Any]) -> bool:
    """Whether a column could hold a person's id (see the module docstring)."""
    return isinstance(column.type, BigInteger | JSON) or column.name.endswith("_id") or column.name.endswith("_by")


def uncovered(metadata: MetaData, declared: set[str], not_personal: Mapping[str, str]) -> list[str]:
    """Person-shaped columns neither declared by a hook nor declared not personal."""
    return sorted(
        f"{table.name}.{column.name}"
        for table in metadata.tables.values()
        for column in table.columns
        if person_shaped(column)
        and column.name not in GENERIC_NOT_PERSONAL
        and f"{table.name}.{column.name}" not in declared
        and f"{table.name}.{column.name}" not in not_personal
    )


@pytest.fixture(scope="module")
def hooks() -> dict[str, Any]:
    import_all_models()
    return privacy_hooks(discover_specs().values())


@pytest.fixture(scope="module")
def not_personal() -> dict[str, str]:
    """Every declared exception: the installed modules' specs, the platform's, the built-ins' listed here."""
    return not_personal_columns(discover_specs().values())


def test_every_person_shaped_column_is_declared_by_a_hook(hooks, not_personal) -> None:
    declared = set(declared_columns(hooks))
    assert uncovered(Base.metadata, declared, not_personal) == []
    columns = {f"{t.name}.{c.name}" for t in Base.metadata.tables.values() for c in t.columns}
    assert declared <= columns, f"hooks declare columns that do not exist: {sorted(declared - columns)}"
    assert set(not_personal) <= columns, f"stale not-personal entries: {sorted(set(not_personal) - columns)}"
    assert all(reason.strip() for reason in not_personal.values())
    assert not declared & set(not_personal), "a column is declared both personal and not personal"
    for name, hook in hooks.items():  # kept on purpose: only a column the hook exports, and with a reason
        kept = getattr(hook, "kept", {})
        assert set(kept) <= set(hook.stores), f"{name}: kept columns it does not declare in stores"
        assert all(reason.strip() for reason in kept.values()), f"{name}: a kept column needs a reason"


def _spec_with_table(not_personal: Mapping[str, str], stores: Mapping[str, str] | None = None) -> ModuleSpec:
    table = Table(
        "np_probe_scores",
        MetaData(),
        Column("guild_id", BigInteger, primary_key=True),
        Column("message_id", BigInteger),
    )
    scores = type("Scores", (), {"__tablename__": table.name, "__table__": table})  # a model, unmapped
    hook = SimpleNamespace(stores=stores or {})
    return ModuleSpec(
        name="np_probe",
        description="probe",
        version="1",
        models=(scores,),
        not_personal=not_personal,
        privacy=cast(Any, hook) if stores else None,
    )


def test_a_module_declares_its_own_columns_not_personal_with_a_reason() -> None:
    """`ModuleSpec.not_personal` clears a column of the module's own tables, and only with a reason."""
    good = _spec_with_table({"np_probe_scores.message_id": "a message of the counting channel"})
    assert not_personal_problems(good) == []
    found = not_personal_columns([good])
    assert found["np_probe_scores.message_id"] == "a message of the counting channel"
    assert "scheduled_jobs.locked_by" in found  # the platform's own exceptions come with them

    bad = {
        "needs a reason": _spec_with_table({"np_probe_scores.message_id": "  "}),
        "is not 'table.column' of one of its own models": _spec_with_table({"audit_log.actor_id": "mine"}),
        "has no column 'author_id'": _spec_with_table({"np_probe_scores.author_id": "a typo"}),
        "is both declared personal": _spec_with_table(
            {"np_probe_scores.message_id": "a message"}, stores={"np_probe_scores.message_id": "your messages"}
        ),
    }
    for problem, spec in bad.items():
        problems = not_personal_problems(spec)
        assert len(problems) == 1 and problem in problems[0], (problem, problems)
        with pytest.raises(ValueError, match="np_probe"):
            not_personal_columns([spec])


def test_the_rule_catches_a_module_that_forgets_a_column(hooks, not_personal) -> None:
    """A new table with a person's id that no hook declares fails the rule (by type, by name, or as JSON)."""
    metadata = MetaData()
    Table(
        "counting_scores",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("guild_id", BigInteger),
        Column("member_id", BigInteger),
        Column("last_counter", BigInteger),
        Column("approved_by", String(20)),
        Column("history", JSON),
        Column("count", Integer),
    )
    found = uncovered(metadata, set(declared_columns(hooks)), not_personal)
    assert found == [
        "counting_scores.approved_by",
        "counting_scores.history",
        "counting_scores.last_counter",
        "counting_scores.member_id",
    ]


# ------------------------------------------------------------------------------------------ the walk
def _mention(column: Column[Any]) -> Any:
    if isinstance(column.type, JSON):
        return {"user_id": PERSON}
    if isinstance(column.type, String) and not isinstance(column.type, BigInteger):
        return str(PERSON)
    return PERSON


def _filler(column: Column[Any]) -> Any:
    """A value for a required column that names nobody."""
    if isinstance(column.type, UTCDateTime | DateTime):
        return datetime.now(UTC)
    python_type = column.type.python_type
    if python_type is int:
        return SOMEONE_ELSE
    if python_type is str:
        length = getattr(column.type, "length", None) or 16
        return f"t{secrets.token_hex(4)}"[:length]
    if python_type is bool:
        return False
    if python_type is dict:
        return {}
    raise AssertionError(f"no filler for {column}")


#: Tables whose own key is the server's id.
GUILD_KEYED = {"guilds", "bot_guilds"}
#: Values some tables need to be meaningful to their hook (a job of the reminders' kind, a member case).
FIXED = {"scheduled_jobs": {"kind": "reminders.deliver"}, "mod_cases": {"target_kind": "member", "action": "warn"}}


def _optional(column: Column[Any]) -> bool:
    """The database fills it (an autoincrement key, a default) or it may stay NULL."""
    generated = column.primary_key and column.autoincrement in (True, "auto") and isinstance(column.type, Integer)
    return generated or column.nullable or column.default is not None or column.server_default is not None


def row_naming_person(table: Table, mentioned: str, guild: int) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.name == mentioned:
            values[column.name] = _mention(column)
        elif column.name == "guild_id" or (column.name == "id" and table.name in GUILD_KEYED):
            values[column.name] = guild
        elif column.name in FIXED.get(table.name, {}):
            values[column.name] = FIXED[table.name][column.name]
        elif not _optional(column):
            values[column.name] = _filler(column)
    return values


def _mentions(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, int) and not isinstance(value, bool):
        return value == PERSON
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return str(PERSON) in text


async def rows_mentioning_person(db: Database) -> list[tuple[str, dict[str, Any]]]:
    """Every row of every table that still mentions the person, in any column."""
    found = []
    async with db.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                if any(_mentions(value) for value in row.values()):
                    found.append((table.name, dict(row)))
    return found


async def _clear(db: Database) -> None:
    async with db.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(table.delete())


async def test_every_declared_column_is_exported_then_erased(migrated_db: Database, hooks) -> None:
    db = migrated_db
    for column_name, owners in sorted(declared_columns(hooks).items()):
        table_name, name = column_name.split(".")
        table = Base.metadata.tables[table_name]
        await _clear(db)
        async with db.transaction() as session:
            for guild in (GUILD, OTHER_GUILD):
                await session.execute(insert(table).values(row_naming_person(table, name, guild)))
        assert await rows_mentioning_person(db), column_name
        guild_scoped = "guild_id" in table.columns or table_name in GUILD_KEYED

        export = await export_user(db, hooks, PERSON, None)
        exported_by = [owner for owner in owners if export["data"].get(owner)]
        assert exported_by, f"{column_name}: no hook of {owners} exports the row"
        assert export["stores"][owners[0]][column_name]

        if column_name in kept_columns(hooks):  # kept on purpose (the person's own choice): exported, stays
            await delete_user(db, hooks, PERSON, None)
            assert {name for name, _ in await rows_mentioning_person(db)} == {table_name}, column_name
            assert (await export_user(db, hooks, PERSON, None))["data"], column_name
            continue
        if guild_scoped:
            counts = await delete_user(db, hooks, PERSON, GUILD)
            assert counts, column_name
            left = await rows_mentioning_person(db)
            assert left, f"{column_name}: erasing in one server erased the other server's row"
            assert all(row.get("guild_id", row.get("id")) == OTHER_GUILD for _, row in left), (column_name, left)
            assert not (await export_user(db, hooks, PERSON, GUILD))["data"], column_name

        counts = await delete_user(db, hooks, PERSON, None)
        assert counts, column_name
        assert await rows_mentioning_person(db) == [], column_name
        assert (await export_user(db, hooks, PERSON, None))["data"] == {}, column_name
