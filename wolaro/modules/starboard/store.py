"""Stars and board posts in the database; every change is an insert with a unique key or a conditional update.

Bringing the board up to date is done by one process at a time per message: `take_turn` sets `busy_until` and
`turn_token` only where nobody holds a live turn and stars changed (`dirty`). The holder reads the count, posts or
edits, then `another_round` either clears `dirty` (stars changed meanwhile: go again) or gives the turn back where
`dirty` is still clear. A star recorded while the turn is held sets `dirty`, so the holder sees it before leaving.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.data.database import Database
from wolaro.modules.starboard.models import StarboardPost, StarboardStar

LEASE = timedelta(seconds=30)


def _insert(db: Database, table: Any) -> Any:
    return (postgresql.insert(table) if db.dialect == "postgresql" else sqlite.insert(table)).on_conflict_do_nothing()


@dataclass(frozen=True, slots=True)
class Source:
    """The starred message: where it is and who wrote it."""

    guild_id: int
    channel_id: int
    message_id: int
    author_id: int | None


async def _touch(session: AsyncSession, db: Database, source: Source) -> None:
    await session.execute(
        _insert(db, StarboardPost).values(
            message_id=source.message_id,
            guild_id=source.guild_id,
            channel_id=source.channel_id,
            author_id=source.author_id,
            dirty=True,
        )
    )
    await session.execute(
        update(StarboardPost)
        .where(StarboardPost.message_id == source.message_id, StarboardPost.guild_id == source.guild_id)
        .values(dirty=True)
    )


async def add_star(db: Database, source: Source, user_id: int) -> None:
    """Record a star (a repeat changes nothing) and mark the message's board post as out of date."""
    async with db.transaction() as session:
        await session.execute(
            _insert(db, StarboardStar).values(message_id=source.message_id, user_id=user_id, guild_id=source.guild_id)
        )
        await _touch(session, db, source)


async def remove_star(db: Database, guild_id: int, message_id: int, user_id: int) -> bool:
    """Forget a star; whether there was one (then the board post is out of date)."""
    async with db.transaction() as session:
        gone = await session.execute(
            delete(StarboardStar).where(
                StarboardStar.message_id == message_id,
                StarboardStar.user_id == user_id,
                StarboardStar.guild_id == guild_id,
            )
        )
        if not gone.rowcount:  # type: ignore[attr-defined]
            return False
        await session.execute(
            update(StarboardPost)
            .where(StarboardPost.message_id == message_id, StarboardPost.guild_id == guild_id)
            .values(dirty=True)
        )
        return True


async def clear_stars(db: Database, guild_id: int, message_id: int) -> bool:
    """Forget every star of a message (a moderator removed its reactions); whether there were any."""
    async with db.transaction() as session:
        gone = await session.execute(
            delete(StarboardStar).where(StarboardStar.guild_id == guild_id, StarboardStar.message_id == message_id)
        )
        if not gone.rowcount:  # type: ignore[attr-defined]
            return False
        await session.execute(
            update(StarboardPost)
            .where(StarboardPost.message_id == message_id, StarboardPost.guild_id == guild_id)
            .values(dirty=True)
        )
        return True


async def take_turn(db: Database, guild_id: int, message_id: int, token: str, now: datetime) -> bool:
    """Take the turn to bring this message's board post up to date, if stars changed and nobody holds it."""
    async with db.transaction() as session:
        taken = await session.execute(
            update(StarboardPost)
            .where(
                StarboardPost.message_id == message_id,
                StarboardPost.guild_id == guild_id,
                StarboardPost.dirty.is_(True),
                or_(StarboardPost.busy_until.is_(None), StarboardPost.busy_until < now),
            )
            .values(busy_until=now + LEASE, turn_token=token, dirty=False)
        )
        return bool(taken.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class PostState:
    """What the board shows for a message, and how many stars it has now."""

    source: Source
    stars: int
    board_channel_id: int | None
    board_message_id: int | None
    shown_stars: int


async def state(db: Database, guild_id: int, message_id: int) -> PostState | None:
    """The message's post and its current star count."""
    async with db.session() as session:
        row = await session.scalar(
            select(StarboardPost).where(StarboardPost.message_id == message_id, StarboardPost.guild_id == guild_id)
        )
        if row is None:
            return None
        stars = await session.scalar(
            select(func.count()).where(StarboardStar.guild_id == guild_id, StarboardStar.message_id == message_id)
        )
        return PostState(
            Source(row.guild_id, row.channel_id, row.message_id, row.author_id),
            int(stars or 0),
            row.board_channel_id,
            row.board_message_id,
            row.shown_stars,
        )


async def shown(
    db: Database, message_id: int, token: str, board_channel_id: int | None, board_message_id: int | None, stars: int
) -> None:
    """Record what the board shows now (by the turn's holder)."""
    async with db.transaction() as session:
        await session.execute(
            update(StarboardPost)
            .where(StarboardPost.message_id == message_id, StarboardPost.turn_token == token)
            .values(board_channel_id=board_channel_id, board_message_id=board_message_id, shown_stars=stars)
        )


async def another_round(db: Database, message_id: int, token: str) -> bool:
    """After a round: True if stars changed meanwhile (the holder goes again), else the turn is given back."""
    mine = and_(StarboardPost.message_id == message_id, StarboardPost.turn_token == token)
    while True:
        async with db.transaction() as session:
            again = await session.execute(
                update(StarboardPost).where(mine, StarboardPost.dirty.is_(True)).values(dirty=False)
            )
            if again.rowcount:  # type: ignore[attr-defined]
                return True
            done = await session.execute(
                update(StarboardPost)
                .where(mine, StarboardPost.dirty.is_(False))
                .values(busy_until=None, turn_token=None)
            )
            if done.rowcount or not await session.scalar(select(StarboardPost.message_id).where(mine)):  # type: ignore[attr-defined]
                return False


async def give_back(db: Database, message_id: int, token: str) -> None:
    """Give the turn back after a failure, leaving the post marked out of date for the next star."""
    async with db.transaction() as session:
        await session.execute(
            update(StarboardPost)
            .where(StarboardPost.message_id == message_id, StarboardPost.turn_token == token)
            .values(busy_until=None, turn_token=None, dirty=True)
        )


async def top(db: Database, guild_id: int, limit: int = 10) -> list[PostState]:
    """The most starred messages shown on the board."""
    async with db.session() as session:
        rows = await session.scalars(
            select(StarboardPost)
            .where(StarboardPost.guild_id == guild_id, StarboardPost.board_message_id.is_not(None))
            .order_by(StarboardPost.shown_stars.desc())
            .limit(limit)
        )
        return [
            PostState(
                Source(r.guild_id, r.channel_id, r.message_id, r.author_id),
                r.shown_stars,
                r.board_channel_id,
                r.board_message_id,
                r.shown_stars,
            )
            for r in rows
        ]
