"""The command log keeps each server's recent commands (who, what with which arguments, where, how it ended),
bounded per server, whether they came as prefix or slash commands."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.moderation import Place, say, slash
from wolaro.modules.commandlog import store
from wolaro.modules.commandlog.batch import CommandBatch

pytestmark = pytest.mark.timeout(60)


async def test_recent_commands_are_kept_with_channel_and_arguments(sandbox, bot, place_guild0):
    place = place_guild0
    await say(sandbox, place.channel, place.plain[0], "!ping")
    await slash(sandbox, place, place.owner, "prefix", {"new_prefix": "?"})
    record = await sandbox.invoke_slash(
        place.guild, place.channel, place.plain[1], "config", {"module": "utility"}, subcommand="show"
    )
    await sandbox.wait_for_interaction_response(record, timeout=5)  # refused: not a manager
    for _ in range(100):  # the log is written once the reply is out
        rows = await store.recent(bot.services.db, place.guild, 10)
        if len(rows) >= 3:
            break
        await asyncio.sleep(0.05)
    channel = sandbox.state.channels[place.channel].name
    # (ping measures its round trip after replying, so the three may be written in any order)
    assert sorted((r.command, r.arguments, r.user_id, r.channel_name, r.status) for r in rows) == [
        ("config", "module: utility", place.plain[1], channel, "denied"),  # a group's fallback
        ("ping", "", place.plain[0], channel, "success"),
        ("prefix", "new_prefix: ?", place.owner, channel, "success"),
    ]
    assert all(r.channel_id == place.channel for r in rows)
    assert not await store.recent(bot.services.db, sandbox.guild_ids()[1], 10)  # per server


async def test_only_the_newest_are_kept(bot, monkeypatch):
    monkeypatch.setattr(store, "KEEP", 5)
    monkeypatch.setattr(store, "TRIM_EVERY", 3)
    batch = CommandBatch(bot.services.db)
    for n in range(8):
        batch.add(42, {"user_id": 7, "command": f"c{n}", "status": "success"})
        if n % 2:
            await batch.flush()  # 2 by 2: the server is cut once 3 were written since its last cut
    rows = await store.recent(bot.services.db, 42, 100)
    assert [r.command for r in rows] == ["c7", "c6", "c5", "c4", "c3"]


async def test_a_write_the_database_refuses_is_tried_again_in_order(bot, monkeypatch):
    batch = CommandBatch(bot.services.db)
    batch.add(43, {"user_id": 7, "command": "first", "status": "success"})

    async def refused(*args: object) -> None:
        raise ConnectionRefusedError

    monkeypatch.setattr(store, "record_many", refused)
    with pytest.raises(ConnectionRefusedError):
        await batch.flush()
    monkeypatch.undo()
    batch.add(43, {"user_id": 7, "command": "second", "status": "success"})
    await batch.flush()
    assert [r.command for r in await store.recent(bot.services.db, 43, 10)] == ["second", "first"]


async def test_privacy_commands_are_not_kept(sandbox, bot, place_guild0):
    place = place_guild0
    record = await sandbox.invoke_slash(place.guild, place.channel, place.plain[0], "privacy", {}, subcommand="export")
    await sandbox.wait_for_interaction_response(record, timeout=5)
    await say(sandbox, place.channel, place.plain[0], "!ping")
    for _ in range(100):
        rows = await store.recent(bot.services.db, place.guild, 10)
        if rows:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.2)  # one more write: the export would be in it
    assert [r.command for r in await store.recent(bot.services.db, place.guild, 10)] == ["ping"]


@pytest.fixture
def place_guild0(sandbox):
    return Place.of(sandbox)
