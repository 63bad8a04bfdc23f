"""The config outbox: a change whose publish did not reach Redis stays recorded and is published by a relay."""

from __future__ import annotations

from typing import Any

import pytest

from wolaro.core.config_edit import edit_module_config
from wolaro.core.config_outbox import L2_PREFIX, OutboxRelay
from wolaro.core.config_service import ConfigError, GuildConfigService
from wolaro.core.registry import discover_specs
from wolaro.data import outbox
from wolaro.data.cache import MemoryCache
from wolaro.data.models import utcnow
from wolaro.data.pubsub import CONFIG_UPDATE, GUILD_RELOAD, MODULE_TOGGLE, MemoryPubSub

GUILD = 111_000_000_000_000_001


class CuttablePubSub(MemoryPubSub):
    """In-process pub/sub that can play 'Redis is unreachable': publishes then reach this process only."""

    def __init__(self) -> None:
        super().__init__()
        self.cut = False
        self.sent: list[tuple[str, dict[str, Any]]] = []

    @property
    def available(self) -> bool:  # type: ignore[override]
        return not self.cut

    @available.setter
    def available(self, value: bool) -> None:
        pass

    async def publish(self, channel: str, message: dict[str, Any]) -> bool:
        await super().publish(channel, message)
        if self.cut:
            return False
        self.sent.append((channel, message))
        return True


async def waiting(db) -> int:
    async with db.session() as session:
        return await outbox.count(session)


async def test_a_published_change_leaves_no_outbox_row(migrated_db) -> None:
    pubsub = CuttablePubSub()
    service = GuildConfigService(migrated_db, MemoryCache(), pubsub, discover_specs())
    await service.set_module_enabled(GUILD, "reminders", False, actor_id=5)
    assert await waiting(migrated_db) == 0
    assert [channel for channel, _ in pubsub.sent] == [MODULE_TOGGLE]


async def test_a_change_made_without_redis_is_published_by_the_relay(migrated_db) -> None:
    pubsub, cache = CuttablePubSub(), MemoryCache()
    service = GuildConfigService(migrated_db, cache, pubsub, discover_specs())
    relay = OutboxRelay(migrated_db, cache, pubsub)
    pubsub.cut = True
    await service.set_blacklisted(GUILD, True, reason="spam", actor_id=7)
    assert await waiting(migrated_db) == 1
    assert await relay.run_once(grace=0) == 0  # Redis still away: nothing is taken out of the outbox

    await cache.set(f"{L2_PREFIX}{GUILD}", b"stale copy written by a process that missed the change", ttl=60)
    pubsub.cut = False
    assert await relay.run_once(grace=3600) == 0  # too fresh: its writer may still be publishing it
    assert await relay.run_once(grace=0) == 1
    assert pubsub.sent == [(GUILD_RELOAD, {"blacklisted": True, "guild_id": GUILD, "replayed": True})]
    assert await cache.get(f"{L2_PREFIX}{GUILD}") is None  # the reload that follows reads the database
    assert await waiting(migrated_db) == 0
    assert await relay.run_once(grace=0) == 0


async def test_a_resync_is_recorded_without_naming_who_asked(migrated_db) -> None:
    pubsub = CuttablePubSub()
    pubsub.cut = True
    service = GuildConfigService(migrated_db, MemoryCache(), pubsub, discover_specs())
    await service.resync(GUILD, actor_id=42)
    async with migrated_db.session() as session:
        rows = await outbox.claim(session, older_than=utcnow(), limit=10)
    assert [(row.channel, row.payload) for row in rows] == [(GUILD_RELOAD, {})]


async def test_an_edit_under_the_row_lock_is_delivered_through_the_outbox(migrated_db) -> None:
    pubsub, cache = CuttablePubSub(), MemoryCache()
    service = GuildConfigService(migrated_db, cache, pubsub, discover_specs())
    pubsub.cut = True

    def refused(current: dict[str, Any]) -> dict[str, Any]:
        raise ConfigError("rules", "no")

    with pytest.raises(ConfigError):
        await edit_module_config(service, GUILD, "permissions", refused, actor_id=3)
    assert await waiting(migrated_db) == 0  # nothing written, nothing to deliver

    await edit_module_config(service, GUILD, "utility", lambda current: {"ping_show_shard": True}, actor_id=3)
    assert await waiting(migrated_db) == 1  # recorded with the change: the relay delivers it once Redis is back
    pubsub.cut = False
    assert await OutboxRelay(migrated_db, cache, pubsub).run_once(grace=0) == 1
    assert [channel for channel, _ in pubsub.sent] == [CONFIG_UPDATE]
