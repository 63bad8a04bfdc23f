"""Schemathesis over the OpenAPI schema of a live `wolaro api` process: no 5xx, no response that breaks the schema.

The API runs as its own process (`python -m wolaro.cli api`, SQLite, no Redis), Discord is the sandbox in this
process; a real Discord login through the sandbox's OAuth gives the session cookie and the CSRF header. Schemathesis
(its CLI, in a subprocess) runs twice: anonymous, and logged in as a master admin with `guild_id` pinned to guild A
and module names drawn mostly from the real ones, so the guild, module and admin routes are reached past the
access checks. Each run is bounded in examples per operation.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.support.web import World, log_in_over_http, mark_present
from wolaro.data.database import Database
from wolaro.data.models import BotGuild
from wolaro.sandbox.oauth import emulator
from wolaro.web.security import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE

pytest.importorskip("schemathesis")

SEED = int(os.environ.get("WOLARO_SCHEMATHESIS_SEED", "20240917"))
EXAMPLES = int(os.environ.get("WOLARO_SCHEMATHESIS_EXAMPLES", "12"))
#: schemathesis.toml of both runs: the two checks, everywhere except where a known defect lies outside this change.
CONFIG = """
# Integers are drawn a fifth of the time (ids in the query a third) among the edges where ids overflow a database
# column or a JavaScript number.
[dictionaries]
edge-integers = { values = [0, -1, 9007199254740993, 9223372036854775807, 9223372036854775808, 99999999999999999999] }
modules = { values = [MODULES] }

[generation.dictionaries]
integer = { dictionary = "edge-integers", probability = 0.2 }

[checks]
enabled = false
not_a_server_error.enabled = true
response_schema_conformance.enabled = true


[parameters]
"query.actor_id" = { dictionary = "edge-integers", probability = 0.3 }
"query.before" = { dictionary = "edge-integers", probability = 0.3 }
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def api_env(world: World, tmp_path: Path, database_url: str) -> dict[str, str]:
    """The process environment of `wolaro api`: the sandbox as Discord, SQLite, nothing from the developer's env."""
    from wolaro.settings import Settings

    fields = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in fields}
    sb = world.sandbox
    env.update(
        DISCORD_TOKEN=sb.token,
        DISCORD_API_BASE=sb.api_base,
        DISCORD_CLIENT_ID=str(sb.application_id),
        DISCORD_CLIENT_SECRET=emulator(sb).client_secret,
        MASTER_ADMIN_IDS=str(world.master),
        API_RATE_LIMITS="false",
        SECRET_KEY="schemathesis-secret-key-0123456789abcdef",
        API_DOCS_PUBLIC="true",
        DATA_DIR=str(tmp_path / "api"),
        DATABASE_URL=database_url,
        LOG_LEVEL="WARNING",
        LOG_FORMAT="console",
    )
    return env


def tail(log: Path) -> str:
    """The end of a process's log, for an assertion message."""
    return log.read_text(errors="replace")[-3000:]


def write_config(workdir: Path, extra_config: str) -> None:
    """`workdir/schemathesis.toml`: `CONFIG` with the real module names, then `extra_config`."""
    from wolaro.core.registry import discover_specs

    workdir.mkdir(parents=True, exist_ok=True)
    modules = ", ".join(f'"{name}"' for name in discover_specs())
    (workdir / "schemathesis.toml").write_text(CONFIG.replace("MODULES", modules) + extra_config)


@contextlib.asynccontextmanager
async def wolaro_api(env: dict[str, str], port: int, log: Path) -> AsyncIterator[str]:
    """`wolaro api` on `port` until the block ends; yields its base URL once `/api/health` answers."""
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "wolaro.cli", "api", "--host", "127.0.0.1", "--port", str(port),
            env=env, stdout=out, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            async with httpx.AsyncClient(base_url=base, timeout=2) as client:
                for _ in range(300):
                    assert process.returncode is None, tail(log)
                    with contextlib.suppress(httpx.TransportError):
                        if (await client.get("/api/health")).status_code in (200, 503):
                            break
                    await asyncio.sleep(0.1)
                else:
                    raise AssertionError("wolaro api did not answer:\n" + tail(log))
            yield base
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 20)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def schemathesis(base: str, workdir: Path, *args: str, extra_config: str = "") -> tuple[int, str]:
    """Run `schemathesis run` against `base`'s /openapi.json; its exit code and output."""
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which("schemathesis")
    assert cli, "the schemathesis CLI is not installed next to this Python"
    write_config(workdir, extra_config)
    process = await asyncio.create_subprocess_exec(
        cli, "run", f"{base}/openapi.json",
        "--max-examples", str(EXAMPLES),
        "--seed", str(SEED),
        "--workers", "1",
        "--phases", "examples,coverage,fuzzing",
        "--request-timeout", "10",
        "--max-failures", "20",
        "--no-color",
        "--suppress-health-check", "all",
        *args,
        cwd=workdir, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), timeout=240)
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace")


def logged_in_config(guild_id: int) -> str:
    """Pin `guild_id` to a guild the bot is in, and draw module names mostly among the real ones."""
    return f"""\
"path.guild_id" = {guild_id}
"path.module" = {{ dictionary = "modules", probability = 0.9 }}
"""


async def test_schemathesis_finds_no_server_error_and_no_schema_break(world: World, tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'wolaro.db'}"
    port = free_port()
    async with wolaro_api(api_env(world, tmp_path, database_url), port, tmp_path / "api.log") as base:
        db = Database(database_url, pool_size=1, max_overflow=0)
        try:
            await mark_present(db, world.sandbox.guild_ids())  # as the bot records its guilds
            async with db.session() as session:
                assert set(await session.scalars(select(BotGuild.id))) >= {world.guild_a, world.guild_b}
        finally:
            await db.dispose()

        code, anonymous = await schemathesis(base, tmp_path / "anonymous")
        assert code == 0, anonymous[-12000:]

        cookies = await log_in_over_http(base, world.master)  # a master admin: the admin routes too, and every guild
        code, logged_in = await schemathesis(
            base,
            tmp_path / "logged-in",
            "--header", f"Cookie: {SESSION_COOKIE}={cookies[SESSION_COOKIE]}; {CSRF_COOKIE}={cookies[CSRF_COOKIE]}",
            "--header", f"{CSRF_HEADER}: {cookies[CSRF_COOKIE]}",
            "--exclude-path", "/auth/logout",  # it would end the session the run is using
            "--exclude-name", "DELETE /api/me/data",  # so would erasing the user's data (and their sessions)
            extra_config=logged_in_config(world.guild_a),
        )  # fmt: skip
        assert code == 0, logged_in[-12000:]
        async with httpx.AsyncClient(base_url=base, cookies=cookies) as client:  # still logged in: the run was
            assert (await client.get("/api/me")).status_code == 200  # exercising the guild routes, not 401s
            audit = (await client.get(f"/api/guilds/{world.guild_a}/audit", params={"limit": 200})).json()
            assert audit["entries"], "no write of the logged-in run got through (session, CSRF or guild wrong?)"
        log = (tmp_path / "api.log").read_text()
        assert "Traceback" not in log, log[-5000:]
