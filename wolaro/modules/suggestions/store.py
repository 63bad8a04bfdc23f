"""Suggestions in the database: submit, vote (one vote per member, changed or taken back), decide once, list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import case, delete, func, insert, select, update

from wolaro.data.database import Database
from wolaro.modules.suggestions.models import Suggestion, SuggestionVote
from wolaro.modules.suggestions.service import QUEUE_MAX, Status
from wolaro.sdk import record_audit


@dataclass(frozen=True, slots=True)
class SuggestionView:
    """A suggestion as read, with its votes."""

    id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    author_id: int
    text: str
    status: Status
    decided_by: int | None
    reason: str | None
    up: int = 0
    down: int = 0


def _view(row: Suggestion, up: int = 0, down: int = 0) -> SuggestionView:
    return SuggestionView(
        row.id,
        row.guild_id,
        row.channel_id,
        row.message_id,
        row.author_id,
        row.text,
        Status(row.status),
        row.decided_by,
        row.reason,
        up,
        down,
    )


async def submit(db: Database, guild_id: int, channel_id: int, author_id: int, text: str) -> int:
    """Record a new open suggestion; its number."""
    async with db.transaction() as session:
        row = Suggestion(guild_id=guild_id, channel_id=channel_id, author_id=author_id, text=text)
        session.add(row)
        await session.flush()
        return row.id


async def set_message(db: Database, guild_id: int, suggestion_id: int, message_id: int) -> None:
    """Remember the message that shows the suggestion."""
    async with db.transaction() as session:
        await session.execute(
            update(Suggestion)
            .where(Suggestion.id == suggestion_id, Suggestion.guild_id == guild_id)
            .values(message_id=message_id)
        )


async def discard(db: Database, guild_id: int, suggestion_id: int) -> None:
    """Remove a suggestion whose message could not be posted."""
    async with db.transaction() as session:
        await session.execute(delete(Suggestion).where(Suggestion.id == suggestion_id, Suggestion.guild_id == guild_id))


def _tally() -> tuple[object, object]:
    up = func.coalesce(func.sum(case((SuggestionVote.up.is_(True), 1), else_=0)), 0)
    down = func.coalesce(func.sum(case((SuggestionVote.up.is_(False), 1), else_=0)), 0)
    return up, down


async def get(db: Database, guild_id: int, suggestion_id: int) -> SuggestionView | None:
    """A suggestion of the guild with its votes."""
    async with db.session() as session:
        row = await session.scalar(
            select(Suggestion).where(Suggestion.id == suggestion_id, Suggestion.guild_id == guild_id)
        )
        if row is None:
            return None
        up, down = _tally()
        counted = (
            await session.execute(select(up, down).where(SuggestionVote.suggestion_id == suggestion_id))  # type: ignore[call-overload]
        ).one()
        return _view(row, int(counted[0]), int(counted[1]))


class Vote(StrEnum):
    """What a click on a vote button did."""

    CAST = "cast"
    CHANGED = "changed"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


async def vote(db: Database, guild_id: int, suggestion_id: int, user_id: int, up: bool) -> Vote:
    """Vote for or against; the same button again takes the vote back. Only open suggestions take votes."""
    async with db.transaction() as session:
        status = await session.scalar(
            select(Suggestion.status).where(Suggestion.id == suggestion_id, Suggestion.guild_id == guild_id)
        )
        if status != Status.OPEN:
            return Vote.CLOSED
        mine = (SuggestionVote.suggestion_id == suggestion_id) & (SuggestionVote.user_id == user_id)
        before = await session.scalar(select(SuggestionVote.up).where(mine))
        if before is None:
            await session.execute(
                insert(SuggestionVote).values(suggestion_id=suggestion_id, user_id=user_id, guild_id=guild_id, up=up)
            )
            return Vote.CAST
        if before == up:
            await session.execute(delete(SuggestionVote).where(mine))
            return Vote.WITHDRAWN
        await session.execute(update(SuggestionVote).where(mine).values(up=up))
        return Vote.CHANGED


async def decide(
    db: Database, guild_id: int, suggestion_id: int, status: Status, by: int, reason: str | None, now: datetime
) -> bool:
    """Approve or deny an open suggestion, audited; False if it was decided already (by someone else, or before)."""
    async with db.transaction() as session:
        done = await session.execute(
            update(Suggestion)
            .where(
                Suggestion.id == suggestion_id,
                Suggestion.guild_id == guild_id,
                Suggestion.status == Status.OPEN.value,
            )
            .values(status=status.value, decided_by=by, reason=reason, decided_at=now)
        )
        if not done.rowcount:  # type: ignore[attr-defined]
            return False
        author = await session.scalar(select(Suggestion.author_id).where(Suggestion.id == suggestion_id))
        record_audit(
            session,
            module="suggestions",
            guild_id=guild_id,
            actor_id=by,
            action=f"suggestions.{'approve' if status is Status.APPROVED else 'deny'}",
            target=f"user:{author}",
            before={"suggestion": suggestion_id, "status": Status.OPEN.value},
            after={"suggestion": suggestion_id, "status": status.value, "reason": reason},
        )
        return True


async def queue(db: Database, guild_id: int, limit: int = QUEUE_MAX) -> list[SuggestionView]:
    """The guild's open suggestions with their votes, oldest first."""
    up, down = _tally()
    async with db.session() as session:
        rows = await session.execute(
            select(Suggestion, up, down)  # type: ignore[call-overload]
            .outerjoin(SuggestionVote, SuggestionVote.suggestion_id == Suggestion.id)
            .where(Suggestion.guild_id == guild_id, Suggestion.status == Status.OPEN.value)
            .group_by(Suggestion.id)
            .order_by(Suggestion.id)
            .limit(limit)
        )
        return [_view(row, int(u), int(d)) for row, u, d in rows]
