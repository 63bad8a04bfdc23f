"""What moderation keeps about a person (the cases where they were the member acted on, or the moderator).

A guild's moderation log is the guild's own record (who was banned, when, by whom), so erasure keeps each case
and its number but removes the person from it (docs/privacy.md):
- as the member acted on: `target_id` becomes `ERASED_USER_ID` (0), the reason and details (which describe them:
  nicknames, what they posted) are cleared and the case stops being in force (nothing can name them any more);
- as the moderator: `moderator_id` becomes `ERASED_USER_ID`; the case is otherwise kept as the guild wrote it;
- named in a case's details (a purge of their messages): their id there becomes `ERASED_USER_ID`.
Channel cases (purge, slowmode, lock) name a channel, not a person, and are only touched as the moderator's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, or_, select, update

from wolaro.core.jsonsafe import jsonable
from wolaro.core.privacy import ERASED_USER_ID, mentions, scrub
from wolaro.data.database import Database
from wolaro.modules.moderation.models import ModCase
from wolaro.modules.moderation.service import TargetKind


def _as_target(user_id: int) -> ColumnElement[bool]:
    return (ModCase.target_id == user_id) & (ModCase.target_kind == TargetKind.MEMBER.value)


def _details_may_name(user_id: int) -> ColumnElement[bool]:
    """Narrows in SQL to details whose text holds the id (`mentions()` then decides)."""
    return cast(ModCase.details, Text).contains(str(user_id))


def _scope(guild_id: int | None) -> list[ColumnElement[bool]]:
    return [] if guild_id is None else [ModCase.guild_id == guild_id]


class ModerationData:
    """`UserData` of the moderation module."""

    stores: Mapping[str, str] = {
        "mod_cases.target_id": "Moderation cases about you (warnings, timeouts, kicks, bans) with their reasons",
        "mod_cases.moderator_id": "Moderation cases you handled as a moderator",
        "mod_cases.details": "What else those cases recorded about you (for example a nickname change)",
    }

    async def export_user_data(self, db: Database, user_id: int, guild_id: int | None) -> dict[str, Any]:
        """Every case naming the person, as the member acted on and as the moderator."""
        async with db.session() as session:
            rows = (
                await session.execute(
                    select(ModCase)
                    .where(
                        or_(_as_target(user_id), ModCase.moderator_id == user_id, _details_may_name(user_id)),
                        *_scope(guild_id),
                    )
                    .order_by(ModCase.guild_id, ModCase.number)
                )
            ).scalars()
            about, handled, named = [], [], []
            for row in rows:
                case = {
                    "guild_id": row.guild_id,
                    "case": row.number,
                    "action": row.action,
                    "at": row.created_at,
                    "reason": row.reason,
                    "duration_seconds": row.duration_seconds,
                    "expires_at": row.expires_at,
                    "in_force": row.active,
                    "automated": row.automated,
                    "details": row.details,
                }
                if row.target_id == user_id and row.target_kind == TargetKind.MEMBER.value:
                    about.append(case | {"moderator_id": row.moderator_id})
                if row.moderator_id == user_id:
                    handled.append(case | {"target_id": row.target_id, "target_kind": row.target_kind})
                elif row.target_id != user_id and mentions(row.details, user_id):
                    named.append(case | {"target_id": row.target_id, "target_kind": row.target_kind})
        out: dict[str, Any] = {}
        if about:
            out["cases_about_you"] = jsonable(about)
        if handled:
            out["cases_you_handled"] = jsonable(handled)
        if named:
            out["cases_naming_you"] = jsonable(named)
        return out

    async def delete_user_data(self, db: Database, user_id: int, guild_id: int | None) -> int:
        """Remove the person from every case (see the module docstring); how many cases changed."""
        async with db.transaction() as session:
            result: Any = await session.execute(
                update(ModCase)
                .where(_as_target(user_id), *_scope(guild_id))
                .values(target_id=ERASED_USER_ID, reason=None, details=None, active=False)
                .execution_options(synchronize_session=False)
            )
            count = result.rowcount or 0
            result = await session.execute(
                update(ModCase)
                .where(ModCase.moderator_id == user_id, *_scope(guild_id))
                .values(moderator_id=ERASED_USER_ID)
                .execution_options(synchronize_session=False)
            )
            count += result.rowcount or 0
            named = (
                await session.execute(select(ModCase).where(_details_may_name(user_id), *_scope(guild_id)))
            ).scalars()
            for row in named:
                if mentions(row.details, user_id):
                    row.details = scrub(row.details, user_id)
                    count += 1
            return count


PRIVACY = ModerationData()
