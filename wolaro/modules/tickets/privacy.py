"""What tickets keep about a person, how it is exported, and how it is forgotten.

* Tickets they **opened** are *anonymised*, not deleted (the server keeps its numbering and statistics): the
  opener becomes nobody, their answers to the form and their rating comment are erased.
* Their **messages in transcripts** are *erased*: the stored transcript is rewritten without their words, files
  or name ("Deleted user"), and the files they sent are removed from the transcript storage.
* As **staff** (claimed, closed or first answered a ticket), or as an added member, their id is removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Text, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.modules.tickets import transcript
from wolaro.modules.tickets.models import Ticket
from wolaro.modules.tickets.storage import StorageError, TranscriptStorage
from wolaro.sdk import Database, get_logger, jsonable

log = get_logger(__name__)
PERSON_COLUMNS = ("opener_id", "claimed_by", "closed_by", "first_response_by")
JSON_COLUMNS = ("members", "answers", "participants")


def _mentions(value: Any, user_id: int) -> bool:
    if value is None:
        return False
    return str(user_id) in orjson.dumps(value).decode()


async def _rows(session: AsyncSession, user_id: int, guild_id: int | None) -> list[Ticket]:
    text = str(user_id)
    query = select(Ticket).where(
        or_(
            *(getattr(Ticket, c) == user_id for c in PERSON_COLUMNS),
            *(cast(getattr(Ticket, c), Text).contains(text) for c in JSON_COLUMNS),
        )
    )
    if guild_id is not None:
        query = query.where(Ticket.guild_id == guild_id)
    return list((await session.scalars(query.order_by(Ticket.id))).all())


def _export(row: Ticket, user_id: int) -> dict[str, Any]:
    out: dict[str, Any] = {"guild_id": row.guild_id, "ticket": row.number, "opened_at": row.opened_at}
    roles = [c for c in PERSON_COLUMNS if getattr(row, c) == user_id]
    out["your_part"] = roles + [c for c in JSON_COLUMNS if _mentions(getattr(row, c), user_id)]
    if row.opener_id == user_id or _mentions(row.answers, user_id):
        out.update(answers=row.answers, rating=row.rating, rating_comment=row.rating_comment)
    return out


def _scrub(value: Any, user_id: int) -> Any:
    """`value` without the person: list items and dict entries naming them dropped."""
    if isinstance(value, list):
        return [_scrub(v, user_id) for v in value if not _is(v, user_id)]
    if isinstance(value, dict):
        return {k: _scrub(v, user_id) for k, v in value.items() if not _is(v, user_id)}
    return value


def _is(value: Any, user_id: int) -> bool:
    return isinstance(value, int | str) and str(value) == str(user_id)


class TicketsData:
    """`UserData` of the tickets module."""

    stores: Mapping[str, str] = {
        "tickets_tickets.opener_id": "Tickets you opened",
        "tickets_tickets.answers": "Your answers to a ticket's questions",
        "tickets_tickets.claimed_by": "Tickets you claimed as support staff",
        "tickets_tickets.closed_by": "Tickets you closed",
        "tickets_tickets.first_response_by": "Tickets you answered first as support staff",
        "tickets_tickets.members": "Tickets you were added to",
        "tickets_tickets.participants": "Tickets whose transcript holds your messages",
    }

    #: Set by the module at start-up: where transcripts are (to erase a person's messages from them).
    storage: TranscriptStorage | None = None

    async def export_user_data(self, db: Database, user_id: int, guild_id: int | None) -> dict[str, Any]:
        """Every ticket the person opened, handled, was added to or wrote in."""
        async with db.session() as session:
            found = [_export(row, user_id) for row in await _rows(session, user_id, guild_id)]
        return {"tickets": jsonable(found)} if found else {}

    async def delete_user_data(self, db: Database, user_id: int, guild_id: int | None) -> int:
        """Anonymise the tickets they opened, remove them from the others, erase their messages from transcripts."""
        rewrite: list[str] = []
        async with db.transaction() as session:
            rows = await _rows(session, user_id, guild_id)
            for row in rows:
                if row.transcript_key and (_mentions(row.participants, user_id) or row.opener_id == user_id):
                    rewrite.append(row.transcript_key)
                if row.opener_id == user_id:
                    row.opener_id, row.answers, row.rating_comment = 0, None, None
                for column in PERSON_COLUMNS[1:]:
                    if getattr(row, column) == user_id:
                        setattr(row, column, None)
                for column in JSON_COLUMNS:
                    value = getattr(row, column)
                    if _mentions(value, user_id):
                        cleaned = _scrub(value, user_id)
                        setattr(row, column, None if _mentions(cleaned, user_id) else cleaned)
        for key in rewrite:
            await self._erase_from_transcript(key, user_id)
        return len(rows)

    async def _erase_from_transcript(self, prefix: str, user_id: int) -> None:
        storage = self.storage
        if storage is None:
            return
        try:
            doc = transcript.Transcript.from_json(orjson.loads(await storage.get(f"{prefix}/transcript.json")))
        except StorageError:
            return
        files = [a.key for m in doc.messages if m.author_id == user_id for a in m.attachments if a.key]
        if not transcript.erase_person(doc, user_id) and not files:
            return
        await storage.put(f"{prefix}/transcript.json", orjson.dumps(doc.to_json()), "application/json")
        await storage.put(f"{prefix}/transcript.html", transcript.render_html(doc).encode(), "text/html; charset=utf-8")
        await storage.put(f"{prefix}/transcript.txt", transcript.render_text(doc).encode(), "text/plain; charset=utf-8")
        for key in files:
            await storage.delete(key)
        log.info("person erased from a ticket transcript", transcript=prefix)


PRIVACY = TicketsData()
