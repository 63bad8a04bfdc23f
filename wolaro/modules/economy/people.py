"""Who the members on the leaderboard are: their name and picture, remembered when they use the economy.

The public leaderboard is shown to people who are not logged in, without asking Discord: it reads the name and
avatar hash kept on each account. They are refreshed after each economy command, for its author and any member it
names: a read, and a write only when something changed (and only for members who have an account). What was
stored lately is kept in memory for ten minutes, so a member's repeated commands cost no query at all.
"""

from __future__ import annotations

import time
from collections import OrderedDict
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


async def remember(db: Database, guild_id: int, people: Iterable[Person]) -> set[int]:
    """Store each person's current name and picture on their account, if they have one and it changed.

    One read finds the accounts and what they hold; a write transaction runs only when something changed. Returns
    the ids of the people who have an account here.
    """
    unique = {person.user_id: person for person in people}
    if not unique:
        return set()
    async with db.session() as session:
        rows = await session.execute(
            select(EconomyAccount.user_id, EconomyAccount.name, EconomyAccount.avatar).where(
                EconomyAccount.guild_id == guild_id, EconomyAccount.user_id.in_(unique)
            )
        )
        held = {row.user_id: (row.name, row.avatar) for row in rows}
    changed = [p for user_id, p in unique.items() if user_id in held and held[user_id] != (p.name, p.avatar)]
    stale = sorted(changed, key=lambda p: p.user_id)
    if stale:
        async with db.transaction() as session:
            for person in stale:
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
    return set(held)


class RecentNames:
    """What this Cog found or stored lately about members' names, so that a repeated command costs no query.

    For each member: their name and picture as last stored, or that they had no account. Bounded (`size`
    members, the least recent dropped first) and short-lived (`ttl` seconds): a name another process wrote in
    between is written again at most `ttl` later. "No account" is trusted only by commands that cannot create
    one (`trust_absent`): after `daily`, the member's name is stored at once.
    """

    def __init__(self, *, ttl: float = 600.0, size: int = 10_000) -> None:
        self.ttl, self.size = ttl, size
        self._known: OrderedDict[tuple[int, int], tuple[Person, bool, float]] = OrderedDict()

    def unknown(self, guild_id: int, people: Iterable[Person], *, trust_absent: bool) -> list[Person]:
        """The people whose current name and picture are not known to be stored (or not needed) lately."""
        now = time.monotonic()
        out = []
        for person in people:
            entry = self._known.get((guild_id, person.user_id))
            if entry is None or entry[2] < now or entry[0] != person or not (entry[1] or trust_absent):
                out.append(person)
        return out

    def learn(self, guild_id: int, people: Iterable[Person], with_account: set[int]) -> None:
        """Note that these people's accounts hold their current name and picture (or that they have none)."""
        until = time.monotonic() + self.ttl
        for person in people:
            key = (guild_id, person.user_id)
            self._known[key] = (person, person.user_id in with_account, until)
            self._known.move_to_end(key)
        while len(self._known) > self.size:
            self._known.popitem(last=False)


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
