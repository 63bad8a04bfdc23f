"""Health (`/api/health`, for load balancers and humans) and Prometheus metrics (`/metrics`).

`/api/health` answers everyone with its status alone (200 healthy or degraded, 503 unhealthy); the details (database,
cache, shards, sockets) and `/metrics` go only to operators: `Authorization: Bearer <METRICS_TOKEN>` or a client in
METRICS_ALLOW_IPS (the middleware guards `/metrics`; see `wolaro/web/security.py`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from wolaro.core.registry import module_problems
from wolaro.web.context import Web
from wolaro.web.deps import WebDep

router = APIRouter(tags=["health"])
HEALTH_TIMEOUT = 3.0


@router.get(
    "/api/health",
    summary="Health of the platform",
    responses={503: {"description": "The database is down or a gateway shard is disconnected"}},
)
async def health(request: Request, web: WebDep) -> Response:
    """Database, cache, pub/sub, each gateway shard, the WebSocket clients and the modules of this process.

    `warnings` lists each installed module that was left out (failed to import, or declared something invalid).

    Shards come from the bots' shared heartbeat. 200 when healthy or degraded (Redis down: memory fallback), 503
    when the database is down or a shard that reported is disconnected. Only `status` unless the caller is an
    operator (METRICS_TOKEN bearer or METRICS_ALLOW_IPS).
    """
    services = web.services
    database_ok, cache_ok = await asyncio.gather(services.db.ping(), _ping_cache(web))
    shards = await web.presence.shards()
    redis_configured = services.settings.redis_url is not None
    gateway = "not reported" if shards is None else ("connected" if all(s["connected"] for s in shards) else "down")
    unhealthy = not database_ok or gateway == "down"
    degraded = redis_configured and (not cache_ok or not services.pubsub.available)
    status = "unhealthy" if unhealthy else ("degraded" if degraded else "healthy")
    code = 503 if unhealthy else 200
    if not web.ops.allowed(request.scope):
        return Response(orjson.dumps({"status": status}), media_type="application/json", status_code=code)
    hub = web.hub.stats()
    body: dict[str, Any] = {
        "status": status,
        "database": "connected" if database_ok else "down",
        "database_backend": services.db.dialect,
        "cache": ("connected" if cache_ok else "down (memory fallback)") if redis_configured else "memory",
        "redis": ("connected" if cache_ok else "down") if redis_configured else "not configured",
        "pubsub": "connected" if services.pubsub.available else "down (local delivery only)",
        "gateway": gateway,
        "shards": shards or [],
        "websocket": "active",
        "connectedUsers": hub["connectedUsers"],
        "websocketConnections": hub["totalConnections"],
        "modules": sorted(services.config.specs),
        "warnings": [f"module {p['module']} skipped: {p['reason']}" for p in module_problems()],
        "time": time.time(),
    }
    return Response(orjson.dumps(body), media_type="application/json", status_code=code)


async def _ping_cache(web: Web) -> bool:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            return await web.services.cache.ping()
    except TimeoutError:
        return False


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(web: WebDep) -> Response:
    """Prometheus text format.

    Commands by status and their latency, gateway events (when a bot runs in this process), cache hit rates,
    WebSocket clients, rate-limit rejections.
    """
    body = generate_latest(REGISTRY) + generate_latest(web.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


class WebCollector(Collector):
    """Figures read at scrape time from this app's parts."""

    def __init__(self, web: Web) -> None:
        self.web = web

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        """Cache hit rates, WebSocket clients and rooms, forwarded events, rejected requests."""
        web = self.web
        cache = web.services.cache.stats()
        config = web.services.config.stats()
        hub = web.hub.stats()
        yield _gauge("wolaro_cache_hit_ratio", "Shared cache (Redis or memory) hit ratio", cache.get("hit_rate", 0.0))
        yield _gauge("wolaro_cache_redis_available", "1 when Redis answers", float(cache.get("redis_available", 0)))
        yield _gauge(
            "wolaro_guild_config_hit_ratio", "Process-local guild config cache hit ratio", config["local_hit_rate"]
        )
        yield _gauge("wolaro_guild_config_entries", "Guild configs cached in this process", config["local_entries"])
        yield _gauge("wolaro_websocket_clients", "Open dashboard WebSocket connections", hub["totalConnections"])
        yield _gauge("wolaro_websocket_users", "Distinct users with an open dashboard socket", hub["connectedUsers"])
        yield _gauge("wolaro_websocket_rooms", "Guild rooms with at least one socket", hub["rooms"])
        forwarded = CounterMetricFamily("wolaro_websocket_events_forwarded", "Events sent to dashboard sockets")
        forwarded.add_metric([], hub["forwarded"])
        yield forwarded
        rejected = CounterMetricFamily("wolaro_api_rate_limited", "Requests refused with 429")
        rejected.add_metric([], web.security.rejected)
        yield rejected


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation)
    family.add_metric([], float(value))
    return family
