"""Start-up time of the Wolaro bot in a sandbox of 1,000 guilds: process start -> "bot ready" and first reply.

A Sandbox of ``--guilds`` x ``--members`` runs in this process; ``wolaro bot`` starts as a subprocess (its own
core) on a fresh SQLite database (so the first start includes migrating it), then again on the migrated one.
For each start: seconds from ``Popen`` to READY sent to the bot, to its ``bot ready`` log line, and to its answer
to ``!ping``. Prints ONE JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gateway_throughput import Client, ClientFailed, ping, say

from wolaro.sandbox import Sandbox


class InfoClient(Client):
    """A benchmark client whose log keeps INFO lines (the "bot ready" line is one)."""

    def start(self) -> None:
        env = {
            **os.environ,
            "DISCORD_TOKEN": self.sb.token,
            "DISCORD_API_BASE": self.sb.api_base,
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.workdir / 'bench.db'}",
            "DATA_DIR": str(self.workdir),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)


async def _bot_ready(client: Client, started: float, limit_s: float) -> float:
    """Seconds from start until the bot's log says "bot ready"."""
    while time.perf_counter() - started < limit_s:
        if not client.alive():
            raise ClientFailed(f"{client.name} exited:\n{client.log_tail()}")
        if client.log_path.exists() and "bot ready" in client.log_path.read_text(errors="replace"):
            return time.perf_counter() - started
        await asyncio.sleep(0.02)
    raise ClientFailed(f"{client.name} not ready after {limit_s}s:\n{client.log_tail()}")


async def one_start(sb: Sandbox, cmd: list[str], workdir: Path, name: str, limit_s: float) -> dict[str, float]:
    client = InfoClient(name, cmd, sb, workdir)
    if client.log_path.exists():
        client.log_path.unlink()
    started = time.perf_counter()
    client.start()
    try:
        ready_log = await _bot_ready(client, started, limit_s)
        replied = await ping(client, limit_s)
        return {"bot_ready_s": round(ready_log, 2), "first_reply_s": round(replied - started, 2)}
    finally:
        client.stop()


async def main(args: argparse.Namespace) -> dict[str, Any]:
    cmd = shlex.split(args.wolaro_cmd)
    result: dict[str, Any] = {"guilds": args.guilds, "members": args.members}
    with tempfile.TemporaryDirectory(prefix="wolaro-startup-") as tmp:
        async with Sandbox(guilds=args.guilds, members_per_guild=args.members, seed=3) as sb:
            for run in range(args.runs):
                label = "fresh_db" if run == 0 else f"migrated_db_{run}"
                figures = await one_start(sb, cmd, Path(tmp), f"wolaro-{label}", args.startup_timeout)
                say(f"[{label}] {figures}")
                result[label] = figures
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wolaro-cmd", default="wolaro bot", help="command that runs the Wolaro bot")
    parser.add_argument("--guilds", type=int, default=1000)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3, help="starts: the first on a fresh database")
    parser.add_argument("--startup-timeout", type=float, default=180.0)
    return parser.parse_args(argv)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(parse_args()))))
