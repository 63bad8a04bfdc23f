"""The giveaways module's dashboard API, under `/api/guilds/{guild_id}/modules/giveaways` (ids as text)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from wolaro.modules.giveaways import store
from wolaro.sdk import ManagedGuild, WebDep

router = APIRouter()


class RunningGiveaway(BaseModel):
    """A giveaway that takes entries."""

    id: int
    prize: str
    channel_id: str
    winners: int
    ends_at: datetime


@router.get("/active", response_model=list[RunningGiveaway], summary="The giveaways running in the server")
async def active(guild: ManagedGuild, web: WebDep) -> list[RunningGiveaway]:
    """Running giveaways, ending soonest first."""
    found = await store.active(web.services.db, guild.guild_id)
    return [
        RunningGiveaway(id=g.id, prize=g.prize, channel_id=str(g.channel_id), winners=g.winners, ends_at=g.ends_at)
        for g in found
    ]
