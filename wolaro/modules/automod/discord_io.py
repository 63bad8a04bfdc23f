"""What automod does in Discord once a rule caught a message: REST calls by ids, no `discord.Message` needed.

The message handler judges the gateway payload (`ChatMessage`); these helpers act on what it names: the
message's channel and id, its author's id, and the author's member payload (for the moderators' exemption).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine, Iterable, Mapping
from itertools import islice
from typing import TYPE_CHECKING, Any

import discord

from wolaro.logging import get_logger
from wolaro.sdk import guild_permissions

if TYPE_CHECKING:
    from discord.http import HTTPClient

log = get_logger(__name__)

PURGE_SCAN = 100
"""Messages of the channel read back when a burst is purged (one history read)."""
BULK_MAX = 100
"""Discord's bulk delete takes 2 to 100 messages."""


def member_of(guild: discord.Guild, data: Mapping[str, Any]) -> discord.Member | None:
    """The message's author as a member, from the payload's `member` part (else the member cache), or None.

    Built only when a rule caught the message: its roles are those the message carried, as discord.py's own
    `message.author` would have them.
    """
    member = data.get("member")
    author = data.get("author")
    if member and author:
        payload: Any = {"flags": 0, **member, "user": author}
        with contextlib.suppress(KeyError, TypeError, ValueError):  # not a member payload discord.py can read
            return discord.Member(data=payload, guild=guild, state=guild._state)
    return guild.get_member(int(author["id"])) if author else None


def manages_messages(guild: discord.Guild, user_id: int, role_ids: Iterable[int]) -> bool:
    """Whether a member with these roles may manage messages in the server (owner, administrator or permission)."""
    permissions = guild_permissions(guild, user_id, role_ids)
    return permissions.administrator or permissions.manage_messages


async def delete_message(http: HTTPClient, channel_id: int, message_id: int, reason: str) -> None:
    """Delete one message; one already gone is fine. Raises `discord.HTTPException` for other refusals."""
    with contextlib.suppress(discord.NotFound):
        await http.delete_message(channel_id, message_id, reason=reason)


async def purge_author(
    http: HTTPClient, channel_id: int, author_id: int, after_id: int, reason: str, *, scan: int = PURGE_SCAN
) -> set[int]:
    """Delete the author's messages after `after_id` among the channel's last `scan`; return their ids.

    One history read, one bulk delete. Raises `discord.HTTPException` when Discord refuses.
    """
    history = await http.logs_from(channel_id, scan, after=after_id)
    ids: list[str | int] = sorted({int(m["id"]) for m in history if int(m["author"]["id"]) == author_id})
    if len(ids) == 1:
        await delete_message(http, channel_id, int(ids[0]), reason)
    elif ids:
        await http.delete_messages(channel_id, ids, reason=reason)
    return {int(i) for i in ids}


def snowflake_before(message_id: int, seconds: float) -> int:
    """The smallest snowflake of the time `seconds` before `message_id` was sent (for a history read `after`)."""
    return max(0, (message_id >> 22) - int(seconds * 1000)) << 22


class Deletions:
    """Caught messages to delete, per channel: the first at once, those caught meanwhile together in bulk.

    While a channel's deletion is under way, the messages caught after it wait, then go in one bulk delete of up
    to `BULK_MAX` (per audit-log reason): a flood costs Discord (and the bot) one REST call per hundred messages
    instead of one each, and a lone caught message is deleted at once as before.
    """

    def __init__(
        self,
        http: Callable[[], HTTPClient],
        spawn: Callable[[Coroutine[Any, Any, None], str], None],
    ) -> None:
        self._http = http
        self._spawn = spawn
        self._pending: dict[int, dict[int, str]] = {}
        self.failed = 0

    def add(self, channel_id: int, message_id: int, reason: str) -> None:
        """Delete this message soon (at once if its channel has no deletion under way)."""
        pending = self._pending.get(channel_id)
        if pending is not None:
            pending[message_id] = reason
            return
        self._pending[channel_id] = {message_id: reason}
        self._spawn(self._drain(channel_id), f"automod-delete-{channel_id}")

    def waiting(self, channel_id: int) -> int:
        """How many messages of the channel wait for their deletion."""
        return len(self._pending.get(channel_id, ()))

    async def _drain(self, channel_id: int) -> None:
        pending = self._pending[channel_id]
        try:
            while pending:
                reason = next(iter(pending.values()))
                ids = list(islice((message_id for message_id, why in pending.items() if why == reason), BULK_MAX))
                for message_id in ids:
                    del pending[message_id]
                try:
                    if len(ids) == 1:
                        await delete_message(self._http(), channel_id, ids[0], reason)
                    else:
                        await self._http().delete_messages(channel_id, list[str | int](ids), reason=reason)
                except discord.HTTPException as exc:
                    self.failed += 1
                    log.warning(
                        "automod could not delete messages",
                        channel_id=channel_id,
                        count=len(ids),
                        status=exc.status,
                        error=str(exc),
                    )
        finally:
            del self._pending[channel_id]
