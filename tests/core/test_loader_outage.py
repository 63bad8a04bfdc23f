"""`ModuleLoader.fan_out` while the database is down: one warning line per skipped handler, no traceback."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import exc as sa_exc
from structlog.testing import capture_logs

from wolaro.core.config_service import GuildConfig
from wolaro.core.loader import ModuleLoader


class FakeModule:
    def __init__(self, handler: Any) -> None:
        self.on_guild_message = handler

    def handled_events(self) -> list[str]:
        return ["message"]


async def test_a_database_outage_in_a_handler_is_one_warning_and_the_others_run() -> None:
    seen: list[str] = []

    async def writes(config: GuildConfig, message: str) -> None:
        raise sa_exc.TimeoutError("QueuePool limit reached, connection timed out")  # no connection came free

    async def reads_nothing(config: GuildConfig, message: str) -> None:
        seen.append(message)

    loader = ModuleLoader(SimpleNamespace())  # type: ignore[arg-type]
    loader.cogs = {"log": [FakeModule(writes)], "other": [FakeModule(reads_nothing)]}  # type: ignore[misc]
    loader._rebuild_handlers()
    config = GuildConfig(guild_id=7, enabled_modules=frozenset({"log", "other"}))

    with capture_logs() as logs:
        await loader.fan_out("message", config, "hi")

    assert seen == ["hi"]
    assert [(e["event"], e["log_level"], e["module"]) for e in logs] == [
        ("module event skipped: the database is unavailable", "warning", "log")
    ]
    assert "exc_info" not in logs[0]
