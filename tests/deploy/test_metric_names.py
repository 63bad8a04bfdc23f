"""The Grafana dashboard and the alert rules query only metrics the code really exports."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import yaml
from prometheus_client import REGISTRY, Metric

# imported for the metrics they register in the default registry: the bot's, the outbox relay's counter, the
# Discord REST counters, the identify gate's and the shard leases' figures, and the job backlog gauges
import wolaro.core.config_outbox
import wolaro.core.identify
import wolaro.core.metrics
import wolaro.core.rest_budget
import wolaro.core.shard_leases
import wolaro.jobs.backlog  # noqa: F401
from tests.deploy._tools import DEPLOY
from wolaro.core.registry import discover_specs
from wolaro.core.services import register_metrics
from wolaro.web.routes.health import WebCollector

SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}
# made by Prometheus itself for every target
PROMETHEUS_OWN = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset"}


def series_names(families: Iterable[Metric]) -> set[str]:
    names: set[str] = set()
    for family in families:
        for suffix in SUFFIXES.get(family.type, ("",)):
            names.add(family.name + suffix)
        names.update(sample.name for sample in family.samples)
    return names


def exported() -> set[str]:
    """Every series name a Wolaro process serves: the default registry plus the API's scrape-time collector."""
    return series_names(exported_families())


def exported_families() -> list[Metric]:
    """Every metric family a Wolaro process serves (the default registry, the API's scrape-time collector)."""
    web: Any = SimpleNamespace(
        services=SimpleNamespace(
            cache=SimpleNamespace(stats=lambda: {"hit_rate": 0.5, "redis_available": 1}),
            config=SimpleNamespace(stats=lambda: {"local_hit_rate": 0.9, "local_entries": 3}),
        ),
        hub=SimpleNamespace(stats=lambda: {"totalConnections": 1, "connectedUsers": 1, "rooms": 1, "forwarded": 2}),
        security=SimpleNamespace(rejected=0),
    )
    register_metrics(discover_specs())  # the modules' own collectors (statistics' ingest drops...), as on /metrics
    return [*REGISTRY.collect(), *WebCollector(web).collect()]


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (not functions, keywords, labels or durations)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"(?<![A-Za-z0-9_:])\d+(\.\d+)?([eE][+-]?\d+)?", "", expr)  # numbers such as 1.5e9
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)  # label lists
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
        word = match.group(0)
        following = expr[match.end() :].lstrip()
        if following.startswith("(") or word in PROMQL_WORDS:
            continue
        names.add(word)
    return names


def dashboard_exprs() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "wolaro.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def alert_exprs() -> list[str]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def test_the_expression_parser_finds_metric_names() -> None:
    expr = 'histogram_quantile(0.99, sum by (le, instance) (rate(wolaro_command_latency_seconds_bucket{job="x"}[5m])))'
    assert metric_names(expr) == {"wolaro_command_latency_seconds_bucket"}
    assert metric_names('up{job=~"wolaro-.*"} == 0 and on (instance) made_up_total > 1.5e9') == {"up", "made_up_total"}


def test_the_bot_metrics_are_exported() -> None:
    names = exported()
    for name in ("wolaro_commands_total", "wolaro_command_latency_seconds_bucket", "wolaro_gateway_events_total"):
        assert name in names
    assert "wolaro_api_rate_limited_total" in names


def test_grafana_queries_only_exported_metrics() -> None:
    exprs = dashboard_exprs()
    assert len(exprs) >= 10
    unknown = {name for expr in exprs for name in metric_names(expr)} - exported() - PROMETHEUS_OWN
    assert not unknown, f"the dashboard queries metrics nothing exports: {sorted(unknown)}"


def test_every_wolaro_metric_has_a_dashboard_panel() -> None:
    """A metric added to the code without a panel fails here: the dashboard shows everything Wolaro exports."""
    queried = {name for expr in dashboard_exprs() for name in metric_names(expr)}
    missing = sorted(
        family.name
        for family in exported_families()
        if family.name.startswith("wolaro_") and not series_names([family]) & queried
    )
    assert not missing, f"exported but on no dashboard panel: {missing}"


def test_alert_rules_read_only_exported_metrics() -> None:
    exprs = alert_exprs()
    unknown = {name for expr in exprs for name in metric_names(expr)} - exported() - PROMETHEUS_OWN
    assert not unknown, f"the alert rules read metrics nothing exports: {sorted(unknown)}"


def test_every_dashboard_panel_uses_the_provisioned_datasource() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "wolaro.json").read_text())
    provisioned = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uid = provisioned["datasources"][0]["uid"]
    assert {panel["datasource"]["uid"] for panel in dashboard["panels"]} == {uid}
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
