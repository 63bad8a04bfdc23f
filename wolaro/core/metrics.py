"""Prometheus metrics counted in the bot's core (exposed by the API's `/metrics` in the same process).

Commands are counted where they complete (`WolaroBot._record`). Gateway events are counted by wrapping
discord.py's parsers with a plain dict increment (no lock, no label lookup per event: the hot path stays
cheap), turned into a Prometheus counter only when scraped.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

COMMANDS = Counter("wolaro_commands", "Commands completed, by outcome (success, invalid, denied, error)", ["status"])
COMMAND_LATENCY = Histogram(
    "wolaro_command_latency_seconds",
    "Time from invocation to completion of a command",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


#: `COMMANDS` by outcome, looked up once each (a label lookup takes a lock and builds a key per call).
_COMMANDS_BY_STATUS: dict[str, Counter] = {}


def record_command(status: str, latency_seconds: float) -> None:
    """Count one completed command."""
    counter = _COMMANDS_BY_STATUS.get(status)
    if counter is None:
        counter = _COMMANDS_BY_STATUS[status] = COMMANDS.labels(status)
    counter.inc()
    COMMAND_LATENCY.observe(latency_seconds)


class GatewayEvents(Collector):
    """Gateway dispatches received, by event type."""

    def __init__(self) -> None:
        self.counts: Tally[str] = Tally()

    def collect(self) -> Iterator[CounterMetricFamily]:
        """The counts as `wolaro_gateway_events_total{event=...}`."""
        family = CounterMetricFamily("wolaro_gateway_events", "Gateway events received, by type", labels=["event"])
        for event, count in sorted(self.counts.items()):
            family.add_metric([event], count)
        yield family


GATEWAY_EVENTS = GatewayEvents()
REGISTRY.register(GATEWAY_EVENTS)


def count_gateway_events(state: Any) -> None:
    """Wrap every parser of a discord.py ConnectionState so each dispatch is counted by type."""
    parsers: dict[str, Callable[[Any], None]] = state.parsers
    counts = GATEWAY_EVENTS.counts
    for event, parser in list(parsers.items()):
        if getattr(parser, "_wolaro_counted", False):
            continue

        def counted(data: Any, _parser: Callable[[Any], None] = parser, _event: str = event) -> None:
            counts[_event] += 1
            _parser(data)

        counted._wolaro_counted = True  # type: ignore[attr-defined]
        parsers[event] = counted
