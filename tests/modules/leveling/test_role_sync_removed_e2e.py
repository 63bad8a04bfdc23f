"""Leveling's durable `leveling.sync_roles` job for a server the bot was removed from, through discord.py and the
sandbox: the XP import planned the syncs, then the bot was removed before a worker ran them. Discord answers the
first member read with 404 Unknown Guild, so each job stops there (it does not read every other member as if they
had all left), gives and takes no role, and is done: nothing stays pending or is retried."""

from __future__ import annotations

from typing import Any

import pytest

from tests.modules.leveling.test_bulk_roles_e2e import role_calls, run_syncs
from tests.modules.leveling.test_commands_e2e import enable, slash
from wolaro.modules.leveling import role_sync
from wolaro.sandbox import Sandbox

pytestmark = pytest.mark.timeout(90)


def member_reads(sandbox: Sandbox, guild: int) -> list[tuple[int, int]]:
    """(member, status) of every `GET /guilds/{guild}/members/{member}` the bot made, in order."""
    found = []
    for call in sandbox.rest_log:
        parts = call.path.split("/")
        if call.method == "GET" and len(parts) == 5 and parts[2] == str(guild) and parts[3] == "members":
            found.append((int(parts[4]), call.status))
    return found


async def test_the_sync_stops_when_the_server_cannot_be_read(
    sandbox: Sandbox, bot: Any, monkeypatch: Any, eventually: Any
) -> None:
    monkeypatch.setattr(role_sync, "CHUNK", 2)  # 3 members -> 2 jobs
    guild = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild)[0]
    owner, _, ada, bob, cy = sandbox.member_ids(guild)[:5]
    moderator = sandbox.role_id(guild, "Moderator")
    await enable(bot, guild, role_rewards=[{"level": 1, "role_id": moderator}])
    csv_file = f"user_id,level\n{ada},2\n{bob},1\n{cy},3\n".encode()
    imported = await slash(sandbox, guild, channel, owner, "xp", {"file": ("mee6.csv", csv_file)}, "import")
    assert imported["content"] == "Imported the XP of 3 members; the reward roles of 3 of them are being updated."
    assert len(await bot.services.jobs.pending(guild_id=guild, kind=role_sync.SYNC_JOB)) == 2
    roles_before = len(role_calls(sandbox, guild))
    reads_before = len(member_reads(sandbox, guild))

    await sandbox.remove_bot(guild)  # before the worker gets to the syncs
    await eventually(lambda: bot.get_guild(guild) is None)
    assert await run_syncs(bot, guild) == 2  # both ran to an end...
    assert await bot.services.jobs.pending(guild_id=guild, kind=role_sync.SYNC_JOB) == []  # ...none is retried
    reads = member_reads(sandbox, guild)[reads_before:]
    assert len(reads) == 2 and {status for _, status in reads} == {404}  # one read per job, then it stopped
    assert {member for member, _ in reads} <= {ada, bob, cy}
    assert role_calls(sandbox, guild)[roles_before:] == []  # no role given or taken
    members = sandbox.state.guild(guild).members
    assert not any(moderator in members[user].roles for user in (ada, bob, cy))
