"""The tickets' dashboard routes, under `/api/guilds/{guild_id}/modules/tickets`.

* `GET /tickets` (JSON) and `GET /view` (an HTML page): the ticket list, filtered by status, kind, staff and claim;
* `GET /stats`: staff statistics;
* `GET /tickets/{number}/transcript`: the transcript (HTML, or `?format=text`), readable by the server's admins
  and by the members of that kind of ticket's support roles, nobody else (403).

Kinds of ticket, panels and canned answers are edited in the module's settings form (its config).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

import jinja2
from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from wolaro.modules.tickets import store
from wolaro.modules.tickets.config import Config
from wolaro.modules.tickets.models import Ticket
from wolaro.modules.tickets.privacy import PRIVACY
from wolaro.modules.tickets.service import is_staff, staff_stats
from wolaro.modules.tickets.storage import StorageError, TranscriptStorage, storage_from_settings
from wolaro.modules.tickets.transcript import CSP
from wolaro.sdk import GuildVisitor, ManagedGuild, WebDep, get_logger, request_language, request_names

log = get_logger(__name__)

router = APIRouter(tags=["tickets"])
_PAGES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(FilePath(__file__).resolve().parent / "templates"), autoescape=True
)
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'self'"


def _storage(web: Any) -> TranscriptStorage:
    storage = storage_from_settings(web.settings)
    PRIVACY.storage = storage
    return storage


async def _members(web: Any, request: Request, guild_id: int, user_ids: Sequence[int | None]) -> dict[int, Any]:
    """Member id -> name (and avatar) through the dashboard's cached Discord lookups; "a former member" if gone."""
    found = await request_names(web, request, guild_id, member_ids=[u for u in user_ids if u])
    return found["members"]


async def _config(web: Any, guild_id: int) -> Config:
    guild_config = await web.services.config.get(guild_id)
    return Config.model_validate(guild_config.module_configs.get("tickets") or {})


def _row(ticket: Ticket, members: dict[int, Any] | None = None) -> dict[str, Any]:
    def name(user_id: int | None) -> str | None:
        return members[user_id].name if members and user_id in members else None

    return {
        "number": ticket.number,
        "category": ticket.category,
        "status": ticket.status,
        "priority": ticket.priority,
        "opener_id": str(ticket.opener_id) if ticket.opener_id else None,
        "claimed_by": str(ticket.claimed_by) if ticket.claimed_by else None,
        "opener_name": name(ticket.opener_id),
        "claimed_by_name": name(ticket.claimed_by),
        "channel_id": str(ticket.channel_id) if ticket.channel_id else None,
        "opened_at": ticket.opened_at.isoformat(),
        "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
        "close_reason": ticket.close_reason,
        "rating": ticket.rating,
        "transcript": ticket.transcript_status,
    }


def _filters(
    status: str | None, category: str | None, staff_id: int | None, claimed: bool | None, limit: int, offset: int
) -> store.Filters:
    return store.Filters(
        status=status or None, category=category or None, staff_id=staff_id, claimed=claimed, limit=limit, offset=offset
    )


StatusQ = Annotated[Literal["open", "closed", "deleted", ""] | None, Query(description="Only tickets in this state")]
CategoryQ = Annotated[str | None, Query(max_length=20, description="Only this kind of ticket (its short name)")]
StaffQ = Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Only tickets claimed by this member")]
ClaimedQ = Annotated[bool | None, Query(description="Only claimed (true) or unclaimed (false) tickets")]
LimitQ = Annotated[int, Query(ge=1, le=500, description="How many tickets")]
OffsetQ = Annotated[int, Query(ge=0, le=1_000_000, description="How many to skip")]


@router.get("/tickets")
async def list_tickets(
    request: Request,
    guild: ManagedGuild,
    web: WebDep,
    status: StatusQ = None,
    category: CategoryQ = None,
    staff_id: StaffQ = None,
    claimed: ClaimedQ = None,
    limit: LimitQ = 100,
    offset: OffsetQ = 0,
) -> dict[str, Any]:
    """The server's tickets, newest first, with filters; members by name (`opener_name`, `claimed_by_name`)."""
    total, rows = await store.listing(
        web.services.db, guild.guild_id, _filters(status, category, staff_id, claimed, limit, offset)
    )
    members = await _members(web, request, guild.guild_id, [t.opener_id for t in rows] + [t.claimed_by for t in rows])
    return {"total": total, "tickets": [_row(t, members) for t in rows]}


@router.get("/stats")
async def stats(request: Request, guild: ManagedGuild, web: WebDep) -> dict[str, Any]:
    """Per staff member (`name`): tickets handled, average first response and resolution (seconds), rating."""
    figures = staff_stats(await store.times(web.services.db, guild.guild_id))
    members = await _members(web, request, guild.guild_id, [s.user_id for s in figures])
    return {"staff": [{**asdict(s), "user_id": str(s.user_id), "name": members[s.user_id].name} for s in figures]}


@router.get("/view", response_class=HTMLResponse)
async def view(
    request: Request,
    guild: ManagedGuild,
    web: WebDep,
    status: StatusQ = None,
    category: CategoryQ = None,
    staff_id: StaffQ = None,
    claimed: ClaimedQ = None,
    limit: LimitQ = 100,
    offset: OffsetQ = 0,
) -> HTMLResponse:
    """The ticket list and staff statistics as a page (no script)."""
    total, rows = await store.listing(
        web.services.db, guild.guild_id, _filters(status, category, staff_id, claimed, limit, offset)
    )
    config = await _config(web, guild.guild_id)
    staff = staff_stats(await store.times(web.services.db, guild.guild_id))
    people = [t.opener_id for t in rows] + [t.claimed_by for t in rows] + [s.user_id for s in staff]
    members = await _members(web, request, guild.guild_id, people)
    language = request_language(request)

    def t(message: str, /, **values: Any) -> str:
        return str(web.services.translator.translate(language, message, **values))

    html = _PAGES.get_template("tickets_view.html").render(
        t=t,
        language=language,
        guild=guild,
        tickets=[_row(t, members) for t in rows],
        total=total,
        config=config,
        staff=staff,
        members=members,
        chosen={
            "status": status or "",
            "category": category or "",
            "staff_id": staff_id or "",
            "claimed": "" if claimed is None else str(claimed).lower(),
        },
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": PAGE_CSP})


async def _may_read(web: Any, visit: Any, ticket: Ticket) -> bool:
    if visit.access is not None:
        return True
    config = await _config(web, visit.guild_id)
    category = config.category(ticket.category)
    if category is None or not category.support_role_ids:
        return False
    try:
        member = await web.discord.guild_member(visit.guild_id, visit.user.id)
    except Exception:  # Discord unavailable, or the bot left: nobody but admins reads now
        log.warning("could not read a member's roles for a transcript", guild_id=visit.guild_id)
        return False
    roles = [int(r) for r in (member or {}).get("roles", [])]
    return is_staff(roles, category.support_role_ids, is_admin=False)


@router.get("/tickets/{number}/transcript", response_model=None)
async def read_transcript(
    number: Annotated[str, Path(max_length=10, description="The ticket's number")],
    visit: GuildVisitor,
    web: WebDep,
    format: Annotated[Literal["html", "text"], Query(description="html or text")] = "html",
) -> Response:
    """A closed ticket's transcript: the server's admins and that kind of ticket's support team only."""
    # the number is read after the caller is known (a bad one is "no such ticket", as for anyone but a reader)
    wanted = int(number) if number.isdigit() and int(number) < 2**31 else None
    ticket = await store.by_number(web.services.db, visit.guild_id, wanted) if wanted else None
    if ticket is None or not await _may_read(web, visit, ticket):
        raise HTTPException(403, "Only this server's admins and this ticket's support team can read it")
    if ticket.transcript_status != "ready" or not ticket.transcript_key:
        raise HTTPException(404, "This ticket has no transcript yet")
    name = "transcript.txt" if format == "text" else "transcript.html"
    try:
        data = await _storage(web).get(f"{ticket.transcript_key}/{name}")
    except StorageError:
        raise HTTPException(404, "The transcript file is missing") from None
    headers = {"Content-Security-Policy": CSP + "; sandbox", "X-Content-Type-Options": "nosniff"}
    if format == "text":
        return PlainTextResponse(data.decode(), headers=headers)
    return HTMLResponse(data.decode(), headers=headers)
