"""What polls keep about a person: their votes in button polls, and the polls they started.

Erasure deletes their votes (closed polls keep their final counts) and the polls they started no longer name them
(`ERASED_USER_ID`). Votes in Discord's own polls are kept by Discord, not by the bot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update

from wolaro.core.jsonsafe import jsonable
from wolaro.core.privacy import ERASED_USER_ID
from wolaro.data.database import Database
from wolaro.modules.polls.models import Poll, PollVote


class PollsData:
    """`UserData` of the polls module."""

    stores: Mapping[str, str] = {
        "poll_votes.user_id": "Your votes in button polls",
        "polls.author_id": "The polls you started",
    }

    async def export_user_data(self, db: Database, user_id: int, guild_id: int | None) -> dict[str, Any]:
        """Votes and started polls."""
        async with db.session() as session:
            votes = (
                select(PollVote, Poll).outerjoin(Poll, Poll.id == PollVote.poll_id).where(PollVote.user_id == user_id)
            )
            started = select(Poll).where(Poll.author_id == user_id)
            if guild_id is not None:
                votes = votes.where(PollVote.guild_id == guild_id)
                started = started.where(Poll.guild_id == guild_id)
            cast = [
                {
                    "guild_id": vote.guild_id,
                    "poll": vote.poll_id,
                    "question": poll.question if poll is not None else None,
                    "option": poll.options[vote.option]
                    if poll is not None and vote.option < len(poll.options)
                    else vote.option,
                    "voted_at": vote.voted_at,
                }
                for vote, poll in (await session.execute(votes)).all()
            ]
            mine = [
                {"guild_id": p.guild_id, "poll": p.id, "question": p.question, "created_at": p.created_at}
                for p in await session.scalars(started)
            ]
        found: dict[str, Any] = {}
        if cast:
            found["votes"] = cast
        if mine:
            found["polls_started"] = mine
        return jsonable(found) if found else {}

    async def delete_user_data(self, db: Database, user_id: int, guild_id: int | None) -> int:
        """Delete the votes; the started polls no longer name them. How many rows changed."""
        async with db.transaction() as session:
            votes = delete(PollVote).where(PollVote.user_id == user_id)
            started = update(Poll).where(Poll.author_id == user_id).values(author_id=ERASED_USER_ID)
            if guild_id is not None:
                votes = votes.where(PollVote.guild_id == guild_id)
                started = started.where(Poll.guild_id == guild_id)
            removed = await session.execute(votes)
            changed = await session.execute(started)
        return int(removed.rowcount or 0) + int(changed.rowcount or 0)  # type: ignore[attr-defined]


PRIVACY = PollsData()
