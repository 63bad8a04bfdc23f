"""REST routes of channels: get, edit, delete, permission overwrites (messages: ``rest_messages``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wolaro.sandbox import audit, mutations, payloads
from wolaro.sandbox import permissions as perm
from wolaro.sandbox.errors import DiscordHTTPError, invalid_form, missing_permissions, unknown
from wolaro.sandbox.rest import Call, Handler, require, require_view
from wolaro.sandbox.rest_renames import rename_limit
from wolaro.sandbox.state import CATEGORY, TEXT, VOICE, Channel, Overwrite

if TYPE_CHECKING:
    from wolaro.sandbox.server import Sandbox
from wolaro.sandbox import rest_messages, rest_threads
from wolaro.sandbox.threads import THREAD_TYPES


# ---- channels ---------------------------------------------------------------------------------------
async def get_channel(call: Call) -> Any:
    """``GET /channels/{c}``."""
    channel = call.channel()
    require_view(call.sb, channel)
    return payloads.channel(call.sb.state, channel)


def apply_channel_fields(sb: Sandbox, channel: Channel, body: dict[str, Any]) -> None:
    """Apply the writable fields of a channel create/modify body to ``channel``."""
    if "name" in body:
        name = str(body["name"])
        if not 1 <= len(name) <= 100:
            raise invalid_form("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        channel.name = name.lower().replace(" ", "-") if channel.type == TEXT else name
    if "topic" in body:
        topic = body["topic"]
        if topic is not None and len(topic) > 1024:
            raise invalid_form("topic", "BASE_TYPE_MAX_LENGTH", "Must be 1024 or fewer in length.")
        channel.topic = topic
    if "rate_limit_per_user" in body:
        value = int(body["rate_limit_per_user"] or 0)
        if not 0 <= value <= 21600:
            raise invalid_form("rate_limit_per_user", "NUMBER_TYPE_MAX", "int value should be <= 21600.")
        channel.rate_limit_per_user = value
    if "nsfw" in body:
        channel.nsfw = bool(body["nsfw"])
    if "position" in body and body["position"] is not None:
        channel.position = int(body["position"])
    if "parent_id" in body:
        parent = body["parent_id"]
        if parent is not None:
            parent_channel = sb.state.channels.get(int(parent))
            if parent_channel is None or parent_channel.type != CATEGORY or parent_channel.guild_id != channel.guild_id:
                raise invalid_form("parent_id", "CHANNEL_PARENT_INVALID_TYPE", "Not a category")
        channel.parent_id = int(parent) if parent is not None else None
    if "bitrate" in body and channel.type == VOICE:
        channel.bitrate = int(body["bitrate"])
    if "user_limit" in body and channel.type == VOICE:
        channel.user_limit = int(body["user_limit"])
    if "permission_overwrites" in body:
        channel.overwrites = {}
        for ow in body["permission_overwrites"] or []:
            channel.overwrites[int(ow["id"])] = Overwrite(
                id=int(ow["id"]), type=int(ow["type"]), allow=int(ow.get("allow") or 0), deny=int(ow.get("deny") or 0)
            )


def check_grantable(sb: Sandbox, channel: Channel, allow: int, deny: int) -> None:
    """Discord refuses overwrites granting or denying permissions the bot itself lacks (unless Administrator)."""
    guild = sb.state.guild(channel.guild_id or 0)
    bot = sb.state.bot_member(guild)
    if perm.base_permissions(guild, bot) & perm.ADMINISTRATOR:
        return
    have = (
        perm.channel_permissions(guild, channel, bot)
        if channel.id in sb.state.channels
        else perm.base_permissions(guild, bot)
    )
    if (allow | deny) & ~have:
        raise missing_permissions()


async def patch_channel(call: Call) -> Any:
    """``PATCH /channels/{c}``: name, topic, slowmode, nsfw, parent, overwrites -> CHANNEL_UPDATE."""
    channel = call.channel()
    guild = require_view(call.sb, channel)
    if guild is None:
        raise DiscordHTTPError(403, 50003, "Cannot execute action on a DM channel")
    if channel.type in THREAD_TYPES:
        return await rest_threads.patch_thread(call, channel)
    body = call.json()
    require(call.sb, guild, perm.MANAGE_CHANNELS, channel)
    if "permission_overwrites" in body:
        require(call.sb, guild, perm.MANAGE_ROLES, channel)
        for ow in body["permission_overwrites"] or []:
            check_grantable(call.sb, channel, int(ow.get("allow") or 0), int(ow.get("deny") or 0))
    if "name" in body and body["name"] != channel.name:
        rename_limit(call.sb).admit(channel.id)  # 2 renames per 10 minutes per channel
    before = (channel.name, channel.topic, channel.rate_limit_per_user, channel.nsfw)
    apply_channel_fields(call.sb, channel, body)
    after = (channel.name, channel.topic, channel.rate_limit_per_user, channel.nsfw)
    keys = ("name", "topic", "rate_limit_per_user", "nsfw")
    changes = [audit.change(k, b, a) for k, b, a in zip(keys, before, after, strict=True) if b != a]
    await audit.record(
        call.sb, guild, call.sb.state.bot_user_id, audit.CHANNEL_UPDATE, channel.id, call.reason, changes=changes
    )
    return await mutations.channel_event(call.sb, channel, "CHANNEL_UPDATE")


async def delete_channel(call: Call) -> Any:
    """``DELETE /channels/{c}``: delete a guild channel (CHANNEL_DELETE) or close a DM."""
    channel = call.channel()
    guild = require_view(call.sb, channel)
    data = payloads.channel(call.sb.state, channel)
    if guild is None:
        return data
    if channel.type in THREAD_TYPES:
        return await rest_threads.delete_thread(call, channel)
    require(call.sb, guild, perm.MANAGE_CHANNELS, channel)
    await audit.record(
        call.sb,
        guild,
        call.sb.state.bot_user_id,
        audit.CHANNEL_DELETE,
        channel.id,
        call.reason,
        changes=[audit.change("name", channel.name, None)],
    )
    guild.channel_ids.remove(channel.id)
    data = await mutations.channel_event(call.sb, channel, "CHANNEL_DELETE")
    del call.sb.state.channels[channel.id]
    call.sb.state.messages.pop(channel.id, None)
    return data


async def put_overwrite(call: Call) -> Any:
    """``PUT /channels/{c}/permissions/{overwrite_id}`` -> CHANNEL_UPDATE."""
    channel = call.channel()
    guild = require_view(call.sb, channel)
    if guild is None:
        raise DiscordHTTPError(403, 50003, "Cannot execute action on a DM channel")
    require(call.sb, guild, perm.MANAGE_ROLES, channel)
    body = call.json()
    target = call.snowflake("overwrite_id", "Overwrite")
    kind = int(body["type"])
    if kind == 0 and target not in guild.roles:
        raise unknown("Role")
    if kind == 1 and target not in guild.members:
        raise unknown("Member")
    allow, deny = int(body.get("allow") or 0), int(body.get("deny") or 0)
    check_grantable(call.sb, channel, allow, deny)
    action = audit.OVERWRITE_UPDATE if target in channel.overwrites else audit.OVERWRITE_CREATE
    await audit.record(
        call.sb,
        guild,
        call.sb.state.bot_user_id,
        action,
        channel.id,
        call.reason,
        changes=[audit.change("allow", None, str(allow)), audit.change("deny", None, str(deny))],
        options={"id": str(target), "type": str(kind)},
    )
    channel.overwrites[target] = Overwrite(id=target, type=kind, allow=allow, deny=deny)
    await mutations.channel_event(call.sb, channel, "CHANNEL_UPDATE")
    return None


async def delete_overwrite(call: Call) -> Any:
    """``DELETE /channels/{c}/permissions/{overwrite_id}`` -> CHANNEL_UPDATE."""
    channel = call.channel()
    guild = require_view(call.sb, channel)
    if guild is None:
        raise DiscordHTTPError(403, 50003, "Cannot execute action on a DM channel")
    require(call.sb, guild, perm.MANAGE_ROLES, channel)
    removed = channel.overwrites.pop(call.snowflake("overwrite_id", "Overwrite"), None)
    if removed is not None:
        await audit.record(
            call.sb,
            guild,
            call.sb.state.bot_user_id,
            audit.OVERWRITE_DELETE,
            channel.id,
            call.reason,
            options={"id": str(removed.id), "type": str(removed.type)},
        )
        await mutations.channel_event(call.sb, channel, "CHANNEL_UPDATE")
    return None


ROUTES: list[tuple[str, str, Handler, bool]] = [
    ("GET", "/channels/{channel_id}", get_channel, True),
    ("PATCH", "/channels/{channel_id}", patch_channel, True),
    ("DELETE", "/channels/{channel_id}", delete_channel, True),
    ("PUT", "/channels/{channel_id}/permissions/{overwrite_id}", put_overwrite, True),
    ("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}", delete_overwrite, True),
    *rest_messages.ROUTES,
    *rest_threads.ROUTES,
]
