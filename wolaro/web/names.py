"""Names instead of ids on the dashboard: members and channels, through the dashboard's cached Discord lookups.

Module pages and APIs show "Ann" and "#support", never a bare id. The lookups are `DiscordAPI.guild_member` and
`DiscordAPI.guild_channels` (cached in the shared cache, the ones the statistics and audit pages use). Someone who
left the server, or a channel that was deleted, is shown as "a former member" or "deleted channel" in the page's
language; when Discord cannot be asked at all the same words are used, so a page never fails for want of a name.

A module page says which ids it shows by returning `member_ids` and `channel_ids` from its `Panel.data`; the page
then gets `members` (id -> `MemberName`) and `channels` (id -> name) to render (`page_names`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from wolaro.logging import get_logger
from wolaro.web.language import request_language

log = get_logger(__name__)

MAX_LOOKUPS = 200  # members looked up for one page at most (pages list 50 to 100 rows)


@dataclass(frozen=True, slots=True)
class MemberName:
    """How a member is shown: the name in the server and their avatar (None: no picture, show an initial)."""

    name: str
    avatar_url: str | None
    found: bool


def member_name(guild_id: int, user_id: int, member: Mapping[str, Any] | None, unknown: str) -> MemberName:
    """The name a member payload shows (nickname, else display name, else username) and its avatar address."""
    if not member:
        return MemberName(unknown, None, False)
    user = member.get("user") or {}
    name = member.get("nick") or user.get("global_name") or user.get("username")
    if not name:
        return MemberName(unknown, None, False)
    avatar = None
    if member.get("avatar"):
        avatar = f"https://cdn.discordapp.com/guilds/{guild_id}/users/{user_id}/avatars/{member['avatar']}.png?size=64"
    elif user.get("avatar"):
        avatar = f"https://cdn.discordapp.com/avatars/{user_id}/{user['avatar']}.png?size=64"
    return MemberName(str(name), avatar, True)


async def member_names(discord: Any, guild_id: int, user_ids: Iterable[int], *, unknown: str) -> dict[int, MemberName]:
    """Member id -> how to show them (`unknown` for someone not in the server or when Discord cannot be asked)."""
    wanted = list(dict.fromkeys(u for u in user_ids if u))

    async def one(user_id: int) -> MemberName:
        try:
            return member_name(guild_id, user_id, await discord.guild_member(guild_id, user_id), unknown)
        except Exception as exc:  # Discord unreachable, rate limited, the bot left: show the words, not an error
            log.info("member name unavailable", guild_id=guild_id, error=repr(exc))
            return MemberName(unknown, None, False)

    results = await asyncio.gather(*(one(u) for u in wanted[:MAX_LOOKUPS]))
    names = dict(zip(wanted, results, strict=False))
    for user_id in wanted[MAX_LOOKUPS:]:
        names[user_id] = MemberName(unknown, None, False)
    return names


async def channel_names(discord: Any, guild_id: int, channel_ids: Iterable[int], *, unknown: str) -> dict[int, str]:
    """Channel id -> its name (`unknown` for a deleted channel or when Discord cannot be asked)."""
    wanted = list(dict.fromkeys(c for c in channel_ids if c))
    if not wanted:
        return {}
    try:
        channels = await discord.guild_channels(guild_id)
    except Exception as exc:
        log.info("channel names unavailable", guild_id=guild_id, error=repr(exc))
        channels = []
    known = {int(c["id"]): str(c.get("name") or "") for c in channels}
    return {c: known.get(c) or unknown for c in wanted}


async def page_names(
    discord: Any, translator: Any, language: str, guild_id: int, data: Mapping[str, Any]
) -> dict[str, dict[int, Any]]:
    """`members` and `channels` for the ids a module page's data lists in `member_ids` and `channel_ids`.

    Someone or something Discord does not know any more is shown with words in the page's `language`.
    """
    former = str(translator.translate(language, "a former member"))
    deleted = str(translator.translate(language, "deleted channel"))
    members = await member_names(discord, guild_id, [int(u) for u in data.get("member_ids") or ()], unknown=former)
    channels = await channel_names(discord, guild_id, [int(c) for c in data.get("channel_ids") or ()], unknown=deleted)
    return {"members": members, "channels": channels}


async def request_names(
    web: Any, request: Any, guild_id: int, *, member_ids: Iterable[int] = (), channel_ids: Iterable[int] = ()
) -> dict[str, dict[int, Any]]:
    """`members` and `channels` for a module's own dashboard route, the fallback words in the request's language."""
    data = {"member_ids": list(member_ids), "channel_ids": list(channel_ids)}
    return await page_names(web.discord, web.services.translator, request_language(request), guild_id, data)
