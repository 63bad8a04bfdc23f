"""Tickets: panels members open private tickets with, staff tools, auto-close, ratings and HTML transcripts.

The Cog is thin: clicks and forms go to `interactions`, commands to `commands_ticket` / `commands_admin`, the work
to `lifecycle`, `actions` and `store`; transcripts, auto-close and channel removal are durable jobs (`jobs`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord

from wolaro.modules.tickets import interactions, jobs, store
from wolaro.modules.tickets.api import router
from wolaro.modules.tickets.commands_admin import AdminCommands
from wolaro.modules.tickets.commands_ticket import TicketCommands
from wolaro.modules.tickets.config import Config
from wolaro.modules.tickets.models import Ticket, TicketCounter
from wolaro.modules.tickets.pages import tickets_page_data
from wolaro.modules.tickets.privacy import PRIVACY
from wolaro.modules.tickets.service import DELETE_JOB, INACTIVITY_JOB, TRANSCRIPT_JOB
from wolaro.sdk import GuildConfig, ModuleSpec, Panel, WolaroModule, utcnow


class Tickets(TicketCommands, AdminCommands, WolaroModule):
    """Support tickets."""

    def __init__(self, bot: Any) -> None:
        super().__init__(bot)
        PRIVACY.storage = jobs.storage_for(bot.services)  # where this process keeps transcripts (for erasure)
        #: Per guild, the channels of its tickets (read once per process, kept as tickets open): tells a ticket's
        #: messages apart without a database read per message of the server.
        self._channels: dict[int, set[int]] = {}

    async def _ticket_channels(self, guild_id: int) -> set[int]:
        known = self._channels.get(guild_id)
        if known is None:
            known = self._channels[guild_id] = await store.open_channels(self.bot.services.db, guild_id)
        return known

    async def on_guild_interaction(self, config: GuildConfig, interaction: discord.Interaction[Any]) -> None:
        """Our buttons, menus and forms (custom ids `tickets:...`), old panels included."""
        if await interactions.handle(self.bot, config, interaction) and interaction.guild_id is not None:
            self._channels.pop(interaction.guild_id, None)  # a ticket may have opened: read the guild's list again

    async def on_guild_message(self, config: GuildConfig, message: discord.Message) -> None:
        """A message in a ticket: activity (resets the inactivity clock) and first response time."""
        assert message.guild is not None
        if message.channel.id in await self._ticket_channels(message.guild.id):
            await store.note_message(
                self.bot.services.db, message.guild.id, message.channel.id, message.author.id, utcnow()
            )


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name="tickets",
    title="Tickets",
    description="Support tickets: panels, private channels, claims, ratings, auto-close and HTML transcripts.",
    version="1.0.0",
    config=Config,
    enabled_by_default=False,
    cogs=(Tickets,),
    jobs={
        TRANSCRIPT_JOB: jobs.make_transcript,
        INACTIVITY_JOB: jobs.check_inactivity,
        DELETE_JOB: jobs.delete_ticket_channel,
    },
    models=(Ticket, TicketCounter),
    migrations=HERE / "migrations",
    locales=HERE / "locales",
    api=router,
    templates=HERE / "templates",
    panels=(
        Panel(title="Tickets and transcripts", template="tickets_panel.html"),
        Panel(title="Tickets and transcripts", template="tickets_page.html", slug="list", data=tickets_page_data),
    ),
    privacy=PRIVACY,
    audit_labels={"tickets.close": "Ticket closed", "tickets.reopen": "Ticket reopened"},
    not_personal={
        "tickets_tickets.channel_id": "the ticket's channel",
        "tickets_tickets.welcome_message_id": "the bot's first message in the ticket",
    },
)
