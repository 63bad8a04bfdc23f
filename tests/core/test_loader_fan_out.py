"""`ModuleLoader.fan_out`: one module's failing handler never stops the others (nor the message's commands)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from structlog.testing import capture_logs

from wolaro.core.config_service import GuildConfig
from wolaro.core.loader import ModuleLoader


class FakeModule:
    """Stands in for a loaded module's Cog: it handles `message` with the given coroutine."""

    def __init__(self, handler: Any) -> None:
        self.on_guild_message = handler

    def handled_events(self) -> list[str]:
        return ["message"]


def loader_with(**modules: FakeModule) -> ModuleLoader:
    loader = ModuleLoader(SimpleNamespace())  # type: ignore[arg-type]
    loader.cogs = {name: [cog] for name, cog in modules.items()}  # type: ignore[misc]
    loader._rebuild_handlers()
    return loader


async def test_a_raising_handler_is_logged_and_the_next_module_still_runs() -> None:
    seen: list[tuple[str, str]] = []

    async def broken(config: GuildConfig, message: str) -> None:
        seen.append(("broken", message))
        raise ValueError("boom")

    async def healthy(config: GuildConfig, message: str) -> None:
        seen.append(("healthy", message))

    loader = loader_with(first=FakeModule(broken), second=FakeModule(healthy))
    config = GuildConfig(guild_id=42, enabled_modules=frozenset({"first", "second"}))

    with capture_logs() as logs:
        await loader.fan_out("message", config, "hello")  # must not raise

    assert seen == [("broken", "hello"), ("healthy", "hello")]
    failures = [entry for entry in logs if entry["event"] == "module event handler failed"]
    assert len(failures) == 1
    assert failures[0]["module"] == "first"
    assert failures[0]["guild_event"] == "message"
    assert failures[0]["guild_id"] == 42
    assert failures[0]["log_level"] == "error"


async def test_disabled_modules_are_skipped() -> None:
    called: list[str] = []

    async def handler(config: GuildConfig, message: str) -> None:
        called.append(message)

    loader = loader_with(off=FakeModule(handler))
    await loader.fan_out("message", GuildConfig(guild_id=1), "x")
    assert called == []


@pytest.mark.parametrize("error", [RuntimeError("x"), KeyError("y"), TypeError("z")])
async def test_any_exception_type_is_contained(error: Exception) -> None:
    async def broken(config: GuildConfig, message: str) -> None:
        raise error

    loader = loader_with(m=FakeModule(broken))
    with capture_logs() as logs:
        await loader.fan_out("message", GuildConfig(guild_id=1, enabled_modules=frozenset({"m"})), "x")
    assert [entry["module"] for entry in logs if entry["event"] == "module event handler failed"] == ["m"]
