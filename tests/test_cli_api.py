"""`wolaro api`: the dashboard alone, as scale-out runs it."""

import os
import socket
import subprocess
import sys
import time

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**env: str) -> dict[str, str]:
    skip = {"DISCORD_TOKEN", "DATABASE_URL", "REDIS_URL", "API_PORT", "API_HOST"}
    return {**{k: v for k, v in os.environ.items() if k not in skip}, **env}


def test_api_help_and_listing():
    result = subprocess.run(
        [sys.executable, "-m", "wolaro.cli", "api", "--help"], capture_output=True, text=True, env=clean_env()
    )
    assert result.returncode == 0 and "--port" in result.stdout
    listing = subprocess.run([sys.executable, "-m", "wolaro.cli", "--help"], capture_output=True, text=True)
    assert " api " in listing.stdout


def test_api_serves_health_without_a_bot_token(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "wolaro.cli", "api", "--port", str(port)],
        env=clean_env(
            DATA_DIR=str(tmp_path),
            LOG_FORMAT="console",
            SECRET_KEY="cli-test-secret-key-0123456789abcdef0123",
            METRICS_ALLOW_IPS="127.0.0.1",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                resp = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
                assert time.monotonic() < deadline, "wolaro api did not answer"
                time.sleep(0.1)
        assert resp.status_code == 200 and resp.json()["database"] == "connected"
        assert resp.json()["gateway"] == "not reported"
        assert httpx.get(f"http://127.0.0.1:{port}/api/me").status_code == 401
        # issue 8: /favicon.ico was a 404 on every page
        icon = httpx.get(f"http://127.0.0.1:{port}/favicon.ico")
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
        assert icon.content.startswith(b"<svg") and b"</svg>" in icon.content
        page = httpx.get(f"http://127.0.0.1:{port}/guilds/123/no-such-page", headers={"Accept": "text/html"})
        assert page.status_code == 404 and "text/html" in page.headers["content-type"]
        assert '<link rel="icon" href="/favicon.ico"' in page.text
    finally:
        process.terminate()
        assert process.wait(timeout=15) == 0
