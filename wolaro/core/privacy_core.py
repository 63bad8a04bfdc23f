"""The platform's own privacy hooks: the audit log, scheduled jobs, dashboard sessions and the bot's guild list.

What erasure does here (see docs/privacy.md):
- `audit_log`: the log is the guild's record of what changed, so rows are kept but no longer name the person:
  `actor_id` becomes NULL where they acted; where they were the target, `target`, `before` and `after` (which
  describe what happened to them: reasons, nicknames) are cleared; elsewhere in `before`/`after` (a purge of
  their messages) their id becomes `ERASED_USER_ID`.
- `scheduled_jobs`: a job whose payload names the person (`user_id`, the convention every job kind follows) is
  deleted, pending or finished; a pending automatic unban is cancelled with it.
- `dashboard_sessions`: deleted (every dashboard login of the person ends). Only for an erasure everywhere.
- `bot_guilds.owner_id`: cleared (Discord publishes a server's owner, so the bot records it again while it
  stays in a server that person owns).

The jobs and dashboard tables belong to other layers: they are named here as plain tables (no import of the jobs
or web packages), with only the columns this file reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, String, Text, cast, column, delete, or_, select, table, update

from wolaro.core.jsonsafe import jsonable
from wolaro.core.privacy import mentions, payload_user, scrub
from wolaro.data.database import Database
from wolaro.data.models import AuditLog, BotGuild, JSONType, Snowflake, UTCDateTime

_jobs = table(
    "scheduled_jobs",
    column("id", Snowflake),
    column("guild_id", Snowflake),
    column("kind", String),
    column("payload", JSONType),
    column("run_at", UTCDateTime()),
    column("status", String),
    column("created_at", UTCDateTime()),
)
_sessions = table(
    "dashboard_sessions",
    column("id", String),
    column("user_id", Snowflake),
    column("created_at", UTCDateTime()),
    column("expires_at", UTCDateTime()),
)


PLATFORM_NOT_PERSONAL: Mapping[str, str] = {
    "guilds.settings": "a server's platform settings, written by its admins",
    "guild_modules.config": "a server's module settings, written by its admins",
    "config_outbox.payload": "a server's settings change waiting to be sent to every bot process (who made it is "
    "left out), deleted once sent",
    "bot_guilds.shard_id": "the bot's gateway shard serving the server",
    "scheduled_jobs.locked_by": "the worker process running the job",
}
"""The platform's own columns that look like a person's id and are not (what `ModuleSpec.not_personal` is for a
module)."""


def audit_targets(user_id: int) -> list[str]:
    """The ways an audit row's `target` names a person."""
    return [str(user_id), f"user:{user_id}", f"member:{user_id}"]


class PlatformData:
    """`UserData` of the tables every module shares."""

    stores: Mapping[str, str] = {
        "audit_log.actor_id": "Changes you made that the servers' audit logs recorded",
        "audit_log.target": "Changes made to you that the servers' audit logs recorded",
        "audit_log.before": "Audit log entries that name you in what changed",
        "audit_log.after": "Audit log entries that name you in what changed",
        "scheduled_jobs.payload": "Actions scheduled about you (reminders, the end of a temporary ban)",
        "dashboard_sessions.user_id": "Your dashboard logins (the time only; login tokens are never exported)",
        "bot_guilds.owner_id": "Servers you own, as the bot saw them",
    }

    # ------------------------------------------------------------------------------------------ export
    async def export_user_data(self, db: Database, user_id: int, guild_id: int | None) -> dict[str, Any]:
        """The person's audit rows, scheduled jobs, dashboard logins and owned servers."""
        out: dict[str, Any] = {}
        async with db.session() as session:
            audit = (
                await session.execute(
                    select(AuditLog).where(_audit_about(user_id), *_in_guild(AuditLog.guild_id, guild_id))
                )
            ).scalars()
            rows = [
                {
                    "id": row.id,
                    "guild_id": row.guild_id,
                    "at": row.created_at,
                    "action": row.action,
                    "you_did_it": row.actor_id == user_id,
                    "target": row.target,
                    "before": row.before,
                    "after": row.after,
                }
                for row in audit
                if row.actor_id == user_id
                or row.target in audit_targets(user_id)
                or mentions(row.before, user_id)
                or mentions(row.after, user_id)
            ]
            if rows:
                out["audit_log"] = jsonable(rows)
            jobs = [
                {"id": job.id, "guild_id": job.guild_id, "kind": job.kind, "run_at": job.run_at, "status": job.status}
                | {"payload": job.payload}
                for job in await _jobs_of(session, user_id, guild_id)
            ]
            if jobs:
                out["scheduled_jobs"] = jsonable(jobs)
            owned = (
                await session.execute(
                    select(BotGuild.id, BotGuild.name).where(
                        BotGuild.owner_id == user_id, *_in_guild(BotGuild.id, guild_id)
                    )
                )
            ).all()
            if owned:
                out["servers_owned"] = jsonable([{"guild_id": g, "name": name} for g, name in owned])
            if guild_id is None:
                logins = (
                    await session.execute(
                        select(_sessions.c.created_at, _sessions.c.expires_at).where(_sessions.c.user_id == user_id)
                    )
                ).all()
                if logins:
                    out["dashboard_logins"] = jsonable([{"since": a, "until": b} for a, b in logins])
        return out

    # ------------------------------------------------------------------------------------------ erasure
    async def delete_user_data(self, db: Database, user_id: int, guild_id: int | None) -> int:
        """Anonymise the audit rows, delete the jobs and logins, clear owned servers' owner."""
        targets = audit_targets(user_id)
        scope = _in_guild(AuditLog.guild_id, guild_id)
        count = 0
        async with db.transaction() as session:
            result: Any = await session.execute(
                update(AuditLog)
                .where(AuditLog.target.in_(targets), *scope)
                .values(target=None, before=None, after=None)
                .execution_options(synchronize_session=False)
            )
            count += result.rowcount or 0
            result = await session.execute(
                update(AuditLog)
                .where(AuditLog.actor_id == user_id, *scope)
                .values(actor_id=None)
                .execution_options(synchronize_session=False)
            )
            count += result.rowcount or 0
            named = (await session.execute(select(AuditLog).where(_audit_may_name(user_id), *scope))).scalars()
            for row in named:
                if mentions(row.before, user_id) or mentions(row.after, user_id):
                    row.before, row.after = scrub(row.before, user_id), scrub(row.after, user_id)
                    count += 1
            job_ids = [job.id for job in await _jobs_of(session, user_id, guild_id)]
            if job_ids:
                await session.execute(delete(_jobs).where(_jobs.c.id.in_(job_ids)))
                count += len(job_ids)
            result = await session.execute(
                update(BotGuild)
                .where(BotGuild.owner_id == user_id, *_in_guild(BotGuild.id, guild_id))
                .values(owner_id=None)
                .execution_options(synchronize_session=False)
            )
            count += result.rowcount or 0
            if guild_id is None:
                result = await session.execute(delete(_sessions).where(_sessions.c.user_id == user_id))
                count += result.rowcount or 0
        return count


def _audit_may_name(user_id: int) -> ColumnElement[bool]:
    """Narrows in SQL to rows whose before/after text holds the id (`mentions()` then decides)."""
    return or_(cast(AuditLog.before, Text).contains(str(user_id)), cast(AuditLog.after, Text).contains(str(user_id)))


def _audit_about(user_id: int) -> ColumnElement[bool]:
    return or_(AuditLog.actor_id == user_id, AuditLog.target.in_(audit_targets(user_id)), _audit_may_name(user_id))


def _in_guild(guild_column: Any, guild_id: int | None) -> list[ColumnElement[bool]]:
    return [] if guild_id is None else [guild_column == guild_id]


async def _jobs_of(session: Any, user_id: int, guild_id: int | None) -> list[Any]:
    """Jobs whose payload names `user_id` (the text match narrows in SQL, the payload's `user_id` decides)."""
    query = select(_jobs).where(
        cast(_jobs.c.payload, Text).contains(str(user_id)), *_in_guild(_jobs.c.guild_id, guild_id)
    )
    rows = (await session.execute(query)).all()
    return [row for row in rows if payload_user(row.payload) == user_id]


PLATFORM_DATA = PlatformData()
"""The platform's hooks (`privacy_hooks()` adds them after every module's)."""
