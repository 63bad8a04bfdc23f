"""The one way to punish a member: `enforce()` checks, acts in Discord, records the case, announces it.

Commands, automod and anti-raid all call `enforce()`. (Channel actions and nicknames, which are cases too, act in
Discord in their own commands and then share steps 4 and 5: `record()` and `announce()`.) In order it:

1. checks the request: durations (a timeout needs one, at most 28 days; a temporary ban at most 365 days),
   delete-message days (0-7), the role hierarchy (nobody acts on the bot, themselves, the owner, or a member
   whose highest role is not below theirs, and the bot's own highest role must be above the target's) and the
   bot's permissions; every refusal is a `UserFacingError` (translated, ephemeral);
2. DMs the member first when the action removes them from the server (afterwards no DM could reach them),
   if the guild enables `dm_on_action`;
3. does the Discord action over REST, with the moderator and reason in `X-Audit-Log-Reason`;
4. in one transaction: takes the guild's next case number, inserts the case, writes the audit_log row, and
   schedules (temporary ban: `moderation.unban`, dedupe key `unban:{guild}:{user}`, so a new temporary ban
   replaces the old one) or cancels (permanent ban, unban) the durable unban job. If that transaction fails, the
   Discord action is reverted where possible (ban, timeout) and the error propagates: no unrecorded punishment;
5. posts the case embed to the modlog channel and DMs the member (warn, timeout, untimeout);
6. for a warning, applies the guild's escalation step if the member has just reached its warning count (the
   count is taken inside the warning's transaction, under the counter lock, so concurrent warnings each see a
   distinct count and no threshold is skipped).

Warnings expire by timestamp: a warning gets `expires_at = now + warn_expiry` when it is given (the guild's
setting at that time) and counts while it is active (not pardoned) and not expired. No job is needed, and
changing `warn_expiry` affects new warnings only.

Timeouts need no job: Discord lifts them itself at `communication_disabled_until`; the case's expiry says when.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

import discord

from wolaro.core.errors import UserFacingError
from wolaro.data.database import is_unavailable
from wolaro.data.guilds import add_audit
from wolaro.data.models import utcnow
from wolaro.logging import get_logger
from wolaro.modules.moderation import cases, modlog
from wolaro.modules.moderation.cases import CaseView
from wolaro.modules.moderation.config import Config
from wolaro.modules.moderation.service import (
    MAX_TEMP_BAN,
    MAX_TIMEOUT,
    MEMBER_ACTIONS,
    NEEDS_MEMBER,
    RECORD_ONLY_ACTIONS,
    REMOVES_MEMBER,
    Action,
    Escalation,
    HierarchyProblem,
    Standing,
    TargetKind,
    audit_reason,
    escalation_for,
    format_duration,
    hierarchy_problem,
    target_kind,
)

if TYPE_CHECKING:
    from discord.http import HTTPClient
    from sqlalchemy.ext.asyncio import AsyncSession

    from wolaro.core.bot import WolaroBot
    from wolaro.core.services import Services

__all__ = ["Action", "CaseView", "Outcome", "enforce", "execute", "unban_key"]

log = get_logger(__name__)

MODULE = "moderation"
UNBAN_JOB = "moderation.unban"
DEFAULT_SOFTBAN_DAYS = 1

PERMISSION_FOR: dict[Action, str] = {
    Action.KICK: "kick_members",
    Action.BAN: "ban_members",
    Action.SOFTBAN: "ban_members",
    Action.UNBAN: "ban_members",
    Action.TIMEOUT: "moderate_members",
    Action.UNTIMEOUT: "moderate_members",
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What `execute` did: the case, and the escalation it triggered (or why that failed)."""

    case: CaseView
    active_warnings: int | None = None
    escalation: CaseView | None = None
    escalation_error: str | None = None


def unban_key(guild_id: int, user_id: int) -> str:
    """The dedupe key of a member's pending unban job."""
    return f"unban:{guild_id}:{user_id}"


async def enforce(
    bot: WolaroBot,
    *,
    guild: discord.Guild,
    target: discord.abc.Snowflake | int,
    action: Action,
    moderator_id: int,
    reason: str | None,
    duration: datetime.timedelta | None = None,
    delete_message_days: int = 0,
    automated: bool = False,
    moderator: discord.Member | None = None,
) -> CaseView:
    """Carry out `action` on `target` and record it as a case (see the module docstring); return the case.

    `moderator` (optional) saves fetching the moderator's member for the hierarchy check. Automated actions
    (automod, anti-raid) pass `automated=True` and the bot's user id as `moderator_id`: only the bot's own rank
    is checked then. Raises `UserFacingError` for every refusal.
    """
    outcome = await execute(
        bot,
        guild=guild,
        target=target,
        action=action,
        moderator_id=moderator_id,
        reason=reason,
        duration=duration,
        delete_message_days=delete_message_days,
        automated=automated,
        moderator=moderator,
    )
    return outcome.case


async def execute(
    bot: WolaroBot,
    *,
    guild: discord.Guild,
    target: discord.abc.Snowflake | int,
    action: Action,
    moderator_id: int,
    reason: str | None,
    duration: datetime.timedelta | None = None,
    delete_message_days: int = 0,
    automated: bool = False,
    moderator: discord.Member | None = None,
    skip_actor_check: bool = False,
    ref_case: int | None = None,
) -> Outcome:
    """`enforce`, returning the escalation too (`skip_actor_check`: the moderator is a platform admin)."""
    action = Action(action)
    if action in RECORD_ONLY_ACTIONS:
        raise ValueError(f"{action} is carried out by its own command, which records its case with record()")
    target_id = target if isinstance(target, int) else target.id
    services = bot.services
    guild_config = await bot.config.get(guild.id)
    config = Config.model_validate(guild_config.module_configs.get(MODULE, {}))
    t = partial(bot.translator.translate, guild_config.language)
    reason = reason.strip()[:1000] if reason and reason.strip() else None
    duration, delete_message_days = _checked_arguments(action, duration, delete_message_days)

    member: discord.Member | None = None
    if action not in (Action.UNBAN, Action.NOTE):
        member = await fetch_member(bot, guild, target)
        if member is None and action in NEEDS_MEMBER:
            raise UserFacingError("<@{user}> is not a member of this server.", user=target_id)
        if not automated and not skip_actor_check and moderator is None:
            moderator = await fetch_member(bot, guild, moderator_id)
        await ensure_can_act(
            bot,
            guild,
            target_id,
            member,
            moderator=None if automated or skip_actor_check else moderator,
            bot_acts=action in MEMBER_ACTIONS,
        )
        if action is Action.TIMEOUT and member is not None and member.guild_permissions.administrator:
            raise UserFacingError("Discord does not let anyone time out an administrator.")
        if action is Action.UNTIMEOUT and member is not None and not member.is_timed_out():
            raise UserFacingError("<@{user}> is not timed out.", user=target_id)
    if moderator is not None:
        moderator_name = f"{moderator} ({moderator_id})"
    elif automated:
        moderator_name = f"{bot.user} ({moderator_id})"
    else:
        moderator_name = str(moderator_id)
    needed = PERMISSION_FOR.get(action)
    if needed is not None and guild.me is not None and not _has(guild.me.guild_permissions, needed):
        raise UserFacingError("I need these permissions: {permissions}.", permissions=needed.replace("_", " ").title())

    if action in REMOVES_MEMBER and member is not None and config.dm_on_action:
        await send_dm(bot.http, target_id, modlog.dm_text(action, duration, reason, guild.name, t))
    audit = audit_reason(moderator_name, reason)
    await _discord_action(bot.http, guild.id, target_id, action, duration, delete_message_days, audit)
    try:
        async with services.db.transaction() as session:
            case, step, count = await record(
                session,
                services,
                guild_id=guild.id,
                action=action,
                target_id=target_id,
                moderator_id=moderator_id,
                reason=reason,
                duration=duration,
                automated=automated,
                ref_case=ref_case,
                config=config,
                bot_id=bot.user.id if bot.user else moderator_id,
                extra={"delete_message_days": delete_message_days} if delete_message_days else None,
            )
    except Exception as exc:
        if is_unavailable(exc):  # an outage, not a bug: one line, the command tells the user
            log.warning(
                "case not recorded: the database is unavailable; reverting the Discord action",
                guild_id=guild.id,
                action=action,
                error=repr(exc),
            )
        else:
            log.exception("case could not be recorded: reverting the Discord action", guild_id=guild.id, action=action)
        await _revert(bot.http, guild.id, target_id, action, audit)
        raise
    dm = action not in REMOVES_MEMBER and member is not None and config.dm_on_action
    case = await announce(services, bot.http, case, config=config, t=t, guild_name=guild.name, dm=dm, bot=bot)
    log.info(
        "moderation action",
        guild_id=guild.id,
        case=case.number,
        action=action.value,
        target_id=target_id,
        moderator_id=moderator_id,
        automated=automated,
    )
    if step is None:
        return Outcome(case, count)
    try:
        follow = await execute(
            bot,
            guild=guild,
            target=member if member is not None else target_id,
            action=step.action,
            moderator_id=bot.user.id if bot.user else moderator_id,
            reason=t("{count} active warnings (automatic escalation)", count=count),
            duration=step.duration,
            delete_message_days=DEFAULT_SOFTBAN_DAYS if step.action is Action.SOFTBAN else 0,
            automated=True,
            ref_case=case.number,
        )
    except UserFacingError as exc:
        log.warning("warn escalation refused", guild_id=guild.id, target_id=target_id, error=exc.msgid)
        return Outcome(case, count, escalation_error=t(exc.msgid, **exc.fields))
    return Outcome(case, count, escalation=follow.case)


# --------------------------------------------------------------------------- recording
async def record(
    session: AsyncSession,
    services: Services,
    *,
    guild_id: int,
    action: Action,
    target_id: int,
    moderator_id: int,
    reason: str | None,
    duration: datetime.timedelta | None,
    automated: bool,
    config: Config,
    bot_id: int,
    ref_case: int | None = None,
    extra: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    audit_before: dict[str, Any] | None = None,
) -> tuple[CaseView, Escalation | None, int | None]:
    """In the caller's transaction: the case, its audit row and the unban job; plus the escalation due, if any.

    `details` is stored with the case (and in the audit row): what else the action did, such as a purge's count.
    `extra` goes to the audit row only, `audit_before` is the audit row's "before". Returns
    `(case, escalation step or None, active warnings after a warning or None)`.
    """
    dialect = services.db.dialect
    now = utcnow()
    expires_at = None
    if action in (Action.BAN, Action.TIMEOUT) and duration is not None:
        expires_at = now + duration
    elif action is Action.WARN:
        lifetime = config.warn_lifetime()
        expires_at = now + lifetime if lifetime is not None else None
    superseded: list[int] = []
    if action in (Action.BAN, Action.UNBAN, Action.SOFTBAN):
        superseded = await cases.deactivate(session, guild_id=guild_id, target_id=target_id, actions=[Action.BAN])
    elif action in (Action.TIMEOUT, Action.UNTIMEOUT):
        superseded = await cases.deactivate(session, guild_id=guild_id, target_id=target_id, actions=[Action.TIMEOUT])
    row = await cases.create(
        session,
        dialect,
        guild_id=guild_id,
        action=action,
        target_id=target_id,
        moderator_id=moderator_id,
        reason=reason,
        duration=duration,
        expires_at=expires_at,
        automated=automated,
        ref_case=ref_case,
        details=details,
        now=now,
    )
    after: dict[str, Any] = {
        "case": row.number,
        "reason": reason,
        "duration_seconds": row.duration_seconds,
        "automated": automated,
    }
    if superseded:
        after["lifted_cases"] = superseded
    if details:
        after.update(details)
    if extra:
        after.update(extra)
    add_audit(
        session,
        guild_id=guild_id,
        actor_id=moderator_id,
        action=f"moderation.{action.value}",
        target=f"channel:{target_id}" if target_kind(action) is TargetKind.CHANNEL else str(target_id),
        before=audit_before,
        after=after,
    )
    key = unban_key(guild_id, target_id)
    if action is Action.BAN and expires_at is not None:
        await services.jobs.schedule(
            UNBAN_JOB,
            run_at=expires_at,
            guild_id=guild_id,
            payload={"guild_id": guild_id, "user_id": target_id, "case": row.number, "bot_id": bot_id},
            dedupe_key=key,
            session=session,
        )
    elif action in (Action.BAN, Action.UNBAN, Action.SOFTBAN):
        await services.jobs.cancel(dedupe_key=key, guild_id=guild_id, session=session)
    step: Escalation | None = None
    count: int | None = None
    if action is Action.WARN:
        count = await cases.count_active_warnings(session, guild_id, target_id, now=now)
        step = escalation_for(config.escalation_rules(), count)
    return cases.view(row), step, count


async def announce(
    services: Services,
    http: HTTPClient,
    case: CaseView,
    *,
    config: Config,
    t: Callable[..., str],
    guild_name: str,
    dm: bool,
    bot: Any | None = None,
) -> CaseView:
    """Post the case to the modlog channel (remembering the message) and DM the member if `dm`."""
    if config.modlog_channel_id and await modlog_channel_ok(http, bot, case.guild_id, config.modlog_channel_id):
        try:
            with discord.http.handle_message_parameters(
                embed=modlog.case_embed(case, t), allowed_mentions=discord.AllowedMentions.none()
            ) as params:
                message = await http.send_message(config.modlog_channel_id, params=params)
            async with services.db.transaction() as session:
                await cases.set_modlog_message(
                    session,
                    guild_id=case.guild_id,
                    number=case.number,
                    channel_id=config.modlog_channel_id,
                    message_id=int(message["id"]),
                )
            case = replace(case, modlog_channel_id=config.modlog_channel_id, modlog_message_id=int(message["id"]))
        except discord.HTTPException as exc:
            log.warning("modlog post failed", guild_id=case.guild_id, case=case.number, error=str(exc))
    if dm:
        text = modlog.dm_text(case.action, case.duration, case.reason, guild_name, t)
        await send_dm(http, case.target_id, text)
    return case


async def modlog_channel_ok(http: HTTPClient, bot: Any | None, guild_id: int, channel_id: int) -> bool:
    """Whether the configured modlog channel belongs to this guild (never post one guild's cases in another)."""
    channel = bot.get_channel(channel_id) if bot is not None else None
    if channel is not None:
        owner = getattr(channel, "guild", None)
        found = owner.id if owner is not None else None
    else:
        try:
            data = await http.get_channel(channel_id)
        except discord.HTTPException:
            found = None
        else:
            raw: Any = dict(data).get("guild_id")
            found = int(raw) if raw else None
    if found != guild_id:
        log.warning("modlog channel is not in this guild: not posting", guild_id=guild_id, channel_id=channel_id)
        return False
    return True


async def send_dm(http: HTTPClient, user_id: int, text: str | None) -> bool:
    """DM a user (False if they do not accept DMs from the bot, or there is nothing to say)."""
    if not text:
        return False
    try:
        channel = await http.start_private_message(user_id)
        with discord.http.handle_message_parameters(content=text[:2000]) as params:
            await http.send_message(int(channel["id"]), params=params)
    except discord.HTTPException as exc:
        log.info("moderation DM not delivered", user_id=user_id, error=str(exc))
        return False
    return True


# --------------------------------------------------------------------------- Discord
async def _discord_action(
    http: HTTPClient,
    guild_id: int,
    user_id: int,
    action: Action,
    duration: datetime.timedelta | None,
    delete_days: int,
    audit: str,
) -> None:
    try:
        if action is Action.KICK:
            await http.kick(user_id, guild_id, reason=audit)
        elif action is Action.BAN:
            await http.ban(user_id, guild_id, delete_message_seconds=delete_days * 86400, reason=audit)
        elif action is Action.SOFTBAN:
            await http.ban(user_id, guild_id, delete_message_seconds=delete_days * 86400, reason=audit)
            await http.unban(user_id, guild_id, reason=audit)
        elif action is Action.UNBAN:
            await http.unban(user_id, guild_id, reason=audit)
        elif action is Action.TIMEOUT:
            assert duration is not None
            until = (utcnow() + duration).isoformat()
            await http.edit_member(guild_id, user_id, reason=audit, communication_disabled_until=until)
        elif action is Action.UNTIMEOUT:
            await http.edit_member(guild_id, user_id, reason=audit, communication_disabled_until=None)
    except discord.NotFound:
        if action is Action.UNBAN:
            raise UserFacingError("<@{user}> is not banned here.", user=user_id) from None
        raise UserFacingError("<@{user}> is not a member of this server.", user=user_id) from None
    except discord.Forbidden:
        raise UserFacingError(
            "Discord refused: my role must be above the member's and I need the permission for this."
        ) from None


async def _revert(http: HTTPClient, guild_id: int, user_id: int, action: Action, audit: str) -> None:
    """Undo what can be undone after the case failed to record (best effort, logged)."""
    try:
        if action is Action.BAN:
            await http.unban(user_id, guild_id, reason=audit)
        elif action is Action.TIMEOUT:
            await http.edit_member(guild_id, user_id, reason=audit, communication_disabled_until=None)
    except discord.HTTPException:
        log.exception("could not revert an unrecorded moderation action", guild_id=guild_id, action=action)


async def ensure_can_act(
    bot: WolaroBot,
    guild: discord.Guild,
    target_id: int,
    member: discord.Member | None,
    *,
    moderator: discord.Member | None,
    bot_acts: bool = True,
) -> None:
    """Refuse (UserFacingError) unless the role hierarchy lets `moderator` (None: not checked) and the bot act."""
    me = guild.me or await guild.fetch_member(bot.user.id)  # type: ignore[union-attr]
    problem = hierarchy_problem(
        owner_id=guild.owner_id or 0,
        bot=_standing(me),
        target_id=target_id,
        target=_standing(member) if member is not None else None,
        actor=_standing(moderator) if moderator is not None else None,
        bot_acts=bot_acts,
    )
    if problem is not None:
        raise _hierarchy_error(problem, target_id)


async def fetch_member(
    bot: WolaroBot, guild: discord.Guild, target: discord.abc.Snowflake | int
) -> discord.Member | None:
    """The target as a member of `guild` (from the event, the cache or REST), or None if not a member."""
    if isinstance(target, discord.Member) and target.guild.id == guild.id:
        return target
    user_id = target if isinstance(target, int) else target.id
    cached = guild.get_member(user_id)
    if cached is not None:
        return cached
    try:
        return await guild.fetch_member(user_id)
    except discord.NotFound:
        return None


def _standing(member: discord.Member) -> Standing:
    return Standing(member.id, member.top_role.position if member.top_role is not None else 0)


def _has(permissions: discord.Permissions, name: str) -> bool:
    return permissions.administrator or bool(getattr(permissions, name))


def _checked_arguments(
    action: Action, duration: datetime.timedelta | None, delete_days: int
) -> tuple[datetime.timedelta | None, int]:
    if action is Action.TIMEOUT:
        if duration is None:
            raise UserFacingError("A timeout needs a duration, e.g. `10m`, `2h` or `1d`.")
        if duration > MAX_TIMEOUT:
            raise UserFacingError("A timeout lasts at most {maximum}.", maximum=format_duration(MAX_TIMEOUT))
    elif action is Action.BAN:
        if duration is not None and duration > MAX_TEMP_BAN:
            raise UserFacingError(
                "A temporary ban lasts at most {maximum}; leave the duration out to ban for good.",
                maximum=format_duration(MAX_TEMP_BAN),
            )
    else:
        duration = None
    if duration is not None and duration.total_seconds() < 1:
        raise UserFacingError("A duration must be at least one second.")
    if not 0 <= delete_days <= 7:
        raise UserFacingError("Messages can be deleted for 0 to 7 days.")
    if action is Action.SOFTBAN and delete_days == 0:
        delete_days = DEFAULT_SOFTBAN_DAYS
    if action not in (Action.BAN, Action.SOFTBAN):
        delete_days = 0
    return duration, delete_days


def _hierarchy_error(problem: HierarchyProblem, target_id: int) -> UserFacingError:
    if problem is HierarchyProblem.TARGET_IS_BOT:
        return UserFacingError("I can't moderate myself.")
    if problem is HierarchyProblem.TARGET_IS_SELF:
        return UserFacingError("You can't moderate yourself.")
    if problem is HierarchyProblem.TARGET_IS_OWNER:
        return UserFacingError("Nobody can moderate the server owner.")
    if problem is HierarchyProblem.ACTOR_TOO_LOW:
        return UserFacingError("<@{user}> has a role equal to or above yours: you can't moderate them.", user=target_id)
    return UserFacingError(
        "<@{user}> has a role equal to or above mine: move my role above theirs first.", user=target_id
    )


async def post_notice(bot: WolaroBot, guild_id: int, embed: discord.Embed) -> None:
    """Post a non-case entry (purge, lock, pardon...) to the guild's modlog channel, if it has one."""
    config = await bot.config.module_config(guild_id, Config, MODULE)
    if not config.modlog_channel_id or not await modlog_channel_ok(bot.http, bot, guild_id, config.modlog_channel_id):
        return
    try:
        with discord.http.handle_message_parameters(
            embed=embed, allowed_mentions=discord.AllowedMentions.none()
        ) as params:
            await bot.http.send_message(config.modlog_channel_id, params=params)
    except discord.HTTPException as exc:
        log.warning("modlog notice failed", guild_id=guild_id, error=str(exc))
