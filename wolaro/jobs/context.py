"""What a job handler receives: `JobContext` (the job, the process's services, Discord access)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from wolaro.jobs import store
from wolaro.logging import get_logger

if TYPE_CHECKING:
    from discord.http import HTTPClient
    from sqlalchemy.ext.asyncio import AsyncSession

    from wolaro.data.database import Database
    from wolaro.jobs.scheduler import JobScheduler
    from wolaro.settings import Settings

log = get_logger(__name__)


class PermanentJobError(Exception):
    """Raised by a handler when retrying cannot help (the guild is gone...): the job fails at once."""


class LeaseLost(Exception):
    """The worker no longer owns the job (its lease expired and another worker claimed it)."""


@dataclass(slots=True)
class JobContext:
    """One attempt of one job, as its handler sees it.

    `bot` is the discord.py client when the worker runs in the bot's process (`wolaro run`), else None.
    Whatever the process, `await ctx.discord_http()` gives authenticated Discord REST access.
    """

    job_id: int
    kind: str
    guild_id: int | None
    attempt: int
    max_attempts: int
    run_at: datetime
    scheduler: JobScheduler
    bot: Any | None = None
    _claim: store.Claim | None = field(default=None, repr=False)
    completed: bool = False

    @property
    def services(self) -> Any:
        """The process's `Services`, given to its scheduler at construction (raises if it was built without)."""
        services = self.scheduler.services
        if services is None:
            raise RuntimeError("this JobScheduler was created without Services")
        return services

    @property
    def db(self) -> Database:
        """The database the job lives in."""
        return self.scheduler.db

    @property
    def is_last_attempt(self) -> bool:
        """Whether a failure now marks the job `failed` instead of retrying."""
        return self.attempt >= self.max_attempts

    async def discord_http(self) -> HTTPClient:
        """Authenticated Discord REST (discord.py's `HTTPClient`: `unban`, `send_message`, `remove_role`...).

        The bot's own client when a logged-in bot runs in this process, else one this worker logs in with
        `DISCORD_TOKEN` against `DISCORD_API_BASE` (discord.py handles rate limits either way).
        """
        return await self.scheduler.discord.http()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A write transaction that also records this job as done: its effects and completion commit together.

        For handlers whose effect is only in the database (expire a warning), this makes the job run exactly
        once. Raises `LeaseLost` (and rolls back) if another worker took the job over meanwhile.
        """
        if self._claim is None:
            raise RuntimeError("JobContext.transaction() is only available while a worker runs the job")
        db = self.scheduler.db
        async with db.transaction() as session:
            yield session
            if not await store.complete(session, db.dialect, self._claim):
                raise LeaseLost(f"job {self.job_id} was taken over by another worker")
        self.completed = True


class DiscordAccess:
    """Discord REST for job handlers: the bot's HTTP client if present, else a lazily logged-in one of our own."""

    def __init__(self, settings: Settings | None) -> None:
        self.settings = settings
        self.bot: Any | None = None
        self._http: HTTPClient | None = None
        self._lock = asyncio.Lock()

    async def http(self) -> HTTPClient:
        """The bot's `HTTPClient` once it is logged in, else this worker's own (created on first use)."""
        bot = self.bot
        if bot is not None and getattr(bot, "user", None) is not None:
            return bot.http  # type: ignore[no-any-return]
        async with self._lock:
            if self._http is None:
                self._http = await self._login()
            return self._http

    async def _login(self) -> HTTPClient:
        settings = self.settings
        token = settings.discord_token.get_secret_value().strip() if settings and settings.discord_token else ""
        if settings is None or not token:
            raise RuntimeError("this job needs Discord, but DISCORD_TOKEN is not set in the worker's environment")
        from discord.http import HTTPClient

        from wolaro.core.discord_endpoint import point_discord_at, point_rest_at

        point_discord_at(settings.discord_api_base)
        point_rest_at(settings.discord_rest_base)
        http = HTTPClient(asyncio.get_running_loop())
        try:
            await http.static_login(token)
        except BaseException:
            await http.close()
            raise
        log.info("job worker logged in to Discord REST", api=settings.discord_api_base)
        return http

    async def close(self) -> None:
        """Close this worker's own HTTP client (never the bot's)."""
        if self._http is not None:
            await self._http.close()
            self._http = None
