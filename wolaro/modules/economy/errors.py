"""The economy's refusals: a clear message for the member (a catalog msgid) and its values."""

from __future__ import annotations

from typing import Any

from wolaro.sdk import UserFacingError


class EconomyError(UserFacingError):
    """A refused economy action (too little money, a bad amount, a cooldown...): nothing was changed."""


def refuse_bots(member: Any) -> None:
    """Bots hold no money: refuse a bot as a payee, a target or a balance to show."""
    if getattr(member, "bot", False):
        raise EconomyError("Bots have no wallet.")
