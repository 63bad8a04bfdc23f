"""REST routes of guilds: settings, channels, roles, members (nick, roles, timeout, kick); bans: ``rest_bans``.

Permission and hierarchy checks follow Discord: the bot needs the permission, and may only act on a
member whose highest role is below its own (never the owner), or on roles below its highest role.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from wolaro.sandbox import audit, mutations, payloads
from wolaro.sandbox import permissions as perm
from wolaro.sandbox.errors import DiscordHTTPError, invalid_form, missing_permissions
from wolaro.sandbox.rest import Call, Handler, require
from wolaro.sandbox.rest_channels import apply_channel_fields, check_grantable
from wolaro.sandbox.snowflake import parse_iso
from wolaro.sandbox.state import CATEGORY, TEXT, VOICE, Channel, Guild, Member, Role

if TYPE_CHECKING:
    from wolaro.sandbox.server import Sandbox

MAX_TIMEOUT = dt.timedelta(days=28)


def outrank_or_403(sb: Sandbox, guild: Guild, target: Member) -> None:
    """403 Missing Permissions unless the bot's highest role is above ``target``'s (never the owner)."""
    if not perm.outranks(guild, sb.state.bot_member(guild), target):
        raise missing_permissions()


def _role_below_bot(sb: Sandbox, guild: Guild, role: Role) -> None:
    """The bot may only manage roles strictly below its highest role, and never managed ones."""
    bot = sb.state.bot_member(guild)
    is_admin_owner = bot.user_id == guild.owner_id
    if role.managed or role.id == guild.id:
        raise missing_permissions()
    if not is_admin_owner and role.position >= perm.top_position(guild, bot):
        raise missing_permissions()


def _grantable_role_perms(sb: Sandbox, guild: Guild, value: int) -> None:
    have = perm.base_permissions(guild, sb.state.bot_member(guild))
    if value & ~have:
        raise missing_permissions()


# ---- guild ------------------------------------------------------------------------------------------
async def get_guild(call: Call) -> Any:
    """``GET /guilds/{g}`` (``with_counts`` adds approximate counts)."""
    guild = call.guild()
    data = payloads.guild_base(guild)
    if call.query.get("with_counts") in ("true", "1", "True"):
        data["approximate_member_count"] = len(guild.members)
        data["approximate_presence_count"] = 0
    return data


async def patch_guild(call: Call) -> Any:
    """``PATCH /guilds/{g}``: name, verification level, notification and system-channel settings -> GUILD_UPDATE."""
    guild = call.guild()
    require(call.sb, guild, perm.MANAGE_GUILD)
    body = call.json()
    keys = (
        "name",
        "verification_level",
        "default_message_notifications",
        "explicit_content_filter",
        "system_channel_id",
        "rules_channel_id",
        "afk_channel_id",
        "afk_timeout",
        "preferred_locale",
        "description",
    )
    before = {k: getattr(guild, k) for k in keys}
    if "name" in body:
        name = str(body["name"])
        if not 2 <= len(name) <= 100:
            raise invalid_form("name", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length.")
        guild.name = name
    for key, top in (("verification_level", 4), ("default_message_notifications", 1), ("explicit_content_filter", 2)):
        if key in body:
            value = int(body[key])
            if not 0 <= value <= top:
                raise invalid_form(key, "BASE_TYPE_CHOICES", f"Value must be one of {list(range(top + 1))}.")
            setattr(guild, key, value)
    for key in ("system_channel_id", "rules_channel_id", "afk_channel_id"):
        if key in body:
            value = body[key]
            if value is not None and int(value) not in guild.channel_ids:
                raise invalid_form(key, "CHANNEL_INVALID", "Unknown channel")
            setattr(guild, key, int(value) if value is not None else None)
    for key in ("afk_timeout", "preferred_locale", "description"):
        if key in body:
            setattr(guild, key, body[key])
    changes = [audit.change(k, before[k], getattr(guild, k)) for k in keys if getattr(guild, k) != before[k]]
    if changes:
        await audit.record(
            call.sb, guild, call.sb.state.bot_user_id, audit.GUILD_UPDATE, guild.id, call.reason, changes=changes
        )
    return await mutations.guild_updated(call.sb, guild)


async def list_channels(call: Call) -> Any:
    """``GET /guilds/{g}/channels``."""
    guild = call.guild()
    return [payloads.channel(call.sb.state, call.sb.state.channels[c]) for c in guild.channel_ids]


async def create_channel(call: Call) -> Any:
    """``POST /guilds/{g}/channels`` -> CHANNEL_CREATE."""
    sb = call.sb
    guild = call.guild()
    require(sb, guild, perm.MANAGE_CHANNELS)
    body = call.json()
    kind = int(body.get("type") or TEXT)
    if kind not in (TEXT, VOICE, CATEGORY):
        raise invalid_form("type", "BASE_TYPE_CHOICES", "Value must be one of {0, 2, 4}.")
    if "name" not in body:
        raise invalid_form("name", "BASE_TYPE_REQUIRED", "This field is required")
    if body.get("permission_overwrites"):
        require(sb, guild, perm.MANAGE_ROLES)
    channel = Channel(
        id=sb.ids.now(),
        type=kind,
        name="",
        guild_id=guild.id,
        position=sum(1 for c in guild.channel_ids if sb.state.channels[c].type == kind),
    )
    for ow in body.get("permission_overwrites") or []:
        check_grantable(sb, channel, int(ow.get("allow") or 0), int(ow.get("deny") or 0))
    apply_channel_fields(sb, channel, body)
    sb.state.channels[channel.id] = channel
    guild.channel_ids.append(channel.id)
    await audit.record(
        sb,
        guild,
        sb.state.bot_user_id,
        audit.CHANNEL_CREATE,
        channel.id,
        call.reason,
        changes=[audit.change("name", None, channel.name), audit.change("type", None, channel.type)],
    )
    return await mutations.channel_event(sb, channel, "CHANNEL_CREATE")


# ---- roles ------------------------------------------------------------------------------------------
async def list_roles(call: Call) -> Any:
    """``GET /guilds/{g}/roles``."""
    guild = call.guild()
    return [payloads.role(r) for r in sorted(guild.roles.values(), key=lambda r: r.position)]


async def get_role(call: Call) -> Any:
    """``GET /guilds/{g}/roles/{r}``."""
    guild = call.guild()
    return payloads.role(call.sb.state.role(guild, call.snowflake("role_id", "Role")))


async def create_role(call: Call) -> Any:
    """``POST /guilds/{g}/roles``: a new role at position 1 (others shift up) -> GUILD_ROLE_CREATE."""
    sb = call.sb
    guild = call.guild()
    require(sb, guild, perm.MANAGE_ROLES)
    if len(guild.roles) >= 250:
        raise DiscordHTTPError(400, 30005, "Maximum number of guild roles reached (250)")
    body = call.json()
    permissions = int(body.get("permissions") or guild.roles[guild.id].permissions)
    _grantable_role_perms(sb, guild, permissions)
    shifted = [r for r in guild.roles.values() if r.position >= 1]
    for r in shifted:
        r.position += 1
    role = Role(
        id=sb.ids.now(),
        guild_id=guild.id,
        name=str(body.get("name") or "new role"),
        permissions=permissions,
        position=1,
        color=int(body.get("color") or 0),
        hoist=bool(body.get("hoist")),
        mentionable=bool(body.get("mentionable")),
    )
    guild.roles[role.id] = role
    await audit.record(
        sb,
        guild,
        sb.state.bot_user_id,
        audit.ROLE_CREATE,
        role.id,
        call.reason,
        changes=[audit.change("name", None, role.name), audit.change("permissions", None, str(role.permissions))],
    )
    await mutations.role_event(sb, guild, role, "GUILD_ROLE_CREATE")
    for r in shifted:
        await mutations.role_event(sb, guild, r, "GUILD_ROLE_UPDATE")
    return payloads.role(role)


async def patch_role(call: Call) -> Any:
    """``PATCH /guilds/{g}/roles/{r}`` -> GUILD_ROLE_UPDATE."""
    sb = call.sb
    guild = call.guild()
    require(sb, guild, perm.MANAGE_ROLES)
    role = sb.state.role(guild, call.snowflake("role_id", "Role"))
    if role.id != guild.id:
        _role_below_bot(sb, guild, role)
    body = call.json()
    if "permissions" in body and body["permissions"] is not None:
        value = int(body["permissions"])
        _grantable_role_perms(sb, guild, value & ~role.permissions)
        role.permissions = value
    for key in ("name", "hoist", "mentionable"):
        if key in body and body[key] is not None:
            setattr(role, key, body[key])
    if "color" in body and body["color"] is not None:
        role.color = int(body["color"])
    await audit.record(sb, guild, sb.state.bot_user_id, audit.ROLE_UPDATE, role.id, call.reason)
    await mutations.role_event(sb, guild, role, "GUILD_ROLE_UPDATE")
    return payloads.role(role)


async def patch_role_positions(call: Call) -> Any:
    """``PATCH /guilds/{g}/roles [{id, position}]`` -> GUILD_ROLE_UPDATE for each moved role."""
    sb = call.sb
    guild = call.guild()
    require(sb, guild, perm.MANAGE_ROLES)
    moves = call.body if isinstance(call.body, list) else []
    bot_top = perm.top_position(guild, sb.state.bot_member(guild))
    for move in moves:
        role = sb.state.role(guild, int(move["id"]))
        _role_below_bot(sb, guild, role)
        if int(move["position"]) >= bot_top:
            raise missing_permissions()
    for move in moves:
        role = guild.roles[int(move["id"])]
        role.position = int(move["position"])
        await mutations.role_event(sb, guild, role, "GUILD_ROLE_UPDATE")
    return [payloads.role(r) for r in sorted(guild.roles.values(), key=lambda r: r.position)]


async def delete_role(call: Call) -> Any:
    """``DELETE /guilds/{g}/roles/{r}`` -> GUILD_ROLE_DELETE."""
    sb = call.sb
    guild = call.guild()
    require(sb, guild, perm.MANAGE_ROLES)
    role = sb.state.role(guild, call.snowflake("role_id", "Role"))
    _role_below_bot(sb, guild, role)
    await audit.record(
        sb,
        guild,
        sb.state.bot_user_id,
        audit.ROLE_DELETE,
        role.id,
        call.reason,
        changes=[audit.change("name", role.name, None)],
    )
    await mutations.role_deleted(sb, guild, role.id)
    return None


# ---- members ----------------------------------------------------------------------------------------
async def list_members(call: Call) -> Any:
    """``GET /guilds/{g}/members?limit=1..1000&after=``."""
    guild = call.guild()
    limit = int(call.query.get("limit", 1))
    if not 1 <= limit <= 1000:
        raise invalid_form("limit", "NUMBER_TYPE_MAX", "int value should be <= 1000 and >= 1.")
    after = int(call.query.get("after", 0))
    members = sorted((m for m in guild.members.values() if m.user_id > after), key=lambda m: m.user_id)
    return [payloads.member(call.sb.state, m) for m in members[:limit]]


async def search_members(call: Call) -> Any:
    """``GET /guilds/{g}/members/search?query=&limit=``: username or nickname prefix."""
    guild = call.guild()
    query = call.query.get("query", "").lower()
    limit = int(call.query.get("limit", 1))
    found = [
        m
        for m in guild.members.values()
        if call.sb.state.users[m.user_id].username.lower().startswith(query) or (m.nick or "").lower().startswith(query)
    ]
    return [payloads.member(call.sb.state, m) for m in found[:limit]]


async def get_member(call: Call) -> Any:
    """``GET /guilds/{g}/members/{u}``."""
    guild = call.guild()
    return payloads.member(call.sb.state, call.sb.state.member(guild, call.snowflake("user_id", "Member")))


def _set_timeout(sb: Sandbox, guild: Guild, member: Member, value: str | None) -> None:
    require(sb, guild, perm.MODERATE_MEMBERS)
    if perm.base_permissions(guild, member) & perm.ADMINISTRATOR:
        raise missing_permissions()  # Discord: members with Administrator cannot be timed out
    outrank_or_403(sb, guild, member)
    if value is not None:
        until = parse_iso(value)
        if until - dt.datetime.now(dt.UTC) > MAX_TIMEOUT + dt.timedelta(seconds=5):
            raise invalid_form(
                "communication_disabled_until", "BASE_TYPE_BAD_INT", "Timeout must be less than 28 days in the future."
            )
    member.communication_disabled_until = value


async def patch_member(call: Call) -> Any:
    """``PATCH /guilds/{g}/members/{u}``: nick, roles, timeout, voice mute/deaf/move -> GUILD_MEMBER_UPDATE."""
    sb = call.sb
    guild = call.guild()
    member = sb.state.member(guild, call.snowflake("user_id", "Member"))
    body = call.json()
    is_self = member.user_id == sb.state.bot_user_id
    before_nick, before_roles, before_timeout = member.nick, list(member.roles), member.communication_disabled_until
    if "nick" in body:
        if is_self:
            require(sb, guild, perm.CHANGE_NICKNAME)
        else:
            require(sb, guild, perm.MANAGE_NICKNAMES)
            outrank_or_403(sb, guild, member)
        nick = body["nick"] or None
        if nick is not None and len(nick) > 32:
            raise invalid_form("nick", "BASE_TYPE_MAX_LENGTH", "Must be 32 or fewer in length.")
        member.nick = nick
    if "roles" in body and body["roles"] is not None:
        require(sb, guild, perm.MANAGE_ROLES)
        wanted = [int(r) for r in body["roles"]]
        for rid in set(wanted) ^ set(member.roles):
            _role_below_bot(sb, guild, sb.state.role(guild, rid))
        member.roles = list(dict.fromkeys(wanted))
    if "communication_disabled_until" in body:
        _set_timeout(sb, guild, member, body["communication_disabled_until"])
    for key, bit in (("mute", perm.MUTE_MEMBERS), ("deaf", perm.DEAFEN_MEMBERS)):
        if key in body and body[key] is not None:
            require(sb, guild, bit)
            setattr(member, key, bool(body[key]))
    if "channel_id" in body:
        require(sb, guild, perm.MOVE_MEMBERS)
        await mutations.voice_moved(
            sb, guild, member.user_id, int(body["channel_id"]) if body["channel_id"] is not None else None
        )
    changes = [
        audit.change(key, old, new)
        for key, old, new in (
            ("nick", before_nick, member.nick),
            ("communication_disabled_until", before_timeout, member.communication_disabled_until),
        )
        if old != new
    ]
    if changes:
        await audit.record(
            sb, guild, sb.state.bot_user_id, audit.MEMBER_UPDATE, member.user_id, call.reason, changes=changes
        )
    await _role_audit(call, guild, member.user_id, before_roles, member.roles)
    data = await mutations.member_changed(sb, guild, member)
    data.pop("guild_id", None)
    return data


async def _role_audit(call: Call, guild: Guild, user_id: int, before: list[int], after: list[int]) -> None:
    """A MEMBER_ROLE_UPDATE entry with ``$add``/``$remove`` when the roles changed."""
    added = [r for r in after if r not in before]
    removed = [r for r in before if r not in after]
    changes = [
        audit.change(key, None, [{"id": str(r), "name": guild.roles[r].name} for r in roles if r in guild.roles])
        for key, roles in (("$add", added), ("$remove", removed))
        if roles
    ]
    if changes:
        await audit.record(
            call.sb, guild, call.sb.state.bot_user_id, audit.MEMBER_ROLE_UPDATE, user_id, call.reason, changes=changes
        )


async def patch_own_member(call: Call) -> Any:
    """``PATCH /guilds/{g}/members/@me {nick}``."""
    call.params["user_id"] = str(call.sb.state.bot_user_id)
    return await patch_member(call)


async def kick_member(call: Call) -> Any:
    """``DELETE /guilds/{g}/members/{u}``: kick -> GUILD_MEMBER_REMOVE."""
    sb = call.sb
    guild = call.guild()
    member = sb.state.member(guild, call.snowflake("user_id", "Member"))
    require(sb, guild, perm.KICK_MEMBERS)
    outrank_or_403(sb, guild, member)
    await audit.record(sb, guild, sb.state.bot_user_id, audit.MEMBER_KICK, member.user_id, call.reason)
    await mutations.member_removed(sb, guild, member.user_id)
    return None


async def add_member_role(call: Call) -> Any:
    """``PUT /guilds/{g}/members/{u}/roles/{r}`` -> GUILD_MEMBER_UPDATE."""
    sb = call.sb
    guild = call.guild()
    member = sb.state.member(guild, call.snowflake("user_id", "Member"))
    role = sb.state.role(guild, call.snowflake("role_id", "Role"))
    require(sb, guild, perm.MANAGE_ROLES)
    _role_below_bot(sb, guild, role)
    if role.id not in member.roles:
        await _role_audit(call, guild, member.user_id, member.roles, [*member.roles, role.id])
        member.roles.append(role.id)
        await mutations.member_changed(sb, guild, member)
    return None


async def remove_member_role(call: Call) -> Any:
    """``DELETE /guilds/{g}/members/{u}/roles/{r}`` -> GUILD_MEMBER_UPDATE."""
    sb = call.sb
    guild = call.guild()
    member = sb.state.member(guild, call.snowflake("user_id", "Member"))
    role = sb.state.role(guild, call.snowflake("role_id", "Role"))
    require(sb, guild, perm.MANAGE_ROLES)
    _role_below_bot(sb, guild, role)
    if role.id in member.roles:
        await _role_audit(call, guild, member.user_id, member.roles, [r for r in member.roles if r != role.id])
        member.roles.remove(role.id)
        await mutations.member_changed(sb, guild, member)
    return None


ROUTES: list[tuple[str, str, Handler, bool]] = [
    ("GET", "/guilds/{guild_id}", get_guild, True),
    ("PATCH", "/guilds/{guild_id}", patch_guild, True),
    ("GET", "/guilds/{guild_id}/channels", list_channels, True),
    ("POST", "/guilds/{guild_id}/channels", create_channel, True),
    ("GET", "/guilds/{guild_id}/roles", list_roles, True),
    ("POST", "/guilds/{guild_id}/roles", create_role, True),
    ("PATCH", "/guilds/{guild_id}/roles", patch_role_positions, True),
    ("GET", "/guilds/{guild_id}/roles/{role_id}", get_role, True),
    ("PATCH", "/guilds/{guild_id}/roles/{role_id}", patch_role, True),
    ("DELETE", "/guilds/{guild_id}/roles/{role_id}", delete_role, True),
    ("GET", "/guilds/{guild_id}/members", list_members, True),
    ("GET", "/guilds/{guild_id}/members/search", search_members, True),
    ("PATCH", "/guilds/{guild_id}/members/@me", patch_own_member, True),
    ("GET", "/guilds/{guild_id}/members/{user_id}", get_member, True),
    ("PATCH", "/guilds/{guild_id}/members/{user_id}", patch_member, True),
    ("DELETE", "/guilds/{guild_id}/members/{user_id}", kick_member, True),
    ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", add_member_role, True),
    ("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", remove_member_role, True),
    ("GET", "/guilds/{guild_id}/audit-logs", audit.get_audit_log, True),
]
