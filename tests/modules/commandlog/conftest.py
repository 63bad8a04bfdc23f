"""What the command log's tests share: a stand-in for its table, and a recorded command."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from wolaro.modules.commandlog import batch as batch_module


def command(user_id: int, name: str = "ping") -> dict[str, Any]:
    """A command as the bot records it."""
    return {"user_id": user_id, "user": "someone", "command": name, "status": "success"}


class Table:
    """Stands in for the database: rows land when `open` is set (or at once); writes are refused while `fail`."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.open = asyncio.Event()
        self.open.set()
        self.fail = False

    async def record_many(self, db: Any, rows: list[dict[str, Any]], trim: set[int]) -> None:
        await self.open.wait()
        if self.fail:
            raise ConnectionError("database down")
        self.rows.extend(rows)


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Table:
    """The batch's writes go to a `Table`."""
    table = Table()
    monkeypatch.setattr(batch_module.store, "record_many", table.record_many)
    return table
