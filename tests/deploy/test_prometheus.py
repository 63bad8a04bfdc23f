"""The Prometheus configs and alert rules pass `promtool check` (Debian's `prometheus` package)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.deploy._tools import DEPLOY, need_tool

HOW = "apt-get install prometheus (scripts/test.sh does it in CI)"


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    tool = need_tool("promtool", HOW)
    return subprocess.run([tool, "check", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def test_alert_rules_pass_promtool() -> None:
    result = promtool("rules", "alerts.yml", cwd=DEPLOY / "prometheus")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_compose_scrape_config_passes_promtool() -> None:
    result = promtool("config", "prometheus.yml", cwd=DEPLOY / "prometheus")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout


def test_kubernetes_scrape_config_passes_promtool(tmp_path: Path) -> None:
    """Laid out as the ConfigMap and the Secret mount put it: the config, the rules beside it, secrets/."""
    shutil.copy(DEPLOY / "k8s" / "prometheus.yml", tmp_path / "prometheus.yml")
    shutil.copy(DEPLOY / "prometheus" / "alerts.yml", tmp_path / "alerts.yml")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "METRICS_TOKEN").write_text("token\n")
    result = promtool("config", "prometheus.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rejects_a_broken_rule(tmp_path: Path) -> None:
    """The check is real: an expression that does not parse fails it."""
    (tmp_path / "bad.yml").write_text(
        "groups:\n  - name: x\n    rules:\n      - alert: Bad\n        expr: sum(rate(wolaro_commands_total[5m])\n"
    )
    result = promtool("rules", "bad.yml", cwd=tmp_path)
    assert result.returncode != 0
