"""Privacy requests as plain functions: build a person's export file, erase their data (no Discord objects here).

Every installed module's hooks (`ModuleSpec.privacy`) and the platform's own are run; see `wolaro.core.privacy`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from wolaro.core.privacy import announce_erasure, delete_user, export_user, privacy_hooks
from wolaro.core.registry import ModuleSpec
from wolaro.data.database import Database
from wolaro.data.guilds import add_audit

MAX_FILE_BYTES = 8 * 1024 * 1024
"""The largest file sent in Discord (its smallest attachment limit); a larger export goes through the dashboard."""
CONFIRM_SECONDS = 60.0
"""How long the confirmation button of an erasure works."""
ERASE_ACTION = "privacy.erase"
"""The audit action of an admin erasing a departed member (the row does not name them)."""


class ExportTooLarge(Exception):
    """The export does not fit in one Discord attachment."""

    def __init__(self, size: int) -> None:
        super().__init__(f"export of {size} bytes exceeds {MAX_FILE_BYTES}")
        self.size = size


def filename_for(user_id: int, guild_id: int | None, now: datetime | None = None) -> str:
    """`wolaro-data-<user>[-<server>]-<date>.json`."""
    day = (now or datetime.now(UTC)).strftime("%Y%m%d")
    where = f"-{guild_id}" if guild_id is not None else ""
    return f"wolaro-data-{user_id}{where}-{day}.json"


async def export_json(
    db: Database, specs: Iterable[ModuleSpec], user_id: int, guild_id: int | None, *, limit: int | None = None
) -> bytes:
    """The person's export as indented JSON; `ExportTooLarge` past `limit` bytes."""
    document = await export_user(db, privacy_hooks(specs), user_id, guild_id)
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    if limit is not None and len(data) > limit:
        raise ExportTooLarge(len(data))
    return data


async def erase(
    db: Database, specs: Iterable[ModuleSpec], user_id: int, guild_id: int | None, *, pubsub: Any = None
) -> int:
    """Erase the person's data (in one server, or everywhere); how many records were removed or anonymised.

    With `pubsub`, every process is then told (`announce_erasure`) to drop what it holds in memory about them.
    """
    counts = await delete_user(db, privacy_hooks(specs), user_id, guild_id)
    if pubsub is not None:
        await announce_erasure(pubsub, user_id, guild_id)
    return sum(counts.values())


async def erase_departed(
    db: Database, specs: Iterable[ModuleSpec], user_id: int, guild_id: int, admin_id: int, *, pubsub: Any = None
) -> int:
    """An admin's erasure of a member who left: their data in that server, and an audit row that does not name them."""
    count = await erase(db, specs, user_id, guild_id, pubsub=pubsub)
    async with db.transaction() as session:
        add_audit(session, guild_id=guild_id, actor_id=admin_id, action=ERASE_ACTION, after={"records": count})
    return count
