"""Role menus' chat commands (Manage Server): create, add and remove roles, limits, post, move, list, delete."""

from __future__ import annotations

import contextlib
import dataclasses
from functools import partial
from typing import Literal

import discord
from discord.ext import commands

from wolaro.modules.rolemenus import logic, publish, store
from wolaro.modules.rolemenus.logic import Kind, Mode
from wolaro.modules.rolemenus.store import Menu, Option
from wolaro.sdk import UserFacingError, WolaroContext, WolaroModule, guild_admin_only, hybrid_group

KindName = Literal["buttons", "select"]
ModeName = Literal["normal", "unique", "verify", "drop"]


class MenuCommands(WolaroModule):
    """The chat half of role menus."""

    async def _menu(self, ctx: WolaroContext, number: int) -> Menu:
        assert ctx.guild is not None
        menu = await store.get(self.bot.services.db, ctx.guild.id, number)
        if menu is None:
            raise UserFacingError("There is no role menu #{number} here.", number=number)
        return menu

    async def _save(self, ctx: WolaroContext, menu: Menu) -> Menu:
        try:
            return await store.save(self.bot.services.db, menu, actor_id=ctx.author.id)
        except store.TooMany:
            raise UserFacingError(
                "This server has {count} role menus, the most allowed.", count=store.MAX_MENUS
            ) from None

    def _check(self, ctx: WolaroContext, menu: Menu) -> None:
        assert ctx.guild is not None
        roles, top = publish.hierarchy_from_guild(ctx.guild)
        try:
            publish.check_hierarchy(menu, roles, top)
        except publish.Refused as exc:
            raise UserFacingError(exc.message, **exc.fields) from None

    async def _publish(self, ctx: WolaroContext, menu: Menu, channel_id: int | None = None) -> Menu:
        assert ctx.guild is not None
        self._check(ctx, menu)
        translate = partial(self.bot.translator.translate, ctx.language)
        try:
            message_id = await publish.publish(self.bot.http, menu, translate, channel_id=channel_id)
        except publish.Refused as exc:
            raise UserFacingError(exc.message, **exc.fields) from None
        target = channel_id or menu.channel_id
        await store.set_message(self.bot.services.db, ctx.guild.id, menu.id, target, message_id)
        return dataclasses.replace(menu, channel_id=target, message_id=message_id)

    @hybrid_group(name="rolemenu", fallback="list")
    @commands.guild_only()
    @guild_admin_only()
    async def rolemenu(self, ctx: WolaroContext) -> None:
        """List this server's role menus (Manage Server)."""
        assert ctx.guild is not None
        menus = await store.listing(self.bot.services.db, ctx.guild.id)
        if not menus:
            await ctx.answer("No role menus yet: `/rolemenu create` makes one.", ephemeral=True)
            return
        lines = [
            f"**#{m.id}** {m.title} · {m.kind.value} · {m.mode.value} · <#{m.channel_id}> · {len(m.options)}"
            for m in menus
        ]
        await ctx.embed(discord.Embed(title=ctx.t("Role menus"), description="\n".join(lines)), ephemeral=True)

    @rolemenu.subcommand(name="create")
    @commands.guild_only()
    @guild_admin_only()
    async def rolemenu_create(
        self, ctx: WolaroContext, channel: discord.TextChannel, kind: KindName, mode: ModeName, *, title: str
    ) -> None:
        """Create a role menu of buttons or a select menu in a channel (Manage Server).

        Example: `!rolemenu create #roles buttons unique Pick your team`. Then add roles and post it.
        """
        assert ctx.guild is not None
        menu = Menu(0, ctx.guild.id, channel.id, None, Kind(kind), Mode(mode), title[:256], "", ())
        saved = await self._save(ctx, menu)
        await ctx.answer(
            "Role menu #{number} created. Add roles with `/rolemenu add {number} @role`, then post it.",
            ephemeral=True,
            number=saved.id,
        )

    @rolemenu.subcommand(name="reactions")
    @commands.guild_only()
    @guild_admin_only()
    async def rolemenu_reactions(
        self, ctx: WolaroContext, channel: discord.TextChannel, message_id: str, mode: ModeName = "normal"
    ) -> None:
        """Turn an existing message into a reaction-role menu (Manage Server).

        Example: `!rolemenu reactions #rules 123456789012345678 verify`, then `/rolemenu add <menu> @role ✅`.
        """
        assert ctx.guild is not None
        if not message_id.isdigit():
            raise UserFacingError("Give the message's id (right click on it, Copy Message ID).")
        try:
            await channel.fetch_message(int(message_id))
        except discord.HTTPException:
            raise UserFacingError("I can't find that message in {channel}.", channel=channel.mention) from None
        menu = Menu(0, ctx.guild.id, channel.id, int(message_id), Kind.REACTIONS, Mode(mode), "", "", ())
        saved = await self._save(ctx, menu)
        await ctx.answer(
            "Reaction menu #{number} created. Add roles with `/rolemenu add {number} @role <emoji>`.",
            ephemeral=True,
            number=saved.id,
        )

    @rolemenu.subcommand(name="add")
    @commands.guild_only()
    @guild_admin_only()
    async def rolemenu_add(
        self, ctx: WolaroContext, menu: int, role: discord.Role, emoji: str | None = None, *, label: str = ""
    ) -> None:
        """Add a role to a menu, with an emoji and a label (Manage Server). A posted menu is updated."""
        found = await self._menu(ctx, menu)
        if len(found.options) >= store.MAX_OPTIONS:
            raise UserFacingError("A menu has at most {count} roles.", count=store.MAX_OPTIONS)
        if found.kind is Kind.REACTIONS and not emoji:
            raise UserFacingError("A reaction menu needs an emoji for each role.")
        option = Option(role.id, (label or role.name)[:80], emoji)
        others = tuple(o for o in found.options if o.role_id != role.id)
        changed = dataclasses.replace(found, options=(*others, option))
        self._check(ctx, changed)
        saved = await self._save(ctx, changed)
        if saved.message_id:
            await self._publish(ctx, saved)
        await ctx.answer("{role} is in role menu #{number}.", ephemeral=True, role=role.mention, number=saved.id)

    @rolemenu.subcommand(name="remove")
    @commands.guild_only()
    @guild_admin_only()
    async def rolemenu_remove(self, ctx: WolaroContext, menu: int, role: discord.Role) -> None:
        """Take a role out of a menu (Manage Server). A posted menu is updated."""
        found = await self._menu(ctx, menu)
        changed = dataclasses.replace(found, options=tuple(o for o in found.options if o.role_id != role.id))
        saved = await self._save(ctx, changed)
        if saved.message_id and saved.options and saved.kind is not Kind.REACTIONS:
            await self._publish(ctx, saved)
        await ctx.answer("{role} is no longer in role menu #{number}.", ephemeral=True, role=role.mention, number=menu)

    @rolemenu.subcommand(name="limits")
    @commands.guild_only()
    @guild_admin_only()
    async def rolemenu_limits(
        self,
        ctx: WolaroContext,
        menu: int,
        max_roles: commands.Range[int, 0, 25],
        required: discord.Role | None = None,
        blacklist: discord.Role | None = None,
    ) -> None:
        """Set a menu's limit of roles per member (0: none), a role needed to use it and a role that may not."""
        found = await self._menu(ctx, menu)
        changed = dataclasses.replace(
            found,
            max_roles=max_roles,
            required_role_id=required.id if required else None,
            blacklist_role_id=blacklist.id if blacklist else None,
        )
        saved = await self._save(ctx, changed)
        if saved.message_id and saved.kind is Kind.SELECT:
            await self._publish(ctx, saved)
        await ctx.answer("Role menu #{number} updated.", ephemeral=True, number=menu)

    @rolemenu.subcommand(name="post")
    @commands.guild_only()
    @guild_admin_only()
    async def rolemenu_post(self, ctx: WolaroContext, menu: int) -> None:
        """Post a menu in its channel, or update it where it is (Manage Server)."""
        published = await self._publish(ctx, await self._menu(ctx, menu))
        await ctx.answer(
            "Role menu #{number} is in <#{channel}>.", ephemeral=True, number=menu, channel=published.channel_id
        )

    @rolemenu.subcommand(name="move")
    @commands.guild_only()
    @guild_admin_only()
    async def rolemenu_move(self, ctx: WolaroContext, menu: int, channel: discord.TextChannel) -> None:
        """Move a menu to another channel: posted there, removed from where it was (Manage Server)."""
        found = await self._menu(ctx, menu)
        if found.kind is Kind.REACTIONS:
            raise UserFacingError("A reaction menu stays on its message: make a new one on the other message.")
        await self._publish(ctx, found, channel_id=channel.id)
        await ctx.answer("Role menu #{number} is in <#{channel}>.", ephemeral=True, number=menu, channel=channel.id)

    @rolemenu.subcommand(name="delete")
    @commands.guild_only()
    @guild_admin_only()
    async def rolemenu_delete(self, ctx: WolaroContext, menu: int) -> None:
        """Delete a menu and its message (Manage Server)."""
        assert ctx.guild is not None
        gone = await store.remove(self.bot.services.db, ctx.guild.id, menu, actor_id=ctx.author.id)
        if gone is None:
            raise UserFacingError("There is no role menu #{number} here.", number=menu)
        if gone.message_id and gone.kind is not Kind.REACTIONS:
            with contextlib.suppress(discord.HTTPException):
                await self.bot.http.delete_message(gone.channel_id, gone.message_id, reason="Role menu deleted")
        await ctx.answer("Role menu #{number} deleted.", ephemeral=True, number=menu)


__all__ = ["MenuCommands", "logic"]
