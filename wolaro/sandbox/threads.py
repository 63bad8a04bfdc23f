"""Threads in the emulator's world: who is in them, their metadata, their JSON and who may see them.

A thread is a `Channel` of type 11 (public) or 12 (private) in ``state.channels`` with ``parent_id`` set; it is not
listed in its guild's channels (Discord lists threads apart). Its members and metadata live in
``state.thread_members`` and ``state.thread_meta``. Permissions in a thread are those of its parent channel; a
private thread is visible only to its members and to members with Manage Threads, as on Discord.
"""

from __future__ import annotations

from typing import Any

from wolaro.sandbox import permissions as perm
from wolaro.sandbox.snowflake import now_iso
from wolaro.sandbox.state import Channel, Guild, Member, SandboxState

PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
THREAD_TYPES = (PUBLIC_THREAD, PRIVATE_THREAD)


def new_meta(owner_id: int, auto_archive: int, invitable: bool) -> dict[str, Any]:
    """A new thread's metadata (Discord's `thread_metadata` plus its owner)."""
    now = now_iso()
    return {
        "owner_id": owner_id,
        "archived": False,
        "locked": False,
        "invitable": invitable,
        "auto_archive_duration": auto_archive,
        "archive_timestamp": now,
        "create_timestamp": now,
    }


def fields(state: SandboxState, c: Channel) -> dict[str, Any]:
    """What a thread's channel object adds to a channel's (discord.py's `Thread` reads every one)."""
    meta = state.thread_meta.get(c.id) or new_meta(state.bot_user_id, 1440, False)
    members = state.thread_members.get(c.id, set())
    metadata = {k: meta[k] for k in ("archived", "auto_archive_duration", "archive_timestamp", "locked")}
    metadata["create_timestamp"] = meta["create_timestamp"]
    if c.type == PRIVATE_THREAD:
        metadata["invitable"] = meta["invitable"]
    count = len(state.messages.get(c.id, {}))
    return {
        "owner_id": str(meta["owner_id"]),
        "thread_metadata": metadata,
        "member_count": min(len(members), 50),
        "message_count": count,
        "total_message_sent": count,
        "rate_limit_per_user": c.rate_limit_per_user,
        "last_message_id": str(c.last_message_id) if c.last_message_id else None,
        "applied_tags": [],
    }


def member_object(thread_id: int, user_id: int, joined: str | None = None) -> dict[str, Any]:
    """A thread member object."""
    return {"id": str(thread_id), "user_id": str(user_id), "join_timestamp": joined or now_iso(), "flags": 0}


def permissions_in(state: SandboxState, guild: Guild, thread: Channel, member: Member) -> int:
    """A member's permissions in a thread: its parent channel's, and none in a private thread they are not in."""
    parent = state.channels.get(thread.parent_id or 0)
    bits = (
        perm.channel_permissions(guild, parent, member) if parent is not None else perm.base_permissions(guild, member)
    )
    outsider = member.user_id not in state.thread_members.get(thread.id, set())
    if thread.type == PRIVATE_THREAD and outsider and not bits & (perm.ADMINISTRATOR | perm.MANAGE_THREADS):
        return 0
    if bits & perm.SEND_MESSAGES_IN_THREADS:
        bits |= perm.SEND_MESSAGES
    else:
        bits &= ~perm.SEND_MESSAGES
    meta = state.thread_meta.get(thread.id) or {}
    if meta.get("locked") and not bits & perm.MANAGE_THREADS:
        bits &= ~perm.SEND_MESSAGES
    return bits
