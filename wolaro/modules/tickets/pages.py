"""The tickets' dashboard page: the latest tickets and the support team's figures (values for its template)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wolaro.modules.tickets import store
from wolaro.modules.tickets.service import staff_stats

PAGE_SIZE = 50


async def tickets_page_data(services: Any, guild_id: int) -> Mapping[str, Any]:
    """The latest tickets, how many are open, claimed and closed, and per staff member their figures (by name)."""
    db = services.db
    total, latest = await store.listing(db, guild_id, store.Filters(limit=PAGE_SIZE))
    counts = {
        status: (await store.listing(db, guild_id, store.Filters(status=status, limit=1)))[0]
        for status in ("open", "closed", "deleted")
    }
    claimed = (await store.listing(db, guild_id, store.Filters(status="open", claimed=True, limit=1)))[0]
    staff = staff_stats(await store.times(db, guild_id))
    people = [t.opener_id for t in latest] + [t.claimed_by for t in latest] + [s.user_id for s in staff]
    return {
        "tickets": latest,
        "total": total,
        "counts": counts,
        "claimed": claimed,
        "staff": staff,
        "member_ids": [p for p in people if p],  # shown by name and avatar (the dashboard looks them up)
    }
