"""Command round trip at a steady rate: the Wolaro bot against a bare discord.py client, plus the limiter alone.

1. round trip: each client runs as a subprocess (its own core) against a Sandbox in this process. ``!ping`` is
   posted at ``--rate`` commands per second for ``--seconds`` (open loop: on schedule, whatever the answers
   do), by a different member each time (so the bot's per-user cooldowns are not what is measured) and in a
   channel with no command in flight, so the reply is matched by its channel. Round trip = the user's
   message posted -> the client's first message in that channel reaches the sandbox's REST. CPU% is the
   client processes' user+system time over the sending window (100 = one core); CPU ms per command is their time
   from the first command sent to the last answer, over the commands sent: it holds steady when other work
   shares the cores. ``--processes N`` runs Wolaro as N bot processes of one shard each (the sandbox routes
   guilds by ``(guild_id >> 22) % N``; each has its own SQLite file, as every guild lives on one process), the
   scale-out a big bot uses; the bare client stays one process. Each client first gets ``--warmup-seconds``
   (3 by default) of the same workload, not measured: its caches and connection pools are those of a bot that
   has been running.

   ``--mix`` sends the Wolaro bot a mix of everyday read commands from several modules in turn (``!ping``,
   ``!help``, ``!prefix``, ``!balance``, ``!levels``, ``!coinflip``, ``!roll 2d6`` by default; the modules they
   need are switched on in every guild before the bot starts, ``--modules``), with p50/p99 per command and
   overall; each reply is checked to be the command's answer, not a refusal (``wrong_answers``). The bare
   client answers only ``!ping``: its ``!ping`` in the same run is the baseline. ``--alone-seconds N`` then sends
   each command of the mix alone for N seconds (same rate, same bot process): CPU ms per command of each.
2. limiter: the bot's memory limiter (``LoopMemoryStorage``) against the ``limits`` library's own async
   ``MemoryStorage``, both under the library's moving-window strategy, in this process: hits/s flat out and
   CPU per hit, then the CPU% at ``--limiter-rate`` hits/s, each with ``--limiter-keys`` keys active.

Prints ONE JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
from _enable_modules import parse_modules
from gateway_throughput import BARE_CMD, Client, ClientFailed, bring_up, say
from limits import parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from sharded_throughput import one_guild_per_shard, start, wait_up

from wolaro.core.ratelimit import LoopMemoryStorage
from wolaro.logging import configure_logging
from wolaro.sandbox import Sandbox


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


#: The commands a mixed workload can hold: name -> (message sent, text every right answer contains). Read
#: commands only, none needing a permission a member lacks; the modules they belong to are in `MIX_MODULES`.
MIX: dict[str, tuple[str, str]] = {
    "ping": ("!ping", "pong"),
    "help": ("!help", "commands"),
    "prefix": ("!prefix", "the prefix here is"),
    "balance": ("!balance", "wallet"),
    "levels": ("!levels", "xp"),
    "coinflip": ("!coinflip", "🪙"),
    "roll": ("!roll 2d6", "🎲"),
    # renders a PNG card (Pillow, in a thread) and fetches the avatar: tens of ms of CPU, not a cheap read
    "rank": ("!rank", "xp, rank #"),
}
#: The default mix: every cheap read above (not `rank`).
DEFAULT_MIX = "ping,help,prefix,balance,levels,coinflip,roll"
MIX_MODULES = "economy,leveling"
PING_ONLY = {"ping": MIX["ping"]}


def answer_text(message: dict[str, Any]) -> str:
    """A reply's content and embeds as lowercase text, to check it is the command's answer."""
    return ((message.get("content") or "") + json.dumps(message.get("embeds") or [], ensure_ascii=False)).lower()


def latency_figures(latencies: list[float]) -> dict[str, Any]:
    """p50, p99 and max of round trips in ms."""
    return {
        "answered": len(latencies),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies), 2),
    }


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes have used so far, together."""
    total = 0.0
    for pid in pids:
        times = psutil.Process(pid).cpu_times()
        total += times.user + times.system
    return total


class Sender:
    """Posts commands into a sandbox on schedule, each in a channel with nothing in flight, and times the replies.

    A round trip = the user's message posted -> the client's first message in that channel reaching the REST.
    """

    def __init__(self, sb: Sandbox, workload: dict[str, tuple[str, str]]) -> None:
        self.sb = sb
        self.workload = workload
        self.slots = [(c, g) for g in sb.guild_ids() for c in sb.text_channel_ids(g)]
        self.authors = {g: sb.member_ids(g)[1:] for g in sb.guild_ids()}
        self.pending: dict[int, tuple[float, str, asyncio.Future[float]]] = {}
        self.wrong: dict[str, int] = {}
        self.wrong_sample: dict[str, str] = {}
        self.slot = 0
        self.sent_by: dict[int, int] = {}
        record_output = sb.record_output

        def timed_output(kind: str, channel_id: int, message: dict[str, Any], **extra: Any) -> None:
            # a wrapper rather than an observer: observers build an event dict per message in this busy loop
            if kind == "message":
                waiting = self.pending.pop(channel_id, None)
                if waiting is not None and not waiting[2].done():
                    waiting[2].set_result(time.perf_counter() - waiting[0])
                    self.check(waiting[1], message)
            record_output(kind, channel_id, message, **extra)

        sb.record_output = timed_output  # type: ignore[method-assign]

    def check(self, command: str, message: dict[str, Any]) -> None:
        """Count a reply that is not the command's answer (a refusal, an error)."""
        text = answer_text(message)
        if self.workload[command][1] not in text and "rank.png" not in json.dumps(message.get("attachments") or []):
            self.wrong[command] = self.wrong.get(command, 0) + 1
            self.wrong_sample.setdefault(command, text[:160])

    async def window(
        self, commands: list[str], rate: float, seconds: float, pids: list[int]
    ) -> tuple[list[tuple[str, asyncio.Future[float]]], int, float, float, float]:
        """Send `commands` in turn at `rate` for `seconds`: (sent, skipped as every channel was busy, seconds
        sending, CPU seconds of processes `pids` while sending, and until the answers came (a backlog's work too))."""
        total = int(rate * seconds)
        interval = 1.0 / rate
        futures: list[tuple[str, asyncio.Future[float]]] = []
        busy_skips = 0
        cpu_before = cpu_seconds(pids)
        started = time.perf_counter()
        for n in range(total):
            delay = started + n * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            for _ in range(len(self.slots)):  # the next channel with nothing in flight
                channel, guild = self.slots[self.slot % len(self.slots)]
                self.slot += 1
                if channel not in self.pending:
                    break
            else:
                busy_skips += 1
                continue
            members = self.authors[guild]
            author = members[self.sent_by.get(guild, 0) % len(members)]
            self.sent_by[guild] = self.sent_by.get(guild, 0) + 1
            command = commands[n % len(commands)]
            future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            self.pending[channel] = (time.perf_counter(), command, future)
            futures.append((command, future))
            await self.sb.send_message(channel, author, self.workload[command][0])
        sending = time.perf_counter() - started
        cpu_sending = cpu_seconds(pids) - cpu_before
        if futures:
            await asyncio.wait([f for _, f in futures], timeout=10)
        return futures, busy_skips, sending, cpu_sending, cpu_seconds(pids) - cpu_before


async def round_trips(
    name: str,
    cmd: list[str],
    args: argparse.Namespace,
    workdir: Path,
    workload: dict[str, tuple[str, str]],
    modules: tuple[str, ...] = (),
    processes: int = 1,
) -> dict[str, Any]:
    async with Sandbox(
        guilds=args.guilds,
        members_per_guild=args.members,
        text_channels_per_guild=args.channels,
        shards=processes,
        seed=3,
    ) as sb:
        clients: list[Client] = []
        try:
            clients = await started(name, cmd, sb, workdir, modules, processes, args.startup_timeout)
            pids = [client.proc.pid for client in clients if client.proc is not None]
            sender = Sender(sb, workload)
            say(f"[{name}] up; {', '.join(workload)} at {args.rate}/s over {len(sender.slots)} channels")
            if args.warmup_seconds > 0:  # caches filled, pools opened: a running bot's steady state is measured
                await sender.window(list(workload), args.rate, args.warmup_seconds, pids)
            futures, busy_skips, sending, cpu, cpu_all = await sender.window(
                list(workload), args.rate, args.seconds, pids
            )
            latencies = [f.result() * 1000 for _, f in futures if f.done()]
            if not latencies:
                tails = "\n".join(client.log_tail() for client in clients)
                raise ClientFailed(f"{name} answered none of {len(futures)} commands:\n{tails}")
            result = {
                "sent": len(futures),
                **latency_figures(latencies),
                "skipped_all_channels_busy": busy_skips,
                "achieved_rate": round(len(futures) / sending, 1),
                "cpu_percent": round(100 * cpu / sending, 1),
                "cpu_ms_per_command": round(1000 * cpu_all / len(futures), 3),
            }
            if len(workload) > 1:
                result["per_command"] = {
                    command: latency_figures([f.result() * 1000 for c, f in futures if c == command and f.done()])
                    for command in workload
                    if any(c == command and f.done() for c, f in futures)
                }
                if args.alone_seconds > 0:  # each command alone, for its own CPU cost
                    result["alone"] = {}
                    for command in workload:
                        alone, _, alone_sending, _, alone_cpu = await sender.window(
                            [command], args.rate, args.alone_seconds, pids
                        )
                        done = [f.result() * 1000 for _, f in alone if f.done()]
                        result["alone"][command] = {
                            "cpu_ms_per_command": round(1000 * alone_cpu / max(1, len(alone)), 3),
                            "achieved_rate": round(len(alone) / alone_sending, 1),
                            **(latency_figures(done) if done else {"answered": 0}),
                        }
            result["wrong_answers"] = sender.wrong
            if sender.wrong_sample:
                result["wrong_answer_samples"] = sender.wrong_sample
            say(f"[{name}] {result}")
            return result
        finally:
            for client in clients:
                client.stop()


async def started(
    name: str,
    cmd: list[str],
    sb: Sandbox,
    workdir: Path,
    modules: tuple[str, ...],
    processes: int,
    startup_timeout: float,
) -> list[Client]:
    """The client's processes, up: one with every guild, or one per shard (`SHARD_IDS`, its own SQLite file)."""
    if processes == 1:
        client = Client(name, cmd, sb, workdir, modules=modules)
        await bring_up(client, startup_timeout)
        return [client]
    sb.gateway.identify_rules.max_concurrency = processes  # a large bot's bucket count: no identify queue
    clients = []
    for shard in range(processes):
        folder = workdir / f"shard{shard}"
        folder.mkdir()
        client = Client(f"{name}{shard}", cmd, sb, folder, modules=modules)
        start(client, {"SHARD_COUNT": str(processes), "SHARD_IDS": str(shard)})
        clients.append(client)
    try:
        await wait_up(sb, clients, one_guild_per_shard(sb, processes), startup_timeout)
        await asyncio.sleep(2)  # start-up work (command sync, caches) settles
    except BaseException:
        for client in clients:
            client.stop()
        raise
    return clients


async def limiter_figures(make: Callable[[], Storage], args: argparse.Namespace) -> dict[str, Any]:
    """Flat-out hits/s and CPU per hit, then CPU% at a paced rate, with ``--limiter-keys`` keys active."""
    limiter = MovingWindowRateLimiter(make())
    item = parse("5/5second")
    keys = [f"user{n}" for n in range(args.limiter_keys)]
    for key in keys:
        await limiter.hit(item, "command", "ping", key)
    await asyncio.sleep(0.2)
    # flat out, yielding to the loop between hits as a bot serving other work would
    hits = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    while time.perf_counter() - wall0 < args.limiter_seconds:
        await limiter.hit(item, "command", "ping", keys[hits % len(keys)])
        hits += 1
        await asyncio.sleep(0)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    flat = {"hits_per_s": round(hits / wall), "cpu_us_per_hit": round(cpu / hits * 1e6, 1)}
    await asyncio.sleep(0.2)
    # paced
    interval = 1.0 / args.limiter_rate
    count = int(args.limiter_rate * args.limiter_seconds)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for n in range(count):
        delay = wall0 + n * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await limiter.hit(item, "command", "ping", keys[(n * 7919) % len(keys)])
    await asyncio.sleep(interval)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {**flat, f"cpu_percent_at_{args.limiter_rate}_per_s": round(100 * cpu / wall, 1)}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"rate": args.rate, "seconds": args.seconds}
    if not args.skip_limiter:
        say(f"[limiter] {args.limiter_keys} keys active")
        old = await limiter_figures(MemoryStorage, args)
        say(f"[limiter] limits MemoryStorage: {old}")
        new = await limiter_figures(LoopMemoryStorage, args)
        say(f"[limiter] LoopMemoryStorage: {new}")
        result["limiter_keys"] = args.limiter_keys
        result["limiter_limits_memorystorage"] = old
        result["limiter_loop_memory_storage"] = new
    if not args.skip_round_trip:
        with tempfile.TemporaryDirectory(prefix="wolaro-bench-") as tmp:
            base = Path(tmp)
            (base / "bare").mkdir()
            (base / "wolaro").mkdir()
            result["bare"] = await round_trips("bare", BARE_CMD, args, base / "bare", PING_ONLY)
            workload = {name: MIX[name] for name in parse_modules(args.mix)} if args.mix else PING_ONLY
            modules = parse_modules(args.modules) if args.mix else ()
            result["workload"] = list(workload)
            result["modules"] = list(modules)
            try:
                result["wolaro"] = await round_trips(
                    "wolaro", shlex.split(args.wolaro_cmd), args, base / "wolaro", workload, modules, args.processes
                )
                result["wolaro_processes"] = args.processes
            except (ClientFailed, FileNotFoundError, TimeoutError) as exc:
                say(f"[wolaro] failed: {exc}")
                result["wolaro"] = None
                result["wolaro_error"] = str(exc).splitlines()[0]
        if result.get("wolaro"):
            result["p99_goal_ms"] = 10
            result["p99_vs_bare"] = round(result["wolaro"]["p99_ms"] / result["bare"]["p99_ms"], 2)
            result["cpu_per_command_vs_bare"] = round(
                result["wolaro"]["cpu_ms_per_command"] / result["bare"]["cpu_ms_per_command"], 2
            )
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="commands per second")
    parser.add_argument(
        "--mix",
        nargs="?",
        const=DEFAULT_MIX,
        default="",
        help=f"send Wolaro these commands in turn instead of only !ping (default mix: {DEFAULT_MIX}; also: rank)",
    )
    parser.add_argument(
        "--alone-seconds",
        type=float,
        default=0.0,
        help="with --mix: then send each command alone this long, for CPU ms per command of each (0: not)",
    )
    parser.add_argument(
        "--modules", default=MIX_MODULES, help="modules switched on in every guild for --mix (besides the defaults)"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to send (at most 30: user limits)")
    parser.add_argument(
        "--warmup-seconds",
        type=float,
        default=3.0,
        help="send the same workload this long first, not measured (each client's caches and pools warm)",
    )
    parser.add_argument("--wolaro-cmd", default="wolaro bot", help="command that runs the Wolaro bot")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="Wolaro as this many bot processes, one shard each (SHARD_IDS); the bare client stays one process",
    )
    parser.add_argument("--guilds", type=int, default=20, help="guilds in the world")
    parser.add_argument("--members", type=int, default=50, help="members per guild (the command authors)")
    parser.add_argument("--channels", type=int, default=10, help="text channels per guild")
    parser.add_argument("--startup-timeout", type=float, default=180.0, help="seconds a client has to come up")
    parser.add_argument("--limiter-keys", type=int, default=2000, help="active keys in the limiter figures")
    parser.add_argument("--limiter-rate", type=int, default=100, help="paced hits per second")
    parser.add_argument("--limiter-seconds", type=float, default=3.0, help="seconds per limiter figure")
    parser.add_argument("--skip-limiter", action="store_true", help="only the round trips")
    parser.add_argument("--skip-round-trip", action="store_true", help="only the limiter figures")
    args = parser.parse_args(argv)
    unknown = sorted(set(parse_modules(args.mix)) - set(MIX))
    if unknown:
        parser.error(f"--mix: no command called {', '.join(unknown)} in the mix (known: {', '.join(MIX)})")
    return args


if __name__ == "__main__":
    configure_logging("WARNING", "console", sys.stderr)  # stdout carries only the JSON line (migrations log there)
    print(json.dumps(asyncio.run(main(parse_args()))), flush=True)
