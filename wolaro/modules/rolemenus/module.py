"""Role menus: members pick roles with buttons, a select menu or reactions.

Modes: normal (click to get, click again to drop), unique (one role of the menu at a time), verify (only given) and
drop (only taken back); per menu a limit of roles, a role required to use it and a role that may not. The bot's
role hierarchy is checked when a menu is built and at every click, with a clear reason when it cannot give a role.
Custom ids name the menu (`rolemenu:<menu>:<role>`), and menus are rows in the database, so a menu keeps working
after restarts, edits and moves. `/rolemenu reactions` turns an existing message into a classic reaction-role menu.
"""

from __future__ import annotations

import contextlib
from functools import partial
from pathlib import Path
from typing import Any

import discord

from wolaro.modules.rolemenus import clicks, logic, store
from wolaro.modules.rolemenus.api import router
from wolaro.modules.rolemenus.commands import MenuCommands
from wolaro.modules.rolemenus.jobs import PUBLISH_JOB, publish_menu
from wolaro.modules.rolemenus.logic import Kind
from wolaro.modules.rolemenus.models import RoleMenu
from wolaro.sdk import EmptyConfig, GuildConfig, ModuleSpec, Panel


class RoleMenus(MenuCommands):
    """Role menus."""

    async def on_guild_interaction(self, config: GuildConfig, interaction: discord.Interaction[Any]) -> None:
        """A click on a menu's button or a pick in its select menu."""
        data: Any = interaction.data or {}
        parsed = logic.parse_custom_id(str(data.get("custom_id", "")))
        if parsed is None or interaction.guild is None or not isinstance(interaction.user, discord.Member):
            return
        tr = partial(self.bot.translator.translate, config.language)
        menu = await store.get(self.bot.services.db, interaction.guild.id, parsed[0])
        if menu is None:
            await interaction.response.send_message(tr(clicks.MISSING), ephemeral=True)
            return
        held = [r.id for r in interaction.user.roles]
        if parsed[1] is not None:
            decision = logic.click(menu.rules, held, parsed[1])
        else:
            decision = logic.pick(menu.rules, held, [int(v) for v in data.get("values", []) if str(v).isdigit()])
        told = await clicks.apply(interaction.user, decision)
        lines = told if isinstance(told, list) else [told]
        text = "\n".join(tr(message, **fields) for message, fields in lines)
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())

    async def on_guild_raw_reaction_add(self, config: GuildConfig, payload: discord.RawReactionActionEvent) -> None:
        """A reaction on a reaction menu: the role of that emoji."""
        await self._reaction(payload, removed=False)

    async def on_guild_raw_reaction_remove(self, config: GuildConfig, payload: discord.RawReactionActionEvent) -> None:
        """A reaction taken back: the role goes too (normal and unique menus)."""
        await self._reaction(payload, removed=True)

    async def _reaction(self, payload: discord.RawReactionActionEvent, *, removed: bool) -> None:
        if payload.guild_id is None or self.bot.user is None or payload.user_id == self.bot.user.id:
            return
        menu = await store.on_message(self.bot.services.db, payload.guild_id, payload.message_id)
        option = menu.by_emoji(str(payload.emoji)) if menu is not None else None
        guild = self.bot.get_guild(payload.guild_id)
        if menu is None or option is None or guild is None:
            return
        member = payload.member
        if member is None:
            with contextlib.suppress(discord.HTTPException):
                member = await guild.fetch_member(payload.user_id)
        if member is None or member.bot:
            return
        decision = logic.click(menu.rules, [r.id for r in member.roles], option.role_id, reaction_removed=removed)
        with contextlib.suppress(discord.HTTPException):
            await clicks.apply(member, decision)


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name="rolemenus",
    title="Role menus",
    description="Members pick their roles with buttons, select menus or reactions (normal, unique, verify, drop).",
    version="1.0.0",
    config=EmptyConfig,
    enabled_by_default=False,
    cogs=(RoleMenus,),
    jobs={PUBLISH_JOB: publish_menu},
    models=(RoleMenu,),
    migrations=HERE / "migrations",
    locales=HERE / "locales",
    api=router,
    templates=HERE / "templates",
    panels=(Panel(title="Menu builder", template="builder.html"),),
    not_personal={
        "rolemenus_menus.channel_id": "the channel where the menu is posted",
        "rolemenus_menus.message_id": "the message the menu is on",
        "rolemenus_menus.required_role_id": "a role of the server",
        "rolemenus_menus.blacklist_role_id": "a role of the server",
        "rolemenus_menus.options": "the menu's roles, labels and emoji",
    },
    audit_labels={
        "rolemenus.create": "Role menu created",
        "rolemenus.update": "Role menu changed",
        "rolemenus.delete": "Role menu deleted",
    },
)

__all__ = ["SPEC", "Kind", "RoleMenus"]
