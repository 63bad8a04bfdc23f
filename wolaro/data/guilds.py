"""Queries on guild rows, module rows and the audit log: the only SQL the config service and the API run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.data.models import AuditLog, Guild, GuildModule, utcnow


@dataclass(slots=True)
class GuildRecord:
    """A guild's row and its module rows, as plain values."""

    guild_id: int
    prefix: str = "!"
    language: str = "en"
    settings: dict[str, Any] = field(default_factory=dict)
    blacklisted: bool = False
    blacklist_reason: str | None = None
    modules: dict[str, tuple[bool, dict[str, Any]]] = field(default_factory=dict)


async def load_guild(session: AsyncSession, guild_id: int) -> GuildRecord | None:
    """The guild's stored configuration, or None when it has never been configured."""
    return (await load_guilds(session, [guild_id])).get(guild_id)


async def load_guilds(session: AsyncSession, guild_ids: list[int]) -> dict[int, GuildRecord]:
    """The stored configuration of many guilds in two queries (guilds never configured are absent)."""
    records = {
        guild.id: GuildRecord(
            guild_id=guild.id,
            prefix=guild.prefix,
            language=guild.language,
            settings=dict(guild.settings or {}),
            blacklisted=guild.blacklisted,
            blacklist_reason=guild.blacklist_reason,
        )
        for guild in await session.scalars(select(Guild).where(Guild.id.in_(guild_ids)))
    }
    if records:
        rows = await session.scalars(select(GuildModule).where(GuildModule.guild_id.in_(list(records))))
        for row in rows:
            records[row.guild_id].modules[row.module] = (row.enabled, dict(row.config or {}))
    return records


async def _insert_if_absent(session: AsyncSession, model: type[Any], values: dict[str, Any]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING, so concurrent creators of one row never collide."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(insert(model).values(**values).on_conflict_do_nothing())


async def lock_guild(session: AsyncSession, guild_id: int) -> Guild:
    """The guild row, created with defaults if missing, locked for this transaction."""
    await _insert_if_absent(session, Guild, {"id": guild_id})
    guild = await session.get(Guild, guild_id, with_for_update=True, populate_existing=True)
    assert guild is not None
    return guild


async def lock_module(session: AsyncSession, guild_id: int, module: str, *, enabled: bool) -> GuildModule:
    """The module row of a guild (created with `enabled` if missing), locked for this transaction."""
    await lock_guild(session, guild_id)
    await _insert_if_absent(
        session, GuildModule, {"guild_id": guild_id, "module": module, "enabled": enabled, "config": {}}
    )
    row = await session.get(GuildModule, (guild_id, module), with_for_update=True, populate_existing=True)
    assert row is not None
    return row


def add_audit(
    session: AsyncSession,
    *,
    guild_id: int | None,
    actor_id: int | None,
    action: str,
    target: str | None = None,
    before: Any = None,
    after: Any = None,
) -> AuditLog:
    """Stage an audit row in the caller's transaction, so the change and its record commit together."""
    row = AuditLog(
        guild_id=guild_id,
        actor_id=actor_id,
        action=action,
        target=target,
        before=before,
        after=after,
        created_at=utcnow(),
    )
    session.add(row)
    return row


async def query_audit(
    session: AsyncSession,
    *,
    guild_id: int | None,
    actor_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[AuditLog]:
    """Audit rows of one guild (None: platform-wide rows), newest first, keyset-paginated by `before_id`."""
    query = select(AuditLog).where(AuditLog.guild_id.is_(None) if guild_id is None else AuditLog.guild_id == guild_id)
    if actor_id is not None:
        query = query.where(AuditLog.actor_id == actor_id)
    if action is not None:
        query = query.where(AuditLog.action == action)
    if since is not None:
        query = query.where(AuditLog.created_at >= since)
    if until is not None:
        query = query.where(AuditLog.created_at < until)
    if before_id is not None:
        query = query.where(AuditLog.id < before_id)
    rows = await session.scalars(query.order_by(AuditLog.id.desc()).limit(limit))
    return list(rows)
