"""Gateway throughput and memory per guild: the Wolaro bot against a bare discord.py client.

Both clients run as subprocesses (their own core) against a Sandbox in this process:

1. throughput: a fresh sandbox (``--guilds`` x ``--members``), the client starts and answers a warm-up
   ``!ping``; then ``--events`` MESSAGE_CREATE are blasted over every text channel, followed by a
   sentinel ``!ping``; events/s = events / (first blasted frame -> the client's reply to the sentinel).
2. memory: the client logs in to 1,000 guilds of 50 members (and to 1 guild), answers ``!ping``;
   peak RSS is the process's VmHWM by then; KB per guild = (steady RSS at 1,000 - at 1) / 999.

``cpu_ratio`` = the bare client's CPU time per event / Wolaro's (above 1: Wolaro spends less CPU per event): it
holds steady when other work shares the cores, where events/s swings.

Prints ONE JSON line on stdout; progress goes to stderr. A Wolaro bot that does not come up gives
``"wolaro_eps": null`` and ``"wolaro_error"``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from wolaro.sandbox import Sandbox

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _enable_modules import enable_modules, parse_module_configs, parse_modules

ROOT = Path(__file__).resolve().parent.parent
BARE_CMD = [sys.executable, str(ROOT / "benchmarks" / "_bare_client.py")]
SENTINEL = "!ping"


def say(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


class ClientFailed(RuntimeError):
    """The client process died or never answered."""


@dataclass
class Client:
    """A client subprocess attached to a sandbox."""

    name: str
    cmd: list[str]
    sb: Sandbox
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None
    modules: tuple[str, ...] = ()
    module_configs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def start(self) -> None:
        env = {
            **os.environ,
            "DISCORD_TOKEN": self.sb.token,
            "DISCORD_API_BASE": self.sb.api_base,
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.workdir / 'bench.db'}",
            "DATA_DIR": str(self.workdir),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            # the bot is measured, not Discord's 50/s global REST limit (big bots get a raised one)
            "DISCORD_REST_GLOBAL_LIMIT": "100000",
        }
        if self.modules:  # on in every guild of this world before the bot starts (--modules)
            enable_modules(self.workdir / "bench.db", self.sb.guild_ids(), self.modules, self.module_configs)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def rss_kb(self) -> int:
        assert self.proc is not None
        return psutil.Process(self.proc.pid).memory_info().rss // 1024

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the process has used so far."""
        assert self.proc is not None
        times = psutil.Process(self.proc.pid).cpu_times()
        return float(times.user + times.system)

    def peak_kb(self) -> int:
        """VmHWM: the peak RSS since exec (ru_maxrss would include the forking parent's size)."""
        assert self.proc is not None
        with Path(f"/proc/{self.proc.pid}/status").open() as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return self.rss_kb()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 15 s."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _is_pong(sentinel_id: str) -> Any:
    def check(message: dict[str, Any]) -> bool:
        ref = (message.get("message_reference") or {}).get("message_id")
        text = (message.get("content") or "") + json.dumps(message.get("embeds") or [])
        return ref == sentinel_id or "pong" in text.lower()

    return check


async def ping(client: Client, limit_s: float) -> float:
    """Send the sentinel from a member, wait for the reply; return the perf_counter time of the reply."""
    sb = client.sb
    guild = sb.guild_ids()[0]
    channel = sb.text_channel_ids(guild)[0]
    author = sb.member_ids(guild)[1]
    sent = await sb.send_message(channel, author, SENTINEL)
    deadline = time.monotonic() + limit_s
    while True:
        if not client.alive():
            raise ClientFailed(f"{client.name} exited:\n{client.log_tail()}")
        try:
            await sb.wait_for_message(channel, predicate=_is_pong(sent["id"]), timeout=0.5)
            return time.perf_counter()
        except TimeoutError:
            if time.monotonic() > deadline:
                raise ClientFailed(
                    f"{client.name} did not answer {SENTINEL} in {limit_s}s:\n{client.log_tail()}"
                ) from None


async def bring_up(client: Client, limit_s: float) -> None:
    """Start the client, wait for every GUILD_CREATE, a warm-up ping, and REST quiet."""
    client.start()
    sb = client.sb
    deadline = time.monotonic() + limit_s
    while not sb.gateway.is_ready():
        if not client.alive():
            raise ClientFailed(f"{client.name} exited before READY:\n{client.log_tail()}")
        if time.monotonic() > deadline:
            raise ClientFailed(f"{client.name} not ready after {limit_s}s:\n{client.log_tail()}")
        with contextlib.suppress(TimeoutError):
            await sb.gateway.changed.wait_for(lambda: True if sb.gateway.is_ready() else None, 0.5, "ready")
    await ping(client, max(5.0, deadline - time.monotonic()))
    # let start-up work (command sync, caches) finish: no REST call for 0.5 s
    quiet_deadline = time.monotonic() + 15
    while time.monotonic() < quiet_deadline:
        count = len(sb.rest_log)
        await asyncio.sleep(0.5)
        if len(sb.rest_log) == count:
            break


def _modules(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """The modules (and their configs) to switch on in every guild for this client: Wolaro's only."""
    if name != "wolaro":
        return {}
    return {"modules": parse_modules(args.modules), "module_configs": parse_module_configs(args.module_config)}


async def throughput(name: str, cmd: list[str], args: argparse.Namespace, workdir: Path) -> tuple[float, float]:
    """(events/s, CPU microseconds the client spent per event): CPU time holds steady when other work shares the
    machine's cores, where events/s does not."""
    async with Sandbox(guilds=args.guilds, members_per_guild=args.members, seed=1) as sb:
        client = Client(name, cmd, sb, workdir, **_modules(name, args))
        try:
            await bring_up(client, args.startup_timeout)
            channels = [c for g in sb.guild_ids() for c in sb.text_channel_ids(g)]
            authors = [u for g in sb.guild_ids() for u in sb.member_ids(g)[1:]]
            say(f"[{name}] up; blasting {args.events} MESSAGE_CREATE over {len(channels)} channels")
            cpu_before = client.cpu_s()
            await sb.blast_messages(channels, authors, args.events)
            written = sb.last_blast["written"] - sb.last_blast["first_frame"]
            replied = await ping(client, max(60.0, args.events / 500))
            elapsed = replied - sb.last_blast["first_frame"]
            eps = args.events / elapsed
            cpu_us = (client.cpu_s() - cpu_before) / args.events * 1e6
            say(
                f"[{name}] {eps:,.0f} events/s ({elapsed:.2f}s; sandbox wrote them in {written:.2f}s "
                f"= {args.events / written:,.0f}/s); {cpu_us:.1f} us of CPU per event"
            )
            return eps, cpu_us
        finally:
            client.stop()


async def memory(
    name: str, cmd: list[str], guilds: int, members: int, args: argparse.Namespace, workdir: Path
) -> tuple[int, int]:
    """(steady RSS KB after ready, peak RSS KB) of the client in a world of ``guilds`` x ``members``."""
    async with Sandbox(guilds=guilds, members_per_guild=members, seed=2) as sb:
        client = Client(f"{name}-{guilds}g", cmd, sb, workdir, **_modules(name, args))
        try:
            await bring_up(client, args.startup_timeout)
            steady = client.rss_kb()
            peak = client.peak_kb()
        finally:
            client.stop()
        say(f"[{name}] {guilds} guilds x {members} members: RSS {steady:,} KB, peak {peak:,} KB")
        return steady, peak


async def measure(name: str, cmd: list[str], args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["eps"], out["cpu_us"] = await throughput(name, cmd, args, workdir)
    if not args.skip_memory:
        rss_many, peak_many = await memory(name, cmd, args.rss_guilds, args.rss_members, args, workdir)
        rss_one, _ = await memory(name, cmd, 1, args.rss_members, args, workdir)
        out["peak_rss_kb"] = peak_many
        out["rss_kb"] = rss_many
        out["kb_per_guild"] = round((rss_many - rss_one) / (args.rss_guilds - 1), 1)
    return out


async def main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="wolaro-bench-") as tmp:
        base = Path(tmp)
        (base / "bare").mkdir()
        (base / "wolaro").mkdir()
        bare = await measure("bare", BARE_CMD, args, base / "bare")
        wolaro: dict[str, Any] = {}
        error = None
        try:
            wolaro = await measure("wolaro", shlex.split(args.wolaro_cmd), args, base / "wolaro")
        except (ClientFailed, FileNotFoundError, TimeoutError) as exc:
            error = str(exc)
            say(f"[wolaro] failed: {error}")
    result: dict[str, Any] = {
        "events": args.events,
        "modules": list(parse_modules(args.modules)),
        "wolaro_eps": round(wolaro["eps"], 1) if "eps" in wolaro else None,
        "bare_discordpy_eps": round(bare["eps"], 1),
        "ratio": round(wolaro["eps"] / bare["eps"], 3) if "eps" in wolaro else None,
        "wolaro_cpu_us_per_event": round(wolaro["cpu_us"], 1) if "cpu_us" in wolaro else None,
        "bare_cpu_us_per_event": round(bare["cpu_us"], 1),
        "cpu_ratio": round(bare["cpu_us"] / wolaro["cpu_us"], 3) if "cpu_us" in wolaro else None,
        f"wolaro_peak_rss_kb_{args.rss_guilds}_guilds": wolaro.get("peak_rss_kb"),
        f"bare_peak_rss_kb_{args.rss_guilds}_guilds": bare.get("peak_rss_kb"),
        "wolaro_kb_per_guild": wolaro.get("kb_per_guild"),
        "bare_kb_per_guild": bare.get("kb_per_guild"),
        f"wolaro_rss_kb_{args.rss_guilds}_guilds": wolaro.get("rss_kb"),
        f"bare_rss_kb_{args.rss_guilds}_guilds": bare.get("rss_kb"),
        "guilds": args.guilds,
        "members_per_guild": args.members,
        "rss_members_per_guild": args.rss_members,
    }
    if error is not None:
        result["wolaro_error"] = error.splitlines()[0]
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="MESSAGE_CREATE events to blast")
    parser.add_argument("--wolaro-cmd", default="wolaro bot", help="command that runs the Wolaro bot")
    parser.add_argument("--guilds", type=int, default=10, help="guilds in the throughput world")
    parser.add_argument("--members", type=int, default=50, help="members per guild in the throughput world")
    parser.add_argument("--rss-guilds", type=int, default=1000, help="guilds in the memory world")
    parser.add_argument("--rss-members", type=int, default=50, help="members per guild in the memory world")
    parser.add_argument(
        "--modules", default="", help="modules to enable in every guild before Wolaro starts, e.g. economy,leveling"
    )
    parser.add_argument(
        "--module-config",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="a module's configuration in every guild, e.g. leveling='{\"cooldown_seconds\": 0}' (repeatable)",
    )
    parser.add_argument("--skip-memory", action="store_true", help="only measure throughput")
    parser.add_argument("--startup-timeout", type=float, default=180.0, help="seconds a client has to come up")
    return parser.parse_args(argv)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(parse_args()))), flush=True)
