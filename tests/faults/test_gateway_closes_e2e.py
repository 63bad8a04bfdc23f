"""The gateway closes the bot's socket (issue 16, item 4): 4000 and 1001 are RESUMEd, 4009 starts a new session.

The sandbox closes the socket as Discord does and keeps dispatching: messages sent while the socket is down are
replayed on RESUME and must be answered. After 4009 (session timed out) Discord refuses the RESUME and replays
nothing: the bot must IDENTIFY again and answer what comes after; what was sent in the gap is lost by Discord's
design, and the figures say how much.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from wolaro.core.bot import WolaroBot
from wolaro.sandbox import Sandbox

pytestmark = pytest.mark.timeout(90)

SENT_WHILE_DOWN = 5


async def count_answers(sandbox: Sandbox, channel: int, *, expected: int, within: float) -> int:
    got = 0
    deadline = time.monotonic() + within
    while got < expected and (remaining := deadline - time.monotonic()) > 0:
        try:
            await sandbox.wait_for_message(channel, timeout=remaining)
        except TimeoutError:
            break
        got += 1
    return got


@pytest.mark.parametrize(("code", "resumes"), [(4000, True), (1001, True), (4009, False)])
async def test_gateway_close(sandbox: Sandbox, bot: WolaroBot, code: int, resumes: bool, fault_figures: Any) -> None:
    guild = sandbox.guild_ids()[0]
    channel, owner = sandbox.text_channel_ids(guild)[0], sandbox.owner_id(guild)
    shard = bot.get_guild(guild).shard_id  # type: ignore[union-attr]
    identifies = sandbox.gateway.identify_count
    sandbox.gateway.identify_rules.enforce = True  # a re-IDENTIFY too soon is refused, as Discord does

    await sandbox.drop_connection(shard, code=code)
    for _ in range(SENT_WHILE_DOWN):
        await sandbox.send_message(channel, owner, "!ping")
    handled = await count_answers(sandbox, channel, expected=SENT_WHILE_DOWN, within=10 if resumes else 3)

    # whatever happened to the gap, the bot serves the guild again
    after = 0
    for _ in range(20):
        await sandbox.send_message(channel, owner, "!ping")
        if await count_answers(sandbox, channel, expected=1, within=1):
            after = 1
            break
    new_sessions = sandbox.gateway.identify_count - identifies
    fault_figures(
        f"gateway closed with {code}",
        resumed=new_sessions == 0,
        replayed_on_resume=sandbox.gateway.last_replayed if resumes else 0,
        sent_while_down=SENT_WHILE_DOWN,
        handled=handled,
        events_lost=SENT_WHILE_DOWN - handled,
        lost_by_discord_design=not resumes,
        answers_after_reconnect=after,
        identify_rule_violations=sum(sandbox.gateway.identify_rules.violations.values()),
    )
    assert after == 1
    assert sandbox.gateway.identify_rules.violations == {}
    if resumes:
        assert new_sessions == 0
        assert handled == SENT_WHILE_DOWN
    else:
        assert new_sessions == 1
