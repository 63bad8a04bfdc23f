"""`create_app(services)`: the dashboard's FastAPI application (REST API, WebSocket, pages, health, metrics).

Served in the same process as the bot by `wolaro run`, or alone by `wolaro api` (several behind a load balancer:
every piece of state is in the database or the shared cache, and pub/sub keeps each process's caches true).

Routers: `routes/` (REST API, auth, WebSocket, health), `pages.py` (server-rendered pages), and each installed
module's own router when its spec declares one (`ModuleSpec.api`), mounted under
`/api/guilds/{guild_id}/modules/<name>` (its routes take `guild: ManagedGuild` like every guild route: the isolation
test enforces it). A module's panel templates are found as `<name>/<template>` (`ModuleSpec.templates`).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader
from prometheus_client import CollectorRegistry

from wolaro.core.config_service import ConfigError
from wolaro.core.presence import BotPresence, PresenceReader
from wolaro.core.registry import ModuleSpec
from wolaro.core.services import Services
from wolaro.logging import get_logger
from wolaro.web import errors, pages, public_pages
from wolaro.web.access import AccessService
from wolaro.web.context import Web
from wolaro.web.discord_api import DiscordAPI
from wolaro.web.hub import Hub
from wolaro.web.limits import BodyLimitMiddleware
from wolaro.web.routes import admin, audit, audit_actions, auth, guilds, health, modules, privacy, ws
from wolaro.web.security import SecurityMiddleware, SecurityStats, TokenCipher, Tokens, secret_key
from wolaro.web.sessions import SessionStore

log = get_logger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"

DESCRIPTION = """\
Wolaro's dashboard API. Log in with Discord at `/auth/login`; the session is a signed cookie. State-changing
requests need the `X-CSRF-Token` header (the value of the `wolaro_csrf` cookie). Ids are strings.
Live updates: WebSocket `/ws` (see `wolaro/web/hub.py`).
"""


def create_app(
    services: Services,
    *,
    bot_presence: BotPresence | None = None,
    discord_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The dashboard app on `services` (whose lifetime stays the caller's).

    `bot_presence` says where the bot is (default: the shared `bot_guilds` table and shard heartbeats that the bot
    processes maintain); `discord_transport` lets tests route Discord calls elsewhere.
    """
    web = _build_web(services, bot_presence, discord_transport)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await web.close()

    app = FastAPI(
        **_NO_OTEL,
        title="Wolaro dashboard API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url="/redoc",
    )
    app.state.web = web
    app.add_exception_handler(ConfigError, errors.config_error)
    _include_routes(app, services.config.specs)
    app.add_middleware(
        SecurityMiddleware, settings=web.settings, limiter=services.limiter, tokens=web.tokens, stats=web.security
    )
    app.add_middleware(BodyLimitMiddleware)  # outermost: a too-large body is refused (413) before anything reads it
    return app


def _build_web(
    services: Services, bot_presence: BotPresence | None, discord_transport: httpx.AsyncBaseTransport | None
) -> Web:
    """The dashboard's per-process services (Discord client, sessions, access, live hub, templates, metrics)."""
    settings = services.settings
    presence = bot_presence or PresenceReader(services.db, services.cache)
    discord = DiscordAPI(settings, services.cache, transport=discord_transport)
    secret = secret_key(settings)  # MissingSecretKey (naming SECRET_KEY) when unset: no usable default
    local_ttl = min(30.0, settings.dashboard_guilds_ttl or 30.0)
    sessions = SessionStore(services.db, TokenCipher(secret), discord, local_ttl=local_ttl)
    access = AccessService(settings, services.db, services.cache, discord, sessions, presence, services.config)
    hub = Hub(access, services.pubsub, on_session_ended=sessions.forget)
    hub.attach()
    web = Web(
        services=services,
        settings=settings,
        presence=presence,
        discord=discord,
        sessions=sessions,
        access=access,
        hub=hub,
        tokens=Tokens(secret, max_age=settings.session_max_age),
        templates=Jinja2Templates(env=template_environment(services.config.specs)),
        metrics_registry=CollectorRegistry(auto_describe=True),
        security=SecurityStats(),
    )
    web.metrics_registry.register(health.WebCollector(web))
    return web


def _include_routes(app: FastAPI, specs: Mapping[str, ModuleSpec]) -> None:
    """The API routers (the busiest first), the modules' routers, the pages, static files and the icon."""
    for router in (guilds.router, modules.router, auth.router, audit.router, admin.router, health.router):  # hot first
        _include_flat(app, router)
    app.include_router(privacy.router)
    app.include_router(audit_actions.router)
    app.include_router(ws.router)
    _include_module_routers(app, specs)
    public_pages.install(app)
    pages.install(app)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.add_api_route("/favicon.ico", _favicon, methods=["GET", "HEAD"], include_in_schema=False)


def _include_flat(app: FastAPI, router: APIRouter) -> None:
    """The router's routes added to the app's own list, as `include_router` did before FastAPI 0.16x.

    FastAPI now keeps an included router as one node whose routes are matched a second time on every request
    (about 15 µs of a cached settings GET, the API's hottest request). Only for routers whose routes carry all they
    need (prefix, tags and dependencies given to the `APIRouter` itself); `app.dependency_overrides` does not reach
    these routes (Wolaro's tests use none).
    """
    app.router.routes.extend(router.routes)


#: Wolaro exports Prometheus metrics, not OpenTelemetry: FastAPI versions with native OTel support would otherwise
#: look up the global OTel providers (environment reads) on every request.
_NO_OTEL: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


async def _favicon() -> FileResponse:
    """The dashboard's icon (SVG) where browsers look for it by default."""
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml", headers=_FAVICON_CACHE)


_FAVICON_CACHE = {"Cache-Control": "public, max-age=86400"}


def template_environment(specs: Mapping[str, ModuleSpec]) -> Environment:
    """The dashboard's templates, and each module's under its name (`{% include "counting/panel.html" %}`)."""
    modules = {name: FileSystemLoader(str(spec.templates)) for name, spec in specs.items() if spec.templates}
    loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES_DIR)), PrefixLoader(modules)])
    return Environment(loader=loader, autoescape=True, auto_reload=False)


def _include_module_routers(app: FastAPI, specs: Mapping[str, ModuleSpec]) -> None:
    """Mount each module's declared router under `/api/guilds/{guild_id}/modules/<name>`."""
    for name, spec in specs.items():
        if spec.api is not None:
            app.include_router(spec.api, prefix=f"/api/guilds/{{guild_id}}/modules/{name}", tags=[name])


__all__ = ["RequestValidationError", "create_app"]
