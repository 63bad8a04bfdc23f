"""Welcome's storage: sticky roles (one row per member, upserted) and the card background."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.modules.welcome.models import Background, StickyRoles
from wolaro.sdk import Database, utcnow

MAX_STICKY = 100


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def remember_roles(db: Database, guild_id: int, user_id: int, role_ids: Iterable[int]) -> None:
    """Keep the roles a member has now (one upsert: safe when several processes see the same update)."""
    roles = [str(r) for r in list(dict.fromkeys(role_ids))[:MAX_STICKY]]
    async with db.transaction() as session:
        statement = _insert(session)(StickyRoles).values(
            guild_id=guild_id, user_id=user_id, role_ids=roles, updated_at=utcnow()
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["guild_id", "user_id"], set_={"role_ids": roles, "updated_at": utcnow()}
            )
        )


async def roles_of(db: Database, guild_id: int, user_id: int) -> list[int]:
    """The roles remembered for a member (empty if none)."""
    async with db.session() as session:
        row = await session.get(StickyRoles, (guild_id, user_id))
        return [int(r) for r in row.role_ids] if row is not None else []


async def background(db: Database, guild_id: int) -> bytes | None:
    """The server's card background (a validated PNG), if it uploaded one."""
    async with db.session() as session:
        found: bytes | None = await session.scalar(select(Background.image).where(Background.guild_id == guild_id))
        return found


async def set_background(db: Database, guild_id: int, image: bytes | None) -> None:
    """Store (or with None, remove) the server's background."""
    async with db.transaction() as session:
        await session.execute(delete(Background).where(Background.guild_id == guild_id))
        if image is not None:
            session.add(Background(guild_id=guild_id, image=image))
