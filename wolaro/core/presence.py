"""Where the bot is, as shared state: the `bot_guilds` table and a per-shard gateway heartbeat in the cache.

The bot side (`PresenceRecorder`) records GUILD_CREATE / GUILD_DELETE (discord.py's guild_available, guild_join,
guild_remove) in batches, prunes what a shard no longer reports once it is ready, and writes each shard's
gateway state to the shared cache every few seconds. The API side (`PresenceReader`) answers "is the bot in this
guild?" from a short process-local cache over the table, and "how are the shards?" from the cache, so an API
process needs no gateway connection of its own (and `wolaro run` reads what its own bot wrote).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from sqlalchemy import delete, select

from wolaro.data.cache import Cache
from wolaro.data.database import Database, is_unavailable
from wolaro.data.models import BotGuild, utcnow
from wolaro.logging import get_logger
from wolaro.tasks import cancel_and_wait

if TYPE_CHECKING:
    import discord
    from discord.ext import commands

log = get_logger(__name__)

SHARDS_KEY = "presence:shards"
SHARD_KEY = "presence:shard:"


@dataclass(frozen=True, slots=True)
class BotGuildInfo:
    """A guild the bot is in, as plain values."""

    id: int
    name: str
    icon: str | None
    owner_id: int | None
    member_count: int | None
    shard_id: int


class BotPresence(Protocol):
    """What the API asks about the bot (the default reads shared state; tests may pass a fixed answer)."""

    async def present(self, guild_ids: Iterable[int]) -> set[int]:
        """Those of `guild_ids` the bot is in."""
        ...

    async def guilds(self) -> list[BotGuildInfo]:
        """Every guild the bot is in."""
        ...

    async def info(self, guild_ids: Iterable[int]) -> dict[int, BotGuildInfo]:
        """What the bot knows of these guilds (those it is in)."""
        ...

    async def shards(self) -> list[dict[str, Any]] | None:
        """Each shard's gateway state (None: no bot has reported)."""
        ...


# ---------------------------------------------------------------------------------------------- bot side
class PresenceRecorder:
    """Keeps `bot_guilds` and the shard heartbeat true for the shards of one bot process."""

    def __init__(
        self,
        db: Database,
        cache: Cache,
        *,
        flush_interval: float = 0.25,
        heartbeat_interval: float = 5.0,
        batch_size: int = 500,
    ) -> None:
        self.db = db
        self.cache = cache
        self.flush_interval = flush_interval
        self.heartbeat_interval = heartbeat_interval
        self.batch_size = batch_size
        self._pending: dict[int, dict[str, Any] | None] = {}  # guild id -> row to upsert, or None to delete
        self._connected_at: dict[int, datetime] = {}
        self._bot: commands.AutoShardedBot | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def attach(self, bot: commands.AutoShardedBot) -> None:
        """Listen to the bot's guild and shard events."""
        self._bot = bot
        bot.add_listener(self.on_guild_available, "on_guild_available")
        bot.add_listener(self.on_guild_available, "on_guild_join")
        bot.add_listener(self.on_guild_update, "on_guild_update")
        bot.add_listener(self.on_guild_remove, "on_guild_remove")
        bot.add_listener(self.on_shard_connect, "on_shard_connect")
        bot.add_listener(self.on_shard_ready, "on_shard_ready")
        bot.add_listener(self.on_shard_change, "on_shard_disconnect")
        bot.add_listener(self.on_shard_change, "on_shard_resumed")

    def start(self) -> None:
        """Start the flush and heartbeat loop (inside the bot's event loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="presence-recorder")

    async def stop(self) -> None:
        """Write what is pending and mark this process's shards as gone."""
        task, self._task = self._task, None
        await cancel_and_wait(task)
        with contextlib.suppress(Exception):
            await self.flush()
            await self._heartbeat(closing=True)

    # ---- events
    async def on_guild_available(self, guild: discord.Guild) -> None:  # noqa: D102
        self._pending[guild.id] = {
            "id": guild.id,
            "shard_id": guild.shard_id,
            "name": (guild.name or "")[:100],
            "icon": guild.icon.key if guild.icon else None,
            "owner_id": guild.owner_id,
            "member_count": guild.member_count,
            "seen_at": utcnow(),
        }
        self._kick()

    async def on_guild_update(self, _before: discord.Guild, after: discord.Guild) -> None:  # noqa: D102
        await self.on_guild_available(after)

    async def on_guild_remove(self, guild: discord.Guild) -> None:  # noqa: D102
        self._pending[guild.id] = None
        self._kick()

    async def on_shard_connect(self, shard_id: int) -> None:  # noqa: D102
        self._connected_at[shard_id] = utcnow()

    async def on_shard_ready(self, shard_id: int) -> None:
        """Every guild of the shard has been received: rows of this shard not seen since it connected are stale."""
        await self.flush()
        connected = self._connected_at.get(shard_id)
        if connected is not None:
            async with self.db.transaction() as session:
                result = await session.execute(
                    delete(BotGuild).where(BotGuild.shard_id == shard_id, BotGuild.seen_at < connected)
                )
            pruned = getattr(result, "rowcount", 0)
            if pruned:
                log.info("presence: pruned guilds the bot left while away", shard_id=shard_id, count=pruned)
        await self._heartbeat()

    async def on_shard_change(self, shard_id: int) -> None:  # noqa: D102
        await self._heartbeat()

    # ---- writing
    def _kick(self) -> None:
        if len(self._pending) >= self.batch_size:
            self._wake.set()

    async def _run(self) -> None:
        next_beat = 0.0
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.flush_interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
                if time.monotonic() >= next_beat:
                    await self._heartbeat()
                    next_beat = time.monotonic() + self.heartbeat_interval
            except Exception as exc:
                if is_unavailable(exc):
                    log.warning("presence: the database is unavailable; will retry", error=repr(exc))
                else:
                    log.exception("presence: write failed; will retry")

    async def flush(self) -> None:
        """Write every pending change (upserts in batches, then deletes)."""
        while self._pending:
            batch = dict(list(self._pending.items())[: self.batch_size])
            for key in batch:
                del self._pending[key]
            try:
                await self._write(batch)
            except BaseException:
                for key, value in batch.items():  # keep them (newer changes win) for the next attempt
                    self._pending.setdefault(key, value)
                raise

    async def _write(self, batch: dict[int, dict[str, Any] | None]) -> None:
        rows = [row for row in batch.values() if row is not None]
        gone = [guild_id for guild_id, row in batch.items() if row is None]
        async with self.db.transaction() as session:
            if rows:
                dialect = self.db.dialect
                if dialect == "postgresql":
                    from sqlalchemy.dialects.postgresql import insert
                else:
                    from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
                statement = insert(BotGuild).values(rows)
                columns = {name: statement.excluded[name] for name in rows[0] if name != "id"}
                await session.execute(statement.on_conflict_do_update(index_elements=["id"], set_=columns))
            if gone:
                await session.execute(delete(BotGuild).where(BotGuild.id.in_(gone)))

    async def _heartbeat(self, *, closing: bool = False) -> None:
        bot = self._bot
        if bot is None:
            return
        counts: dict[int, int] = {}
        for guild in bot.guilds:
            counts[guild.shard_id] = counts.get(guild.shard_id, 0) + 1
        ttl = self.heartbeat_interval * 3
        now = time.time()
        for shard_id, info in bot.shards.items():
            state = {
                "shard_id": shard_id,
                "connected": not closing and not info.is_closed(),
                "latency_ms": round(info.latency * 1000, 1) if info.latency == info.latency else None,
                "guilds": counts.get(shard_id, 0),
                "ts": now,
            }
            await self.cache.set(f"{SHARD_KEY}{shard_id}", orjson.dumps(state), ttl=ttl)
        await self.cache.set(SHARDS_KEY, orjson.dumps({"shard_count": bot.shard_count or 1, "ts": now}), ttl=ttl)


# ---------------------------------------------------------------------------------------------- API side
class PresenceReader:
    """Answers from `bot_guilds` (cached briefly in the process) and the shard heartbeat."""

    def __init__(self, db: Database, cache: Cache, *, positive_ttl: float = 30.0, negative_ttl: float = 3.0) -> None:
        self.db = db
        self.cache = cache
        self.positive_ttl = positive_ttl
        self.negative_ttl = negative_ttl
        self._known: dict[int, tuple[float, bool]] = {}

    async def present(self, guild_ids: Iterable[int]) -> set[int]:
        """Those of `guild_ids` the bot is in (one query for those not cached)."""
        now = time.monotonic()
        found: set[int] = set()
        unknown: list[int] = []
        for guild_id in guild_ids:
            entry = self._known.get(guild_id)
            if entry is not None and entry[0] > now:
                if entry[1]:
                    found.add(guild_id)
            else:
                unknown.append(guild_id)
        if unknown:
            async with self.db.session() as session:
                rows = set(await session.scalars(select(BotGuild.id).where(BotGuild.id.in_(unknown))))
            if len(self._known) > 100_000:
                self._known.clear()
            for guild_id in unknown:
                here = guild_id in rows
                self._known[guild_id] = (now + (self.positive_ttl if here else self.negative_ttl), here)
            found |= rows
        return found

    def forget(self, guild_id: int | None = None) -> None:
        """Drop cached answers (one guild, or all)."""
        if guild_id is None:
            self._known.clear()
        else:
            self._known.pop(guild_id, None)

    async def guilds(self) -> list[BotGuildInfo]:
        """Every guild the bot is in, by name."""
        async with self.db.session() as session:
            rows = await session.scalars(select(BotGuild).order_by(BotGuild.name, BotGuild.id))
            return [_info(row) for row in rows]

    async def info(self, guild_ids: Iterable[int]) -> dict[int, BotGuildInfo]:
        """What the bot knows of these guilds."""
        ids = list(guild_ids)
        if not ids:
            return {}
        async with self.db.session() as session:
            rows = await session.scalars(select(BotGuild).where(BotGuild.id.in_(ids)))
            return {row.id: _info(row) for row in rows}

    async def shards(self) -> list[dict[str, Any]] | None:
        """Each shard's last heartbeat; a shard that missed its heartbeats reads as disconnected."""
        raw = await self.cache.get(SHARDS_KEY)
        if raw is None:
            return None
        count = int(orjson.loads(raw).get("shard_count", 1))
        out = []
        for shard_id in range(count):
            beat = await self.cache.get(f"{SHARD_KEY}{shard_id}")
            if beat is None:
                out.append({"shard_id": shard_id, "connected": False, "latency_ms": None, "guilds": None, "ts": None})
            else:
                out.append(orjson.loads(beat))
        return out


def _info(row: BotGuild) -> BotGuildInfo:
    return BotGuildInfo(row.id, row.name, row.icon, row.owner_id, row.member_count, row.shard_id)
