import os
import subprocess
import sys
import time


def run_cli(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "DATABASE_URL", "REDIS_URL")}
    return subprocess.run(
        [sys.executable, "-m", "wolaro.cli", *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=60,
    )


def test_run_without_token_explains_and_points_to_sandbox(tmp_path):
    result = run_cli("run", DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DISCORD_TOKEN" in result.stderr
    assert "discord.com/developers/applications" in result.stderr
    assert "wolaro sandbox" in result.stderr


def test_invalid_setting_names_the_variable(tmp_path):
    result = run_cli("run", DISCORD_TOKEN="x", DATABASE_URL="mysql://nope", DATA_DIR=str(tmp_path))
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr


def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("run", "bot", "sandbox", "migrate"):
        assert command in result.stdout


def test_migrate_creates_the_schema(tmp_path):
    result = run_cli("migrate", DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "wolaro.db").exists()


def test_a_bad_rate_stops_the_start_naming_the_variable(tmp_path):
    """Issue 8: `COMMAND_COOLDOWN_RATE=lots wolaro run` started the bot; the first command then failed."""
    result = run_cli(
        "run", DISCORD_TOKEN="x", COMMAND_COOLDOWN_RATE="lots", SHARD_IDS="0,7", SHARD_COUNT="2", DATA_DIR=str(tmp_path)
    )
    assert result.returncode == 2, result.stderr
    lines = [line.strip() for line in result.stderr.splitlines()]
    assert any(line.startswith("COMMAND_COOLDOWN_RATE: 'lots' is not a rate") for line in lines), result.stderr
    assert any(line.startswith("SHARD_IDS: shard 7 does not exist") for line in lines), result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "wolaro.db").exists()  # stopped before touching anything


SANDBOX_SERVER = """
import asyncio, sys
from wolaro.sandbox import Sandbox

async def main():
    async with Sandbox(guilds=2, members_per_guild=5, port=0) as sandbox:
        print(sandbox.api_base, sandbox.token, flush=True)
        await asyncio.to_thread(sys.stdin.read)  # until the test closes stdin

asyncio.run(main())
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Output:
    """A child's pipe, read by a thread so that a silent child cannot hang the test."""

    def __init__(self, stream) -> None:
        import threading

        self.lines: list[str] = []
        self.closed = False
        self._changed = threading.Condition()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def until(self, needle: str, timeout: float) -> list[str]:
        """The lines up to the first one containing `needle` (all of them if the pipe closed first)."""
        with self._changed:
            self._changed.wait_for(lambda: self.closed or any(needle in line for line in self.lines), timeout)
            for number, line in enumerate(self.lines):
                if needle in line:
                    return self.lines[: number + 1]
            return list(self.lines)

    def all(self, timeout: float) -> list[str]:
        """Every line, once the pipe has closed."""
        with self._changed:
            self._changed.wait_for(lambda: self.closed, timeout)
            return list(self.lines)


def test_run_opens_with_one_summary_and_no_library_noise(tmp_path):
    """Issue 8: `wolaro run` opened with alembic lines and discord.py's PyNaCl/davey voice warnings."""
    import json
    import signal

    server = subprocess.Popen(
        [sys.executable, "-c", SANDBOX_SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        api_base, token = server.stdout.readline().split()
        port = free_port()
        clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "LOG_LEVEL")}
        env = {
            **clean,
            "DISCORD_TOKEN": token,
            "DISCORD_API_BASE": api_base,
            "DATA_DIR": str(tmp_path),
            "API_PORT": str(port),
            "SECRET_KEY": "k" * 48,
            "LOG_FORMAT": "json",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "wolaro.cli", "run"], env=env, stderr=subprocess.PIPE, text=True
        )
        output = Output(process.stderr)
        try:
            head = output.until("Wolaro is running", timeout=60)
            output.until('"bot ready"', timeout=60)  # stop at a settled point: this test is about the start
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
    finally:
        server.stdin.close()
        server.wait(timeout=15)
    events = [json.loads(line) for line in head]
    summary = events[-1]["event"]
    assert summary == (
        f"Wolaro is running: the bot (connecting to Discord at {api_base.split('/')[2]}), "
        f"the dashboard at http://127.0.0.1:{port} and the job worker. Press Ctrl-C to stop."
    )
    libraries = [e for e in events if not e["logger"].startswith("wolaro.")]
    assert libraries == [], libraries  # alembic, discord.py (voice), uvicorn: nothing at INFO


def test_sandbox_dashboard_port_and_ctrl_c_says_stopping_then_stopped(tmp_path):
    """Issue 8: no flag for the dashboard's port (only API_PORT); Ctrl-C ended the transcript without a word."""
    import signal

    import httpx

    port = free_port()
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "API_PORT", "SECRET_KEY")}
    process = subprocess.Popen(
        [sys.executable, "-m", "wolaro.cli", "sandbox", "--dashboard-port", str(port), "--guilds", "1", "--rate", "0"],
        env={**clean, "DATA_DIR": str(tmp_path / "data")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    output = Output(process.stdout)
    try:
        head = output.until("Ctrl-C to stop", timeout=60)
        assert f"Dashboard on http://127.0.0.1:{port} " in "".join(head), head
        deadline = time.monotonic() + 30
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the dashboard did not answer on --dashboard-port"
                time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=40)
    rest = "".join(output.all(timeout=10))
    tail = [line.strip() for line in rest.splitlines() if line.strip()]
    assert "Stopping: the bot, the dashboard and the Discord sandbox..." in tail, rest
    assert tail[-1] == "Stopped.", rest
    assert "Traceback" not in rest
    assert process.returncode == 0


def test_help_shows_flags_without_a_value():
    """Issue 8: `--help` showed `<bool>` after flags, as if they took a value."""
    for command in ([], ["run"], ["api"], ["sandbox"], ["migrate"]):
        result = run_cli(*command, "--help")
        assert result.returncode == 0
        assert "<bool>" not in result.stdout
        assert any(
            line.split() == ["--help", "Show", "this", "message", "and", "exit."] for line in result.stdout.splitlines()
        )
    assert "--dashboard-port" in run_cli("sandbox", "--help").stdout
