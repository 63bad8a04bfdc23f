"""Suggestion rules as plain values: statuses, limits, custom ids. No discord here."""

from __future__ import annotations

from enum import StrEnum

TEXT_MAX = 1000
REASON_MAX = 500
QUEUE_MAX = 25
PREFIX = "suggestions:"
MODAL_ID = "suggestions:form"
MODAL_TEXT_ID = "suggestions:text"


class Status(StrEnum):
    """Where a suggestion stands."""

    OPEN = "open"
    APPROVED = "approved"
    DENIED = "denied"


def vote_custom_id(suggestion_id: int, up: bool) -> str:
    """The custom id of a suggestion's vote button."""
    return f"{PREFIX}{'up' if up else 'down'}:{suggestion_id}"


def parse_vote_custom_id(custom_id: str) -> tuple[int, bool] | None:
    """(suggestion, up) of a vote button's custom id, or None if it is not one."""
    if not custom_id.startswith(PREFIX):
        return None
    side, _, number = custom_id[len(PREFIX) :].partition(":")
    if side not in ("up", "down") or not number.isdigit() or len(number) > 19:
        return None
    return int(number), side == "up"


def clean(text: str) -> str:
    """A suggestion's text as kept: trimmed, inner blank runs kept (members write paragraphs)."""
    return text.strip()
