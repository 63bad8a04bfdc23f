"""The per-server key-value store of custom commands, with its quota enforced by SQL.

A new key is written in one transaction with `UPDATE customcommands_usage SET keys = keys + 1 WHERE guild_id = g
AND keys < quota`: when that changes no row, the server is full and nothing is written. Two processes adding keys at
once are serialised by that row, so the count never passes the quota; a CHECK constraint also caps it at
`HARD_MAX_KEYS` and each value's length at `VALUE_MAX`, whatever a caller asks.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.modules.customcommands.models import HARD_MAX_KEYS, KEY_MAX, VALUE_MAX, CustomUsage, CustomValue
from wolaro.sdk import Database, utcnow


class StoreFull(Exception):
    """The server holds as many keys as its quota allows."""


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def read_all(db: Database, guild_id: int, limit: int = HARD_MAX_KEYS) -> dict[str, str]:
    """Every key of the server and its value."""
    async with db.session() as session:
        rows = await session.execute(
            select(CustomValue.key, CustomValue.value).where(CustomValue.guild_id == guild_id).limit(limit)
        )
        return {key: value for key, value in rows}


async def set_value(db: Database, guild_id: int, key: str, value: str, *, quota: int) -> None:
    """Store `value` under `key`; `StoreFull` if it is a new key and the server is at its quota."""
    key, value = key[:KEY_MAX], value[:VALUE_MAX]
    quota = max(0, min(quota, HARD_MAX_KEYS))
    for attempt in range(2):
        try:
            await _set_once(db, guild_id, key, value, quota)
            return
        except IntegrityError:
            if attempt:  # the same key inserted by another process twice in a row: let it surface
                raise


async def _set_once(db: Database, guild_id: int, key: str, value: str, quota: int) -> None:
    async with db.transaction() as session:
        changed: Any = await session.execute(
            update(CustomValue)
            .where(CustomValue.guild_id == guild_id, CustomValue.key == key)
            .values(value=value, updated_at=utcnow())
        )
        if changed.rowcount:
            return
        ensure = _insert(session)(CustomUsage).values(guild_id=guild_id, keys=0)
        await session.execute(ensure.on_conflict_do_nothing(index_elements=["guild_id"]))
        raised: Any = await session.execute(
            update(CustomUsage)
            .where(CustomUsage.guild_id == guild_id, CustomUsage.keys < quota)
            .values(keys=CustomUsage.keys + 1)
        )
        if not raised.rowcount:
            raise StoreFull()
        session.add(CustomValue(guild_id=guild_id, key=key, value=value))


async def delete_value(db: Database, guild_id: int, key: str) -> bool:
    """Remove a key; whether it existed."""
    async with db.transaction() as session:
        gone: Any = await session.execute(
            delete(CustomValue).where(CustomValue.guild_id == guild_id, CustomValue.key == key)
        )
        if not gone.rowcount:
            return False
        await session.execute(
            update(CustomUsage)
            .where(CustomUsage.guild_id == guild_id, CustomUsage.keys > 0)
            .values(keys=CustomUsage.keys - 1)
        )
        return True


async def count(db: Database, guild_id: int) -> int:
    """How many keys the server holds."""
    async with db.session() as session:
        found = await session.scalar(select(func.count()).where(CustomValue.guild_id == guild_id))
        return int(found or 0)
