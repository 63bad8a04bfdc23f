"""Welcome: greetings, goodbyes, roles on join and sticky roles.

Greets members who join (in a channel or by DM, text or embed, with an optional image card), says goodbye, gives
roles to new members (at once or after a delay, as a durable job) and to bots, and gives back the roles a member had
when they return (sticky roles, opt-in).

Sticky roles are remembered from the member updates Discord sends while the option is on (Discord does not say
which roles a member had when they leave), so a member whose roles never changed since then is not remembered.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
from discord.ext import commands

from wolaro.modules.welcome import card, greeting, messages, store
from wolaro.modules.welcome.api import router
from wolaro.modules.welcome.config import Config
from wolaro.modules.welcome.jobs import AUTOROLES_JOB, give_autoroles
from wolaro.modules.welcome.models import Background, StickyRoles
from wolaro.modules.welcome.privacy import PRIVACY
from wolaro.sdk import (
    GuildConfig,
    ModuleSpec,
    Panel,
    UserFacingError,
    WolaroContext,
    WolaroModule,
    get_logger,
    guild_admin_only,
    hybrid_group,
    utcnow,
)

log = get_logger(__name__)
NAME = "welcome"


def grantable(guild: discord.Guild, role_ids: list[int]) -> list[discord.Role]:
    """The roles of `role_ids` the bot may give: existing, not @everyone, not managed, below its highest role."""
    top = guild.me.top_role if guild.me else None
    found = [guild.get_role(r) for r in role_ids]
    return [r for r in found if r is not None and not r.is_default() and not r.managed and top is not None and r < top]


class Welcome(WolaroModule):
    """Welcome."""

    def _settings(self, config: GuildConfig) -> Config:
        return Config.model_validate(config.module_configs.get(NAME) or {})

    async def on_guild_member_join(self, config: GuildConfig, member: discord.Member) -> None:
        """Greet the member, give their roles (now or later) and give back their sticky roles."""
        settings = self._settings(config)
        await self._roles_on_join(config, settings, member)
        await self._greet(config, settings, member)

    async def _roles_on_join(self, config: GuildConfig, settings: Config, member: discord.Member) -> None:
        guild = member.guild
        sticky = await store.roles_of(self.bot.services.db, guild.id, member.id) if settings.sticky_roles else []
        wanted = settings.bot_roles if member.bot else settings.autoroles
        later = settings.autorole_delay_seconds > 0 and not member.bot
        now_ids = list(dict.fromkeys([*sticky, *([] if later else wanted)]))
        if later and wanted:
            joined = int(member.joined_at.timestamp()) if member.joined_at else 0
            await self.bot.services.jobs.schedule(
                AUTOROLES_JOB,
                run_at=utcnow() + timedelta(seconds=settings.autorole_delay_seconds),
                guild_id=guild.id,
                payload={"guild_id": str(guild.id), "user_id": str(member.id), "role_ids": [str(r) for r in wanted]},
                dedupe_key=f"welcome:{guild.id}:{member.id}:{joined}",
            )
        roles = grantable(guild, now_ids)
        if roles:
            with contextlib.suppress(discord.NotFound):
                await member.add_roles(*roles, reason="Welcome: roles on join")

    async def _greet(self, config: GuildConfig, settings: Config, member: discord.Member) -> None:
        guild = member.guild
        count = guild.member_count or len(guild.members)
        values = messages.values_of(greeting.newcomer(member, guild, count))
        text = messages.fill(settings.join_message, values)
        target: discord.abc.Messageable | None = None
        if settings.join_dm:
            target = member
        elif settings.join_channel_id:
            channel = guild.get_channel(settings.join_channel_id)
            target = channel if isinstance(channel, discord.TextChannel) else None
        if target is None or not text.strip():
            return
        file = None
        if settings.join_image:
            translate = self.bot.translator.translate
            words = card.CardText(
                translate(config.language, greeting.CARD_TITLE, guild=guild.name),
                member.display_name,
                translate(config.language, greeting.CARD_SUBTITLE, count=count),
            )
            file = await greeting.card_file(self.bot.services.db, words, member, guild.id)
        try:
            await greeting.send(target, text, embed=settings.join_embed, file=file, mention=member.id)
        except discord.HTTPException as exc:
            log.info("welcome message not sent", guild_id=guild.id, error=str(exc))

    async def on_guild_member_remove(self, config: GuildConfig, payload: discord.RawMemberRemoveEvent) -> None:
        """Say goodbye in the goodbye channel."""
        settings = self._settings(config)
        guild = self.bot.get_guild(payload.guild_id)
        if guild is None or not settings.leave_channel_id:
            return
        channel = guild.get_channel(settings.leave_channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        count = guild.member_count or len(guild.members)
        text = messages.fill(settings.leave_message, messages.values_of(greeting.newcomer(payload.user, guild, count)))
        with contextlib.suppress(discord.HTTPException):
            await greeting.send(channel, text, embed=False, file=None, mention=None)

    async def on_guild_member_update(self, config: GuildConfig, data: dict[str, Any]) -> None:
        """Remember the member's roles while sticky roles are on."""
        if not self._settings(config).sticky_roles or data.get("user", {}).get("bot"):
            return
        guild_id, user_id = int(data["guild_id"]), int(data["user"]["id"])
        roles = [int(r) for r in data.get("roles", [])]
        await store.remember_roles(self.bot.services.db, guild_id, user_id, roles)

    @hybrid_group(name="welcome", fallback="test")
    @commands.guild_only()
    @guild_admin_only()
    async def welcome(self, ctx: WolaroContext) -> None:
        """Show the welcome message as a new member would get it, with you as the newcomer (Manage Server)."""
        assert ctx.guild is not None and isinstance(ctx.author, discord.Member)
        settings = await self.config_for(ctx.guild.id, Config)
        count = ctx.guild.member_count or 0
        text = messages.fill(settings.join_message, messages.values_of(greeting.newcomer(ctx.author, ctx.guild, count)))
        file = None
        if settings.join_image:
            words = card.CardText(
                ctx.t(greeting.CARD_TITLE, guild=ctx.guild.name),
                ctx.author.display_name,
                ctx.t(greeting.CARD_SUBTITLE, count=count),
            )
            file = await greeting.card_file(self.bot.services.db, words, ctx.author, ctx.guild.id)
        await greeting.send(ctx.channel, text, embed=settings.join_embed, file=file, mention=None)

    @welcome.subcommand(name="background")
    @commands.guild_only()
    @guild_admin_only()
    async def welcome_background(self, ctx: WolaroContext, picture: discord.Attachment | None = None) -> None:
        """Set the welcome image's background from a picture (Manage Server); without a picture, remove it."""
        assert ctx.guild is not None
        if picture is None:
            await store.set_background(self.bot.services.db, ctx.guild.id, None)
            await ctx.answer("The welcome image has its plain background again.", ephemeral=True)
            return
        if picture.size > card.UPLOAD_MAX_BYTES:
            raise UserFacingError("The picture is too large: at most 500 KB.")
        try:
            png = await asyncio.to_thread(card.normalise_background, await picture.read())
        except card.BadImage as exc:
            raise UserFacingError(str(exc)) from None
        await store.set_background(self.bot.services.db, ctx.guild.id, png)
        await ctx.answer("The welcome image has its new background.", ephemeral=True)


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name=NAME,
    title="Welcome",
    description="Greets new members (text, embed or image card), says goodbye, gives roles on join and gives back "
    "roles to returning members.",
    version="1.0.0",
    config=Config,
    enabled_by_default=False,
    cogs=(Welcome,),
    jobs={AUTOROLES_JOB: give_autoroles},
    models=(StickyRoles, Background),
    migrations=HERE / "migrations",
    locales=HERE / "locales",
    privacy=PRIVACY,
    not_personal={"welcome_sticky_roles.role_ids": "roles of the server (not people)"},
    api=router,
    templates=HERE / "templates",
    panels=(Panel(title="Live preview", template="panel.html"),),
    audit_labels={"welcome.background": "Welcome image background changed"},
)
