"""The command log: keeps each server's recent commands (the newest 500) for the dashboard's command log page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wolaro.modules.commandlog import store
from wolaro.modules.commandlog.api import router
from wolaro.modules.commandlog.models import CommandLogEntry
from wolaro.modules.commandlog.privacy import PRIVACY
from wolaro.sdk import GuildConfig, ModuleSpec, WolaroModule


class CommandLog(WolaroModule):
    """Records every command run in a server."""

    async def on_guild_command_recorded(self, config: GuildConfig, data: dict[str, Any]) -> None:
        """A command ran (or was refused) here: keep it."""
        await store.record(self.bot.services.db, config.guild_id, data)


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name="commandlog",
    title="Command log",
    description="Keeps the recent commands of the server (who, what, where) for the dashboard's command log.",
    version="1.0.0",
    can_disable=False,
    enabled_by_default=True,
    cogs=(CommandLog,),
    models=(CommandLogEntry,),
    migrations=HERE / "migrations",
    locales=HERE / "locales",
    api=router,
    privacy=PRIVACY,
    not_personal={"commandlog_entries.channel_id": "the channel of the server where a command ran"},
)
