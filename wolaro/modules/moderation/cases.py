"""The case repository: numbering, inserting, reading and updating cases. Every query filters on the guild.

Numbering: `next_number` upserts the guild's counter row with `last_case = last_case + 1 ... RETURNING`, one
statement on both PostgreSQL and SQLite. Called inside `Database.transaction()`, the row stays locked until
the case is committed (PostgreSQL row lock; SQLite's `BEGIN IMMEDIATE` write lock), so concurrent commands
take consecutive numbers, and a transaction that rolls back returns its number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.data.models import utcnow
from wolaro.modules.moderation.models import ModCase, ModCaseCounter
from wolaro.modules.moderation.rules import LASTING_ACTIONS, Action, TargetKind, target_kind


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case as plain values."""

    guild_id: int
    number: int
    action: Action
    target_id: int
    moderator_id: int
    reason: str | None
    duration_seconds: int | None
    expires_at: datetime | None
    created_at: datetime
    active: bool
    automated: bool
    ref_case: int | None = None
    modlog_channel_id: int | None = None
    modlog_message_id: int | None = None
    target_kind: TargetKind = TargetKind.MEMBER
    details: dict[str, Any] | None = None

    @property
    def on_channel(self) -> bool:
        """Whether the target is a channel (purge, slowmode, lock, unlock) rather than a member."""
        return self.target_kind is TargetKind.CHANNEL

    @property
    def duration(self) -> timedelta | None:
        """The case's duration (temp ban, timeout), if any."""
        return timedelta(seconds=self.duration_seconds) if self.duration_seconds is not None else None

    def in_force(self, now: datetime | None = None) -> bool:
        """Active and not expired."""
        now = now or utcnow()
        return self.active and (self.expires_at is None or self.expires_at > now)


def view(row: ModCase) -> CaseView:
    """The plain values of a case row."""
    return CaseView(
        guild_id=row.guild_id,
        number=row.number,
        action=Action(row.action),
        target_id=row.target_id,
        moderator_id=row.moderator_id,
        reason=row.reason,
        duration_seconds=row.duration_seconds,
        expires_at=row.expires_at,
        created_at=row.created_at,
        active=row.active,
        automated=row.automated,
        ref_case=row.ref_case,
        modlog_channel_id=row.modlog_channel_id,
        modlog_message_id=row.modlog_message_id,
        target_kind=TargetKind(row.target_kind),
        details=dict(row.details) if row.details is not None else None,
    )


def _in_force(now: datetime) -> ColumnElement[bool]:
    return and_(ModCase.active.is_(True), or_(ModCase.expires_at.is_(None), ModCase.expires_at > now))


# --------------------------------------------------------------------------- writing
async def next_number(session: AsyncSession, dialect: str, guild_id: int) -> int:
    """Take the guild's next case number (locks its counter row until the transaction ends)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = insert(ModCaseCounter).values(guild_id=guild_id, last_case=1)
    statement = upsert.on_conflict_do_update(
        index_elements=[ModCaseCounter.guild_id],
        set_={"last_case": ModCaseCounter.last_case + 1},
    ).returning(ModCaseCounter.last_case)
    return int((await session.execute(statement)).scalar_one())


async def create(
    session: AsyncSession,
    dialect: str,
    *,
    guild_id: int,
    action: Action,
    target_id: int,
    moderator_id: int,
    reason: str | None,
    duration: timedelta | None = None,
    expires_at: datetime | None = None,
    automated: bool = False,
    ref_case: int | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> ModCase:
    """Number and insert a case in the caller's transaction (the target kind follows from the action)."""
    number = await next_number(session, dialect, guild_id)
    row = ModCase(
        guild_id=guild_id,
        number=number,
        action=action.value,
        target_id=target_id,
        target_kind=target_kind(action).value,
        details=details,
        moderator_id=moderator_id,
        reason=reason,
        duration_seconds=int(duration.total_seconds()) if duration is not None else None,
        expires_at=expires_at,
        active=action in LASTING_ACTIONS,
        automated=automated,
        ref_case=ref_case,
        created_at=now or utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def deactivate(
    session: AsyncSession,
    *,
    guild_id: int,
    target_id: int,
    actions: Iterable[Action],
    now: datetime | None = None,
    unexpired_only: bool = False,
) -> list[int]:
    """Mark the target's active cases of `actions` as no longer in force; return their numbers.

    `unexpired_only`: leave alone the cases that already expired (they no longer count anyway).
    """
    now = now or utcnow()
    conditions = [
        ModCase.guild_id == guild_id,
        ModCase.target_id == target_id,
        ModCase.action.in_([a.value for a in actions]),
        _in_force(now) if unexpired_only else ModCase.active.is_(True),
    ]
    statement = update(ModCase).where(*conditions).values(active=False, updated_at=now).returning(ModCase.number)
    result = await session.execute(statement, execution_options={"synchronize_session": False})
    return sorted(int(n) for n in result.scalars())


async def lock(session: AsyncSession, guild_id: int, number: int) -> ModCase | None:
    """A case of the guild, locked for update in this transaction."""
    query = select(ModCase).where(ModCase.guild_id == guild_id, ModCase.number == number).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def set_modlog_message(
    session: AsyncSession, *, guild_id: int, number: int, channel_id: int, message_id: int
) -> None:
    """Remember where a case was posted (so an edited reason can edit the post)."""
    await session.execute(
        update(ModCase)
        .where(ModCase.guild_id == guild_id, ModCase.number == number)
        .values(modlog_channel_id=channel_id, modlog_message_id=message_id),
        execution_options={"synchronize_session": False},
    )


# --------------------------------------------------------------------------- reading
async def get(session: AsyncSession, guild_id: int, number: int) -> CaseView | None:
    """Case `number` of the guild."""
    row = (
        await session.execute(select(ModCase).where(ModCase.guild_id == guild_id, ModCase.number == number))
    ).scalar_one_or_none()
    return view(row) if row is not None else None


def _of_member(guild_id: int, user_id: int) -> list[ColumnElement[bool]]:
    return [
        ModCase.guild_id == guild_id,
        ModCase.target_id == user_id,
        ModCase.target_kind == TargetKind.MEMBER.value,
    ]


async def count_for(session: AsyncSession, guild_id: int, target_id: int) -> int:
    """How many cases a user has in the guild (cases on channels are not theirs)."""
    query = select(func.count()).where(*_of_member(guild_id, target_id))
    return int((await session.execute(query)).scalar_one())


async def for_target(
    session: AsyncSession, guild_id: int, target_id: int, *, offset: int = 0, limit: int = 10
) -> list[CaseView]:
    """A user's cases in the guild, newest first (cases on channels are not theirs)."""
    query = (
        select(ModCase)
        .where(*_of_member(guild_id, target_id))
        .order_by(ModCase.number.desc())
        .offset(offset)
        .limit(limit)
    )
    return [view(row) for row in (await session.execute(query)).scalars()]


async def active_warnings(
    session: AsyncSession, guild_id: int, target_id: int, *, now: datetime | None = None
) -> list[CaseView]:
    """The user's warnings still in force (not pardoned, not expired), oldest first."""
    query = (
        select(ModCase)
        .where(
            ModCase.guild_id == guild_id,
            ModCase.target_id == target_id,
            ModCase.action == Action.WARN.value,
            _in_force(now or utcnow()),
        )
        .order_by(ModCase.number)
    )
    return [view(row) for row in (await session.execute(query)).scalars()]


async def count_active_warnings(
    session: AsyncSession, guild_id: int, target_id: int, *, now: datetime | None = None
) -> int:
    """How many warnings of the user are in force."""
    query = select(func.count()).where(
        ModCase.guild_id == guild_id,
        ModCase.target_id == target_id,
        ModCase.action == Action.WARN.value,
        _in_force(now or utcnow()),
    )
    return int((await session.execute(query)).scalar_one())


async def numbers(session: AsyncSession, guild_id: int) -> list[int]:
    """Every case number of the guild, ascending (for checks and exports)."""
    query = select(ModCase.number).where(ModCase.guild_id == guild_id).order_by(ModCase.number)
    return [int(n) for n in (await session.execute(query)).scalars()]
