"""The help's layout as plain values: commands grouped by module, only where the module runs."""

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


def field_values(lines: Iterable[str], limit: int = 1024) -> list[str]:
    """Lines joined into as few embed field values as fit `limit` characters each (a longer line is cut)."""
    values: list[str] = []
    current = ""
    for line in lines:
        line = line[:limit]
        if current and len(current) + 1 + len(line) > limit:
            values.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        values.append(current)
    return values
