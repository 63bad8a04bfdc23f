"""Discord ids ("snowflakes") as one validated type, for module configs, API parameters and chat input alike.

A snowflake is a positive integer below 2**63 (Discord stores them as signed 64-bit integers, and so do SQLite and
PostgreSQL `BIGINT`). Anything else is refused where it enters, with the field named, instead of reaching the
database (where a 20-digit number raised `OverflowError` from SQLite: a 500).

It lives in `core` (pydantic only, no Discord, no FastAPI) so that modules and the web layer can both import it;
`data` keeps its own column type (`wolaro.data.models.Snowflake`) and never imports this.

    from wolaro.core.snowflake import SnowflakeId

    class Config(ModuleConfig):
        log_channel_id: SnowflakeId | None = None
        exempt_roles: list[SnowflakeId] = Field(default_factory=list, max_length=50)

Pydantic accepts the id as an integer or as a string of digits (the API sends ids as strings: they do not fit a
JavaScript number) and stores an `int`.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BeforeValidator, Field

#: The smallest and largest valid Discord id.
SNOWFLAKE_MIN: Final = 1
SNOWFLAKE_MAX: Final = 2**63 - 1
#: Digits of the largest id: a longer text cannot be an id (checked before `int()` so huge texts cost nothing).
SNOWFLAKE_MAX_DIGITS: Final = len(str(SNOWFLAKE_MAX))


def _not_a_bool(value: object) -> object:
    if isinstance(value, bool):  # pydantic's lax mode would take `true` as the id 1
        raise ValueError("must be a Discord id (a number), not true or false")
    return value


SnowflakeId = Annotated[
    int,
    Field(ge=SNOWFLAKE_MIN, le=SNOWFLAKE_MAX),
    BeforeValidator(_not_a_bool),
]
"""A Discord id (user, guild, channel, role, message): a positive integer below 2**63."""


def is_snowflake(value: object) -> bool:
    """Whether `value` is an `int` (not a bool) in Discord's id range."""
    return isinstance(value, int) and not isinstance(value, bool) and SNOWFLAKE_MIN <= value <= SNOWFLAKE_MAX


def parse_snowflake(text: str) -> int:
    """A Discord id typed by hand (digits, optionally wrapped as a mention `<@123>`, `<#123>`, `<@&123>`).

    Raises `ValueError` for anything else: not digits, zero, or beyond 2**63 - 1.
    """
    raw = text.strip()
    if raw.startswith("<") and raw.endswith(">"):
        raw = raw[1:-1].lstrip("@#!&")
    if not raw.isascii() or not raw.isdigit() or len(raw) > SNOWFLAKE_MAX_DIGITS:
        raise ValueError(text)
    value = int(raw)
    if not is_snowflake(value):
        raise ValueError(text)
    return value
