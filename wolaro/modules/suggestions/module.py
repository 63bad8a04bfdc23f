"""Suggestions: `/suggest` (or its form), 👍 / 👎 buttons, `/suggestion approve|deny`, `/suggestion queue`.

Suggestions are posted in the server's suggestions channel; staff (those who can manage the server, or the staff
role) approve or deny them with a reason, and the author is told by DM (or in the channel if their DMs are closed).
"""

from __future__ import annotations

import contextlib
from functools import partial
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import Field

from wolaro.modules.suggestions import render, service, store
from wolaro.modules.suggestions.api import router
from wolaro.modules.suggestions.models import Suggestion, SuggestionVote
from wolaro.modules.suggestions.pages import PANELS
from wolaro.modules.suggestions.privacy import PRIVACY
from wolaro.modules.suggestions.service import Status
from wolaro.modules.suggestions.store import Vote
from wolaro.sdk import (
    GuildConfig,
    ModuleConfig,
    ModuleSpec,
    SnowflakeId,
    UserFacingError,
    WolaroContext,
    WolaroModule,
    hybrid_command,
    hybrid_group,
    utcnow,
)

#: How long a click stays claimed by the process that answers it (Discord gives 15 minutes to follow up).
CLAIM_TTL = 900.0


class Config(ModuleConfig):
    """Suggestion settings of one server."""

    channel_id: SnowflakeId | None = Field(
        default=None, title="Suggestions channel", description="Where suggestions are posted and voted on"
    )
    staff_role_id: SnowflakeId | None = Field(
        default=None,
        title="Staff role",
        description="Members with this role may approve and deny suggestions (besides those who manage the server)",
    )


def t(message: str) -> str:
    """Mark `message` for the catalog; it is translated where shown."""
    return message


TOLD = {
    Status.APPROVED: t("Your suggestion #{number} in **{guild}** was approved. Reason: {reason}"),
    Status.DENIED: t("Your suggestion #{number} in **{guild}** was denied. Reason: {reason}"),
}
TOLD_HERE = {
    Status.APPROVED: t("<@{author}>, your suggestion #{number} was approved. Reason: {reason}"),
    Status.DENIED: t("<@{author}>, your suggestion #{number} was denied. Reason: {reason}"),
}


def _text_of(data: Any) -> str:
    """The suggestion typed into the form (found wherever the form's layout puts it)."""
    if isinstance(data, dict):
        if data.get("custom_id") == service.MODAL_TEXT_ID and isinstance(data.get("value"), str):
            return str(data["value"])
        return next((t for t in (_text_of(v) for v in data.values()) if t), "")
    if isinstance(data, list):
        return next((t for t in (_text_of(v) for v in data) if t), "")
    return ""


class Suggestions(WolaroModule):
    """Suggestions."""

    async def _post(self, guild: discord.Guild, author_id: int, text: str, language: str) -> tuple[int, int]:
        """Post a suggestion in the suggestions channel: (its number, the channel)."""
        config = await self.config_for(guild.id, Config)
        channel = guild.get_channel(config.channel_id) if config.channel_id else None
        if not isinstance(channel, discord.TextChannel):
            raise UserFacingError("Suggestions are not open here yet: an admin must choose a suggestions channel.")
        text = service.clean(text)
        if not text:
            raise UserFacingError("Write your suggestion after the command, e.g. `!suggest a music channel`.")
        if len(text) > service.TEXT_MAX:
            raise UserFacingError("A suggestion has at most {maximum} characters.", maximum=service.TEXT_MAX)
        db = self.bot.services.db
        number = await store.submit(db, guild.id, channel.id, author_id, text)
        shown = await store.get(db, guild.id, number)
        assert shown is not None
        t = partial(self.bot.translator.translate, language)
        try:
            message = await channel.send(embed=render.embed(shown, t), view=render.votes_view(shown))
        except discord.HTTPException:
            await store.discard(db, guild.id, number)
            raise UserFacingError("I cannot post in the suggestions channel: let me send messages there.") from None
        await store.set_message(db, guild.id, number, message.id)
        return number, channel.id

    @hybrid_command(name="suggest")
    @commands.guild_only()
    @app_commands.describe(text="Your suggestion (leave it empty to write it in a form)")
    async def suggest(self, ctx: WolaroContext, *, text: str | None = None) -> None:
        """Suggest something for this server: it is posted in the suggestions channel for members to vote on.

        Example: `!suggest a channel for music`, or `/suggest` alone to write it in a form.
        """
        assert ctx.guild is not None
        if not text and ctx.interaction is not None:
            await ctx.interaction.response.send_modal(render.form(ctx.t))
            return
        number, channel = await self._post(ctx.guild, ctx.author.id, text or "", ctx.language)
        await ctx.answer(
            "Your suggestion #{number} is posted in <#{channel}>.", ephemeral=True, number=number, channel=channel
        )

    async def _staff(self, ctx: WolaroContext) -> None:
        assert ctx.guild is not None
        config = await self.config_for(ctx.guild.id, Config)
        perms = getattr(ctx.author, "guild_permissions", None)
        roles = {role.id for role in getattr(ctx.author, "roles", [])}
        if (perms is not None and perms.manage_guild) or (config.staff_role_id and config.staff_role_id in roles):
            return
        raise UserFacingError("Only staff (the staff role, or those who manage the server) may decide suggestions.")

    @hybrid_group(name="suggestion", fallback="queue")
    @commands.guild_only()
    async def suggestion(self, ctx: WolaroContext) -> None:
        """List the suggestions waiting for a decision, with their votes."""
        assert ctx.guild is not None
        waiting = await store.queue(self.bot.services.db, ctx.guild.id)
        if not waiting:
            await ctx.answer("No suggestion is waiting for a decision.", ephemeral=True)
            return
        lines = [f"**#{s.id}** 👍 {s.up} · 👎 {s.down} · <@{s.author_id}> · {s.text[:80]}" for s in waiting]
        embed = discord.Embed(
            title=ctx.t("Suggestions waiting: {count}", count=len(waiting)),
            description="\n".join(lines),
            colour=discord.Colour.blurple(),
        )
        await ctx.embed(embed, ephemeral=True)

    @suggestion.subcommand(name="approve")
    @commands.guild_only()
    @app_commands.describe(number="The suggestion's number", reason="Why (the author is told)")
    async def suggestion_approve(self, ctx: WolaroContext, number: int, *, reason: str | None = None) -> None:
        """Approve a suggestion (staff); its author is told, with your reason.

        Example: `!suggestion approve 12 great idea, we'll do it this week`.
        """
        await self._decide(ctx, number, Status.APPROVED, reason)

    @suggestion.subcommand(name="deny")
    @commands.guild_only()
    @app_commands.describe(number="The suggestion's number", reason="Why (the author is told)")
    async def suggestion_deny(self, ctx: WolaroContext, number: int, *, reason: str | None = None) -> None:
        """Deny a suggestion (staff); its author is told, with your reason.

        Example: `!suggestion deny 12 we already have one`.
        """
        await self._decide(ctx, number, Status.DENIED, reason)

    async def _decide(self, ctx: WolaroContext, number: int, status: Status, reason: str | None) -> None:
        assert ctx.guild is not None
        await self._staff(ctx)
        reason = (reason or "").strip() or None
        if reason is not None and len(reason) > service.REASON_MAX:
            raise UserFacingError("A reason has at most {maximum} characters.", maximum=service.REASON_MAX)
        db = self.bot.services.db
        if await store.get(db, ctx.guild.id, number) is None:
            raise UserFacingError("There is no suggestion #{number} here.", number=number)
        if not await store.decide(db, ctx.guild.id, number, status, ctx.author.id, reason, utcnow()):
            raise UserFacingError("Suggestion #{number} has already been decided.", number=number)
        decided = await store.get(db, ctx.guild.id, number)
        assert decided is not None
        if decided.message_id is not None:
            shown = render.embed(decided, ctx.t)
            with (
                contextlib.suppress(discord.NotFound),  # its message was deleted: the decision still stands
                discord.http.handle_message_parameters(embed=shown, view=None) as params,
            ):
                await self.bot.http.edit_message(decided.channel_id, decided.message_id, params=params)
        await self._tell(ctx, decided)
        done = t("Suggestion #{number} approved.") if status is Status.APPROVED else t("Suggestion #{number} denied.")
        await ctx.answer(done, ephemeral=True, number=number)

    async def _tell(self, ctx: WolaroContext, decided: store.SuggestionView) -> None:
        """Tell the author by DM; in the suggestions channel if their DMs are closed."""
        assert ctx.guild is not None
        reason = decided.reason or ctx.t("No reason given.")
        text = ctx.t(TOLD[decided.status], number=decided.id, guild=ctx.guild.name, reason=reason)
        try:
            dm = await self.bot.http.start_private_message(decided.author_id)
            with discord.http.handle_message_parameters(content=text) as params:
                await self.bot.http.send_message(int(dm["id"]), params=params)
            return
        except (discord.Forbidden, discord.NotFound):
            pass
        here = ctx.t(TOLD_HERE[decided.status], author=decided.author_id, number=decided.id, reason=reason)
        mentions = discord.AllowedMentions(everyone=False, roles=False, users=[discord.Object(decided.author_id)])
        with discord.http.handle_message_parameters(content=here, allowed_mentions=mentions) as params:
            await self.bot.http.send_message(decided.channel_id, params=params)

    async def on_guild_interaction(self, config: GuildConfig, interaction: discord.Interaction[Any]) -> None:
        """The suggestion form, and the vote buttons."""
        data: Any = interaction.data or {}
        custom_id = str(data.get("custom_id", ""))
        if not custom_id.startswith(service.PREFIX) or interaction.guild_id is None:
            return
        if not await self.bot.services.cache.claim(f"suggestions:interaction:{interaction.id}", CLAIM_TTL):
            return  # another bot process that received the same click answers it (a click toggles: act once)
        t = partial(self.bot.translator.translate, config.language)
        if data.get("custom_id") == service.MODAL_ID and interaction.guild is not None:
            try:
                number, channel = await self._post(
                    interaction.guild, interaction.user.id, _text_of(data.get("components")), config.language
                )
            except UserFacingError as refused:
                await interaction.response.send_message(t(refused.msgid, **refused.fields), ephemeral=True)
                return
            said = t("Your suggestion #{number} is posted in <#{channel}>.", number=number, channel=channel)
            await interaction.response.send_message(said, ephemeral=True)
            return
        parsed = service.parse_vote_custom_id(str(data.get("custom_id", "")))
        if parsed is None or interaction.guild_id is None:
            return
        await self._vote(interaction, *parsed, t=t)

    async def _vote(self, interaction: discord.Interaction[Any], number: int, up: bool, *, t: Any) -> None:
        db = self.bot.services.db
        guild_id = int(interaction.guild_id or 0)
        outcome = await store.vote(db, guild_id, number, interaction.user.id, up)
        if outcome is Vote.CLOSED:
            await interaction.response.send_message(t("This suggestion has been decided."), ephemeral=True)
            return
        now = await store.get(db, guild_id, number)
        assert now is not None
        await interaction.response.edit_message(view=render.votes_view(now))  # the voter sees the counts move
        later = await store.get(db, guild_id, number)  # a vote that landed meanwhile: its edit may have come first
        if later is not None and later.message_id and (later.up, later.down) != (now.up, now.down):
            with discord.http.handle_message_parameters(view=render.votes_view(later)) as params:
                await self.bot.http.edit_message(later.channel_id, later.message_id, params=params)


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name="suggestions",
    title="Suggestions",
    description="Suggestions: members suggest, others vote with buttons, staff approve or deny with a reason.",
    version="1.0.0",
    config=Config,
    enabled_by_default=False,
    cogs=(Suggestions,),
    models=(Suggestion, SuggestionVote),
    migrations=HERE / "migrations",
    locales=HERE / "locales",
    api=router,
    templates=HERE / "templates",
    panels=PANELS,
    privacy=PRIVACY,
    audit_labels={"suggestions.approve": "Suggestion approved", "suggestions.deny": "Suggestion denied"},
    not_personal={
        "suggestions.id": "the suggestion's number",
        "suggestions.channel_id": "the suggestions channel",
        "suggestions.message_id": "the message that shows the suggestion",
        "suggestion_votes.suggestion_id": "the suggestion's number",
    },
)
