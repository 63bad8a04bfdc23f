"""Synthetic users chatting in the sandbox's guilds, sometimes running prefix and slash commands."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import TYPE_CHECKING, Any

from wolaro.sandbox.errors import SandboxError
from wolaro.sandbox.interaction_options import (
    ATTACHMENT,
    BOOLEAN,
    CHANNEL,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    ROLE,
    STRING,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
)
from wolaro.sandbox.state import TEXT

if TYPE_CHECKING:
    from wolaro.sandbox.server import Sandbox

log = logging.getLogger(__name__)

CHAT_LINES = [
    "good morning everyone",
    "anyone up for a game later?",
    "lol that's amazing",
    "did you see the update?",
    "I just finished my homework finally",
    "brb, getting coffee",
    "this server is so cozy",
    "what's everyone listening to?",
    "hot take: pineapple belongs on pizza",
    "gg, that was close",
    "can someone help me with a python question?",
    "thanks for the help earlier!",
    "who wants to start a book club?",
    "my cat just knocked over my plant again",
    "weekend plans?",
    "hello hello",
]
REACTIONS = ["haha {who}", "{who} agreed!", "nice one {who}", "{who} same here"]
#: Slash commands (or subcommands) never run by synthetic users: they would ban, kick or wipe the world.
DESTRUCTIVE = {
    "ban", "kick", "softban", "tempban", "timeout", "mute", "purge", "clear", "nuke", "lockdown", "lock",
    "slowmode", "reset", "delete", "remove", "disable", "warn", "unban", "massban", "prune",
}  # fmt: skip


def _auto_value(sb: Sandbox, rng: random.Random, guild_id: int, spec: dict[str, Any]) -> Any:
    """A plausible value for one command option."""
    kind = spec["type"]
    if spec.get("choices"):
        return rng.choice(spec["choices"])["value"]
    if kind == STRING:
        word = rng.choice(["hello", "sandbox", "testing", "pizza", "music", "welcome"])
        while len(word) < int(spec.get("min_length", 0)):
            word += word
        return word[: int(spec.get("max_length", 100))]
    if kind in (INTEGER, NUMBER):
        low = spec.get("min_value", 1)
        high = spec.get("max_value", max(low, 10))
        value = rng.randint(int(low), int(high))
        return value if kind == INTEGER else float(value)
    if kind == BOOLEAN:
        return rng.random() < 0.5
    if kind in (USER, MENTIONABLE):
        return rng.choice(sb.member_ids(guild_id))
    if kind == ROLE:
        return sb.role_id(guild_id, "Member")
    if kind == CHANNEL:
        types = spec.get("channel_types") or [TEXT]
        guild = sb.state.guilds[guild_id]
        options = [c for c in guild.channel_ids if sb.state.channels[c].type in types]
        return rng.choice(options) if options else None
    if kind == ATTACHMENT:
        return ("notes.txt", b"synthetic attachment\n")
    return None


def _pick_slash(
    sb: Sandbox, rng: random.Random, guild_id: int, allowed: list[str] | None
) -> tuple[str, str | None, dict[str, Any]] | None:
    """A registered, non-destructive slash command with a subcommand path and options, or None."""
    pool = [*sb.state.guilds[guild_id].commands.values(), *sb.state.commands.values()]
    pool = [c for c in pool if c.get("type", 1) == 1 and c["name"] not in DESTRUCTIVE]
    if allowed is not None:
        pool = [c for c in pool if c["name"] in allowed]
    if not pool:
        return None
    cmd = rng.choice(pool)
    specs: list[dict[str, Any]] = cmd.get("options") or []
    path: list[str] = []
    while specs and any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in specs):
        subs = [o for o in specs if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) and o["name"] not in DESTRUCTIVE]
        if not subs:
            return None
        chosen = rng.choice(subs)
        path.append(chosen["name"])
        specs = chosen.get("options") or []
    options: dict[str, Any] = {}
    for spec in specs:
        if spec.get("required") or rng.random() < 0.3:
            value = _auto_value(sb, rng, guild_id, spec)
            if value is None and spec.get("required"):
                return None
            if value is not None:
                options[spec["name"]] = value
    return cmd["name"], " ".join(path) or None, options


async def _one_action(
    sb: Sandbox, rng: random.Random, commands: list[str], slash: list[str] | None, guilds: list[int]
) -> None:
    guild_id = rng.choice(guilds)
    channels = sb.text_channel_ids(guild_id)
    members = [u for u in sb.member_ids(guild_id) if not sb.state.users[u].bot]
    if not channels or not members:
        return
    channel = rng.choice(channels)
    user = rng.choice(members)
    roll = rng.random()
    if roll < 0.2 and commands:
        await sb.send_message(channel, user, rng.choice(commands))
    elif roll < 0.3:
        picked = _pick_slash(sb, rng, guild_id, slash)
        if picked is None:
            await sb.send_message(channel, user, rng.choice(CHAT_LINES))
            return
        name, sub, options = picked
        try:
            await sb.invoke_slash(guild_id, channel, user, name, options, subcommand=sub)
        except SandboxError:
            # this user cannot see it (default_member_permissions): the owner can
            await sb.invoke_slash(guild_id, channel, sb.owner_id(guild_id), name, options, subcommand=sub)
    elif roll < 0.4:
        other = rng.choice(members)
        await sb.send_message(channel, user, rng.choice(REACTIONS).format(who=f"<@{other}>"))
    elif roll < 0.41:
        await sb.member_join(guild_id)
    else:
        await sb.send_message(channel, user, rng.choice(CHAT_LINES), attachments=1 if rng.random() < 0.03 else 0)


async def run_synthetic_traffic(
    sandbox: Sandbox,
    *,
    rate_per_second: float = 1.0,
    stop: asyncio.Event,
    commands: list[str],
    slash_commands: list[str] | None = None,
    guild_ids: list[int] | None = None,
    seed: int | None = None,
) -> int:
    """Make users chat until ``stop`` is set, ``rate_per_second`` actions on average (Poisson arrivals).

    About 20% of actions are prefix ``commands`` (e.g. ``"!ping"``), 10% registered slash commands
    (``slash_commands`` limits which; destructive ones such as ban/kick/purge are never run), the rest
    chat lines, replies mentioning someone, the odd attachment and the odd newcomer joining. Actions the
    Discord client would refuse (slowmode, timeouts, permissions) are skipped. ``seed`` makes the run
    repeatable (None = different each time). Returns the action count.
    """
    rng = random.Random(seed)
    guilds = guild_ids or sandbox.guild_ids()
    done = 0
    while not stop.is_set():
        delay = rng.expovariate(rate_per_second) if rate_per_second > 0 else 3600.0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        if stop.is_set():
            break
        try:
            await _one_action(sandbox, rng, commands, slash_commands, guilds)
            done += 1
        except SandboxError as exc:
            log.debug("synthetic action skipped: %s", exc)
    return done
