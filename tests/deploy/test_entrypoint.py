"""The image entrypoint: shards from a StatefulSet ordinal, and a metrics server for bot and worker processes."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.deploy._tools import DEPLOY
from wolaro.settings import Settings


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"deploy_{name}", DEPLOY / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


entrypoint = load("entrypoint")
healthcheck = load("healthcheck")


def test_the_ordinal_is_the_pod_name_suffix() -> None:
    assert entrypoint.pod_ordinal("wolaro-bot-0") == 0
    assert entrypoint.pod_ordinal("wolaro-bot-12\n") == 12
    with pytest.raises(entrypoint.ShardConfigError, match="does not end in -<number>"):
        entrypoint.pod_ordinal("laptop")


def test_each_pod_gets_its_own_block_of_shards() -> None:
    assert entrypoint.shard_ids_for(0, 2, 4) == [0, 1]
    assert entrypoint.shard_ids_for(1, 2, 4) == [2, 3]
    assert entrypoint.shard_ids_for(3, 1, 4) == [3]
    blocks = [entrypoint.shard_ids_for(ordinal, 3, 12) for ordinal in range(4)]
    assert sorted(s for block in blocks for s in block) == list(range(12))


def test_a_pod_beyond_shard_count_refuses_to_start() -> None:
    with pytest.raises(entrypoint.ShardConfigError, match="SHARD_COUNT is 4"):
        entrypoint.shard_ids_for(2, 2, 4)
    with pytest.raises(entrypoint.ShardConfigError, match="at least 1"):
        entrypoint.shard_ids_for(0, 0, 4)


def test_the_environment_gets_shard_ids_the_settings_accept() -> None:
    env = {"POD_NAME": "wolaro-bot-1", "HOSTNAME": "ignored-7", "SHARDS_PER_POD": "2", "SHARD_COUNT": "4"}
    assert entrypoint.apply_ordinal_shards(env) == [2, 3]
    assert env["SHARD_IDS"] == "2,3"
    values: dict[str, Any] = {"_env_file": None, "shard_count": env["SHARD_COUNT"], "shard_ids": env["SHARD_IDS"]}
    settings = Settings(**values)
    assert settings.shard_ids == [2, 3]


def test_explicit_shard_ids_win_and_nothing_happens_without_shards_per_pod() -> None:
    env = {"HOSTNAME": "wolaro-bot-1", "SHARDS_PER_POD": "2", "SHARD_COUNT": "4", "SHARD_IDS": "0"}
    assert entrypoint.apply_ordinal_shards(env) is None
    assert env["SHARD_IDS"] == "0"
    assert entrypoint.apply_ordinal_shards({"HOSTNAME": "wolaro-bot-1"}) is None
    with pytest.raises(entrypoint.ShardConfigError, match="needs SHARD_COUNT"):
        entrypoint.apply_ordinal_shards({"HOSTNAME": "wolaro-bot-1", "SHARDS_PER_POD": "2"})


def run_entrypoint(env: dict[str, str], *args: str, cwd: Path) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SHARD_IDS", "SHARD_COUNT", "SHARDS_PER_POD"}}
    return subprocess.Popen(
        [sys.executable, str(DEPLOY / "entrypoint.py"), *args],
        env={**clean, **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_misconfigured_pod_exits_with_one_clear_line(tmp_path: Path) -> None:
    proc = run_entrypoint({"HOSTNAME": "wolaro-bot-5", "SHARDS_PER_POD": "2", "SHARD_COUNT": "4"}, "bot", cwd=tmp_path)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert out.strip().startswith("Wolaro did not start: pod 5 would run shards 10-11 but SHARD_COUNT is 4")
    assert "Traceback" not in out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_worker_serves_metrics_and_passes_the_health_check(tmp_path: Path) -> None:
    port = free_port()
    env = {
        "METRICS_PORT": str(port),
        "METRICS_ADDR": "127.0.0.1",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'w.db'}",
        "DATA_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
    }
    migrate = run_entrypoint(env, "migrate", cwd=tmp_path)
    out, _ = migrate.communicate(timeout=120)
    assert migrate.returncode == 0, out
    worker = run_entrypoint(env, "worker", cwd=tmp_path)
    try:
        body = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert worker.poll() is None, worker.communicate()[0]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
                    body = response.read().decode()
                break
            except OSError:
                time.sleep(0.3)
        assert "process_cpu_seconds_total" in body
        assert healthcheck.target({"METRICS_PORT": str(port)}) == f"http://127.0.0.1:{port}/metrics"
        check = subprocess.run(
            [sys.executable, str(DEPLOY / "healthcheck.py")],
            env={**os.environ, "METRICS_PORT": str(port)},
            capture_output=True,
            timeout=30,
            check=False,
        )
        assert check.returncode == 0
    finally:
        worker.terminate()
        worker.communicate(timeout=30)  # (it may still be starting: SIGTERM then ends it either way)
    down = subprocess.run(
        [sys.executable, str(DEPLOY / "healthcheck.py")],
        env={**os.environ, "METRICS_PORT": str(port)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert down.returncode == 1
    assert "unhealthy" in down.stderr
