"""Reward roles after a bulk change: a whole-server XP reset or a CSV import changes many levels at once.

A single level change gives or takes reward roles right away (`discord_io.sync_reward_roles`). A bulk change may
touch tens of thousands of members, so it plans durable jobs instead, in the same transaction as the change (a
crash never loses them): one `leveling.sync_roles` job per `CHUNK` members whose reward roles differ between their
old and new level. Each job, in whichever worker runs it, reads the members' XP as it is then (a member who earned
XP since is given the roles of their level now), and gives or takes only the reward roles that differ, one REST
call per role through discord.py (which waits out Discord's rate limits). A role the bot may not give (above its
own, or no Manage Roles) is logged once per job and skipped; a member who left is skipped; a server the bot was
removed from ends the job. Running a job twice changes nothing more: it sets each member to the roles of their
level.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import discord
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.modules.leveling import store
from wolaro.modules.leveling.config import NAME, Config
from wolaro.modules.leveling.curves import CurveSpec, level_for_xp
from wolaro.modules.leveling.rules import reward_roles, role_changes
from wolaro.sdk import JobContext, get_logger

log = get_logger(__name__)

SYNC_JOB = "leveling.sync_roles"
CHUNK = 250
"""Members per job: a job's work stays bounded (about one REST call per member and role changed)."""
UNKNOWN_GUILD = 10004
"""Discord's error code for a server the bot is not in (404 Unknown Guild); an unknown member is 10007."""


def needing_sync(changes: Iterable[store.Change], settings: Config, curve: CurveSpec) -> list[int]:
    """The members whose reward roles differ between their level before and after the change."""
    if not settings.role_rewards:
        return []
    stack = settings.stack_rewards
    rewards = settings.role_rewards
    return [
        change.user_id
        for change in changes
        if reward_roles(rewards, level_for_xp(change.before, curve), stack=stack)
        != reward_roles(rewards, level_for_xp(change.after, curve), stack=stack)
    ]


async def plan(jobs: Any, session: AsyncSession, guild_id: int, user_ids: Sequence[int]) -> int:
    """Schedule the role syncs of `user_ids` now, inside `session` (the change's transaction); jobs planned."""
    now = datetime.now(UTC)
    chunks = [user_ids[i : i + CHUNK] for i in range(0, len(user_ids), CHUNK)]
    for chunk in chunks:
        payload = {"users": [str(user_id) for user_id in chunk]}
        await jobs.schedule(SYNC_JOB, run_at=now, guild_id=guild_id, payload=payload, session=session)
    return len(chunks)


async def sync_roles(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Give each listed member exactly the reward roles of their level now (only reward roles are touched)."""
    guild_id = ctx.guild_id
    assert guild_id is not None
    config = await ctx.services.config.get(guild_id)
    if NAME not in config.enabled_modules:
        return  # leveling was switched off since: roles stay as they are
    settings = Config.model_validate(dict(config.module_configs.get(NAME) or {}))
    if not settings.role_rewards:
        return
    curve = CurveSpec.of(settings)
    user_ids = [int(user_id) for user_id in payload.get("users") or ()][:CHUNK]
    totals = await store.totals_of(ctx.db, guild_id, user_ids)
    http = await ctx.discord_http()
    refused: set[int] = set()
    changed = 0
    for user_id in user_ids:
        level = level_for_xp(totals.get(user_id, 0), curve)
        try:
            member = await http.get_member(guild_id, user_id)
        except (discord.NotFound, discord.Forbidden) as exc:
            if isinstance(exc, discord.NotFound) and exc.code != UNKNOWN_GUILD:  # the member left the server
                continue
            # the bot is no longer in the server (Unknown Guild, Missing Access): nothing more to do
            log.info("reward roles not synced: the server cannot be read", guild_id=guild_id, error=repr(exc))
            return
        held = [int(role) for role in member.get("roles") or ()]
        add, remove = role_changes(settings.role_rewards, level, held, stack=settings.stack_rewards)
        reason = f"Level {level} (leveling rewards)"
        for role_id, give in [(r, True) for r in sorted(add)] + [(r, False) for r in sorted(remove)]:
            if role_id in refused:
                continue
            try:
                if give:
                    await http.add_role(guild_id, user_id, role_id, reason=reason)
                else:
                    await http.remove_role(guild_id, user_id, role_id, reason=reason)
                changed += 1
            except (discord.Forbidden, discord.NotFound) as exc:  # above the bot's role, no permission, or deleted
                refused.add(role_id)
                log.info("reward role not changed", guild_id=guild_id, role_id=role_id, error=repr(exc))
    log.info("reward roles synced", guild_id=guild_id, members=len(user_ids), roles_changed=changed)
