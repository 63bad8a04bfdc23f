"""The worker as the platform runs it: `services.jobs`, the worker component, and `wolaro worker`."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.jobs import ago, job_row
from wolaro.app import worker_component
from wolaro.core.services import Services
from wolaro.jobs import JobContext, JobScheduler
from wolaro.settings import Settings

Eventually = Callable[..., Awaitable[None]]
KIND = "test.component"


@pytest.fixture
def component_handler() -> Iterator[list[tuple[Any, int | None]]]:
    """What the test handler saw (registered on the process's scheduler by the test)."""
    yield []


async def test_worker_component_runs_jobs_with_the_process_services(
    database_url: str,
    make_settings: Callable[..., Settings],
    component_handler: list[tuple[Any, int | None]],
    eventually: Eventually,
) -> None:
    settings = make_settings(database_url=database_url, jobs_poll_interval=0.05)
    services = await Services.start(settings)
    try:
        assert isinstance(services.jobs, JobScheduler)
        assert services.jobs.poll_interval == 0.05
        assert services.jobs.services is services  # given at construction, not wired afterwards
        assert {"moderation.unban", "reminders.deliver", "antiraid.end"} <= set(services.jobs.registry.kinds())

        async def handler(ctx: JobContext, payload: dict[str, Any]) -> None:
            component_handler.append((ctx.services, ctx.guild_id))

        services.jobs.registry.register(KIND, handler)
        job_id = await services.jobs.schedule(KIND, run_at=ago(), guild_id=12, payload={})
        stop = asyncio.Event()
        worker = asyncio.create_task(worker_component(services, stop))
        await eventually(lambda: component_handler, timeout=5)
        assert component_handler == [(services, 12)]
        await eventually(lambda: _done(services, job_id), timeout=5)
        stop.set()
        await asyncio.wait_for(worker, 5)
        assert not services.jobs.running
    finally:
        await services.close()


async def _done(services: Services, job_id: int) -> bool:
    return (await job_row(services.db, job_id)).status == "done"


def _cli(*args: str, env: dict[str, str] | None = None, **kwargs: Any) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "DATABASE_URL", "REDIS_URL")}
    return subprocess.Popen(
        [sys.executable, "-m", "wolaro.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**clean, **(env or {})},
        **kwargs,
    )


def test_worker_command_help() -> None:
    out, err = _cli("worker", "--help").communicate(timeout=60)
    assert "job worker" in out, err
    listing, _ = _cli("--help").communicate(timeout=60)
    assert "worker" in listing


def test_worker_command_runs_without_a_token_and_stops_on_sigterm(tmp_path: Path) -> None:
    process = _cli("worker", env={"DATA_DIR": str(tmp_path), "LOG_FORMAT": "json"})
    try:
        assert process.stderr is not None
        lines: list[str] = []
        for line in process.stderr:
            lines.append(line)
            if "job worker running" in line:
                break
        else:
            pytest.fail("the worker never reported running:\n" + "".join(lines))
        process.send_signal(signal.SIGINT if os.name == "nt" else signal.SIGTERM)
        assert process.wait(timeout=30) == 0, "".join(lines) + process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (tmp_path / "wolaro.db").exists()
