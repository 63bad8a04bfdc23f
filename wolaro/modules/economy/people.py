"""Who the members on the leaderboard are: their name and picture, remembered when they use the economy.

The public leaderboard is shown to people who are not logged in, without asking Discord: it reads the name and
avatar hash kept on each account. They are refreshed after each economy command, for its author and any member it
names, by one UPDATE that writes only when something changed (and only for members who have an account).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from wolaro.modules.economy.models import EconomyAccount
from wolaro.sdk import Database

CDN = "https://cdn.discordapp.com"
PUBLIC_SIZE = 25
"""How many members the public leaderboard shows."""


@dataclass(frozen=True, slots=True)
class Person:
    """A member as seen on Discord: id, name in the server, avatar hash (None: the default picture)."""

    user_id: int
    name: str
    avatar: str | None


def person_of(member: Any) -> Person:
    """The `Person` of a discord.py member or user."""
    avatar = getattr(member, "avatar", None)
    return Person(int(member.id), str(member.display_name)[:100], getattr(avatar, "key", None))


async def remember(db: Database, guild_id: int, people: Iterable[Person]) -> None:
    """Store each person's current name and picture on their account, if they have one and it changed."""
    unique = {person.user_id: person for person in people}
    if not unique:
        return
    async with db.transaction() as session:
        for person in sorted(unique.values(), key=lambda p: p.user_id):
            await session.execute(
                update(EconomyAccount)
                .where(
                    EconomyAccount.guild_id == guild_id,
                    EconomyAccount.user_id == person.user_id,
                    EconomyAccount.name.is_distinct_from(person.name)
                    | EconomyAccount.avatar.is_distinct_from(person.avatar),
                )
                .values(name=person.name, avatar=person.avatar)
                .execution_options(synchronize_session=False)
            )


def picture(user_id: int, avatar: str | None) -> str:
    """The member's picture on Discord's CDN (Discord's default one without an avatar)."""
    if avatar:
        return f"{CDN}/avatars/{user_id}/{avatar}.png?size=64"
    return f"{CDN}/embed/avatars/{(user_id >> 22) % 6}.png"


async def public_board(db: Database, guild_id: int, limit: int = PUBLIC_SIZE) -> Sequence[Mapping[str, Any]]:
    """The richest members with their remembered names and pictures (ids as text)."""
    async with db.session() as session:
        rows = await session.execute(
            select(EconomyAccount.user_id, EconomyAccount.name, EconomyAccount.avatar, EconomyAccount.total)
            .where(EconomyAccount.guild_id == guild_id, EconomyAccount.total > 0)
            .order_by(EconomyAccount.total.desc(), EconomyAccount.user_id)
            .limit(limit)
        )
        return [
            {
                "rank": rank,
                "user_id": str(user_id),
                "name": name or f"Member {str(user_id)[-4:]}",
                "avatar_url": picture(int(user_id), avatar),
                "total": int(total),
            }
            for rank, (user_id, name, avatar, total) in enumerate(rows, start=1)
        ]


async def ranked(db: Database, guild_id: int) -> int:
    """How many members hold money here."""
    async with db.session() as session:
        count = await session.scalar(
            select(func.count()).where(EconomyAccount.guild_id == guild_id, EconomyAccount.total > 0)
        )
        return int(count or 0)
