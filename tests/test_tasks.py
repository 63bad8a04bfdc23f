"""`every` (a periodic loop that outlives a failing round) and `cancel_and_wait` (the one way it is stopped)."""

from __future__ import annotations

import asyncio

import pytest

from wolaro import tasks
from wolaro.tasks import cancel_and_wait, every


class Log:
    """Records what `every` logs."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def warning(self, event: str, **_fields: object) -> None:
        self.lines.append(("warning", event))

    def exception(self, event: str, **_fields: object) -> None:
        self.lines.append(("exception", event))


async def test_a_failing_round_is_logged_and_the_next_one_still_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    log = Log()
    monkeypatch.setattr(tasks, "log", log)
    rounds: list[int] = []
    third = asyncio.Event()

    async def step() -> None:
        rounds.append(len(rounds) + 1)
        if len(rounds) == 3:
            third.set()
        if len(rounds) == 1:
            raise RuntimeError("first round breaks")

    task = asyncio.create_task(every(0, step, failed="step failed"))
    await third.wait()
    await cancel_and_wait(task)
    assert rounds[:3] == [1, 2, 3] and task.cancelled()
    assert log.lines == [("exception", "step failed")]  # a bug: its traceback (a database outage: one warning)


async def test_a_shielded_write_is_not_cut_short_by_the_stop() -> None:
    started, release, done = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def write() -> None:
        started.set()
        await release.wait()
        done.set()

    async def step() -> None:
        await asyncio.shield(write())

    task = asyncio.create_task(every(0, step, failed="write failed"))
    await started.wait()
    await cancel_and_wait(task, None)  # None: nothing to stop there
    assert task.cancelled() and not done.is_set()
    release.set()
    await done.wait()  # the write taken before the stop still ends
