"""Posting a menu: its embed and components (buttons or a select menu with stable custom ids), or its reactions.

Works on discord.py's `HTTPClient`, so the bot (from a command) and a job worker (from the dashboard) publish the
same way. A menu that is already posted is edited in place; if its message is gone it is posted again; moving it
posts it in the new channel and deletes the old message. The bot's role hierarchy is checked first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import discord

from wolaro.modules.rolemenus import logic
from wolaro.modules.rolemenus.logic import Kind, Mode
from wolaro.modules.rolemenus.store import Menu

if TYPE_CHECKING:
    from discord.http import HTTPClient

PLACEHOLDER = logic.t("Choose your roles")
MODE_HINTS: dict[Mode, str] = {
    Mode.NORMAL: logic.t("Click a role to get it, click again to drop it."),
    Mode.UNIQUE: logic.t("You can have one of these roles at a time."),
    Mode.VERIFY: logic.t("Click to get a role (it stays)."),
    Mode.DROP: logic.t("Click to drop a role."),
}


class Refused(Exception):
    """The menu cannot be published; `message` (an msgid) and `fields` say why, for the server owner."""

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


def _emoji(raw: str | None) -> discord.PartialEmoji | None:
    return discord.PartialEmoji.from_str(raw) if raw else None


def build_view(menu: Menu, translate: Any) -> discord.ui.View:
    """The buttons or the select menu of a menu (custom ids name the menu, not the message)."""
    view = discord.ui.View(timeout=None)
    if menu.kind is Kind.SELECT:
        count = len(menu.options)
        most = 1 if menu.mode is Mode.UNIQUE else (min(menu.max_roles, count) if menu.max_roles else count)
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=logic.custom_id(menu.id),
            placeholder=translate(PLACEHOLDER),
            min_values=0,
            max_values=max(1, most),
            options=[
                discord.SelectOption(label=o.label[:100] or str(o.role_id), value=str(o.role_id), emoji=_emoji(o.emoji))
                for o in menu.options
            ],
        )
        view.add_item(select)
        return view
    for option in menu.options:
        view.add_item(
            discord.ui.Button(
                label=option.label[:80] or None,
                emoji=_emoji(option.emoji),
                custom_id=logic.custom_id(menu.id, option.role_id),
                style=discord.ButtonStyle.secondary,
            )
        )
    return view


def build_embed(menu: Menu, translate: Any) -> discord.Embed:
    """The menu's card: its title, description and how it works."""
    lines = [menu.description] if menu.description else []
    lines += [f"{o.emoji + ' ' if o.emoji else ''}<@&{o.role_id}> {o.label}".rstrip() for o in menu.options]
    lines.append(f"*{translate(MODE_HINTS[menu.mode])}*")
    return discord.Embed(title=menu.title[:256], description="\n".join(lines)[:4096], colour=0x5865F2)


def check_hierarchy(menu: Menu, roles: Mapping[int, Mapping[str, Any]], bot_top: int) -> None:
    """Refuse a menu whose roles the bot could not give."""
    found = logic.unreachable(roles, bot_top, [o.role_id for o in menu.options])
    if found is not None:
        raise Refused(found[0], **found[1])


async def publish(http: HTTPClient, menu: Menu, translate: Any, *, channel_id: int | None = None) -> int:
    """Post or update `menu` (in `channel_id` if it moves there); the id of the message it is on."""
    if not menu.options:
        raise Refused(logic.t("Add at least one role to the menu first."))
    if menu.kind is Kind.REACTIONS:
        return await _react(http, menu)
    target = channel_id or menu.channel_id
    embed, view = build_embed(menu, translate), build_view(menu, translate)
    if menu.message_id and target == menu.channel_id:
        with contextlib.suppress(discord.NotFound):
            with discord.http.handle_message_parameters(embed=embed, view=view) as edit:
                await http.edit_message(menu.channel_id, menu.message_id, params=edit)
            return menu.message_id
    with discord.http.handle_message_parameters(embed=embed, view=view) as send:
        posted = await http.send_message(target, params=send)
    if menu.message_id and target != menu.channel_id:
        with contextlib.suppress(discord.HTTPException):
            await http.delete_message(menu.channel_id, menu.message_id, reason="Role menu moved")
    return int(posted["id"])


async def _react(http: HTTPClient, menu: Menu) -> int:
    if menu.message_id is None:
        raise Refused(logic.t("This reaction menu has no message."))
    for option in menu.options:
        if option.emoji:
            # Discord's reaction form: the character itself, or `name:id` for a server's emoji (animated too)
            await http.add_reaction(menu.channel_id, menu.message_id, reaction_form(option.emoji))
    return menu.message_id


def reaction_form(emoji: str) -> str:
    """How Discord's reaction routes name an emoji: `🎮`, or `name:id` for `<:name:id>` and `<a:name:id>`."""
    parsed = discord.PartialEmoji.from_str(emoji)
    return f"{parsed.name}:{parsed.id}" if parsed.id else emoji


async def hierarchy_from_rest(http: HTTPClient, guild_id: int) -> tuple[dict[int, dict[str, Any]], int]:
    """The guild's roles and the bot's highest position, read from Discord (for a worker with no cache)."""
    roles: dict[int, dict[str, Any]] = {int(r["id"]): dict(r) for r in await http.get_roles(guild_id)}
    me = await http.request(discord.http.Route("GET", "/users/@me"))
    member = await http.get_member(guild_id, int(me["id"]))
    return roles, logic.bot_top_position(roles, [int(r) for r in member["roles"]])


def hierarchy_from_guild(guild: discord.Guild) -> tuple[dict[int, dict[str, Any]], int]:
    """The same, from the bot's cache of the guild."""
    roles = {r.id: {"position": r.position, "managed": r.managed or r.is_default()} for r in guild.roles}
    return roles, guild.me.top_role.position if guild.me else 0
