"""What giveaways keep about a person: the giveaways they entered (and won), and those they hosted.

Erasure removes their entries (a past draw keeps its other winners) and the host of their giveaways becomes
nobody (`ERASED_USER_ID`); the giveaways themselves are the server's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update

from wolaro.core.jsonsafe import jsonable
from wolaro.core.privacy import ERASED_USER_ID
from wolaro.data.database import Database
from wolaro.modules.giveaways.models import Giveaway, GiveawayEntry


class GiveawaysData:
    """`UserData` of the giveaways module."""

    stores: Mapping[str, str] = {
        "giveaway_entries.user_id": "The giveaways you entered, and whether you won",
        "giveaways.host_id": "The giveaways you started",
    }

    async def export_user_data(self, db: Database, user_id: int, guild_id: int | None) -> dict[str, Any]:
        """Entries and hosted giveaways."""
        async with db.session() as session:
            entries = select(GiveawayEntry, Giveaway.prize).outerjoin(
                Giveaway, Giveaway.id == GiveawayEntry.giveaway_id
            )
            entries = entries.where(GiveawayEntry.user_id == user_id)
            hosted = select(Giveaway).where(Giveaway.host_id == user_id)
            if guild_id is not None:
                entries = entries.where(GiveawayEntry.guild_id == guild_id)
                hosted = hosted.where(Giveaway.guild_id == guild_id)
            found: dict[str, Any] = {}
            rows = (await session.execute(entries.order_by(GiveawayEntry.entered_at))).all()
            if rows:
                found["entries"] = [
                    {
                        "guild_id": entry.guild_id,
                        "giveaway": entry.giveaway_id,
                        "prize": prize,
                        "entered_at": entry.entered_at,
                        "won": entry.won_round is not None,
                    }
                    for entry, prize in rows
                ]
            started = list(await session.scalars(hosted.order_by(Giveaway.id)))
            if started:
                found["hosted"] = [
                    {"guild_id": g.guild_id, "giveaway": g.id, "prize": g.prize, "ends_at": g.ends_at} for g in started
                ]
        return jsonable(found) if found else {}

    async def delete_user_data(self, db: Database, user_id: int, guild_id: int | None) -> int:
        """Delete the entries; the person no longer hosts anything. How many rows changed."""
        async with db.transaction() as session:
            entries = delete(GiveawayEntry).where(GiveawayEntry.user_id == user_id)
            hosted = update(Giveaway).where(Giveaway.host_id == user_id).values(host_id=ERASED_USER_ID)
            if guild_id is not None:
                entries = entries.where(GiveawayEntry.guild_id == guild_id)
                hosted = hosted.where(Giveaway.guild_id == guild_id)
            removed = await session.execute(entries)
            changed = await session.execute(hosted)
        return int(removed.rowcount or 0) + int(changed.rowcount or 0)  # type: ignore[attr-defined]


PRIVACY = GiveawaysData()
