"""Per-command permissions from chat: `/permissions off warn`, `/permissions deny warn @Role`, `... #channel`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from wolaro.modules.permissions import service
from wolaro.modules.permissions.api import router
from wolaro.modules.permissions.config import Config
from wolaro.sdk import (
    ModuleSpec,
    Panel,
    WolaroContext,
    WolaroModule,
    edit_module_config,
    guild_admin_only,
    hybrid_group,
)

NAME = "permissions"
CHANGE_REPLIES = {
    "on": "`{target}` is switched on again.",
    "off": "`{target}` is switched off: only server managers can still use it.",
    "allow": "`{target}` is allowed for {what}.",
    "deny": "`{target}` is refused to {what}.",
    "reset": "`{target}` has no restriction any more.",
}


async def _targets(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    client: Any = interaction.client
    config = client.config.peek(interaction.guild_id) if interaction.guild_id else None
    enabled = config.enabled_modules if config else frozenset(client.config.specs)
    names = [info.name for infos in service.restrictable(client.config.specs, enabled).values() for info in infos]
    names += [f"module:{name}" for name in service.restrictable(client.config.specs, enabled)]
    return [app_commands.Choice(name=n, value=n) for n in names if current.lower() in n][:25]


class Permissions(WolaroModule):
    """Who may use which command, and where."""

    async def _change(
        self,
        ctx: WolaroContext,
        target: str,
        change: str,
        role: discord.Role | None = None,
        channel: discord.abc.GuildChannel | None = None,
    ) -> None:
        assert ctx.guild is not None
        key = service.resolve_target(self.bot.config.specs, target)

        def edit(current: dict[str, Any]) -> dict[str, Any]:
            rules = dict(current.get("rules") or {})
            rule = service.changed_rule(
                service.current_rule(rules, key),
                change,
                role=role.id if role else None,
                channel=channel.id if channel else None,
            )
            return {"rules": service.access.with_rule(rules, key, rule)}

        await edit_module_config(
            self.bot.config, ctx.guild.id, NAME, edit, actor_id=ctx.author.id, action="permissions.rule"
        )
        what = " ".join(part for part in (role.mention if role else "", channel.mention if channel else "") if part)
        await ctx.answer(CHANGE_REPLIES[change], target=key, what=what, ephemeral=True)

    @hybrid_group(name="permissions", fallback="show")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(target="A command (warn, config set) or a module (module:moderation); empty: all rules")
    @app_commands.autocomplete(target=_targets)
    async def permissions(self, ctx: WolaroContext, *, target: str | None = None) -> None:
        """Show who may use a command and where, or every rule of this server (Manage Server)."""
        assert ctx.config is not None
        rules = (ctx.config.module_configs.get(NAME) or {}).get("rules") or {}
        keys = [service.resolve_target(self.bot.config.specs, target)] if target else sorted(rules)
        lines = []
        for key in keys:
            described = service.describe(service.current_rule(rules, key))
            text = "; ".join(ctx.t(msgid, items=items) for msgid, items in described) or ctx.t("Everyone, everywhere")
            lines.append(f"**{key}**: {text}")
        text = "\n".join(lines) if lines else ctx.t("No command is restricted in this server.")
        await ctx.send(text, ephemeral=True)

    @permissions.subcommand(name="off")
    @guild_admin_only()
    @app_commands.describe(target="A command (warn, config set) or a module (module:moderation)")
    @app_commands.autocomplete(target=_targets)
    async def permissions_off(self, ctx: WolaroContext, *, target: str) -> None:
        """Switch a command or a whole module off in this server (server managers can still use it)."""
        await self._change(ctx, target, "off")

    @permissions.subcommand(name="on")
    @guild_admin_only()
    @app_commands.describe(target="A command or a module (module:moderation)")
    @app_commands.autocomplete(target=_targets)
    async def permissions_on(self, ctx: WolaroContext, *, target: str) -> None:
        """Switch a command or a module back on in this server."""
        await self._change(ctx, target, "on")

    @permissions.subcommand(name="allow")
    @guild_admin_only()
    @app_commands.describe(target="A command or a module", role="Only this role may", channel="Only in this channel")
    @app_commands.autocomplete(target=_targets)
    async def permissions_allow(
        self,
        ctx: WolaroContext,
        target: str,
        role: discord.Role | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Let only a role use a command, or only in a channel (Manage Server).

        Example: `!permissions allow warn @Moderator`, `!permissions allow "config set" #staff`.
        """
        await self._change(ctx, target, "allow", role, channel)

    @permissions.subcommand(name="deny")
    @guild_admin_only()
    @app_commands.describe(target="A command or a module", role="This role may not", channel="Not in this channel")
    @app_commands.autocomplete(target=_targets)
    async def permissions_deny(
        self,
        ctx: WolaroContext,
        target: str,
        role: discord.Role | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Refuse a command to a role, or in a channel (Manage Server).

        Example: `!permissions deny ping @Muted`, `!permissions deny module:utility #general`.
        """
        await self._change(ctx, target, "deny", role, channel)

    @permissions.subcommand(name="reset")
    @guild_admin_only()
    @app_commands.describe(target="A command or a module")
    @app_commands.autocomplete(target=_targets)
    async def permissions_reset(self, ctx: WolaroContext, *, target: str) -> None:
        """Remove every restriction of a command or a module (Manage Server)."""
        await self._change(ctx, target, "reset")


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name=NAME,
    title="Command permissions",
    description="Switch commands off, or allow and refuse them by role and channel, per command or per module.",
    version="1.0.0",
    config=Config,
    can_disable=False,
    enabled_by_default=True,
    cogs=(Permissions,),
    locales=HERE / "locales",
    api=router,
    templates=HERE / "templates",
    panels=(Panel(title="Commands", template="commands.html"),),
    audit_labels={"permissions.rule": "Command permission changed"},
)
