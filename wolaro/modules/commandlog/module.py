"""The command log: keeps each server's recent commands (the newest 500) for the dashboard's command log page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wolaro.modules.commandlog.api import router
from wolaro.modules.commandlog.batch import CommandBatch
from wolaro.modules.commandlog.metrics import COLLECTORS
from wolaro.modules.commandlog.models import CommandLogEntry
from wolaro.modules.commandlog.privacy import PRIVACY
from wolaro.sdk import ERASED_CHANNEL, GuildConfig, ModuleSpec, WolaroModule

#: Modules whose commands are not kept: a person's commands about their own data must not create more of it.
NOT_KEPT = frozenset({"privacy"})


class CommandLog(WolaroModule):
    """Records every command run in a server."""

    def __init__(self, bot: Any) -> None:
        super().__init__(bot)
        self.batch = CommandBatch(bot.services.db)

    async def cog_load(self) -> None:
        """Start writing the log about once a second."""
        self.bot.services.pubsub.subscribe(ERASED_CHANNEL, self._on_erased)
        self.batch.start()

    async def cog_unload(self) -> None:
        """Graceful stop: write what waits."""
        self.bot.services.pubsub.unsubscribe(ERASED_CHANNEL, self._on_erased)
        await self.batch.stop()

    async def _on_erased(self, _channel: str, message: dict[str, Any]) -> None:
        """A person's data was erased (in any process): their commands waiting here are not written.

        What a write under way at that moment puts in the table is removed once it has landed.
        """
        try:
            user_id, guild = int(message["user_id"]), message.get("guild_id")
            guild_id = None if guild is None else int(guild)
        except (KeyError, TypeError, ValueError):
            return
        self.batch.forget(user_id, guild_id)
        if await self.batch.written():
            await PRIVACY.delete_user_data(self.bot.services.db, user_id, guild_id)

    async def on_guild_command_recorded(self, config: GuildConfig, data: dict[str, Any]) -> None:
        """A command ran (or was refused) here: keep it."""
        if data.get("module") not in NOT_KEPT:
            self.batch.add(config.guild_id, data)


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
    metrics=COLLECTORS,
    not_personal={"commandlog_entries.channel_id": "the channel of the server where a command ran"},
)
