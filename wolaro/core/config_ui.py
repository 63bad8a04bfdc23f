"""How a config field is shown on the dashboard, said in the module's model (JSON schema annotations).

Every module gets the same widgets by annotating its fields, never by page code::

    duration: str | None = Field(None, title="How long", description="...", json_schema_extra=ui.duration())
    max_ratio: float = Field(0.7, ge=0, le=1, title="Capital letters", description="...",
                             json_schema_extra=ui.percent())
    action: Literal["delete", "timeout"] = Field("delete", title="What the bot does", description="...",
                                                 json_schema_extra=ui.choices(delete="Delete the message",
                                                                              timeout="Time the member out"))
    timeout_minutes: int = Field(10, title="Timeout length", description="...",
                                 json_schema_extra=ui.merge(ui.duration("minutes"), ui.show_if("action", "timeout")))

The keys (`x-widget`, `x-unit`, `x-labels`, `x-show-if`) are read by `static/schema-form.js`; the titles,
descriptions and choice labels are English msgids translated from the module's catalog (`config_texts`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

Unit = Literal["seconds", "minutes", "hours", "days"]


def duration(unit: Unit | None = None) -> dict[str, Any]:
    """A value and a unit. On a text field ("1h", "30d"): the text is written; on a number: the number of `unit`."""
    return {"x-widget": "duration", **({"x-unit": unit} if unit else {})}


def percent() -> dict[str, Any]:
    """A fraction from 0 to 1 shown and typed as a percentage (0.7 -> 70 %)."""
    return {"x-widget": "percent"}


def choices(**labels: str) -> dict[str, Any]:
    """Words for people for each value of a closed choice (shown in a dropdown)."""
    return {"x-labels": labels}


def show_if(field: str, *values: Any) -> dict[str, Any]:
    """Show this field only while the sibling `field` holds one of `values` (true for a switch)."""
    return {"x-show-if": {"field": field, "values": list(values) or [True]}}


def merge(*parts: dict[str, Any]) -> dict[str, Any]:
    """Several annotations on one field."""
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part)
    return merged


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def config_texts(schema: dict[str, Any]) -> set[str]:
    """Every title, description and choice label of a config's JSON schema (what its catalog must translate).

    A model's own docstring (the `description` of a `$defs` entry or of the root) is not shown and not listed.
    """
    texts: set[str] = set()
    for node in _field_nodes(schema):
        for key in ("title", "description"):
            if isinstance(node.get(key), str):
                texts.add(node[key])
        labels = node.get("x-labels")
        if isinstance(labels, dict):
            texts |= {label for label in labels.values() if isinstance(label, str)}
    return texts


def _field_nodes(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The schema nodes of fields (properties of the root and of every `$defs` model), never the models' own."""
    for model in [schema, *schema.get("$defs", {}).values()]:
        yield from model.get("properties", {}).values()


def translate_schema(schema: dict[str, Any], translate: Any) -> dict[str, Any]:
    """A copy of `schema` with every field's title, description and choice labels passed through `translate`."""

    def copy(node: Any, is_field: bool) -> Any:
        if isinstance(node, list):
            return [copy(item, False) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if is_field and key in ("title", "description") and isinstance(value, str):
                out[key] = translate(value)
            elif is_field and key == "x-labels" and isinstance(value, dict):
                out[key] = {k: translate(v) if isinstance(v, str) else v for k, v in value.items()}
            elif key == "properties" and isinstance(value, dict):
                out[key] = {name: copy(sub, True) for name, sub in value.items()}
            else:
                out[key] = copy(value, False)
        return out

    return copy(schema, False)
