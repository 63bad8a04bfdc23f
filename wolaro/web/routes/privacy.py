"""The logged-in user's own data: download it (`GET /api/me/data`), erase it (`DELETE /api/me/data`).

Both act everywhere (every server), through every module's privacy hooks, as `/privacy export` and `/privacy
delete` in a DM with the bot do. Erasing also ends every dashboard login of the user (their Discord tokens are
revoked) and clears the cookies of this one.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy import select

from wolaro.core.privacy import PLATFORM, announce_erasure, delete_user, export_user, privacy_hooks
from wolaro.web.deps import SessionUser, WebDep
from wolaro.web.hub import SESSION_ENDED
from wolaro.web.models import DashboardSession
from wolaro.web.security import CSRF_COOKIE, SESSION_COOKIE

router = APIRouter(prefix="/api/me", tags=["privacy"])


class ErasureOut(BaseModel):
    """What an erasure did."""

    erased: int
    """Records removed or anonymised, over every module."""
    by_module: dict[str, int]
    """The same, per module (modules with nothing to erase are left out)."""


@router.get(
    "/data",
    summary="Download everything stored about me",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "The export file (JSON)"}},
)
async def export_my_data(user: SessionUser, web: WebDep) -> Response:
    """A JSON file of everything every module stores about the logged-in user, in every server."""
    document = await export_user(web.services.db, privacy_hooks(web.services.config.specs.values()), user.id, None)
    body = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    filename = f"wolaro-data-{user.id}.json"
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.delete("/data", response_model=ErasureOut, summary="Erase everything stored about me, and log out")
async def erase_my_data(user: SessionUser, web: WebDep, response: Response) -> Any:
    """Erase the logged-in user's data in every server (moderation cases stay without their name) and log out.

    Needs the `X-CSRF-Token` header, as every write. Every dashboard login of the user ends.
    """
    async with web.services.db.session() as session:
        sids = list(
            (await session.execute(select(DashboardSession.id).where(DashboardSession.user_id == user.id))).scalars()
        )
    for sid in sids:  # revoke the Discord tokens while the rows still hold them
        await web.sessions.end(sid, revoke=True)
    counts = await delete_user(web.services.db, privacy_hooks(web.services.config.specs.values()), user.id, None)
    await announce_erasure(web.services.pubsub, user.id, None)  # bot processes drop what they hold in memory
    if sids:  # the platform's dashboard logins, ended just above
        counts[PLATFORM] = counts.get(PLATFORM, 0) + len(sids)
    for sid in {*sids, user.sid}:
        await web.services.pubsub.publish(SESSION_ENDED, {"sid": sid, "user_id": user.id})
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return ErasureOut(erased=sum(counts.values()), by_module=counts)
