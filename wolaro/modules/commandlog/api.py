"""The command log's API, under `/api/guilds/{guild_id}/modules/commandlog` (ids as text)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from wolaro.modules.commandlog import store
from wolaro.sdk import ManagedGuild, WebDep

router = APIRouter()


class LoggedCommand(BaseModel):
    """One command: as the live log's `command:executed` message says it."""

    command: str
    arguments: str
    user_id: str
    user: str
    channel_id: str | None
    channel: str
    status: str
    ts: datetime


@router.get("/recent", response_model=list[LoggedCommand], summary="The server's recent commands, newest first")
async def recent(
    guild: ManagedGuild, web: WebDep, limit: Annotated[int, Query(ge=1, le=store.KEEP)] = 100
) -> list[LoggedCommand]:
    """What was run here lately, by whom, where and with which arguments."""
    rows = await store.recent(web.services.db, guild.guild_id, limit)
    return [
        LoggedCommand(
            command=r.command,
            arguments=r.arguments,
            user_id=str(r.user_id),
            user=r.user_name,
            channel_id=str(r.channel_id) if r.channel_id else None,
            channel=r.channel_name,
            status=r.status,
            ts=r.at,
        )
        for r in rows
    ]
