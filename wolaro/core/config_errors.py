"""A refused config value said for people: every failing field at once, each with a plain sentence (a msgid).

pydantic's own texts ("Input should be a valid integer, unable to parse string as an integer", "Value error, ...")
never reach a server owner: each error type maps to a sentence of ours, translated by the caller; a message a
module's validator raises (`ValueError("...")`) is its own English msgid, written for people and translated from
the module's catalog.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One refused field: its path (`escalation.0.duration`), a sentence (English msgid) and its values."""

    field: str
    msgid: str
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    label: tuple[str, ...] = ()
    """The setting's titles for people (`("Capital letters", "Capital letters allowed")`, English msgids; a list
    position as its number from 1), when the model is known."""

    def text(self, translate: Callable[..., str] | None = None) -> str:
        """The sentence, translated when `translate(msgid, **values)` is given."""
        if translate is not None:
            return translate(self.msgid, **self.values)
        return self.msgid.format(**self.values) if self.values else self.msgid


#: pydantic error type -> our sentence; `{limit}` is the bound pydantic reports.
MESSAGES: dict[str, str] = {
    "missing": "This is required.",
    "int_parsing": "Enter a whole number.",
    "int_type": "Enter a whole number.",
    "int_from_float": "Enter a whole number.",
    "float_parsing": "Enter a number.",
    "float_type": "Enter a number.",
    "bool_parsing": "Choose on or off.",
    "bool_type": "Choose on or off.",
    "greater_than_equal": "Enter {limit} or more.",
    "greater_than": "Enter more than {limit}.",
    "less_than_equal": "Enter {limit} or less.",
    "less_than": "Enter less than {limit}.",
    "string_too_long": "Use at most {limit} characters.",
    "string_too_short": "This cannot be empty.",
    "string_type": "Enter some text.",
    "too_long": "Choose at most {limit}.",
    "too_short": "Choose at least {limit}.",
    "literal_error": "Choose one of the options.",
    "enum": "Choose one of the options.",
    "extra_forbidden": "This setting does not exist.",
    "list_type": "This value is not valid.",
}
FALLBACK = "This value is not valid."
LIMIT_KEYS = ("ge", "gt", "le", "lt", "max_length", "min_length")


def _limit(ctx: dict[str, Any]) -> Any:
    for key in LIMIT_KEYS:
        if key in ctx:
            value = ctx[key]
            return int(value) if isinstance(value, float) and value.is_integer() else value
    return None


def problem_of(error: Any) -> FieldProblem:
    """One pydantic error (an item of `ValidationError.errors()`) as a FieldProblem."""
    path = ".".join(str(part) for part in error.get("loc", ())) or "value"
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and ctx.get("error") is not None:
        cause = ctx["error"]
        message = str(cause.args[0]) if getattr(cause, "args", None) else str(cause)
        values = dict(getattr(cause, "fields", {}) or {})
        inner = getattr(cause, "field", None)
        return FieldProblem(f"{path}.{inner}" if inner and path != "value" else inner or path, message, values)
    msgid = MESSAGES.get(kind, FALLBACK)
    limit = _limit(ctx)
    if kind == "too_long" and isinstance(error.get("input"), dict):
        msgid = "Choose at most {limit}."
    return FieldProblem(path, msgid, {"limit": limit} if "{limit}" in msgid else {})


#: The same bounds said of a percentage field (`config_ui.percent()`: the model holds 0.7, the person typed 70).
PERCENT_MESSAGES: dict[str, str] = {
    "greater_than_equal": "Enter {limit} % or more.",
    "greater_than": "Enter more than {limit} %.",
    "less_than_equal": "Enter {limit} % or less.",
    "less_than": "Enter less than {limit} %.",
}


def _node_at(schema: dict[str, Any], loc: tuple[Any, ...]) -> dict[str, Any]:
    """The JSON schema node of the field at `loc` (through `$ref`, `anyOf` and list items); {} if not found."""
    defs = schema.get("$defs", {})
    node: dict[str, Any] = schema
    for part in loc:
        if "$ref" in node:
            node = {**defs.get(node["$ref"].rsplit("/", 1)[-1], {}), **node}
        inner = node.get("items") if isinstance(part, int) else node.get("properties", {}).get(part)
        node = inner or {}
        for option in node.get("anyOf", []):
            if option.get("type") != "null":
                node = {**option, **{k: v for k, v in node.items() if k != "anyOf"}}
                break
    return node


def _percent(problem: FieldProblem, error: Any, schema: dict[str, Any] | None) -> FieldProblem:
    kind = error.get("type", "")
    if schema is None or kind not in PERCENT_MESSAGES or problem.values.get("limit") is None:
        return problem
    if _node_at(schema, tuple(error.get("loc", ()))).get("x-widget") != "percent":
        return problem
    limit = round(float(problem.values["limit"]) * 100, 2)
    return FieldProblem(problem.field, PERCENT_MESSAGES[kind], {"limit": int(limit) if limit.is_integer() else limit})


def problems_from(exc: ValidationError, model: type[BaseModel] | None = None) -> list[FieldProblem]:
    """Every failing field of `exc`, one problem per field (the first error of each), in order.

    With the `model`, bounds of a percentage field are said in percent.
    """
    schema = model.model_json_schema() if model is not None else None
    seen: dict[str, FieldProblem] = {}
    for error in exc.errors():
        problem = _percent(problem_of(error), error, schema)
        if schema is not None:
            problem = dataclasses.replace(problem, label=label_of(schema, problem.field))
        seen.setdefault(problem.field, problem)
    return list(seen.values())


def label_of(schema: dict[str, Any], path: str) -> tuple[str, ...]:
    """The titles down to the setting at a dotted path (list positions counted from 1); () without titles."""
    parts: list[Any] = [int(p) if p.isdigit() else p for p in path.split(".")]
    titles = []
    for end in range(1, len(parts) + 1):
        last = parts[end - 1]
        if isinstance(last, int):
            titles.append(str(last + 1))
            continue
        title = _node_at(schema, tuple(parts[:end])).get("title")
        if not title:
            return ()
        titles.append(str(title))
    return tuple(titles)


class FieldValueError(ValueError):
    """A validator's refusal for people, aimed at one field of its model (`field`) with `{named}` values.

    Raised in a model validator, it shows under that field (not the whole model):
    `raise FieldValueError("duration", "A timeout needs a length.")`.
    """

    def __init__(self, field: str | None, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.field = field
        self.fields = fields
