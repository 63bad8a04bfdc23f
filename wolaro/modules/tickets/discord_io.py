"""Discord REST for tickets, through discord.py's `HTTPClient` (the bot's, or a job worker's own login).

The same calls serve the Cog and the jobs, so a ticket can be closed, transcribed or removed by whichever
process runs the job. Components are sent with fixed custom ids (`service.custom_id`) and never stored in
discord.py's view store: clicks reach the module through the bot's one interaction listener, after a restart too.
"""

from __future__ import annotations

import contextlib
import io
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from discord.http import HTTPClient

NONE_MENTIONED = discord.AllowedMentions.none()


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    """A button: custom id, label, style and emoji."""

    custom_id: str
    label: str
    style: discord.ButtonStyle = discord.ButtonStyle.secondary
    emoji: str | None = None


def buttons_view(buttons: Sequence[ButtonSpec]) -> discord.ui.View:
    """A view of buttons (five per row) to send once; it is never listened to by discord.py itself."""
    view = discord.ui.View(timeout=None)
    for index, spec in enumerate(buttons[:25]):
        view.add_item(
            discord.ui.Button(
                custom_id=spec.custom_id,
                label=spec.label[:80],
                style=spec.style,
                emoji=spec.emoji or None,
                row=index // 5,
            )
        )
    return view


def menu_view(custom_id: str, placeholder: str, options: Sequence[tuple[str, str, str, str | None]]) -> discord.ui.View:
    """A view with one select menu; options are (value, label, description, emoji)."""
    view = discord.ui.View(timeout=None)
    select: discord.ui.Select[Any] = discord.ui.Select(custom_id=custom_id, placeholder=placeholder[:150])
    for value, label, description, emoji in options[:25]:
        select.add_option(value=value, label=label[:100], description=description[:100] or None, emoji=emoji or None)
    view.add_item(select)
    return view


async def send(
    http: HTTPClient,
    channel_id: int,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    files: Sequence[tuple[str, bytes]] = (),
    nonce: str | None = None,
    mentions: discord.AllowedMentions = NONE_MENTIONED,
) -> dict[str, Any]:
    """Post a message; its payload. With a `nonce`, a retried job gets the first message back instead of a second."""
    attached = [discord.File(io.BytesIO(data), filename=name) for name, data in files]
    options: dict[str, Any] = {"content": content[:2000] if content else None, "allowed_mentions": mentions}
    if embed is not None:
        options["embed"] = embed
    if view is not None:
        options["view"] = view
    if attached:
        options["files"] = attached
    if nonce is not None:
        options["nonce"] = nonce[:25]
    with discord.http.handle_message_parameters(**options) as params:
        return await http.send_message(channel_id, params=params)  # type: ignore[return-value]


async def edit(http: HTTPClient, channel_id: int, message_id: int, *, view: discord.ui.View | None) -> None:
    """Replace a message's components (None removes them)."""
    with discord.http.handle_message_parameters(view=view) as params:
        await http.edit_message(channel_id, message_id, params=params)


async def create_channel(
    http: HTTPClient,
    guild_id: int,
    *,
    name: str,
    parent_id: int | None,
    overwrites: list[dict[str, Any]],
    topic: str,
    reason: str,
) -> int:
    """Create the ticket's text channel with its permission overwrites; its id."""
    options: dict[str, Any] = {"name": name, "permission_overwrites": overwrites, "topic": topic[:1024]}
    if parent_id:
        options["parent_id"] = str(parent_id)
    data = await http.create_channel(guild_id, 0, reason=reason, **options)  # type: ignore[arg-type]
    return int(data["id"])


async def create_thread(http: HTTPClient, parent_id: int, *, name: str, reason: str) -> int:
    """Start a private thread (members invite nobody; a week before it archives itself); its id."""
    data = await http.start_thread_without_message(
        parent_id, name=name, auto_archive_duration=10080, type=12, invitable=False, reason=reason
    )
    return int(data["id"])


async def add_to_thread(http: HTTPClient, thread_id: int, user_ids: Sequence[int]) -> None:
    """Add members to a thread (adding one already in is fine)."""
    for user_id in user_ids:
        await http.add_user_to_thread(thread_id, user_id)


async def remove_from_thread(http: HTTPClient, thread_id: int, user_id: int) -> None:
    """Take a member out of a thread (already out is fine)."""
    with contextlib.suppress(discord.NotFound):
        await http.remove_user_from_thread(thread_id, user_id)


async def lock_thread(http: HTTPClient, thread_id: int, *, locked: bool, reason: str) -> None:
    """Lock a thread (only the team writes) or unlock it."""
    await http.edit_channel(thread_id, reason=reason, locked=locked, archived=False)


async def members_with_roles(http: HTTPClient, guild_id: int, role_ids: Sequence[int], limit: int) -> list[int]:
    """Up to `limit` members holding one of `role_ids` (read in pages of 1000, at most 10 pages)."""
    wanted, found, after = {str(r) for r in role_ids}, [], None
    for _ in range(10):
        page = await http.get_members(guild_id, 1000, after)
        found += [int(m["user"]["id"]) for m in page if wanted & set(m.get("roles", [])) and not m["user"].get("bot")]
        if len(found) >= limit or len(page) < 1000:
            break
        after = int(page[-1]["user"]["id"])
    return found[:limit]


async def set_overwrites(http: HTTPClient, channel_id: int, overwrites: list[dict[str, Any]], reason: str) -> None:
    """Replace a ticket channel's permission overwrites."""
    await http.edit_channel(channel_id, reason=reason, permission_overwrites=overwrites)


async def rename(http: HTTPClient, channel_id: int, name: str, reason: str) -> None:
    """Rename a ticket channel."""
    await http.edit_channel(channel_id, reason=reason, name=name)


async def delete_channel(http: HTTPClient, channel_id: int, reason: str) -> None:
    """Delete a ticket channel (already gone is fine)."""
    with contextlib.suppress(discord.NotFound):
        await http.delete_channel(channel_id, reason=reason)


async def history(http: HTTPClient, channel_id: int, limit: int = 10_000) -> list[dict[str, Any]]:
    """Every message of a channel (up to `limit`), oldest first."""
    out: list[dict[str, Any]] = []
    before: int | None = None
    while len(out) < limit:
        page = await http.logs_from(channel_id, 100, before=before)
        if not page:
            break
        out.extend(page)  # type: ignore[arg-type]
        before = int(page[-1]["id"])
        if len(page) < 100:
            break
    return list(reversed(out))


async def fetch(http: HTTPClient, url: str) -> tuple[bytes, str]:
    """Download a file from Discord's CDN: (bytes, content type guessed from its name)."""
    data = await http.get_from_cdn(url)
    kind = mimetypes.guess_type(url.split("?")[0])[0] or "application/octet-stream"
    return data, kind


async def dm(
    http: HTTPClient, user_id: int, content: str, *, files: Sequence[tuple[str, bytes]] = (), nonce: str | None = None
) -> None:
    """DM a member (closed DMs raise `discord.Forbidden`)."""
    channel = await http.start_private_message(user_id)
    await send(http, int(channel["id"]), content, files=files, nonce=nonce)
