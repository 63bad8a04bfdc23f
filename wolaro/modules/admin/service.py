"""Platform statistics as plain values."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BotStats:
    """A snapshot of the running bot."""

    guilds: int
    shards: int
    latency_ms: int
    uptime_s: float
    rss_mb: float
    commands_run: int
    config_hit_rate: float
    modules: int


def gateway_latency_ms(seconds: float) -> int:
    """The gateway latency in whole milliseconds, -1 before the first heartbeat (discord.py reports infinity)."""
    if seconds != seconds or seconds == float("inf"):
        return -1
    return round(seconds * 1000)


def format_uptime(seconds: float) -> str:
    """`3d 4h 5m` style."""
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours or days else "", f"{minutes}m"]
    return " ".join(part for part in parts if part)


def parse_guild_id(raw: str) -> int:
    """A guild id typed by hand (digits, 17-20 long); ValueError otherwise."""
    text = raw.strip()
    if not text.isdigit() or not 15 <= len(text) <= 21:
        raise ValueError(raw)
    return int(text)
