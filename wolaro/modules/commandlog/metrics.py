"""The command log's Prometheus collectors (declared in its spec, exported on `/metrics`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

WRITTEN = Counter("wolaro_commandlog_written_rows", "Commands written to the command log table", registry=None)
WRITE_FAILURES = Counter(
    "wolaro_commandlog_write_failures",
    "Command log writes the database refused (their rows wait for the next)",
    registry=None,
)
DROPPED = Counter(
    "wolaro_commandlog_dropped_rows",
    "Commands dropped because too many waited while the database could not take them",
    registry=None,
)
PENDING = Gauge(
    "wolaro_commandlog_pending_rows",
    "Commands waiting to be written to the command log (as of the last write)",
    registry=None,
)

COLLECTORS = (WRITTEN, WRITE_FAILURES, DROPPED, PENDING)
