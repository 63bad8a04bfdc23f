"""The tickets' database work: every change is one transaction with an atomic conditional update.

Two bot processes (or a process and a job worker) acting on one ticket at once never both succeed where only one
should: a claim is `UPDATE ... WHERE claimed_by IS NULL`, a close `... WHERE status = 'open'`, and numbers come
from the guild's counter row, incremented (and so locked) in the transaction that inserts the ticket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.modules.tickets.models import Ticket, TicketCounter
from wolaro.modules.tickets.service import Status, TicketTimes
from wolaro.sdk import Database, record_audit, utcnow


class LimitReached(Exception):
    """The member already has as many open tickets of this kind as allowed."""

    def __init__(self, open_numbers: list[int]) -> None:
        super().__init__(open_numbers)
        self.open_numbers = open_numbers


async def _next_number(session: AsyncSession, dialect: str, guild_id: int) -> int:
    """Take the guild's next ticket number: one upsert, which locks the counter row until the transaction ends."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = insert(TicketCounter).values(guild_id=guild_id, last_number=1)
    statement = upsert.on_conflict_do_update(
        index_elements=[TicketCounter.guild_id],
        set_={"last_number": TicketCounter.last_number + 1},
    ).returning(TicketCounter.last_number)
    return int((await session.execute(statement)).scalar_one())


async def open_numbers(db: Database, guild_id: int, opener_id: int, category: str) -> list[int]:
    """The numbers of a member's open tickets of one kind."""
    async with db.session() as session:
        rows = await session.scalars(
            select(Ticket.number).where(
                Ticket.guild_id == guild_id,
                Ticket.opener_id == opener_id,
                Ticket.category == category,
                Ticket.status == Status.OPEN,
            )
        )
        return sorted(rows.all())


async def open_ticket(
    db: Database,
    *,
    guild_id: int,
    category: str,
    opener_id: int,
    answers: list[dict[str, str]],
    limit: int,
    thread: bool = False,
) -> Ticket:
    """Record a new ticket with the guild's next number, unless the member is at the limit (`LimitReached`).

    The counter row is incremented first, which serialises tickets of one guild: two clicks at once cannot both
    pass the limit check.
    """
    async with db.transaction() as session:
        number = await _next_number(session, db.dialect, guild_id)
        mine = (
            await session.scalars(
                select(Ticket.number).where(
                    Ticket.guild_id == guild_id,
                    Ticket.opener_id == opener_id,
                    Ticket.category == category,
                    Ticket.status == Status.OPEN,
                )
            )
        ).all()
        if len(mine) >= limit:
            raise LimitReached(sorted(mine))
        now = utcnow()
        ticket = Ticket(
            guild_id=guild_id,
            number=number,
            category=category,
            opener_id=opener_id,
            status=Status.OPEN,
            answers=answers or None,
            members=[],
            participants=[],
            opened_at=now,
            thread=thread,
        )
        session.add(ticket)
        await session.flush()
        session.expunge(ticket)
    return ticket


async def forget_unopened(db: Database, ticket_id: int) -> None:
    """Remove a ticket whose channel could not be made (its number stays used)."""
    async with db.transaction() as session:
        row = await session.get(Ticket, ticket_id)
        if row is not None and row.channel_id is None:
            await session.delete(row)


async def set_channel(db: Database, ticket_id: int, channel_id: int, welcome_message_id: int | None = None) -> None:
    """Attach the ticket's channel once it exists (and its welcome message once posted)."""
    values: dict[str, Any] = {"channel_id": channel_id}
    if welcome_message_id is not None:
        values["welcome_message_id"] = welcome_message_id
    async with db.transaction() as session:
        await session.execute(update(Ticket).where(Ticket.id == ticket_id).values(**values))


async def get(db: Database, ticket_id: int) -> Ticket | None:
    """A ticket by its row id."""
    async with db.session() as session:
        return await session.get(Ticket, ticket_id)


async def in_channel(db: Database, guild_id: int, channel_id: int) -> Ticket | None:
    """The ticket living in a channel."""
    async with db.session() as session:
        return (
            await session.scalars(
                select(Ticket).where(
                    Ticket.guild_id == guild_id, Ticket.channel_id == channel_id, Ticket.status != Status.DELETED
                )
            )
        ).first()


async def by_channel_any(db: Database, guild_id: int, channel_id: int) -> Ticket | None:
    """The ticket that lived in a channel, removed or not."""
    async with db.session() as session:
        query = select(Ticket).where(Ticket.guild_id == guild_id, Ticket.channel_id == channel_id)
        return (await session.scalars(query)).first()


async def by_number(db: Database, guild_id: int, number: int) -> Ticket | None:
    """A guild's ticket by its number."""
    async with db.session() as session:
        return (
            await session.scalars(select(Ticket).where(Ticket.guild_id == guild_id, Ticket.number == number))
        ).first()


async def open_channels(db: Database, guild_id: int) -> set[int]:
    """The channels of a guild's tickets that are not deleted (for telling ticket messages apart cheaply)."""
    async with db.session() as session:
        rows = await session.scalars(
            select(Ticket.channel_id).where(Ticket.guild_id == guild_id, Ticket.status != Status.DELETED)
        )
        return {int(c) for c in rows if c is not None}


@dataclass(frozen=True, slots=True)
class Audit:
    """The audit-log row a change records, in its transaction: who did what in which server."""

    guild_id: int
    actor_id: int | None
    action: str
    after: dict[str, Any]


async def _change(db: Database, ticket_id: int, *conditions: Any, audit: Audit | None = None, **values: Any) -> bool:
    async with db.transaction() as session:
        result = await session.execute(update(Ticket).where(Ticket.id == ticket_id, *conditions).values(**values))
        changed = bool(result.rowcount)  # type: ignore[attr-defined]
        if changed and audit is not None:
            record_audit(
                session,
                module="tickets",
                guild_id=audit.guild_id,
                actor_id=audit.actor_id,
                action=audit.action,
                after=audit.after,
            )
        return changed


async def claim(db: Database, ticket_id: int, user_id: int) -> bool:
    """Claim an open, unclaimed ticket; False when someone else was first (or it is closed)."""
    return await _change(db, ticket_id, Ticket.claimed_by.is_(None), Ticket.status == Status.OPEN, claimed_by=user_id)


async def unclaim(db: Database, ticket_id: int, claimed_by: int) -> bool:
    """Release the claim `claimed_by` holds (the caller checked who may)."""
    return await _change(db, ticket_id, Ticket.claimed_by == claimed_by, claimed_by=None)


async def transfer(db: Database, ticket_id: int, to_user: int) -> bool:
    """Give an open ticket's claim to `to_user`."""
    return await _change(db, ticket_id, Ticket.status == Status.OPEN, claimed_by=to_user)


async def set_priority(db: Database, ticket_id: int, priority: str) -> bool:
    """Change a ticket's priority."""
    return await _change(db, ticket_id, priority=priority)


async def set_members(db: Database, ticket_id: int, *, add: int | None = None, remove: int | None = None) -> list[int]:
    """Add or remove an extra member (under a row lock); the new list."""
    async with db.transaction() as session:
        row = (await session.scalars(select(Ticket).where(Ticket.id == ticket_id).with_for_update())).one()
        members = [int(m) for m in row.members or [] if isinstance(m, int | str) and str(m).isdigit()]
        if add is not None and add not in members:
            members.append(add)
        if remove is not None:
            members = [m for m in members if m != remove]
        row.members = members
    return members


async def close(
    db: Database, ticket_id: int, *, closed_by: int, reason: str | None, guild_id: int, number: int
) -> bool:
    """Close an open ticket (its transcript becomes pending, the audit log says who); False when it was not open."""
    return await _change(
        db,
        ticket_id,
        Ticket.status == Status.OPEN,
        audit=Audit(guild_id, closed_by, "tickets.close", {"ticket": number, "reason": reason}),
        status=Status.CLOSED,
        closed_at=utcnow(),
        closed_by=closed_by,
        close_reason=reason,
        transcript_status="pending",
    )


async def reopen(db: Database, ticket_id: int, *, by: int, guild_id: int, number: int) -> bool:
    """Reopen a closed ticket (its channel still exists); its activity clock restarts."""
    return await _change(
        db,
        ticket_id,
        Ticket.status == Status.CLOSED,
        audit=Audit(guild_id, by, "tickets.reopen", {"ticket": number}),
        status=Status.OPEN,
        closed_at=None,
        closed_by=None,
        close_reason=None,
        last_activity_at=utcnow(),
    )


async def mark_deleted(db: Database, ticket_id: int) -> bool:
    """The ticket's channel is gone; the row and its transcript stay."""
    return await _change(db, ticket_id, Ticket.status != Status.DELETED, status=Status.DELETED)


async def rate(db: Database, guild_id: int, ticket_id: int, opener_id: int, rating: int, comment: str | None) -> bool:
    """The opener's rating of a closed ticket of this guild (once)."""
    return await _change(
        db,
        ticket_id,
        Ticket.guild_id == guild_id,
        Ticket.opener_id == opener_id,
        Ticket.rating.is_(None),
        Ticket.status != Status.OPEN,
        rating=rating,
        rating_comment=comment,
    )


async def transcript_done(db: Database, ticket_id: int, *, key: str | None, status: str) -> None:
    """Record where the transcript is (or that it failed)."""
    async with db.transaction() as session:
        values: dict[str, Any] = {"transcript_status": status}
        if key is not None:
            values["transcript_key"] = key
        await session.execute(update(Ticket).where(Ticket.id == ticket_id).values(**values))


async def set_participants(db: Database, ticket_id: int, people: list[int]) -> None:
    """Everyone whose messages are in the ticket's transcript."""
    async with db.transaction() as session:
        await session.execute(update(Ticket).where(Ticket.id == ticket_id).values(participants=people))


async def note_message(db: Database, guild_id: int, channel_id: int, author_id: int, at: datetime) -> bool:
    """A member wrote in a ticket channel: activity, first response (by someone else than the opener), author."""
    async with db.transaction() as session:
        row = (
            await session.scalars(
                select(Ticket)
                .where(Ticket.guild_id == guild_id, Ticket.channel_id == channel_id, Ticket.status == Status.OPEN)
                .with_for_update()
            )
        ).first()
        if row is None:
            return False
        row.last_activity_at = at
        if author_id != row.opener_id and row.first_response_at is None:
            row.first_response_at = at
            row.first_response_by = author_id
        people = list(row.participants or [])
        if author_id not in people:
            row.participants = [*people, author_id]
    return True


@dataclass(frozen=True, slots=True)
class Filters:
    """The dashboard's ticket list filters."""

    status: str | None = None
    category: str | None = None
    staff_id: int | None = None
    claimed: bool | None = None
    limit: int = 100
    offset: int = 0


async def listing(db: Database, guild_id: int, filters: Filters) -> tuple[int, Sequence[Ticket]]:
    """A guild's tickets matching `filters`, newest first, and how many match in all."""
    query = select(Ticket).where(Ticket.guild_id == guild_id)
    if filters.status:
        query = query.where(Ticket.status == filters.status)
    if filters.category:
        query = query.where(Ticket.category == filters.category)
    if filters.staff_id is not None:
        query = query.where(Ticket.claimed_by == filters.staff_id)
    if filters.claimed is not None:
        query = query.where(Ticket.claimed_by.is_not(None) if filters.claimed else Ticket.claimed_by.is_(None))
    async with db.session() as session:
        total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        rows = (
            await session.scalars(query.order_by(Ticket.number.desc()).limit(filters.limit).offset(filters.offset))
        ).all()
    return total, rows


async def times(db: Database, guild_id: int, limit: int = 10_000) -> list[TicketTimes]:
    """The facts staff statistics are computed from (the guild's latest tickets)."""
    async with db.session() as session:
        rows = (
            await session.scalars(
                select(Ticket).where(Ticket.guild_id == guild_id).order_by(Ticket.id.desc()).limit(limit)
            )
        ).all()
    return [
        TicketTimes(
            r.opened_at, r.claimed_by, r.closed_by, r.first_response_at, r.first_response_by, r.closed_at, r.rating
        )
        for r in rows
    ]
