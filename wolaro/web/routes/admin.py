"""Master-admin endpoints: every guild the bot is in, cache and WebSocket figures (seed 002 "Monitoring")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from wolaro.web.deps import MasterAdmin, WebDep
from wolaro.web.schemas import AdminGuild

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/guilds", response_model=list[AdminGuild], summary="Every guild the bot is in")
async def all_guilds(admin: MasterAdmin, web: WebDep) -> list[AdminGuild]:
    """The bot's guilds as the bot last reported them (shared `bot_guilds` table)."""
    return [
        AdminGuild(
            id=str(g.id),
            name=g.name,
            icon=g.icon,
            owner_id=str(g.owner_id) if g.owner_id is not None else None,
            member_count=g.member_count,
            shard_id=g.shard_id,
        )
        for g in await web.presence.guilds()
    ]


@router.get("/cache/stats", summary="Cache figures")
async def cache_stats(admin: MasterAdmin, web: WebDep) -> dict[str, Any]:
    """Shared cache (Redis or memory), this process's guild-config cache and the dashboard's own caches."""
    cache = web.services.cache.stats()
    config = web.services.config.stats()
    return {
        "redisAvailable": bool(cache.get("redis_available", False)),
        "memoryCacheSize": cache.get("memory_entries", 0),
        "cacheHitRate": cache.get("hit_rate", 0.0),
        "cache": cache,
        "guildConfig": config,
        "dashboard": web.access.stats(),
    }


@router.get("/websocket/stats", summary="WebSocket figures")
async def websocket_stats(admin: MasterAdmin, web: WebDep) -> dict[str, Any]:
    """Connected users, open sockets and rooms in this API process."""
    return web.hub.stats()
