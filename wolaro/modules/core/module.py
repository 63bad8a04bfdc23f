"""Server settings: prefix, language, which modules run here, and each module's configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from wolaro.core.config_service import coerce_setting
from wolaro.core.permissions import is_master_admin
from wolaro.modules.core import help as help_service
from wolaro.modules.core import service
from wolaro.sdk import (
    ModuleSpec,
    WolaroContext,
    WolaroModule,
    ensure_guild_admin,
    guild_admin_only,
    hybrid_command,
    hybrid_group,
)


async def _module_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    specs = interaction.client.config.specs  # type: ignore[attr-defined]
    return [app_commands.Choice(name=n, value=n) for n in specs if current.lower() in n][:25]


class Core(WolaroModule):
    """Server settings."""

    def __init__(self, bot: Any) -> None:
        super().__init__(bot)
        self._index: help_service.CommandIndex | None = None
        self._index_cogs: tuple[commands.Cog, ...] = ()

    @hybrid_command(name="prefix")
    @commands.guild_only()
    @app_commands.describe(new_prefix="The new prefix (1-16 characters, no spaces); leave empty to see it")
    async def prefix(self, ctx: WolaroContext, new_prefix: str | None = None) -> None:
        """Show this server's command prefix, or change it (Manage Server).

        Example: `!prefix ?` makes `?ping` work instead of `!ping`.
        """
        assert ctx.guild is not None and ctx.config is not None
        if new_prefix is None:
            await ctx.answer("The prefix here is `{prefix}`.", prefix=ctx.config.prefix)
            return
        ensure_guild_admin(ctx)
        config = await self.bot.config.set_prefix(ctx.guild.id, new_prefix, actor_id=ctx.author.id)
        ctx.config = config
        await ctx.answer("Prefix changed to `{prefix}`.", prefix=config.prefix)

    @hybrid_command(name="language")
    @commands.guild_only()
    @app_commands.describe(code="Language code: en or fr; leave empty to see the current one")
    async def language(self, ctx: WolaroContext, code: str | None = None) -> None:
        """Show or change the language the bot answers in here (Manage Server)."""
        assert ctx.guild is not None and ctx.config is not None
        if code is None:
            await ctx.answer("The language here is `{language}`.", language=ctx.config.language)
            return
        ensure_guild_admin(ctx)
        ctx.config = await self.bot.config.set_language(ctx.guild.id, code.lower(), actor_id=ctx.author.id)
        await ctx.answer("Language changed to `{language}`.", language=ctx.config.language)

    @hybrid_group(name="modules", fallback="list")
    @commands.guild_only()
    async def modules(self, ctx: WolaroContext) -> None:
        """List the modules and whether each is enabled in this server."""
        assert ctx.config is not None
        embed = discord.Embed(title=ctx.t("Modules"), colour=discord.Colour.blurple())
        for name, enabled, description in service.module_lines(self.bot.config.specs, ctx.config.enabled_modules):
            mark = "✅" if enabled else "❌"
            embed.add_field(name=f"{mark} {name}", value=ctx.t(description), inline=False)
        await ctx.embed(embed)

    @modules.subcommand(name="enable")
    @guild_admin_only()
    @app_commands.describe(module="The module to switch on")
    @app_commands.autocomplete(module=_module_names)
    async def modules_enable(self, ctx: WolaroContext, module: str) -> None:
        """Switch a module on in this server (Manage Server)."""
        assert ctx.guild is not None
        await self.bot.config.set_module_enabled(ctx.guild.id, module.lower(), True, actor_id=ctx.author.id)
        await ctx.answer("Module `{module}` enabled.", module=module.lower())

    @modules.subcommand(name="disable")
    @guild_admin_only()
    @app_commands.describe(module="The module to switch off")
    @app_commands.autocomplete(module=_module_names)
    async def modules_disable(self, ctx: WolaroContext, module: str) -> None:
        """Switch a module off in this server: its commands and automatic actions stop here (Manage Server)."""
        assert ctx.guild is not None
        await self.bot.config.set_module_enabled(ctx.guild.id, module.lower(), False, actor_id=ctx.author.id)
        await ctx.answer("Module `{module}` disabled.", module=module.lower())

    @hybrid_group(name="config", fallback="show")
    @guild_admin_only()
    @app_commands.describe(module="The module whose settings to show")
    @app_commands.autocomplete(module=_module_names)
    async def config(self, ctx: WolaroContext, module: str) -> None:
        """Show a module's settings in this server (Manage Server)."""
        assert ctx.config is not None
        spec = self.bot.config.spec(module.lower())
        lines = service.config_lines(spec, ctx.config.module_configs.get(spec.name, {}))
        body = "\n".join(lines) if lines else ctx.t("This module has no settings.")
        await ctx.send(f"**{spec.name}**\n```\n{body}\n```", ephemeral=True)

    @config.subcommand(name="set")
    @guild_admin_only()
    @app_commands.describe(module="The module", key="The setting's name", value="The new value (JSON or text)")
    @app_commands.autocomplete(module=_module_names)
    async def config_set(self, ctx: WolaroContext, module: str, key: str, *, value: str) -> None:
        """Change one setting of a module in this server (Manage Server).

        Example: `!config set utility ping_show_shard true`. The value is checked against the setting's type;
        a wrong value is refused and nothing changes.
        """
        assert ctx.guild is not None
        spec = self.bot.config.spec(module.lower())
        new = await self.bot.config.update_module_config(
            ctx.guild.id, spec.name, {key: coerce_setting(spec.config, key, value)}, actor_id=ctx.author.id
        )
        await ctx.answer("`{module}.{key}` is now `{value}`.", module=spec.name, key=key, value=new[key])

    @hybrid_command(name="help")
    @app_commands.describe(command="A command to explain in detail")
    async def help(self, ctx: WolaroContext, *, command: str | None = None) -> None:
        """List the commands of the modules enabled here, or explain one command.

        Example: `!help prefix`.
        """
        enabled = ctx.config.enabled_modules if ctx.config else frozenset(self.bot.config.specs)
        hidden = frozenset() if is_master_admin(ctx) else frozenset({"admin"})
        if command:
            found = self.bot.get_command(command.lower())
            module = getattr(found.cog, "spec", None) if found else None
            if found is None or found.hidden or (module and (module.name not in enabled or module.name in hidden)):
                await ctx.refuse("No command called `{name}` here.", name=command)
                return
            prefix = ctx.config.prefix if ctx.config else "!"
            text = f"**{prefix}{found.qualified_name} {found.signature}**\n{ctx.t(found.help or '')}"
            await ctx.send(text.strip(), ephemeral=True)
            return
        prefix = ctx.config.prefix if ctx.config else "!"
        page = help_service.overview(self._command_index(), enabled, hidden, prefix, ctx.language, self.bot.translator)
        embed = discord.Embed(title=page.title, colour=discord.Colour.blurple())
        for name, value in page.fields:
            embed.add_field(name=name, value=value, inline=False)
        embed.set_footer(text=page.footer)
        await ctx.embed(embed, ephemeral=True)

    def _command_index(self) -> help_service.CommandIndex:
        """The visible commands (subcommands included) of the loaded modules, built again when modules change.

        A loaded cog's commands are fixed (a reloaded module is a new cog); working out every command's signature
        and summary on each `!help` was most of its cost.
        """
        cogs = tuple(self.bot.cogs.values())
        if self._index is None or self._index_cogs != cogs:
            self._index_cogs = cogs
            self._index = help_service.CommandIndex(
                tuple(
                    help_service.CommandHelp(cog.spec.name, cmd.qualified_name, cmd.signature, cmd.short_doc)
                    for cog in cogs
                    if isinstance(cog, WolaroModule)
                    for cmd in cog.walk_commands()
                    if not cmd.hidden
                )
            )
        return self._index


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name="core",
    description="Server settings and help: prefix, language, modules and their configuration.",
    version="1.0.0",
    can_disable=False,
    enabled_by_default=True,
    title="Core",
    cogs=(Core,),
    locales=HERE / "locales",
    audit_labels={
        "guild.prefix": "Prefix changed",
        "guild.language": "Language changed",
        "module.enable": "Module switched on",
        "module.disable": "Module switched off",
        "module.config": "Module settings changed",
    },
)
