"""Gateway throughput of Wolaro over 4 shards: one `wolaro bot` running all four against two running two each.

One sandbox with ``--shards`` shards (guilds routed by ``(guild_id >> 22) % shards``, ``max_concurrency`` raised so
identify turns do not dominate start-up). Layout ``one``: a process with every shard. Layout ``two``: two processes,
``SHARD_IDS`` splitting the shards in halves (each with its own SQLite file: every guild lives on one process).
For each layout: bring the processes up (a ``!ping`` answered in a guild of every shard), blast ``--events``
MESSAGE_CREATE over every channel, then a ``!ping`` per shard; events/s = events / (first blasted frame -> the
last sentinel's answer). Also the CPU seconds per event summed over the processes.

Prints ONE JSON line on stdout; progress on stderr. On a machine with fewer free cores than processes, ``two``
cannot be faster: the figure then shows the cost of the split, not its gain.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import tempfile
import time
from pathlib import Path
from typing import Any

from gateway_throughput import Client, ClientFailed, _is_pong, say

from wolaro.sandbox import Sandbox


def one_guild_per_shard(sb: Sandbox, shards: int) -> list[int]:
    found: dict[int, int] = {}
    for guild in sb.guild_ids():
        found.setdefault((guild >> 22) % shards, guild)
    if len(found) < shards:
        raise SystemExit(f"the world has no guild on some of the {shards} shards: use more --guilds")
    return [found[s] for s in range(shards)]


async def sentinels(sb: Sandbox, clients: list[Client], guilds: list[int], limit_s: float) -> float:
    """A `!ping` in each guild; the perf_counter time once every one is answered."""
    sent = []
    for guild in guilds:
        channel = sb.text_channel_ids(guild)[0]
        message = await sb.send_message(channel, sb.member_ids(guild)[1], "!ping")
        sent.append((channel, message["id"]))
    deadline = time.monotonic() + limit_s
    for channel, message_id in sent:
        while True:
            if not all(c.alive() for c in clients):
                raise ClientFailed("a bot process exited:\n" + "\n".join(c.log_tail() for c in clients))
            try:
                await sb.wait_for_message(channel, predicate=_is_pong(message_id), timeout=0.5)
                break
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise ClientFailed("a sentinel went unanswered") from None
    return time.perf_counter()


async def wait_up(sb: Sandbox, clients: list[Client], guilds: list[int], limit_s: float) -> None:
    """Until a `!ping` is answered in every guild (messages sent before a shard connects are lost: send again)."""
    deadline = time.monotonic() + limit_s
    for guild in guilds:
        while True:
            try:
                await sentinels(sb, clients, [guild], 1.0)
                break
            except ClientFailed:
                if time.monotonic() > deadline or not all(c.alive() for c in clients):
                    raise


def start(client: Client, env: dict[str, str]) -> None:
    """Start `client` with `env` added to the environment Client.start passes on."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        client.start()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


async def layout(name: str, split: list[list[int]], args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    cmd = shlex.split(args.wolaro_cmd)
    async with Sandbox(guilds=args.guilds, members_per_guild=args.members, shards=args.shards, seed=1) as sb:
        sb.gateway.identify_rules.max_concurrency = args.shards  # a large bot's bucket count: no identify queue
        guilds = one_guild_per_shard(sb, args.shards)
        clients = []
        try:
            for index, shard_ids in enumerate(split):
                folder = workdir / f"{name}{index}"
                folder.mkdir()
                client = Client(f"{name}{index}", cmd, sb, folder)
                start(client, {"SHARD_COUNT": str(args.shards), "SHARD_IDS": ",".join(map(str, shard_ids))})
                clients.append(client)
            await wait_up(sb, clients, guilds, args.startup_timeout)
            await asyncio.sleep(2)  # start-up work (command sync, caches) settles
            channels = [c for g in sb.guild_ids() for c in sb.text_channel_ids(g)]
            authors = [u for g in sb.guild_ids() for u in sb.member_ids(g)[1:]]
            cpu_before = sum(c.cpu_s() for c in clients)
            await sb.blast_messages(channels, authors, args.events)
            done = await sentinels(sb, clients, guilds, max(60.0, args.events / 500))
            elapsed = done - sb.last_blast["first_frame"]
            cpu_us = (sum(c.cpu_s() for c in clients) - cpu_before) / args.events * 1e6
            result = {"processes": len(split), "events_per_s": round(args.events / elapsed), "cpu_us_per_event": cpu_us}
            result["cpu_us_per_event"] = round(cpu_us, 1)
            say(f"[{name}] {result}")
            return result
        finally:
            for client in clients:
                client.stop()


async def main(args: argparse.Namespace) -> dict[str, Any]:
    shards = list(range(args.shards))
    half = args.shards // 2
    result: dict[str, Any] = {"shards": args.shards, "events": args.events, "guilds": args.guilds}
    with tempfile.TemporaryDirectory(prefix="wolaro-shards-") as tmp:
        result["one_process"] = await layout("one", [shards], args, Path(tmp))
        result["two_processes"] = await layout("two", [shards[:half], shards[half:]], args, Path(tmp))
    result["two_vs_one"] = round(result["two_processes"]["events_per_s"] / result["one_process"]["events_per_s"], 2)
    result["cpu_cores"] = os.cpu_count()
    result["load_average_1m"] = round(os.getloadavg()[0], 1)
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000, help="MESSAGE_CREATE events to blast")
    parser.add_argument("--shards", type=int, default=4, help="shards (split in halves for two processes)")
    parser.add_argument("--guilds", type=int, default=40, help="guilds in the world")
    parser.add_argument("--members", type=int, default=20, help="members per guild")
    parser.add_argument("--wolaro-cmd", default="wolaro bot", help="command that runs the Wolaro bot")
    parser.add_argument("--startup-timeout", type=float, default=180.0, help="seconds the processes have to come up")
    return parser.parse_args(argv)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(parse_args()))), flush=True)
