"""Giveaways in the database: create, enter or leave, end exactly once, reroll, list. Plain values in and out.

Ending is one conditional update (`ended_at IS NULL`) in the transaction that marks the winners: whichever
process gets there first (the end job, an early end, a second worker) draws; every other one finds it ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.data.database import Database
from wolaro.modules.giveaways import service
from wolaro.modules.giveaways.models import Giveaway, GiveawayEntry
from wolaro.modules.giveaways.service import Requirements
from wolaro.sdk import EndingRows


@dataclass(frozen=True, slots=True)
class GiveawayView:
    """A giveaway as read (no ORM object leaves this module)."""

    id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    host_id: int
    prize: str
    winners: int
    ends_at: datetime
    ended_at: datetime | None
    rounds: int
    requirements: Requirements
    result_message_id: int | None

    @property
    def active(self) -> bool:
        """Whether it still takes entries."""
        return self.ended_at is None


def view(row: Giveaway) -> GiveawayView:
    """The plain view of a row."""
    return GiveawayView(
        id=row.id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        message_id=row.message_id,
        host_id=row.host_id,
        prize=row.prize,
        winners=row.winners,
        ends_at=row.ends_at,
        ended_at=row.ended_at,
        rounds=row.rounds,
        requirements=Requirements(row.required_role_id, row.min_account_days, row.min_member_days, row.min_level),
        result_message_id=row.result_message_id,
    )


ENDING = EndingRows(Giveaway, ended="ended_at", job=service.END_JOB, payload_key="giveaway_id")
"""The giveaways' end jobs, message ids and the claim of an end."""


async def create(
    db: Database,
    jobs: Any,
    *,
    guild_id: int,
    channel_id: int,
    host_id: int,
    prize: str,
    winners: int,
    ends_at: datetime,
    requirements: Requirements,
) -> int:
    """Record a giveaway and its end job together (both exist, or neither); its id."""
    row = Giveaway(
        guild_id=guild_id,
        channel_id=channel_id,
        host_id=host_id,
        prize=prize,
        winners=winners,
        ends_at=ends_at,
        required_role_id=requirements.role_id,
        min_account_days=requirements.min_account_days,
        min_member_days=requirements.min_member_days,
        min_level=requirements.min_level,
    )
    return await ENDING.create(db, jobs, row, run_at=ends_at)


async def get(db: Database, guild_id: int, giveaway_id: int) -> GiveawayView | None:
    """A giveaway of the guild by id."""
    async with db.session() as session:
        row = await session.scalar(select(Giveaway).where(Giveaway.id == giveaway_id, Giveaway.guild_id == guild_id))
        return view(row) if row is not None else None


async def active(db: Database, guild_id: int, limit: int = service.MAX_ACTIVE_LIST) -> list[GiveawayView]:
    """The guild's running giveaways, ending soonest first."""
    async with db.session() as session:
        rows = await session.scalars(
            select(Giveaway)
            .where(Giveaway.guild_id == guild_id, Giveaway.ended_at.is_(None))
            .order_by(Giveaway.ends_at, Giveaway.id)
            .limit(limit)
        )
        return [view(row) for row in rows]


class Entry(StrEnum):
    """What a click on Enter did."""

    ENTERED = "entered"
    LEFT = "left"
    ENDED = "ended"
    UNKNOWN = "unknown"


async def entry_count(session: AsyncSession, giveaway_id: int) -> int:
    """How many members entered."""
    return int(await session.scalar(select(func.count()).where(GiveawayEntry.giveaway_id == giveaway_id)) or 0)


async def toggle(db: Database, guild_id: int, giveaway_id: int, user_id: int, *, may_enter: bool) -> tuple[Entry, int]:
    """Enter a member, or take them out if they had entered; the outcome and the number of entries after it.

    `may_enter` False (a requirement is missing) still lets an entered member leave.
    """
    async with db.transaction() as session:
        running = await session.scalar(
            select(Giveaway.id).where(
                Giveaway.id == giveaway_id, Giveaway.guild_id == guild_id, Giveaway.ended_at.is_(None)
            )
        )
        if running is None:
            known = await session.scalar(select(Giveaway.id).where(Giveaway.id == giveaway_id))
            return (Entry.ENDED if known is not None else Entry.UNKNOWN), 0
        left = await session.execute(
            delete(GiveawayEntry).where(GiveawayEntry.giveaway_id == giveaway_id, GiveawayEntry.user_id == user_id)
        )
        if left.rowcount:  # type: ignore[attr-defined]
            return Entry.LEFT, await entry_count(session, giveaway_id)
        if not may_enter:
            return Entry.UNKNOWN, await entry_count(session, giveaway_id)
        await session.execute(insert(GiveawayEntry).values(giveaway_id=giveaway_id, user_id=user_id, guild_id=guild_id))
        return Entry.ENTERED, await entry_count(session, giveaway_id)


async def has_entered(db: Database, giveaway_id: int, user_id: int) -> bool:
    """Whether the member is in the giveaway."""
    async with db.session() as session:
        found = await session.scalar(
            select(GiveawayEntry.user_id).where(
                GiveawayEntry.giveaway_id == giveaway_id, GiveawayEntry.user_id == user_id
            )
        )
        return found is not None


async def _entrants(session: AsyncSession, giveaway_id: int, *, undrawn_only: bool) -> list[int]:
    query = select(GiveawayEntry.user_id).where(GiveawayEntry.giveaway_id == giveaway_id)
    if undrawn_only:
        query = query.where(GiveawayEntry.won_round.is_(None))
    return list(await session.scalars(query))


async def _mark(session: AsyncSession, giveaway_id: int, winners: Sequence[int], round_: int) -> None:
    if winners:
        await session.execute(
            update(GiveawayEntry)
            .where(GiveawayEntry.giveaway_id == giveaway_id, GiveawayEntry.user_id.in_(list(winners)))
            .values(won_round=round_)
        )


async def claim_end(db: Database, guild_id: int, giveaway_id: int, now: datetime) -> list[int] | None:
    """End the giveaway and draw its winners if nobody did yet: the winners, or None if it had ended already."""
    async with db.transaction() as session:
        if not await ENDING.claim(session, guild_id, giveaway_id, now, rounds=1):
            return None
        count = await session.scalar(select(Giveaway.winners).where(Giveaway.id == giveaway_id))
        winners = service.draw(await _entrants(session, giveaway_id, undrawn_only=True), int(count or 1))
        await _mark(session, giveaway_id, winners, 1)
        return winners


async def winners_of(db: Database, giveaway_id: int, round_: int | None = None) -> list[int]:
    """The winners of one draw (or of all of them), in a stable order."""
    async with db.session() as session:
        query = select(GiveawayEntry.user_id).where(
            GiveawayEntry.giveaway_id == giveaway_id, GiveawayEntry.won_round.is_not(None)
        )
        if round_ is not None:
            query = query.where(GiveawayEntry.won_round == round_)
        return sorted(await session.scalars(query))


async def reroll(db: Database, guild_id: int, giveaway_id: int, count: int) -> tuple[int, list[int]] | None:
    """Draw `count` more winners among those who have not won yet: (the round, its winners); None if not ended.

    The round number is taken by a conditional update, so two rerolls at once make two rounds, never one twice.
    """
    async with db.transaction() as session:
        row = await session.scalar(
            select(Giveaway).where(
                Giveaway.id == giveaway_id, Giveaway.guild_id == guild_id, Giveaway.ended_at.is_not(None)
            )
        )
        if row is None:
            return None
        round_ = row.rounds + 1
        taken = await session.execute(
            update(Giveaway).where(Giveaway.id == giveaway_id, Giveaway.rounds == row.rounds).values(rounds=round_)
        )
        if not taken.rowcount:  # type: ignore[attr-defined]
            return None
        winners = service.draw(await _entrants(session, giveaway_id, undrawn_only=True), count)
        await _mark(session, giveaway_id, winners, round_)
        return round_, winners
