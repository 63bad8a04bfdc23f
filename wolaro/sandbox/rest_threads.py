"""REST routes of threads: start one without a message, add, remove and list its members.

A thread's update (name, archived, locked) and deletion are reached through ``PATCH``/``DELETE /channels/{id}``.

Follows Discord's documented payloads: ``POST /channels/{id}/threads`` (``name``, ``type`` 11 or 12,
``auto_archive_duration``, ``invitable``) -> THREAD_CREATE (``newly_created``); ``PUT``/``DELETE
/channels/{id}/thread-members/{user}`` -> THREAD_MEMBERS_UPDATE; THREAD_UPDATE; THREAD_DELETE.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wolaro.sandbox import payloads
from wolaro.sandbox import permissions as perm
from wolaro.sandbox.errors import DiscordHTTPError, invalid_form, missing_permissions
from wolaro.sandbox.rest import Call, Handler, require_view
from wolaro.sandbox.snowflake import now_iso
from wolaro.sandbox.state import TEXT, Channel
from wolaro.sandbox.threads import PRIVATE_THREAD, PUBLIC_THREAD, THREAD_TYPES, member_object, new_meta

if TYPE_CHECKING:
    from wolaro.sandbox.server import Sandbox

ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)


def _thread(call: Call) -> Channel:
    channel = call.channel()
    if channel.type not in THREAD_TYPES:
        raise DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
    require_view(call.sb, channel)
    return channel


def _bot_bits(sb: Sandbox, channel: Channel) -> int:
    guild = sb.state.guild(channel.guild_id or 0)
    return perm.channel_permissions(guild, channel, sb.state.bot_member(guild))


async def start_thread(call: Call) -> Any:
    """``POST /channels/{c}/threads``: a thread without a starter message -> THREAD_CREATE."""
    sb = call.sb
    parent = call.channel()
    require_view(sb, parent)
    if parent.type != TEXT or parent.guild_id is None:
        raise DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
    body = call.json()
    kind = int(body.get("type") or PRIVATE_THREAD)
    if kind not in THREAD_TYPES:
        raise invalid_form("type", "BASE_TYPE_CHOICES", "Value must be one of {11, 12}.")
    name = str(body.get("name") or "")
    if not 1 <= len(name) <= 100:
        raise invalid_form("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    archive = int(body.get("auto_archive_duration") or 1440)
    if archive not in ARCHIVE_DURATIONS:
        raise invalid_form(
            "auto_archive_duration", "BASE_TYPE_CHOICES", "Value must be one of (60, 1440, 4320, 10080)."
        )
    needed = perm.CREATE_PRIVATE_THREADS if kind == PRIVATE_THREAD else perm.CREATE_PUBLIC_THREADS
    if not _bot_bits(sb, parent) & needed:
        raise missing_permissions()
    thread = Channel(id=sb.ids.now(), type=kind, name=name, guild_id=parent.guild_id, parent_id=parent.id)
    sb.state.channels[thread.id] = thread
    sb.state.thread_meta[thread.id] = new_meta(sb.state.bot_user_id, archive, bool(body.get("invitable", True)))
    sb.state.thread_members[thread.id] = {sb.state.bot_user_id}
    data = payloads.channel(sb.state, thread)
    await sb.gateway.dispatch("THREAD_CREATE", {**data, "newly_created": True}, guild_id=thread.guild_id)
    return data


async def _members_update(sb: Sandbox, thread: Channel, added: list[int], removed: list[int]) -> None:
    await sb.gateway.dispatch(
        "THREAD_MEMBERS_UPDATE",
        {
            "id": str(thread.id),
            "guild_id": str(thread.guild_id),
            "member_count": min(len(sb.state.thread_members.get(thread.id, set())), 50),
            "added_members": [member_object(thread.id, user) for user in added],
            "removed_member_ids": [str(user) for user in removed],
        },
        guild_id=thread.guild_id,
    )


async def add_member(call: Call) -> Any:
    """``PUT /channels/{t}/thread-members/{u}``: add a member (the thread must not be archived)."""
    sb = call.sb
    thread = _thread(call)
    user_id = call.snowflake("user_id", "User")
    guild = sb.state.guild(thread.guild_id or 0)
    if user_id not in guild.members:
        raise DiscordHTTPError(404, 10013, "Unknown User")
    if sb.state.thread_meta.get(thread.id, {}).get("archived"):
        raise DiscordHTTPError(400, 50083, "Thread is archived")
    members = sb.state.thread_members.setdefault(thread.id, set())
    if user_id not in members:
        members.add(user_id)
        await _members_update(sb, thread, [user_id], [])
    return None


async def remove_member(call: Call) -> Any:
    """``DELETE /channels/{t}/thread-members/{u}``: remove a member."""
    sb = call.sb
    thread = _thread(call)
    user_id = call.snowflake("user_id", "User")
    members = sb.state.thread_members.setdefault(thread.id, set())
    if user_id in members:
        if thread.type == PRIVATE_THREAD and not _bot_bits(sb, thread) & perm.MANAGE_THREADS:
            raise missing_permissions()
        members.discard(user_id)
        await _members_update(sb, thread, [], [user_id])
    return None


async def list_members(call: Call) -> Any:
    """``GET /channels/{t}/thread-members``."""
    thread = _thread(call)
    return [member_object(thread.id, user) for user in sorted(call.sb.state.thread_members.get(thread.id, set()))]


async def patch_thread(call: Call, thread: Channel) -> Any:
    """``PATCH /channels/{t}`` of a thread: name, archived, locked, invitable, auto_archive_duration, slowmode."""
    sb = call.sb
    body = call.json()
    meta = sb.state.thread_meta.setdefault(thread.id, new_meta(sb.state.bot_user_id, 1440, True))
    changes_lock = "locked" in body and bool(body["locked"]) != meta["locked"]
    if changes_lock and not _bot_bits(sb, thread) & perm.MANAGE_THREADS:
        raise missing_permissions()
    if "name" in body:
        name = str(body["name"])
        if not 1 <= len(name) <= 100:
            raise invalid_form("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        thread.name = name
    for key in ("archived", "locked", "invitable"):
        if key in body:
            meta[key] = bool(body[key])
    if "archived" in body:
        meta["archive_timestamp"] = now_iso()
    if "auto_archive_duration" in body:
        meta["auto_archive_duration"] = int(body["auto_archive_duration"])
    if "rate_limit_per_user" in body:
        thread.rate_limit_per_user = int(body["rate_limit_per_user"] or 0)
    data = payloads.channel(sb.state, thread)
    await sb.gateway.dispatch("THREAD_UPDATE", data, guild_id=thread.guild_id)
    return data


async def delete_thread(call: Call, thread: Channel) -> Any:
    """``DELETE /channels/{t}`` of a thread -> THREAD_DELETE."""
    sb = call.sb
    data = payloads.channel(sb.state, thread)
    bits = _bot_bits(sb, thread)
    if not bits & (perm.MANAGE_THREADS | perm.MANAGE_CHANNELS):
        raise missing_permissions()
    await sb.gateway.dispatch(
        "THREAD_DELETE",
        {
            "id": str(thread.id),
            "guild_id": str(thread.guild_id),
            "parent_id": str(thread.parent_id),
            "type": thread.type,
        },
        guild_id=thread.guild_id,
    )
    del sb.state.channels[thread.id]
    sb.state.messages.pop(thread.id, None)
    sb.state.thread_members.pop(thread.id, None)
    sb.state.thread_meta.pop(thread.id, None)
    return data


ROUTES: list[tuple[str, str, Handler, bool]] = [
    ("POST", "/channels/{channel_id}/threads", start_thread, True),
    ("GET", "/channels/{channel_id}/thread-members", list_members, True),
    ("PUT", "/channels/{channel_id}/thread-members/{user_id}", add_member, True),
    ("DELETE", "/channels/{channel_id}/thread-members/{user_id}", remove_member, True),
]

__all__ = ["PUBLIC_THREAD", "ROUTES", "delete_thread", "patch_thread"]
