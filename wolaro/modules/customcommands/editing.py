"""Changing a server's custom commands: plain functions over the config, applied under its row lock."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from wolaro.modules.customcommands.config import MAX_COMMANDS, Config, CustomCommand
from wolaro.sdk import TemplateError, UserFacingError, compile_template

EXPORT_VERSION = 1
IMPORT_MAX_BYTES = 256_000
_ID = re.compile(r"\d{15,20}")


def ids_in(text: str) -> list[int]:
    """The ids (or mentions) written in `text`, in order, once each."""
    return list(dict.fromkeys(int(found) for found in _ID.findall(text or "")))


def find(commands: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """The stored command called `name` (or with it as an alias), else a clear refusal."""
    wanted = name.strip().lower()
    for command in commands:
        if command["name"] == wanted or wanted in command.get("aliases", []):
            return command
    raise UserFacingError("There is no custom command called {name} here.", name=wanted)


def check_names(names: list[str], builtin: set[str]) -> None:
    """Refuse names that would hide a built-in command."""
    taken = [name for name in names if name in builtin]
    if taken:
        raise UserFacingError("{name} is already one of the bot's commands: choose another name.", name=taken[0])


def adding(name: str, response: str, builtin: set[str]) -> Callable[[dict[str, Any]], Mapping[str, Any]]:
    """The edit that adds a command answering `response` to `!name`."""

    def edit(current: dict[str, Any]) -> Mapping[str, Any]:
        commands = list(current.get("commands", []))
        wanted = name.strip().lower()
        check_names([wanted], builtin)
        if any(wanted == c["name"] or wanted in c.get("aliases", []) for c in commands):
            raise UserFacingError("There is already a custom command called {name}.", name=wanted)
        if len(commands) >= MAX_COMMANDS:
            raise UserFacingError("This server has {count} custom commands, the most allowed.", count=MAX_COMMANDS)
        new = validated({"name": wanted, "response": response})
        return {"commands": [*commands, new]}

    return edit


def changing(name: str, changes: Mapping[str, Any], builtin: set[str]) -> Callable[[dict[str, Any]], Mapping[str, Any]]:
    """The edit that changes some settings of the command `name`."""

    def edit(current: dict[str, Any]) -> Mapping[str, Any]:
        commands = [dict(c) for c in current.get("commands", [])]
        target = find(commands, name)
        if "aliases" in changes:
            others = {n for c in commands if c is not target for n in [c["name"], *c.get("aliases", [])]}
            aliases = [a.strip().lower() for a in changes["aliases"]]
            check_names(aliases, builtin)
            clash = next((a for a in aliases if a in others), None)
            if clash:
                raise UserFacingError("There is already a custom command called {name}.", name=clash)
        target.update(validated({**target, **changes}))
        return {"commands": commands}

    return edit


def removing(name: str) -> Callable[[dict[str, Any]], Mapping[str, Any]]:
    """The edit that removes the command `name`."""

    def edit(current: dict[str, Any]) -> Mapping[str, Any]:
        commands = list(current.get("commands", []))
        target = find(commands, name)
        return {"commands": [c for c in commands if c is not target]}

    return edit


def validated(raw: Mapping[str, Any]) -> dict[str, Any]:
    """One command checked on its own, with a clear message naming what is wrong.

    A broken answer is explained as "Try a template" explains it (what is wrong, on which line), in our words.
    """
    response = raw.get("response")
    if isinstance(response, str) and response.strip():
        try:
            compile_template(response)
        except TemplateError as exc:
            raise UserFacingError(exc.message, **exc.fields) from None
    try:
        return CustomCommand.model_validate(dict(raw)).model_dump(mode="json")
    except ValidationError as exc:
        raise UserFacingError("That command is not valid: {problem}", problem=describe(exc)) from None


def describe(exc: ValidationError) -> str:
    """The first problem of a validation error, in the model's own words."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if not isinstance(p, int))
    message = str(first.get("msg", "")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def export(config: Config) -> str:
    """The server's commands as JSON (what `import` reads back)."""
    document = {"version": EXPORT_VERSION, "commands": [c.model_dump(mode="json") for c in config.commands]}
    return json.dumps(document, ensure_ascii=False, indent=2)


def parse_import(text: str | bytes, builtin: set[str]) -> list[dict[str, Any]]:
    """The commands of an exported JSON document, each validated; a clear refusal for anything else."""
    if len(text) > IMPORT_MAX_BYTES:
        raise UserFacingError("That file is too large to be a custom commands export.")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise UserFacingError("That is not a custom commands export (it is not valid JSON).") from None
    items = document.get("commands") if isinstance(document, dict) else document
    if not isinstance(items, list) or len(items) > MAX_COMMANDS:
        raise UserFacingError("An export holds a list of at most {count} commands.", count=MAX_COMMANDS)
    commands = [validated(item) if isinstance(item, dict) else validated({}) for item in items]
    for command in commands:
        check_names([command["name"], *command["aliases"]], builtin)
    try:
        Config.model_validate({"commands": commands})
    except ValidationError as exc:
        raise UserFacingError("That command is not valid: {problem}", problem=describe(exc)) from None
    return commands
