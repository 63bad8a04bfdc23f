"""Durable scheduled actions: anything that must happen later is a database row first.

Scheduling (any process: bot, API, worker)::

    job_id = await services.jobs.schedule(
        "moderation.unban", run_at=until, guild_id=guild_id, payload={"user_id": user_id},
        dedupe_key=f"moderation.unban:{guild_id}:{user_id}", session=session,  # commits with the ban
    )
    await services.jobs.cancel(dedupe_key=f"moderation.unban:{guild_id}:{user_id}", guild_id=guild_id)
    await services.jobs.pending(guild_id=guild_id, kind="reminders.deliver")

Handling (module code: the handler is named in the module's spec, `ModuleSpec(jobs={UNBAN_JOB: lift_ban})`)::

    async def lift_ban(ctx: JobContext, payload: dict) -> None:
        http = await ctx.discord_http()
        try:
            await http.unban(payload["user_id"], ctx.guild_id, reason="temporary ban expired")
        except discord.NotFound:
            pass  # already unbanned: the job is idempotent

Guarantees (the contract handlers rely on):

* **Durable.** A job is a `scheduled_jobs` row. A job due while no worker runs is run as soon as one starts.
* **Claimed once at a time.** Workers claim due jobs with `SELECT ... FOR UPDATE SKIP LOCKED` (PostgreSQL) or
  an atomic conditional UPDATE under `BEGIN IMMEDIATE` (SQLite); a claim is a lease (`locked_until`, default
  60 s) that a heartbeat extends while the handler runs. Any number of worker processes may share a database.
* **Completion is recorded at most once.** Only the current claim holder can record an outcome.
* **At least once on crashes.** If a worker dies mid-job, its lease expires and another worker runs the job
  again. So handlers must be idempotent (unbanning an unbanned member is success), which makes the effect
  exactly once. A handler whose effect is only in the database gets it exactly once outright by writing inside
  `async with ctx.transaction() as session:`, which records completion in the same transaction.
* **Retries.** A handler that raises is retried with exponential backoff (5 s, 10 s, 20 s... capped at 1 h,
  jittered) up to `max_attempts` (default 8), then the job is `failed` with `last_error`; every attempt is
  logged. Raise `PermanentJobError` to fail at once.
* **Dedupe.** At most one *pending* job per `dedupe_key`; scheduling again replaces its time and payload.
* **Tenancy.** Every job carries its `guild_id` (None only for platform jobs); `pending()` and `cancel()` take
  the guild to filter on.

Discord access: `ctx.bot` is the discord.py client when the worker runs inside the bot's process
(`wolaro run`), else None (`wolaro worker`). Either way `await ctx.discord_http()` returns discord.py's
authenticated `HTTPClient` (the bot's own, or one the worker logs in with `DISCORD_TOKEN`), so every kind can
run in every worker. Handlers should use REST through it rather than the bot's caches.
"""

from wolaro.jobs.context import JobContext, LeaseLost, PermanentJobError
from wolaro.jobs.models import JobStatus, ScheduledJob
from wolaro.jobs.registry import JobHandler, JobRegistry
from wolaro.jobs.scheduler import ALL_GUILDS, JobScheduler
from wolaro.jobs.store import JobInfo

__all__ = [
    "ALL_GUILDS",
    "JobContext",
    "JobHandler",
    "JobInfo",
    "JobRegistry",
    "JobScheduler",
    "JobStatus",
    "LeaseLost",
    "PermanentJobError",
    "ScheduledJob",
]
