"""Reward roles after bulk changes, through discord.py and the sandbox's REST API: a CSV import and a whole-server
XP reset plan durable `leveling.sync_roles` jobs (in the change's transaction, `CHUNK` members each) for the
members whose reward roles moved; a worker running them gives and takes exactly those roles, skips a role above the
bot's own, and a second run changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.modules.leveling.test_commands_e2e import enable, slash
from wolaro.jobs import JobContext
from wolaro.modules.leveling import role_sync, store
from wolaro.sandbox import Sandbox

pytestmark = pytest.mark.timeout(90)


async def run_syncs(bot: Any, guild: int) -> int:
    """Run the planned role syncs as a worker does; how many ran."""
    jobs = bot.services.jobs
    jobs.bot = bot
    planned = len(await jobs.pending(guild_id=guild, kind=role_sync.SYNC_JOB))
    ran = 0
    while await jobs.pending(guild_id=guild, kind=role_sync.SYNC_JOB):
        ran += await jobs.run_due()
    assert ran == planned
    return ran


def role_calls(sandbox: Sandbox, guild: int) -> list[tuple[str, int, int, int]]:
    """(method, member, role, status) of every role the bot gave or took through REST, in order."""
    found = []
    for call in sandbox.rest_log:
        parts = call.path.split("/")
        if call.method in ("PUT", "DELETE") and len(parts) == 7 and parts[2] == str(guild) and parts[5] == "roles":
            found.append((call.method, int(parts[4]), int(parts[6]), call.status))
    return found


async def test_import_and_reset_sync_the_reward_roles(sandbox: Sandbox, bot: Any, monkeypatch) -> None:
    monkeypatch.setattr(role_sync, "CHUNK", 2)  # small chunks: 3 members -> 2 jobs
    guild = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild)[0]
    owner, _, ada, bob, cy, dee = sandbox.member_ids(guild)[:6]
    moderator, admin = sandbox.role_id(guild, "Moderator"), sandbox.role_id(guild, "Admin")  # Admin: above the bot
    veteran = await sandbox.create_role(guild, "Veteran")
    rewards = [{"level": 1, "role_id": moderator}, {"level": 3, "role_id": veteran}, {"level": 5, "role_id": admin}]
    await enable(bot, guild, role_rewards=rewards)
    await store.set_total(bot.services.db, guild, dee, 800, actor_id=None)  # level 3 already: the import keeps it
    members = sandbox.state.guild(guild).members
    before = len(role_calls(sandbox, guild))

    eve = int((await sandbox.member_join(guild, username="eve"))["user"]["id"])
    csv_file = f"user_id,level\n{ada},3\n{bob},1\n{cy},6\n{dee},3\n{eve},1\n".encode()
    imported = await slash(sandbox, guild, channel, owner, "xp", {"file": ("mee6.csv", csv_file)}, "import")
    assert imported["content"] == "Imported the XP of 5 members; the reward roles of 4 of them are being updated."
    await sandbox.member_remove(guild, eve)  # gone before the worker gets to her: skipped
    assert await run_syncs(bot, guild) == 2
    assert sorted(role_calls(sandbox, guild)[before:]) == sorted(
        [
            ("PUT", ada, moderator, 204),
            ("PUT", ada, veteran, 204),
            ("PUT", bob, moderator, 204),
            ("PUT", cy, admin, 403),  # above the bot's role: refused, skipped, the other roles still given
            ("PUT", cy, moderator, 204),
            ("PUT", cy, veteran, 204),
        ]
    )
    assert {moderator, veteran} <= set(members[ada].roles) and veteran not in members[bob].roles
    assert moderator in members[bob].roles and {moderator, veteran} <= set(members[cy].roles)
    assert admin not in members[cy].roles and veteran not in members[dee].roles  # dee's level did not move

    again = len(role_calls(sandbox, guild))
    await role_sync.sync_roles(job_context(bot, guild), {"users": [str(ada), str(bob)]})
    assert len(role_calls(sandbox, guild)) == again  # already right: nothing changes

    reset = await slash(sandbox, guild, channel, owner, "xp", {"everyone": True}, "reset")
    assert reset["content"] == "XP removed from 5 members; the reward roles of 5 of them are being taken away."
    assert await run_syncs(bot, guild) == 3
    assert sorted(role_calls(sandbox, guild)[again:]) == sorted(
        [
            ("DELETE", ada, moderator, 204),
            ("DELETE", ada, veteran, 204),
            ("DELETE", bob, moderator, 204),
            ("DELETE", cy, moderator, 204),
            ("DELETE", cy, veteran, 204),
        ]
    )
    for user in (ada, bob, cy, dee):
        assert not {moderator, veteran, admin} & set(members[user].roles)


def job_context(bot: Any, guild: int) -> Any:
    """A job attempt as a worker would give it (for running the handler directly)."""
    bot.services.jobs.bot = bot
    return JobContext(
        job_id=0,
        kind=role_sync.SYNC_JOB,
        guild_id=guild,
        attempt=1,
        max_attempts=1,
        run_at=datetime.now(UTC),
        scheduler=bot.services.jobs,
    )
