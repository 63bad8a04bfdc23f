"""JSON for browsers, bounded: audit rows shown through `js_safe_capped` (ids as strings, like `js_safe`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wolaro.core.jsonsafe import js_safe


@dataclass(frozen=True, slots=True)
class Caps:
    """How much of a stored JSON value an API response shows (old audit rows can hold megabytes)."""

    items: int = 50  # per list or object; the rest is summarised as "… N more"
    chars: int = 500  # per string; longer ones end with "…"
    depth: int = 8  # deeper values become "…"
    nodes: int = 2_000  # values shown in all; past that, "…"


AUDIT_CAPS = Caps()
MORE = "… {} more"


def js_safe_capped(value: Any, caps: Caps = AUDIT_CAPS) -> Any:
    """`js_safe(value)` cut down to `caps`: bounded in size whatever was stored, with what was left out counted.

    A list of a million ids becomes its first `caps.items` ids and `"… 999950 more"`.
    """
    budget = [caps.nodes]

    def cap(item: Any, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0 or depth > caps.depth:
            return "…"
        if isinstance(item, str):
            return item if len(item) <= caps.chars else item[: caps.chars] + "…"
        if isinstance(item, dict):
            out: dict[str, Any] = {}
            for index, (key, sub) in enumerate(item.items()):
                if index >= caps.items or budget[0] <= 0:
                    out["…"] = MORE.format(len(item) - index)
                    break
                out[str(key)[: caps.chars]] = cap(sub, depth + 1)
            return out
        if isinstance(item, list | tuple):
            shown: list[Any] = []
            for index, sub in enumerate(item):
                if index >= caps.items or budget[0] <= 0:
                    shown.append(MORE.format(len(item) - index))
                    break
                shown.append(cap(sub, depth + 1))
            return shown
        return js_safe(item)

    return cap(value, 0)
