"""The confirmation of an erasure: two buttons, only for the person who asked, for a minute."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import discord

Erase = Callable[[], Awaitable[int]]
"""Run the erasure; returns how many records were removed or anonymised."""


class ConfirmErase(discord.ui.View):
    """Erase or Cancel: the first press by the asker decides; anyone else is told it is not theirs."""

    def __init__(self, *, owner_id: int, erase: Erase, t: Callable[..., str], timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.erase = erase
        self.t = t
        self.message: discord.Message | discord.InteractionMessage | None = None
        self.confirm.label = t("Erase")
        self.cancel.label = t("Cancel")

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Only the person who asked may answer."""
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(self.t("Only the person who asked can answer this."), ephemeral=True)
        return False

    @discord.ui.button(style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction[Any], _button: discord.ui.Button[Any]) -> None:
        """Erase now."""
        self.stop()
        await interaction.response.defer()
        count = await self.erase()
        await interaction.edit_original_response(
            content=self.t("Done: {count} records erased or anonymised.", count=count), view=None
        )

    @discord.ui.button(style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[Any], _button: discord.ui.Button[Any]) -> None:
        """Keep everything."""
        self.stop()
        await interaction.response.edit_message(content=self.t("Cancelled: nothing was erased."), view=None)

    async def on_timeout(self) -> None:
        """No answer in time: say so and remove the buttons."""
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(content=self.t("No answer in time: nothing was erased."), view=None)
