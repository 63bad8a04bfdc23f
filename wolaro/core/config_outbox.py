"""Durable delivery of config changes: the outbox relay.

Every config change writes an outbox row in its own transaction (`wolaro.data.outbox.record`). The writer publishes
it right after the commit and deletes the row when Redis took the message. When it could not (this process lost
Redis), the row stays, and the relay of every process that can reach Redis publishes rows older than `grace`
seconds: a change made behind a partition reaches every other process within about `interval + grace` seconds,
and the writer's own relay replays what is left as soon as its link returns. A message may arrive twice (both
sides published it); invalidations are idempotent, so that costs one cache reload.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from prometheus_client import Counter

from wolaro.data import outbox
from wolaro.data.cache import Cache
from wolaro.data.database import Database, is_unavailable
from wolaro.data.models import utcnow
from wolaro.data.pubsub import PubSub
from wolaro.logging import get_logger
from wolaro.tasks import cancel_and_wait

log = get_logger(__name__)

L2_PREFIX = "guild:config:"
"""Where a guild's config is cached in the shared cache (L2)."""
REPLAYED = Counter(
    "wolaro_config_outbox_replayed", "Config changes published from the outbox after their writer could not"
)


class OutboxRelay:
    """Publishes config changes their writer could not publish; one per process, started with the services."""

    def __init__(
        self,
        db: Database,
        cache: Cache,
        pubsub: PubSub,
        *,
        interval: float = 1.0,
        grace: float = 1.0,
        batch: int = 200,
    ) -> None:
        self.db = db
        self.cache = cache
        self.pubsub = pubsub
        self.interval = interval
        self.grace = grace
        self.batch = batch
        self.replayed = 0
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        """Run the relay in the background; a pub/sub reconnection wakes it at once."""
        if self._task is None:
            self.pubsub.add_reconnect_listener(self._on_reconnected)
            self._task = asyncio.get_running_loop().create_task(self._run(), name="config-outbox-relay")

    async def stop(self) -> None:
        """Stop the background loop."""
        await cancel_and_wait(self._task)
        self._task = None

    async def _on_reconnected(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.run_once()
            except Exception as exc:
                if not is_unavailable(exc):
                    log.exception("config outbox relay failed")

    async def run_once(self, *, grace: float | None = None) -> int:
        """Publish waiting rows older than `grace` seconds while Redis takes them; how many were published."""
        if not self.pubsub.available:
            return 0
        older_than = utcnow() - timedelta(seconds=self.grace if grace is None else grace)
        published: list[int] = []
        async with self.db.transaction() as session:
            for row in await outbox.claim(session, older_than=older_than, limit=self.batch):
                await self.cache.delete(f"{L2_PREFIX}{row.guild_id}")
                message = {**row.payload, "guild_id": row.guild_id, "replayed": True}
                if not await self.pubsub.publish(row.channel, message):
                    break
                published.append(row.id)
            await outbox.remove(session, published)
        if published:
            self.replayed += len(published)
            REPLAYED.inc(len(published))
            log.info("config changes published from the outbox", count=len(published))
        return len(published)


async def record_alone(db: Database, channel: str, guild_id: int, payload: dict[str, Any]) -> int | None:
    """An outbox row for a change whose writer wrote none in its transaction (a resync, an older caller).

    None if the database cannot take it now: the change is then published as before, without a replay.
    """
    try:
        async with db.transaction() as session:
            return await outbox.record(session, channel, guild_id, payload)
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        log.warning("config change not recorded in the outbox: the database is unavailable", guild_id=guild_id)
        return None


async def mark_published(db: Database, outbox_id: int) -> None:
    """Delete a published change's row; if the database is away, a relay publishes it once more later (harmless)."""
    try:
        async with db.transaction() as session:
            await outbox.remove(session, [outbox_id])
    except Exception as exc:
        if not is_unavailable(exc):
            raise
