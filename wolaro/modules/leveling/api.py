"""The leveling module's dashboard API, mounted under `/api/guilds/{guild_id}/modules/leveling`.

Every route takes `ManagedGuild` (the caller may manage the server). Settings, including the role rewards, go
through Wolaro's own `/api/guilds/{guild_id}/modules/leveling` (GET, PATCH with 422 naming the field).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from wolaro.modules.leveling import store
from wolaro.modules.leveling.config import NAME, Config
from wolaro.modules.leveling.curves import CurveSpec, level_for_xp
from wolaro.sdk import Database, ManagedGuild, WebDep

router = APIRouter()
AVATAR_URL = "https://cdn.discordapp.com/avatars/{user}/{avatar}.png?size=64"


class Entry(BaseModel):
    """A member on the leaderboard (ids as text: JavaScript loses precision past 2**53)."""

    place: int
    user_id: str
    name: str
    avatar_url: str | None
    level: int
    xp: int


class Board(BaseModel):
    """One page of a server's leaderboard."""

    members: int
    entries: list[Entry]


async def board(db: Database, guild_id: int, settings: Config, *, limit: int = 100, offset: int = 0) -> Board:
    """A page of the leaderboard, levels computed on the server's curve."""
    curve = CurveSpec.of(settings)
    members, rows = await store.leaderboard(db, guild_id, limit=limit, offset=offset)
    entries = [
        Entry(
            place=offset + index,
            user_id=str(row.user_id),
            name=row.name or f"Member {str(row.user_id)[-4:]}",
            avatar_url=AVATAR_URL.format(user=row.user_id, avatar=row.avatar) if row.avatar else None,
            level=level_for_xp(row.xp, curve),
            xp=row.xp,
        )
        for index, row in enumerate(rows, start=1)
    ]
    return Board(members=members, entries=entries)


def settings_of(stored: Any) -> Config:
    """A server's leveling settings from its stored config (defaults when unreadable)."""
    known = {k: v for k, v in dict(stored or {}).items() if k in Config.model_fields}
    try:
        return Config.model_validate(known)
    except ValueError:
        return Config()


@router.get("/leaderboard", response_model=Board, summary="The members with the most XP")
async def leaderboard(
    guild: ManagedGuild,
    web: WebDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Board:
    """A page of the server's leaderboard, best first."""
    config = await web.services.config.get(guild.guild_id)
    return await board(
        web.services.db, guild.guild_id, settings_of(config.module_configs.get(NAME)), limit=limit, offset=offset
    )
