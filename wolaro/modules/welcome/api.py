"""Welcome's dashboard API, under `/api/guilds/{guild_id}/modules/welcome`: the live preview and the background.

`POST /preview` fills a message's placeholders for a sample member; `GET /card.png` renders the image card as it
would look (the server's background, a sample avatar); `PUT /background` takes a picture (at most 500 KB, checked
and re-encoded; 422 naming the problem otherwise) and `DELETE /background` removes it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from wolaro.modules.welcome import card, messages, store
from wolaro.modules.welcome.config import MESSAGE_MAX
from wolaro.sdk import ManagedGuild, WebDep, record_audit

router = APIRouter()
STATIC = Path(__file__).resolve().parent / "static"


class PreviewIn(BaseModel):
    """A message to preview, and the member number to show."""

    message: str = Field(max_length=MESSAGE_MAX, title="Message", description="The welcome or goodbye text.")
    count: int = Field(default=42, ge=0, le=10_000_000, title="Member number", description="The sample's number.")


class PreviewOut(BaseModel):
    """The message as the sample member would see it."""

    text: str


def _sample(guild: ManagedGuild, count: int) -> messages.Newcomer:
    user = guild.user
    return messages.Newcomer(user.id, user.username, user.global_name or user.username, guild.name, count)


@router.post("/preview", response_model=PreviewOut, summary="A welcome message with its placeholders filled in")
async def preview(body: PreviewIn, guild: ManagedGuild) -> PreviewOut:
    """The message as it would read for you joining now."""
    return PreviewOut(text=messages.fill(body.message, messages.values_of(_sample(guild, body.count))))


@router.get("/card.png", summary="The welcome image as it would look", response_class=Response)
async def card_png(
    guild: ManagedGuild,
    web: WebDep,
    title: str = Query(default="Welcome", max_length=60),
    count: int = Query(default=42, ge=0, le=10_000_000),
) -> Response:
    """The card with your name, a sample number and the server's background."""
    background = await store.background(web.services.db, guild.guild_id)
    name = guild.user.global_name or guild.user.username
    words = card.CardText(title or f"Welcome to {guild.name}", name, f"Member #{count}")
    png = await asyncio.to_thread(card.render_card, words, None, background)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.put(
    "/background",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Upload the welcome image's background",
    responses={422: {"description": "Not a picture the bot can use (the reason is given; nothing was changed)"}},
)
async def put_background(request: Request, guild: ManagedGuild, web: WebDep) -> Response:
    """A PNG, JPEG, WebP or GIF of at most 500 KB and 4096x4096 pixels, stored as a 900x300 PNG."""
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > card.UPLOAD_MAX_BYTES:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "The picture is too large: at most 500 KB.")
    try:
        png = await asyncio.to_thread(card.normalise_background, bytes(data))
    except card.BadImage as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    await store.set_background(web.services.db, guild.guild_id, png)
    async with web.services.db.transaction() as session:
        record_audit(
            session, module="welcome", guild_id=guild.guild_id, actor_id=guild.user.id, action="welcome.background"
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/background", status_code=status.HTTP_204_NO_CONTENT, summary="Remove the welcome image's background")
async def delete_background(guild: ManagedGuild, web: WebDep) -> Response:
    """Back to the plain background."""
    await store.set_background(web.services.db, guild.guild_id, None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/assets/panel.js", include_in_schema=False)
async def panel_script(guild: ManagedGuild) -> FileResponse:
    """The panel's script (the dashboard's CSP allows scripts from its own origin only)."""
    return FileResponse(STATIC / "panel.js", media_type="text/javascript")


@router.get("/assets/panel.css", include_in_schema=False)
async def panel_style(guild: ManagedGuild) -> FileResponse:
    """The panel's styles."""
    return FileResponse(STATIC / "panel.css", media_type="text/css")
