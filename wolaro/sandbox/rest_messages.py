"""REST routes of messages: send, edit, delete, bulk delete, history, pins, reactions and typing."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from wolaro.sandbox import audit, mutations, payloads, polls
from wolaro.sandbox import permissions as perm
from wolaro.sandbox.errors import DiscordHTTPError, invalid_form, missing_access, missing_permissions
from wolaro.sandbox.rest import Call, Handler, Upload, require, require_view
from wolaro.sandbox.snowflake import now_iso, snowflake_time
from wolaro.sandbox.state import CATEGORY, Channel

if TYPE_CHECKING:
    from wolaro.sandbox.server import Sandbox

#: Message flags a bot may set on a channel message: SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS, IS_COMPONENTS_V2.
SETTABLE_FLAGS = (1 << 2) | (1 << 12) | (1 << 15)
EMBED_LIMITS = {"title": 256, "description": 4096}
#: How far back ``enforce_nonce`` looks for a message with the same nonce (Discord: "the past few minutes").
NONCE_WINDOW = dt.timedelta(minutes=5)


def validate_embeds(embeds: Any) -> list[dict[str, Any]]:
    """Check Discord's embed limits (10 embeds, 25 fields, 6000 characters...) and normalise the embeds."""
    if embeds is None:
        return []
    if not isinstance(embeds, list) or len(embeds) > 10:
        raise invalid_form("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    out = []
    total = 0
    for index, raw in enumerate(embeds):
        if not isinstance(raw, dict):
            raise invalid_form(f"embeds.{index}", "MODEL_TYPE_CONVERT", "Only dictionaries may be used.")
        embed = {"type": "rich", **raw}
        for key, limit in EMBED_LIMITS.items():
            value = embed.get(key)
            if value is not None:
                if len(str(value)) > limit:
                    raise invalid_form(
                        f"embeds.{index}.{key}", "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
                    )
                total += len(str(value))
        fields = embed.get("fields") or []
        if len(fields) > 25:
            raise invalid_form(f"embeds.{index}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for f_index, fld in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                value = str(fld.get(key) or "")
                if not value:
                    raise invalid_form(
                        f"embeds.{index}.fields.{f_index}.{key}", "BASE_TYPE_REQUIRED", "This field is required"
                    )
                if len(value) > limit:
                    raise invalid_form(
                        f"embeds.{index}.fields.{f_index}.{key}",
                        "BASE_TYPE_MAX_LENGTH",
                        f"Must be {limit} or fewer in length.",
                    )
                total += len(value)
            fld.setdefault("inline", False)
        for key, sub, limit in (("footer", "text", 2048), ("author", "name", 256)):
            part = embed.get(key)
            if part:
                text = str(part.get(sub) or "")
                if len(text) > limit:
                    raise invalid_form(
                        f"embeds.{index}.{key}.{sub}", "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
                    )
                total += len(text)
        out.append(embed)
    if total > 6000:
        raise invalid_form("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    return out


def build_attachments(
    sb: Sandbox,
    channel_id: int,
    body: dict[str, Any],
    files: list[Upload],
    existing: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Attachment objects for uploaded ``files`` (+ kept ``existing`` ones listed in ``body["attachments"]``)."""
    meta = {str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)}
    kept: list[dict[str, Any]] = []
    if existing:
        kept = existing if "attachments" not in body else [a for a in existing if a["id"] in meta]
    out = list(kept)
    for index, upload in enumerate(files):
        att_id = sb.ids.now()
        sb.state.attachments[att_id] = upload.data
        info = meta.get(str(index), {})
        att = payloads.attachment(
            att_id, channel_id, info.get("filename") or upload.filename, len(upload.data), sb.url, None
        )
        if info.get("description"):
            att["description"] = info["description"]
        out.append(att)
    return out


def message_fields(call: Call, channel: Channel, *, allow_ephemeral: bool = False) -> dict[str, Any]:
    """Validated keyword arguments for :func:`payloads.message` from a send body."""
    body = call.json()
    content = body.get("content")
    content = "" if content is None else str(content)
    if len(content) > 2000:
        raise invalid_form("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    embeds = validate_embeds(body.get("embeds"))
    components = body.get("components") or []
    attachments = build_attachments(call.sb, channel.id, body, call.files)
    flags = int(body.get("flags") or 0)
    allowed = SETTABLE_FLAGS | (payloads.EPHEMERAL if allow_ephemeral else 0)
    if flags & ~allowed:
        raise invalid_form("flags", "MESSAGE_FLAGS_INVALID", "Invalid flags")
    if not (content or embeds or attachments or components or body.get("sticker_ids") or body.get("poll")):
        raise DiscordHTTPError(400, 50006, "Cannot send an empty message")
    return {
        "content": content,
        "embeds": embeds,
        "components": components,
        "attachments": attachments,
        "allowed_mentions": body.get("allowed_mentions"),
        "flags": flags,
        "tts": bool(body.get("tts", False)),
        "nonce": body.get("nonce"),
        "poll": polls.build(body.get("poll"), dt.datetime.now(dt.UTC)),
    }


def bot_perms(sb: Sandbox, channel: Channel) -> int:
    """The bot's permissions in ``channel`` (all of them in a DM)."""
    if channel.guild_id is None:
        return perm.ALL
    guild = sb.state.guild(channel.guild_id)
    return perm.channel_permissions(guild, channel, sb.state.bot_member(guild))


async def typing(call: Call) -> Any:
    """``POST /channels/{c}/typing``."""
    channel = call.channel()
    if require_view(call.sb, channel) is not None and not bot_perms(call.sb, channel) & perm.SEND_MESSAGES:
        raise missing_permissions()
    return None


# ---- messages ---------------------------------------------------------------------------------------
async def list_messages(call: Call) -> Any:
    """``GET /channels/{c}/messages?limit&before&after&around``: newest first."""
    channel = call.channel()
    require_view(call.sb, channel)
    if not bot_perms(call.sb, channel) & perm.READ_MESSAGE_HISTORY:
        return []
    limit = int(call.query.get("limit", 50))
    if not 1 <= limit <= 100:
        raise invalid_form("limit", "NUMBER_TYPE_MAX", "int value should be <= 100 and >= 1.")
    history = list(call.sb.state.history(channel.id).values())
    before, after, around = (call.query.get(k) for k in ("before", "after", "around"))
    if before:
        history = [m for m in history if int(m["id"]) < int(before)]
        picked = history[-limit:]
    elif after:
        history = [m for m in history if int(m["id"]) > int(after)]
        picked = history[:limit]
    elif around:
        pivot = int(around)
        older = [m for m in history if int(m["id"]) <= pivot]
        newer = [m for m in history if int(m["id"]) > pivot]
        half = limit // 2
        picked = older[-(limit - min(half, len(newer))) :] + newer[: min(half, len(newer))]
    else:
        picked = history[-limit:]
    return [payloads.rest_view(m) for m in reversed(picked)]


async def get_message(call: Call) -> Any:
    """``GET /channels/{c}/messages/{m}``."""
    channel = call.channel()
    require_view(call.sb, channel)
    if not bot_perms(call.sb, channel) & perm.READ_MESSAGE_HISTORY:
        raise missing_access()
    return payloads.rest_view(call.sb.state.message(channel.id, call.snowflake("message_id", "Message")))


async def create_message(call: Call) -> Any:
    """``POST /channels/{c}/messages`` (JSON or multipart): checks permissions, stores, MESSAGE_CREATE."""
    sb = call.sb
    channel = call.channel()
    guild = require_view(sb, channel)
    if channel.type == CATEGORY:
        raise DiscordHTTPError(400, 50008, "Cannot send messages in a non-text channel")
    if guild is not None:
        need = perm.SEND_MESSAGES | (perm.ATTACH_FILES if call.files else 0)
        require(sb, guild, need, channel)
    else:
        recipient = sb.state.users[channel.recipients[0]]
        if not recipient.dms_open or recipient.bot:
            raise DiscordHTTPError(403, 50007, "Cannot send messages to this user")
    fields = message_fields(call, channel)
    body = call.json()
    if body.get("enforce_nonce") and fields["nonce"] is not None:
        earlier = _sent_with_nonce(sb, channel, fields["nonce"])
        if earlier is not None:
            return payloads.rest_view(earlier)  # the same send again: Discord returns the first message
    if guild is not None and not bot_perms(sb, channel) & perm.EMBED_LINKS:
        fields["embeds"] = []  # Discord silently drops embeds without Embed Links
    reference = None
    ref = body.get("message_reference")
    if ref and ref.get("message_id"):
        ref_channel = int(ref.get("channel_id") or channel.id)
        reference = sb.state.history(ref_channel).get(int(ref["message_id"]))
        if reference is None and ref.get("fail_if_not_exists", True):
            raise invalid_form("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
    message = await mutations.post_message(
        sb,
        channel,
        sb.state.bot_user_id,
        reference=reference,
        msg_type=payloads.REPLY if reference is not None else payloads.DEFAULT,
        **fields,
    )
    sb.record_output("message", channel.id, message)
    return payloads.rest_view(message)


def _sent_with_nonce(sb: Sandbox, channel: Channel, nonce: Any) -> dict[str, Any] | None:
    """The bot's message in ``channel`` with this nonce from the last few minutes (``enforce_nonce``), if any."""
    since = dt.datetime.now(dt.UTC) - NONCE_WINDOW
    bot_id = str(sb.state.bot_user_id)
    for message in reversed(sb.state.history(channel.id).values()):
        if snowflake_time(int(message["id"])) < since:
            break
        if message["author"]["id"] == bot_id and str(message.get("nonce")) == str(nonce):
            return message
    return None


async def edit_message(call: Call) -> Any:
    """``PATCH /channels/{c}/messages/{m}``: the bot edits its own message -> MESSAGE_UPDATE."""
    sb = call.sb
    channel = call.channel()
    require_view(sb, channel)
    message = sb.state.message(channel.id, call.snowflake("message_id", "Message"))
    body = call.json()
    if int(message["author"]["id"]) != sb.state.bot_user_id:
        if set(body) - {"flags"}:
            raise DiscordHTTPError(403, 50005, "Cannot edit a message authored by another user")
        require(sb, sb.state.guild(channel.guild_id or 0), perm.MANAGE_MESSAGES, channel)
    apply_edit(sb, channel, message, body, call.files)
    await mutations.message_updated(sb, channel, message)
    sb.observe_edit(channel.id, message)
    return payloads.rest_view(message)


def apply_edit(
    sb: Sandbox, channel: Channel, message: dict[str, Any], body: dict[str, Any], files: list[Upload]
) -> None:
    """Apply an edit body (content, embeds, components, flags, attachments) to a stored message."""
    if "content" in body:
        content = "" if body["content"] is None else str(body["content"])
        if len(content) > 2000:
            raise invalid_form("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
        message["content"] = content
        guild = sb.state.guilds.get(channel.guild_id) if channel.guild_id else None
        users_m, roles_m, everyone = payloads.mentions(sb.state, guild, content, body.get("allowed_mentions"))
        message.update(mentions=users_m, mention_roles=roles_m, mention_everyone=everyone)
    if "embeds" in body:
        message["embeds"] = validate_embeds(body["embeds"])
    if "components" in body:
        message["components"] = body["components"] or []
    if "flags" in body and body["flags"] is not None:
        keep = message["flags"] & ~SETTABLE_FLAGS
        message["flags"] = keep | (int(body["flags"]) & SETTABLE_FLAGS)
    if "attachments" in body or files:
        message["attachments"] = build_attachments(sb, channel.id, body, files, message["attachments"])
    payloads.edited(message)


async def delete_message(call: Call) -> Any:
    """``DELETE /channels/{c}/messages/{m}``: own message, or anyone's with Manage Messages."""
    sb = call.sb
    channel = call.channel()
    guild = require_view(sb, channel)
    message_id = call.snowflake("message_id", "Message")
    message = sb.state.message(channel.id, message_id)
    if int(message["author"]["id"]) != sb.state.bot_user_id:
        if guild is None:
            raise DiscordHTTPError(403, 50003, "Cannot execute action on a DM channel")
        require(sb, guild, perm.MANAGE_MESSAGES, channel)
        await audit.record(
            sb,
            guild,
            sb.state.bot_user_id,
            audit.MESSAGE_DELETE,
            int(message["author"]["id"]),
            call.reason,
            options={"channel_id": str(channel.id), "count": "1"},
        )
    await mutations.delete_message(sb, channel, message_id)
    return None


async def bulk_delete(call: Call) -> Any:
    """``POST /channels/{c}/messages/bulk-delete {messages}``: 2-100 ids, none older than 14 days."""
    sb = call.sb
    channel = call.channel()
    guild = require_view(sb, channel)
    if guild is None:
        raise DiscordHTTPError(403, 50003, "Cannot execute action on a DM channel")
    require(sb, guild, perm.MANAGE_MESSAGES, channel)
    ids = [int(m) for m in call.json().get("messages") or []]
    if not 2 <= len(ids) <= 100:
        raise DiscordHTTPError(
            400,
            50016,
            "Provided too few or too many messages to delete. "
            "Must provide at least 2 and fewer than 100 messages to delete.",
        )
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=14)
    if any(snowflake_time(m) < cutoff for m in ids):
        raise DiscordHTTPError(400, 50034, "You can only bulk delete messages that are under 14 days old.")
    history = sb.state.history(channel.id)
    doomed = [m for m in dict.fromkeys(ids) if m in history]
    await audit.record(
        sb,
        guild,
        sb.state.bot_user_id,
        audit.MESSAGE_BULK_DELETE,
        channel.id,
        call.reason,
        options={"count": str(len(doomed))},
    )
    await mutations.delete_messages(sb, channel, doomed)
    return None


# ---- pins -------------------------------------------------------------------------------------------
async def _pins_changed(sb: Sandbox, channel: Channel) -> None:
    pinned = [m for m in sb.state.history(channel.id).values() if m.get("pinned")]
    data: dict[str, Any] = {
        "channel_id": str(channel.id),
        "last_pin_timestamp": max((sb.state.pinned_at[int(m["id"])] for m in pinned), default=None),
    }
    if channel.guild_id:
        data["guild_id"] = str(channel.guild_id)
    await sb.gateway.dispatch("CHANNEL_PINS_UPDATE", data, guild_id=channel.guild_id)


async def pin(call: Call) -> Any:
    """``PUT /channels/{c}/messages/pins/{m}`` -> CHANNEL_PINS_UPDATE (at most 50 pins)."""
    sb = call.sb
    channel = call.channel()
    guild = require_view(sb, channel)
    if guild is not None:
        require(sb, guild, perm.MANAGE_MESSAGES, channel)
    message = sb.state.message(channel.id, call.snowflake("message_id", "Message"))
    pinned = [m for m in sb.state.history(channel.id).values() if m.get("pinned")]
    if len(pinned) >= 50 and not message["pinned"]:
        raise DiscordHTTPError(400, 30003, "Maximum number of pins reached (50)")
    message["pinned"] = True
    sb.state.pinned_at[int(message["id"])] = now_iso()
    await _pins_changed(sb, channel)
    return None


async def unpin(call: Call) -> Any:
    """``DELETE /channels/{c}/messages/pins/{m}`` -> CHANNEL_PINS_UPDATE."""
    sb = call.sb
    channel = call.channel()
    guild = require_view(sb, channel)
    if guild is not None:
        require(sb, guild, perm.MANAGE_MESSAGES, channel)
    message = sb.state.message(channel.id, call.snowflake("message_id", "Message"))
    message["pinned"] = False
    await _pins_changed(sb, channel)
    return None


async def list_pins(call: Call) -> Any:
    """``GET /channels/{c}/messages/pins``: ``{"items": [{"pinned_at", "message"}], "has_more"}``."""
    sb = call.sb
    channel = call.channel()
    require_view(sb, channel)
    pinned = [m for m in sb.state.history(channel.id).values() if m.get("pinned")]
    pinned.sort(key=lambda m: sb.state.pinned_at.get(int(m["id"]), ""), reverse=True)
    return {
        "items": [
            {"pinned_at": sb.state.pinned_at.get(int(m["id"])), "message": payloads.rest_view(m)} for m in pinned
        ],
        "has_more": False,
    }


# ---- reactions --------------------------------------------------------------------------------------
def parse_emoji(raw: str) -> dict[str, Any]:
    """A reaction path segment (``%F0%9F%91%8D`` or ``name:id``) as an emoji object."""
    text = unquote(raw)
    if ":" in text:
        name, emoji_id = text.split(":")[-2:]
        return {"id": emoji_id, "name": name, "animated": False}
    return {"id": None, "name": text}


async def add_own_reaction(call: Call) -> Any:
    """``PUT /channels/{c}/messages/{m}/reactions/{emoji}/@me`` -> MESSAGE_REACTION_ADD."""
    sb = call.sb
    channel = call.channel()
    guild = require_view(sb, channel)
    if guild is not None:
        require(sb, guild, perm.ADD_REACTIONS | perm.READ_MESSAGE_HISTORY, channel)
    message = sb.state.message(channel.id, call.snowflake("message_id", "Message"))
    await mutations.reaction_added(sb, channel, message, sb.state.bot_user_id, parse_emoji(call.params["emoji"]))
    return None


async def remove_reaction(call: Call) -> Any:
    """``DELETE /channels/{c}/messages/{m}/reactions/{emoji}/{@me|user_id}`` -> MESSAGE_REACTION_REMOVE."""
    sb = call.sb
    channel = call.channel()
    guild = require_view(sb, channel)
    target = call.params["user"]
    user_id = sb.state.bot_user_id if target == "@me" else call.snowflake("user", "User")
    if user_id != sb.state.bot_user_id and guild is not None:
        require(sb, guild, perm.MANAGE_MESSAGES, channel)
    message = sb.state.message(channel.id, call.snowflake("message_id", "Message"))
    await mutations.reaction_removed(sb, channel, message, user_id, parse_emoji(call.params["emoji"]))
    return None


async def list_reactions(call: Call) -> Any:
    """``GET /channels/{c}/messages/{m}/reactions/{emoji}``: users who reacted."""
    sb = call.sb
    channel = call.channel()
    require_view(sb, channel)
    message_id = call.snowflake("message_id", "Message")
    sb.state.message(channel.id, message_id)
    emoji = parse_emoji(call.params["emoji"])
    users = sb.state.reactors.get((message_id, emoji.get("id") or emoji["name"]), set())
    return [payloads.user(sb.state.users[u]) for u in sorted(users)]


#: In registration order: the literal ``bulk-delete`` and ``pins`` paths before ``{message_id}``.
ROUTES: list[tuple[str, str, Handler, bool]] = [
    ("POST", "/channels/{channel_id}/typing", typing, True),
    ("POST", "/channels/{channel_id}/messages/bulk-delete", bulk_delete, True),
    ("GET", "/channels/{channel_id}/messages/pins", list_pins, True),
    ("PUT", "/channels/{channel_id}/messages/pins/{message_id}", pin, True),
    ("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", unpin, True),
    ("GET", "/channels/{channel_id}/messages", list_messages, True),
    ("POST", "/channels/{channel_id}/messages", create_message, True),
    ("GET", "/channels/{channel_id}/messages/{message_id}", get_message, True),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}", edit_message, True),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}", delete_message, True),
    ("GET", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}", list_reactions, True),
    ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", add_own_reaction, True),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user}", remove_reaction, True),
]
