"""The shared services one process runs on (database, cache, pub/sub, config, limits, translations, jobs)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from prometheus_client import REGISTRY

from wolaro.core.config_outbox import OutboxRelay
from wolaro.core.config_service import GuildConfigService
from wolaro.core.i18n import Translator, load_catalogs
from wolaro.core.ratelimit import RateLimiter
from wolaro.core.registry import ModuleSpec, discover_specs, locale_folders, migration_folders, model_modules
from wolaro.data.cache import Cache, make_cache
from wolaro.data.database import Database
from wolaro.data.migrate import upgrade
from wolaro.data.pubsub import PubSub, make_pubsub
from wolaro.jobs.registry import JobRegistry
from wolaro.jobs.scheduler import JobScheduler
from wolaro.logging import get_logger
from wolaro.settings import Settings

log = get_logger(__name__)


def redis_down_message(redis_url: str) -> str:
    """One line for the operator when REDIS_URL does not answer at start-up (Wolaro starts anyway)."""
    parsed = urlsplit(redis_url)
    where = parsed.path if parsed.scheme == "unix" else f"{parsed.hostname or 'localhost'}:{parsed.port or 6379}"
    return (
        f"Redis at {where} (REDIS_URL) is not answering: starting anyway, with the cache in memory and pub/sub "
        "retrying until it is back (other processes miss this one's changes meanwhile). "
        "Check that Redis is running there and that REDIS_URL is right."
    )


def upgrade_schema(url: str, revision: str = "heads", specs: Mapping[str, ModuleSpec] | None = None) -> None:
    """Migrate the core's schema and every installed module's branch (`wolaro migrate`; blocking)."""
    specs = discover_specs() if specs is None else specs
    upgrade(url, revision, branches=migration_folders(specs), models=model_modules(specs))


async def upgrade_schema_async(
    url: str, revision: str = "heads", specs: Mapping[str, ModuleSpec] | None = None
) -> None:
    """`upgrade_schema` in a worker thread, for callers inside an event loop."""
    await asyncio.to_thread(upgrade_schema, url, revision, specs)


def register_metrics(specs: Mapping[str, ModuleSpec]) -> None:
    """Export every module's declared Prometheus collectors on `/metrics` (once per process)."""
    for spec in specs.values():
        for collector in spec.metrics:
            with contextlib.suppress(ValueError):  # already registered (a second Services here, or a reload)
                REGISTRY.register(collector)


def job_registry(specs: Mapping[str, ModuleSpec]) -> JobRegistry:
    """Every installed module's job handlers, by kind."""
    registry = JobRegistry()
    for spec in specs.values():
        registry.update(spec.jobs)
    return registry


@dataclass(slots=True)
class Services:
    """Everything the bot, the API and the workers of one process share."""

    settings: Settings
    db: Database
    cache: Cache
    pubsub: PubSub
    config: GuildConfigService
    limiter: RateLimiter
    translator: Translator
    jobs: JobScheduler = field(init=False)
    """The durable jobs: built with these services (handlers get them as `ctx.services`) and the modules' handlers."""
    outbox_relay: OutboxRelay = field(init=False)
    """Publishes config changes their writer could not (it had lost Redis); started when REDIS_URL is set."""

    def __post_init__(self) -> None:
        self.jobs = JobScheduler.from_settings(
            self.db, self.settings, services=self, registry=job_registry(self.config.specs)
        )
        self.outbox_relay = OutboxRelay(self.db, self.cache, self.pubsub)

    @classmethod
    async def start(cls, settings: Settings, *, migrate: bool = True) -> Services:
        """Connect everything (migrating the database first unless told not to)."""
        specs = discover_specs()
        register_metrics(specs)
        if migrate:
            await upgrade_schema_async(settings.effective_database_url, specs=specs)
        db = Database.from_settings(settings)
        cache = make_cache(settings)
        pubsub = make_pubsub(settings)
        await pubsub.start()
        if settings.redis_url and not await cache.ping():
            # Not fatal, by design: the cache serves from memory and pub/sub reconnects until Redis is back.
            log.warning(redis_down_message(settings.redis_url))
        config = GuildConfigService(db, cache, pubsub, specs, ttl=settings.guild_config_ttl)
        config.attach()
        limiter = RateLimiter(settings.redis_url, prefix=settings.redis_prefix)
        log.info(
            "services started",
            database=db.dialect,
            cache="redis" if settings.redis_url else "memory",
            modules=sorted(config.specs),
        )
        translator = Translator(load_catalogs(extra=locale_folders(specs)))
        services = cls(settings, db, cache, pubsub, config, limiter, translator)
        if settings.redis_url:  # one process alone publishes to itself: nothing can be missed
            services.outbox_relay.start()
        return services

    async def close(self) -> None:
        """Stop the job loop (if it runs here), then release connections."""
        await self.outbox_relay.stop()
        await self.jobs.stop()
        await self.pubsub.close()
        await self.cache.close()
        await self.db.dispose()
