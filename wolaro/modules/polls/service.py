"""Poll rules as plain values: reading options and role weights, limits, tallies, custom ids. No discord here."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

CLOSE_JOB = "polls.close"
NATIVE = "native"
BUTTONS = "buttons"
QUESTION_MAX = 300
NATIVE_OPTIONS_MAX = 10
NATIVE_OPTION_LENGTH = 55
BUTTON_OPTIONS_MAX = 25  # five rows of five buttons
BUTTON_OPTION_LENGTH = 80
OPTIONS_MIN = 2
NATIVE_MIN = timedelta(hours=1)
MAX_DURATION = timedelta(days=32)
BUTTON_MIN = timedelta(seconds=1)
WEIGHTS_MAX = 10
WEIGHT_MAX = 100
CUSTOM_ID_PREFIX = "polls:vote:"

_WEIGHT = re.compile(r"^\s*<@&(\d{15,20})>\s*[=:x×]\s*(\d{1,3})\s*$")


class Problem(StrEnum):
    """Why a poll cannot be made as asked."""

    TOO_FEW = "too_few"
    TOO_MANY = "too_many"
    TOO_LONG = "too_long"
    DUPLICATE = "duplicate"
    BAD_WEIGHTS = "bad_weights"


class PollError(ValueError):
    """A poll request that cannot be used; `problem` says why, `limit` the bound it broke."""

    def __init__(self, problem: Problem, limit: int = 0) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.limit = limit


def parse_options(text: str, *, maximum: int, length: int) -> list[str]:
    """Options written `apple | pear | plum` (or one per line): trimmed, at least two, distinct, bounded."""
    parts = [" ".join(part.split()) for part in re.split(r"[|\n]", text)]
    options = [part for part in parts if part]
    if len(options) < OPTIONS_MIN:
        raise PollError(Problem.TOO_FEW, OPTIONS_MIN)
    if len(options) > maximum:
        raise PollError(Problem.TOO_MANY, maximum)
    if any(len(option) > length for option in options):
        raise PollError(Problem.TOO_LONG, length)
    if len({option.casefold() for option in options}) != len(options):
        raise PollError(Problem.DUPLICATE)
    return options


def parse_weights(text: str | None) -> dict[str, int]:
    """Role weights written `@Moderators=3, @Members=2` (role mentions): role id (text) -> weight (1 to 100)."""
    if not text or not text.strip():
        return {}
    weights: dict[str, int] = {}
    for part in text.split(","):
        match = _WEIGHT.match(part)
        if match is None or not 1 <= int(match.group(2)) <= WEIGHT_MAX:
            raise PollError(Problem.BAD_WEIGHTS, WEIGHT_MAX)
        weights[match.group(1)] = int(match.group(2))
    if len(weights) > WEIGHTS_MAX:
        raise PollError(Problem.BAD_WEIGHTS, WEIGHT_MAX)
    return weights


def weight_of(role_ids: Collection[int], weights: Mapping[str, int]) -> int:
    """How many votes a member casts: the largest weight among their roles, 1 without any weighted role."""
    return max((weights[str(role)] for role in role_ids if str(role) in weights), default=1)


def tally(options: int, votes: Iterable[tuple[int, int]]) -> list[int]:
    """Votes per option from `(option, weight)` pairs (options out of range are ignored)."""
    counts = [0] * options
    for option, weight in votes:
        if 0 <= option < options:
            counts[option] += weight
    return counts


@dataclass(frozen=True, slots=True)
class Standing:
    """An option's place in the results."""

    option: str
    votes: int
    share: float


def standings(options: Sequence[str], counts: Sequence[int]) -> list[Standing]:
    """The results, most votes first (ties in the options' order)."""
    total = sum(counts) or 1
    ranked = sorted(range(len(options)), key=lambda i: (-counts[i], i))
    return [Standing(options[i], counts[i], counts[i] / total) for i in ranked]


def vote_custom_id(poll_id: int, option: int) -> str:
    """The custom id of a button poll's option button."""
    return f"{CUSTOM_ID_PREFIX}{poll_id}:{option}"


def parse_vote_custom_id(custom_id: str) -> tuple[int, int] | None:
    """(poll, option) of a vote button's custom id, or None if it is not one."""
    if not custom_id.startswith(CUSTOM_ID_PREFIX):
        return None
    poll, _, option = custom_id[len(CUSTOM_ID_PREFIX) :].partition(":")
    if not (poll.isdigit() and option.isdigit() and len(poll) < 20 and len(option) < 3):
        return None
    return int(poll), int(option)


def bar(share: float, width: int = 12) -> str:
    """A text bar for a share of the votes."""
    filled = round(share * width)
    return "█" * filled + "░" * (width - filled)
