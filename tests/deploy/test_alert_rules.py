"""The shard, identify and command log alerts fire when they should and stay quiet otherwise (`promtool test rules`).

The rules are copied without their annotations (promtool compares every annotation; these tests are about when a
rule fires, and for which instance).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.deploy._tools import DEPLOY, need_tool
from tests.deploy.test_prometheus import HOW


def series(name: str, values: str, instance: str = "bot-0") -> dict[str, str]:
    return {"series": f'{name}{{instance="{instance}"}}', "values": values}


def fires(alert: str, at: str, **labels: str) -> dict[str, Any]:
    return {"eval_time": at, "alertname": alert, "exp_alerts": [{"exp_labels": labels}]}


def quiet(alert: str, at: str) -> dict[str, Any]:
    return {"eval_time": at, "alertname": alert, "exp_alerts": []}


SHARDS = [
    # bot-0 holds 2 of 4 shards; bot-1 held the other 2, could not renew from 1m and gave them up (exited) at 3m;
    # bot-2 stands by and takes them over at 6m; the API process exports the gauges as 0
    series("wolaro_shard_leases_shard_count", "4x10", "bot-0"),
    series("wolaro_shard_leases_held", "2x10", "bot-0"),
    series("wolaro_shard_leases_shard_count", "4 4 4 stale", "bot-1"),  # scrapes fail: stale
    series("wolaro_shard_leases_held", "2 2 2 stale", "bot-1"),
    series("wolaro_shard_leases_shard_count", "4x10", "bot-2"),
    series("wolaro_shard_leases_held", "0 0 0 0 0 0 2 2 2 2 2", "bot-2"),
    series("wolaro_shard_leases_takeovers_total", "0 0 0 0 0 0 2 2 2 2 2", "bot-2"),
    series("wolaro_shard_leases_renewal_failures_total", "0 0 1 stale", "bot-1"),  # then it gave up
    series("wolaro_shard_leases_shard_count", "0x10", "api"),
    series("wolaro_shard_leases_held", "0x10", "api"),
]
SHARD_CHECKS = [
    quiet("WolaroShardsUnserved", "2m"),
    quiet("WolaroShardsUnserved", "4m"),  # 2 shards unserved since 3m, not for 2m yet
    fires("WolaroShardsUnserved", "5m", severity="critical"),
    quiet("WolaroShardsUnserved", "7m"),  # taken over at 6m
    quiet("WolaroShardTakenOver", "5m"),
    fires("WolaroShardTakenOver", "7m", severity="warning", instance="bot-2"),
    quiet("WolaroShardTakenOver", "25m"),
    quiet("WolaroShardLeaseRenewalsFailing", "1m"),
    fires("WolaroShardLeaseRenewalsFailing", "2m", severity="warning", instance="bot-1"),
]

SESSIONS = [
    # bot-0 last knew 50 of 1,000 left, resetting at 5m (300 s); bot-1 spent them; the API never fetched them
    series("wolaro_identify_session_starts_remaining", "50x10", "bot-0"),
    series("wolaro_identify_session_start_limit", "1000x10", "bot-0"),
    series("wolaro_identify_session_starts_reset_timestamp_seconds", "300x10", "bot-0"),
    series("wolaro_identify_session_starts_remaining", "0x10", "bot-1"),
    series("wolaro_identify_session_start_limit", "1000x10", "bot-1"),
    series("wolaro_identify_session_starts_reset_timestamp_seconds", "300x10", "bot-1"),
    series("wolaro_identify_session_starts_remaining", "0x10", "api"),
    series("wolaro_identify_session_start_limit", "0x10", "api"),
    series("wolaro_identify_session_starts_reset_timestamp_seconds", "0x10", "api"),
]
SESSION_CHECKS = [
    {
        "eval_time": "1m",
        "alertname": "WolaroSessionStartsLow",
        "exp_alerts": [
            {"exp_labels": {"severity": "warning", "instance": "bot-0"}},
            {"exp_labels": {"severity": "warning", "instance": "bot-1"}},
        ],
    },
    fires("WolaroSessionStartsSpent", "1m", severity="critical", instance="bot-1"),
    quiet("WolaroSessionStartsLow", "6m"),  # the budget has reset since: the figure is stale
    quiet("WolaroSessionStartsSpent", "6m"),
]

COMMANDLOG = [
    series("wolaro_commandlog_write_failures_total", "0+60x10", "bot-0"),  # one refused write a second
    series("wolaro_commandlog_dropped_rows_total", "0 0 0 0 0 0 0 500 500 500 500", "bot-0"),
    series("wolaro_commandlog_write_failures_total", "0x10", "bot-1"),
    series("wolaro_commandlog_dropped_rows_total", "0x10", "bot-1"),
]
COMMANDLOG_CHECKS = [
    quiet("WolaroCommandLogWritesFailing", "4m"),
    fires("WolaroCommandLogWritesFailing", "7m", severity="warning", instance="bot-0"),
    quiet("WolaroCommandLogDrops", "6m"),
    fires("WolaroCommandLogDrops", "8m", severity="warning", instance="bot-0"),
]


def run_scenarios(tmp_path: Path, *scenarios: tuple[list[dict[str, str]], list[dict[str, Any]]]) -> str:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / "alerts.yml").write_text(yaml.safe_dump(rules))
    tests = [{"interval": "1m", "input_series": inputs, "alert_rule_test": checks} for inputs, checks in scenarios]
    (tmp_path / "tests.yml").write_text(
        yaml.safe_dump({"rule_files": ["alerts.yml"], "evaluation_interval": "1m", "tests": tests})
    )
    tool = need_tool("promtool", HOW)
    result = subprocess.run(
        [tool, "test", "rules", "tests.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_shard_alerts(tmp_path: Path) -> None:
    assert "SUCCESS" in run_scenarios(tmp_path, (SHARDS, SHARD_CHECKS))


def test_session_start_alerts(tmp_path: Path) -> None:
    assert "SUCCESS" in run_scenarios(tmp_path, (SESSIONS, SESSION_CHECKS))


def test_command_log_alerts(tmp_path: Path) -> None:
    assert "SUCCESS" in run_scenarios(tmp_path, (COMMANDLOG, COMMANDLOG_CHECKS))


def test_a_wrong_expectation_fails(tmp_path: Path) -> None:
    """The check is real: a rule expected to fire where it does not fails the run."""
    try:
        run_scenarios(tmp_path, (SHARDS, [fires("WolaroShardsUnserved", "1m", severity="critical")]))
    except AssertionError as failed:
        assert "WolaroShardsUnserved" in str(failed)
    else:
        raise AssertionError("promtool accepted a wrong expectation")
