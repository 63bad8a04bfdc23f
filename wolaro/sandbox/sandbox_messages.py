"""``Sandbox`` chat traffic: users post messages, open DMs; the throughput blast (mixed into ``Sandbox``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from wolaro.sandbox import mutations, payloads, threads
from wolaro.sandbox import permissions as perm
from wolaro.sandbox.errors import SandboxError
from wolaro.sandbox.records import PNG
from wolaro.sandbox.sandbox_world import SandboxBase
from wolaro.sandbox.snowflake import iso, snowflake_time
from wolaro.sandbox.state import DM, Channel

#: One channel of a blast: its id and guild id as strings, the guild id, and its authors' (user, member) payloads.
_BlastChannel = tuple[str, str, int, list[tuple[dict[str, Any], dict[str, Any]]]]


class MessagesMixin(SandboxBase):
    """Users post in channels and DMs; ``blast_messages`` floods the gateway; ``drop_connection``."""

    async def send_message(
        self,
        channel_id: int,
        author_id: int,
        content: str,
        *,
        attachments: int = 0,
        reply_to: int | None = None,
        files: list[tuple[str, bytes]] | None = None,
    ) -> dict[str, Any]:
        """User ``author_id`` posts ``content`` (with ``attachments`` synthetic images) in ``channel_id``.

        ``files`` uploads real files too, as ``(filename, bytes)``; like every attachment they are served by the
        sandbox's CDN until removed from ``state.attachments`` (Discord's links expire too).

        Enforces what the Discord client would: membership, SEND_MESSAGES, timeouts and slowmode
        (raising :class:`SandboxError`). Returns the stored message.
        """
        self._action()
        channel = self._check_can_send(channel_id, author_id)
        uploads = self._synthetic_attachments(channel_id, attachments)
        for name, data in files or []:
            att_id = self.ids.now()
            self.state.attachments[att_id] = data
            uploads.append(payloads.attachment(att_id, channel_id, name, len(data), self.url))
        reference = self.state.message(channel_id, reply_to) if reply_to is not None else None
        message = await mutations.post_message(
            self.sandbox,
            channel,
            author_id,
            content,
            attachments=uploads,
            reference=reference,
            msg_type=payloads.REPLY if reference is not None else payloads.DEFAULT,
        )
        if self._observers:
            self._observe(
                {
                    "kind": "message",
                    **self._where(channel_id),
                    "user_id": author_id,
                    "user": self.display_name(channel.guild_id, author_id),
                    "content": content,
                    "attachments": attachments,
                }
            )
        return message

    def _check_can_send(self, channel_id: int, author_id: int) -> Channel:
        """What the Discord client enforces before a post: membership, SEND_MESSAGES, timeouts, slowmode."""
        channel = self.state.channels.get(channel_id)
        if channel is None:
            raise SandboxError(f"unknown channel {channel_id}")
        if author_id not in self.state.users:
            raise SandboxError(f"unknown user {author_id}")
        if channel.type == DM:
            if author_id not in channel.recipients:
                raise SandboxError(f"user {author_id} is not in DM channel {channel_id}")
            return channel
        guild = self.state.guild(channel.guild_id or 0)
        member = guild.members.get(author_id)
        if member is None:
            raise SandboxError(f"user {author_id} is not a member of guild {guild.id}")
        if channel.type in threads.THREAD_TYPES:
            perms = threads.permissions_in(self.state, guild, channel, member)
        else:
            perms = perm.channel_permissions(guild, channel, member)
        if member.is_timed_out():
            raise SandboxError(f"user {author_id} is timed out")
        if not perms & perm.SEND_MESSAGES:
            raise SandboxError(f"user {author_id} may not send messages in #{channel.name}")
        if channel.rate_limit_per_user and not perms & (perm.MANAGE_MESSAGES | perm.MANAGE_CHANNELS):
            last = self._slowmode.get((channel_id, author_id))
            now = time.monotonic()
            if last is not None and now - last < channel.rate_limit_per_user:
                raise SandboxError(f"slowmode: user {author_id} must wait in #{channel.name}")
            self._slowmode[(channel_id, author_id)] = now
        return channel

    def _synthetic_attachments(self, channel_id: int, count: int) -> list[dict[str, Any]]:
        """``count`` stored 1x1 PNG attachments (``image0.png``...) for a user's message."""
        files = []
        for n in range(count):
            att_id = self.ids.now()
            self.state.attachments[att_id] = PNG
            files.append(payloads.attachment(att_id, channel_id, f"image{n}.png", len(PNG), self.url))
        return files

    async def open_dm(self, user_id: int) -> int:
        """The DM channel between ``user_id`` and the bot (created on first use); returns its id."""
        existing = self.state.dm_channels.get(user_id)
        if existing is not None:
            return existing
        if user_id not in self.state.users:
            raise SandboxError(f"unknown user {user_id}")
        channel = Channel(id=self.ids.now(), type=DM, name=None, recipients=[user_id])
        self.state.channels[channel.id] = channel
        self.state.dm_channels[user_id] = channel.id
        return channel.id

    async def blast_messages(
        self, channel_ids: list[int], author_ids: list[int], count: int, content: str = "hello"
    ) -> None:
        """Throughput path: pre-serialise (and pre-compress) ``count`` MESSAGE_CREATE, write them back to back.

        Messages go round-robin over ``channel_ids``; authors rotate over ``author_ids`` (those not in a
        channel's guild are skipped for it). They are not kept in channel history. ``last_blast`` records
        ``prepared``, ``first_frame`` and ``written`` (time.perf_counter()).
        """
        self._action()
        if not channel_ids or not author_ids:
            raise SandboxError("blast_messages needs channels and authors")
        per_channel = self._blast_authors(channel_ids, author_ids)
        items = _blast_items(per_channel, count, content, self.ids.now)
        plans = self.gateway.reserve_prepared(self.gateway.prepare_frames("MESSAGE_CREATE", items))
        prepared = time.perf_counter()
        self.last_blast = {"prepared": prepared, "first_frame": prepared, "frames": float(count)}
        await self.gateway.send_reserved(plans)
        self.last_blast["written"] = time.perf_counter()

    def _blast_authors(self, channel_ids: list[int], author_ids: list[int]) -> list[_BlastChannel]:
        """Per channel: its id and guild id (as strings and the int) and the (user, member) payloads of its authors."""
        per_channel: list[_BlastChannel] = []
        for cid in channel_ids:
            channel = self.state.channel(cid)
            guild = self.state.guild(channel.guild_id or 0)
            authors = [
                (payloads.user(self.state.users[a]), payloads.member(self.state, guild.members[a], with_user=False))
                for a in author_ids
                if a in guild.members
            ]
            if not authors:
                raise SandboxError(f"no author of {author_ids} is in the guild of channel {cid}")
            per_channel.append((str(cid), str(guild.id), guild.id, authors))
        return per_channel

    async def drop_connection(self, shard_id: int = 0, *, resumable: bool = True, code: int | None = None) -> None:
        """Cut shard ``shard_id``'s socket: resumable (the client RESUMEs and gets missed events) or not.

        With ``code``, close with that code as Discord would (4000 and 1001 keep the session for a RESUME; 4007
        and 4009 end it, so the RESUME is refused and the client IDENTIFYs anew).
        """
        self._action()
        await self.gateway.drop(shard_id, resumable=resumable, code=code)


def _blast_items(
    per_channel: list[_BlastChannel], count: int, content: str, new_id: Callable[[], int]
) -> Iterator[tuple[int, dict[str, Any], bool]]:
    """``count`` (guild id, MESSAGE_CREATE data, strip_content) items, round-robin over channels then authors."""
    n_channels = len(per_channel)
    for i in range(count):
        cid_s, gid_s, gid, authors = per_channel[i % n_channels]
        author, member = authors[(i // n_channels) % len(authors)]
        mid = new_id()
        yield (
            gid,
            {
                "id": str(mid),
                "type": 0,
                "channel_id": cid_s,
                "guild_id": gid_s,
                "author": author,
                "member": member,
                "content": content,
                "timestamp": iso(snowflake_time(mid)),
                "edited_timestamp": None,
                "tts": False,
                "mention_everyone": False,
                "mentions": [],
                "mention_roles": [],
                "attachments": [],
                "embeds": [],
                "components": [],
                "pinned": False,
                "flags": 0,
            },
            True,
        )
