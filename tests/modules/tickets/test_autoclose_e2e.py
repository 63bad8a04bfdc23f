"""Inactivity auto-close is a durable job: it warns, then closes, even for a ticket nobody ever wrote in, and even
when the process that opened the ticket was killed and another one takes over."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.support.harness import PlatformProcess, answered, process_env
from tests.support.tickets import Desk, last_with, open_ticket, post_panel, say, set_up, ticket_config, ticket_in
from wolaro.core.services import Services
from wolaro.data.models import utcnow
from wolaro.modules.tickets import store
from wolaro.modules.tickets.service import INACTIVITY_JOB, SEND_MESSAGES
from wolaro.sandbox import permissions as perm
from wolaro.settings import Settings

pytestmark = pytest.mark.timeout(120)


async def test_auto_close_fires_after_a_killed_process_for_a_ticket_with_no_messages(sandbox, tmp_path):
    """`wolaro run` opens the ticket and is SIGKILLed; the ticket's time passes; the next process warns, then closes."""
    data_dir = tmp_path / "data"
    desk = Desk.of(sandbox)
    services = await Services.start(Settings(_env_file=None, data_dir=data_dir))
    try:
        await services.config.set_module_enabled(desk.guild, "tickets", True, actor_id=None)
        # the first check comes 6 s after the opening: long after the kill, even on a loaded machine
        config = ticket_config(desk, autoclose_after="8s", autoclose_warning="2s")
        await services.config.update_module_config(desk.guild, "tickets", config, actor_id=None)
    finally:
        await services.close()
    env = process_env(sandbox, DATA_DIR=str(data_dir), JOBS_POLL_INTERVAL="0.2", API_PORT="0", LOG_LEVEL="WARNING")
    first = PlatformProcess(env, tmp_path / "first.log").start()
    second: PlatformProcess | None = None
    try:
        await answered(sandbox, desk.lobby, desk.owner)
        desk = await post_panel(sandbox, desk)
        channel = await open_ticket(sandbox, desk, desk.member)
        first.kill()  # SIGKILL: the inactivity job stays pending in the database
        services = await Services.start(Settings(_env_file=None, data_dir=data_dir))
        try:
            ticket = await store.in_channel(services.db, desk.guild, channel)
            assert ticket is not None
            pending = await services.jobs.pending(guild_id=desk.guild, kind=INACTIVITY_JOB)
        finally:
            await services.close()
        assert [job.status for job in pending] == ["pending"], pending  # not claimed by the killed process
        # past the warning and the close while no process runs
        await asyncio.sleep((ticket.opened_at + timedelta(seconds=8.5) - utcnow()).total_seconds())
        assert not any("will close" in m["content"] for m in sandbox.bot_messages(channel))

        second = PlatformProcess(env, tmp_path / "second.log").start()
        for _ in range(600):
            if any(m["embeds"] and m["embeds"][0]["title"] == "Ticket closed" for m in sandbox.bot_messages(channel)):
                break
            await asyncio.sleep(0.1)
        said = sandbox.bot_messages(channel)
        warning = next(i for i, m in enumerate(said) if "will close" in m["content"])
        closing = next(i for i, m in enumerate(said) if m["embeds"] and m["embeds"][0]["title"] == "Ticket closed")
        assert warning < closing
        assert "No activity for 8s." in said[closing]["embeds"][0]["description"]
        guild = sandbox.state.guild(desk.guild)
        member_perms = perm.channel_permissions(guild, sandbox.state.channels[channel], guild.members[desk.member])
        assert not member_perms & SEND_MESSAGES
        assert last_with(sandbox, channel, "tickets:rate")
    finally:
        for process in (first, second):
            if process is not None:
                process.stop()
    for process in (first, second):
        assert "Traceback" not in process.log(), process.log()[-3000:]


async def test_a_message_resets_the_inactivity_clock(sandbox, bot, eventually):
    jobs = bot.services.jobs
    jobs.bot, jobs.poll_interval = bot, 0.1
    desk = await set_up(sandbox, bot, autoclose_after="2s", autoclose_warning=None)
    channel = await open_ticket(sandbox, desk, desk.member)
    await jobs.start()
    await asyncio.sleep(1.2)
    await sandbox.send_message(channel, desk.member, "still there?")
    await asyncio.sleep(1.2)  # 2.4 s after opening, 1.2 s after the message: still open
    assert (await ticket_in(bot, desk, channel)).status == "open"

    async def closed() -> bool:
        return (await ticket_in(bot, desk, channel)).status == "closed"

    await eventually(closed, timeout=10)
    await jobs.stop()
    ticket = await ticket_in(bot, desk, channel)
    assert ticket.last_activity_at is not None
    assert (ticket.closed_at - ticket.last_activity_at).total_seconds() >= 1.9
    reply = await say(sandbox, desk.lobby, desk.owner, "!ping")
    assert reply
