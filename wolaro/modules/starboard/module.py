"""Starboard: a message that gets enough of the server's star emoji is reposted in the starboard channel.

Stars are recorded per member (a unique key per message and member), so the count is exact whichever process
sees each reaction; the board post is made by one process at a time per message (see `store.py`), so it is never
duplicated however fast stars arrive. Messages from NSFW channels only go to the NSFW starboard, if there is one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
from discord.ext import commands
from pydantic import Field

from wolaro.modules.starboard import board, service, store
from wolaro.modules.starboard.api import router
from wolaro.modules.starboard.models import StarboardPost, StarboardStar
from wolaro.modules.starboard.pages import PANELS
from wolaro.modules.starboard.privacy import PRIVACY
from wolaro.sdk import (
    GuildConfig,
    ModuleConfig,
    ModuleSpec,
    SnowflakeId,
    WolaroContext,
    WolaroModule,
    hybrid_group,
)


class Config(ModuleConfig):
    """Starboard settings of one server."""

    channel_id: SnowflakeId | None = Field(
        default=None, title="Starboard channel", description="Where starred messages are reposted"
    )
    emoji: str = Field(
        default="⭐",
        min_length=1,
        max_length=64,
        title="Star emoji",
        description="The reaction that counts as a star (an emoji, or a server emoji's name)",
    )
    threshold: int = Field(
        default=3, ge=1, le=100, title="Stars needed", description="How many stars a message needs to be reposted"
    )
    ignore_self_stars: bool = Field(
        default=True, title="Ignore own stars", description="Members starring their own messages do not count"
    )
    keep_below_threshold: bool = Field(
        default=False,
        title="Keep posts that lose stars",
        description="Keep a reposted message on the starboard when its stars drop below the number needed",
    )
    nsfw_channel_id: SnowflakeId | None = Field(
        default=None,
        title="Starboard for NSFW channels",
        description="Where starred messages from age-restricted channels go (if empty, they are not reposted)",
    )
    ignored_channel_ids: list[SnowflakeId] = Field(
        default_factory=list,
        max_length=50,
        title="Channels without stars",
        description="Channels whose messages are never reposted",
    )


class Starboard(WolaroModule):
    """Starboard."""

    @hybrid_group(name="starboard", fallback="top")
    @commands.guild_only()
    async def starboard(self, ctx: WolaroContext) -> None:
        """Show the most starred messages of this server."""
        assert ctx.guild is not None
        config = await self.config_for(ctx.guild.id, Config)
        best = await store.top(self.bot.services.db, ctx.guild.id)
        if not best:
            await ctx.answer("No message has reached the starboard yet.", ephemeral=True)
            return
        lines = [
            f"{config.emoji} **{post.stars}** · https://discord.com/channels/{ctx.guild.id}/"
            f"{post.source.channel_id}/{post.source.message_id}"
            for post in best
        ]
        embed = discord.Embed(
            title=ctx.t("Most starred messages"), description="\n".join(lines), colour=discord.Colour.gold()
        )
        await ctx.embed(embed, ephemeral=True)

    async def _counted(self, config: GuildConfig, payload: discord.RawReactionActionEvent) -> Config | None:
        """The server's settings if this reaction is a star that counts, else None."""
        settings = await self.config_for(config.guild_id, Config)
        if not service.is_star(str(payload.emoji), settings.emoji):
            return None
        if payload.channel_id in settings.ignored_channel_ids or payload.channel_id in (
            settings.channel_id,
            settings.nsfw_channel_id,
        ):
            return None
        if self.bot.user is not None and payload.user_id == self.bot.user.id:
            return None
        return settings

    def _board(self, config: GuildConfig, settings: Config, channel_id: int) -> board.Board | None:
        """The board a message of this channel goes to (None: none, e.g. NSFW without an NSFW board)."""
        channel: Any = self.bot.get_channel(channel_id)
        parent = getattr(channel, "parent", None)
        nsfw = bool(channel is not None and (channel.is_nsfw() or (parent is not None and parent.is_nsfw())))
        where = service.board_for(
            nsfw=nsfw, board_channel_id=settings.channel_id, nsfw_board_channel_id=settings.nsfw_channel_id
        )
        if where is None:
            return None
        label = self.bot.translator.translate(config.language, "Jump to the message")
        return board.Board(where, settings.emoji, settings.threshold, settings.keep_below_threshold, label)

    async def on_guild_raw_reaction_add(self, config: GuildConfig, payload: discord.RawReactionActionEvent) -> None:
        """A star: record it (stars count even before a board exists) and bring the board up to date."""
        settings = await self._counted(config, payload)
        if settings is None or (payload.member is not None and payload.member.bot):
            return
        author = payload.message_author_id
        if settings.ignore_self_stars and author == payload.user_id:
            return
        source = store.Source(config.guild_id, payload.channel_id, payload.message_id, author)
        db = self.bot.services.db
        await store.add_star(db, source, payload.user_id)
        chosen = self._board(config, settings, payload.channel_id)
        if chosen is not None:
            await board.refresh(db, self.bot.http, chosen, config.guild_id, payload.message_id)

    async def on_guild_raw_reaction_remove(self, config: GuildConfig, payload: discord.RawReactionActionEvent) -> None:
        """A star taken back: forget it and bring the board up to date."""
        settings = await self._counted(config, payload)
        if settings is None:
            return
        db = self.bot.services.db
        if await store.remove_star(db, config.guild_id, payload.message_id, payload.user_id):
            chosen = self._board(config, settings, payload.channel_id)
            if chosen is not None:
                await board.refresh(db, self.bot.http, chosen, config.guild_id, payload.message_id)

    async def _cleared(self, config: GuildConfig, channel_id: int, message_id: int) -> None:
        settings = await self.config_for(config.guild_id, Config)
        db = self.bot.services.db
        if await store.clear_stars(db, config.guild_id, message_id):
            chosen = self._board(config, settings, channel_id)
            if chosen is not None:
                await board.refresh(db, self.bot.http, chosen, config.guild_id, message_id)

    async def on_guild_raw_reaction_clear(self, config: GuildConfig, payload: discord.RawReactionClearEvent) -> None:
        """A moderator removed every reaction of a message: its stars are gone too."""
        await self._cleared(config, payload.channel_id, payload.message_id)

    async def on_guild_raw_reaction_clear_emoji(
        self, config: GuildConfig, payload: discord.RawReactionClearEmojiEvent
    ) -> None:
        """A moderator removed every reaction of one emoji: if it is the star, its stars are gone."""
        settings = await self.config_for(config.guild_id, Config)
        if service.is_star(str(payload.emoji), settings.emoji):
            await self._cleared(config, payload.channel_id, payload.message_id)


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name="starboard",
    title="Starboard",
    description="Starboard: messages that collect enough stars are reposted in a channel, with their count.",
    version="1.0.0",
    config=Config,
    enabled_by_default=False,
    cogs=(Starboard,),
    models=(StarboardStar, StarboardPost),
    migrations=HERE / "migrations",
    locales=HERE / "locales",
    api=router,
    templates=HERE / "templates",
    panels=PANELS,
    privacy=PRIVACY,
    not_personal={
        "starboard_stars.message_id": "the starred message",
        "starboard_posts.message_id": "the starred message",
        "starboard_posts.channel_id": "the channel of the starred message",
        "starboard_posts.board_channel_id": "the starboard channel",
        "starboard_posts.board_message_id": "the message on the starboard",
    },
)
