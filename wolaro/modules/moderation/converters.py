"""Argument converters for moderation commands (prefix and slash alike) and the wording of bad durations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from discord.ext import commands

from wolaro.core.durations import (
    DurationError,
    DurationProblem,
    format_duration,
    parse_duration,
    split_leading_duration,
)
from wolaro.core.errors import UserFacingError

#: A case number typed in chat (`!case 12`): cases are counted per guild, far below this; a bigger number is
#: refused with the allowed range instead of overflowing the database column.
CaseNumber = commands.Range[int, 1, 2**31 - 1]


def duration_error(exc: DurationError) -> UserFacingError:
    """The clear refusal for a bad duration, listing the accepted units."""
    text = exc.text.strip()
    bound = format_duration(exc.bound) if exc.bound is not None else ""
    if exc.problem is DurationProblem.TOO_LONG:
        return UserFacingError("`{text}` is too long: at most {maximum}.", text=text, maximum=bound)
    if exc.problem is DurationProblem.TOO_SHORT:
        return UserFacingError("`{text}` is too short: at least {minimum}.", text=text, minimum=bound)
    return UserFacingError(
        "`{text}` is not a duration. Use numbers with units: s (seconds), m (minutes), h (hours), d (days), "
        "w (weeks); for example `10m`, `2h30m`, `1d` or `1w`.",
        text=text,
    )


def parse_or_refuse(text: str, *, maximum: timedelta | None = None) -> timedelta:
    """`parse_duration`, refusing bad input with a `UserFacingError`."""
    try:
        return parse_duration(text, maximum=maximum)
    except DurationError as exc:
        raise duration_error(exc) from None


class Duration(commands.Converter[timedelta | None]):
    """A duration argument: `10m`, `2h30m`, `1d 12h`, `3 days`.

    As a prefix-command argument it may span several words (`2h 30m`, `5 parsecs`): everything that reads as a
    duration is taken and the rest is left for the next argument (the reason). Bad input is refused with the
    accepted units.
    """

    optional = False

    async def convert(self, ctx: commands.Context[Any], argument: str) -> timedelta | None:  # noqa: D102
        text = argument
        if ctx.interaction is None:
            view = ctx.view
            start = view.previous
            raw = view.buffer[start:]
            if self.optional and not raw.lstrip()[:1].isdigit():
                view.undo()  # not a duration: the word belongs to the next argument
                return None
            text, rest = split_leading_duration(raw)
            view.index = start + len(raw.rstrip()) - len(rest)
        return parse_or_refuse(text)


class OptionalDuration(Duration):
    """A duration that may be left out: in prefix commands a first word not starting with a digit is the reason."""

    optional = True
