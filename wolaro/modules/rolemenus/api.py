"""Role menus' dashboard API, under `/api/guilds/{guild_id}/modules/rolemenus`: the menu builder.

`GET /menus` lists the menus; `PUT /menus` creates or updates one (roles checked against the server's real roles:
unknown, managed and @everyone are refused with a 422 naming the role, and so is a role above the bot's own when the
dashboard knows the bot's id) and schedules its publication (`rolemenus.publish`, run by a job worker with the bot's
token: the dashboard holds no gateway); `POST /menus/{id}/publish` posts or updates it again; `DELETE` removes it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from wolaro.modules.rolemenus import logic, store
from wolaro.modules.rolemenus.jobs import PUBLISH_JOB
from wolaro.modules.rolemenus.logic import Kind, Mode
from wolaro.modules.rolemenus.store import Menu, Option
from wolaro.sdk import ManagedGuild, SnowflakeId, WebDep

router = APIRouter()
MENU_ID_MAX = 2**31 - 1
MenuId = Annotated[int, PathParam(ge=1, le=MENU_ID_MAX, description="The menu's number")]
STATIC = Path(__file__).resolve().parent / "static"


class OptionIO(BaseModel):
    """One role of a menu (ids as text)."""

    role_id: str = Field(pattern=r"^\d{15,20}$", title="Role", description="The role members get.")
    label: str = Field(default="", max_length=80, title="Label", description="The text on its button.")
    emoji: str | None = Field(default=None, max_length=64, title="Emoji", description="An emoji shown with it.")


class MenuIO(BaseModel):
    """A role menu as the builder edits it."""

    id: int = Field(default=0, ge=0, le=MENU_ID_MAX, title="Menu", description="0 for a new menu.")
    channel_id: SnowflakeId = Field(title="Channel", description="Where the menu is posted.")
    kind: Literal["buttons", "select"] = Field(default="buttons", title="Look", description="Buttons or a list.")
    mode: Literal["normal", "unique", "verify", "drop"] = Field(default="normal", title="Mode", description="")
    title: str = Field(min_length=1, max_length=256, title="Title", description="The menu's title.")
    description: str = Field(default="", max_length=2000, title="Text", description="Shown above the roles.")
    options: list[OptionIO] = Field(default_factory=list, max_length=25, title="Roles", description="")
    max_roles: int = Field(default=0, ge=0, le=25, title="Limit", description="Roles of the menu one may hold.")
    required_role_id: SnowflakeId | None = Field(default=None, title="Required role", description="")
    blacklist_role_id: SnowflakeId | None = Field(default=None, title="Blocked role", description="")
    message_id: str | None = Field(default=None, title="Message", description="Where it is posted (read only).")


def _out(menu: Menu) -> MenuIO:
    return MenuIO(
        id=menu.id,
        channel_id=menu.channel_id,
        kind="select" if menu.kind is Kind.SELECT else "buttons",
        mode=menu.mode.value,  # type: ignore[arg-type]
        title=menu.title or "-",
        description=menu.description,
        options=[OptionIO(role_id=str(o.role_id), label=o.label, emoji=o.emoji) for o in menu.options],
        max_roles=menu.max_roles,
        required_role_id=menu.required_role_id,
        blacklist_role_id=menu.blacklist_role_id,
        message_id=str(menu.message_id) if menu.message_id else None,
    )


def _unprocessable(message: str, **fields: Any) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message.format(**fields))


async def _check_roles(web: WebDep, guild_id: int, body: MenuIO) -> None:
    roles_raw = await web.discord.guild_roles(guild_id)
    roles = {int(r["id"]): {**r, "managed": r.get("managed") or int(r["id"]) == guild_id} for r in roles_raw}
    names = {i: r.get("name", str(i)) for i, r in roles.items()}
    bot_id = str(web.services.settings.discord_client_id or "")
    own = [i for i, r in roles.items() if bot_id and str((r.get("tags") or {}).get("bot_id")) == bot_id]
    top = logic.bot_top_position(roles, own) if own else 10**6
    found = logic.unreachable(roles, top, [int(o.role_id) for o in body.options])
    if found is not None:
        role = found[1].get("role", "")
        name = names.get(int(role[3:-1]), role) if role else ""
        raise _unprocessable(found[0], role=f"@{name}")


@router.get("/menus", response_model=list[MenuIO], summary="The server's role menus")
async def menus(guild: ManagedGuild, web: WebDep) -> list[MenuIO]:
    """Every menu, oldest first."""
    return [_out(m) for m in await store.listing(web.services.db, guild.guild_id) if m.kind is not Kind.REACTIONS]


@router.put(
    "/menus",
    response_model=MenuIO,
    summary="Create or update a role menu, then post it",
    responses={422: {"description": "A value is invalid, or a role cannot be given by the bot (the reason is given)"}},
)
async def save_menu(body: MenuIO, guild: ManagedGuild, web: WebDep) -> MenuIO:
    """Saved at once; posted (or its message updated) by the job worker within seconds."""
    await _check_roles(web, guild.guild_id, body)
    previous = await store.get(web.services.db, guild.guild_id, body.id) if body.id else None
    if body.id and previous is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such role menu")
    options = tuple(Option(int(o.role_id), o.label, o.emoji or None) for o in body.options)
    menu = Menu(
        body.id,
        guild.guild_id,
        previous.channel_id if previous else body.channel_id,
        previous.message_id if previous else None,
        Kind(body.kind),
        Mode(body.mode),
        body.title,
        body.description,
        options,
        body.max_roles,
        body.required_role_id,
        body.blacklist_role_id,
    )
    try:
        saved = await store.save(web.services.db, menu, actor_id=guild.user.id)
    except store.TooMany:
        raise _unprocessable("This server has {count} role menus, the most allowed.", count=store.MAX_MENUS) from None
    await _schedule(web, guild.guild_id, saved.id, body.channel_id)
    return _out(saved)


async def _schedule(web: WebDep, guild_id: int, menu_id: int, channel_id: int | None) -> None:
    payload = {"guild_id": str(guild_id), "menu_id": menu_id, "channel_id": str(channel_id) if channel_id else None}
    await web.services.jobs.schedule(PUBLISH_JOB, run_at=datetime.now(UTC), guild_id=guild_id, payload=payload)


class Scheduled(BaseModel):
    """The menu will be posted (or its message updated) by a job worker within seconds."""

    menu_id: int


@router.post(
    "/menus/{menu_id}/publish",
    response_model=Scheduled,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Post or update a menu",
)
async def publish_again(menu_id: MenuId, guild: ManagedGuild, web: WebDep) -> Scheduled:
    """Post the menu again where it is (or in its channel if its message is gone)."""
    if await store.get(web.services.db, guild.guild_id, menu_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such role menu")
    await _schedule(web, guild.guild_id, menu_id, None)
    return Scheduled(menu_id=menu_id)


@router.delete("/menus/{menu_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a role menu")
async def delete_menu(menu_id: MenuId, guild: ManagedGuild, web: WebDep) -> Response:
    """The menu stops working at once; its message stays until someone deletes it."""
    if await store.remove(web.services.db, guild.guild_id, menu_id, actor_id=guild.user.id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such role menu")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/assets/builder.js", include_in_schema=False)
async def builder_script(guild: ManagedGuild) -> FileResponse:
    """The builder's script (the dashboard's CSP allows scripts from its own origin only)."""
    return FileResponse(STATIC / "builder.js", media_type="text/javascript")


@router.get("/assets/builder.css", include_in_schema=False)
async def builder_style(guild: ManagedGuild) -> FileResponse:
    """The builder's styles."""
    return FileResponse(STATIC / "builder.css", media_type="text/css")
