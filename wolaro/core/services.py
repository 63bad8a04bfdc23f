"""The shared services one process runs on (database, cache, pub/sub, config, limits, translations, jobs)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from wolaro.core.config_service import GuildConfigService
from wolaro.core.i18n import Translator
from wolaro.core.ratelimit import RateLimiter
from wolaro.core.registry import discover_specs
from wolaro.data.cache import Cache, make_cache
from wolaro.data.database import Database
from wolaro.data.migrate import upgrade_async
from wolaro.data.pubsub import PubSub, make_pubsub
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
    jobs: JobScheduler

    @classmethod
    async def start(cls, settings: Settings, *, migrate: bool = True) -> Services:
        """Connect everything (migrating the database first unless told not to)."""
        if migrate:
            await upgrade_async(settings.effective_database_url)
        db = Database.from_settings(settings)
        cache = make_cache(settings)
        pubsub = make_pubsub(settings)
        await pubsub.start()
        if settings.redis_url and not await cache.ping():
            # Not fatal, by design: the cache serves from memory and pub/sub reconnects until Redis is back.
            log.warning(redis_down_message(settings.redis_url))
        config = GuildConfigService(db, cache, pubsub, discover_specs(), ttl=settings.guild_config_ttl)
        config.attach()
        limiter = RateLimiter(settings.redis_url, prefix=settings.redis_prefix)
        log.info(
            "services started",
            database=db.dialect,
            cache="redis" if settings.redis_url else "memory",
            modules=sorted(config.specs),
        )
        jobs = JobScheduler.from_settings(db, settings)
        services = cls(settings, db, cache, pubsub, config, limiter, Translator(), jobs)
        jobs.services = services
        return services

    async def close(self) -> None:
        """Stop the job loop (if it runs here), then release connections."""
        await self.jobs.stop()
        await self.pubsub.close()
        await self.cache.close()
        await self.db.dispose()
