"""The command log's batch and a person's erasure: nothing about them is written after it, whatever the timing."""

from __future__ import annotations

import asyncio

import pytest

from tests.modules.commandlog.conftest import Table, command
from wolaro.modules.commandlog.batch import CommandBatch

GUILD, OTHER_GUILD = 11, 12
ADA, BOB = 1, 2


async def test_commands_still_arriving_after_an_erasure_are_not_kept(table: Table) -> None:
    batch = CommandBatch(db=None)  # type: ignore[arg-type]
    batch.add(GUILD, command(ADA))
    batch.add(GUILD, command(BOB))
    batch.forget(ADA, None)  # everywhere
    batch.add(GUILD, command(ADA, "late"))  # finished as the erasure ran, recorded a moment later
    batch.add(OTHER_GUILD, command(ADA, "late"))
    await batch.flush()
    assert [(row["user_id"], row["command"]) for row in table.rows] == [(BOB, "ping")]


async def test_others_commands_naming_an_erased_person_keep_no_trace_of_them(table: Table) -> None:
    ada = 1058897343304171520
    batch = CommandBatch(db=None)  # type: ignore[arg-type]
    batch.add(GUILD, {**command(BOB, "warn"), "arguments": f"<@{ada}> rude to a member"})  # waiting at the erasure
    batch.add(OTHER_GUILD, {**command(BOB, "warn"), "arguments": f"<@{ada}> spam"})
    batch.forget(ada, GUILD)
    batch.add(GUILD, {**command(BOB, "warn"), "arguments": f"<@!{ada}> again"})  # arriving just after it
    await batch.flush()
    assert [row["arguments"] for row in table.rows] == ["<@0> rude to a member", f"<@{ada}> spam", "<@!0> again"]


async def test_an_erasure_in_one_server_keeps_the_persons_commands_elsewhere(table: Table) -> None:
    batch = CommandBatch(db=None)  # type: ignore[arg-type]
    batch.forget(ADA, GUILD)
    batch.add(GUILD, command(ADA))
    batch.add(OTHER_GUILD, command(ADA))
    await batch.flush()
    assert [row["guild_id"] for row in table.rows] == [OTHER_GUILD]


async def test_a_write_under_way_at_the_erasure_is_waited_for(table: Table) -> None:
    batch = CommandBatch(db=None)  # type: ignore[arg-type]
    assert not await batch.written()  # nothing under way
    batch.add(GUILD, command(ADA))
    table.open.clear()
    flushing = asyncio.create_task(batch.flush())
    await asyncio.sleep(0)
    batch.forget(ADA, None)  # the row was already taken: it lands after the erasure's delete...
    waiting = asyncio.create_task(batch.written())
    await asyncio.sleep(0)
    assert not waiting.done()
    table.open.set()
    assert await waiting  # ...so the erasure knows to delete once more after it
    await flushing
    assert [row["user_id"] for row in table.rows] == [ADA]


async def test_rows_kept_after_a_failed_write_leave_out_a_person_erased_meanwhile(table: Table) -> None:
    batch = CommandBatch(db=None)  # type: ignore[arg-type]
    batch.add(GUILD, command(ADA))
    batch.add(GUILD, command(BOB))
    table.open.clear()
    table.fail = True
    flushing = asyncio.create_task(batch.flush())
    await asyncio.sleep(0)
    batch.forget(ADA, None)
    table.open.set()
    with pytest.raises(ConnectionError):
        await flushing
    table.fail = False
    await batch.flush()
    assert [row["user_id"] for row in table.rows] == [BOB]


async def test_rows_kept_after_a_failed_write_lose_the_id_of_a_person_erased_meanwhile(table: Table) -> None:
    ada = 1058897343304171520
    batch = CommandBatch(db=None)  # type: ignore[arg-type]
    batch.add(GUILD, {**command(BOB, "warn"), "arguments": f"<@{ada}> spam"})
    table.open.clear()
    table.fail = True
    flushing = asyncio.create_task(batch.flush())
    await asyncio.sleep(0)
    batch.forget(ada, None)  # the row is on its way: forget() does not see it
    table.open.set()
    with pytest.raises(ConnectionError):
        await flushing
    table.fail = False
    await batch.flush()
    assert [row["arguments"] for row in table.rows] == ["<@0> spam"]
