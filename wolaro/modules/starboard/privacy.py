"""What the starboard keeps about a person: the messages they starred, and which starred messages they wrote.

Erasure removes their stars and the authorship of their starred messages (the server's board posts stay as
Discord messages; the bot no longer knows who wrote them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update

from wolaro.core.jsonsafe import jsonable
from wolaro.data.database import Database
from wolaro.modules.starboard.models import StarboardPost, StarboardStar


class StarboardData:
    """`UserData` of the starboard module."""

    stores: Mapping[str, str] = {
        "starboard_stars.user_id": "The messages you starred",
        "starboard_posts.author_id": "Your messages that were starred, and their stars",
    }

    async def export_user_data(self, db: Database, user_id: int, guild_id: int | None) -> dict[str, Any]:
        """Stars given and starred messages written."""
        async with db.session() as session:
            stars = select(StarboardStar).where(StarboardStar.user_id == user_id)
            posts = select(StarboardPost).where(StarboardPost.author_id == user_id)
            if guild_id is not None:
                stars = stars.where(StarboardStar.guild_id == guild_id)
                posts = posts.where(StarboardPost.guild_id == guild_id)
            given = [
                {"guild_id": s.guild_id, "message_id": s.message_id, "starred_at": s.created_at}
                for s in await session.scalars(stars)
            ]
            written = [
                {"guild_id": p.guild_id, "message_id": p.message_id, "stars": p.shown_stars}
                for p in await session.scalars(posts)
            ]
        found: dict[str, Any] = {}
        if given:
            found["stars_given"] = given
        if written:
            found["starred_messages"] = written
        return jsonable(found) if found else {}

    async def delete_user_data(self, db: Database, user_id: int, guild_id: int | None) -> int:
        """Delete their stars and forget them as authors; how many rows changed."""
        async with db.transaction() as session:
            stars = delete(StarboardStar).where(StarboardStar.user_id == user_id)
            posts = update(StarboardPost).where(StarboardPost.author_id == user_id).values(author_id=None)
            if guild_id is not None:
                stars = stars.where(StarboardStar.guild_id == guild_id)
                posts = posts.where(StarboardPost.guild_id == guild_id)
            removed = await session.execute(stars)
            changed = await session.execute(posts)
        return int(removed.rowcount or 0) + int(changed.rowcount or 0)  # type: ignore[attr-defined]


PRIVACY = StarboardData()
