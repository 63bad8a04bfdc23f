"""What staff do to a ticket (claim, unclaim, transfer, members, rename, priority): checked, stored, applied.

Each takes the desk, the ticket and who acts, raises `UserFacingError` with a clear message when refused, and
returns the message to show (in the guild's language). Commands and buttons both call these.
"""

from __future__ import annotations

from dataclasses import dataclass

from wolaro.modules.tickets import discord_io, store
from wolaro.modules.tickets.lifecycle import PRIORITY_LABELS, Desk, apply_access, refresh_welcome
from wolaro.modules.tickets.models import Ticket
from wolaro.modules.tickets.service import PRIORITIES, Status, clean_name, is_staff, may_unclaim
from wolaro.sdk import UserFacingError


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: their id, roles and whether they manage the server."""

    user_id: int
    role_ids: tuple[int, ...]
    is_admin: bool


def ensure_staff(desk: Desk, ticket: Ticket, actor: Actor) -> None:
    """Refuse anyone but the ticket kind's support roles and admins."""
    if not is_staff(actor.role_ids, desk.category(ticket).support_role_ids, is_admin=actor.is_admin):
        raise UserFacingError("Only the support team of this kind of ticket can do that.")


def ensure_open(ticket: Ticket) -> None:
    """Refuse on a closed ticket."""
    if ticket.status != Status.OPEN:
        raise UserFacingError("This ticket is closed.")


async def claim(desk: Desk, ticket: Ticket, actor: Actor) -> str:
    """Take the ticket: it is yours to handle (hidden from the rest of the team if the server says so)."""
    ensure_staff(desk, ticket, actor)
    ensure_open(ticket)
    if not await store.claim(desk.services.db, ticket.id, actor.user_id):
        current = await store.get(desk.services.db, ticket.id)
        raise UserFacingError(
            "This ticket is already claimed by {user}.", user=f"<@{current.claimed_by if current else 0}>"
        )
    await refresh_welcome(desk, await apply_access(desk, ticket.id, f"ticket #{ticket.number} claimed"))
    return desk.t("🙋 {user} will handle this ticket.", user=f"<@{actor.user_id}>")


async def unclaim(desk: Desk, ticket: Ticket, actor: Actor) -> str:
    """Give the ticket back to the team (only its claimer or an admin)."""
    ensure_staff(desk, ticket, actor)
    if ticket.claimed_by is None:
        raise UserFacingError("Nobody has claimed this ticket.")
    if not may_unclaim(claimed_by=ticket.claimed_by, user_id=actor.user_id, is_admin=actor.is_admin):
        raise UserFacingError(
            "Only {user}, who claimed this ticket, or an admin can unclaim it.", user=f"<@{ticket.claimed_by}>"
        )
    if not await store.unclaim(desk.services.db, ticket.id, ticket.claimed_by):
        raise UserFacingError("Nobody has claimed this ticket.")
    await refresh_welcome(desk, await apply_access(desk, ticket.id, f"ticket #{ticket.number} unclaimed"))
    return desk.t("This ticket is back with the whole team.")


async def transfer(desk: Desk, ticket: Ticket, actor: Actor, to_user: int, to_roles: tuple[int, ...]) -> str:
    """Hand the ticket to another member of the team."""
    ensure_staff(desk, ticket, actor)
    ensure_open(ticket)
    if ticket.claimed_by not in (None, actor.user_id) and not actor.is_admin:
        raise UserFacingError(
            "Only {user}, who claimed this ticket, or an admin can hand it over.", user=f"<@{ticket.claimed_by}>"
        )
    if not is_staff(to_roles, desk.category(ticket).support_role_ids, is_admin=False):
        raise UserFacingError("{user} is not in the support team of this kind of ticket.", user=f"<@{to_user}>")
    await store.transfer(desk.services.db, ticket.id, to_user)
    await refresh_welcome(desk, await apply_access(desk, ticket.id, f"ticket #{ticket.number} transferred"))
    return desk.t("➡️ This ticket now belongs to {user}.", user=f"<@{to_user}>")


async def add_member(desk: Desk, ticket: Ticket, actor: Actor, user_id: int) -> str:
    """Let another member see and write in the ticket."""
    ensure_staff(desk, ticket, actor)
    ensure_open(ticket)
    if user_id in (ticket.opener_id, desk.bot_id):
        raise UserFacingError("{user} is already in this ticket.", user=f"<@{user_id}>")
    await store.set_members(desk.services.db, ticket.id, add=user_id)
    await apply_access(desk, ticket.id, f"member added to ticket #{ticket.number}")
    return desk.t("➕ {user} was added to the ticket.", user=f"<@{user_id}>")


async def remove_member(desk: Desk, ticket: Ticket, actor: Actor, user_id: int) -> str:
    """Take an added member out of the ticket (the opener stays)."""
    ensure_staff(desk, ticket, actor)
    if user_id not in [int(m) for m in ticket.members or []]:
        raise UserFacingError("{user} was not added to this ticket.", user=f"<@{user_id}>")
    await store.set_members(desk.services.db, ticket.id, remove=user_id)
    if ticket.thread and ticket.channel_id is not None:
        await discord_io.remove_from_thread(desk.http, ticket.channel_id, user_id)
    await apply_access(desk, ticket.id, f"member removed from ticket #{ticket.number}")
    return desk.t("➖ {user} was removed from the ticket.", user=f"<@{user_id}>")


async def rename(desk: Desk, ticket: Ticket, actor: Actor, name: str) -> str:
    """Rename the ticket's channel."""
    ensure_staff(desk, ticket, actor)
    cleaned = clean_name(name)
    if not cleaned:
        raise UserFacingError("Give the ticket a name with letters or digits.")
    assert ticket.channel_id is not None
    await discord_io.rename(desk.http, ticket.channel_id, cleaned, f"ticket #{ticket.number} renamed")
    return desk.t("✏️ Ticket renamed to {name}.", name=cleaned)


async def set_priority(desk: Desk, ticket: Ticket, actor: Actor, priority: str) -> str:
    """Mark how urgent the ticket is."""
    ensure_staff(desk, ticket, actor)
    value = priority.strip().lower()
    if value not in PRIORITIES:
        raise UserFacingError("The priority is one of: low, normal, high, urgent.")
    await store.set_priority(desk.services.db, ticket.id, value)
    return desk.t("Priority set to {priority}.", priority=desk.t(PRIORITY_LABELS[value]))
