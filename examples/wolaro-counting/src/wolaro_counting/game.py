"""The rules of the counting game as plain functions (no Discord, no database): what a message means for the count.

A message counts when it is a whole number and nothing else (`12`, ` 12 `); anything else in the channel is chatter
and is left alone. The next number is the current count plus one, and (unless the server allows it) a member may
not count twice in a row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_DIGITS = 9
"""The longest number the game reads (a count of a billion is far beyond any server's patience)."""
_NUMBER = re.compile(rf"\s*(\d{{1,{MAX_DIGITS}}})\s*")


def parse_count(content: str) -> int | None:
    """The number a counting message says, or None when it is not a counting message."""
    match = _NUMBER.fullmatch(content)
    return int(match.group(1)) if match else None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The count of one server as stored: where it is, the best it reached, and the last message that changed it.

    `last_user_id` and `last_number` are who said what last: a number counted (then `last_number == current`) or
    the mistake that reset the count.
    """

    current: int = 0
    high_score: int = 0
    last_user_id: int | None = None
    last_number: int = 0
    last_message_id: int | None = None
    """The Discord message that last changed the count (its id: message ids grow in the order they are sent)."""

    @property
    def last_counted(self) -> bool:
        """Whether the last message that changed the count was a number counted (not a mistake)."""
        return self.last_user_id is not None and self.current > 0 and self.last_number == self.current


class Verdict(StrEnum):
    """What a counting message does to the count."""

    COUNTS = "counts"
    """The right next number, by someone allowed to count it."""
    HANDLED = "handled"
    """Another process (or an earlier delivery) already handled this message: nothing to do."""
    WRONG_NUMBER = "wrong_number"
    TWICE_IN_A_ROW = "twice_in_a_row"


def judge(state: Snapshot, author_id: int, number: int, message_id: int, *, allow_same_member_twice: bool) -> Verdict:
    """Whether `author_id` saying `number` in message `message_id` continues the count, was handled, or breaks it.

    Every bot process receives every message, in order. The first to store a message's effect wins; a process that
    comes later finds the count changed by this very message or a later one (an id at least as large): handled.
    """
    if state.last_message_id is not None and message_id <= state.last_message_id:
        return Verdict.HANDLED
    if number != state.current + 1:
        return Verdict.WRONG_NUMBER
    if not allow_same_member_twice and state.last_counted and author_id == state.last_user_id:
        return Verdict.TWICE_IN_A_ROW
    return Verdict.COUNTS


def resets(verdict: Verdict, state: Snapshot, *, reset_on_mistake: bool) -> bool:
    """Whether a mistake starts the count again (never when it is at 0 already: there is nothing to lose)."""
    mistake = verdict in (Verdict.WRONG_NUMBER, Verdict.TWICE_IN_A_ROW)
    return mistake and reset_on_mistake and state.current > 0
