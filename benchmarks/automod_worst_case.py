"""Worst automod configurations vs another guild's `!ping`: how long does the hostile guild stall the bot?

The real bot (`wolaro bot`, its own process and event loop, SQLite) runs against a Sandbox in this process with
two guilds: a hostile one and a victim. For each scenario the hostile guild's automod config is written to the
database before the bot starts, then for ``--seconds`` the hostile guild sends ``--rate`` messages per second
built to be as slow as possible for its rules, while a member of the victim guild sends `!ping` after `!ping`
(each as soon as the previous one was answered, ``--gap`` apart). A ping's round trip is sandbox -> gateway ->
bot -> REST reply -> sandbox, so every stall of the bot's loop shows up in it.

Scenarios (the two the issue names, and everything at once):

* ``baseline``: automod on with its defaults in the "hostile" guild, which sends ordinary messages;
* ``regex``: 25 catastrophic patterns, ``regex_timeout_ms=1000``, ``regex_suspend_seconds=1``, messages of 2,000
  ``a`` that make them backtrack;
* ``words``: 500 banned words ``"-" * k + "x"`` (k = 1..500), messages of 2,000 ``-``;
* ``all``: both, plus links, caps and zalgo, messages alternating.

A value the code refuses (a budget past its ceiling, a word past its length) is replaced by the worst one it
accepts (``--effective`` in the output says which). Figures: the longest and p99 ping round trip of each
scenario, and the longest minus the baseline's median (``stall_ms``: the stall the victim's ping saw).

Prints ONE JSON line. `python benchmarks/automod_worst_case.py [--code DIR]` (``--code``: run the bot from another
checkout, e.g. the code before a change, exported with `git archive <rev> | tar -x -C DIR`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from wolaro.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
OFF = {"enabled": False}
QUIET = {"spam": OFF, "duplicates": OFF}  # the hostile members must not be timed out by the counting rules

CATASTROPHIC = [
    r"(a+)+$",
    r"(a|aa)+$",
    r"(a|a?)+$",
    r"(\w+\s?)+$",
    r"(a*)*b",
    r"(.*a){12}",
    r"^(a+)+b",
    r"(aa|a)+c",
    r"(a|ab|aa)+$",
    r"((a+)+)+$",
] * 3
REGEX_SCENARIO = {
    "requested": {
        **QUIET,
        "regex_timeout_ms": 1000,
        "regex_suspend_seconds": 1,
        "regex": {"enabled": True, "patterns": CATASTROPHIC[:25]},
    },
    "fallback": {
        **QUIET,
        "regex_timeout_ms": 50,
        "regex_suspend_seconds": 10,
        "regex": {"enabled": True, "patterns": CATASTROPHIC[:25]},
    },
}
LONG_WORDS = ["-" * k + "x" for k in range(1, 501)]
# The same family within 100 characters a word (500 distinct words): what bounded code still accepts.
SHORT_WORDS = ["-" * (k % 94 + 1) + "x" * (k // 94 + 1) for k in range(500)]
WORDS_SCENARIO = {
    "requested": {**QUIET, "words": {"enabled": True, "words": LONG_WORDS}},
    "fallback": {**QUIET, "words": {"enabled": True, "words": SHORT_WORDS}},
}
EVERYTHING = {
    "links": {"enabled": True, "mode": "allow", "domains": [f"site{i}.example" for i in range(200)]},
    "caps": {"enabled": True},
    "zalgo": {"enabled": True, "max_marks": 1},
}
ALL_SCENARIO = {
    "requested": {
        **REGEX_SCENARIO["requested"],
        **EVERYTHING,
        "words": WORDS_SCENARIO["requested"]["words"],
    },
    "fallback": {**REGEX_SCENARIO["fallback"], **EVERYTHING, "words": WORDS_SCENARIO["fallback"]["words"]},
}
SCENARIOS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "baseline": ({"requested": {}, "fallback": {}}, ["hello everyone, how is it going today?"]),
    "regex": (REGEX_SCENARIO, ["a" * 1999 + "!"]),
    "words": (WORDS_SCENARIO, ["-" * 2000]),
    "all": (ALL_SCENARIO, ["a" * 1999 + "!", "-" * 2000]),
}


def say(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------ config writer (runs with --code's wolaro)
async def _write_config(database_url: str, guild_id: int, scenario: dict[str, Any]) -> str:
    from pydantic import SecretStr

    from wolaro.core.config_service import ConfigError
    from wolaro.core.services import Services
    from wolaro.settings import Settings

    settings = Settings(_env_file=None, database_url=database_url, discord_token=SecretStr("x" * 60))  # type: ignore[call-arg]
    services = await Services.start(settings)
    try:
        await services.config.set_module_enabled(guild_id, "automod", True, actor_id=None)
        if not scenario["requested"]:
            return "requested"
        try:
            await services.config.update_module_config(guild_id, "automod", scenario["requested"], actor_id=None)
            return "requested"
        except ConfigError as exc:
            say(f"  refused ({exc}); using the worst accepted values")
            await services.config.update_module_config(guild_id, "automod", scenario["fallback"], actor_id=None)
            return "fallback"
    finally:
        await services.close()


def write_config(code: Path | None, database_url: str, guild_id: int, name: str) -> str:
    """Write a scenario's config with the wolaro under test (its own validation decides what is accepted)."""
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--write-config", database_url, str(guild_id), name],
        env=env,
        cwd=str(code or ROOT),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"config writer failed:\n{done.stdout}\n{done.stderr}")
    if done.stderr.strip():
        say(done.stderr.strip())
    return done.stdout.strip().splitlines()[-1]


# ------------------------------------------------------------------------ one scenario
class Bot:
    """`wolaro bot` as a subprocess against the sandbox."""

    def __init__(self, sb: Sandbox, workdir: Path, database_url: str, code: Path | None) -> None:
        env = {
            **os.environ,
            "DISCORD_TOKEN": sb.token,
            "DISCORD_API_BASE": sb.api_base,
            "DATABASE_URL": database_url,
            "DATA_DIR": str(workdir),
            "LOG_LEVEL": "WARNING",
            "GUILD_READY_TIMEOUT": "0.2",
            "PYTHONUNBUFFERED": "1",
            # the victim pings non-stop: per-user command limits off (they are not what is measured)
            "COMMAND_COOLDOWN_RATE": "1000000/second",
            "USER_GLOBAL_RATE": "1000000/second",
        }
        if code is not None:
            env["PYTHONPATH"] = str(code)
        self.log_path = workdir / "bot.log"
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "wolaro.cli", "bot"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=str(code or ROOT),
            )

    def tail(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-15:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _is_pong(message: dict[str, Any]) -> bool:
    return (message.get("content") or "").startswith("Pong")


async def ping_once(sb: Sandbox, channel: int, author: int, limit_s: float) -> float | None:
    started = time.perf_counter()
    await sb.send_message(channel, author, "!ping")
    try:
        await sb.wait_for_message(channel, predicate=_is_pong, timeout=limit_s)
    except TimeoutError:
        return None
    return time.perf_counter() - started


async def run_scenario(name: str, args: argparse.Namespace, code: Path | None) -> dict[str, Any]:
    texts = SCENARIOS[name][1]
    with tempfile.TemporaryDirectory(prefix=f"automod-worst-{name}-") as tmp:
        workdir = Path(tmp)
        database_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        async with Sandbox(guilds=2, members_per_guild=12, seed=7) as sb:
            hostile, victim = sb.guild_ids()
            effective = write_config(code, database_url, hostile, name)
            bot = Bot(sb, workdir, database_url, code)
            try:
                victim_channel = sb.text_channel_ids(victim)[0]
                pinger = sb.owner_id(victim)
                for _ in range(120):  # up: it answers a ping in the victim guild
                    if bot.proc.poll() is not None:
                        raise RuntimeError(f"bot exited:\n{bot.tail()}")
                    if await ping_once(sb, victim_channel, pinger, 0.5) is not None:
                        break
                else:
                    raise RuntimeError(f"bot never answered:\n{bot.tail()}")
                for _ in range(5):  # warm
                    await ping_once(sb, victim_channel, pinger, 5)
                hostile_channel = sb.text_channel_ids(hostile)[0]
                authors = sb.member_ids(hostile)[2:]
                stop = asyncio.Event()
                sent = 0

                async def stream() -> None:
                    nonlocal sent
                    interval = 1 / args.rate
                    next_at = time.perf_counter()
                    while not stop.is_set():
                        await sb.send_message(hostile_channel, authors[sent % len(authors)], texts[sent % len(texts)])
                        sent += 1
                        next_at += interval
                        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

                rtts: list[float] = []
                lost = 0
                streamer = asyncio.create_task(stream())
                ends = time.perf_counter() + args.seconds
                while time.perf_counter() < ends:
                    rtt = await ping_once(sb, victim_channel, pinger, args.ping_timeout)
                    if rtt is None:
                        lost += 1
                        break  # the bot is stuck behind the hostile guild for longer than the timeout
                    rtts.append(rtt)
                    await asyncio.sleep(args.gap)
                stop.set()
                with contextlib.suppress(Exception):
                    await streamer
            finally:
                bot.stop()
    rtts.sort()
    result: dict[str, Any] = {
        "config": effective,
        "hostile_messages": sent,
        "pings": len(rtts),
        "pings_unanswered": lost,
        "ping_max_ms": round(rtts[-1] * 1000, 1) if rtts and not lost else None,
        "ping_p99_ms": round(rtts[min(len(rtts) - 1, int(len(rtts) * 0.99))] * 1000, 1) if rtts else None,
        "ping_p50_ms": round(statistics.median(rtts) * 1000, 1) if rtts else None,
    }
    if lost:
        result["ping_max_ms"] = f">{args.ping_timeout * 1000:.0f}"
    say(f"[{name}] {result}")
    return result


async def main_async(args: argparse.Namespace, code: Path | None) -> dict[str, Any]:
    out: dict[str, Any] = {"code": str(code) if code else "this checkout", "rate_per_s": args.rate}
    results = {name: await run_scenario(name, args, code) for name in args.scenarios}
    baseline = results.get("baseline")
    base_median = (baseline or {}).get("ping_p50_ms") or 0.0
    worst: float | None = 0.0
    for name, result in results.items():
        out[name] = result
        top = result["ping_max_ms"]
        if isinstance(top, str):
            result["stall_ms"] = top
            worst = None
        else:
            result["stall_ms"] = round(top - base_median, 1)
            if name != "baseline" and worst is not None:
                worst = max(worst, result["stall_ms"])
    out["worst_stall_ms"] = worst if worst is not None else f">{args.ping_timeout * 1000:.0f}"
    if baseline is not None:
        out["baseline_worst_stall_ms"] = baseline["stall_ms"]
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--write-config":
        database_url, guild_id, name = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        print(asyncio.run(_write_config(database_url, guild_id, SCENARIOS[name][0])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--code", help="run the bot from this checkout (default: this one)")
    parser.add_argument("--seconds", type=float, default=10.0, help="hostile traffic per scenario")
    parser.add_argument("--rate", type=float, default=10.0, help="hostile messages per second")
    parser.add_argument("--gap", type=float, default=0.05, help="seconds between two pings")
    parser.add_argument("--ping-timeout", type=float, default=20.0)
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=list(SCENARIOS))
    args = parser.parse_args()
    code = Path(args.code).resolve() if args.code else None
    print(json.dumps(asyncio.run(main_async(args, code))))


if __name__ == "__main__":
    main()
