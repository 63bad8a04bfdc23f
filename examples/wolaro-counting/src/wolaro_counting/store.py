"""The count in the database, changed only by atomic conditional updates (Wolaro's rule 9: many bot processes).

Every bot process receives every message of the counting channel, in order. Counting `n` is one statement,
`UPDATE counting_state SET current = n ... WHERE guild_id = g AND current = n - 1 AND <member may count> AND
<no message from this one on was handled>`: of the processes handling the same message, exactly one changes the row
(and bumps the member's tally in the same transaction); the others change nothing and then find the count changed
by that message or a later one (`last_message_id`: Discord message ids grow in the order messages are sent). A
reset is conditional on the count it read, so it never undoes a number counted in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.sdk import Database, record_audit, utcnow
from wolaro_counting.game import Snapshot, Verdict, judge, resets
from wolaro_counting.models import CountingState, CountingTally

NAME = "counting"
RESET_ACTION = "counting.reset"
"""The audit action of an admin's reset (its label is in the spec's `audit_labels`)."""
LEADERBOARD_SIZE = 10
ATTEMPTS = 5
"""Re-reads allowed when another process changes the count between a read and a conditional update."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What handling one counting message did."""

    verdict: Verdict
    before: Snapshot
    """The count as this process judged it."""
    applied: bool
    """Whether this process changed the count (so it is the one to react and announce)."""
    reset: bool = False


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT with ON CONFLICT support (SQLite and PostgreSQL both have it)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def _snapshot(session: AsyncSession, guild_id: int) -> Snapshot:
    row = (await session.execute(select(CountingState).where(CountingState.guild_id == guild_id))).scalar_one_or_none()
    if row is None:
        return Snapshot()
    return Snapshot(row.current, row.high_score, row.last_user_id, row.last_number, row.last_message_id)


async def _ensure_row(session: AsyncSession, guild_id: int) -> None:
    statement = _insert(session)(CountingState).values(guild_id=guild_id, current=0, high_score=0, resets=0)
    await session.execute(statement.on_conflict_do_nothing(index_elements=["guild_id"]))


def _before(message_id: int) -> Any:
    """The count was last changed by a message sent before `message_id` (or by none)."""
    last = CountingState.last_message_id
    return or_(last.is_(None), last < message_id)


async def _count(
    session: AsyncSession, guild_id: int, user_id: int, number: int, message_id: int, *, allow_twice: bool
) -> bool:
    """Move the count from `number - 1` to `number` if it still stands there; True if this call moved it."""
    where = [
        CountingState.guild_id == guild_id,
        CountingState.current == number - 1,
        _before(message_id),  # neither this message nor a later one was handled
    ]
    if not allow_twice:
        last = CountingState.last_user_id  # who counted `number - 1` may not count `number`
        where.append(
            or_(
                last.is_(None),
                last != user_id,
                CountingState.current == 0,
                CountingState.last_number != CountingState.current,
            )
        )
    result: Any = await session.execute(
        update(CountingState)
        .where(*where)
        .values(
            current=number,
            last_user_id=user_id,
            last_number=number,
            last_message_id=message_id,
            high_score=case((CountingState.high_score < number, number), else_=CountingState.high_score),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    tally = _insert(session)(CountingTally).values(guild_id=guild_id, user_id=user_id, correct=1, updated_at=utcnow())
    await session.execute(
        tally.on_conflict_do_update(
            index_elements=["guild_id", "user_id"],
            set_={"correct": CountingTally.correct + 1, "updated_at": utcnow()},
        )
    )
    return True


async def _reset_from(
    session: AsyncSession, guild_id: int, seen: Snapshot, user_id: int, number: int, message_id: int
) -> bool:
    """Start the count again at 0 if it is still what was judged (the breaker remembered); True if this call did."""
    last = CountingState.last_user_id
    result: Any = await session.execute(
        update(CountingState)
        .where(
            CountingState.guild_id == guild_id,
            CountingState.current == seen.current,
            CountingState.last_number == seen.last_number,
            last.is_(None) if seen.last_user_id is None else last == seen.last_user_id,
            CountingState.last_message_id.is_(None)
            if seen.last_message_id is None
            else CountingState.last_message_id == seen.last_message_id,
        )
        .values(
            current=0,
            last_user_id=user_id,
            last_number=number,
            last_message_id=message_id,
            resets=CountingState.resets + 1,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def record(
    db: Database,
    guild_id: int,
    user_id: int,
    number: int,
    message_id: int,
    *,
    allow_twice: bool,
    reset_on_mistake: bool,
) -> Outcome:
    """Apply counting message `message_id` to the server's count, safely under any number of processes."""
    for _ in range(ATTEMPTS):
        async with db.transaction() as session:
            seen = await _snapshot(session, guild_id)
            verdict = judge(seen, user_id, number, message_id, allow_same_member_twice=allow_twice)
            if verdict is Verdict.COUNTS:
                if seen == Snapshot():
                    await _ensure_row(session, guild_id)
                if await _count(session, guild_id, user_id, number, message_id, allow_twice=allow_twice):
                    return Outcome(verdict, seen, applied=True)
                continue  # another process changed the count since the read: judge again
            if not resets(verdict, seen, reset_on_mistake=reset_on_mistake):
                return Outcome(verdict, seen, applied=False)
            if await _reset_from(session, guild_id, seen, user_id, number, message_id):
                return Outcome(verdict, seen, applied=True, reset=True)
    return Outcome(Verdict.HANDLED, Snapshot(), applied=False)  # the count kept moving: leave this one


async def reset(db: Database, guild_id: int, actor_id: int) -> Snapshot:
    """An admin's reset: the count starts again at 0 (the high score and the tallies stay); the count before.

    The server's audit log records it (`counting.reset`: who, and the count before and after) in the same
    transaction, so a reset is never unrecorded.
    """
    async with db.transaction() as session:
        before = await _snapshot(session, guild_id)
        await session.execute(
            update(CountingState)
            .where(CountingState.guild_id == guild_id)
            .values(current=0, last_user_id=None, last_number=0, resets=CountingState.resets + 1, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        record_audit(
            session,
            module=NAME,
            guild_id=guild_id,
            actor_id=actor_id,
            action=RESET_ACTION,
            before={"current": before.current, "high_score": before.high_score},
            after={"current": 0, "high_score": before.high_score},
        )
    return before


async def snapshot(db: Database, guild_id: int) -> Snapshot:
    """The server's count now."""
    async with db.session() as session:
        return await _snapshot(session, guild_id)


async def tally(db: Database, guild_id: int, user_id: int) -> int:
    """How many numbers a member counted correctly in a server."""
    async with db.session() as session:
        value = await session.scalar(
            select(CountingTally.correct).where(CountingTally.guild_id == guild_id, CountingTally.user_id == user_id)
        )
    return int(value or 0)


async def leaderboard(db: Database, guild_id: int, limit: int = LEADERBOARD_SIZE) -> list[tuple[int, int]]:
    """The members who counted most in a server: (user id, correct counts), best first."""
    async with db.session() as session:
        rows = await session.execute(
            select(CountingTally.user_id, CountingTally.correct)
            .where(CountingTally.guild_id == guild_id, CountingTally.correct > 0)
            .order_by(CountingTally.correct.desc(), CountingTally.user_id)
            .limit(limit)
        )
        return [(int(user_id), int(correct)) for user_id, correct in rows]


# -------------------------------------------------------------------------------------- privacy
def _scoped(column: Any, user_id: int, guild_id: int | None, guild_column: Any) -> Any:
    return column == user_id if guild_id is None else and_(column == user_id, guild_column == guild_id)


async def user_rows(db: Database, user_id: int, guild_id: int | None) -> tuple[list[tuple[int, int]], list[int]]:
    """A person's tallies (server id, correct counts) and the servers where they counted last."""
    async with db.session() as session:
        tallies = await session.execute(
            select(CountingTally.guild_id, CountingTally.correct)
            .where(_scoped(CountingTally.user_id, user_id, guild_id, CountingTally.guild_id))
            .order_by(CountingTally.guild_id)
        )
        last = await session.execute(
            select(CountingState.guild_id)
            .where(_scoped(CountingState.last_user_id, user_id, guild_id, CountingState.guild_id))
            .order_by(CountingState.guild_id)
        )
        return [(int(g), int(c)) for g, c in tallies], [int(g) for g in last.scalars()]


async def erase_user(db: Database, user_id: int, guild_id: int | None) -> int:
    """Delete a person's tallies and forget them as the last counter; how many rows changed."""
    async with db.transaction() as session:
        deleted: Any = await session.execute(
            delete(CountingTally)
            .where(_scoped(CountingTally.user_id, user_id, guild_id, CountingTally.guild_id))
            .execution_options(synchronize_session=False)
        )
        forgotten: Any = await session.execute(
            update(CountingState)
            .where(_scoped(CountingState.last_user_id, user_id, guild_id, CountingState.guild_id))
            .values(last_user_id=None)
            .execution_options(synchronize_session=False)
        )
        return int(deleted.rowcount or 0) + int(forgotten.rowcount or 0)
