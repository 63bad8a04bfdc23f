"""What is wrong with a template, in our own words: python-liquid's errors mapped to a handful of plain messages.

Liquid's own text ("expected tag endif, found end of expression") is never shown: it is English, and written for
programmers. Each message says where the problem is when Liquid tells us (line, and character on that line) and
names the tag in Liquid's syntax (`{% if %}` needs `{% endif %}`), which is the one thing the admin typed.
Every message is an msgid with its fields; the modules showing templates list them for their catalogs.
"""

from __future__ import annotations

import re
from typing import Any

from liquid.exceptions import (
    FilterArgumentError,
    FilterError,
    FilterValueError,
    LiquidError,
    LiquidTypeError,
    UnknownFilterError,
)

#: message kind -> (msgid with a place, msgid without one)
MESSAGES: dict[str, tuple[str, str]] = {
    "unclosed": (
        "Line {line}: a tag is not closed ({opening} needs {closing}).",
        "A tag is not closed ({opening} needs {closing}).",
    ),
    "stray_end": (
        "Line {line}, character {column}: {closing} closes nothing (no {opening} before it).",
        "{closing} closes nothing (no {opening} before it).",
    ),
    "unknown_tag": (
        "Line {line}, character {column}: {tag} is not a tag templates can use.",
        "{tag} is not a tag templates can use.",
    ),
    "output": (
        "Line {line}, character {column}: a {{{{ … }}}} is not closed with }}}}.",
        "A {{{{ … }}}} is not closed with }}}}.",
    ),
    "tag": (
        "Line {line}, character {column}: a {{% … %}} is not closed with %}}.",
        "A {{% … %}} is not closed with %}}.",
    ),
    "quote": (
        "Line {line}, character {column}: a text in quotes is not closed.",
        "A text in quotes is not closed.",
    ),
    "expression": (
        "Line {line}, character {column}: something is missing or misplaced here (a name, a value or an operator).",
        "Something is missing or misplaced (a name, a value or an operator).",
    ),
    "unknown_filter": (
        "Line {line}, character {column}: there is no filter called {name}.",
        "There is no filter called {name}.",
    ),
    "filter_value": (
        "Line {line}, character {column}: a filter got a value it cannot work with.",
        "A filter got a value it cannot work with.",
    ),
    "calculation": (
        "Line {line}, character {column}: a calculation is not possible (dividing by zero, or text used as a number).",
        "A calculation is not possible (dividing by zero, or text used as a number).",
    ),
    "failed": (
        "Line {line}, character {column}: this part of the template cannot be worked out.",
        "The template cannot be run.",
    ),
}

_END_EXPECTED = re.compile(r"expected tag end(\w+)")
_NEVER_CLOSED = re.compile(r"(\w+) tag was never closed")
_UNEXPECTED_TAG = re.compile(r"unexpected tag '(\w+)'")
_UNKNOWN_FILTER = re.compile(r"unknown filter '([\w-]+)'")


def _place(exc: Exception, source: str | None) -> dict[str, int] | None:
    """`line` and `column` (1-based) of what Liquid points at, if it points somewhere."""
    token = getattr(exc, "token", None)
    index = getattr(token, "start_index", -1)
    text = getattr(token, "source", None) or source
    if not isinstance(index, int) or index < 0 or not text or index > len(text):
        return None
    line = text.count("\n", 0, index) + 1
    return {"line": line, "column": index - (text.rfind("\n", 0, index) + 1) + 1}


def _opening_line(source: str | None, tag: str) -> int | None:
    """The line of the last `{% tag %}` opened in `source` (Liquid names the missing end, not where it began)."""
    if not source:
        return None
    found = list(re.finditer(r"\{%-?\s*" + re.escape(tag) + r"\b", source))
    return source.count("\n", 0, found[-1].start()) + 1 if found else None


def _message(kind: str, place: dict[str, int] | None, **fields: Any) -> tuple[str, dict[str, Any]]:
    with_place, without = MESSAGES[kind]
    return (with_place, {**place, **fields}) if place else (without, fields)


def explain_syntax(exc: LiquidError, source: str | None) -> tuple[str, dict[str, Any]]:
    """(msgid, fields) for a template Liquid could not parse."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    place = _place(exc, source)
    if match := (_END_EXPECTED.search(text) or _NEVER_CLOSED.search(text)):
        tag = match.group(1)
        line = _opening_line(source, tag)
        fields = {"opening": f"{{% {tag} %}}", "closing": f"{{% end{tag} %}}"}
        return _message("unclosed", {"line": line} if line else None, **fields)
    if match := _UNEXPECTED_TAG.search(text):
        tag = match.group(1)
        if tag.startswith("end") and len(tag) > 3:
            return _message("stray_end", place, closing=f"{{% {tag} %}}", opening=f"{{% {tag[3:]} %}}")
        return _message("unknown_tag", place, tag=f"{{% {tag} %}}")
    if "'}}'" in text:
        return _message("output", place)
    if "'%}'" in text:
        return _message("tag", place)
    if 'unexpected "\'"' in text or "unexpected '\"'" in text:
        return _message("quote", place)
    return _message("expression", place)


def explain_failure(exc: BaseException, source: str | None) -> tuple[str, dict[str, Any]]:
    """(msgid, fields) for a template that parsed but failed while running."""
    place = _place(exc, source) if isinstance(exc, Exception) else None
    if isinstance(exc, UnknownFilterError):
        match = _UNKNOWN_FILTER.search(str(exc))
        name = match.group(1) if match else "?"
        return _message("unknown_filter", place, name=name)
    if isinstance(exc, ArithmeticError) or isinstance(exc.__cause__, ArithmeticError):
        return _message("calculation", place)
    if isinstance(exc, FilterError | FilterArgumentError | FilterValueError | LiquidTypeError | ValueError | TypeError):
        return _message("filter_value", place)
    return _message("failed", place)


def catalog_messages() -> list[str]:
    """Every msgid above (for the modules that list the template messages in their catalogs)."""
    return [message for pair in MESSAGES.values() for message in pair]
