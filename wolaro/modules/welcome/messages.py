"""Welcome and goodbye texts: `{placeholder}` substitution, nothing else (no attribute access, no expressions)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

_PLACEHOLDER = re.compile(r"\{([a-z_]{1,20})\}")


@dataclass(frozen=True, slots=True)
class Newcomer:
    """Who joined or left, and where."""

    user_id: int
    name: str
    display_name: str
    guild: str
    count: int
    created_at: datetime | None = None


def values_of(person: Newcomer) -> dict[str, str]:
    """The placeholders' values."""
    created = f"<t:{int(person.created_at.timestamp())}:R>" if person.created_at else ""
    return {
        "user": person.name,
        "mention": f"<@{person.user_id}>",
        "display_name": person.display_name,
        "user_id": str(person.user_id),
        "guild": person.guild,
        "server": person.guild,
        "count": str(person.count),
        "created": created,
    }


def fill(template: str, values: Mapping[str, str], limit: int = 2000) -> str:
    """`template` with each known `{name}` replaced; unknown ones are left as typed."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)[:limit]
