"""Privacy: `/privacy export`, `/privacy delete` (your own data) and `/privacy erase` (a departed member's, admins).

In a server these act on what is stored about the person in that server; in a DM with the bot, everywhere.
The work is done by every module's hooks (see `wolaro.core.privacy` and docs/privacy.md). Always on.
"""

from __future__ import annotations

import io
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from wolaro.modules.privacy import service
from wolaro.modules.privacy.views import ConfirmErase
from wolaro.sdk import ModuleSpec, UserFacingError, WolaroContext, WolaroModule, guild_admin_only, hybrid_group


class Privacy(WolaroModule):
    """Your data: export and erasure."""

    async def _export(self, user_id: int, guild_id: int | None) -> discord.File:
        try:
            data = await service.export_json(
                self.bot.services.db, self.bot.config.specs.values(), user_id, guild_id, limit=service.MAX_FILE_BYTES
            )
        except service.ExportTooLarge:
            raise UserFacingError(
                "Your data is too large for a Discord file: download it from the dashboard (Download my data)."
            ) from None
        return discord.File(io.BytesIO(data), filename=service.filename_for(user_id, guild_id))

    async def _confirm(self, ctx: WolaroContext, question: str, view: ConfirmErase) -> None:
        view.message = await ctx.send(question, view=view, ephemeral=True)
        if ctx.interaction is not None and view.message is None:
            view.message = await ctx.interaction.original_response()

    @hybrid_group(name="privacy", invoke_without_command=True)
    async def privacy(self, ctx: WolaroContext) -> None:
        """Your data: `export` (get a file of it), `delete` (erase it); admins: `erase` (a member who left)."""
        await ctx.send_help(ctx.command)

    @privacy.subcommand(name="export")
    async def export(self, ctx: WolaroContext) -> None:
        """Get a file of everything the bot stores about you (here, or everywhere when asked in a DM)."""
        guild_id = ctx.guild.id if ctx.guild is not None else None
        file = await self._export(ctx.author.id, guild_id)
        if guild_id is None:
            await ctx.send(ctx.t("Everything the bot stores about you, in every server:"), file=file)
        elif ctx.interaction is not None:
            await ctx.send(ctx.t("Everything the bot stores about you in this server:"), file=file, ephemeral=True)
        else:
            try:
                await ctx.author.send(ctx.t("Everything the bot stores about you in this server:"), file=file)
            except discord.HTTPException:
                raise UserFacingError("I could not DM you: open your DMs, or use `/privacy export`.") from None
            await ctx.answer("I sent you the file by DM.")

    @privacy.subcommand(name="delete")
    async def delete(self, ctx: WolaroContext) -> None:
        """Erase everything the bot stores about you (here, or everywhere when asked in a DM), after you confirm.

        Moderation cases stay in the server's log without your name; your reminders and scheduled actions are
        cancelled. This cannot be undone.
        """
        guild_id = ctx.guild.id if ctx.guild is not None else None
        db, specs, user_id = self.bot.services.db, list(self.bot.config.specs.values()), ctx.author.id

        async def erase() -> int:
            return await service.erase(db, specs, user_id, guild_id, pubsub=self.bot.services.pubsub)

        question = (
            "This erases everything the bot stores about you in every server. Moderation cases stay without your "
            "name. It cannot be undone. Erase?"
            if guild_id is None
            else "This erases everything the bot stores about you in this server. Moderation cases stay without "
            "your name. It cannot be undone. Erase?"
        )
        view = ConfirmErase(owner_id=user_id, erase=erase, t=ctx.t, timeout=service.CONFIRM_SECONDS)
        await self._confirm(ctx, ctx.t(question), view)

    @privacy.subcommand(name="erase")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(user="The member who left (their id if they are not listed)")
    async def erase(self, ctx: WolaroContext, user: discord.User) -> None:
        """Erase what the bot stores about a member who left this server (Manage Server), after you confirm.

        Current members erase their own data with `/privacy delete`: this refuses them.
        Example: `!privacy erase 123456789012345678`.
        """
        assert ctx.guild is not None
        try:
            await ctx.guild.fetch_member(user.id)
        except discord.NotFound:
            pass
        else:
            raise UserFacingError(
                "{user} is still a member here: members erase their own data with /privacy delete.",
                user=user.mention,
            )
        db, specs, guild_id, admin_id = (
            self.bot.services.db,
            list(self.bot.config.specs.values()),
            ctx.guild.id,
            ctx.author.id,
        )

        async def erase() -> int:
            return await service.erase_departed(db, specs, user.id, guild_id, admin_id, pubsub=self.bot.services.pubsub)

        question = ctx.t(
            "This erases everything the bot stores about {user} in this server. It cannot be undone. Erase?",
            user=user.mention,
        )
        view = ConfirmErase(owner_id=admin_id, erase=erase, t=ctx.t, timeout=service.CONFIRM_SECONDS)
        await self._confirm(ctx, question, view)


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name="privacy",
    description="Privacy: download or erase what the bot stores about you (/privacy export, /privacy delete).",
    version="1.0.0",
    enabled_by_default=True,
    can_disable=False,
    title="Privacy",
    audit_labels={service.ERASE_ACTION: "A departed member's data erased"},
    cogs=(Privacy,),
    locales=HERE / "locales",
)
