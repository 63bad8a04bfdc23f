"""REST routes of guild bans: list, get, ban (one or in bulk) and unban, with Discord's checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wolaro.sandbox import audit, mutations, payloads
from wolaro.sandbox import permissions as perm
from wolaro.sandbox.errors import DiscordHTTPError, invalid_form, missing_permissions, unknown
from wolaro.sandbox.rest import Call, Handler, require
from wolaro.sandbox.state import Guild

if TYPE_CHECKING:
    from wolaro.sandbox.server import Sandbox

from wolaro.sandbox.rest_guilds import outrank_or_403


# ---- bans -------------------------------------------------------------------------------------------
def _ban_json(sb: Sandbox, user_id: int, reason: str | None) -> dict[str, Any]:
    return {"reason": reason, "user": payloads.user(sb.state.users[user_id])}


async def list_bans(call: Call) -> Any:
    """``GET /guilds/{g}/bans?limit&before&after``."""
    sb = call.sb
    guild = call.guild()
    require(sb, guild, perm.BAN_MEMBERS)
    limit = int(call.query.get("limit", 1000))
    ids = sorted(guild.bans)
    if call.query.get("after"):
        ids = [u for u in ids if u > int(call.query["after"])]
    if call.query.get("before"):
        ids = [u for u in ids if u < int(call.query["before"])][-limit:]
    return [_ban_json(sb, u, guild.bans[u].reason) for u in ids[:limit]]


async def get_ban(call: Call) -> Any:
    """``GET /guilds/{g}/bans/{u}``."""
    sb = call.sb
    guild = call.guild()
    require(sb, guild, perm.BAN_MEMBERS)
    ban = guild.bans.get(call.snowflake("user_id", "Ban"))
    if ban is None:
        raise unknown("Ban")
    return _ban_json(sb, ban.user_id, ban.reason)


def _delete_seconds(body: dict[str, Any], query: Any = None) -> int:
    """``delete_message_seconds`` from the JSON body or, as discord.py sends it, the query string."""
    query = query or {}
    if body.get("delete_message_seconds") is not None:
        seconds = int(body["delete_message_seconds"])
    elif query.get("delete_message_seconds") is not None:
        seconds = int(query["delete_message_seconds"])
    else:
        seconds = int(body.get("delete_message_days") or query.get("delete_message_days") or 0) * 86400
    if not 0 <= seconds <= 604800:
        raise invalid_form("delete_message_seconds", "NUMBER_TYPE_MAX", "int value should be <= 604800.")
    return seconds


async def _ban_one(call: Call, guild: Guild, user_id: int, seconds: int) -> None:
    sb = call.sb
    sb.state.user(user_id)
    member = guild.members.get(user_id)
    if user_id == guild.owner_id or user_id == sb.state.bot_user_id:
        raise missing_permissions()
    if member is not None:
        outrank_or_403(sb, guild, member)
    await audit.record(sb, guild, sb.state.bot_user_id, audit.MEMBER_BAN_ADD, user_id, call.reason)
    await mutations.banned(sb, guild, user_id, call.reason, seconds)


async def put_ban(call: Call) -> Any:
    """``PUT /guilds/{g}/bans/{u} {delete_message_seconds}`` (reason in X-Audit-Log-Reason).

    Removes the member (GUILD_MEMBER_REMOVE), deletes their recent messages (MESSAGE_DELETE_BULK) and
    dispatches GUILD_BAN_ADD.
    """
    guild = call.guild()
    require(call.sb, guild, perm.BAN_MEMBERS)
    await _ban_one(call, guild, call.snowflake("user_id", "User"), _delete_seconds(call.json(), call.query))
    return None


async def bulk_ban(call: Call) -> Any:
    """``POST /guilds/{g}/bulk-ban {user_ids, delete_message_seconds}``."""
    guild = call.guild()
    require(call.sb, guild, perm.BAN_MEMBERS | perm.MANAGE_GUILD)
    body = call.json()
    seconds = _delete_seconds(body, call.query)
    banned, failed = [], []
    for raw in body.get("user_ids") or []:
        try:
            await _ban_one(call, guild, int(raw), seconds)
            banned.append(str(raw))
        except DiscordHTTPError:
            failed.append(str(raw))
    if not banned:
        raise DiscordHTTPError(500, 500000, "Failed to ban users")
    return {"banned_users": banned, "failed_users": failed}


async def delete_ban(call: Call) -> Any:
    """``DELETE /guilds/{g}/bans/{u}`` -> GUILD_BAN_REMOVE (404 Unknown Ban if not banned)."""
    guild = call.guild()
    require(call.sb, guild, perm.BAN_MEMBERS)
    user_id = call.snowflake("user_id", "Ban")
    if user_id not in guild.bans:
        raise unknown("Ban")
    await audit.record(call.sb, guild, call.sb.state.bot_user_id, audit.MEMBER_BAN_REMOVE, user_id, call.reason)
    await mutations.unbanned(call.sb, guild, user_id)
    return None


ROUTES: list[tuple[str, str, Handler, bool]] = [
    ("GET", "/guilds/{guild_id}/bans", list_bans, True),
    ("GET", "/guilds/{guild_id}/bans/{user_id}", get_ban, True),
    ("PUT", "/guilds/{guild_id}/bans/{user_id}", put_ban, True),
    ("DELETE", "/guilds/{guild_id}/bans/{user_id}", delete_ban, True),
    ("POST", "/guilds/{guild_id}/bulk-ban", bulk_ban, True),
]
