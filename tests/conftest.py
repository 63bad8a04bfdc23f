"""Fixtures shared by the whole test suite: settings, databases, Redis, caches, pub/sub.

Servers: tests that need PostgreSQL or Redis skip with a message saying how to enable them; with `CI=true`
they fail instead, so CI never passes by skipping.

- `postgres_url`: a fresh, empty PostgreSQL database for the test (dropped afterwards), as an asyncpg URL.
  Server from `WOLARO_TEST_POSTGRES_URL` (default postgresql://postgres@127.0.0.1:5432/test).
- `redis_url`: the Redis server from `WOLARO_TEST_REDIS_URL` (default redis://127.0.0.1:6379/0).
  Pair it with `redis_prefix`: pub/sub channels are global to a server, so namespacing isolates runs.
- `redis_server_process`: a throwaway `redis-server` this test may stop and start again (outage tests).
- `sqlite_url`, `database_url` (SQLite and PostgreSQL), `migrated_db` (a `Database` at head).
- `any_cache`, `any_pubsub`: each backend (memory, redis) in turn.
- `make_settings(**overrides)`: `Settings` untouched by the developer's `.env` or environment.
- `eventually(predicate)`: await until a condition holds, with a deadline (instead of fixed sleeps).

In parallel (pytest-xdist, `-n`: scripts/test.sh), each test still gets its own database and Redis prefix, named
after its worker (`wolaro_t_gw1_...`, `wolaro-test-gw1-...:`) so leftovers say which worker made them; private
servers take free ports. Fault figures (tests/faults) travel on the reports and are printed here, in the
controller.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import asyncpg
import discord
import pytest
import pytest_asyncio
import redis
from sqlalchemy.engine import make_url

from wolaro.core.services import upgrade_schema_async as upgrade_async
from wolaro.data.cache import Cache, MemoryCache, RedisCache
from wolaro.data.database import Database
from wolaro.data.pubsub import MemoryPubSub, PubSub, RedisPubSub
from wolaro.settings import Settings

#: The real bot against the sandbox (`sandbox`, `master_admin`, `bot`) for end-to-end tests anywhere in the tree;
#: tests/web and tests/sandbox define their own `sandbox` in their conftest.py.
pytest_plugins = ["tests.support.bot_fixtures"]

T = TypeVar("T")

POSTGRES_ENV = "WOLARO_TEST_POSTGRES_URL"
POSTGRES_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_ENV = "WOLARO_TEST_REDIS_URL"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"
#: The `user_properties` key of a fault's figures (tests/faults/conftest.py's `fault_figures`).
FAULT_FIGURES = "fault figures"
_FAULT_LINES: list[dict[str, Any]] = []


# --------------------------------------------------------------------------- helpers
def in_ci() -> bool:
    """Whether we run in CI, where a missing server is a failure rather than a skip."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def service_unavailable(message: str) -> NoReturn:
    """Skip the test (locally) or fail it (in CI) because a server it needs is missing."""
    if in_ci():
        pytest.fail(f"{message} (CI=true: servers are required)", pytrace=False)
    pytest.skip(message)


def run_sync(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion in a private thread and loop, away from the test's event loop."""
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(factory()))
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=target, name="fixture-io")
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


def worker_tag() -> str:
    """This pytest-xdist worker's id (`gw0`, `gw1`...), or `main` when the tests run in one process."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _hide_password(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _postgres_server_url() -> str:
    return os.environ.get(POSTGRES_ENV) or POSTGRES_DEFAULT


def _libpq_url(url: str) -> str:
    """The URL asyncpg itself accepts (no SQLAlchemy `+driver`)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@functools.cache
def _postgres_error(url: str) -> str | None:
    async def probe() -> None:
        connection = await asyncpg.connect(_libpq_url(url), timeout=3)
        await connection.close()

    try:
        run_sync(probe)
    except Exception as exc:
        return repr(exc)
    return None


def _redis_ping_error(url: str) -> str | None:
    try:
        with redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2) as client:
            client.ping()
    except Exception as exc:
        return repr(exc)
    return None


_redis_error = functools.cache(_redis_ping_error)


def _redis_server_url() -> str:
    return os.environ.get(REDIS_ENV) or REDIS_DEFAULT


# --------------------------------------------------------------------------- kinds of tests
def _slow_file(path: Path) -> bool:
    """A file of long tests: end-to-end, browser or fault injection."""
    return path.name.endswith("_e2e.py") or "browser" in path.name or "browser" in path.parts or "faults" in path.parts


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its kind, so `-m "not e2e and not integration"` is the quick run; slow files first.

    `e2e`: a file named `*_e2e.py` (the real bot through the sandbox); `integration`: a test that needs PostgreSQL or
    Redis (its `postgres` / `redis` marks). The files of long tests run first (each file's tests stay together and in
    order): in parallel (scripts/test.sh), the quick files then fill the gaps instead of one long file ending last.
    """
    items.sort(key=lambda item: not _slow_file(item.path))
    for item in items:
        if item.path.name.endswith("_e2e.py"):
            item.add_marker(pytest.mark.e2e)
        if item.get_closest_marker("postgres") or item.get_closest_marker("redis"):
            item.add_marker(pytest.mark.integration)


# --------------------------------------------------------------------------- fault figures
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Keep the fault figures a test recorded (its teardown report carries them all, from any worker)."""
    if report.when == "teardown":
        _FAULT_LINES.extend(value for key, value in report.user_properties if key == FAULT_FIGURES)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print every recorded fault figure (one JSON line each)."""
    if not _FAULT_LINES or "PYTEST_XDIST_WORKER" in os.environ:
        return
    terminalreporter.section("fault figures")
    for line in _FAULT_LINES:
        terminalreporter.write_line(json.dumps(line))


# --------------------------------------------------------------------------- discord.py endpoints
@pytest.fixture(autouse=True)
def restore_discord_endpoints() -> Iterator[None]:
    """`point_discord_at` (sandbox, worker) patches discord.py's module globals: restore them after each test."""
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.asset.Asset.BASE)
    yield
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.asset.Asset.BASE = saved


# --------------------------------------------------------------------------- settings
@pytest.fixture
def make_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Settings]:
    """Build `Settings(**overrides)` from defaults only: no `.env`, no WOLARO-relevant environment variables.

    `data_dir` defaults to a folder under the test's tmp_path.
    """
    fields = {name.lower() for name in Settings.model_fields}
    for key in list(os.environ):
        if key.lower() in fields:
            monkeypatch.delenv(key)

    def build(**overrides: Any) -> Settings:
        overrides.setdefault("data_dir", tmp_path / "data")
        return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]

    return build


@pytest.fixture
def eventually() -> Callable[..., Awaitable[None]]:
    """`await eventually(predicate, timeout=5.0)`: poll `predicate()` (sync or async) until true, else fail."""

    async def wait(
        predicate: Callable[[], Any],
        timeout: float = 5.0,  # noqa: ASYNC109
        interval: float = 0.002,
        message: str = "",
    ) -> None:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return
            if time.monotonic() > deadline:
                pytest.fail(f"condition not met within {timeout} s {message}".strip())
            await asyncio.sleep(interval)

    return wait


# --------------------------------------------------------------------------- PostgreSQL
@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The PostgreSQL server for tests (an admin URL), after checking it answers."""
    url = _postgres_server_url()
    error = _postgres_error(url)
    if error:
        service_unavailable(
            f"PostgreSQL not reachable at {_hide_password(url)} ({error}): start it or set {POSTGRES_ENV}"
        )
    return url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh database `wolaro_t_<random>` for this test, as a `postgresql+asyncpg://` URL; dropped after."""
    name = f"wolaro_t_{worker_tag()}_{secrets.token_hex(6)}"
    admin = _libpq_url(postgres_server_url)

    async def create() -> None:
        connection = await asyncpg.connect(admin, timeout=10)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    async def drop() -> None:
        connection = await asyncpg.connect(admin, timeout=10)
        try:
            await connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    run_sync(create)
    try:
        yield (
            make_url(postgres_server_url)
            .set(drivername="postgresql+asyncpg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        run_sync(drop)


# --------------------------------------------------------------------------- SQLite and either database
@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file (not yet created) under the test's tmp_path."""
    return f"sqlite+aiosqlite:///{tmp_path / 'wolaro.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database, once SQLite (the embedded default) and once PostgreSQL."""
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))


@pytest_asyncio.fixture
async def migrated_db(database_url: str) -> AsyncIterator[Database]:
    """A `Database` on `database_url` with every migration applied."""
    await upgrade_async(database_url)
    db = Database(database_url, pool_size=5, max_overflow=5)
    try:
        yield db
    finally:
        await db.dispose()


# --------------------------------------------------------------------------- Redis
@pytest.fixture(scope="session")
def redis_url() -> str:
    """The shared Redis server for tests, after checking it answers. Namespace keys with `redis_prefix`."""
    url = _redis_server_url()
    error = _redis_error(url)
    if error:
        service_unavailable(f"Redis not reachable at {_hide_password(url)} ({error}): start it or set {REDIS_ENV}")
    return url


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key and channel prefix unique to this test (`wolaro-test-<random>:`); its keys are deleted after."""
    prefix = f"wolaro-test-{worker_tag()}-{secrets.token_hex(6)}:"
    yield prefix
    url = _redis_server_url()
    if _redis_error(url) is None:
        with redis.Redis.from_url(url, socket_timeout=5) as client:
            keys = list(client.scan_iter(match=prefix + "*", count=1000))
            for start in range(0, len(keys), 500):
                client.unlink(*keys[start : start + 500])


class RedisServer:
    """A private `redis-server` on a free port, which a test may stop and start again (same port)."""

    def __init__(self, executable: str, port: int, workdir: Path) -> None:
        self.executable = executable
        self.port = port
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and return once it answers PING."""
        if self.running:
            return
        options = {"port": self.port, "bind": "127.0.0.1", "save": "", "appendonly": "no", "daemonize": "no"}
        options.update({"dir": self.workdir, "loglevel": "warning"})
        args = [self.executable]
        for name, value in options.items():
            args += [f"--{name}", str(value)]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode} (port {self.port} taken?)")
            if _redis_ping_error(self.url) is None:
                return
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"redis-server on port {self.port} did not answer within {timeout} s")

    def stop(self) -> None:
        """Kill the server at once (clients see their connections drop) and wait for it to exit."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.process = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def redis_server_process(tmp_path: Path) -> Iterator[RedisServer]:
    """A running throwaway Redis (see `RedisServer`: `.url`, `.stop()`, `.start()`), stopped after the test."""
    executable = shutil.which("redis-server")
    if executable is None:
        service_unavailable("redis-server not found on PATH: install Redis (apt-get install redis-server)")
    workdir = tmp_path / "redis"
    workdir.mkdir()
    server = RedisServer(executable, _free_port(), workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- caches and pub/sub
@pytest_asyncio.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def any_cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    """A cache, once in memory and once in Redis (namespaced by `redis_prefix`)."""
    cache: Cache
    if request.param == "memory":
        cache = MemoryCache()
    else:
        cache = RedisCache(request.getfixturevalue("redis_url"), prefix=request.getfixturevalue("redis_prefix"))
    try:
        yield cache
    finally:
        await cache.close()


@pytest_asyncio.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def any_pubsub(request: pytest.FixtureRequest) -> AsyncIterator[PubSub]:
    """A started pub/sub, once in memory and once over Redis (namespaced by `redis_prefix`)."""
    pubsub: PubSub
    if request.param == "memory":
        pubsub = MemoryPubSub()
    else:
        pubsub = RedisPubSub(
            request.getfixturevalue("redis_url"), prefix=request.getfixturevalue("redis_prefix"), reconnect_max=0.5
        )
    await pubsub.start()
    try:
        yield pubsub
    finally:
        await pubsub.close()
