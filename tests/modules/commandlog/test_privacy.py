"""Erasing a person from the command log: their commands go, and others' commands that named them keep no trace
of them (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select

from wolaro.modules.commandlog import store
from wolaro.modules.commandlog.models import CommandLogEntry
from wolaro.modules.commandlog.privacy import PRIVACY

GUILD, OTHER_GUILD = 11, 12
ADA, BOB = 1058897343304171520, 1058897343299977216


def command(guild_id: int, user_id: int, arguments: str) -> dict:
    return store.entry_row(guild_id, {"user_id": user_id, "command": "warn", "arguments": arguments, "status": "ok"})


async def test_an_erasure_removes_the_persons_commands_and_their_id_from_others(migrated_db) -> None:
    rows = [
        command(GUILD, ADA, "<@1> spam"),
        command(GUILD, BOB, f"<@{ADA}> rude to a member"),
        command(OTHER_GUILD, BOB, f"<@{ADA}> spam elsewhere"),
    ]
    await store.record_many(migrated_db, rows, set())
    assert await PRIVACY.delete_user_data(migrated_db, ADA, GUILD) == 2  # one deleted, one changed
    async with migrated_db.session() as session:
        kept = (await session.execute(select(CommandLogEntry.guild_id, CommandLogEntry.arguments))).all()
    assert sorted(kept) == [(GUILD, "<@0> rude to a member"), (OTHER_GUILD, f"<@{ADA}> spam elsewhere")]
    assert await PRIVACY.delete_user_data(migrated_db, ADA, None) == 1  # everywhere: the other server's too
