"""Custom commands' dashboard API, under `/api/guilds/{guild_id}/modules/customcommands`.

`POST /preview` renders a template ("try it") without posting or saving anything; `GET /export` and `POST /import`
move the commands as JSON (the commands themselves are the module's settings, edited through the platform's form).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from wolaro.modules.customcommands import editing, engine, store
from wolaro.modules.customcommands.config import RESPONSE_MAX, Config
from wolaro.modules.customcommands.matching import builtin_names
from wolaro.sdk import ManagedGuild, TemplateError, UserFacingError, WebDep, edit_module_config, request_language

router = APIRouter()
STATIC = Path(__file__).resolve().parent / "static"


class PreviewIn(BaseModel):
    """A template to try, and the words typed after the command's name."""

    template: str = Field(max_length=RESPONSE_MAX, title="Template", description="The answer to try.")
    args: list[str] = Field(default_factory=list, max_length=20, title="Words after the name", description="")


class PreviewOut(BaseModel):
    """What the template answers, or why it cannot."""

    ok: bool
    text: str


class ImportOut(BaseModel):
    """How many commands the server has now."""

    count: int


@router.post("/preview", response_model=PreviewOut, summary="Render a template without posting it")
async def preview(body: PreviewIn, request: Request, guild: ManagedGuild, web: WebDep) -> PreviewOut:
    """Try a template as the logged-in admin, in a channel called #general (a problem is said in their language)."""
    values = await store.read_all(web.services.db, guild.guild_id)
    user = guild.user
    person = engine.Person(user.id, user.username, user.global_name or user.username)
    place = engine.Place(guild.guild_id, guild.name, 0, 0, "general")
    variables = engine.variables(person, place, [a[:100] for a in body.args], values)
    try:
        result = await asyncio.to_thread(engine.run, body.template, variables)
    except TemplateError as exc:
        said = web.services.translator.translate(request_language(request), exc.message, **exc.fields)
        return PreviewOut(ok=False, text=str(said))
    return PreviewOut(ok=True, text=result.text)


@router.get("/export", summary="The server's custom commands as JSON")
async def export(guild: ManagedGuild, web: WebDep) -> Response:
    """Download the commands (what /import reads back)."""
    config = await web.services.config.module_config(guild.guild_id, Config, "customcommands")
    headers = {"Content-Disposition": 'attachment; filename="custom-commands.json"'}
    return Response(editing.export(config), media_type="application/json", headers=headers)


@router.post(
    "/import",
    response_model=ImportOut,
    summary="Replace the server's custom commands",
    responses={422: {"description": "The export is not valid (the reason is given; nothing was changed)"}},
)
async def import_commands(body: dict[str, object], guild: ManagedGuild, web: WebDep) -> ImportOut:
    """Replace the commands with those of an export (422 naming the problem, nothing changed, if one is bad)."""
    import json

    try:
        commands = editing.parse_import(json.dumps(body), builtin_names(web.services.config.specs))
    except UserFacingError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, exc.msgid.format(**exc.fields)) from None
    await edit_module_config(
        web.services.config, guild.guild_id, "customcommands", lambda _c: {"commands": commands}, actor_id=guild.user.id
    )
    return ImportOut(count=len(commands))


@router.get("/assets/panel.js", include_in_schema=False)
async def panel_script(guild: ManagedGuild) -> FileResponse:
    """The panel's script (served from here: the dashboard's CSP allows scripts from its own origin only)."""
    return FileResponse(STATIC / "panel.js", media_type="text/javascript")
