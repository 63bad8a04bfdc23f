"""Where moderation's work happens: `execute()` checks, acts in Discord, records the case, announces it.

The `!warn` path: the command (`commands_actions.py`) hands `execute()` the guild config it already holds
(`ctx.config`); this file does the steps below, calling `discord_io.py` for each Discord step, `cases.py` for the
rows and `rules.py` for the plain rules (durations, ranks, escalation). Other modules (automod, anti-raid) reach
it only through `public.sanction()`. (Channel actions and nicknames, which are cases too, act in
Discord in their own commands and then share steps 4 and 5: `record()` and `announce()`.) In order:

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
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import discord

from wolaro.core.durations import format_duration
from wolaro.core.errors import UserFacingError
from wolaro.data.database import is_unavailable
from wolaro.data.guilds import add_audit
from wolaro.data.models import utcnow
from wolaro.logging import get_logger
from wolaro.modules.moderation import cases, modlog
from wolaro.modules.moderation.cases import CaseView
from wolaro.modules.moderation.config import MODULE, Config
from wolaro.modules.moderation.discord_io import (
    act_in_discord,
    announce,
    ensure_can_act,
    fetch_member,
    has_permission,
    post_notice,
    revert,
    send_dm,
)
from wolaro.modules.moderation.rules import (
    MAX_TEMP_BAN,
    MAX_TIMEOUT,
    MEMBER_ACTIONS,
    NEEDS_MEMBER,
    RECORD_ONLY_ACTIONS,
    REMOVES_MEMBER,
    Action,
    Escalation,
    TargetKind,
    audit_reason,
    escalation_for,
    target_kind,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from wolaro.core.bot import WolaroBot
    from wolaro.core.config_service import GuildConfig
    from wolaro.core.services import Services

__all__ = [
    "MODULE",
    "UNBAN_JOB",
    "Action",
    "CaseView",
    "Outcome",
    "Policy",
    "Request",
    "TargetKind",
    "announce",
    "enforce",
    "ensure_can_act",
    "execute",
    "post_notice",
    "record",
    "unban_key",
]

log = get_logger(__name__)

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
class Policy:
    """The guild's moderation settings and its language: read once, from the guild config the caller holds."""

    config: Config
    t: Callable[..., str]
    guild_name: str

    @classmethod
    def of(cls, bot: WolaroBot, guild_config: GuildConfig, guild_name: str) -> Policy:
        """The policy of the guild whose config is `guild_config` (e.g. `ctx.config`): no read, one validation."""
        return cls(Config.of(guild_config), partial(bot.translator.translate, guild_config.language), guild_name)


@dataclass(frozen=True, slots=True)
class Request:
    """One sanction to carry out, its arguments already checked (`Request.checked`)."""

    action: Action
    target_id: int
    moderator_id: int
    reason: str | None
    duration: datetime.timedelta | None = None
    delete_message_days: int = 0
    automated: bool = False
    ref_case: int | None = None

    @classmethod
    def checked(
        cls,
        action: Action,
        target_id: int,
        moderator_id: int,
        reason: str | None,
        *,
        duration: datetime.timedelta | None = None,
        delete_message_days: int = 0,
        automated: bool = False,
        ref_case: int | None = None,
    ) -> Request:
        """Step 1a: the request with its reason trimmed, or a `UserFacingError` for a bad duration or day count."""
        action = Action(action)
        if action in RECORD_ONLY_ACTIONS:
            raise ValueError(f"{action} is carried out by its own command, which records its case with record()")
        reason = reason.strip()[:1000] if reason and reason.strip() else None
        duration, delete_message_days = _checked_arguments(action, duration, delete_message_days)
        return cls(action, target_id, moderator_id, reason, duration, delete_message_days, automated, ref_case)


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
    guild_config: GuildConfig,
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

    `guild_config` is the guild's config the caller already holds. `moderator` (optional) saves fetching the
    moderator's member for the hierarchy check. Automated actions (automod, anti-raid) pass `automated=True` and
    the bot's user id as `moderator_id`: only the bot's own rank is checked then. Raises `UserFacingError` for
    every refusal.
    """
    outcome = await execute(
        bot,
        Policy.of(bot, guild_config, guild.name),
        guild=guild,
        target=target,
        request=Request.checked(
            action,
            target if isinstance(target, int) else target.id,
            moderator_id,
            reason,
            duration=duration,
            delete_message_days=delete_message_days,
            automated=automated,
        ),
        moderator=moderator,
    )
    return outcome.case


async def execute(
    bot: WolaroBot,
    policy: Policy,
    *,
    guild: discord.Guild,
    target: discord.abc.Snowflake | int,
    request: Request,
    moderator: discord.Member | None = None,
    skip_actor_check: bool = False,
) -> Outcome:
    """`enforce` for a checked `request`, returning the escalation too (`skip_actor_check`: a platform admin)."""
    member, moderator_name = await _check_ranks(
        bot, guild, target, request, moderator=moderator, check_actor=not (request.automated or skip_actor_check)
    )
    config = policy.config
    audit = audit_reason(moderator_name, request.reason)
    if request.action in REMOVES_MEMBER and member is not None and config.dm_on_action:
        text = modlog.dm_text(request.action, request.duration, request.reason, guild.name, policy.t)
        await send_dm(bot.http, request.target_id, text)
    await act_in_discord(
        bot.http, guild.id, request.target_id, request.action, request.duration, request.delete_message_days, audit
    )
    case, step, count = await _record_or_revert(bot, guild.id, config, request, audit)
    dm = request.action not in REMOVES_MEMBER and member is not None and config.dm_on_action
    case = await announce(
        bot.services, bot.http, case, config=config, t=policy.t, guild_name=guild.name, dm=dm, bot=bot
    )
    log.info(
        "moderation action",
        guild_id=guild.id,
        case=case.number,
        action=request.action.value,
        target_id=request.target_id,
        moderator_id=request.moderator_id,
        automated=request.automated,
    )
    if step is None:
        return Outcome(case, count)
    return await _escalate(bot, policy, guild, member if member is not None else request.target_id, case, step, count)


async def _check_ranks(
    bot: WolaroBot,
    guild: discord.Guild,
    target: discord.abc.Snowflake | int,
    request: Request,
    *,
    moderator: discord.Member | None,
    check_actor: bool,
) -> tuple[discord.Member | None, str]:
    """Step 1b: the target's member (if any) and the moderator's name, or a `UserFacingError` for a refusal."""
    action, target_id = request.action, request.target_id
    member: discord.Member | None = None
    if action not in (Action.UNBAN, Action.NOTE):
        member = await fetch_member(bot, guild, target)
        if member is None and action in NEEDS_MEMBER:
            raise UserFacingError("<@{user}> is not a member of this server.", user=target_id)
        if check_actor and moderator is None:
            moderator = await fetch_member(bot, guild, request.moderator_id)
        actor = moderator if check_actor else None
        await ensure_can_act(bot, guild, target_id, member, moderator=actor, bot_acts=action in MEMBER_ACTIONS)
        if action is Action.TIMEOUT and member is not None and member.guild_permissions.administrator:
            raise UserFacingError("Discord does not let anyone time out an administrator.")
        if action is Action.UNTIMEOUT and member is not None and not member.is_timed_out():
            raise UserFacingError("<@{user}> is not timed out.", user=target_id)
    needed = PERMISSION_FOR.get(action)
    if needed is not None and guild.me is not None and not has_permission(guild.me.guild_permissions, needed):
        raise UserFacingError("I need these permissions: {permissions}.", permissions=needed.replace("_", " ").title())
    if moderator is not None:
        return member, f"{moderator} ({request.moderator_id})"
    if request.automated:
        return member, f"{bot.user} ({request.moderator_id})"
    return member, str(request.moderator_id)


async def _record_or_revert(
    bot: WolaroBot, guild_id: int, config: Config, request: Request, audit: str
) -> tuple[CaseView, Escalation | None, int | None]:
    """Step 4: record the case in one transaction; if that fails, undo the Discord action and re-raise."""
    services = bot.services
    try:
        async with services.db.transaction() as session:
            return await record(
                session,
                services,
                guild_id=guild_id,
                action=request.action,
                target_id=request.target_id,
                moderator_id=request.moderator_id,
                reason=request.reason,
                duration=request.duration,
                automated=request.automated,
                ref_case=request.ref_case,
                config=config,
                bot_id=bot.user.id if bot.user else request.moderator_id,
                extra={"delete_message_days": request.delete_message_days} if request.delete_message_days else None,
            )
    except Exception as exc:
        if is_unavailable(exc):  # an outage, not a bug: one line, the command tells the user
            log.warning(
                "case not recorded: the database is unavailable; reverting the Discord action",
                guild_id=guild_id,
                action=request.action,
                error=repr(exc),
            )
        else:
            log.exception(
                "case could not be recorded: reverting the Discord action", guild_id=guild_id, action=request.action
            )
        await revert(bot.http, guild_id, request.target_id, request.action, audit)
        raise


async def _escalate(
    bot: WolaroBot,
    policy: Policy,
    guild: discord.Guild,
    target: discord.Member | int,
    case: CaseView,
    step: Escalation,
    count: int | None,
) -> Outcome:
    """Step 6: the escalation step a warning triggered, as an automated sanction referring to the warning."""
    bot_id = bot.user.id if bot.user else case.moderator_id
    try:
        request = Request.checked(
            step.action,
            case.target_id,
            bot_id,
            policy.t("{count} active warnings (automatic escalation)", count=count),
            duration=step.duration,
            delete_message_days=DEFAULT_SOFTBAN_DAYS if step.action is Action.SOFTBAN else 0,
            automated=True,
            ref_case=case.number,
        )
        follow = await execute(bot, policy, guild=guild, target=target, request=request)
    except UserFacingError as exc:
        log.warning("warn escalation refused", guild_id=guild.id, target_id=case.target_id, error=exc.msgid)
        return Outcome(case, count, escalation_error=policy.t(exc.msgid, **exc.fields))
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
    now = utcnow()
    expires_at = _expiry(action, duration, config, now)
    superseded = await _lift_superseded(session, guild_id, target_id, action)
    row = await cases.create(
        session,
        services.db.dialect,
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
    after = {**_audit_after(row.number, reason, row.duration_seconds, automated, superseded), **(details or {})}
    after.update(extra or {})
    add_audit(
        session,
        guild_id=guild_id,
        actor_id=moderator_id,
        action=f"moderation.{action.value}",
        target=f"channel:{target_id}" if target_kind(action) is TargetKind.CHANNEL else str(target_id),
        before=audit_before,
        after=after,
    )
    case = cases.view(row)
    await _schedule_unban(session, services, case, bot_id)
    if action is not Action.WARN:
        return case, None, None
    count = await cases.count_active_warnings(session, guild_id, target_id, now=now)
    return case, escalation_for(config.escalation_rules(), count), count


def _audit_after(
    number: int, reason: str | None, duration_seconds: int | None, automated: bool, superseded: list[int]
) -> dict[str, Any]:
    """The audit row's "after" of a case: its number, reason, duration, and the cases it lifted."""
    after: dict[str, Any] = {
        "case": number,
        "reason": reason,
        "duration_seconds": duration_seconds,
        "automated": automated,
    }
    if superseded:
        after["lifted_cases"] = superseded
    return after


def _expiry(
    action: Action, duration: datetime.timedelta | None, config: Config, now: datetime.datetime
) -> datetime.datetime | None:
    """When the case stops being active: a temporary ban or timeout's end, a warning's expiry, else never."""
    if action in (Action.BAN, Action.TIMEOUT) and duration is not None:
        return now + duration
    if action is Action.WARN:
        lifetime = config.warn_lifetime()
        return now + lifetime if lifetime is not None else None
    return None


async def _lift_superseded(session: AsyncSession, guild_id: int, target_id: int, action: Action) -> list[int]:
    """Deactivate the cases this action replaces (a new ban or unban ends the last ban...); their numbers."""
    if action in (Action.BAN, Action.UNBAN, Action.SOFTBAN):
        return await cases.deactivate(session, guild_id=guild_id, target_id=target_id, actions=[Action.BAN])
    if action in (Action.TIMEOUT, Action.UNTIMEOUT):
        return await cases.deactivate(session, guild_id=guild_id, target_id=target_id, actions=[Action.TIMEOUT])
    return []


async def _schedule_unban(session: AsyncSession, services: Services, case: CaseView, bot_id: int) -> None:
    """A temporary ban schedules its unban job; a permanent ban, a softban or an unban cancels the pending one."""
    key = unban_key(case.guild_id, case.target_id)
    if case.action is Action.BAN and case.expires_at is not None:
        await services.jobs.schedule(
            UNBAN_JOB,
            run_at=case.expires_at,
            guild_id=case.guild_id,
            payload={"guild_id": case.guild_id, "user_id": case.target_id, "case": case.number, "bot_id": bot_id},
            dedupe_key=key,
            session=session,
        )
    elif case.action in (Action.BAN, Action.UNBAN, Action.SOFTBAN):
        await services.jobs.cancel(dedupe_key=key, guild_id=case.guild_id, session=session)


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
