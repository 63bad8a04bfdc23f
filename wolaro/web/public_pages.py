"""Public pages of a guild: a module page shown without login, only when that guild chose to make it public.

    /public/guilds/{guild_id}/{module}/{slug}

A module declares such a page as a `Panel` with a `slug`, `data` (its values) and `public` (whether a guild's
settings make it public: e.g. leveling's `public_leaderboard`). Every route here depends on `PublicGuildPage`,
which answers 404 (the same for every reason: no such module or page, module off, page not public) before any of
the page's data is read; the page then shows only what `data` returns for that one guild. The tenant isolation
test accepts a `{guild_id}` route that depends on `ManagedGuild` or on this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from wolaro.core.registry import ModuleSpec, Panel
from wolaro.data.models import BotGuild
from wolaro.web.deps import WebDep, snowflake_path
from wolaro.web.pages import ModuleName, PageSlug, page_context

router = APIRouter(tags=["pages"], include_in_schema=False)


@dataclass(frozen=True, slots=True)
class PublicAccess:
    """A public page a guild made public: the guild, the module and the page."""

    guild_id: int
    spec: ModuleSpec
    page: Panel


async def public_guild_page(
    guild_id: Annotated[int, snowflake_path("Discord guild (server) id")],
    module: ModuleName,
    slug: PageSlug,
    web: WebDep,
) -> PublicAccess:
    """The page, if the guild made it public and the module is on there; 404 otherwise (whatever the reason)."""
    spec = web.services.config.specs.get(module)
    page = next((p for p in spec.panels if p.slug == slug), None) if spec is not None else None
    if spec is None or page is None or page.public is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    config = await web.services.config.get(guild_id)
    if not config.is_enabled(module) or not page.public(config.module_configs.get(module) or {}):
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return PublicAccess(guild_id, spec, page)


PublicGuildPage = Annotated[PublicAccess, Depends(public_guild_page)]


async def _guild_name(web: Any, guild_id: int) -> str:
    async with web.services.db.session() as session:
        name = await session.scalar(select(BotGuild.name).where(BotGuild.id == guild_id))
    return str(name or "")


@router.get("/public/guilds/{guild_id}/{module}/{slug}", response_class=HTMLResponse)
async def public_page(request: Request, access: PublicGuildPage, web: WebDep) -> Response:
    """A guild's public page (its leaderboard, say), rendered from the module's template with the page's data."""
    data = dict(await access.page.data(web.services, access.guild_id)) if access.page.data is not None else {}
    context = page_context(
        None,
        public_guild={"guild_id": str(access.guild_id), "name": await _guild_name(web, access.guild_id)},
        module={"name": access.spec.name, "title": access.spec.display_title},
        module_page=access.page,
        **data,
    )
    return web.templates.TemplateResponse(request, "public_page.html", context)


def install(app: FastAPI) -> None:
    """Mount the public pages on `app`."""
    app.include_router(router)
