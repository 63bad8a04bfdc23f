"""Opening, closing, reopening and removing tickets: the steps shared by commands, buttons and jobs.

Every step works from plain ids with discord.py's `HTTPClient`, so a job worker without a gateway connection runs
it as well as the bot. The database changes first (atomic, `store`), then Discord follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord.http import Route

from wolaro.modules.tickets import discord_io, store
from wolaro.modules.tickets.config import Category, Config
from wolaro.modules.tickets.discord_io import ButtonSpec
from wolaro.modules.tickets.models import Ticket
from wolaro.modules.tickets.service import (
    DELETE_JOB,
    INACTIVITY_JOB,
    TRANSCRIPT_JOB,
    Access,
    Status,
    channel_name,
    custom_id,
    first_check,
    overwrites,
)
from wolaro.sdk import UserFacingError, get_logger, utcnow

if TYPE_CHECKING:
    from discord.http import HTTPClient

log = get_logger(__name__)
MODULE = "tickets"


def t(message: str) -> str:
    """Mark `message` for the catalog; it is translated where shown."""
    return message


PRIORITY_LABELS = {"low": t("Low"), "normal": t("Normal"), "high": t("High"), "urgent": t("Urgent")}


@dataclass(slots=True)
class Desk:
    """What every ticket step needs: the services, Discord REST, the bot's id and the guild's settings."""

    services: Any
    http: HTTPClient
    bot_id: int
    guild_id: int
    language: str
    config: Config

    def t(self, message: str, /, **fields: Any) -> str:
        """`message` in the guild's language."""
        return self.services.translator.translate(self.language, message, **fields)  # type: ignore[no-any-return]

    def category(self, ticket: Ticket) -> Category:
        """The ticket's kind (a stand-in with no support role when an admin removed it since)."""
        return self.config.category(ticket.category) or Category(key=ticket.category, name=ticket.category)


_BOT_IDS: dict[int, int] = {}


async def bot_id_of(http: HTTPClient, bot: Any | None = None) -> int:
    """The bot's own user id (asked once per HTTP client when no gateway client is at hand)."""
    user = getattr(bot, "user", None)
    if user is not None:
        return int(user.id)
    if id(http) not in _BOT_IDS:
        me = await http.request(Route("GET", "/users/@me"))
        _BOT_IDS[id(http)] = int(me["id"])
    return _BOT_IDS[id(http)]


async def desk_for(services: Any, http: HTTPClient, bot_id: int, guild_id: int) -> Desk:
    """The desk of one guild, with its current settings."""
    guild_config = await services.config.get(guild_id)
    config = Config.model_validate(guild_config.module_configs.get(MODULE) or {})
    return Desk(services, http, bot_id, guild_id, guild_config.language, config)


def access_of(desk: Desk, ticket: Ticket) -> Access:
    """Who the ticket's channel lets in now."""
    return Access(
        guild_id=desk.guild_id,
        bot_id=desk.bot_id,
        opener_id=ticket.opener_id,
        support_role_ids=desk.category(ticket).support_role_ids,
        members=[int(m) for m in ticket.members or []],
        claimed_by=ticket.claimed_by,
        hide_claimed=desk.config.hide_claimed,
        closed=ticket.status != Status.OPEN,
    )


async def apply_access(desk: Desk, ticket_id: int, reason: str) -> Ticket:
    """Let in who the ticket says now: the channel's overwrites, or the thread's members and lock; the ticket.

    In a thread, the opener, added members and the claimer are thread members; a closed ticket's thread is locked
    (only the team writes). Hiding a claimed ticket from the rest of the team applies to channels only.
    """
    ticket = await store.get(desk.services.db, ticket_id)
    assert ticket is not None and ticket.channel_id is not None
    if ticket.thread:
        closed = ticket.status != Status.OPEN
        await discord_io.lock_thread(desk.http, ticket.channel_id, locked=closed, reason=reason)
        people = [ticket.opener_id, *(int(m) for m in ticket.members or []), ticket.claimed_by]
        await discord_io.add_to_thread(desk.http, ticket.channel_id, [p for p in people if p])
        return ticket
    await discord_io.set_overwrites(desk.http, ticket.channel_id, overwrites(access_of(desk, ticket)), reason)
    return ticket


def control_buttons(desk: Desk) -> list[ButtonSpec]:
    """The buttons under a ticket's welcome message."""
    return [
        ButtonSpec(custom_id("claim"), desk.t("Claim"), discord.ButtonStyle.success, "🙋"),
        ButtonSpec(custom_id("close"), desk.t("Close"), discord.ButtonStyle.danger, "🔒"),
    ]


def welcome_embed(desk: Desk, ticket: Ticket, category: Category) -> discord.Embed:
    """The first message of a ticket: the category's welcome text and the opener's answers."""
    embed = discord.Embed(
        title=desk.t("Ticket #{number} · {category}", number=ticket.number, category=category.name),
        description=category.welcome.replace("{user}", f"<@{ticket.opener_id}>"),
        colour=discord.Colour.blurple(),
    )
    for answer in ticket.answers or []:
        embed.add_field(name=str(answer["question"])[:256], value=str(answer["answer"])[:1024] or "-", inline=False)
    if ticket.claimed_by:
        embed.add_field(name=desk.t("Claimed by"), value=f"<@{ticket.claimed_by}>", inline=False)
    return embed


async def refresh_welcome(desk: Desk, ticket: Ticket) -> None:
    """Show on the welcome message who handles the ticket now."""
    if ticket.channel_id is None or ticket.welcome_message_id is None:
        return
    embed = welcome_embed(desk, ticket, desk.category(ticket))
    with discord.http.handle_message_parameters(embed=embed) as params:
        await desk.http.edit_message(ticket.channel_id, ticket.welcome_message_id, params=params)


async def open_ticket(
    desk: Desk,
    *,
    category: Category,
    opener_id: int,
    opener_name: str,
    answers: list[dict[str, str]],
    origin_channel_id: int | None = None,
) -> Ticket:
    """Record the ticket, make its private channel (or thread), post the welcome message, start the inactivity clock.

    Raises `store.LimitReached` when the member already has as many open tickets of this kind as allowed; if
    Discord refuses the channel, the ticket is forgotten and `UserFacingError` says so.
    """
    db = desk.services.db
    in_thread = category.mode == "thread"
    if in_thread and not (category.thread_channel_id or origin_channel_id):
        raise UserFacingError("This kind of ticket opens in threads: an admin must choose the channel that holds them.")
    ticket = await store.open_ticket(
        db,
        guild_id=desk.guild_id,
        category=category.key,
        opener_id=opener_id,
        answers=answers,
        limit=category.max_open_per_user,
        thread=in_thread,
    )
    try:
        channel_id = await _make_place(desk, ticket, category, opener_name, origin_channel_id)
    except discord.HTTPException as exc:
        await store.forget_unopened(db, ticket.id)
        log.warning("ticket channel refused", guild_id=desk.guild_id, error=str(exc))
        raise UserFacingError(
            "I could not create the ticket's channel: I need the Manage Channels and Manage Roles permissions "
            "(and the ticket category must exist)."
        ) from None
    await store.set_channel(db, ticket.id, channel_id)
    ticket.channel_id = channel_id
    mentions = discord.AllowedMentions(
        users=[discord.Object(opener_id)], roles=[discord.Object(r) for r in category.support_role_ids]
    )
    ping = " ".join([f"<@{opener_id}>", *(f"<@&{r}>" for r in category.support_role_ids)])
    welcome = await discord_io.send(
        desk.http,
        channel_id,
        ping,
        embed=welcome_embed(desk, ticket, category),
        view=discord_io.buttons_view(control_buttons(desk)),
        mentions=mentions,
    )
    await store.set_channel(db, ticket.id, channel_id, int(welcome["id"]))
    await schedule_inactivity(desk, ticket)
    return ticket


#: At most this many members of the support roles are added to a ticket thread (the role is mentioned too).
THREAD_STAFF_LIMIT = 25


async def _make_place(
    desk: Desk, ticket: Ticket, category: Category, opener_name: str, origin_channel_id: int | None
) -> int:
    """The ticket's private channel, or private thread with the opener and the support team in it; its id."""
    name = channel_name(ticket.number, opener_name)
    reason = f"ticket #{ticket.number} opened by {ticket.opener_id}"
    if not ticket.thread:
        return await discord_io.create_channel(
            desk.http,
            desk.guild_id,
            name=name,
            parent_id=category.parent_id,
            overwrites=overwrites(access_of(desk, ticket)),
            topic=desk.t("Ticket #{number} of {user}", number=ticket.number, user=f"<@{ticket.opener_id}>"),
            reason=reason,
        )
    parent = category.thread_channel_id or origin_channel_id
    assert parent is not None  # checked before the ticket was recorded
    thread_id = await discord_io.create_thread(desk.http, parent, name=name, reason=reason)
    staff = await discord_io.members_with_roles(desk.http, desk.guild_id, category.support_role_ids, THREAD_STAFF_LIMIT)
    await discord_io.add_to_thread(desk.http, thread_id, [ticket.opener_id, *staff])
    return thread_id


async def schedule_inactivity(desk: Desk, ticket: Ticket) -> None:
    """Start (or restart) the ticket's inactivity clock, when the guild closes inactive tickets."""
    after = desk.config.delay("autoclose_after")
    if after is None:
        return
    since = ticket.last_activity_at or ticket.opened_at
    run_at = max(first_check(since, after, desk.config.delay("autoclose_warning")), utcnow())
    await desk.services.jobs.schedule(
        INACTIVITY_JOB,
        run_at=run_at,
        guild_id=desk.guild_id,
        payload={"ticket_id": ticket.id, "stage": "warn"},
        dedupe_key=f"{INACTIVITY_JOB}:{desk.guild_id}:{ticket.id}",
    )


def closed_buttons(desk: Desk, ticket: Ticket) -> list[ButtonSpec]:
    """Rating buttons (for the opener) and Reopen / Delete (for staff) under the closing message."""
    out = []
    if desk.config.ask_rating and ticket.opener_id:
        out = [ButtonSpec(custom_id("rate", ticket.id, n), "★" * n, discord.ButtonStyle.secondary) for n in range(1, 6)]
    out.append(ButtonSpec(custom_id("reopen"), desk.t("Reopen"), discord.ButtonStyle.success, "🔓"))
    out.append(ButtonSpec(custom_id("delete"), desk.t("Delete"), discord.ButtonStyle.danger, "🗑️"))
    return out


async def close_ticket(desk: Desk, ticket: Ticket, *, closed_by: int, reason: str | None) -> bool:
    """Close now: read-only for the opener, rating asked, transcript and removal scheduled; False if not open.

    The transcript is a job of its own: whether it takes one try or ten, the ticket is closed at once.
    """
    jobs = desk.services.jobs
    if not await store.close(
        desk.services.db, ticket.id, closed_by=closed_by, reason=reason, guild_id=desk.guild_id, number=ticket.number
    ):
        return False
    await jobs.cancel(dedupe_key=f"{INACTIVITY_JOB}:{desk.guild_id}:{ticket.id}", guild_id=desk.guild_id)
    await jobs.schedule(
        TRANSCRIPT_JOB,
        run_at=utcnow(),
        guild_id=desk.guild_id,
        payload={"ticket_id": ticket.id},
        dedupe_key=f"{TRANSCRIPT_JOB}:{desk.guild_id}:{ticket.id}",
        max_attempts=10,
    )
    delay = desk.config.delay("delete_after_close")
    if delay is not None:
        await schedule_delete(desk, ticket, delay)
    ticket = await apply_access(desk, ticket.id, f"ticket #{ticket.number} closed")
    embed = discord.Embed(
        title=desk.t("Ticket closed"),
        description=desk.t("Closed by {user}.", user=f"<@{closed_by}>")
        + ("\n" + desk.t("Reason: {reason}", reason=reason) if reason else ""),
        colour=discord.Colour.dark_grey(),
    )
    if desk.config.ask_rating and ticket.opener_id:
        embed.add_field(
            name=desk.t("How did we do?"),
            value=desk.t("<@{user}>, rate the help you got from 1 to 5 stars.", user=ticket.opener_id),
        )
    assert ticket.channel_id is not None
    await discord_io.send(
        desk.http, ticket.channel_id, embed=embed, view=discord_io.buttons_view(closed_buttons(desk, ticket))
    )
    return True


async def schedule_delete(desk: Desk, ticket: Ticket, delay: timedelta) -> None:
    """Remove the ticket's channel after `delay` (once its transcript is saved)."""
    await desk.services.jobs.schedule(
        DELETE_JOB,
        run_at=utcnow() + delay,
        guild_id=desk.guild_id,
        payload={"ticket_id": ticket.id},
        dedupe_key=f"{DELETE_JOB}:{desk.guild_id}:{ticket.id}",
        max_attempts=20,
    )


async def reopen_ticket(desk: Desk, ticket: Ticket, *, by: int) -> bool:
    """Reopen a closed ticket whose channel still exists; False if it was not closed."""
    if not await store.reopen(desk.services.db, ticket.id, by=by, guild_id=desk.guild_id, number=ticket.number):
        return False
    await desk.services.jobs.cancel(dedupe_key=f"{DELETE_JOB}:{desk.guild_id}:{ticket.id}", guild_id=desk.guild_id)
    ticket = await apply_access(desk, ticket.id, f"ticket #{ticket.number} reopened")
    await schedule_inactivity(desk, ticket)
    assert ticket.channel_id is not None
    await discord_io.send(desk.http, ticket.channel_id, desk.t("🔓 Ticket reopened by {user}.", user=f"<@{by}>"))
    return True
