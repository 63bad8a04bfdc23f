"""The starboard's dashboard API, under `/api/guilds/{guild_id}/modules/starboard` (ids as text)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from wolaro.modules.starboard import store
from wolaro.sdk import ManagedGuild, WebDep

router = APIRouter()


class StarredMessage(BaseModel):
    """A message on the starboard."""

    channel_id: str
    message_id: str
    stars: int


@router.get("/top", response_model=list[StarredMessage], summary="The most starred messages on the starboard")
async def top(guild: ManagedGuild, web: WebDep) -> list[StarredMessage]:
    """The ten messages with the most stars."""
    found = await store.top(web.services.db, guild.guild_id)
    return [
        StarredMessage(channel_id=str(p.source.channel_id), message_id=str(p.source.message_id), stars=p.stars)
        for p in found
    ]
