"""State changes that Discord announces on the gateway: each function updates the world and dispatches.

Used both by the REST routes (what the bot does) and by the driving API (what users do), so a kick
looks the same to the bot whoever caused it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from wolaro.sandbox import payloads
from wolaro.sandbox.snowflake import now_iso, snowflake_time
from wolaro.sandbox.state import DM, Channel, Guild, Member, Role, VoiceState

if TYPE_CHECKING:
    from wolaro.sandbox.server import Sandbox


def _strip(sb: Sandbox, channel: Channel, message: dict[str, Any]) -> bool:
    """Whether clients without MESSAGE_CONTENT get this message emptied (guild, not the bot's, no bot mention)."""
    if channel.guild_id is None or int(message["author"]["id"]) == sb.state.bot_user_id:
        return False
    bot_id = str(sb.state.bot_user_id)
    return not any(u["id"] == bot_id for u in message["mentions"])


async def post_message(
    sb: Sandbox,
    channel: Channel,
    author_id: int,
    content: str,
    *,
    store: bool = True,
    dispatch: bool = True,
    **fields: Any,
) -> dict[str, Any]:
    """Create a message (see :func:`payloads.message` for ``fields``), store it and dispatch MESSAGE_CREATE."""
    message = payloads.message(
        sb.state, message_id=sb.ids.now(), channel=channel, author_id=author_id, content=content, **fields
    )
    if store:
        sb.state.store_message(channel.id, message)
        if message.get("poll"):
            from wolaro.sandbox.polls import watch_expiry  # polls posts its results through this module

            watch_expiry(sb, channel, message)
    if dispatch:
        await sb.gateway.dispatch(
            "MESSAGE_CREATE", message, guild_id=channel.guild_id, strip_content=_strip(sb, channel, message)
        )
    return message


async def message_updated(sb: Sandbox, channel: Channel, message: dict[str, Any]) -> None:
    """Dispatch MESSAGE_UPDATE with the full edited message."""
    await sb.gateway.dispatch(
        "MESSAGE_UPDATE", message, guild_id=channel.guild_id, strip_content=_strip(sb, channel, message)
    )


async def delete_message(sb: Sandbox, channel: Channel, message_id: int) -> None:
    """Remove a message and dispatch MESSAGE_DELETE."""
    sb.state.history(channel.id).pop(message_id, None)
    data: dict[str, Any] = {"id": str(message_id), "channel_id": str(channel.id)}
    if channel.guild_id:
        data["guild_id"] = str(channel.guild_id)
    await sb.gateway.dispatch("MESSAGE_DELETE", data, guild_id=channel.guild_id)


async def delete_messages(sb: Sandbox, channel: Channel, message_ids: list[int]) -> None:
    """Remove messages and dispatch one MESSAGE_DELETE_BULK."""
    history = sb.state.history(channel.id)
    for mid in message_ids:
        history.pop(mid, None)
    data: dict[str, Any] = {"ids": [str(m) for m in message_ids], "channel_id": str(channel.id)}
    if channel.guild_id:
        data["guild_id"] = str(channel.guild_id)
    await sb.gateway.dispatch("MESSAGE_DELETE_BULK", data, guild_id=channel.guild_id)


async def member_added(sb: Sandbox, guild: Guild, member: Member) -> dict[str, Any]:
    """Add ``member`` and dispatch GUILD_MEMBER_ADD."""
    guild.members[member.user_id] = member
    data = payloads.member_event(sb.state, member)
    await sb.gateway.dispatch("GUILD_MEMBER_ADD", data, guild_id=guild.id)
    return data


async def member_changed(sb: Sandbox, guild: Guild, member: Member) -> dict[str, Any]:
    """Dispatch GUILD_MEMBER_UPDATE for ``member`` (already changed in place)."""
    data = payloads.member_event(sb.state, member)
    await sb.gateway.dispatch("GUILD_MEMBER_UPDATE", data, guild_id=guild.id)
    return data


async def member_removed(sb: Sandbox, guild: Guild, user_id: int) -> None:
    """Remove the member (and their voice state and presence) and dispatch GUILD_MEMBER_REMOVE."""
    guild.members.pop(user_id, None)
    guild.presences.pop(user_id, None)
    if guild.voice_states.pop(user_id, None) is not None:
        await sb.gateway.dispatch(
            "VOICE_STATE_UPDATE",
            payloads.voice_state(sb.state, guild, VoiceState(user_id, 0, "gone")),
            guild_id=guild.id,
        )
    data = {"guild_id": str(guild.id), "user": payloads.user(sb.state.users[user_id])}
    await sb.gateway.dispatch("GUILD_MEMBER_REMOVE", data, guild_id=guild.id)


async def banned(sb: Sandbox, guild: Guild, user_id: int, reason: str | None, delete_seconds: int) -> None:
    """Ban: remove the member, delete their recent messages, dispatch GUILD_MEMBER_REMOVE and GUILD_BAN_ADD."""
    from wolaro.sandbox.state import Ban

    guild.bans[user_id] = Ban(user_id=user_id, reason=reason)
    if user_id in guild.members:
        await member_removed(sb, guild, user_id)
    if delete_seconds > 0:
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=delete_seconds)
        for cid in guild.channel_ids:
            history = sb.state.messages.get(cid)
            if not history:
                continue
            doomed = [
                mid for mid, m in history.items() if int(m["author"]["id"]) == user_id and snowflake_time(mid) >= cutoff
            ]
            if doomed:
                await delete_messages(sb, sb.state.channels[cid], doomed)
    data = {"guild_id": str(guild.id), "user": payloads.user(sb.state.users[user_id])}
    await sb.gateway.dispatch("GUILD_BAN_ADD", data, guild_id=guild.id)


async def unbanned(sb: Sandbox, guild: Guild, user_id: int) -> None:
    """Lift a ban and dispatch GUILD_BAN_REMOVE."""
    guild.bans.pop(user_id, None)
    data = {"guild_id": str(guild.id), "user": payloads.user(sb.state.users[user_id])}
    await sb.gateway.dispatch("GUILD_BAN_REMOVE", data, guild_id=guild.id)


async def role_event(sb: Sandbox, guild: Guild, role: Role, event: str) -> None:
    """Dispatch GUILD_ROLE_CREATE or GUILD_ROLE_UPDATE for ``role``."""
    await sb.gateway.dispatch(event, {"guild_id": str(guild.id), "role": payloads.role(role)}, guild_id=guild.id)


async def role_deleted(sb: Sandbox, guild: Guild, role_id: int) -> None:
    """Delete a role, take it off every member, dispatch GUILD_ROLE_DELETE."""
    guild.roles.pop(role_id, None)
    for m in guild.members.values():
        if role_id in m.roles:
            m.roles.remove(role_id)
    for cid in guild.channel_ids:
        sb.state.channels[cid].overwrites.pop(role_id, None)
    data = {"guild_id": str(guild.id), "role_id": str(role_id)}
    await sb.gateway.dispatch("GUILD_ROLE_DELETE", data, guild_id=guild.id)


async def channel_event(sb: Sandbox, channel: Channel, event: str) -> dict[str, Any]:
    """Dispatch CHANNEL_CREATE/UPDATE/DELETE for ``channel``."""
    data = payloads.channel(sb.state, channel)
    await sb.gateway.dispatch(event, data, guild_id=channel.guild_id if channel.type != DM else None)
    return data


async def guild_updated(sb: Sandbox, guild: Guild) -> dict[str, Any]:
    """Dispatch GUILD_UPDATE."""
    data = payloads.guild_base(guild)
    await sb.gateway.dispatch("GUILD_UPDATE", data, guild_id=guild.id)
    return data


async def voice_moved(sb: Sandbox, guild: Guild, user_id: int, channel_id: int | None) -> dict[str, Any]:
    """Join, move or leave voice; dispatch VOICE_STATE_UPDATE."""
    if channel_id is None:
        vs = guild.voice_states.pop(user_id, None) or VoiceState(user_id, 0, f"voice-{user_id}")
        data = payloads.voice_state(sb.state, guild, vs)
        data["channel_id"] = None
    else:
        vs = guild.voice_states.get(user_id) or VoiceState(user_id, channel_id, f"voice-{user_id}")
        vs.channel_id = channel_id
        guild.voice_states[user_id] = vs
        data = payloads.voice_state(sb.state, guild, vs)
    await sb.gateway.dispatch("VOICE_STATE_UPDATE", data, guild_id=guild.id)
    return data


async def reaction_added(
    sb: Sandbox, channel: Channel, message: dict[str, Any], user_id: int, emoji: dict[str, Any]
) -> None:
    """Count a reaction on ``message`` and dispatch MESSAGE_REACTION_ADD."""
    reactions = message.setdefault("reactions", [])
    key = emoji.get("id") or emoji["name"]
    entry = next((r for r in reactions if (r["emoji"].get("id") or r["emoji"]["name"]) == key), None)
    users = sb.state.reactors.setdefault((int(message["id"]), key), set())
    if user_id in users:
        return
    users.add(user_id)
    if entry is None:
        entry = {
            "count": 0,
            "count_details": {"burst": 0, "normal": 0},
            "me": False,
            "me_burst": False,
            "emoji": emoji,
            "burst_colors": [],
        }
        reactions.append(entry)
    entry["count"] += 1
    entry["count_details"]["normal"] += 1
    if user_id == sb.state.bot_user_id:
        entry["me"] = True
    data: dict[str, Any] = {
        "user_id": str(user_id),
        "channel_id": str(channel.id),
        "message_id": message["id"],
        "emoji": emoji,
        "burst": False,
        "burst_colors": [],
        "type": 0,
        "message_author_id": message["author"]["id"],
    }
    guild = sb.state.guilds.get(channel.guild_id) if channel.guild_id else None
    if guild is not None:
        data["guild_id"] = str(guild.id)
        if user_id in guild.members:
            data["member"] = payloads.member(sb.state, guild.members[user_id])
    await sb.gateway.dispatch("MESSAGE_REACTION_ADD", data, guild_id=channel.guild_id)


async def reaction_removed(
    sb: Sandbox, channel: Channel, message: dict[str, Any], user_id: int, emoji: dict[str, Any]
) -> None:
    """Remove one user's reaction and dispatch MESSAGE_REACTION_REMOVE."""
    key = emoji.get("id") or emoji["name"]
    users = sb.state.reactors.get((int(message["id"]), key), set())
    if user_id not in users:
        return
    users.discard(user_id)
    for entry in list(message.get("reactions", [])):
        if (entry["emoji"].get("id") or entry["emoji"]["name"]) == key:
            entry["count"] -= 1
            entry["count_details"]["normal"] -= 1
            if user_id == sb.state.bot_user_id:
                entry["me"] = False
            if entry["count"] <= 0:
                message["reactions"].remove(entry)
    data: dict[str, Any] = {
        "user_id": str(user_id),
        "channel_id": str(channel.id),
        "message_id": message["id"],
        "emoji": emoji,
        "burst": False,
        "type": 0,
    }
    if channel.guild_id:
        data["guild_id"] = str(channel.guild_id)
    await sb.gateway.dispatch("MESSAGE_REACTION_REMOVE", data, guild_id=channel.guild_id)


def new_member(guild: Guild, user_id: int) -> Member:
    """A freshly joined member: no roles, joined now."""
    return Member(user_id=user_id, guild_id=guild.id, roles=[], joined_at=now_iso())
