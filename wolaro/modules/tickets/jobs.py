"""The tickets' durable jobs: the transcript, the inactivity clock and the removal of closed channels.

* `tickets.transcript`: collects the whole conversation, copies attachments and avatars into the transcript
  storage, writes the HTML and text versions, posts them to the transcript channel and DMs the opener. A failure
  (storage down, Discord busy) is retried with backoff; the ticket was closed before and stays closed.
* `tickets.inactivity`: warns, then closes, a ticket nobody wrote in for the guild's delay (counted from its
  opening when nobody ever wrote). Messages since reset the clock: the job then waits again.
* `tickets.delete`: removes a closed ticket's channel once its transcript is saved (it waits for it).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import discord
import orjson

from wolaro.modules.tickets import discord_io, lifecycle, store, transcript
from wolaro.modules.tickets.lifecycle import Desk, t
from wolaro.modules.tickets.models import Ticket
from wolaro.modules.tickets.service import INACTIVITY_JOB, Status, inactivity_step
from wolaro.modules.tickets.storage import StorageError, TranscriptStorage, storage_from_settings
from wolaro.sdk import PermanentJobError, get_logger, utcnow

if TYPE_CHECKING:
    from wolaro.sdk import JobContext

log = get_logger(__name__)


def storage_for(services: Any) -> TranscriptStorage:
    """The transcript storage of this process (from settings)."""
    return storage_from_settings(services.settings)


async def _desk(ctx: JobContext, guild_id: int) -> Desk:
    http = await ctx.discord_http()
    bot_id = await lifecycle.bot_id_of(http, ctx.bot)
    return await lifecycle.desk_for(ctx.services, http, bot_id, guild_id)


async def _ticket(ctx: JobContext, payload: dict[str, Any]) -> Ticket | None:
    ticket = await store.get(ctx.db, int(payload["ticket_id"]))
    return ticket if ticket is not None and ticket.guild_id == ctx.guild_id else None


# ---------------------------------------------------------------------------------------------- transcript
async def make_transcript(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Render and store the transcript, then post it; on the last failed try the ticket says it failed."""
    ticket = await _ticket(ctx, payload)
    if ticket is None or ticket.transcript_status == "ready":
        return
    try:
        await _make_transcript(ctx, ticket)
    except Exception:
        if ctx.is_last_attempt:
            await store.transcript_done(ctx.db, ticket.id, key=None, status="failed")
        raise


async def _make_transcript(ctx: JobContext, ticket: Ticket) -> None:
    desk = await _desk(ctx, ticket.guild_id)
    storage = storage_for(ctx.services)
    prefix = ticket.transcript_key
    if prefix is None:
        prefix = f"{ticket.guild_id}/{ticket.number}-{secrets.token_hex(8)}"
        await store.transcript_done(ctx.db, ticket.id, key=prefix, status="pending")
    doc = await _snapshot(ctx, desk, ticket, storage, prefix)
    html = transcript.render_html(doc).encode()
    await storage.put(f"{prefix}/transcript.html", html, "text/html; charset=utf-8")
    await storage.put(f"{prefix}/transcript.txt", transcript.render_text(doc).encode(), "text/plain; charset=utf-8")
    await store.transcript_done(ctx.db, ticket.id, key=prefix, status="ready")
    await _deliver(ctx, desk, ticket, html)
    log.info("ticket transcript saved", guild_id=ticket.guild_id, ticket=ticket.number, messages=len(doc.messages))


async def _snapshot(
    ctx: JobContext, desk: Desk, ticket: Ticket, storage: TranscriptStorage, prefix: str
) -> transcript.Transcript:
    """The conversation: read from the channel and kept as JSON, or the kept copy once the channel is gone."""
    assert ticket.channel_id is not None
    try:
        channel = str((await desk.http.get_channel(ticket.channel_id)).get("name") or "")
        raw = await discord_io.history(desk.http, ticket.channel_id)
    except discord.NotFound:
        try:
            return transcript.Transcript.from_json(orjson.loads(await storage.get(f"{prefix}/transcript.json")))
        except StorageError:
            raise PermanentJobError("the ticket's channel is gone and its conversation was never saved") from None
    base = discord.asset.Asset.BASE
    for message in raw:
        author = message["author"]
        if author.get("avatar"):
            author["_avatar_url"] = f"{base}/avatars/{author['id']}/{author['avatar']}.png?size=64"
    avatars: dict[str, str] = {}
    messages = [
        await transcript.message_from_payload(
            m, prefix, lambda url: discord_io.fetch(desk.http, url), storage.put, avatars
        )
        for m in raw
    ]
    names = {m.author_id: m.author for m in messages}
    doc = transcript.Transcript(
        guild=await _guild_name(ctx, desk, ticket.guild_id),
        channel=channel,
        number=ticket.number,
        category=desk.category(ticket).name,
        opener=_person(names, ticket.opener_id),
        opened_at=f"{ticket.opened_at:%Y-%m-%d %H:%M:%S} UTC",
        closed_at=f"{ticket.closed_at or utcnow():%Y-%m-%d %H:%M:%S} UTC",
        closed_by=_person(names, ticket.closed_by),
        reason=ticket.close_reason or "",
        messages=messages,
        roles=await _role_names(desk, ticket.guild_id),
    )
    await storage.put(f"{prefix}/transcript.json", orjson.dumps(doc.to_json()), "application/json")
    participants = sorted({m.author_id for m in messages if not m.bot})
    await store.set_participants(ctx.db, ticket.id, participants)
    return doc


async def _role_names(desk: Desk, guild_id: int) -> dict[str, str]:
    try:
        return {str(r["id"]): str(r["name"]) for r in await desk.http.get_roles(guild_id)}
    except discord.HTTPException:
        return {}


async def _guild_name(ctx: JobContext, desk: Desk, guild_id: int) -> str:
    guild = ctx.bot.get_guild(guild_id) if ctx.bot is not None else None
    if guild is not None:
        return str(guild.name)
    try:
        return str((await desk.http.get_guild(guild_id))["name"])
    except discord.HTTPException:
        return str(guild_id)


def _person(names: dict[int, str], user_id: int | None) -> str:
    if not user_id:
        return "-"
    return f"{names[user_id]} ({user_id})" if user_id in names else str(user_id)


async def _deliver(ctx: JobContext, desk: Desk, ticket: Ticket, html: bytes) -> None:
    """Post to the transcript channel and DM the opener (each once: nonces make retries return the first post)."""
    name = f"ticket-{ticket.number:04d}.html"
    summary = desk.t(
        "Transcript of ticket #{number} ({category}), opened by {opener}, closed by {closer}.",
        number=ticket.number,
        category=desk.category(ticket).name,
        opener=f"<@{ticket.opener_id}>",
        closer=f"<@{ticket.closed_by}>",
    )
    if desk.config.transcript_channel_id:
        try:
            await discord_io.send(
                desk.http, desk.config.transcript_channel_id, summary, files=[(name, html)], nonce=f"tt{ticket.id}"
            )
        except (discord.NotFound, discord.Forbidden) as exc:
            log.warning("transcript channel unavailable", guild_id=ticket.guild_id, error=str(exc))
    if desk.config.dm_transcript and ticket.opener_id:
        try:
            await discord_io.dm(desk.http, ticket.opener_id, summary, files=[(name, html)], nonce=f"td{ticket.id}")
        except discord.Forbidden:
            log.info("opener's DMs are closed: no transcript by DM", guild_id=ticket.guild_id)


# ---------------------------------------------------------------------------------------------- inactivity
async def check_inactivity(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Warn, close or wait again, depending on how long the ticket has been silent."""
    ticket = await _ticket(ctx, payload)
    if ticket is None or ticket.status != Status.OPEN or ticket.channel_id is None:
        return
    desk = await _desk(ctx, ticket.guild_id)
    after = desk.config.delay("autoclose_after")
    if after is None:
        return
    now = utcnow()
    step = inactivity_step(
        str(payload.get("stage", "warn")),
        idle_since=ticket.last_activity_at or ticket.opened_at,
        now=now,
        after=after,
        warning=desk.config.delay("autoclose_warning"),
    )
    if step.act == "close":
        reason = desk.t("No activity for {delay}.", delay=desk.config.autoclose_after)
        await lifecycle.close_ticket(desk, ticket, closed_by=desk.bot_id, reason=reason)
        return
    if step.act == "warn":
        await discord_io.send(
            desk.http,
            ticket.channel_id,
            desk.t(
                "⏳ This ticket will close {when} unless someone writes in it.",
                when=discord.utils.format_dt(step.at or now, "R"),
            ),
            nonce=f"tw{ticket.id}-{int((ticket.last_activity_at or ticket.opened_at).timestamp())}",
        )
    assert step.at is not None
    await ctx.services.jobs.schedule(
        INACTIVITY_JOB,
        run_at=step.at,
        guild_id=ticket.guild_id,
        payload={"ticket_id": ticket.id, "stage": "close" if step.act == "warn" else "warn"},
        dedupe_key=f"{INACTIVITY_JOB}:{ticket.guild_id}:{ticket.id}",
    )


# ---------------------------------------------------------------------------------------------- removal
async def delete_ticket_channel(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Remove a closed ticket's channel once its transcript is saved (or has failed for good)."""
    ticket = await _ticket(ctx, payload)
    if ticket is None or ticket.status == Status.DELETED:
        return
    if ticket.status == Status.OPEN:
        return  # reopened meanwhile
    if ticket.transcript_status == "pending":
        raise RuntimeError("waiting for the transcript before removing the channel")
    http = await ctx.discord_http()
    if ticket.channel_id is not None:
        await discord_io.delete_channel(http, ticket.channel_id, f"ticket #{ticket.number} removed")
    await store.mark_deleted(ctx.db, ticket.id)


__all__ = ["check_inactivity", "delete_ticket_channel", "make_transcript", "t"]
