"""The economy's dashboard API, mounted by Wolaro under `/api/guilds/{guild_id}/modules/economy`.

Every route takes `ManagedGuild`: the caller may manage the server in the path (else 401/403), and writes carry the
dashboard's CSRF header. Ids travel as text (JavaScript loses precision past 2**53). The shop editor and the
leaderboard page (`templates/`) call these routes from their scripts, which are served here too (the dashboard's
content policy refuses inline scripts).
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from wolaro.modules.economy import bank, shop
from wolaro.modules.economy.config import AMOUNT_CAP
from wolaro.sdk import ManagedGuild, SnowflakeId, UserFacingError, WebDep

router = APIRouter()
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The shop item's number")]
STATIC = FilePath(__file__).resolve().parent / "static"
SCRIPTS = {"shop.js", "leaderboard.js"}
CDN = "https://cdn.discordapp.com"


class ItemIn(BaseModel):
    """A shop item as the editor sends it."""

    name: str = Field(min_length=1, max_length=64, description="The item's name, as members type it in /buy")
    price: int = Field(ge=0, le=AMOUNT_CAP, description="What it costs")
    description: str = Field(default="", max_length=200, description="A short description shown in the shop")
    role_id: SnowflakeId | None = Field(default=None, description="A role buying it grants (none: kept in inventory)")
    use_message: str = Field(default="", max_length=200, description="What /use says when a member uses it")
    available: bool = Field(default=True, description="Whether it is for sale now")


class ItemOut(BaseModel):
    """A shop item (ids as text)."""

    id: str
    name: str
    price: int
    description: str
    role_id: str | None
    use_message: str
    available: bool


class RoleOut(BaseModel):
    """A role the editor offers for role items."""

    id: str
    name: str


class ShopOut(BaseModel):
    """The server's shop and the roles an item may grant."""

    items: list[ItemOut]
    roles: list[RoleOut]


class Rich(BaseModel):
    """One line of the leaderboard: who, with their name and picture, and how much they hold."""

    rank: int
    user_id: str
    name: str
    avatar_url: str
    wallet: int
    bank: int
    total: int


class Board(BaseModel):
    """One page of the leaderboard."""

    page: int
    pages: int
    rows: list[Rich]


def _out(item: shop.Item) -> ItemOut:
    role = str(item.role_id) if item.role_id is not None else None
    return ItemOut(
        id=str(item.id),
        name=item.name,
        price=item.price,
        description=item.description,
        role_id=role,
        use_message=item.use_message,
        available=item.available,
    )


def _refused(exc: UserFacingError, *where: str) -> HTTPException:
    """A refusal as a 422 in FastAPI's validation shape, with the module's own message (shown by the editor)."""
    detail = [{"loc": list(where), "msg": str(exc), "type": "value_error"}]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


async def _roles(web: WebDep, guild_id: int) -> list[RoleOut]:
    try:
        roles = await web.discord.guild_roles(guild_id)
    except Exception:  # Discord unreachable: the editor still works, without role names
        return []
    ordered = sorted(
        (r for r in roles if int(r["id"]) != guild_id and not r.get("managed")),
        key=lambda r: -int(r.get("position", 0)),
    )
    return [RoleOut(id=str(r["id"]), name=str(r["name"])) for r in ordered]


@router.get("/shop", response_model=ShopOut, summary="The shop's items and the roles they may grant")
async def get_shop(guild: ManagedGuild, web: WebDep) -> ShopOut:
    """Every item of the shop, for sale or not."""
    found = await shop.items(web.services.db, guild.guild_id)
    return ShopOut(items=[_out(i) for i in found], roles=await _roles(web, guild.guild_id))


@router.post("/shop", response_model=ItemOut, status_code=201, summary="Add an item to the shop")
async def add_item(body: ItemIn, guild: ManagedGuild, web: WebDep) -> ItemOut:
    """A new item (names are unique in a shop, whatever the case)."""
    try:
        item = await shop.save_item(web.services.db, guild.guild_id, guild.user.id, body.model_dump(), None)
    except UserFacingError as exc:
        raise _refused(exc, "body", "name") from None
    return _out(item)


@router.put("/shop/{item_id}", response_model=ItemOut, summary="Change a shop item")
async def edit_item(item_id: ItemId, body: ItemIn, guild: ManagedGuild, web: WebDep) -> ItemOut:
    """Change an item's name, price, role, texts or availability."""
    try:
        item = await shop.save_item(web.services.db, guild.guild_id, guild.user.id, body.model_dump(), item_id)
    except UserFacingError as exc:
        raise _refused(exc, "body", "name") from None
    return _out(item)


@router.delete("/shop/{item_id}", status_code=204, summary="Take an item out of the shop")
async def delete_item(item_id: ItemId, guild: ManagedGuild, web: WebDep) -> None:
    """Remove an item; members holding it lose it."""
    try:
        await shop.remove_item(web.services.db, guild.guild_id, guild.user.id, item_id)
    except UserFacingError as exc:
        raise _refused(exc, "path", "item_id") from None


def avatar_url(guild_id: int, user_id: int, member: dict[str, Any] | None) -> str:
    """The member's picture on Discord's CDN (their server picture, else their own, else Discord's default)."""
    user = (member or {}).get("user") or {}
    if member and member.get("avatar"):
        return f"{CDN}/guilds/{guild_id}/users/{user_id}/avatars/{member['avatar']}.png?size=64"
    if user.get("avatar"):
        return f"{CDN}/avatars/{user_id}/{user['avatar']}.png?size=64"
    return f"{CDN}/embed/avatars/{(user_id >> 22) % 6}.png"


def display_name(user_id: int, member: dict[str, Any] | None) -> str:
    """The member's name in the server (nickname, display name or username); their id if they left."""
    if member is None:
        return str(user_id)
    user = member.get("user") or {}
    return str(member.get("nick") or user.get("global_name") or user.get("username") or user_id)


async def _member(web: WebDep, guild_id: int, user_id: int) -> dict[str, Any] | None:
    try:
        return await web.discord.guild_member(guild_id, user_id)
    except Exception:  # Discord unreachable: show the id and the default picture
        return None


@router.get("/leaderboard", response_model=Board, summary="The richest members, with names and pictures")
async def leaderboard(guild: ManagedGuild, web: WebDep, page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> Board:
    """One page (10 members) of the server's richest members, wallet and bank together."""
    rows, pages = await bank.leaderboard(web.services.db, guild.guild_id, page)
    board: list[Rich] = []
    for row in rows:
        member = await _member(web, guild.guild_id, row.user_id)
        board.append(
            Rich(
                rank=row.rank,
                user_id=str(row.user_id),
                name=display_name(row.user_id, member),
                avatar_url=avatar_url(guild.guild_id, row.user_id, member),
                wallet=row.wallet,
                bank=row.bank,
                total=row.total,
            )
        )
    return Board(page=min(page, pages), pages=pages, rows=board)


@router.get("/assets/{name}", include_in_schema=False)
async def script(name: str, guild: ManagedGuild) -> FileResponse:
    """The shop editor's and the leaderboard page's scripts."""
    if name not in SCRIPTS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such script")
    return FileResponse(STATIC / name, media_type="text/javascript", headers={"Cache-Control": "private, max-age=300"})
