"""The config outbox's rows: recorded with a config change, claimed and deleted by whoever publishes them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.data.models import ConfigOutbox

#: Keys never kept in an outbox row: who made the change is in the audit log, not in a message to replay.
PERSONAL_KEYS = frozenset({"actor_id"})


async def record(session: AsyncSession, channel: str, guild_id: int, payload: Mapping[str, Any]) -> int:
    """Add the change's outbox row to the caller's transaction; its id (to delete it once published)."""
    row = ConfigOutbox(
        channel=channel,
        guild_id=guild_id,
        payload={key: value for key, value in payload.items() if key not in PERSONAL_KEYS},
    )
    session.add(row)
    await session.flush()
    return row.id


async def claim(session: AsyncSession, *, older_than: datetime, limit: int) -> list[ConfigOutbox]:
    """Rows written before `older_than`, oldest first, locked for this transaction.

    Rows another process holds are skipped on PostgreSQL (SQLite has one writer anyway).
    """
    query = (
        select(ConfigOutbox)
        .where(ConfigOutbox.created_at < older_than)
        .order_by(ConfigOutbox.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(query)).scalars())


async def remove(session: AsyncSession, ids: Iterable[int]) -> None:
    """Delete published rows."""
    wanted = list(ids)
    if wanted:
        await session.execute(delete(ConfigOutbox).where(ConfigOutbox.id.in_(wanted)))


async def count(session: AsyncSession) -> int:
    """How many changes wait to be published (for health and metrics)."""
    return int((await session.execute(select(func.count()).select_from(ConfigOutbox))).scalar_one())
