"""The statistics dashboard API, mounted under `/api/guilds/{guild_id}/modules/statistics`.

Every route takes `ManagedGuild` (the caller may manage this server). Dates are the server's local days
(`YYYY-MM-DD`, both included; the last 30 days by default); ids are sent as text. Results are the cached rollup
queries the bot's commands use, so the page stays fast for the biggest server.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from wolaro.modules.statistics import online, queries
from wolaro.modules.statistics.cache import StatsCache
from wolaro.modules.statistics.times import day_number, today
from wolaro.sdk import ManagedGuild, WebDep, is_snowflake, request_language

router = APIRouter()
STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {
    "uPlot.iife.min.js": "text/javascript",
    "uPlot.min.css": "text/css",
    "statistics.js": "text/javascript",
    "statistics.css": "text/css",
    "uPlot.LICENSE": "text/plain",
}
MAX_DAYS = 3650
Start = Annotated[date | None, Query(description="First day (YYYY-MM-DD); 30 days before the last by default")]
End = Annotated[date | None, Query(description="Last day (YYYY-MM-DD), included; today by default")]
Language = Annotated[str, Depends(request_language)]
"""The caller's language (`?language=`, the dashboard's cookie, then Accept-Language): refusals are said in it."""


def _refused(web: Any, language: str, message: str, where: tuple[str, ...], **values: Any) -> HTTPException:
    """A refusal as a 422 in FastAPI's validation shape (loc, msg, type): our sentence, in the caller's language."""
    said = str(web.services.translator.translate(language, message, **values))
    detail = [{"loc": list(where), "msg": said, "type": "value_error"}]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


async def _range(
    web: Any, language: str, guild_id: int, start: date | None, end: date | None
) -> tuple[tuple[int, int], str]:
    config = await web.services.config.get(guild_id)
    timezone = (config.module_configs.get("statistics") or {}).get("timezone") or "UTC"
    last = day_number(end) if end else today(timezone)
    first = day_number(start) if start else last - 29
    if first > last:
        raise _refused(web, language, "The first day must come before the last day.", ("query", "start"))
    if last - first >= MAX_DAYS:
        raise _refused(web, language, "Choose at most {days} days.", ("query", "start"), days=MAX_DAYS)
    return (first, last), timezone


async def _channel_names(web: Any, guild_id: int) -> dict[str, str]:
    """Channel id (text) -> name, from Discord through the dashboard's cached lookups (empty if unavailable)."""
    try:
        channels = await web.discord.guild_channels(guild_id)
    except Exception:
        return {}
    return {str(c["id"]): str(c.get("name") or "") for c in channels if c.get("type") in (0, 2, 5, 13, 15)}


async def _member_names(web: Any, guild_id: int, user_ids: list[str]) -> dict[str, str]:
    """Member id (text) -> the name shown in the server (nickname, else display name, else username)."""

    async def one(user_id: str) -> tuple[str, str | None]:
        try:
            member = await web.discord.guild_member(guild_id, int(user_id))
        except Exception:
            return user_id, None
        if not member:
            return user_id, None
        user = member.get("user") or {}
        return user_id, member.get("nick") or user.get("global_name") or user.get("username")

    found = await asyncio.gather(*(one(u) for u in user_ids))
    return {u: name for u, name in found if name}


#: The sentence refusing a value that is not an id, per kind of id.
NOT_AN_ID = {"channel": "That is not a channel.", "member": "That is not a member."}


def _snowflake(web: Any, language: str, value: str | None, what: str, *where: str) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or not is_snowflake(int(value)):
        raise _refused(web, language, NOT_AN_ID[what], where)
    return int(value)


@router.get(
    "/overview",
    summary="Messages, voice time, active members, joins and leaves per day; top channels; members online per day",
)
async def overview(
    guild: ManagedGuild, web: WebDep, language: Language, start: Start = None, end: End = None
) -> dict[str, Any]:
    """The server's activity over the range."""
    days, _ = await _range(web, language, guild.guild_id, start, end)
    cache = StatsCache(web.services.cache)
    result: dict[str, Any] = await cache.get_or_compute(
        guild.guild_id, f"overview:{days}", lambda: queries.overview(web.services.db, guild.guild_id, days)
    )
    names = await _channel_names(web, guild.guild_id)
    result["top_channels"] = [{**c, "name": names.get(c["channel_id"])} for c in result["top_channels"]]
    # days with members online counted (the server's setting and the host's presences): most at once, average
    result["online"] = await online.days(web.services.db, guild.guild_id, days)
    return result


@router.get("/leaderboard", summary="The most active members by messages or voice time")
async def leaderboard(
    guild: ManagedGuild,
    web: WebDep,
    language: Language,
    metric: Literal["messages", "voice"] = "messages",
    start: Start = None,
    end: End = None,
    channel_id: Annotated[str | None, Query(max_length=20, description="Only this channel (last 90 days)")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[dict[str, Any]]:
    """Members ranked over the range, optionally in one channel."""
    days, timezone = await _range(web, language, guild.guild_id, start, end)
    channel = _snowflake(web, language, channel_id, "channel", "query", "channel_id")
    cache = StatsCache(web.services.cache)
    board: list[dict[str, Any]] = await cache.get_or_compute(
        guild.guild_id,
        f"top:{metric}:{days}:{channel}:{limit}",
        lambda: queries.leaderboard(
            web.services.db, guild.guild_id, metric, days, limit=limit, channel_id=channel, timezone=timezone
        ),
    )
    names = await _member_names(web, guild.guild_id, [row["user_id"] for row in board])
    return [{**row, "name": names.get(row["user_id"])} for row in board]


@router.get("/channel-list", summary="The server's text and voice channels, for the channel filter")
async def channel_list(guild: ManagedGuild, web: WebDep) -> list[dict[str, str]]:
    """Channels as {channel_id, name} (empty if Discord cannot be asked right now)."""
    names = await _channel_names(web, guild.guild_id)
    return [{"channel_id": c, "name": n} for c, n in sorted(names.items(), key=lambda item: item[1])]


@router.get("/users/{user_id}", summary="One member's messages, voice time and rank")
async def user(
    guild: ManagedGuild,
    web: WebDep,
    language: Language,
    user_id: Annotated[str, PathParam(max_length=20)],
    start: Start = None,
    end: End = None,
) -> dict[str, Any]:
    """A member's activity over the range."""
    days, _ = await _range(web, language, guild.guild_id, start, end)
    member = _snowflake(web, language, user_id, "member", "path", "user_id") or 0
    return await queries.user_stats(web.services.db, guild.guild_id, member, days)


@router.get("/channels/{channel_id}", summary="One channel's messages, voice time and most active members")
async def channel(
    guild: ManagedGuild,
    web: WebDep,
    language: Language,
    channel_id: Annotated[str, PathParam(max_length=20)],
    start: Start = None,
    end: End = None,
) -> dict[str, Any]:
    """A channel's activity over the range."""
    days, timezone = await _range(web, language, guild.guild_id, start, end)
    target = _snowflake(web, language, channel_id, "channel", "path", "channel_id") or 0
    return await queries.channel_stats(web.services.db, guild.guild_id, target, days, timezone)


@router.get("/growth", summary="Joins, leaves and the member count per day")
async def growth(
    guild: ManagedGuild, web: WebDep, language: Language, start: Start = None, end: End = None
) -> list[dict[str, Any]]:
    """Member growth over the range."""
    days, _ = await _range(web, language, guild.guild_id, start, end)
    return await queries.growth(web.services.db, guild.guild_id, days)


@router.get("/assets/{name}", include_in_schema=False)
async def asset(guild: ManagedGuild, name: str) -> FileResponse:
    """The statistics page's script, styles and the vendored chart library (uPlot, MIT) with its license."""
    if name not in ASSETS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such file.")
    return FileResponse(STATIC / name, media_type=ASSETS[name], headers={"Cache-Control": "private, max-age=3600"})
