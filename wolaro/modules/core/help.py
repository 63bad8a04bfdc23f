"""The help's layout as plain values: commands grouped by module, only where the module runs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol


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


class Translates(Protocol):
    """What the overview needs of the translator: `translate(language, message, **fields)`."""

    def translate(self, language: str, message: str, /, **fields: str) -> str: ...  # noqa: D102


@dataclass(frozen=True, eq=False)
class CommandIndex:
    """Every visible command of the loaded modules, built once while the same modules stay loaded.

    Compared and hashed by identity, so asking for a kept overview never rehashes every command.
    """

    entries: tuple[CommandHelp, ...]


@dataclass(frozen=True, slots=True)
class Overview:
    """The help's overview as it is shown: a title, embed fields (name, value) and a footer."""

    title: str
    fields: tuple[tuple[str, str], ...]
    footer: str


@lru_cache(maxsize=256)
def overview(
    index: CommandIndex,
    enabled_modules: frozenset[str],
    hidden: frozenset[str],
    prefix: str,
    language: str,
    translator: Translates,
) -> Overview:
    """The overview of the commands in `index` for one server's modules, prefix and language.

    The same few answers are asked for again and again (servers share their settings), so they are kept: the
    arguments are the whole input, and a change of any (a module switched on, a new prefix) is another answer.
    """

    def t(message: str, **fields: str) -> str:
        return translator.translate(language, message, **fields)

    fields: list[tuple[str, str]] = []
    for module, items in help_sections(index.entries, enabled_modules, hidden=hidden).items():
        lines = [f"`{prefix}{e.name}` {t(e.summary)}" for e in items]
        for part, value in enumerate(field_values(lines)):
            fields.append((module if part == 0 else f"{module} ({part + 1})", value))
    return Overview(t("Commands"), tuple(fields), t("Use {prefix}help <command> for details.", prefix=prefix))
