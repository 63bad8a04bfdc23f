"""The compose file is valid for Compose and lays out the deployment the docs promise."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
import yaml

from tests.conftest import in_ci
from tests.deploy._tools import DEPLOY

COMPOSE = DEPLOY / "compose.yaml"
ENV = DEPLOY / ".env.example"


def compose_command() -> list[str]:
    """`docker compose` (the v2 plugin) when installed, else Debian's `docker-compose` (v1.29, compose-spec schema)."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, timeout=30, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    message = "neither `docker compose` nor `docker-compose` is installed: apt-get install docker-compose"
    if in_ci():
        pytest.fail(f"{message} (CI=true: scripts/test.sh installs it)", pytrace=False)
    pytest.skip(message)


def config(*extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*compose_command(), "-f", str(COMPOSE), "--env-file", str(ENV), *extra, "config", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_compose_config_passes() -> None:
    result = config()
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_config_refuses_a_broken_file(tmp_path: Any) -> None:
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  bot:\n    image: wolaro\n    depends_on: [nowhere]\n")
    result = subprocess.run(
        [*compose_command(), "-f", str(broken), "config", "-q"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0


def services() -> dict[str, Any]:
    """The services as written (YAML anchors merged; ${VARIABLES} left as text, the checks below need none)."""
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_the_deployment_has_every_part() -> None:
    names = set(services())
    assert {"postgres", "redis", "migrate", "worker", "proxy", "prometheus", "grafana"} <= names
    assert len([n for n in names if n.startswith("bot-")]) == 2
    assert len([n for n in names if n.startswith("api-")]) == 2


def test_bot_processes_split_the_shards_exactly() -> None:
    bots = {name: svc for name, svc in services().items() if name.startswith("bot-")}
    counts = {int(svc["environment"]["SHARD_COUNT"]) for svc in bots.values()}
    assert len(counts) == 1
    shards = sorted(int(s) for svc in bots.values() for s in svc["environment"]["SHARD_IDS"].split(","))
    assert shards == list(range(counts.pop()))


def test_the_proxy_passes_websocket_upgrades_to_both_apis() -> None:
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text()
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $connection_upgrade;" in conf
    for name in (n for n in services() if n.startswith("api-")):
        assert f"server {name}:8080" in conf


def test_every_wolaro_process_runs_as_the_image_user_with_a_health_check() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    stages = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert len(stages) >= 2, "multi-stage build"
    user = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert user and not user[-1].startswith(("0", "root"))
    assert any(line.startswith("HEALTHCHECK ") for line in dockerfile.splitlines())
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            for source in line.split()[1:-1]:
                assert (DEPLOY.parent / source).exists(), source
