"""What a module stores about a person, and how it is handed over or erased (`/privacy export`, `/privacy delete`).

Every module that keeps per-user rows declares a `UserData` implementation in its spec (`ModuleSpec.privacy`);
the platform calls every one of them, so a person's export is complete and their erasure leaves nothing behind.
"""

from __future__ import annotations

from typing import Any, Protocol

from wolaro.data.database import Database


class UserData(Protocol):
    """A module's privacy hooks (Red's `red_delete_data_for_user`, for every feature).

    `guild_id` None means every guild (a request made in DMs or from the dashboard's account page).
    """

    async def export_user_data(self, db: Database, user_id: int, guild_id: int | None) -> dict[str, Any]:
        """Everything this module stores about `user_id`, as JSON-ready values (empty when nothing)."""
        ...

    async def delete_user_data(self, db: Database, user_id: int, guild_id: int | None) -> int:
        """Erase what this module stores about `user_id`; return how many records were removed or anonymised."""
        ...
