"""Leveling's database work: batched XP upserts that add in SQL, admin changes with their audit rows, rankings.

Every change adds or sets XP in one statement (`xp = xp + excluded.xp` on conflict, the same on SQLite and
PostgreSQL) and returns the stored total, so two bot processes flushing into the same member stay correct and
each one learns exactly which levels its own addition crossed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.modules.leveling.models import LevelingMember
from wolaro.sdk import Database, record_audit, utcnow

NAME = "leveling"
XP_MAX = 10**15
"""The most XP a member may hold (far below a BIGINT's limit, so additions never overflow)."""
SET_ACTION = "leveling.xp_set"
ADD_ACTION = "leveling.xp_add"
RESET_ACTION = "leveling.xp_reset"
IMPORT_ACTION = "leveling.import"


@dataclass(frozen=True, slots=True)
class Award:
    """XP to add to one member (their name and avatar as seen now, for the leaderboard)."""

    guild_id: int
    user_id: int
    xp: int
    name: str | None = None
    avatar: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """A member's total before and after a change."""

    guild_id: int
    user_id: int
    before: int
    after: int


Follow = Callable[[AsyncSession, list["Change"]], Awaitable[Any]]
"""Work planned inside a bulk change's own transaction (the reward role syncs), given the changes it made."""
IDS_PER_QUERY = 500
"""Member ids per `IN (...)` list (SQLite limits the parameters of one statement)."""


@dataclass(frozen=True, slots=True)
class Ranked:
    """A member on the leaderboard."""

    user_id: int
    xp: int
    name: str | None
    avatar: str | None


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _capped(value: Any) -> Any:
    """`value` kept within 0..XP_MAX, in SQL (no GREATEST/LEAST: SQLite names them differently)."""
    return case((value < 0, 0), (value > XP_MAX, XP_MAX), else_=value)


def _add_statement(dialect: str) -> Any:
    """The flush's upsert, built once per dialect so SQLAlchemy compiles it once (its cache keeps it)."""
    statement = _STATEMENTS.get(dialect)
    if statement is None:
        table = cast("Table", LevelingMember.__table__)
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        statement = insert.on_conflict_do_update(
            index_elements=["guild_id", "user_id"],
            set_={
                "xp": _capped(table.c.xp + insert.excluded.xp),
                "name": func.coalesce(insert.excluded.name, table.c.name),
                "avatar": func.coalesce(insert.excluded.avatar, table.c.avatar),
                "updated_at": insert.excluded.updated_at,
            },
        ).returning(table.c.guild_id, table.c.user_id, table.c.xp)
        _STATEMENTS[dialect] = statement
    return statement


_STATEMENTS: dict[str, Any] = {}


async def add_batch(db: Database, awards: Sequence[Award]) -> list[Change]:
    """Add every award in one upsert; each member's total before and after (one per award).

    One statement executed with every member's row (SQLAlchemy sends them as multi-row VALUES, up to a thousand
    rows per round trip). `awards` must name each member once (the buffer adds up a member's messages before a flush).
    """
    if not awards:
        return []
    added = {(a.guild_id, a.user_id): a.xp for a in awards}
    now = utcnow()
    rows = [
        {
            "guild_id": a.guild_id,
            "user_id": a.user_id,
            "xp": min(a.xp, XP_MAX),
            "name": a.name,
            "avatar": a.avatar,
            "updated_at": now,
        }
        for a in awards
    ]
    async with db.transaction() as session:
        statement = _add_statement(session.get_bind().dialect.name)
        result = await session.execute(statement, rows)
        found = result.all()
    return [Change(g, u, max(0, total - added[(g, u)]), total) for g, u, total in found]


async def total(db: Database, guild_id: int, user_id: int) -> int:
    """A member's stored XP (0 if they never earned any)."""
    async with db.session() as session:
        found = await session.scalar(
            select(LevelingMember.xp).where(LevelingMember.guild_id == guild_id, LevelingMember.user_id == user_id)
        )
    return int(found or 0)


async def rank(db: Database, guild_id: int, user_id: int, xp: int) -> int:
    """A member's place on the server's leaderboard (1 is the top; members tied on XP share the place)."""
    async with db.session() as session:
        ahead = await session.scalar(
            select(func.count()).where(LevelingMember.guild_id == guild_id, LevelingMember.xp > xp)
        )
    return int(ahead or 0) + 1


async def leaderboard(db: Database, guild_id: int, *, limit: int = 10, offset: int = 0) -> tuple[int, list[Ranked]]:
    """How many members have XP, and one page of them, best first (ties by id: a stable order).

    One statement (a window count beside the page) in the common case; a page past the end counts apart.
    """
    async with db.session() as session:
        rows = (
            await session.execute(
                select(
                    LevelingMember.user_id,
                    LevelingMember.xp,
                    LevelingMember.name,
                    LevelingMember.avatar,
                    func.count().over().label("ranked"),
                )
                .where(LevelingMember.guild_id == guild_id, LevelingMember.xp > 0)
                .order_by(LevelingMember.xp.desc(), LevelingMember.user_id)
                .limit(limit)
                .offset(offset)
            )
        ).all()
        if rows:
            return int(rows[0].ranked), [Ranked(row.user_id, row.xp, row.name, row.avatar) for row in rows]
        found = await session.scalar(
            select(func.count()).where(LevelingMember.guild_id == guild_id, LevelingMember.xp > 0)
        )
    return int(found or 0), []


async def _locked_total(session: AsyncSession, guild_id: int, user_id: int) -> int:
    """The member's XP, its row created if missing and locked for this transaction."""
    await session.execute(
        _insert(session)(LevelingMember)
        .values(guild_id=guild_id, user_id=user_id, xp=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["guild_id", "user_id"])
    )
    found = await session.scalar(
        select(LevelingMember.xp)
        .where(LevelingMember.guild_id == guild_id, LevelingMember.user_id == user_id)
        .with_for_update()
    )
    return int(found or 0)


async def set_total(db: Database, guild_id: int, user_id: int, xp: int, *, actor_id: int | None) -> Change:
    """Set a member's XP (an admin's choice, recorded in the audit log)."""
    value = max(0, min(xp, XP_MAX))
    async with db.transaction() as session:
        before = await _locked_total(session, guild_id, user_id)
        row = await session.get(LevelingMember, (guild_id, user_id), populate_existing=True)
        assert row is not None
        row.xp = value
        record_audit(
            session,
            module=NAME,
            guild_id=guild_id,
            actor_id=actor_id,
            action=SET_ACTION,
            target=f"user:{user_id}",
            before={"xp": before},
            after={"xp": value},
        )
    return Change(guild_id, user_id, before, value)


async def add_total(db: Database, guild_id: int, user_id: int, amount: int, *, actor_id: int | None) -> Change:
    """Add (or, negative, take) XP to a member, never below 0, its row locked meanwhile (recorded in the audit log)."""
    async with db.transaction() as session:
        before = await _locked_total(session, guild_id, user_id)
        after = max(0, min(before + amount, XP_MAX))
        row = await session.get(LevelingMember, (guild_id, user_id), populate_existing=True)
        assert row is not None
        row.xp = after
        record_audit(
            session,
            module=NAME,
            guild_id=guild_id,
            actor_id=actor_id,
            action=ADD_ACTION,
            target=f"user:{user_id}",
            before={"xp": before},
            after={"xp": after},
        )
    return Change(guild_id, user_id, before, after)


async def totals_of(db: Database, guild_id: int, user_ids: Sequence[int]) -> dict[int, int]:
    """The XP of each of `user_ids` who has some (a member missing from the result has none)."""
    found: dict[int, int] = {}
    async with db.session() as session:
        for start in range(0, len(user_ids), IDS_PER_QUERY):
            page = user_ids[start : start + IDS_PER_QUERY]
            rows = await session.execute(
                select(LevelingMember.user_id, LevelingMember.xp).where(
                    LevelingMember.guild_id == guild_id, LevelingMember.user_id.in_(page)
                )
            )
            found.update((int(user), int(xp)) for user, xp in rows)
    return found


async def reset(
    db: Database, guild_id: int, user_id: int | None, *, actor_id: int | None, follow: Follow | None = None
) -> list[Change]:
    """Remove the XP of one member, or of everyone in the server (None); the members it changed.

    `follow` runs in the same transaction with the changes (to plan the reward role syncs with them).
    """
    async with db.transaction() as session:
        where = [LevelingMember.guild_id == guild_id, LevelingMember.xp > 0]
        if user_id is not None:
            where.append(LevelingMember.user_id == user_id)
        rows = (
            await session.execute(
                delete(LevelingMember).where(*where).returning(LevelingMember.user_id, LevelingMember.xp)
            )
        ).all()
        record_audit(
            session,
            module=NAME,
            guild_id=guild_id,
            actor_id=actor_id,
            action=RESET_ACTION,
            target=None if user_id is None else f"user:{user_id}",
            before={"members": len(rows)},
            after={"xp": 0},
        )
        changes = [Change(guild_id, user, int(xp), 0) for user, xp in rows]
        if follow is not None:
            await follow(session, changes)
    return changes


async def import_totals(
    db: Database,
    guild_id: int,
    totals: Sequence[tuple[int, int]],
    *,
    actor_id: int | None,
    follow: Follow | None = None,
) -> list[Change]:
    """Set the XP of every (member, xp) listed, in one transaction (all or nothing); each member's change.

    `follow` runs in the same transaction with the changes (to plan the reward role syncs with them).
    """
    now = utcnow()
    rows = [{"guild_id": guild_id, "user_id": user, "xp": min(xp, XP_MAX), "updated_at": now} for user, xp in totals]
    async with db.transaction() as session:
        before: dict[int, int] = {}
        user_ids = [user for user, _ in totals]
        for start in range(0, len(user_ids), IDS_PER_QUERY):  # read under the transaction: what the import replaces
            page = user_ids[start : start + IDS_PER_QUERY]
            found = await session.execute(
                select(LevelingMember.user_id, LevelingMember.xp).where(
                    LevelingMember.guild_id == guild_id, LevelingMember.user_id.in_(page)
                )
            )
            before.update((int(user), int(xp)) for user, xp in found)
        dialect = session.get_bind().dialect.name
        table = cast("Table", LevelingMember.__table__)
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        statement = insert.on_conflict_do_update(
            index_elements=["guild_id", "user_id"],
            set_={"xp": insert.excluded.xp, "updated_at": insert.excluded.updated_at},
        )
        if rows:
            await session.execute(statement, rows)  # one statement, every row (sent in pages of many rows)
        record_audit(
            session,
            module=NAME,
            guild_id=guild_id,
            actor_id=actor_id,
            action=IMPORT_ACTION,
            after={"members": len(totals)},
        )
        changes = [Change(guild_id, user, before.get(user, 0), min(xp, XP_MAX)) for user, xp in totals]
        if follow is not None:
            await follow(session, changes)
    return changes


async def export_totals(db: Database, guild_id: int) -> list[tuple[int, int]]:
    """(member, xp) of everyone with XP in the server, most first."""
    async with db.session() as session:
        rows = await session.execute(
            select(LevelingMember.user_id, LevelingMember.xp)
            .where(LevelingMember.guild_id == guild_id, LevelingMember.xp > 0)
            .order_by(LevelingMember.xp.desc(), LevelingMember.user_id)
        )
        return [(int(user), int(xp)) for user, xp in rows]
