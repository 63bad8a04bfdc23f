"""Server-rendered pages (Jinja2 templates in `templates/`, plain JS in `static/`, no Node.js build).

    /                                  the guilds the user can manage (the picker)
    /guilds/{guild_id}                 overview: prefix, language, modules on/off, the bot's presence and shard
    /guilds/{guild_id}/modules/{name}  a module's settings, a form generated from its config's JSON schema, and the
                                       panels its spec adds (`ModuleSpec.panels`)
    /guilds/{guild_id}/modules/{name}/{slug}  a page of the module's own (a panel with a `slug`)
    /guilds/{guild_id}/audit           the audit log (filters, keyset pages)
    /guilds/{guild_id}/commands        the live command log

Every guild page takes `ManagedGuild` like the REST API (the isolation test enforces it), renders the state it
has, then `static/guild.js` joins the guild's WebSocket room and keeps the page true without a reload
(`config:updated`, `module:toggled`, `guild:reload`; `permission:revoked` shows why and goes back to the picker).
Writes go through the REST API (`wolaro.api` adds the CSRF header). The CSP allows no inline script: data a page
script needs travels in `data-*` attributes or a `<script type="application/json">` block.

A browser that asks for HTML (`Accept: text/html`) gets pages for errors too: a login redirect for 401, an error
page for 403/404/503; API clients keep FastAPI's JSON errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, HTTPException, Path, Query, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from wolaro.core.config_service import SUPPORTED_LANGUAGES, GuildConfig
from wolaro.core.registry import ModuleSpec, Panel, audit_labels
from wolaro.web import errors, front_door, names, page_i18n
from wolaro.web.access import CurrentUser, DiscordUnavailable, GuildAccess, NotAuthenticated
from wolaro.web.deps import ManagedGuild, OptionalUser, WebDep
from wolaro.web.language import request_language
from wolaro.web.routes.modules import module_out
from wolaro.web.security import safe_next

router = APIRouter(tags=["pages"], include_in_schema=False)

PAGE_PREFIXES = ("/guilds/", "/public/")
#: Modules only the bot's operators use: not shown to server owners.
OPERATOR_MODULES = frozenset({"admin"})
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
ModuleName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
PageSlug = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]


def page_context(user: CurrentUser | None, **extra: Any) -> dict[str, Any]:
    """What every page template gets: `user` (or None) and `csrf_token`."""
    return {"user": user, "csrf_token": user.csrf if user else "", **extra}


@dataclass(frozen=True, slots=True)
class ModuleView:
    """A module as the sidebar and the overview show it."""

    name: str
    title: str
    description: str
    version: str
    enabled: bool
    can_disable: bool
    has_settings: bool
    panels: tuple[Panel, ...] = ()
    pages: tuple[Panel, ...] = ()


def known_actions(specs: Mapping[str, ModuleSpec]) -> list[tuple[str, str]]:
    """Suggestions for the audit log's action filter (value, label), from every module's spec."""
    return list(audit_labels(specs).items())


def _hidden(field: Any) -> bool:
    """A setting edited on a page of its own (`json_schema_extra={"x-hidden": True}`), not in the form."""
    extra = field.json_schema_extra
    return isinstance(extra, dict) and bool(extra.get("x-hidden"))


def initials(name: str) -> str:
    """Up to two initials of a guild's name, for its placeholder icon."""
    words = [word for word in name.replace("-", " ").split() if word[:1].isalnum()]
    return "".join(word[0] for word in words[:2]).upper() or "?"


async def _guild_context(guild: GuildAccess, web: WebDep, page: str, **extra: Any) -> dict[str, Any]:
    config: GuildConfig = await web.services.config.get(guild.guild_id)
    modules = [
        ModuleView(
            name=spec.name,
            title=spec.display_title,
            description=spec.description,
            version=spec.version,
            enabled=config.is_enabled(spec.name),
            can_disable=spec.can_disable,
            has_settings=any(not _hidden(f) for f in spec.config.model_fields.values()),
            panels=tuple(panel for panel in spec.panels if not panel.slug),
            pages=tuple(panel for panel in spec.panels if panel.slug),
        )
        for spec in web.services.config.specs.values()
        if spec.name not in OPERATOR_MODULES or guild.user.is_master
    ]
    return page_context(guild.user, guild=guild, config=config, modules=modules, page=page, **extra)


# ------------------------------------------------------------------------------------------------- routes
@router.get("/login")
async def login_page(next: str = "/") -> Response:
    """Log in with Discord."""
    return RedirectResponse("/auth/login?" + urlencode({"next": safe_next(next)}), status_code=302)


@router.get("/", response_class=HTMLResponse)
async def guild_picker(request: Request, user: OptionalUser, web: WebDep) -> Response:
    """The front door (logged out), or the servers the user manages: with Wolaro, and where it can be added."""
    specs = web.services.config.specs
    client_id = web.settings.discord_client_id
    if user is None:
        modules = [spec for spec in specs.values() if spec.can_disable or spec.name == "permissions"]
        context = page_context(None, invite=front_door.invite_url(client_id, specs), modules=modules)
        return web.templates.TemplateResponse(request, "landing.html", context)
    addable: list[tuple[Any, str | None]] = []
    try:
        guilds = await web.access.manageable(user)
        listed = await web.access.user_guilds(user)
        present = {g.id for g in guilds}
        addable = [
            (g, front_door.invite_url(client_id, specs, g.id))
            for g in sorted(listed.guilds.values(), key=lambda g: (g.name.lower(), g.id))
            if g.can_manage and g.id not in present
        ]
    except NotAuthenticated:
        return RedirectResponse("/auth/login?next=/", status_code=302)
    except DiscordUnavailable:
        guilds = None
    cancelled = request.query_params.get("login") == "cancelled"
    context = page_context(user, guilds=guilds, addable=addable, login_cancelled=cancelled)
    return web.templates.TemplateResponse(request, "guilds.html", context)


@router.get("/guilds/{guild_id}", response_class=HTMLResponse)
async def guild_overview(request: Request, guild: ManagedGuild, web: WebDep) -> Response:
    """A guild's home: settings, modules, the bot's presence."""
    info = (await web.presence.info([guild.guild_id])).get(guild.guild_id)
    shards = await web.presence.shards() or []
    shard = next((s for s in shards if info is not None and s.get("shard_id") == info.shard_id), None)
    if shard is None:
        state, label = "unknown", "Status not known yet"
    elif shard.get("connected"):
        state, label = "connected", "Online"
    else:
        state, label = "disconnected", "Offline: reconnecting"
    context = await _guild_context(
        guild,
        web,
        "overview",
        presence=info,
        shard=shard,
        shard_count=len(shards) or None,
        shard_state=state,
        shard_state_label=label,
        languages=list(SUPPORTED_LANGUAGES),
        language_names=LANGUAGE_NAMES,
    )
    return web.templates.TemplateResponse(request, "overview.html", context)


@router.get("/guilds/{guild_id}/modules/{module}", response_class=HTMLResponse)
async def module_page(request: Request, module: ModuleName, guild: ManagedGuild, web: WebDep) -> Response:
    """A module's settings form (generated in the browser from its JSON schema) and its on/off switch."""
    spec = web.services.config.specs.get(module)
    if spec is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No module named {module!r}")
    context = await _guild_context(guild, web, "module")
    language = request_language(request)
    data = module_out(spec, context["config"], web.services.translator, language).model_dump(mode="json")
    view = next((m for m in context["modules"] if m.name == module), None)
    if view is None:  # a module for the bot's operators only
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No module named {module!r}")
    return web.templates.TemplateResponse(request, "module.html", {**context, "module": view, "module_data": data})


@router.get("/guilds/{guild_id}/modules/{module}/{slug}", response_class=HTMLResponse)
async def module_own_page(
    request: Request, module: ModuleName, slug: PageSlug, guild: ManagedGuild, web: WebDep
) -> Response:
    """A page a module brings (`Panel` with a `slug` in its spec), rendered from the module's own template."""
    spec = web.services.config.specs.get(module)
    page = next((p for p in spec.panels if p.slug == slug), None) if spec is not None else None
    if spec is None or page is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No page {slug!r} in module {module!r}")
    context = await _guild_context(guild, web, "module")
    view = next((m for m in context["modules"] if m.name == module), None)
    if view is None:  # a module for the bot's operators only
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No module named {module!r}")
    extra = {"module": view, "module_page": page}
    if page.data is not None:
        extra.update(await page.data(web.services, guild.guild_id))
        if "member_ids" in extra or "channel_ids" in extra:  # the page shows people or channels: by name
            ids = {"member_ids": extra.get("member_ids", ()), "channel_ids": extra.get("channel_ids", ())}
            extra.update(await names.request_names(web, request, guild.guild_id, **ids))
    return web.templates.TemplateResponse(request, "module_page.html", {**context, **extra})


@router.get("/guilds/{guild_id}/audit", response_class=HTMLResponse)
async def audit_page(
    request: Request, guild: ManagedGuild, web: WebDep, limit: Annotated[int, Query(ge=1, le=200)] = 25
) -> Response:
    """The audit log with filters and pages (read through the REST API)."""
    actions = known_actions(web.services.config.specs)
    context = await _guild_context(guild, web, "audit", limit=limit, actions=actions)
    return web.templates.TemplateResponse(request, "audit.html", context)


@router.get("/guilds/{guild_id}/commands", response_class=HTMLResponse)
async def commands_page(request: Request, guild: ManagedGuild, web: WebDep) -> Response:
    """The live command log (fed by the WebSocket's `command:executed`)."""
    context = await _guild_context(guild, web, "commands")
    return web.templates.TemplateResponse(request, "commands.html", context)


# ------------------------------------------------------------------------------------------------- errors
def _wants_page(request: Request) -> bool:
    return request.url.path.startswith(PAGE_PREFIXES) and "text/html" in request.headers.get("accept", "")


ERROR_PAGES = {
    status.HTTP_403_FORBIDDEN: (
        "You cannot manage this server",
        "Only its owner and members with Administrator or Manage Server can, and Wolaro must be in it.",
    ),
    status.HTTP_404_NOT_FOUND: ("Not found", "There is nothing at this address."),
    status.HTTP_503_SERVICE_UNAVAILABLE: ("Discord is unavailable", "Discord did not answer: try again in a moment."),
}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if not _wants_page(request):
        return await http_exception_handler(request, exc)
    if exc.status_code == status.HTTP_401_UNAUTHORIZED:
        return RedirectResponse("/login?" + urlencode({"next": request.url.path}), status_code=302)
    title, message = ERROR_PAGES.get(exc.status_code, ("Something went wrong", str(exc.detail)))
    web = request.app.state.web
    context = page_context(None, title=title, message=message)
    return web.templates.TemplateResponse(request, "error.html", context, status_code=exc.status_code)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not _wants_page(request):
        return await errors.request_error(request, exc)
    return await _http_error(request, StarletteHTTPException(status.HTTP_404_NOT_FOUND))


def install(app: FastAPI) -> None:
    """Mount the pages and the HTML error pages on `app` (after the API routers), and the template filters."""
    app.include_router(router)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    env = app.state.web.templates.env
    env.filters["initials"] = initials
    page_i18n.install(env)
    env.policies["json.dumps_kwargs"] = {"sort_keys": False}  # `tojson` keeps a schema's field order
