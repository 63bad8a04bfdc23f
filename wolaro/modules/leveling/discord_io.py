"""What a level change does in Discord: the announcement and the reward roles (failures are logged, never raised)."""

from __future__ import annotations

from typing import Any

import discord

from wolaro.modules.leveling.config import Config
from wolaro.modules.leveling.rules import render_announcement, role_changes
from wolaro.sdk import get_logger

log = get_logger(__name__)

DEFAULT_TEMPLATE = str(Config.model_fields["announce_template"].default)
MENTIONS = discord.AllowedMentions(everyone=False, roles=False, users=True, replied_user=False)


def announcement(
    translator: Any, language: str, settings: Config, guild: discord.Guild, user_id: int, level: int
) -> str:
    """The level-up text: the server's template, or the default one in the server's language."""
    if settings.announce_template == DEFAULT_TEMPLATE:
        return str(
            translator.translate(language, DEFAULT_TEMPLATE, user=f"<@{user_id}>", level=level, guild=guild.name)
        )
    return render_announcement(settings.announce_template, user=f"<@{user_id}>", level=level, guild=guild.name)


async def announce(
    bot: Any, guild: discord.Guild, settings: Config, language: str, user_id: int, level: int, channel_id: int | None
) -> None:
    """Announce a level-up where the server chose (the message's channel, a channel, a DM, or nowhere)."""
    if settings.announce == "off":
        return
    text = announcement(bot.translator, language, settings, guild, user_id, level)
    try:
        if settings.announce == "dm":
            user = bot.get_user(user_id) or await bot.fetch_user(user_id)
            await user.send(text, allowed_mentions=MENTIONS)
            return
        where = settings.announce_channel_id if settings.announce == "channel" else channel_id
        channel = guild.get_channel_or_thread(where) if where is not None else None
        if isinstance(channel, discord.abc.Messageable):
            await channel.send(text, allowed_mentions=MENTIONS)
    except discord.HTTPException as exc:  # DMs closed, channel gone or no permission: the level is right anyway
        log.info("level-up announcement failed", guild_id=guild.id, user_id=user_id, error=repr(exc))


async def sync_reward_roles(guild: discord.Guild, settings: Config, user_id: int, level: int) -> None:
    """Give the member the reward roles of `level` and take away those above it (or below, when not stacking)."""
    if not settings.role_rewards:
        return
    try:
        member = guild.get_member(user_id) or await guild.fetch_member(user_id)
    except discord.HTTPException:  # left the server
        return
    add, remove = role_changes(
        settings.role_rewards, level, [role.id for role in member.roles], stack=settings.stack_rewards
    )
    to_add = [role for role in map(guild.get_role, sorted(add)) if role is not None and role.is_assignable()]
    to_remove = [role for role in map(guild.get_role, sorted(remove)) if role is not None and role.is_assignable()]
    reason = f"Level {level} (leveling rewards)"
    try:
        if to_add:
            await member.add_roles(*to_add, reason=reason)
        if to_remove:
            await member.remove_roles(*to_remove, reason=reason)
    except discord.HTTPException as exc:  # a role above the bot's, or no Manage Roles: logged, XP kept
        log.info("reward roles not changed", guild_id=guild.id, user_id=user_id, error=repr(exc))
