"""JSON for browsers and files: Discord ids (64-bit) do not fit a JavaScript number, so they travel as strings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1


def js_safe(value: Any) -> Any:
    """`value` with every integer beyond JavaScript's safe range turned into a string (recursively).

    Module configs keep ids as integers; the API accepts them back as strings (pydantic converts "123" to 123).
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value) if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else value
    if isinstance(value, dict):
        return {key: js_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [js_safe(item) for item in value]
    return value


def jsonable(value: Any) -> Any:
    """A stored value as JSON-ready data (exports, JSON columns): `js_safe`'s ids, ISO instants, text otherwise."""
    if value is None or isinstance(value, bool | int | float | str):
        return js_safe(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)
