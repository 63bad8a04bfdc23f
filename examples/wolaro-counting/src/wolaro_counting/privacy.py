"""What the counting game keeps about a person, for `/privacy export` and `/privacy delete` (Wolaro's `UserData`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wolaro.sdk import Database
from wolaro_counting import store


class CountingData:
    """The counting module's privacy hooks: a member's tallies, and being the last to count in a server."""

    stores: Mapping[str, str] = {
        "counting_tallies.user_id": "How many numbers you counted correctly, per server",
        "counting_state.last_user_id": "Servers where you said the last number (counted, or broke the count)",
    }

    async def export_user_data(self, db: Database, user_id: int, guild_id: int | None) -> dict[str, Any]:
        """The person's tallies and the servers where they said the last number (ids as text)."""
        tallies, last = await store.user_rows(db, user_id, guild_id)
        data: dict[str, Any] = {}
        if tallies:
            data["correct_counts"] = [{"guild_id": str(g), "correct": correct} for g, correct in tallies]
        if last:
            data["last_to_count_in"] = [str(g) for g in last]
        return data

    async def delete_user_data(self, db: Database, user_id: int, guild_id: int | None) -> int:
        """Delete the person's tallies and forget them as the last to count (the count itself stays)."""
        return await store.erase_user(db, user_id, guild_id)


PRIVACY = CountingData()
