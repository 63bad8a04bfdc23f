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
