"""Sending a welcome or goodbye: the text, optionally an embed and the image card, in a channel or by DM."""

from __future__ import annotations

import asyncio
import contextlib
import io

import discord

from wolaro.modules.welcome import card, messages, store
from wolaro.sdk import Database, get_logger

log = get_logger(__name__)
AVATAR_TIMEOUT = 3.0


def t(message: str) -> str:
    """Mark `message` for the catalog; it is translated where shown."""
    return message


CARD_TITLE = t("Welcome to {guild}")
CARD_SUBTITLE = t("Member #{count}")


def newcomer(member: discord.Member | discord.User, guild: discord.Guild, count: int) -> messages.Newcomer:
    """The placeholders' view of a member."""
    return messages.Newcomer(member.id, member.name, member.display_name, guild.name, count, member.created_at)


async def avatar_bytes(member: discord.Member | discord.User) -> bytes | None:
    """The member's avatar, or None if it cannot be fetched quickly."""
    with contextlib.suppress(discord.HTTPException, TimeoutError, OSError, ValueError):
        return await asyncio.wait_for(member.display_avatar.with_size(256).read(), AVATAR_TIMEOUT)
    return None


async def card_file(
    db: Database, text: card.CardText, member: discord.Member | discord.User, guild_id: int
) -> discord.File:
    """The welcome card as an attachment (rendered in a worker thread)."""
    background = await store.background(db, guild_id)
    avatar = await avatar_bytes(member)
    png = await asyncio.to_thread(card.render_card, text, avatar, background)
    return discord.File(io.BytesIO(png), filename="welcome.png")


async def send(
    target: discord.abc.Messageable,
    text: str,
    *,
    embed: bool,
    file: discord.File | None,
    mention: int | None,
) -> None:
    """Post the greeting (pinging only the member it is about)."""
    allowed = discord.AllowedMentions(
        everyone=False, roles=False, users=[discord.Object(mention)] if mention else False
    )
    if embed:
        body = discord.Embed(description=text[:4096], colour=0x5865F2)
        if file is not None:
            body.set_image(url="attachment://welcome.png")
        await target.send(embed=body, file=file or discord.utils.MISSING, allowed_mentions=allowed)
    else:
        await target.send(text[:2000], file=file or discord.utils.MISSING, allowed_mentions=allowed)
