"""The commands a server can set rules for, and what a change does to the rules: plain values, no Discord."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from wolaro.sdk import CommandRule, ModuleSpec, UserFacingError
from wolaro.sdk import command_access as access


@dataclass(frozen=True, slots=True)
class CommandInfo:
    """One command of a module: its full name and its help line (an English msgid)."""

    module: str
    name: str
    help: str


def _walk(commands: Iterable[Any]) -> Iterator[Any]:
    for command in commands:
        yield command
        yield from _walk(getattr(command, "commands", ()) or ())


def commands_of(spec: ModuleSpec) -> list[CommandInfo]:
    """Every command (groups and subcommands included) a module brings, sorted by name."""
    found: dict[str, CommandInfo] = {}
    for cog in spec.cogs:
        for command in _walk(getattr(cog, "__cog_commands__", ())):
            if getattr(command, "hidden", False):
                continue
            name = command.qualified_name
            found[name] = CommandInfo(spec.name, name, (command.short_doc or "").strip())
    return [found[name] for name in sorted(found)]


def restrictable(specs: Mapping[str, ModuleSpec], enabled: Iterable[str]) -> dict[str, list[CommandInfo]]:
    """Module name -> its commands, for the enabled modules whose commands rules may restrict."""
    wanted = set(enabled)
    return {
        name: commands_of(spec)
        for name, spec in sorted(specs.items())
        if name in wanted and name not in access.UNRESTRICTABLE_MODULES and commands_of(spec)
    }


def resolve_target(specs: Mapping[str, ModuleSpec], text: str) -> str:
    """The rule key a person means by `text`: a command's name (`warn`, `config set`) or a module's name."""
    wanted = " ".join(text.lower().replace("/", " ").split())
    for name, spec in specs.items():
        if name in access.UNRESTRICTABLE_MODULES:
            if any(info.name == wanted for info in commands_of(spec)) or wanted == name:
                raise UserFacingError("The `{name}` commands cannot be restricted: they fix mistakes.", name=wanted)
            continue
        if any(info.name == wanted for info in commands_of(spec)):
            return wanted
    key = wanted.removeprefix(access.MODULE_PREFIX)
    if key in specs and key not in access.UNRESTRICTABLE_MODULES:
        return access.module_key(key)
    raise UserFacingError("There is no command or module called `{name}`.", name=text)


def current_rule(rules: Mapping[str, Any], key: str) -> CommandRule:
    """The rule stored for `key` (everything allowed when none is)."""
    raw = rules.get(key)
    return CommandRule.model_validate(raw) if raw else CommandRule()


def _added(values: list[int], value: int) -> list[int]:
    if value in values:
        return values
    if len(values) >= access.MAX_IDS:
        raise UserFacingError("A rule holds at most {count} roles or channels of each kind.", count=access.MAX_IDS)
    return [*values, value]


def changed_rule(rule: CommandRule, change: str, *, role: int | None = None, channel: int | None = None) -> CommandRule:
    """`rule` after `change`: `on`, `off`, `allow` or `deny` (a role and/or a channel), `reset`."""
    if change == "reset":
        return CommandRule()
    if change in ("on", "off"):
        return rule.model_copy(update={"enabled": change == "on"})
    if role is None and channel is None:
        raise UserFacingError("Name a role or a channel.")
    data = rule.model_dump()
    allow = change == "allow"
    for value, kind in ((role, "roles"), (channel, "channels")):
        if value is None:
            continue
        keep, drop = (f"allowed_{kind}", f"denied_{kind}") if allow else (f"denied_{kind}", f"allowed_{kind}")
        data[keep] = _added(data[keep], value)
        data[drop] = [v for v in data[drop] if v != value]
    return CommandRule.model_validate(data)


def describe(rule: CommandRule) -> list[tuple[str, str]]:
    """The rule as (msgid, mentions) lines for people; empty when the rule restricts nothing."""
    lines: list[tuple[str, str]] = []
    if not rule.enabled:
        lines.append(("Switched off", ""))
    for msgid, ids, sigil in (
        ("Only these roles: {items}", rule.allowed_roles, "@&"),
        ("Never these roles: {items}", rule.denied_roles, "@&"),
        ("Only in these channels: {items}", rule.allowed_channels, "#"),
        ("Never in these channels: {items}", rule.denied_channels, "#"),
    ):
        if ids:
            lines.append((msgid, ", ".join(f"<{sigil}{value}>" for value in ids)))
    return lines
