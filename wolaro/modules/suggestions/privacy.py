"""What suggestions keep about a person: their suggestions, their votes, and the suggestions they decided.

Erasure deletes their votes and their suggestions (text included), and the suggestions they decided as staff no
longer name them (`ERASED_USER_ID`); the decision stays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update

from wolaro.core.jsonsafe import jsonable
from wolaro.core.privacy import ERASED_USER_ID
from wolaro.data.database import Database
from wolaro.modules.suggestions.models import Suggestion, SuggestionVote


class SuggestionsData:
    """`UserData` of the suggestions module."""

    stores: Mapping[str, str] = {
        "suggestions.author_id": "Your suggestions, their text and what was decided",
        "suggestions.decided_by": "Suggestions you approved or denied as staff",
        "suggestion_votes.user_id": "Your votes on suggestions",
    }

    async def export_user_data(self, db: Database, user_id: int, guild_id: int | None) -> dict[str, Any]:
        """Suggestions written, decided and voted on."""
        async with db.session() as session:
            written = select(Suggestion).where(Suggestion.author_id == user_id)
            decided = select(Suggestion).where(Suggestion.decided_by == user_id)
            votes = select(SuggestionVote).where(SuggestionVote.user_id == user_id)
            if guild_id is not None:
                written = written.where(Suggestion.guild_id == guild_id)
                decided = decided.where(Suggestion.guild_id == guild_id)
                votes = votes.where(SuggestionVote.guild_id == guild_id)
            found: dict[str, Any] = {}
            mine = [
                {"guild_id": s.guild_id, "suggestion": s.id, "text": s.text, "status": s.status, "reason": s.reason}
                for s in await session.scalars(written)
            ]
            judged = [
                {"guild_id": s.guild_id, "suggestion": s.id, "status": s.status} for s in await session.scalars(decided)
            ]
            cast = [
                {"guild_id": v.guild_id, "suggestion": v.suggestion_id, "for": v.up}
                for v in await session.scalars(votes)
            ]
        for key, rows in (("suggestions", mine), ("decided", judged), ("votes", cast)):
            if rows:
                found[key] = rows
        return jsonable(found) if found else {}

    async def delete_user_data(self, db: Database, user_id: int, guild_id: int | None) -> int:
        """Delete their suggestions and votes; forget them as deciders. How many rows changed."""
        async with db.transaction() as session:
            scope_s = [] if guild_id is None else [Suggestion.guild_id == guild_id]
            scope_v = [] if guild_id is None else [SuggestionVote.guild_id == guild_id]
            votes = await session.execute(delete(SuggestionVote).where(SuggestionVote.user_id == user_id, *scope_v))
            written = await session.execute(delete(Suggestion).where(Suggestion.author_id == user_id, *scope_s))
            judged = await session.execute(
                update(Suggestion).where(Suggestion.decided_by == user_id, *scope_s).values(decided_by=ERASED_USER_ID)
            )
        changed: list[int] = [int(r.rowcount or 0) for r in (votes, written, judged)]  # type: ignore[attr-defined]
        return sum(changed)


PRIVACY = SuggestionsData()
