"""Server-rendered pages (Jinja2 templates in `templates/`, assets in `static/`, no Node.js build).

Only the guild picker and the login redirect live here for now; the guild pages build on the same seams:

    @router.get("/guilds/{guild_id}", response_class=HTMLResponse)
    async def guild_page(request: Request, guild: ManagedGuild, web: WebDep) -> HTMLResponse:
        return web.templates.TemplateResponse(request, "guild.html", {"user": guild.user, "guild": guild})

`OptionalUser` is None when logged out; `page_context()` gives every template the user and the CSRF token (which
`static/wolaro.js` sends back as `X-CSRF-Token` on state-changing `fetch`es).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wolaro.web.access import CurrentUser, DiscordUnavailable, NotAuthenticated
from wolaro.web.deps import OptionalUser, WebDep
from wolaro.web.security import safe_next

router = APIRouter(tags=["pages"], include_in_schema=False)


def page_context(user: CurrentUser | None, **extra: Any) -> dict[str, Any]:
    """What every page template gets: `user` (or None) and `csrf_token`."""
    return {"user": user, "csrf_token": user.csrf if user else "", **extra}


@router.get("/login")
async def login_page(next: str = "/") -> Response:
    """Log in with Discord."""
    return RedirectResponse("/auth/login?" + urlencode({"next": safe_next(next)}), status_code=302)


@router.get("/", response_class=HTMLResponse)
async def guild_picker(request: Request, user: OptionalUser, web: WebDep) -> Response:
    """The guilds the user can manage (logged out: off to the Discord login)."""
    if user is None:
        return RedirectResponse("/auth/login?next=/", status_code=302)
    try:
        guilds = await web.access.manageable(user)
    except NotAuthenticated:
        return RedirectResponse("/auth/login?next=/", status_code=302)
    except DiscordUnavailable:
        guilds = None
    return web.templates.TemplateResponse(request, "guilds.html", page_context(user, guilds=guilds))
