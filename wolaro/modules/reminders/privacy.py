"""What reminders keep about a person: their reminders (jobs of kind `reminders.deliver`: text, channel, time).

Erasure deletes them, pending ones (never delivered) and delivered ones alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Text, cast, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.core.jsonsafe import jsonable
from wolaro.core.privacy import payload_user
from wolaro.data.database import Database
from wolaro.jobs.models import ScheduledJob
from wolaro.modules.reminders.service import DELIVER_JOB


async def _reminders(session: AsyncSession, user_id: int, guild_id: int | None) -> list[ScheduledJob]:
    query = select(ScheduledJob).where(
        ScheduledJob.kind == DELIVER_JOB, cast(ScheduledJob.payload, Text).contains(str(user_id))
    )
    if guild_id is not None:
        query = query.where(ScheduledJob.guild_id == guild_id)
    rows = (await session.execute(query.order_by(ScheduledJob.id))).scalars()
    return [row for row in rows if payload_user(row.payload) == user_id]


class RemindersData:
    """`UserData` of the reminders module."""

    stores: Mapping[str, str] = {"scheduled_jobs.payload": "Your reminders: their text, where and when"}

    async def export_user_data(self, db: Database, user_id: int, guild_id: int | None) -> dict[str, Any]:
        """Every reminder the person set, pending or past."""
        async with db.session() as session:
            found = [
                {
                    "reminder": job.id,
                    "guild_id": job.payload.get("guild_id"),
                    "channel_id": job.payload.get("channel_id"),
                    "text": job.payload.get("text"),
                    "set_at": job.payload.get("created_at"),
                    "due_at": job.run_at,
                    "status": job.status,
                }
                for job in await _reminders(session, user_id, guild_id)
            ]
        return {"reminders": jsonable(found)} if found else {}

    async def delete_user_data(self, db: Database, user_id: int, guild_id: int | None) -> int:
        """Delete the person's reminders; how many."""
        async with db.transaction() as session:
            ids = [job.id for job in await _reminders(session, user_id, guild_id)]
            if ids:
                await session.execute(delete(ScheduledJob).where(ScheduledJob.id.in_(ids)))
        return len(ids)


PRIVACY = RemindersData()
