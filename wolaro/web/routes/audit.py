"""A guild's audit log: filters by actor, action and time; keyset pagination (stable under new writes).

A page is bounded: at most `MAX_PAGE` entries, and each change shown through `js_safe_capped` (rows written before
configs were bounded can hold megabytes: their long lists and strings are cut, with what was left out counted).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from wolaro.data import guilds as repo
from wolaro.data.models import AuditLog
from wolaro.web.deps import ManagedGuild, WebDep, snowflake_query
from wolaro.web.jsonsafe import js_safe_capped
from wolaro.web.schemas import AuditEntry, AuditPage

router = APIRouter(prefix="/api/guilds/{guild_id}", tags=["audit"])

MAX_PAGE = 200
MAX_ROW_ID = 2**63 - 1  # BIGINT, as every database stores the id


def entry_out(row: AuditLog) -> AuditEntry:
    """An audit row as the API shows it."""
    return AuditEntry(
        id=str(row.id),
        guild_id=str(row.guild_id) if row.guild_id is not None else None,
        actor_id=str(row.actor_id) if row.actor_id is not None else None,
        action=row.action[:64],
        target=row.target[:128] if row.target is not None else None,
        before=js_safe_capped(row.before),
        after=js_safe_capped(row.after),
        created_at=row.created_at,
    )


@router.get("/audit", response_model=AuditPage, summary="The guild's audit log")
async def audit(
    guild: ManagedGuild,
    web: WebDep,
    actor_id: Annotated[int | None, snowflake_query("Only changes by this user (a Discord user id)")] = None,
    action: Annotated[str | None, Query(max_length=64, description="Only this action, e.g. module.config")] = None,
    since: Annotated[datetime | None, Query(description="From this instant (ISO 8601), inclusive")] = None,
    until: Annotated[datetime | None, Query(description="Before this instant (ISO 8601)")] = None,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_ROW_ID, description="Entries older than this id (from `next_before`)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Entries per page")] = 50,
) -> AuditPage:
    """Newest first. `next_before` is set when there may be more: pass it as `before` for the next page."""
    async with web.services.db.session() as session:
        rows = await repo.query_audit(
            session,
            guild_id=guild.guild_id,
            actor_id=actor_id,
            action=action,
            since=since,
            until=until,
            before_id=before,
            limit=limit,
        )
    return AuditPage(
        entries=[entry_out(row) for row in rows],
        next_before=str(rows[-1].id) if len(rows) == limit else None,
    )
