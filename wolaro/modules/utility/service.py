"""Everyday tools as plain functions: latency wording, help layout."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CommandHelp:
    """One command as the help lists it."""

    module: str
    name: str
    signature: str
    summary: str


def help_sections(
    entries: Iterable[CommandHelp], enabled_modules: frozenset[str], *, hidden: frozenset[str] = frozenset()
) -> dict[str, list[CommandHelp]]:
    """Commands grouped by module, only for enabled (and not hidden) modules, sorted by name."""
    sections: dict[str, list[CommandHelp]] = {}
    for entry in entries:
        if entry.module in enabled_modules and entry.module not in hidden:
            sections.setdefault(entry.module, []).append(entry)
    return {module: sorted(items, key=lambda e: e.name) for module, items in sorted(sections.items())}


def latency_ms(seconds: float) -> int:
    """A latency in whole milliseconds (discord.py reports infinity before the first heartbeat)."""
    if seconds != seconds or seconds == float("inf"):
        return -1
    return round(seconds * 1000)
