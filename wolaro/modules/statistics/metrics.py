"""The statistics module's Prometheus collectors (declared in its spec, exported on `/metrics`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

DROPPED = Counter(
    "wolaro_statistics_dropped_events",
    "Statistics events dropped because the ingest buffer was full (the database was unreachable too long)",
    registry=None,
)
FLUSHED_EVENTS = Counter("wolaro_statistics_flushed_events", "Statistics events written to the database", registry=None)
FLUSH_FAILURES = Counter(
    "wolaro_statistics_flush_failures", "Statistics flushes that failed and will be retried", registry=None
)
BUFFERED = Gauge("wolaro_statistics_buffered_counters", "Statistics counters waiting to be written", registry=None)

COLLECTORS = (DROPPED, FLUSHED_EVENTS, FLUSH_FAILURES, BUFFERED)
