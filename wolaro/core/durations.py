"""Durations as people type them in chat (`10m`, `2h 30m`, `1d 12h`, `3 days`, `1w`): parse, split, format.

Plain functions, no Discord: moderation reads `!timeout @x 2h`, reminders read `!remindme 3d ...`, and any module
may use them (they are part of the module SDK). A bad duration raises `DurationError`, whose `problem` the caller
words for the user.
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum

__all__ = [
    "HARD_MAX_DURATION",
    "UNITS",
    "DurationError",
    "DurationProblem",
    "format_duration",
    "parse_duration",
    "split_leading_duration",
]

#: No duration is longer than this, whatever the caller's bound (timedelta overflows far beyond).
HARD_MAX_DURATION = timedelta(days=36500)
UNITS: dict[str, int] = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 604800),
}
_PIECE = re.compile(r"\s*(\d+)\s*([a-zA-Z]+)")
_WHOLE = re.compile(r"(?:\s*\d+\s*[a-zA-Z]+)+\s*")
_MAX_NUMBER_DIGITS = 12


class DurationProblem(StrEnum):
    """Why a text is not an acceptable duration."""

    INVALID = "invalid"
    TOO_LONG = "too_long"
    TOO_SHORT = "too_short"


class DurationError(ValueError):
    """A duration the user typed cannot be used; `problem` says why (the adapter words it)."""

    def __init__(self, text: str, problem: DurationProblem, bound: timedelta | None = None) -> None:
        super().__init__(f"{text!r}: {problem.value}")
        self.text = text
        self.problem = problem
        self.bound = bound


def parse_duration(
    text: str, *, maximum: timedelta | None = None, minimum: timedelta = timedelta(seconds=1)
) -> timedelta:
    """`10m`, `2h30m`, `1d 12h`, `3 days`, `1w` as a timedelta, within `[minimum, maximum]`.

    Units: s, m, h, d, w (and their long forms: sec, min, hour, day, week, with plurals). Every number needs
    a unit. Raises `DurationError` (INVALID, TOO_LONG, TOO_SHORT).
    """
    cleaned = text.strip()
    if not cleaned or not _WHOLE.fullmatch(cleaned):
        raise DurationError(text, DurationProblem.INVALID)
    seconds = 0
    for number, unit in _PIECE.findall(cleaned):
        factor = UNITS.get(unit.lower())
        if factor is None or len(number) > _MAX_NUMBER_DIGITS:
            raise DurationError(text, DurationProblem.INVALID)
        seconds += int(number) * factor
    bound = min(maximum, HARD_MAX_DURATION) if maximum is not None else HARD_MAX_DURATION
    if seconds > bound.total_seconds():
        raise DurationError(text, DurationProblem.TOO_LONG, bound)
    value = timedelta(seconds=seconds)
    if value < minimum:
        raise DurationError(text, DurationProblem.TOO_SHORT, minimum)
    return value


def split_leading_duration(text: str) -> tuple[str, str]:
    """Split chat arguments that start with a duration: `"2h 30m spamming"` -> `("2h 30m", "spamming")`.

    The first piece is taken even with an unknown unit (`"5 parsecs"` -> `("5 parsecs", "")`) so that the caller
    reports it instead of silently reading it as a reason; later pieces are taken only while their unit is known
    (`"1d 3 spam"` -> `("1d", "3 spam")`). A number followed by no word is returned alone (`"5 !!"` -> `("5", "!!")`).
    """
    stripped = text.lstrip()
    position = 0
    pieces = 0
    while True:
        match = _PIECE.match(stripped, position)
        if match is None:
            break
        known = match.group(2).lower() in UNITS
        if pieces and not known:
            break
        position = match.end()
        pieces += 1
        if not known:
            break
    if pieces == 0:
        word, _, rest = stripped.partition(" ")
        return word, rest.strip()
    return stripped[:position].strip(), stripped[position:].strip()


def format_duration(value: timedelta) -> str:
    """`1w 2d 3h 4m 5s` (largest units first, zero parts left out; `0s` for nothing)."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) or "0s"
