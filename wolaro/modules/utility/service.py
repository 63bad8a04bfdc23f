"""Everyday tools as plain functions."""

from __future__ import annotations


def latency_ms(seconds: float) -> int:
    """A latency in whole milliseconds (discord.py reports infinity before the first heartbeat)."""
    if seconds != seconds or seconds == float("inf"):
        return -1
    return round(seconds * 1000)
