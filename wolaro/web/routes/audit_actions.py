"""Making the audit log readable and reversible: people's names, and one-click undo of a settings change.

Undo is a new, audited change that puts back the values an entry replaced, only if what the entry wrote is still
what is stored (checked under the module row's lock, so it holds with many dashboard processes); otherwise it is
refused with a reason naming the settings that changed since.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, status
from pydantic import BaseModel

from wolaro.core.config_edit import edit_module_config
from wolaro.data.models import AuditLog
from wolaro.web.deps import ManagedGuild, WebDep
from wolaro.web.discord_api import DiscordError
from wolaro.web.language import request_language

router = APIRouter(prefix="/api/guilds/{guild_id}", tags=["audit"])

MODULE_ACTIONS = frozenset({"module.config", "permissions.rule"})
SETTING_ACTIONS = frozenset({"guild.prefix", "guild.language"})
EntryId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The audit entry's id")]
UserId = Annotated[int, Path(ge=1, le=2**63 - 1, description="A Discord user id")]


class PersonOut(BaseModel):
    """A member's name as the server shows it (ids as text)."""

    id: str
    name: str
    in_server: bool


class UndoOut(BaseModel):
    """The undo's own audit entry."""

    undone: str
    keys: list[str]


@router.get("/members/{user_id}", response_model=PersonOut, summary="A member's name, for the logs")
async def person(user_id: UserId, guild: ManagedGuild, web: WebDep) -> PersonOut:
    """Their nickname or name in this server (a user who left is shown by id)."""
    try:
        member = await web.discord.guild_member(guild.guild_id, user_id)
    except DiscordError:
        member = None
    if member is None:
        return PersonOut(id=str(user_id), name=str(user_id), in_server=False)
    user = member.get("user") or {}
    name = member.get("nick") or user.get("global_name") or user.get("username") or str(user_id)
    return PersonOut(id=str(user_id), name=str(name), in_server=True)


def _refuse(request: Request, web: Any, message: str, **values: Any) -> HTTPException:
    text = web.services.translator.translate(request_language(request), message, **values)
    return HTTPException(status.HTTP_409_CONFLICT, text)


@router.post("/audit/{entry_id}/undo", response_model=UndoOut, summary="Undo a settings change")
async def undo(request: Request, entry_id: EntryId, guild: ManagedGuild, web: WebDep) -> UndoOut:
    """Put back what the entry changed (a new audited change); 409 with the reason when it changed again since."""
    async with web.services.db.session() as session:
        entry = await session.get(AuditLog, entry_id)
    if entry is None or entry.guild_id != guild.guild_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such entry in this server's audit log")
    before, after = dict(entry.before or {}), dict(entry.after or {})
    if entry.action not in MODULE_ACTIONS | SETTING_ACTIONS or not after:
        raise _refuse(request, web, "Only a settings change can be undone.")
    if entry.action in SETTING_ACTIONS:
        config = await web.services.config.get(guild.guild_id)
        changed = [key for key, value in after.items() if getattr(config, key, None) != value]
        if changed:
            raise _refuse(request, web, "Not undone: this setting was changed again since.")
        await web.services.config.update_settings(guild.guild_id, before, actor_id=guild.user.id)
        return UndoOut(undone=str(entry_id), keys=sorted(before))

    def edit(current: dict[str, Any]) -> dict[str, Any]:
        if any(current.get(key) != value for key, value in after.items()):
            raise ChangedSince  # read under the row lock: nothing is written
        return {key: before.get(key) for key in after}

    try:
        await edit_module_config(
            web.services.config, guild.guild_id, str(entry.target), edit, actor_id=guild.user.id, action=entry.action
        )
    except ChangedSince:
        raise _refuse(request, web, "Not undone: these settings were changed again since.") from None
    return UndoOut(undone=str(entry_id), keys=sorted(after))


class ChangedSince(Exception):
    """What an audit entry wrote is no longer what is stored."""
