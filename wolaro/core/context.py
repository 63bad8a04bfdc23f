"""The command context every Wolaro command receives: the guild's config and its language at hand."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from wolaro.core.config_service import GuildConfig

if TYPE_CHECKING:
    from wolaro.core.bot import WolaroBot  # noqa: F401 (named in a string: base classes are evaluated at run time)


class WolaroContext(commands.Context["WolaroBot"]):
    """A discord.py context plus `config` (the guild's config, None in DMs) and `t()` (translate)."""

    config: GuildConfig | None = None

    @property
    def language(self) -> str:
        """The guild's language (English in DMs)."""
        return self.config.language if self.config is not None else "en"

    def t(self, message: str, /, **fields: Any) -> str:
        """`message` in the guild's language with `fields` filled in."""
        return self.bot.translator.translate(self.language, message, **fields)

    async def answer(self, message: str, /, *, ephemeral: bool = False, **fields: Any) -> discord.Message | None:
        """Reply with a translated text (ephemeral when invoked as a slash command and asked to be)."""
        return await self.send(self.t(message, **fields), ephemeral=ephemeral)

    async def refuse(self, message: str, /, **fields: Any) -> None:
        """A clear, translated, ephemeral refusal (a plain reply for prefix commands)."""
        await self.send(self.t(message, **fields), ephemeral=True)

    async def embed(self, embed: discord.Embed, *, ephemeral: bool = False) -> discord.Message | None:
        """Send an embed."""
        return await self.send(embed=embed, ephemeral=ephemeral)
