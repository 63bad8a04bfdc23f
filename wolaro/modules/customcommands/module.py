"""Custom commands: a server's own commands, answered from safe Liquid templates, edited in chat or the dashboard.

`!cc add <name> <answer>` creates one; `!cc trigger`, `!cc cooldown`, `!cc roles`, `!cc channels`, `!cc aliases`,
`!cc embed` change it; `!cc try <template>` shows what a template gives without posting it; `!cc export` and
`!cc import` move commands between servers as JSON. Answers run in a worker thread within a budget of operations,
output and time (see `wolaro.core.templates`), and the server's stored values have a quota enforced in SQL.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from wolaro.modules.customcommands import editing, engine, store
from wolaro.modules.customcommands.api import router
from wolaro.modules.customcommands.config import Config
from wolaro.modules.customcommands.matching import builtin_names
from wolaro.modules.customcommands.models import CustomUsage, CustomValue
from wolaro.modules.customcommands.runner import Runner, person_of, place_of
from wolaro.sdk import (
    GuildConfig,
    ModuleSpec,
    Panel,
    TemplateError,
    UserFacingError,
    WolaroContext,
    WolaroModule,
    edit_module_config,
    guild_admin_only,
    hybrid_group,
)

if TYPE_CHECKING:
    from wolaro.core.bot import WolaroBot

NAME = "customcommands"
Edit = Callable[[dict[str, Any]], Mapping[str, Any]]
Trigger = Literal["command", "exact", "startswith", "contains", "regex"]


class CustomCommands(WolaroModule):
    """Custom commands."""

    def __init__(self, bot: WolaroBot) -> None:
        super().__init__(bot)
        self.runner = Runner(self.bot)

    async def on_guild_message(self, config: GuildConfig, message: discord.Message) -> None:
        """Answer a message that calls one of the server's custom commands."""
        await self.runner.handle(config, message)

    def _builtin(self) -> set[str]:
        return builtin_names(self.bot.config.specs)

    async def _edit(self, ctx: WolaroContext, edit: Edit) -> None:
        assert ctx.guild is not None
        await edit_module_config(self.bot.config, ctx.guild.id, NAME, edit, actor_id=ctx.author.id)

    @hybrid_group(name="cc", fallback="list")
    @commands.guild_only()
    async def cc(self, ctx: WolaroContext) -> None:
        """List this server's custom commands."""
        assert ctx.guild is not None
        config = await self.config_for(ctx.guild.id, Config)
        if not config.commands:
            await ctx.answer("This server has no custom commands yet: `/cc add` creates one.", ephemeral=True)
            return
        lines = [f"`{c.name}` · {c.trigger}" + (f" `{c.pattern}`" if c.pattern else "") for c in config.commands]
        embed = discord.Embed(title=ctx.t("Custom commands: {count}", count=len(lines)), description="\n".join(lines))
        await ctx.embed(embed, ephemeral=True)

    @cc.subcommand(name="add")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(name="What members type after the prefix", response="The answer (a template)")
    async def cc_add(self, ctx: WolaroContext, name: str, *, response: str) -> None:
        """Create a custom command (Manage Server).

        Example: `!cc add hello Hi {{ user.mention }}!`
        """
        await self._edit(ctx, editing.adding(name, response, self._builtin()))
        await ctx.answer("Custom command {name} created.", ephemeral=True, name=name.strip().lower())

    @cc.subcommand(name="remove")
    @commands.guild_only()
    @guild_admin_only()
    async def cc_remove(self, ctx: WolaroContext, name: str) -> None:
        """Delete a custom command (Manage Server)."""
        await self._edit(ctx, editing.removing(name))
        await ctx.answer("Custom command {name} deleted.", ephemeral=True, name=name.strip().lower())

    @cc.subcommand(name="edit")
    @commands.guild_only()
    @guild_admin_only()
    async def cc_edit(self, ctx: WolaroContext, name: str, *, response: str) -> None:
        """Change what a custom command answers (Manage Server)."""
        await self._change(ctx, name, {"response": response})

    @cc.subcommand(name="trigger")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(kind="command, exact, startswith, contains or regex", pattern="The text or pattern")
    async def cc_trigger(self, ctx: WolaroContext, name: str, kind: Trigger, *, pattern: str = "") -> None:
        """Choose when a custom command answers (Manage Server).

        Example: `!cc trigger gm startswith good morning`
        """
        await self._change(ctx, name, {"trigger": kind, "pattern": pattern})

    @cc.subcommand(name="cooldown")
    @commands.guild_only()
    @guild_admin_only()
    async def cc_cooldown(self, ctx: WolaroContext, name: str, seconds: commands.Range[int, 0, 86400]) -> None:
        """Set how long a member waits between two uses (Manage Server; 0: no wait)."""
        await self._change(ctx, name, {"cooldown_seconds": seconds})

    @cc.subcommand(name="roles")
    @commands.guild_only()
    @guild_admin_only()
    async def cc_roles(self, ctx: WolaroContext, name: str, *, roles: str = "") -> None:
        """Let only members with these roles use it (Manage Server; no roles: everyone)."""
        await self._change(ctx, name, {"allowed_roles": editing.ids_in(roles)})

    @cc.subcommand(name="channels")
    @commands.guild_only()
    @guild_admin_only()
    async def cc_channels(self, ctx: WolaroContext, name: str, *, channels: str = "") -> None:
        """Let it answer only in these channels (Manage Server; no channels: everywhere)."""
        await self._change(ctx, name, {"allowed_channels": editing.ids_in(channels)})

    @cc.subcommand(name="aliases")
    @commands.guild_only()
    @guild_admin_only()
    async def cc_aliases(self, ctx: WolaroContext, name: str, *, aliases: str = "") -> None:
        """Give a custom command other names (Manage Server; up to 5, separated by spaces)."""
        await self._change(ctx, name, {"aliases": aliases.split()})

    @cc.subcommand(name="embed")
    @commands.guild_only()
    @guild_admin_only()
    async def cc_embed(self, ctx: WolaroContext, name: str, enabled: bool, *, title: str = "") -> None:
        """Answer in a card (an embed) or as plain text (Manage Server)."""
        await self._change(ctx, name, {"embed": enabled, "embed_title": title})

    async def _change(self, ctx: WolaroContext, name: str, changes: dict[str, object]) -> None:
        await self._edit(ctx, editing.changing(name, changes, self._builtin()))
        await ctx.answer("Custom command {name} updated.", ephemeral=True, name=name.strip().lower())

    @cc.subcommand(name="try")
    @commands.guild_only()
    async def cc_try(self, ctx: WolaroContext, *, template: str) -> None:
        """Show what a template answers, without posting it or saving anything."""
        assert ctx.guild is not None and isinstance(ctx.author, discord.Member)
        values = await store.read_all(self.bot.services.db, ctx.guild.id)
        variables = engine.variables(person_of(ctx.author), place_of(ctx.message), (), values)
        try:
            result = await asyncio.to_thread(engine.run, template, variables)
        except TemplateError as exc:
            raise UserFacingError(exc.message, **exc.fields) from None
        preview = result.text or ctx.t("(The template answers nothing.)")
        await ctx.send(preview[:2000], ephemeral=True, allowed_mentions=discord.AllowedMentions.none())

    @cc.subcommand(name="export")
    @commands.guild_only()
    @guild_admin_only()
    async def cc_export(self, ctx: WolaroContext) -> None:
        """Download this server's custom commands as a JSON file (Manage Server)."""
        assert ctx.guild is not None
        config = await self.config_for(ctx.guild.id, Config)
        data = editing.export(config).encode()
        await ctx.send(file=discord.File(io.BytesIO(data), filename="custom-commands.json"), ephemeral=True)

    @cc.subcommand(name="import")
    @commands.guild_only()
    @guild_admin_only()
    async def cc_import(self, ctx: WolaroContext, file: discord.Attachment) -> None:
        """Replace this server's custom commands with those of an export file (Manage Server)."""
        if file.size > editing.IMPORT_MAX_BYTES:
            raise UserFacingError("That file is too large to be a custom commands export.")
        imported = editing.parse_import(await file.read(), self._builtin())
        await self._edit(ctx, lambda _current: {"commands": imported})
        await ctx.answer("{count} custom commands imported.", ephemeral=True, count=len(imported))


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name=NAME,
    title="Custom commands",
    description="Your own commands: answers from safe templates, triggers, cooldowns, roles and stored values.",
    version="1.0.0",
    config=Config,
    enabled_by_default=False,
    cogs=(CustomCommands,),
    models=(CustomValue, CustomUsage),
    migrations=HERE / "migrations",
    locales=HERE / "locales",
    api=router,
    templates=HERE / "templates",
    panels=(Panel(title="Try a template", template="panel.html"),),
)
