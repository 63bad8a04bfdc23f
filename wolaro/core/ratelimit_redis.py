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
So does one that checks several limits in order and stops at the first that refuses it (`acquire_in_order`: a
command's cooldown, then the user's global rate, which a refused command must not spend): the script tries each
only while the ones before it were granted, and answers with when the refusing one's window frees a slot, read as
the library's own moving-window script reads it (its `get_window_stats` would take a second round trip).
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
#: One acquisition as sent: (index of its key, limit, window seconds, amount, link; see `BATCH_SCRIPT`).
_Row = tuple[int, int, int, int, int]
#: A caller's acquisitions (prefixed keys), what it awaits, and whether they are tried in order (`acquire_in_order`).
_Group = tuple[list[Entry], asyncio.Future[Any], bool]

#: The library's moving-window acquisition (its KEYS[1], ARGV[1..4]) run for each acquisition of the batch, in order.
#: KEYS: each key once; ARGV[1]: the timestamp; ARGV[2]: JSON `[[key index, limit, expiry, amount, link], ...]`, one
#: per acquisition (one argument to encode and parse instead of three each). Link 0: decided on its own; 1: the first
#: of an in-order group; 2: tried only if the acquisition before it was granted. Returns one string: per acquisition
#: "1" (granted), "0" (refused) or "-" (not tried), then, for each refused acquisition of an in-order group, a space
#: and the time of the oldest hit in its window as the library's moving-window script (its KEYS[1], ARGV[1..2]) gives
#: it ("" for none).
BATCH_SCRIPT: Final = f"""
local function acquire(KEYS, ARGV)
{RedisBridge.SCRIPT_ACQUIRE_MOVING_WINDOW.decode()}
end
local function moving_window(KEYS, ARGV)
{RedisBridge.SCRIPT_MOVING_WINDOW.decode()}
end
local timestamp = tonumber(ARGV[1])
local entries = cjson.decode(ARGV[2])
local results = {{}}
local windows = {{}}
for i = 1, #entries do
    local entry = entries[i]
    local link = entry[5]
    if link == 2 and results[i - 1] ~= "1" then
        results[i] = "-"
    elseif acquire({{KEYS[entry[1]]}}, {{ARGV[1], entry[2], entry[3], entry[4]}}) then
        results[i] = "1"
    else
        results[i] = "0"
        if link > 0 then
            local window = moving_window({{KEYS[entry[1]]}}, {{timestamp - entry[3], entry[2]}})
            windows[#windows + 1] = window and window[1] or ""
        end
    end
end
if #windows == 0 then
    return table.concat(results)
end
return table.concat(results) .. " " .. table.concat(windows, " ")
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
        return self._queue(entries, in_order=False)

    def acquire_in_order(self, entries: Sequence[Entry]) -> asyncio.Future[float | None]:
        """Acquisitions tried one after the other until one is refused, in one round trip.

        Awaited: None when every one was granted; else when the refused one's window frees a slot (what the library's
        `get_window_stats` calls its reset time: the oldest hit in the window plus the window's length), and the
        acquisitions after it were not tried (nothing counted). The same decisions as `acquire_entry` for each in
        turn, stopping at the first False.
        """
        return self._queue(entries, in_order=True)

    def _queue(self, entries: Sequence[Entry], *, in_order: bool) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        if self._in_flight is not None and self._in_flight.get_loop() is not loop:
            self._in_flight, self._pending, self._queued = None, [], 0  # a closed loop's batch never answers
        future: asyncio.Future[Any] = loop.create_future()
        prefix = self.bridge.key_prefix
        self._pending.append(
            ([(f"{prefix}:{key}", limit, expiry, amount) for key, limit, expiry, amount in entries], future, in_order)
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
            flags, windows, timestamp = await self._run(batch)
        except Exception as exc:  # handed to every waiting caller, who decides (RateLimiter: memory)
            for _, future, _ in batch:
                if not future.done():
                    future.set_exception(exc)
                    future.exception()  # retrieved: a caller that went away leaves no "never retrieved" warning
        except BaseException:  # cancelled (shutdown): so are the callers' waits
            for _, future, _ in batch:
                future.cancel()
            raise
        else:
            start, refusals = 0, iter(windows)
            for entries, future, in_order in batch:
                end = start + len(entries)
                result: list[bool] | float | None
                if not in_order:
                    result = [flag == ord("1") for flag in flags[start:end]]
                elif (refused := flags.find(b"0", start, end)) < 0:
                    result = None  # every one granted
                else:  # its window read in the same script run (read even for a caller that gave up: they go in order)
                    oldest = next(refusals)
                    result = (float(oldest) if oldest else timestamp) + entries[refused - start][2]
                if not future.done():  # a caller that gave up (cancelled) is skipped
                    future.set_result(result)
                start = end
        finally:
            self._in_flight = None
            self._start_flush()  # what queued up meanwhile, at once

    async def _run(self, batch: list[_Group]) -> tuple[bytes, list[bytes], float]:
        """One EVALSHA of `BATCH_SCRIPT` for the batch (loaded first if Redis does not have it: nothing ran then).

        Returns the flags (one per acquisition), the window starts of the in-order refusals, and the timestamp sent.
        """
        index: dict[str, int] = {}  # each key once (a busy user's or address's hits often share a batch)
        rows: list[_Row] = []
        for entries, _, in_order in batch:
            link = 1 if in_order else 0
            for key, limit, expiry, amount in entries:
                rows.append((index.setdefault(key, len(index) + 1), limit, expiry, amount, link))
                link = 2 if in_order else 0
        timestamp = time.time()
        args = (*index, timestamp, orjson.dumps(rows))
        client = self._batch_script.registered_client
        try:
            reply = await client.evalsha(self._batch_script.sha, len(index), *args)
        except NoScriptError:  # Redis restarted or flushed its scripts
            await client.script_load(self._batch_script.script)
            reply = await client.evalsha(self._batch_script.sha, len(index), *args)
        flags, *windows = (reply.encode() if isinstance(reply, str) else bytes(reply)).split(
            b" "
        )  # bytes unless decoded
        return flags, windows, timestamp
