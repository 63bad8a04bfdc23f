"""Buttons: the pages of a moderation history, turned only by the moderator who asked for it."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import discord

Render = Callable[[int], Awaitable[tuple[discord.Embed, int]]]
"""`render(page) -> (embed, pages)`: one page (0-based) of the history and the current page count."""


class HistoryPages(discord.ui.View):
    """Previous / Next buttons over a history; others who press them are told they can't (ephemerally)."""

    def __init__(
        self, *, owner_id: int, page: int, pages: int, render: Render, t: Callable[..., str], timeout: float = 180
    ) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.page = page
        self.pages = pages
        self.render = render
        self.t = t
        self.message: discord.Message | None = None
        self.previous.label = t("Previous")
        self.next.label = t("Next")
        self._sync()

    def _sync(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.pages - 1

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Only the moderator who opened the history turns its pages."""
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            self.t("Only <@{user}> can turn these pages.", user=self.owner_id),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        return False

    @discord.ui.button(label="<", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction[Any], _button: discord.ui.Button[Any]) -> None:
        """One page back."""
        await self._show(interaction, self.page - 1)

    @discord.ui.button(label=">", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[Any], _button: discord.ui.Button[Any]) -> None:
        """One page forward."""
        await self._show(interaction, self.page + 1)

    async def _show(self, interaction: discord.Interaction[Any], page: int) -> None:
        embed, self.pages = await self.render(page)
        self.page = min(max(page, 0), self.pages - 1)
        self._sync()
        await interaction.response.edit_message(embed=embed, view=self)

    async def on_timeout(self) -> None:
        """Remove the buttons once they no longer work."""
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=None)
