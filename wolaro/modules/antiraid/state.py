"""Raid state in the database (the truth, shared by every process), and a per-process cached view of it.

Every change is one transaction that also writes its `audit_log` row and schedules or cancels the durable
`antiraid.end` job, then is published on `antiraid:state` so each bot process drops its cached copy. Starting is
race-free: the row is locked (PostgreSQL) or written under `BEGIN IMMEDIATE` (SQLite), so when several joins or
processes see the same spike, exactly one starts raid mode and carries out its protections.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.data.guilds import add_audit
from wolaro.data.models import utcnow
from wolaro.logging import get_logger
from wolaro.modules.antiraid import service
from wolaro.modules.antiraid.models import RaidState

if TYPE_CHECKING:
    from wolaro.core.services import Services
    from wolaro.data.cache import Cache

log = get_logger(__name__)

CACHE_TTL = 60.0
"""Seconds a process trusts its copy of a guild's raid state without a change message (a safety net)."""


@dataclass(frozen=True, slots=True)
class RaidView:
    """A guild's raid state as plain values."""

    guild_id: int
    active: bool = False
    manual: bool = False
    started_by: int | None = None
    started_at: datetime | None = None
    ends_at: datetime | None = None
    last_join_at: datetime | None = None
    joins: int = 0
    previous_verification_level: int | None = None
    raised_verification_level: int | None = None
    locked_channels: dict[str, Any] = field(default_factory=dict)

    @property
    def restore_pending(self) -> bool:
        """Whether raid mode changed something that has not been undone yet."""
        return self.raised_verification_level is not None or bool(self.locked_channels)


def _view(row: RaidState | None, guild_id: int) -> RaidView:
    if row is None:
        return RaidView(guild_id)
    return RaidView(
        guild_id=row.guild_id,
        active=row.active,
        manual=row.manual,
        started_by=row.started_by,
        started_at=row.started_at,
        ends_at=row.ends_at,
        last_join_at=row.last_join_at,
        joins=row.joins,
        previous_verification_level=row.previous_verification_level,
        raised_verification_level=row.raised_verification_level,
        locked_channels=dict(row.locked_channels or {}),
    )


async def _lock_row(session: AsyncSession, dialect: str, guild_id: int) -> RaidState:
    """The guild's row, created if missing, locked: two transactions creating it at once cannot both succeed."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"guild_id": guild_id, "active": False, "locked_channels": {}, "joins": 0, "updated_at": utcnow()}
    await session.execute(insert(RaidState).values(**values).on_conflict_do_nothing(index_elements=["guild_id"]))
    row = await session.get(RaidState, guild_id, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


async def load(services: Services, guild_id: int) -> RaidView:
    """The guild's raid state from the database."""
    async with services.db.session() as session:
        return _view(await session.get(RaidState, guild_id), guild_id)


async def count_join(cache: Cache, guild_id: int, window: float) -> int:
    """Record a join in the shared cache; return the guild's joins in the last `window` s (all processes)."""
    return await cache.window_hit(service.join_key(guild_id), window)


async def _changed(services: Services, guild_id: int) -> None:
    await services.pubsub.publish(service.STATE_CHANNEL, {"guild_id": guild_id, "ts": time.time()})


async def start(
    services: Services,
    guild_id: int,
    *,
    manual: bool,
    started_by: int | None,
    ends_at: datetime | None,
    joins: int,
    previous_level: int | None,
    raised_level: int | None,
    locks: dict[str, Any],
    now: datetime | None = None,
) -> RaidView | None:
    """Turn raid mode on; None if it already is (another join or process won). Schedules the end job."""
    now = now or utcnow()
    async with services.db.transaction() as session:
        row = await _lock_row(session, services.db.dialect, guild_id)
        if row.active:
            return None
        if row.raised_verification_level is not None and row.previous_verification_level is not None:
            # The last raid's changes were never undone: keep the level from before it.
            previous_level = row.previous_verification_level
            raised_level = raised_level if raised_level is not None else row.raised_verification_level
        row.active = True
        row.manual = manual
        row.started_by = started_by
        row.started_at = now
        row.last_join_at = None if manual else now
        row.ends_at = ends_at
        row.joins = joins
        row.previous_verification_level = previous_level if raised_level is not None else None
        row.raised_verification_level = raised_level
        row.locked_channels = service.merge_locks(dict(row.locked_channels or {}), locks)
        add_audit(
            session,
            guild_id=guild_id,
            actor_id=started_by,
            action="antiraid.start",
            target=str(guild_id),
            after={
                "manual": manual,
                "joins": joins,
                "ends_at": ends_at.isoformat() if ends_at else None,
                "verification_level": raised_level,
                "locked_channels": sorted(locks),
            },
        )
        if ends_at is not None:
            await _schedule_end(services, session, guild_id, ends_at)
        view = _view(row, guild_id)
    await _changed(services, guild_id)
    log.warning("raid mode on", guild_id=guild_id, manual=manual, joins=joins)
    return view


async def extend(services: Services, guild_id: int, *, join_at: datetime, ends_at: datetime) -> RaidView | None:
    """Push an automatic raid's end back after a join; None if raid mode is no longer on."""
    async with services.db.transaction() as session:
        row = await session.get(RaidState, guild_id, with_for_update=True)
        if row is None or not row.active or row.manual:
            return None
        row.last_join_at = join_at
        if row.ends_at is None or row.ends_at < ends_at:
            row.ends_at = ends_at
            await _schedule_end(services, session, guild_id, ends_at)
        view = _view(row, guild_id)
    await _changed(services, guild_id)
    return view


async def finish(
    services: Services, guild_id: int, *, force: bool, actor_id: int | None, now: datetime | None = None
) -> RaidView | None:
    """Turn raid mode off (when due, or at once with `force`); return the ended raid, with what to restore.

    Also returns a raid that is off but whose changes were not undone yet (an end job that failed half-way and
    retries). None when there is nothing to do (off and restored, or an automatic end that was pushed back).
    """
    now = now or utcnow()
    async with services.db.transaction() as session:
        row = await session.get(RaidState, guild_id, with_for_update=True)
        if row is None:
            return None
        view = _view(row, guild_id)
        if not row.active:
            return view if view.restore_pending else None
        if not force and not service.end_is_due(row.ends_at, now):
            return None
        row.active = False
        row.ends_at = now
        add_audit(
            session,
            guild_id=guild_id,
            actor_id=actor_id,
            action="antiraid.end",
            target=str(guild_id),
            before={"started_at": view.started_at.isoformat() if view.started_at else None, "manual": view.manual},
            after={"reason": "manual" if force else "quiet"},
        )
        if force:
            await services.jobs.cancel(dedupe_key=service.end_job_key(guild_id), guild_id=guild_id, session=session)
    await _changed(services, guild_id)
    log.warning("raid mode off", guild_id=guild_id, forced=force)
    return view


async def mark_restored(services: Services, guild_id: int) -> None:
    """Forget what raid mode changed, once it has been undone (only while raid mode is off)."""
    async with services.db.transaction() as session:
        row = await session.get(RaidState, guild_id, with_for_update=True)
        if row is None or row.active:
            return
        row.previous_verification_level = None
        row.raised_verification_level = None
        row.locked_channels = {}
    await _changed(services, guild_id)


async def _schedule_end(services: Services, session: AsyncSession, guild_id: int, ends_at: datetime) -> None:
    await services.jobs.schedule(
        service.END_JOB,
        run_at=ends_at,
        guild_id=guild_id,
        payload={"guild_id": guild_id},
        dedupe_key=service.end_job_key(guild_id),
        session=session,
    )


class RaidStates:
    """Per-process copies of raid states: read on the join path without a query; pub/sub keeps them true."""

    def __init__(self, services: Services, *, ttl: float = CACHE_TTL, max_entries: int = 100_000) -> None:
        self.services = services
        self.ttl = ttl
        self.max_entries = max_entries
        self._local: dict[int, tuple[float, RaidView]] = {}
        self._generation: dict[int, int] = {}
        self._all_generation = 0

    def attach(self) -> None:
        """Listen for changes made by any process."""
        self.services.pubsub.subscribe(service.STATE_CHANNEL, self._on_change)
        self.services.pubsub.add_reconnect_listener(self._forget_all)

    def detach(self) -> None:
        """Stop listening (module unload or reload)."""
        self.services.pubsub.unsubscribe(service.STATE_CHANNEL, self._on_change)

    async def _on_change(self, _channel: str, message: dict[str, Any]) -> None:
        guild_id = message.get("guild_id")
        if guild_id is None:
            await self._forget_all()
        else:
            self.drop(int(guild_id))

    async def _forget_all(self) -> None:
        self._local.clear()
        self._all_generation += 1

    def drop(self, guild_id: int) -> None:
        """Forget one guild's copy (a load racing with this drop is not kept)."""
        self._local.pop(guild_id, None)
        self._generation[guild_id] = self._generation.get(guild_id, 0) + 1

    def put(self, view: RaidView) -> None:
        """Keep a state this process just wrote (until the next change message drops it)."""
        self.drop(view.guild_id)
        self._store(view)

    def _store(self, view: RaidView) -> None:
        if len(self._local) >= self.max_entries:
            self._local.pop(next(iter(self._local)))
        self._local[view.guild_id] = (time.monotonic() + self.ttl, view)

    async def get(self, guild_id: int) -> RaidView:
        """The guild's raid state: this process's copy, or the database's."""
        entry = self._local.get(guild_id)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        generation = (self._generation.get(guild_id, 0), self._all_generation)
        view = await load(self.services, guild_id)
        if generation == (self._generation.get(guild_id, 0), self._all_generation):
            self._store(view)
        return view
