"""The suggestions module's dashboard API, under `/api/guilds/{guild_id}/modules/suggestions` (ids as text)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from wolaro.modules.suggestions import store
from wolaro.sdk import ManagedGuild, WebDep

router = APIRouter()


class Waiting(BaseModel):
    """A suggestion waiting for a decision."""

    id: int
    author_id: str
    text: str
    up: int
    down: int


@router.get("/queue", response_model=list[Waiting], summary="Suggestions waiting for a decision")
async def queue(guild: ManagedGuild, web: WebDep) -> list[Waiting]:
    """Open suggestions with their votes, oldest first."""
    found = await store.queue(web.services.db, guild.guild_id)
    return [Waiting(id=s.id, author_id=str(s.author_id), text=s.text, up=s.up, down=s.down) for s in found]
