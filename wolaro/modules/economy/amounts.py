"""Reading the amounts members type: `1000`, `1,000`, `1k`, `2.5m`, `1b`, `all`, `half`.

Plain functions, no Discord and no database. Every amount is a whole, positive number of coins that fits a
64-bit integer (the database's BIGINT); anything else is refused with a message the member understands.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from wolaro.sdk import UserFacingError

BIGINT_MAX = 2**63 - 1
"""The largest amount the database can hold."""
MAX_TEXT = 32
SUFFIXES = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
_NUMBER = re.compile(r"([+-]?[0-9][0-9,_]*(?:\.[0-9]+)?|[+-]?\.[0-9]+)\s*([kmb]?)")
ALL_WORDS = frozenset({"all", "max", "tout"})
HALF_WORDS = frozenset({"half", "moitié", "moitie"})


def parse_amount(text: str, *, available: int | None = None, limit: int = BIGINT_MAX) -> int:
    """The amount `text` names: a whole number of coins from 1 to `limit`.

    `available` is what the member has for `all` and `half` (None: those words are not allowed here).
    Raises `UserFacingError` for zero, negative, fractional, too large or unreadable amounts.
    """
    cleaned = text.strip().lower().replace(" ", "")
    if len(cleaned) > MAX_TEXT or not cleaned:
        raise UserFacingError("`{text}` is not an amount: type a number like 100, 2.5k or 1m.", text=text[:MAX_TEXT])
    if cleaned in ALL_WORDS or cleaned in HALF_WORDS:
        return _share(cleaned, available)
    match = _NUMBER.fullmatch(cleaned)
    if match is None:
        raise UserFacingError("`{text}` is not an amount: type a number like 100, 2.5k or 1m.", text=text[:MAX_TEXT])
    digits, suffix = match.groups()
    try:
        value = Decimal(digits.replace(",", "").replace("_", "")) * SUFFIXES[suffix]
    except InvalidOperation:
        raise UserFacingError("`{text}` is not an amount: type a number like 100, 2.5k or 1m.", text=text) from None
    if value < 0:
        raise UserFacingError("The amount must be positive.")
    if value == 0:
        raise UserFacingError("The amount must be more than zero.")
    if value != value.to_integral_value():
        raise UserFacingError("Amounts are whole coins: `{text}` is not.", text=text)
    if value > limit:
        raise UserFacingError("That is too much: at most {limit} at once.", limit=format_amount(limit))
    return int(value)


def _share(word: str, available: int | None) -> int:
    if available is None:
        raise UserFacingError("Type a number here, not `{word}`.", word=word)
    amount = available if word in ALL_WORDS else available // 2
    if amount <= 0:
        raise UserFacingError("You have nothing to use for `{word}`.", word=word)
    return amount


def format_amount(value: int) -> str:
    """An amount with thousands separators (`1,234,567`)."""
    return f"{value:,}"
