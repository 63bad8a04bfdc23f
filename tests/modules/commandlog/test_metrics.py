"""The command log's metrics move with its writes: rows written, writes refused, rows dropped, rows waiting."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import Metric

from tests.modules.commandlog.conftest import Table, command
from wolaro.modules.commandlog import batch as batch_module
from wolaro.modules.commandlog import metrics
from wolaro.modules.commandlog.batch import CommandBatch
from wolaro.modules.commandlog.module import SPEC

GUILD = 11


def value(collector: Any) -> float:
    """The collector's one figure (a counter's `_total`, a gauge's value)."""
    family: Metric = collector.collect()[0]
    return next(s.value for s in family.samples if s.name in (family.name, family.name + "_total"))


def test_the_spec_exports_them() -> None:
    assert set(SPEC.metrics) == set(metrics.COLLECTORS)
    names = {collector.collect()[0].name for collector in SPEC.metrics}
    assert all(name.startswith("wolaro_commandlog_") for name in names)


async def test_a_refused_write_is_counted_and_its_rows_wait_then_are_written(table: Table) -> None:
    batch = CommandBatch(db=None)  # type: ignore[arg-type]
    written, failures = value(metrics.WRITTEN), value(metrics.WRITE_FAILURES)
    for user in (1, 2, 3):
        batch.add(GUILD, command(user))
    table.fail = True
    with pytest.raises(ConnectionError):
        await batch.flush()
    assert value(metrics.WRITE_FAILURES) == failures + 1
    assert value(metrics.PENDING) == 3
    assert value(metrics.WRITTEN) == written
    table.fail = False
    await batch.flush()
    assert value(metrics.WRITTEN) == written + 3
    assert value(metrics.PENDING) == 0
    assert len(table.rows) == 3


async def test_rows_past_the_bound_are_dropped_and_counted(table: Table, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch_module, "MAX_PENDING", 2)
    batch = CommandBatch(db=None)  # type: ignore[arg-type]
    dropped = value(metrics.DROPPED)
    for user in (1, 2, 3, 4, 5):
        batch.add(GUILD, command(user))
    assert value(metrics.DROPPED) == dropped + 3
    await batch.flush()
    assert [row["user_id"] for row in table.rows] == [4, 5]
