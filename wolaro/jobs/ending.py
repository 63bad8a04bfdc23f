"""Rows that end once at a set time (a giveaway, a poll): the row and its end job together, and one end only.

A module keeps one `EndingRows` per table::

    ENDING = EndingRows(Giveaway, ended="ended_at", job="giveaways.end", payload_key="giveaway_id")

    number = await ENDING.create(db, jobs, Giveaway(guild_id=..., ends_at=ends_at, ...), run_at=ends_at)
    await ENDING.set_message(db, guild_id, number, message.id)  # once the message showing it is posted
    async with db.transaction() as session:  # the end job, or an early end by a command
        if await ENDING.claim(session, guild_id, number, utcnow()):
            ...  # this process ends it (draw, count), in the same transaction

The table needs the columns `id` (autoincrement), `guild_id`, `message_id`, `result_message_id` and the nullable
instant named by `ended`. The end job gets `{payload_key: id}` and the dedupe key `<job>:<guild_id>:<id>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.data.database import Database
from wolaro.jobs.scheduler import JobScheduler


@dataclass(frozen=True, slots=True)
class EndingRows:
    """One table of rows that end at a set time, each by its own durable job (see the module's docstring)."""

    model: Any
    """The mapped class."""
    ended: str
    """The column set when the row ends (None until then), e.g. "ended_at"."""
    job: str
    """The kind of the end job."""
    payload_key: str
    """The end job's payload names the row's id with this key."""

    def key(self, guild_id: int, row_id: int) -> str:
        """The dedupe key of a row's end job."""
        return f"{self.job}:{guild_id}:{row_id}"

    async def create(self, db: Database, jobs: JobScheduler, row: Any, *, run_at: datetime) -> int:
        """Record `row` (a new `model` object) and its end job due at `run_at` together (both, or neither); its id."""
        async with db.transaction() as session:
            session.add(row)
            await session.flush()
            await jobs.schedule(
                self.job,
                run_at=run_at,
                guild_id=row.guild_id,
                payload={self.payload_key: row.id},
                dedupe_key=self.key(row.guild_id, row.id),
                session=session,
            )
            return int(row.id)

    async def set_message(self, db: Database, guild_id: int, row_id: int, message_id: int) -> None:
        """Remember the message that shows the row."""
        model = self.model
        async with db.transaction() as session:
            await session.execute(
                update(model).where(model.id == row_id, model.guild_id == guild_id).values(message_id=message_id)
            )

    async def discard(self, db: Database, jobs: JobScheduler, guild_id: int, row_id: int) -> None:
        """Remove a row whose message could not be posted, with its end job."""
        await self.cancel_end(jobs, guild_id, row_id)
        model = self.model
        async with db.transaction() as session:
            await session.execute(delete(model).where(model.id == row_id, model.guild_id == guild_id))

    async def cancel_end(self, jobs: JobScheduler, guild_id: int, row_id: int) -> bool:
        """Cancel the row's pending end job (it was ended early); whether one was pending."""
        return await jobs.cancel(dedupe_key=self.key(guild_id, row_id), guild_id=guild_id)

    async def claim(self, session: AsyncSession, guild_id: int, row_id: int, now: datetime, **values: Any) -> bool:
        """End the row at `now` (and set `values`) if nobody did yet; True if this call ended it.

        One conditional update (`<ended> IS NULL`) in the caller's transaction: of every process ending the row at
        once (the job on any worker, a retried job, a command), exactly one gets True, and does the rest of the end
        (the draw, the count) in that same transaction.
        """
        model = self.model
        claimed = await session.execute(
            update(model)
            .where(model.id == row_id, model.guild_id == guild_id, getattr(model, self.ended).is_(None))
            .values({self.ended: now, **values})
        )
        return bool(claimed.rowcount)  # type: ignore[attr-defined]

    async def set_result_message(self, db: Database, guild_id: int, row_id: int, message_id: int) -> None:
        """Remember the message announcing the end, unless one is (a retried end job then does not post twice)."""
        model = self.model
        async with db.transaction() as session:
            await session.execute(
                update(model)
                .where(model.id == row_id, model.guild_id == guild_id, model.result_message_id.is_(None))
                .values(result_message_id=message_id)
            )
