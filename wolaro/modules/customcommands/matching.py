"""Which custom command a message calls: plain functions over text, no Discord objects.

Commands are tried in this order: a `command` trigger (the prefix and a name), then `exact`, `startswith` and
`contains` in the order they are listed, then `regex` patterns, searched by automod's time-bounded matcher.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from wolaro.modules.automod.public import RegexMatcher
from wolaro.modules.customcommands.config import Config, CustomCommand

REGEX_BUDGET_MS = 50
REGEX_SUSPEND_SECONDS = 60.0
MAX_ARGS = 20


@dataclass(frozen=True, slots=True)
class Hit:
    """A message that calls a command: the command, and the words after its name (for `command` triggers)."""

    command: CustomCommand
    args: tuple[str, ...] = ()


@dataclass(slots=True)
class GuildCommands:
    """A server's commands, parsed once per config, with the regex matcher of its `regex` triggers."""

    by_name: dict[str, CustomCommand]
    passive: list[CustomCommand]
    regexes: list[CustomCommand]
    matcher: RegexMatcher | None

    @classmethod
    def build(cls, config: Config, previous: GuildCommands | None = None) -> GuildCommands:
        """Index `config`'s commands (keeping a previous matcher's suspension)."""
        by_name = {name: command for command in config.commands for name in command.names()}
        passive = [c for c in config.commands if c.trigger in ("exact", "startswith", "contains")]
        regexes = [c for c in config.commands if c.trigger == "regex"]
        matcher = None
        if regexes:
            matcher = RegexMatcher(
                [c.pattern for c in regexes], budget_ms=REGEX_BUDGET_MS, suspend_seconds=REGEX_SUSPEND_SECONDS
            )
            matcher.keep_suspension(previous.matcher if previous else None)
        return cls(by_name, passive, regexes, matcher)

    def by_pattern(self, pattern: str | None) -> CustomCommand | None:
        """The regex command of a pattern the matcher reported."""
        return next((c for c in self.regexes if c.pattern == pattern), None) if pattern else None


def command_call(content: str, prefix: str, commands: Mapping[str, CustomCommand]) -> Hit | None:
    """`!name args...` calling one of `commands` (by name or alias, any case)."""
    if not content.startswith(prefix):
        return None
    words = content[len(prefix) :].split()
    if not words:
        return None
    command = commands.get(words[0].lower())
    if command is None or command.trigger != "command":
        return None
    return Hit(command, tuple(words[1 : MAX_ARGS + 1]))


def passive_match(content: str, commands: Iterable[CustomCommand]) -> Hit | None:
    """The first `exact`, `startswith` or `contains` command the message answers to (case-insensitive)."""
    text = content.strip().casefold()
    for command in commands:
        wanted = command.pattern.strip().casefold()
        if (
            (command.trigger == "exact" and text == wanted)
            or (command.trigger == "startswith" and text.startswith(wanted))
            or (command.trigger == "contains" and wanted in text)
        ):
            rest = text[len(wanted) :] if command.trigger == "startswith" else ""
            return Hit(command, tuple(rest.split()[:MAX_ARGS]))
    return None


def shadowed(names: Iterable[str], builtin: set[str]) -> list[str]:
    """Those of `names` that are built-in commands (a custom command may not hide one)."""
    return [name for name in names if name in builtin]


def builtin_names(specs: Mapping[str, Any]) -> set[str]:
    """Every top-level name and alias of the installed modules' commands."""
    names: set[str] = {"help"}
    for spec in specs.values():
        for cog in getattr(spec, "cogs", ()):
            for command in getattr(cog, "__cog_commands__", ()):
                if getattr(command, "parent", None) is None:
                    names.add(command.name)
                    names.update(getattr(command, "aliases", ()))
    return names
