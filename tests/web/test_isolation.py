"""Tenant isolation: every route of a guild refuses whoever may not manage it, and reads nothing before that.

The route list comes from `app.routes`, so a route added later (core or a module's api.py) is covered
automatically; a `{guild_id}` route that does not depend on `ManagedGuild` fails `test_every_guild_route_is_guarded`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute
from sqlalchemy import func, select

from tests.support.web import Env
from wolaro.data.models import AuditLog, Guild, GuildModule
from wolaro.web.deps import guild_visitor, managed_guild
from wolaro.web.public_pages import public_guild_page

PARAM_VALUES = {"module": "utility"}


def depends_on(dependant: Dependant, call: Any) -> bool:
    return any(dep.call is call or depends_on(dep, call) for dep in dependant.dependencies)


@dataclass
class RouteInfo:
    path: str
    methods: set[str]
    dependant: Dependant | None
    websocket: bool


def all_routes(app: FastAPI) -> Iterator[RouteInfo]:
    """Every route as served, included routers flattened (FastAPI >= 0.16x keeps them nested)."""
    contexts = routing.iter_route_contexts(app.routes) if hasattr(routing, "iter_route_contexts") else app.routes
    for context in contexts:
        original = getattr(context, "original_route", context)
        if isinstance(original, APIRoute | APIWebSocketRoute):
            yield RouteInfo(
                path=context.path,
                methods=set(getattr(context, "methods", None) or ()),
                dependant=context.dependant,
                websocket=isinstance(original, APIWebSocketRoute),
            )


def guild_routes(app: FastAPI) -> list[RouteInfo]:
    return [r for r in all_routes(app) if "{guild_id}" in r.path and not r.websocket]


def concrete(path: str, guild_id: int) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        return str(guild_id) if name == "guild_id" else PARAM_VALUES.get(name, "x")

    return re.sub(r"{([^}]+)}", value, path)


def test_every_guild_route_is_guarded(env: Env) -> None:
    routes = guild_routes(env.app)
    assert len(routes) >= 12, [r.path for r in routes]
    unguarded = [
        f"{sorted(r.methods)} {r.path}"
        for r in routes
        if r.dependant is None
        or not any(depends_on(r.dependant, guard) for guard in (managed_guild, guild_visitor, public_guild_page))
    ]
    assert not unguarded, f"guild routes without ManagedGuild: {unguarded}"
    for route in all_routes(env.app):  # no other way to name a guild in a path
        params = re.findall(r"{([^}:]+)", route.path)
        assert not any("guild" in name and name != "guild_id" for name in params), route.path
        assert not ("{guild_id}" in route.path and route.websocket), route.path


async def _counts(env: Env) -> tuple[int, int, int]:
    async with env.services.db.session() as session:
        audit = await session.scalar(select(func.count()).select_from(AuditLog))
        guilds = await session.scalar(select(func.count()).select_from(Guild))
        modules = await session.scalar(select(func.count()).select_from(GuildModule))
    return int(audit or 0), int(guilds or 0), int(modules or 0)


async def test_manager_of_a_gets_403_on_every_route_of_b(env: Env) -> None:
    world = env.world
    owner_a = await env.as_user(world.owner_a)
    anonymous = env.client()
    assert (await owner_a.get(f"/api/guilds/{world.guild_a}/settings")).status_code == 200
    before = await _counts(env)
    checked = 0
    for route in guild_routes(env.app):
        path_b = concrete(route.path, world.guild_b)
        for method in sorted(route.methods - {"HEAD"}):
            body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
            if route.path.startswith("/public/"):  # a page B did not make public: 404 to anyone
                assert (await anonymous.request(method, path_b)).status_code == 404, path_b
                assert (await owner_a.request(method, path_b)).status_code == 404, path_b
                continue
            resp = await owner_a.request(method, path_b, json=body)
            assert resp.status_code == 403, (method, path_b, resp.status_code, resp.text)
            assert "prefix" not in resp.text and "utility" not in resp.text  # nothing of B leaks
            anon = await anonymous.request(method, path_b, json=body)
            assert anon.status_code == 401, (method, path_b, anon.status_code)
            checked += 1
    assert checked >= 12
    assert await _counts(env) == before  # no write, no audit row, no guild row created for B


async def test_member_without_manage_rights_gets_403(env: Env) -> None:
    plain = await env.as_user(env.world.plain_a)
    assert (await plain.get(f"/api/guilds/{env.world.guild_a}/settings")).status_code == 403
    assert (await plain.get("/api/guilds")).json() == []


async def test_guilds_list_only_holds_managed_guilds_with_the_bot(env: Env) -> None:
    owner_a = await env.as_user(env.world.owner_a)
    listed = (await owner_a.get("/api/guilds")).json()
    assert [g["id"] for g in listed] == [str(env.world.guild_a)]
    assert listed[0]["access"] == "member" and listed[0]["owner"] is True


async def test_guild_without_the_bot_is_refused(world, web_settings) -> None:
    from tests.support.web import running_env

    async with running_env(world, web_settings(), present=[world.guild_b]) as env:
        owner_a = await env.as_user(world.owner_a)
        assert (await owner_a.get(f"/api/guilds/{world.guild_a}")).status_code == 403
        assert (await owner_a.get("/api/guilds")).json() == []
