"""Publish/subscribe between processes: how a dashboard write reaches every bot process.

Messages are JSON objects (orjson). Handlers are coroutines `handler(channel, message)`; each delivery runs as
its own task, so a slow or failing handler never delays or breaks the others. With Redis, every process
(the publisher included) receives each message once, through Redis. While Redis is down, `publish` delivers
to this process's handlers only, and the listener reconnects by itself; once it is back, reconnect listeners
are awaited, because messages may have been missed meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import PubSub as RedisPubSubConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from wolaro.data.cache import REDIS_ERRORS, REDIS_TIMEOUT, redis_client
from wolaro.logging import get_logger
from wolaro.tasks import cancel_and_wait

if TYPE_CHECKING:
    from wolaro.settings import Settings

log = get_logger(__name__)

CONFIG_UPDATE = "config:update"
MODULE_TOGGLE = "module:toggle"
GUILD_RELOAD = "guild:reload"
PERMISSION_REVOKED = "permission:revoked"
COMMAND_EXECUTED = "command:executed"

Handler = Callable[[str, dict[str, Any]], Awaitable[None]]
ReconnectListener = Callable[[], Awaitable[None]]

INITIAL_BACKOFF = 0.1
START_TIMEOUT = 2.0


def encode(message: dict[str, Any]) -> bytes:
    """The wire form of a message (non-string keys become strings, as JSON requires)."""
    return orjson.dumps(message, option=orjson.OPT_NON_STR_KEYS)


@runtime_checkable
class PubSub(Protocol):
    """Channels of JSON messages shared by every process of a deployment."""

    available: bool

    async def start(self) -> None:
        """Begin receiving (subscriptions made before are honoured from then on)."""
        ...

    async def publish(self, channel: str, message: dict[str, Any]) -> bool:
        """Send `message` to every subscriber of `channel`; never raises because the backend is down.

        True when every process was reached (False: only this one, the backend being down).
        """
        ...

    def subscribe(self, channel: str, handler: Handler) -> None:
        """Call `handler(channel, message)` for each message on `channel` (before or after `start`)."""
        ...

    def unsubscribe(self, channel: str, handler: Handler) -> None:
        """Stop calling `handler` for `channel`."""
        ...

    def add_reconnect_listener(self, callback: ReconnectListener) -> None:
        """Await `callback()` after a lost subscription is re-established (messages may have been missed)."""
        ...

    async def wait_subscribed(self, timeout: float = 5.0) -> bool:  # noqa: ASYNC109
        """Wait until every subscription made so far is active; False if that took longer than `timeout`."""
        ...

    async def close(self) -> None:
        """Stop receiving and release connections."""
        ...


class _LocalFanOut:
    """Handler registry and delivery to this process's handlers, shared by both backends."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {}
        self._reconnect_listeners: list[ReconnectListener] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def _add_handler(self, channel: str, handler: Handler) -> bool:
        """Register; True if `channel` had no handler before."""
        handlers = self._handlers.setdefault(channel, [])
        handlers.append(handler)
        return len(handlers) == 1

    def _remove_handler(self, channel: str, handler: Handler) -> bool:
        """Unregister; True if `channel` has no handler left."""
        handlers = self._handlers.get(channel)
        if not handlers or handler not in handlers:
            return False
        handlers.remove(handler)
        if handlers:
            return False
        del self._handlers[channel]
        return True

    def add_reconnect_listener(self, callback: ReconnectListener) -> None:
        """Await `callback()` after a lost subscription is re-established."""
        self._reconnect_listeners.append(callback)

    def _spawn(self, coro: Awaitable[None], name: str) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _deliver(self, channel: str, payload: bytes) -> None:
        """Run each handler of `channel` as a task, each with its own decoded copy of the message."""
        handlers = self._handlers.get(channel)
        if not handlers:
            return
        try:
            decoded = orjson.loads(payload)
        except orjson.JSONDecodeError:
            log.warning("pubsub message is not JSON, dropped", channel=channel, size=len(payload))
            return
        if not isinstance(decoded, dict):
            log.warning("pubsub message is not an object, dropped", channel=channel)
            return
        for index, handler in enumerate(list(handlers)):
            message = decoded if index == 0 else orjson.loads(payload)
            self._spawn(self._invoke(handler, channel, message), f"pubsub:{channel}")

    @staticmethod
    async def _invoke(handler: Handler, channel: str, message: dict[str, Any]) -> None:
        try:
            await handler(channel, message)
        except Exception:
            log.exception("pubsub handler failed", channel=channel, handler=repr(handler))

    async def _notify_reconnected(self) -> None:
        for callback in list(self._reconnect_listeners):
            try:
                await callback()
            except Exception:
                log.exception("pubsub reconnect listener failed", listener=repr(callback))

    async def _cancel_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class MemoryPubSub(_LocalFanOut, PubSub):
    """In-process fan-out: one process, no Redis (the embedded default)."""

    def __init__(self) -> None:
        super().__init__()
        self.available = True

    async def start(self) -> None:
        """Nothing to connect."""

    async def publish(self, channel: str, message: dict[str, Any]) -> bool:
        """Deliver to this process's handlers of `channel` (the only process there is)."""
        self._deliver(channel, encode(message))
        return True

    def subscribe(self, channel: str, handler: Handler) -> None:
        """Call `handler` for each message on `channel`."""
        self._add_handler(channel, handler)

    def unsubscribe(self, channel: str, handler: Handler) -> None:
        """Stop calling `handler` for `channel`."""
        self._remove_handler(channel, handler)

    async def wait_subscribed(self, timeout: float = 5.0) -> bool:  # noqa: ASYNC109
        """Subscriptions are active at once."""
        return True

    async def close(self) -> None:
        """Cancel deliveries still running."""
        await self._cancel_tasks()


class RedisPubSub(_LocalFanOut, PubSub):
    """Redis pub/sub: channels are `prefix + channel`; one listener task per process, reconnecting by itself.

    Subscriptions are exact channels (not a pattern), so a process receives only what it has handlers for.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "wolaro:",
        reconnect_max: float = 10.0,
        timeout: float = REDIS_TIMEOUT,
    ) -> None:
        super().__init__()
        self.prefix = prefix
        self.reconnect_max = reconnect_max
        self._publisher = redis_client(url, timeout=timeout)
        # The listener handles reconnection itself (to know when messages may have been missed): no retries.
        self._listener_client = Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=max(1, int(reconnect_max)),
        )
        self._connection: RedisPubSubConnection | None = None  # set once its first SUBSCRIBE is sent
        self._confirmed: set[str] = set()  # channels Redis confirmed on the current connection
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._synced = asyncio.Event()
        self._attempted = asyncio.Event()
        self._closed = False
        self._listener_ok = True
        self._publish_ok = True
        self._lost = False  # a connection failed since the last good one: messages may have been missed
        self._backoff = INITIAL_BACKOFF
        self.reconnects = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisPubSub:
        """Redis pub/sub on `settings.redis_url`, namespaced by `settings.redis_prefix`."""
        if settings.redis_url is None:
            raise ValueError("redis_url is not set")
        return cls(settings.redis_url, prefix=settings.redis_prefix, reconnect_max=settings.redis_health_interval)

    @property
    def available(self) -> bool:  # type: ignore[override]
        """Whether Redis carries messages right now (both publishing and receiving work)."""
        return self._publish_ok and self._listener_ok

    # ------------------------------------------------------------------ subscriptions
    def subscribe(self, channel: str, handler: Handler) -> None:
        """Call `handler` for each message on `channel`; the Redis SUBSCRIBE is sent in the background."""
        if not self._add_handler(channel, handler):
            return
        self._synced.clear()
        self._changed.set()
        if self._connection is not None:
            self._spawn(self._send(self._connection, "subscribe", channel), f"pubsub:subscribe:{channel}")

    def unsubscribe(self, channel: str, handler: Handler) -> None:
        """Stop calling `handler`; the last handler of a channel leaving sends UNSUBSCRIBE."""
        if not self._remove_handler(channel, handler):
            return
        self._confirmed.discard(channel)
        self._check_synced()
        if self._connection is not None:
            self._spawn(self._send(self._connection, "unsubscribe", channel), f"pubsub:unsubscribe:{channel}")

    async def _send(self, connection: RedisPubSubConnection, command: str, channel: str) -> None:
        try:
            if command == "subscribe":
                await connection.subscribe(self.prefix + channel)
            else:
                await connection.unsubscribe(self.prefix + channel)
        except REDIS_ERRORS as exc:
            # The listener sees the same failure and resubscribes everything when it reconnects.
            log.debug("pubsub subscription change failed", command=command, channel=channel, error=repr(exc))

    def _check_synced(self) -> bool:
        if self._listener_ok and self._connection is not None and self._confirmed >= self._handlers.keys():
            self._synced.set()
            return True
        return False

    async def wait_subscribed(self, timeout: float = 5.0) -> bool:  # noqa: ASYNC109
        """Wait until Redis has confirmed every subscription made so far."""
        if not self._handlers:
            return True
        try:
            async with asyncio.timeout(timeout):
                await self._synced.wait()
        except TimeoutError:
            return False
        return True

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Start the listener and wait (briefly) for its first connection; never raises if Redis is down."""
        if self._task is not None:
            return
        self._task = asyncio.get_running_loop().create_task(self._listen_forever(), name="redis-pubsub")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(START_TIMEOUT):
                await self._attempted.wait()

    async def close(self) -> None:
        """Stop the listener, cancel deliveries in flight, close both connections."""
        self._closed = True
        await cancel_and_wait(self._task)
        await self._cancel_tasks()
        await self._publisher.aclose()
        await self._listener_client.aclose()

    # ------------------------------------------------------------------ publishing
    async def publish(self, channel: str, message: dict[str, Any]) -> bool:
        """PUBLISH to Redis; if Redis is down, or this process is not yet listening, deliver locally too.

        False when Redis did not take it (only this process's handlers saw it).
        """
        payload = encode(message)
        # Decided before publishing: a subscription confirmed by now is one Redis will deliver to. If it is not,
        # deliver locally as well; should it become active meanwhile, a handler sees the message twice, never zero
        # times (invalidations are idempotent).
        listening = self._listener_ok and self._connection is not None and channel in self._confirmed
        try:
            await self._publisher.publish(self.prefix + channel, payload)
        except REDIS_ERRORS as exc:
            if self._publish_ok:
                log.warning("redis publish failed, delivering to this process only", channel=channel, error=repr(exc))
            self._publish_ok = False
            self._deliver(channel, payload)
            return False
        if not self._publish_ok:
            log.info("redis publish works again")
            self._publish_ok = True
        if not listening:
            self._deliver(channel, payload)  # our own listener will not see this one
        return True

    # ------------------------------------------------------------------ listening
    async def _listen_forever(self) -> None:
        while not self._closed:
            if not self._handlers:
                self._changed.clear()
                self._attempted.set()
                self._synced.set()
                await self._changed.wait()
                continue
            try:
                await self._listen_once()
            except REDIS_ERRORS as exc:
                if self._listener_ok:
                    log.warning("redis pubsub lost, reconnecting", error=repr(exc), retry_max=self.reconnect_max)
                else:
                    log.debug("redis pubsub still down", error=repr(exc), retry_in=self._backoff)
                self._lost = True
                self._listener_ok = False
                self._synced.clear()
                self._attempted.set()
                await asyncio.sleep(self._backoff)
                self._backoff = min(self._backoff * 2, self.reconnect_max)

    async def _listen_once(self) -> None:
        """Subscribe to every channel on a new connection and deliver its messages until it fails."""
        connection = self._listener_client.pubsub()
        self._confirmed = set()
        connected = False
        try:
            channels = list(self._handlers)
            await connection.subscribe(*(self.prefix + channel for channel in channels))
            self._connection = connection
            # Handlers added while the first SUBSCRIBE was in flight saw no connection: subscribe them now.
            missing = [channel for channel in self._handlers if channel not in channels]
            if missing:
                await connection.subscribe(*(self.prefix + channel for channel in missing))
            while not self._closed:
                message = await connection.get_message(timeout=self.reconnect_max)
                if message is None:
                    continue
                kind = message["type"]
                if kind == "message":
                    self._deliver(self._unprefix(message["channel"]), message["data"])
                elif kind == "subscribe":
                    self._confirmed.add(self._unprefix(message["channel"]))
                    if not connected and self._confirmed >= self._handlers.keys():
                        connected = True
                        self._on_connected()
                    else:
                        self._check_synced()
                elif kind == "unsubscribe":
                    self._confirmed.discard(self._unprefix(message["channel"]))
        finally:
            self._connection = None
            self._confirmed = set()
            with contextlib.suppress(Exception):
                await connection.aclose()

    def _on_connected(self) -> None:
        """Every subscription is confirmed on a new connection."""
        self._listener_ok = True
        self._publish_ok = True  # Redis answers: the next publish will tell if not
        self._backoff = INITIAL_BACKOFF
        self._check_synced()
        self._attempted.set()
        if self._lost:
            self._lost = False
            self.reconnects += 1
            log.info("redis pubsub reconnected", reconnects=self.reconnects)
            self._spawn(self._notify_reconnected(), "pubsub:reconnected")

    def _unprefix(self, raw: bytes | str) -> str:
        channel = raw.decode() if isinstance(raw, bytes) else raw
        return channel[len(self.prefix) :] if channel.startswith(self.prefix) else channel


def make_pubsub(settings: Settings) -> PubSub:
    """In-process pub/sub without `settings.redis_url`, Redis pub/sub with it."""
    if settings.redis_url is None:
        return MemoryPubSub()
    return RedisPubSub.from_settings(settings)
