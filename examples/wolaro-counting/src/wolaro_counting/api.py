"""The counting module's dashboard API, mounted by Wolaro under `/api/guilds/{guild_id}/modules/counting`.

Every route takes `ManagedGuild`: the caller may manage the server in the path (else 401/403), and writes carry the
dashboard's CSRF header. The module's settings themselves go through Wolaro's own
`/api/guilds/{guild_id}/modules/counting` (GET, PATCH with 422 naming the field).
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from wolaro.sdk import ManagedGuild, WebDep
from wolaro_counting import store

router = APIRouter()


class Counter(BaseModel):
    """One member on the scoreboard (ids as text: JavaScript loses precision past 2**53)."""

    user_id: str
    correct: int


class Scoreboard(BaseModel):
    """A server's count, its best, and who counted most."""

    current: int
    high_score: int
    top: list[Counter]


async def _scoreboard(web: WebDep, guild_id: int) -> Scoreboard:
    db = web.services.db
    state = await store.snapshot(db, guild_id)
    top = await store.leaderboard(db, guild_id)
    return Scoreboard(
        current=state.current,
        high_score=state.high_score,
        top=[Counter(user_id=str(user), correct=correct) for user, correct in top],
    )


@router.get("/scoreboard", response_model=Scoreboard, summary="The count, the high score and the best counters")
async def scoreboard(guild: ManagedGuild, web: WebDep) -> Scoreboard:
    """Where the server's count stands."""
    return await _scoreboard(web, guild.guild_id)


@router.post("/reset", response_model=Scoreboard, summary="Start the count again at 0")
async def reset(guild: ManagedGuild, web: WebDep) -> Scoreboard:
    """An admin's reset from the dashboard (the high score and the tallies stay)."""
    await store.reset(web.services.db, guild.guild_id, guild.user.id)
    return await _scoreboard(web, guild.guild_id)
