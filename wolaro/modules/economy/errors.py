"""Refusals the economy shares between its commands."""

from __future__ import annotations

from typing import Any

from wolaro.sdk import UserFacingError


def refuse_bots(member: Any) -> None:
    """Bots hold no money: refuse a bot as a payee, a target or a balance to show."""
    if getattr(member, "bot", False):
        raise UserFacingError("Bots have no wallet.")
