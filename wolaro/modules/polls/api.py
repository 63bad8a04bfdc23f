"""The polls module's dashboard API, under `/api/guilds/{guild_id}/modules/polls` (ids as text)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from wolaro.modules.polls import store
from wolaro.sdk import ManagedGuild, WebDep

router = APIRouter()


class OpenPoll(BaseModel):
    """A poll that takes votes."""

    id: int
    kind: str
    question: str
    options: list[str]
    channel_id: str
    anonymous: bool
    ends_at: datetime


@router.get("/open", response_model=list[OpenPoll], summary="The polls open in the server")
async def open_polls(guild: ManagedGuild, web: WebDep) -> list[OpenPoll]:
    """Open polls, closing soonest first (an anonymous poll's votes stay hidden here too)."""
    found = await store.open_polls(web.services.db, guild.guild_id)
    return [
        OpenPoll(
            id=p.id,
            kind=p.kind,
            question=p.question,
            options=p.options,
            channel_id=str(p.channel_id),
            anonymous=p.anonymous,
            ends_at=p.ends_at,
        )
        for p in found
    ]
