"""Removing every reaction of a message, or every reaction of one emoji, as Discord does for moderators.

``DELETE /channels/{c}/messages/{m}/reactions`` (MESSAGE_REACTION_REMOVE_ALL ``{channel_id, message_id,
guild_id}``) and ``DELETE /channels/{c}/messages/{m}/reactions/{emoji}`` (MESSAGE_REACTION_REMOVE_EMOJI
``{channel_id, guild_id, message_id, emoji}``), both needing Manage Messages. The same changes made by a person in
the Discord client are ``Sandbox.clear_reactions``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wolaro.sandbox import permissions as perm
from wolaro.sandbox.rest import Call, Handler, require, require_view
from wolaro.sandbox.rest_messages import parse_emoji

if TYPE_CHECKING:
    from wolaro.sandbox.server import Sandbox
    from wolaro.sandbox.state import Channel


def _key(emoji: dict[str, Any]) -> str:
    return str(emoji.get("id") or emoji["name"])


async def reactions_cleared(
    sb: Sandbox, channel: Channel, message: dict[str, Any], emoji: dict[str, Any] | None = None
) -> None:
    """Remove every reaction (or every reaction of `emoji`) from `message` and dispatch the matching event."""
    message_id = int(message["id"])
    kept = []
    for entry in message.get("reactions", []):
        if emoji is None or _key(entry["emoji"]) == _key(emoji):
            sb.state.reactors.pop((message_id, _key(entry["emoji"])), None)
        else:
            kept.append(entry)
    message["reactions"] = kept
    data: dict[str, Any] = {"channel_id": str(channel.id), "message_id": message["id"]}
    if channel.guild_id:
        data["guild_id"] = str(channel.guild_id)
    if emoji is None:
        await sb.gateway.dispatch("MESSAGE_REACTION_REMOVE_ALL", data, guild_id=channel.guild_id)
        return
    data["emoji"] = emoji
    await sb.gateway.dispatch("MESSAGE_REACTION_REMOVE_EMOJI", data, guild_id=channel.guild_id)


async def _clear(call: Call, emoji: dict[str, Any] | None) -> Any:
    sb = call.sb
    channel = call.channel()
    guild = require_view(sb, channel)
    if guild is not None:
        require(sb, guild, perm.MANAGE_MESSAGES, channel)
    message = sb.state.message(channel.id, call.snowflake("message_id", "Message"))
    await reactions_cleared(sb, channel, message, emoji)
    return None


async def clear_all(call: Call) -> Any:
    """``DELETE /channels/{c}/messages/{m}/reactions`` -> MESSAGE_REACTION_REMOVE_ALL."""
    return await _clear(call, None)


async def clear_emoji(call: Call) -> Any:
    """``DELETE /channels/{c}/messages/{m}/reactions/{emoji}`` -> MESSAGE_REACTION_REMOVE_EMOJI."""
    return await _clear(call, parse_emoji(call.params["emoji"]))


ROUTES: list[tuple[str, str, Handler, bool]] = [
    ("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions", clear_all, True),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}", clear_emoji, True),
]
