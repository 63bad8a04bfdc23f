"""Who may run what: master admins, guild admins, and Discord permissions of the invoker and of the bot.

Each check is a discord.py check usable on prefix and slash (hybrid) commands alike; a refusal raises a
`UserFacingError` that the bot turns into a clear ephemeral reply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord.ext import commands

from wolaro.core.errors import UserFacingError

if TYPE_CHECKING:
    from wolaro.core.context import WolaroContext

T = TypeVar("T")


def guild_permissions(guild: discord.Guild, user_id: int, role_ids: Iterable[int]) -> discord.Permissions:
    """A member's server-wide permissions from their role ids, as `Member.guild_permissions` works them out.

    For when only a gateway payload is at hand: no `discord.Member` is built. The owner has every permission.
    """
    if guild.owner_id == user_id:
        return discord.Permissions.all()
    value = guild.default_role.permissions.value
    for role_id in role_ids:
        role = guild.get_role(role_id)
        if role is not None:
            value |= role.permissions.value
    return discord.Permissions(value)


def is_master_admin(ctx: WolaroContext) -> bool:
    """Whether the invoker is one of the platform's master admins (MASTER_ADMIN_IDS): they bypass every check."""
    return ctx.author.id in ctx.bot.settings.master_admin_ids


def can_manage_guild(member: discord.Member | discord.User, guild: discord.Guild | None) -> bool:
    """Owner, Administrator or Manage Server: what makes a guild admin."""
    if guild is None or not isinstance(member, discord.Member):
        return False
    if guild.owner_id == member.id:
        return True
    permissions = member.guild_permissions
    return permissions.administrator or permissions.manage_guild


def master_admin_only() -> Callable[[T], T]:
    """Only the platform's master admins may run this."""

    async def predicate(ctx: WolaroContext) -> bool:
        if is_master_admin(ctx):
            return True
        raise UserFacingError("Only the bot's master admins can use this command.")

    return commands.check(predicate)


def guild_admin_only() -> Callable[[T], T]:
    """Only the guild's owner, Administrators and Manage Server holders (and master admins) may run this."""

    async def predicate(ctx: WolaroContext) -> bool:
        ensure_guild_admin(ctx)
        return True

    return commands.check(predicate)


def ensure_guild_admin(ctx: WolaroContext) -> None:
    """Refuse unless the invoker administers this guild (or is a master admin)."""
    if ctx.guild is None:
        raise UserFacingError("This command only works in a server.")
    if not (is_master_admin(ctx) or can_manage_guild(ctx.author, ctx.guild)):
        raise UserFacingError("You need the Manage Server permission to do this.")


def _missing(permissions: discord.Permissions, wanted: dict[str, bool]) -> list[str]:
    if permissions.administrator:
        return []
    return [name for name, value in wanted.items() if getattr(permissions, name) != value]


def _names(missing: list[str]) -> str:
    return ", ".join(name.replace("_", " ").title() for name in missing)


def user_permissions(**wanted: bool) -> Callable[[T], T]:
    """The invoker needs these channel permissions (master admins bypass)."""
    _check_names(wanted)

    async def predicate(ctx: WolaroContext) -> bool:
        if is_master_admin(ctx):
            return True
        if ctx.guild is None or not isinstance(ctx.author, discord.Member):
            raise UserFacingError("This command only works in a server.")
        missing = _missing(ctx.permissions, wanted)
        if missing:
            raise UserFacingError("You need these permissions: {permissions}.", permissions=_names(missing))
        return True

    return commands.check(predicate)


def bot_permissions(**wanted: bool) -> Callable[[T], T]:
    """The bot needs these channel permissions to carry the command out."""
    _check_names(wanted)

    async def predicate(ctx: WolaroContext) -> bool:
        if ctx.guild is None:
            return True
        missing = _missing(ctx.bot_permissions, wanted)
        if missing:
            raise UserFacingError("I need these permissions: {permissions}.", permissions=_names(missing))
        return True

    return commands.check(predicate)


def _check_names(wanted: dict[str, Any]) -> None:
    unknown = set(wanted) - set(discord.Permissions.VALID_FLAGS)
    if unknown:
        raise TypeError(f"unknown permission(s): {', '.join(sorted(unknown))}")
