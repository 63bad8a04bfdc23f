"""Bringing one message's board post up to date: post it, edit its count, or remove it, holding the turn."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from wolaro.data.database import Database
from wolaro.data.models import utcnow
from wolaro.logging import get_logger
from wolaro.modules.starboard import service, store
from wolaro.modules.starboard.service import Step

if TYPE_CHECKING:
    from discord.http import HTTPClient

log = get_logger(__name__)

MAX_ROUNDS = 100


@dataclass(frozen=True, slots=True)
class Board:
    """The guild's starboard settings that a post depends on."""

    channel_id: int
    emoji: str
    threshold: int
    keep_below: bool
    jump_label: str


async def refresh(db: Database, http: HTTPClient, board: Board, guild_id: int, message_id: int) -> None:
    """Bring the board up to date for a message, unless another process or task is doing it right now."""
    token = uuid.uuid4().hex
    if not await store.take_turn(db, guild_id, message_id, token, utcnow()):
        return
    try:
        for _ in range(MAX_ROUNDS):
            await _round(db, http, board, guild_id, message_id, token)
            if not await store.another_round(db, message_id, token):
                return
        await store.give_back(db, message_id, token)
    except BaseException:
        await store.give_back(db, message_id, token)
        raise


async def _round(db: Database, http: HTTPClient, board: Board, guild_id: int, message_id: int, token: str) -> None:
    now = await store.state(db, guild_id, message_id)
    if now is None:
        return
    todo = service.step(
        stars=now.stars,
        threshold=board.threshold,
        on_board=now.board_message_id is not None,
        shown=now.shown_stars,
        keep_below=board.keep_below,
    )
    text = service.headline(board.emoji, now.stars, now.source.channel_id)
    if todo is Step.POST:
        posted = await _post(http, board, now.source, text)
        if posted is not None:
            await store.shown(db, message_id, token, board.channel_id, posted, now.stars)
    elif todo is Step.EDIT and now.board_channel_id and now.board_message_id:
        try:
            with discord.http.handle_message_parameters(content=text) as params:
                await http.edit_message(now.board_channel_id, now.board_message_id, params=params)
        except discord.NotFound:  # deleted by a moderator: it is no longer on the board
            await store.shown(db, message_id, token, None, None, 0)
            return
        await store.shown(db, message_id, token, now.board_channel_id, now.board_message_id, now.stars)
    elif todo is Step.REMOVE and now.board_channel_id and now.board_message_id:
        with contextlib.suppress(discord.NotFound):
            await http.delete_message(now.board_channel_id, now.board_message_id, reason="Below the star threshold")
        await store.shown(db, message_id, token, None, None, 0)


async def _post(http: HTTPClient, board: Board, source: store.Source, text: str) -> int | None:
    try:
        original: dict[str, Any] = dict(await http.get_message(source.channel_id, source.message_id))
    except discord.NotFound:
        return None
    embed = _embed(original, source, board.jump_label)
    with discord.http.handle_message_parameters(
        content=text, embed=embed, allowed_mentions=discord.AllowedMentions.none()
    ) as params:
        sent = await http.send_message(board.channel_id, params=params)
    log.info("starboard post", guild_id=source.guild_id, message_id=source.message_id)
    return int(sent["id"])


def _embed(original: dict[str, Any], source: store.Source, jump_label: str) -> discord.Embed:
    author = original.get("author") or {}
    embed = discord.Embed(description=(original.get("content") or "")[:4000], colour=discord.Colour.gold())
    embed.set_author(name=str(author.get("global_name") or author.get("username") or "?"))
    url = f"https://discord.com/channels/{source.guild_id}/{source.channel_id}/{source.message_id}"
    embed.add_field(name="\u200b", value=f"[{jump_label}]({url})", inline=False)
    image = next(
        (a for a in original.get("attachments") or [] if str(a.get("content_type", "")).startswith("image/")), None
    )
    if image is not None:
        embed.set_image(url=image["url"])
    embed.set_footer(text=str(source.message_id))
    embed.timestamp = discord.utils.snowflake_time(source.message_id)
    return embed
