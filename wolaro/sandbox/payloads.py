"""Discord JSON shapes, complete as discord.py's ``discord/types`` TypedDicts require.

Every function returns a fresh dict made of JSON types only (ids as strings, as Discord sends them).
"""

from __future__ import annotations

import re
from typing import Any

from wolaro.sandbox import permissions as perm
from wolaro.sandbox import threads
from wolaro.sandbox.presences import presence
from wolaro.sandbox.snowflake import iso, now_iso, snowflake_time
from wolaro.sandbox.state import DM, TEXT, VOICE, Channel, Guild, Member, Role, SandboxState, User, VoiceState

API_VERSION = 10
USER_MENTION = re.compile(r"<@!?(\d{15,21})>")
ROLE_MENTION = re.compile(r"<@&(\d{15,21})>")

# Message types and flags used by the sandbox.
DEFAULT = 0
REPLY = 19
CHAT_INPUT_COMMAND = 20
EPHEMERAL = 1 << 6
LOADING = 1 << 7


def user(u: User) -> dict[str, Any]:
    """A user object."""
    return {
        "id": str(u.id),
        "username": u.username,
        "discriminator": "0",
        "global_name": u.global_name,
        "avatar": u.avatar,
        "avatar_decoration_data": None,
        "bot": u.bot,
        "system": u.system,
        "public_flags": u.public_flags,
        "flags": u.public_flags,
        "banner": None,
        "accent_color": None,
    }


def bot_user(u: User) -> dict[str, Any]:
    """The bot's own user object (READY, ``/users/@me``)."""
    data = user(u)
    data.update({"verified": True, "mfa_enabled": False, "locale": "en-US", "email": None, "premium_type": 0})
    return data


def member(state: SandboxState, m: Member, *, with_user: bool = True) -> dict[str, Any]:
    """A guild member object (with its ``user`` unless ``with_user`` is False)."""
    data: dict[str, Any] = {
        "roles": [str(r) for r in m.roles],
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "joined_at": m.joined_at,
        "premium_since": None,
        "deaf": m.deaf,
        "mute": m.mute,
        "flags": m.flags,
        "pending": m.pending,
        "communication_disabled_until": m.communication_disabled_until,
        "avatar_decoration_data": None,
    }
    if with_user:
        data["user"] = user(state.users[m.user_id])
    return data


def member_event(state: SandboxState, m: Member) -> dict[str, Any]:
    """GUILD_MEMBER_ADD / GUILD_MEMBER_UPDATE payload: a member with ``user`` and ``guild_id``."""
    data = member(state, m)
    data["guild_id"] = str(m.guild_id)
    return data


def role(r: Role) -> dict[str, Any]:
    """A role object."""
    data: dict[str, Any] = {
        "id": str(r.id),
        "name": r.name,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": r.managed,
        "mentionable": r.mentionable,
        "flags": 0,
    }
    if r.bot_id is not None:
        data["tags"] = {"bot_id": str(r.bot_id)}
    return data


def channel(state: SandboxState, c: Channel) -> dict[str, Any]:
    """A channel object (guild text, voice, category, or DM)."""
    if c.type == DM:
        return {
            "id": str(c.id),
            "type": DM,
            "name": None,
            "last_message_id": str(c.last_message_id) if c.last_message_id else None,
            "recipients": [user(state.users[r]) for r in c.recipients],
            "flags": 0,
        }
    data: dict[str, Any] = {
        "id": str(c.id),
        "type": c.type,
        "guild_id": str(c.guild_id),
        "name": c.name,
        "position": c.position,
        "permission_overwrites": [
            {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)} for o in c.overwrites.values()
        ],
        "nsfw": c.nsfw,
        "parent_id": str(c.parent_id) if c.parent_id else None,
        "flags": 0,
    }
    if c.type in (TEXT, VOICE):
        data.update(
            {
                "topic": c.topic,
                "last_message_id": str(c.last_message_id) if c.last_message_id else None,
                "rate_limit_per_user": c.rate_limit_per_user,
            }
        )
    if c.type == TEXT:
        data.update({"default_thread_rate_limit_per_user": 0, "default_auto_archive_duration": 1440})
    elif c.type == VOICE:
        data.update({"bitrate": c.bitrate, "user_limit": c.user_limit, "rtc_region": None, "video_quality_mode": 1})
    elif c.type in threads.THREAD_TYPES:
        data.update(threads.fields(state, c))
    return data


def interaction_channel(state: SandboxState, c: Channel, permissions: int) -> dict[str, Any]:
    """The partial channel inside an interaction (adds the invoker's ``permissions``)."""
    data = channel(state, c)
    data["permissions"] = str(permissions)
    data.setdefault("rate_limit_per_user", 0)
    data.setdefault("last_message_id", None)
    data.setdefault("position", 0)
    data.setdefault("nsfw", False)
    data.setdefault("parent_id", None)
    return data


def voice_state(state: SandboxState, guild: Guild, vs: VoiceState, *, with_member: bool = True) -> dict[str, Any]:
    """A voice state object (VOICE_STATE_UPDATE, and inside GUILD_CREATE without ``member``/``guild_id``)."""
    data: dict[str, Any] = {
        "channel_id": str(vs.channel_id) if vs.channel_id else None,
        "user_id": str(vs.user_id),
        "session_id": vs.session_id,
        "deaf": False,
        "mute": False,
        "self_deaf": vs.self_deaf,
        "self_mute": vs.self_mute,
        "self_stream": False,
        "self_video": False,
        "suppress": False,
        "request_to_speak_timestamp": None,
    }
    if with_member:
        data["guild_id"] = str(guild.id)
        m = guild.members.get(vs.user_id)
        if m is not None:
            data["member"] = member(state, m)
    return data


def guild_base(guild: Guild) -> dict[str, Any]:
    """Guild fields common to GUILD_CREATE and GUILD_UPDATE."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "icon_hash": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": guild.description,
        "owner_id": str(guild.owner_id),
        "region": "deprecated",
        "afk_channel_id": str(guild.afk_channel_id) if guild.afk_channel_id else None,
        "afk_timeout": guild.afk_timeout,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": guild.verification_level,
        "default_message_notifications": guild.default_message_notifications,
        "explicit_content_filter": guild.explicit_content_filter,
        "roles": [role(r) for r in sorted(guild.roles.values(), key=lambda r: r.position)],
        "emojis": [],
        "stickers": [],
        "features": list(guild.features),
        "mfa_level": 0,
        "nsfw_level": 0,
        "nsfw": False,
        "application_id": None,
        "system_channel_id": str(guild.system_channel_id) if guild.system_channel_id else None,
        "system_channel_flags": 0,
        "rules_channel_id": str(guild.rules_channel_id) if guild.rules_channel_id else None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": guild.preferred_locale,
        "max_members": 500000,
        "max_presences": None,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "incidents_data": None,
    }


def guild_create(
    state: SandboxState, guild: Guild, *, members_intent: bool, large_threshold: int, presences_intent: bool = False
) -> dict[str, Any]:
    """GUILD_CREATE: the complete guild with channels, members, voice states and presences.

    As Discord does: a guild with more members than ``large_threshold`` (or any guild when the client
    lacks the GUILD_MEMBERS intent) only carries the bot and members in voice, so ``member_count`` and
    ``len(members)`` differ and discord.py may chunk it (op 8) if it wants the rest. ``presences`` lists the
    members who are not offline, only for a client with the GUILD_PRESENCES intent (empty otherwise).
    """
    data = guild_base(guild)
    bot = state.bot_member(guild)
    large = len(guild.members) > large_threshold
    if members_intent and not large:
        members = list(guild.members.values())
    else:
        wanted = {state.bot_user_id, *guild.voice_states}
        members = [m for uid, m in guild.members.items() if uid in wanted]
    data.update(
        {
            "joined_at": bot.joined_at,
            "large": large,
            "unavailable": False,
            "member_count": len(guild.members),
            "members": [member(state, m) for m in members],
            "channels": [channel(state, state.channels[c]) for c in guild.channel_ids],
            "threads": [],
            "presences": [presence(guild, u, with_guild=False) for u in guild.presences] if presences_intent else [],
            "voice_states": [voice_state(state, guild, vs, with_member=False) for vs in guild.voice_states.values()],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "embedded_activities": [],
            "lazy": True,
        }
    )
    return data


def ready(
    state: SandboxState, *, session_id: str, resume_gateway_url: str, shard: list[int], guild_ids: list[int]
) -> dict[str, Any]:
    """READY."""
    return {
        "v": API_VERSION,
        "user": bot_user(state.users[state.bot_user_id]),
        "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_gateway_url,
        "shard": shard,
        "application": {"id": str(state.application_id), "flags": application_flags()},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": ["local"],
        "user_settings": {},
        "auth": {},
        "_trace": ['["sandbox-gateway",{"micros":0}]'],
    }


def application_flags() -> int:
    """GATEWAY_PRESENCE_LIMITED | GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED | commands badge."""
    return (1 << 13) | (1 << 15) | (1 << 19) | (1 << 23)


def application(state: SandboxState) -> dict[str, Any]:
    """``GET /oauth2/applications/@me``: the bot's application, owned by the first guild's owner."""
    owner_id = next(iter(state.guilds.values())).owner_id if state.guilds else state.bot_user_id
    bot = state.users[state.bot_user_id]
    return {
        "id": str(state.application_id),
        "name": bot.username,
        "icon": None,
        "description": "Wolaro running in the local Discord sandbox",
        "summary": "",
        "type": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": application_flags(),
        "owner": user(state.users[owner_id]),
        "team": None,
        "bot": bot_user(bot),
        "guild_id": None,
        "primary_sku_id": None,
        "slug": None,
        "cover_image": None,
        "rpc_origins": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "tags": [],
        "install_params": {"scopes": ["bot", "applications.commands"], "permissions": str(perm.BOT_DEFAULT)},
        "integration_types_config": {"0": {}},
        "custom_install_url": None,
        "terms_of_service_url": None,
        "privacy_policy_url": None,
        "approximate_guild_count": len(state.guilds),
        "approximate_user_install_count": 0,
        "hook": True,
        "is_monetized": False,
        "storefront_available": False,
        "max_participants": None,
    }


def attachment(
    attachment_id: int, channel_id: int, filename: str, size: int, base_url: str, content_type: str | None = None
) -> dict[str, Any]:
    """An attachment object served by the sandbox's CDN."""
    url = f"{base_url}/cdn/attachments/{channel_id}/{attachment_id}/{filename}"
    data: dict[str, Any] = {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type or _guess_type(filename),
        "flags": 0,
    }
    if data["content_type"].startswith("image/"):
        data.update({"width": 1, "height": 1})
    return data


def _guess_type(filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return {
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "txt": "text/plain; charset=utf-8",
        "html": "text/html; charset=utf-8",
        "json": "application/json",
    }.get(ext, "application/octet-stream")


def mentions(
    state: SandboxState, guild: Guild | None, content: str, allowed: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], list[str], bool]:
    """Resolve ``<@id>``, ``<@&id>`` and ``@everyone`` in ``content`` filtered by ``allowed_mentions``.

    Returns ``(mentions, mention_roles, mention_everyone)`` as they appear in a message.
    """
    parse = {"users", "roles", "everyone"} if allowed is None else set(allowed.get("parse") or [])
    allowed_users = {int(u) for u in (allowed or {}).get("users") or []}
    allowed_roles = {int(r) for r in (allowed or {}).get("roles") or []}
    users_out: list[dict[str, Any]] = []
    seen: set[int] = set()
    for raw in USER_MENTION.findall(content):
        uid = int(raw)
        if uid in seen or uid not in state.users:
            continue
        if "users" not in parse and uid not in allowed_users:
            continue
        seen.add(uid)
        data = user(state.users[uid])
        if guild is not None and uid in guild.members:
            data["member"] = member(state, guild.members[uid], with_user=False)
        users_out.append(data)
    roles_out: list[str] = []
    if guild is not None:
        for raw in ROLE_MENTION.findall(content):
            rid = int(raw)
            if rid in guild.roles and ("roles" in parse or rid in allowed_roles) and raw not in roles_out:
                roles_out.append(raw)
    everyone = "everyone" in parse and ("@everyone" in content or "@here" in content)
    return users_out, roles_out, everyone


def message(
    state: SandboxState,
    *,
    message_id: int,
    channel: Channel,
    author_id: int,
    content: str,
    embeds: list[dict[str, Any]] | None = None,
    components: list[dict[str, Any]] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    allowed_mentions: dict[str, Any] | None = None,
    flags: int = 0,
    msg_type: int = DEFAULT,
    nonce: str | int | None = None,
    tts: bool = False,
    reference: dict[str, Any] | None = None,
    webhook_id: int | None = None,
    interaction: dict[str, Any] | None = None,
    poll: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A message object as stored and as sent in MESSAGE_CREATE (with ``guild_id`` and ``member``)."""
    guild = state.guilds.get(channel.guild_id) if channel.guild_id else None
    users_m, roles_m, everyone = mentions(state, guild, content, allowed_mentions)
    data: dict[str, Any] = {
        "id": str(message_id),
        "type": msg_type,
        "channel_id": str(channel.id),
        "author": user(state.users[author_id]),
        "content": content,
        "timestamp": iso(snowflake_time(message_id)),
        "edited_timestamp": None,
        "tts": tts,
        "mention_everyone": everyone,
        "mentions": users_m,
        "mention_roles": roles_m,
        "attachments": attachments or [],
        "embeds": embeds or [],
        "components": components or [],
        "pinned": False,
        "flags": flags,
    }
    if guild is not None:
        data["guild_id"] = str(guild.id)
        m = guild.members.get(author_id)
        if m is not None:
            data["member"] = member(state, m, with_user=False)
    if nonce is not None:
        data["nonce"] = nonce
    if reference is not None:
        data.update(_reply_fields(reference))
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
        data["application_id"] = str(webhook_id)
    if interaction is not None:
        data.update(_interaction_fields(interaction))
    if poll is not None:
        data["poll"] = poll  # see polls.py
    return data


def _reply_fields(reference: dict[str, Any]) -> dict[str, Any]:
    """``message_reference`` and ``referenced_message`` of a reply to the message ``reference``."""
    return {
        "message_reference": {
            "type": 0,
            "message_id": reference["id"],
            "channel_id": reference["channel_id"],
            **({"guild_id": reference["guild_id"]} if "guild_id" in reference else {}),
        },
        "referenced_message": {k: v for k, v in reference.items() if k != "referenced_message"},
    }


def _interaction_fields(interaction: dict[str, Any]) -> dict[str, Any]:
    """``interaction_metadata`` and the older ``interaction`` of a message answering ``interaction``."""
    return {
        "interaction_metadata": {
            "id": interaction["id"],
            "type": interaction["type"],
            "name": interaction["name"],
            "command_type": 1,
            "user": interaction["user"],
            "authorizing_integration_owners": interaction["authorizing_integration_owners"],
        },
        "interaction": {
            "id": interaction["id"],
            "type": interaction["type"],
            "name": interaction["name"],
            "user": interaction["user"],
        },
    }


def edited(message_data: dict[str, Any]) -> dict[str, Any]:
    """Mark ``message_data`` edited now (in place) and return it."""
    message_data["edited_timestamp"] = now_iso()
    return message_data


def rest_view(message_data: dict[str, Any]) -> dict[str, Any]:
    """A stored message as REST returns it: without the gateway-only ``guild_id`` and ``member``."""
    return {k: v for k, v in message_data.items() if k not in ("member", "guild_id")}
