"""Guild audit log: entries for moderation and settings changes, and ``GET /guilds/{g}/audit-logs``.

Each entry is also dispatched as GUILD_AUDIT_LOG_ENTRY_CREATE, as Discord does, to clients with the
GUILD_MODERATION intent whose bot may view the audit log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wolaro.sandbox import payloads
from wolaro.sandbox import permissions as perm
from wolaro.sandbox.state import Guild

if TYPE_CHECKING:
    from wolaro.sandbox.rest import Call
    from wolaro.sandbox.server import Sandbox

GUILD_UPDATE = 1
CHANNEL_CREATE, CHANNEL_UPDATE, CHANNEL_DELETE = 10, 11, 12
OVERWRITE_CREATE, OVERWRITE_UPDATE, OVERWRITE_DELETE = 13, 14, 15
MEMBER_KICK, MEMBER_BAN_ADD, MEMBER_BAN_REMOVE, MEMBER_UPDATE, MEMBER_ROLE_UPDATE = 20, 22, 23, 24, 25
ROLE_CREATE, ROLE_UPDATE, ROLE_DELETE = 30, 31, 32
MESSAGE_DELETE, MESSAGE_BULK_DELETE = 72, 73
#: Entries kept per guild.
MAX_ENTRIES = 1000


def change(key: str, old: Any, new: Any) -> dict[str, Any]:
    """One ``changes`` item (omitting a side that is None, as Discord does)."""
    item: dict[str, Any] = {"key": key}
    if old is not None:
        item["old_value"] = old
    if new is not None:
        item["new_value"] = new
    return item


async def record(
    sb: Sandbox,
    guild: Guild,
    actor_id: int,
    action: int,
    target_id: int | None,
    reason: str | None,
    *,
    changes: list[dict[str, Any]] | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Add an entry to ``guild``'s audit log and dispatch GUILD_AUDIT_LOG_ENTRY_CREATE."""
    entry: dict[str, Any] = {
        "id": str(sb.ids.now()),
        "user_id": str(actor_id),
        "target_id": str(target_id) if target_id is not None else None,
        "action_type": action,
        "changes": changes or [],
    }
    if reason:
        entry["reason"] = reason
    if options:
        entry["options"] = options
    log = sb.state.audit_log.setdefault(guild.id, [])
    log.append(entry)
    del log[:-MAX_ENTRIES]
    bot = guild.members.get(sb.state.bot_user_id)
    if bot is not None and perm.base_permissions(guild, bot) & perm.VIEW_AUDIT_LOG:
        await sb.gateway.dispatch(
            "GUILD_AUDIT_LOG_ENTRY_CREATE", {**entry, "guild_id": str(guild.id)}, guild_id=guild.id
        )
    return entry


async def get_audit_log(call: Call) -> Any:
    """``GET /guilds/{g}/audit-logs?user_id&action_type&before&after&limit`` (newest first)."""
    from wolaro.sandbox.rest import require

    sb = call.sb
    guild = call.guild()
    require(sb, guild, perm.VIEW_AUDIT_LOG)
    entries = list(reversed(sb.state.audit_log.get(guild.id, [])))
    q = call.query
    if q.get("user_id"):
        entries = [e for e in entries if e["user_id"] == q["user_id"]]
    if q.get("action_type"):
        entries = [e for e in entries if e["action_type"] == int(q["action_type"])]
    if q.get("before"):
        entries = [e for e in entries if int(e["id"]) < int(q["before"])]
    if q.get("after"):
        entries = [e for e in entries if int(e["id"]) > int(q["after"])][::-1]
    entries = entries[: max(1, min(100, int(q.get("limit", 50))))]
    user_ids = {int(e["user_id"]) for e in entries} | {
        int(e["target_id"]) for e in entries if e["target_id"] and int(e["target_id"]) in sb.state.users
    }
    return {
        "audit_log_entries": entries,
        "users": [payloads.user(sb.state.users[u]) for u in sorted(user_ids) if u in sb.state.users],
        "integrations": [],
        "webhooks": [],
        "threads": [],
        "guild_scheduled_events": [],
        "application_commands": [],
        "auto_moderation_rules": [],
    }
