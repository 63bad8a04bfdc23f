"""What moderation does in Discord itself: find the member, check ranks, act over REST, DM, post to the modlog.

The moderation flow (`service.py`) calls these; each one is a single Discord step with a clear refusal
(`UserFacingError`) when Discord or the role hierarchy says no.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord

from wolaro.core.errors import UserFacingError
from wolaro.data.models import utcnow
from wolaro.logging import get_logger
from wolaro.modules.moderation import cases, modlog
from wolaro.modules.moderation.cases import CaseView
from wolaro.modules.moderation.config import Config
from wolaro.modules.moderation.rules import Action, HierarchyProblem, Standing, hierarchy_problem

if TYPE_CHECKING:
    from discord.http import HTTPClient

    from wolaro.core.bot import WolaroBot
    from wolaro.core.services import Services

log = get_logger(__name__)


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


async def act_in_discord(
    http: HTTPClient,
    guild_id: int,
    user_id: int,
    action: Action,
    duration: datetime.timedelta | None,
    delete_days: int,
    audit: str,
) -> None:
    """Kick, ban, softban, unban, time out or lift a timeout over REST, `audit` in `X-Audit-Log-Reason`."""
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


async def revert(http: HTTPClient, guild_id: int, user_id: int, action: Action, audit: str) -> None:
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


def has_permission(permissions: discord.Permissions, name: str) -> bool:
    """Whether `permissions` grant `name` (administrators have every permission)."""
    return permissions.administrator or bool(getattr(permissions, name))


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


async def post_notice(bot: WolaroBot, guild_id: int, config: Config, embed: discord.Embed) -> None:
    """Post a non-case entry (purge, lock, pardon...) to the guild's modlog channel, if it has one."""
    channel_id = config.modlog_channel_id
    if not channel_id or not await modlog_channel_ok(bot.http, bot, guild_id, channel_id):
        return
    try:
        with discord.http.handle_message_parameters(
            embed=embed, allowed_mentions=discord.AllowedMentions.none()
        ) as params:
            await bot.http.send_message(channel_id, params=params)
    except discord.HTTPException as exc:
        log.warning("modlog notice failed", guild_id=guild_id, error=str(exc))
