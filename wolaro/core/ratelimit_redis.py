"""`PipelinedRedisStorage`: the `limits` library's Redis storage, with acquisitions sharing round trips.

The library's async `RedisStorage` sends one `EVALSHA` of its moving-window script per hit, each through a pooled
connection of its own: with two limits per API request (per IP and per user) that is two round trips, and the
client-side cost of two commands, for most of what a cached API request costs. This storage keeps the library's
keys, strategy (`MovingWindowRateLimiter` calls it as it calls `RedisStorage`) and moving-window script, and only
changes how the calls travel:

- Acquisitions are queued and sent together as one command: at the end of the loop turn in which the first was
  asked for, or, while a batch is on its way, as soon as its answer is back. An idle process adds no delay; a busy
  one sends fewer, larger batches instead of queueing up round trips (like ioredis' auto-pipelining).
- The batch runs the library's own `acquire_moving_window.lua`, verbatim, as a Lua function called once per
  acquisition inside one script (`BATCH_SCRIPT`): each acquisition is decided exactly as the library decides it,
  atomically, one after another, and Redis answers with one list of granted/refused.

A request that checks several limits at once (`acquire_entries`) costs one round trip, shared with the others.
While Redis is unreachable the error is raised to every caller of that batch (`RateLimiter` then counts in memory).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any, Final

import orjson
from limits.aio.storage import RedisStorage
from limits.aio.storage.redis.bridge import RedisBridge
from redis.exceptions import NoScriptError

#: One acquisition: (key as the library builds it, limit, window seconds, amount).
Entry = tuple[str, int, int, int]
_Group = tuple[list[Entry], asyncio.Future[list[bool]]]

#: The library's moving-window acquisition (its KEYS[1], ARGV[1..4]) run for each acquisition of the batch, in order.
#: KEYS: each key once; ARGV[1]: the timestamp; ARGV[2]: JSON `[[key index, limit, expiry, amount], ...]`, one per
#: acquisition (one argument to encode and parse instead of three each). Returns one string: "1" (granted) or "0"
#: (refused) per acquisition, in order.
BATCH_SCRIPT: Final = f"""
local function acquire(KEYS, ARGV)
{RedisBridge.SCRIPT_ACQUIRE_MOVING_WINDOW.decode()}
end
local entries = cjson.decode(ARGV[2])
local results = {{}}
for i = 1, #entries do
    local entry = entries[i]
    if acquire({{KEYS[entry[1]]}}, {{ARGV[1], entry[2], entry[3], entry[4]}}) then
        results[i] = "1"
    else
        results[i] = "0"
    end
end
return table.concat(results)
"""
#: Most acquisitions in one script run (Redis runs nothing else meanwhile: a few milliseconds at most).
MAX_BATCH: Final = 256


class PipelinedRedisStorage(RedisStorage):
    """`limits`' async Redis storage (redis-py) whose moving-window acquisitions travel in shared batches.

    Takes the same arguments as `RedisStorage` (the implementation is always `redispy`).
    """

    def __init__(self, uri: str, **options: Any) -> None:
        options["implementation"] = "redispy"
        super().__init__(uri, **options)
        self._batch_script = self.bridge.get_connection().register_script(BATCH_SCRIPT)  # type: ignore[attr-defined]
        self._pending: list[_Group] = []  # each caller's acquisitions and what it awaits
        self._queued = 0  # acquisitions in `_pending`
        self._in_flight: asyncio.Task[None] | None = None  # the batch on its way (one at a time)

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """The library's moving-window acquisition of `amount` entries under `key`, sent with the others queued."""
        return (await self.acquire_entries(((key, limit, expiry, amount),)))[0]

    def acquire_entries(self, entries: Sequence[Entry]) -> asyncio.Future[list[bool]]:
        """Several acquisitions (`(key, limit, expiry, amount)`) in one round trip: awaited, whether each was granted.

        Each is decided on its own, in order, by the library's script: one refused does not undo the others.
        """
        loop = asyncio.get_running_loop()
        if self._in_flight is not None and self._in_flight.get_loop() is not loop:
            self._in_flight, self._pending, self._queued = None, [], 0  # a closed loop's batch never answers
        future: asyncio.Future[list[bool]] = loop.create_future()
        prefix = self.bridge.key_prefix
        self._pending.append(
            ([(f"{prefix}:{key}", limit, expiry, amount) for key, limit, expiry, amount in entries], future)
        )
        self._queued += len(entries)
        if self._in_flight is None and len(self._pending) == 1:
            loop.call_soon(self._start_flush)  # at the end of this turn, once its other callers queued theirs
        return future

    def _start_flush(self) -> None:
        if self._in_flight is not None or not self._pending:
            return  # the batch on its way sends the queue when its answer is back
        if self._queued <= MAX_BATCH:
            batch, self._pending, self._queued = self._pending, [], 0
        else:
            batch, size = [], 0
            while self._pending and (not batch or size + len(self._pending[0][0]) <= MAX_BATCH):
                group = self._pending.pop(0)
                batch.append(group)
                size += len(group[0])
            self._queued -= size
        self._in_flight = asyncio.ensure_future(self._flush(batch))

    async def _flush(self, batch: list[_Group]) -> None:
        try:
            granted = await self._run([entry for entries, _ in batch for entry in entries])
        except Exception as exc:  # handed to every waiting caller, who decides (RateLimiter: memory)
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
                    future.exception()  # retrieved: a caller that went away leaves no "never retrieved" warning
        except BaseException:  # cancelled (shutdown): so are the callers' waits
            for _, future in batch:
                future.cancel()
            raise
        else:
            start = 0
            for entries, future in batch:
                if not future.done():  # a caller that gave up (cancelled) is skipped
                    future.set_result(granted[start : start + len(entries)])
                start += len(entries)
        finally:
            self._in_flight = None
            self._start_flush()  # what queued up meanwhile, at once

    async def _run(self, batch: list[Entry]) -> list[bool]:
        """One EVALSHA of `BATCH_SCRIPT` for the batch (loaded first if Redis does not have it: nothing ran then)."""
        index: dict[str, int] = {}  # each key once (a busy user's or address's hits often share a batch)
        rows = [(index.setdefault(key, len(index) + 1), limit, expiry, amount) for key, limit, expiry, amount in batch]
        args = (*index, time.time(), orjson.dumps(rows))
        client = self._batch_script.registered_client
        try:
            reply = await client.evalsha(self._batch_script.sha, len(index), *args)
        except NoScriptError:  # Redis restarted or flushed its scripts
            await client.script_load(self._batch_script.script)
            reply = await client.evalsha(self._batch_script.sha, len(index), *args)
        flags = reply.encode() if isinstance(reply, str) else bytes(reply)  # bytes unless decode_responses
        return [flag == ord("1") for flag in flags]
