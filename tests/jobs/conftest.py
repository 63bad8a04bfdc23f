"""Fixtures for the job scheduler tests: a private handler registry, schedulers with short timings, a recorder."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

from tests.support.jobs import FAST, Recorder
from wolaro.data.database import Database
from wolaro.jobs import JobRegistry, JobScheduler


@pytest.fixture
def registry() -> JobRegistry:
    return JobRegistry()


@pytest.fixture
def recorder(registry: JobRegistry) -> Recorder:
    """Registered as kind `test.record`."""
    handler = Recorder()
    registry.register("test.record", handler)
    return handler


@pytest_asyncio.fixture
async def make_scheduler(migrated_db: Database, registry: JobRegistry) -> AsyncIterator[Callable[..., JobScheduler]]:
    """`make_scheduler(db=None, **options)`: a scheduler on `migrated_db` (or `db`) with fast timings; stopped after."""
    made: list[JobScheduler] = []

    def build(db: Database | None = None, **options: Any) -> JobScheduler:
        scheduler = JobScheduler(db or migrated_db, registry=registry, **{**FAST, **options})
        made.append(scheduler)
        return scheduler

    yield build
    for scheduler in made:
        await scheduler.stop()


@pytest.fixture
def scheduler(make_scheduler: Callable[..., JobScheduler]) -> JobScheduler:
    return make_scheduler()
