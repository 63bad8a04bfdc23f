"""Polls in the database: create (with the closing job), vote, tally, close exactly once, list. Plain values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from wolaro.data.database import Database
from wolaro.modules.polls import service
from wolaro.modules.polls.models import Poll, PollVote
from wolaro.sdk import EndingRows


@dataclass(frozen=True, slots=True)
class PollView:
    """A poll as read."""

    id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    author_id: int
    kind: str
    question: str
    options: list[str]
    anonymous: bool
    weights: dict[str, int]
    ends_at: datetime
    closed_at: datetime | None
    results: list[int] | None
    result_message_id: int | None

    @property
    def open(self) -> bool:
        """Whether it still takes votes."""
        return self.closed_at is None


def view(row: Poll) -> PollView:
    """The plain view of a row."""
    return PollView(
        id=row.id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        message_id=row.message_id,
        author_id=row.author_id,
        kind=row.kind,
        question=row.question,
        options=list(row.options),
        anonymous=row.anonymous,
        weights={str(k): int(v) for k, v in (row.weights or {}).items()},
        ends_at=row.ends_at,
        closed_at=row.closed_at,
        results=list(row.results) if row.results is not None else None,
        result_message_id=row.result_message_id,
    )


CLOSING = EndingRows(Poll, ended="closed_at", job=service.CLOSE_JOB, payload_key="poll_id")
"""The polls' closing jobs, message ids and the claim of a close."""


async def create(
    db: Database,
    jobs: Any,
    *,
    guild_id: int,
    channel_id: int,
    author_id: int,
    kind: str,
    question: str,
    options: Sequence[str],
    ends_at: datetime,
    anonymous: bool = False,
    weights: dict[str, int] | None = None,
) -> int:
    """Record a poll and its closing job together; its id."""
    row = Poll(
        guild_id=guild_id,
        channel_id=channel_id,
        author_id=author_id,
        kind=kind,
        question=question,
        options=list(options),
        anonymous=anonymous,
        weights=dict(weights or {}),
        ends_at=ends_at,
    )
    return await CLOSING.create(db, jobs, row, run_at=ends_at)


async def get(db: Database, guild_id: int, poll_id: int) -> PollView | None:
    """A poll of the guild by id."""
    async with db.session() as session:
        row = await session.scalar(select(Poll).where(Poll.id == poll_id, Poll.guild_id == guild_id))
        return view(row) if row is not None else None


async def open_polls(db: Database, guild_id: int, limit: int = 25) -> list[PollView]:
    """The guild's open polls, closing soonest first."""
    async with db.session() as session:
        rows = await session.scalars(
            select(Poll)
            .where(Poll.guild_id == guild_id, Poll.closed_at.is_(None))
            .order_by(Poll.ends_at, Poll.id)
            .limit(limit)
        )
        return [view(row) for row in rows]


async def vote(db: Database, poll: PollView, user_id: int, option: int, weight: int) -> bool:
    """Record (or change) a member's vote in an open button poll; False if the poll is closed."""
    insert = postgresql.insert(PollVote) if db.dialect == "postgresql" else sqlite.insert(PollVote)
    statement = insert.values(
        poll_id=poll.id, user_id=user_id, guild_id=poll.guild_id, option=option, weight=weight
    ).on_conflict_do_update(
        index_elements=["guild_id", "poll_id", "user_id"], set_={"option": option, "weight": weight}
    )
    async with db.transaction() as session:
        still_open = await session.scalar(select(Poll.id).where(Poll.id == poll.id, Poll.closed_at.is_(None)))
        if still_open is None:
            return False
        await session.execute(statement)
        return True


async def counts(db: Database, poll: PollView) -> list[int]:
    """Votes per option now (weighted)."""
    async with db.session() as session:
        rows = await session.execute(select(PollVote.option, PollVote.weight).where(PollVote.poll_id == poll.id))
        return service.tally(len(poll.options), [(int(o), int(w)) for o, w in rows])


async def close(
    db: Database, guild_id: int, poll_id: int, now: datetime, results: list[int] | None
) -> list[int] | None:
    """Close the poll if nobody did yet, with its final results (None: counted from its votes, for button polls).

    Returns the results stored, or None if it was closed already.
    """
    async with db.transaction() as session:
        if not await CLOSING.claim(session, guild_id, poll_id, now):
            return None
        options = await session.scalar(select(Poll.options).where(Poll.id == poll_id))
        if results is None:
            rows = await session.execute(select(PollVote.option, PollVote.weight).where(PollVote.poll_id == poll_id))
            results = service.tally(len(options or []), [(int(o), int(w)) for o, w in rows])
        await session.execute(update(Poll).where(Poll.id == poll_id).values(results=results))
        return results
