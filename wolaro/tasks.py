"""Background asyncio tasks: the one way a periodic loop runs (`every`) and the one way it is stopped."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from wolaro.data.database import is_unavailable
from wolaro.logging import get_logger

log = get_logger(__name__)


async def cancel_and_wait(*tasks: asyncio.Task[Any] | None) -> None:
    """Cancel each task given (None: nothing to stop) and wait until all have ended; their cancellation is no error."""
    running = [task for task in tasks if task is not None]
    for task in running:
        task.cancel()
    for task in running:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def every(seconds: float, action: Callable[[], Awaitable[object]], *, failed: str) -> None:
    """Await `action()` every `seconds` (the first time after one wait) until the task running this is cancelled.

    A round that raises is logged with the message `failed` (one warning line while the database is unavailable,
    the traceback for anything else) and the next round comes on time: one bad round never ends the loop. Run it
    as `asyncio.create_task(every(...), name=...)` and stop it with `cancel_and_wait`; put the part of `action` a
    stop must not cut short (a write of a batch already taken) under `asyncio.shield`.
    """
    while True:
        await asyncio.sleep(seconds)
        try:
            await action()
        except Exception as exc:
            if is_unavailable(exc):
                log.warning(failed, error=repr(exc))
            else:
                log.exception(failed)
