"""Several processes and a failing Redis: config stays true across `wolaro bot` processes and survives outages."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.support.harness import BotProcess, bot_settings, process_env, running_bot

pytestmark = pytest.mark.timeout(120)


async def replies(sandbox, channel, author, content, *, expected, within=6.0, quiet=0.4):
    """Send `content`; collect the bot's new messages in `channel` until `expected` arrived (then `quiet` more)."""
    await sandbox.send_message(channel, author, content)
    got = []
    deadline = asyncio.get_running_loop().time() + within
    while len(got) < expected:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return got
        try:
            got.append(await sandbox.wait_for_message(channel, timeout=remaining))
        except TimeoutError:
            return got
    with contextlib.suppress(TimeoutError):
        got.append(await sandbox.wait_for_message(channel, timeout=quiet))
    return got


async def until_answered(sandbox, channel, author, content, *, expected, attempts=40):
    for _ in range(attempts):
        got = await replies(sandbox, channel, author, content, expected=expected, within=1.5)
        if len(got) >= expected:
            return got
    pytest.fail(f"{content!r} never got {expected} answers")


@pytest.mark.postgres
@pytest.mark.redis
async def test_prefix_changed_in_one_process_is_seen_by_another(
    sandbox, postgres_url, redis_url, redis_prefix, tmp_path
):
    """Both processes serve the guild; only A lets user U change the prefix (U is a master admin there only).

    B cached the old prefix and its cache lives an hour: it can only learn of the change through Redis pub/sub.
    """
    guild = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild)[0]
    owner = sandbox.owner_id(guild)
    user_u = sandbox.member_ids(guild)[4]
    shared = {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": redis_prefix,
        # both processes see every event here, so each would count it against the shared limits
        "COMMAND_COOLDOWN_RATE": "1000/second",
        "USER_GLOBAL_RATE": "1000/second",
    }
    a = BotProcess(process_env(sandbox, MASTER_ADMIN_IDS=str(user_u), **shared), tmp_path / "a.log").start()
    b = None
    try:
        await until_answered(sandbox, channel, owner, "!ping", expected=1)
        b = BotProcess(process_env(sandbox, **shared), tmp_path / "b.log").start()
        await until_answered(sandbox, channel, owner, "!ping", expected=2)

        answers = await replies(sandbox, channel, user_u, "!prefix ?", expected=2)
        contents = sorted(m["content"] for m in answers)
        assert len(contents) == 2, contents
        assert "Prefix changed to `?`." in contents
        assert any("Manage Server" in c for c in contents)

        pongs = await until_answered(sandbox, channel, owner, "?ping", expected=2, attempts=5)
        assert all(m["content"].startswith("Pong!") for m in pongs), [m["content"] for m in pongs]
        stale = await replies(sandbox, channel, owner, "!ping", expected=1, within=1.5)
        assert stale == []
    finally:
        for proc in (a, b):
            if proc is not None:
                proc.stop()
    assert "Traceback" not in a.log(), a.log()[-3000:]


async def test_bot_keeps_answering_through_a_redis_outage(sandbox, redis_server_process, tmp_path):
    guild = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild)[0]
    owner = sandbox.owner_id(guild)
    settings = bot_settings(sandbox, tmp_path, redis_url=redis_server_process.url, redis_health_interval=0.2)
    async with running_bot(sandbox, settings) as bot:
        await sandbox.send_message(channel, owner, "!prefix ?")
        assert "`?`" in (await sandbox.wait_for_message(channel, timeout=5))["content"]

        redis_server_process.stop()
        await sandbox.send_message(channel, owner, "?ping")
        assert (await sandbox.wait_for_message(channel, timeout=5))["content"].startswith("Pong!")
        await sandbox.send_message(channel, owner, "?prefix %")
        assert "`%`" in (await sandbox.wait_for_message(channel, timeout=5))["content"]
        await sandbox.send_message(channel, owner, "%serverinfo")
        assert (await sandbox.wait_for_message(channel, timeout=5))["embeds"]
        assert not bot.services.cache.available

        redis_server_process.start()
        for _ in range(100):
            if bot.services.cache.available:
                break
            await asyncio.sleep(0.05)
        assert bot.services.cache.available
        await sandbox.send_message(channel, owner, "%prefix")
        assert (await sandbox.wait_for_message(channel, timeout=5))["content"] == "The prefix here is `%`."
    async with running_bot(sandbox, settings):
        await sandbox.send_message(channel, owner, "%prefix")
        assert (await sandbox.wait_for_message(channel, timeout=5))["content"] == "The prefix here is `%`."
