"""The starboard through the real bot and the sandbox: 50 stars in one burst make one post with the right count,
the count follows stars taken back, self-stars and NSFW channels are handled, and a removed post comes back once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

from tests.support.harness import bot_settings, running_bot
from tests.support.moderation import say
from wolaro.sandbox import Sandbox

pytestmark = pytest.mark.timeout(90)


@dataclass
class Room:
    guild: int
    general: int
    board: int
    nsfw: int
    nsfw_board: int
    owner: int
    members: list[int]


@pytest_asyncio.fixture
async def room(tmp_path) -> AsyncIterator[tuple[Sandbox, Room]]:
    """One guild of 56 members; its third channel is age-restricted (NSFW)."""
    async with Sandbox(guilds=1, members_per_guild=56, text_channels_per_guild=4) as sandbox:
        guild = sandbox.guild_ids()[0]
        general, board, nsfw, nsfw_board = sandbox.text_channel_ids(guild)
        sandbox.state.channel(nsfw).nsfw = True
        sandbox.state.channel(nsfw_board).nsfw = True
        place = Room(guild, general, board, nsfw, nsfw_board, sandbox.owner_id(guild), sandbox.member_ids(guild))
        async with running_bot(sandbox, bot_settings(sandbox, tmp_path)):
            yield sandbox, place


def on_board(sandbox: Sandbox, channel: int) -> list[dict]:
    """The bot's messages in `channel` now (deleted ones gone)."""
    bot = str(sandbox.state.bot_user_id)
    return [m for m in sandbox.state.history(channel).values() if m["author"]["id"] == bot]


async def configure(sandbox: Sandbox, place: Room, key: str, value: str) -> None:
    reply = await say(sandbox, place.general, place.owner, f"!config set starboard {key} {value}")
    assert "is now" in reply["content"], reply["content"]


async def settle(sandbox: Sandbox, channel: int, check, within: float = 15.0) -> list[dict]:
    """Wait until the board satisfies `check` and stays so for a moment (late duplicates would show)."""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        posts = on_board(sandbox, channel)
        if check(posts):
            await asyncio.sleep(0.5)
            posts = on_board(sandbox, channel)
            if check(posts):
                return posts
        await asyncio.sleep(0.05)
    raise AssertionError(f"board never settled: {[p['content'] for p in on_board(sandbox, channel)]}")


async def test_fifty_stars_at_once_make_one_post_with_the_right_count(room):
    sandbox, place = room
    assert "enabled" in (await say(sandbox, place.general, place.owner, "!modules enable starboard"))["content"]
    await configure(sandbox, place, "channel_id", str(place.board))
    await configure(sandbox, place, "threshold", "5")
    author = place.members[55]
    message = await sandbox.send_message(place.general, author, "the best joke of the year")

    stars = place.members[2:52]
    started = time.perf_counter()
    await asyncio.gather(
        sandbox.add_reaction(place.general, int(message["id"]), author, "⭐"),  # a self-star: ignored
        *(sandbox.add_reaction(place.general, int(message["id"]), user, "⭐") for user in stars),
    )
    burst_ms = (time.perf_counter() - started) * 1000
    print(f"51 reactions dispatched in {burst_ms:.1f} ms")

    (post,) = await settle(sandbox, place.board, lambda p: len(p) == 1 and p[0]["content"].startswith("⭐ **50**"))
    assert post["content"] == f"⭐ **50** · <#{place.general}>"
    assert post["embeds"][0]["description"] == "the best joke of the year"
    assert "Jump to the message" in post["embeds"][0]["fields"][0]["value"]
    assert len([m for m in sandbox.bot_messages(place.board)]) == 1  # never a second post, even deleted

    # stars taken back: the count follows, then the post goes below the threshold
    await asyncio.gather(
        *(sandbox.remove_reaction(place.general, int(message["id"]), user, "⭐") for user in stars[:40])
    )
    await settle(sandbox, place.board, lambda p: len(p) == 1 and p[0]["content"].startswith("⭐ **10**"))
    await asyncio.gather(
        *(sandbox.remove_reaction(place.general, int(message["id"]), user, "⭐") for user in stars[40:47])
    )
    await settle(sandbox, place.board, lambda p: p == [])
    await asyncio.gather(*(sandbox.add_reaction(place.general, int(message["id"]), u, "⭐") for u in stars[:4]))
    (again,) = await settle(sandbox, place.board, lambda p: len(p) == 1 and p[0]["content"].startswith("⭐ **7**"))
    assert again["id"] != post["id"]


async def test_nsfw_channels_only_reach_the_nsfw_board_and_kept_posts_stay(room):
    sandbox, place = room
    await say(sandbox, place.general, place.owner, "!modules enable starboard")
    await configure(sandbox, place, "channel_id", str(place.board))
    await configure(sandbox, place, "threshold", "2")
    await configure(sandbox, place, "ignore_self_stars", "false")
    spicy = await sandbox.send_message(place.nsfw, place.members[3], "not for everyone")
    for user in place.members[3:6]:
        await sandbox.add_reaction(place.nsfw, int(spicy["id"]), user, "⭐")
    await asyncio.sleep(1)
    assert on_board(sandbox, place.board) == [] and on_board(sandbox, place.nsfw_board) == []

    await configure(sandbox, place, "nsfw_channel_id", str(place.nsfw_board))
    await configure(sandbox, place, "keep_below_threshold", "true")
    await sandbox.add_reaction(place.nsfw, int(spicy["id"]), place.members[6], "⭐")
    (post,) = await settle(sandbox, place.nsfw_board, lambda p: len(p) == 1 and "**4**" in p[0]["content"])
    assert on_board(sandbox, place.board) == []
    for user in place.members[3:6]:
        await sandbox.remove_reaction(place.nsfw, int(spicy["id"]), user, "⭐")
    (kept,) = await settle(sandbox, place.nsfw_board, lambda p: len(p) == 1 and "**1**" in p[0]["content"])
    assert kept["id"] == post["id"]


async def test_stars_cleared_by_a_moderator_take_the_post_off_the_board(room):
    sandbox, place = room
    await say(sandbox, place.general, place.owner, "!modules enable starboard")
    await configure(sandbox, place, "channel_id", str(place.board))
    await configure(sandbox, place, "threshold", "3")
    message = await sandbox.send_message(place.general, place.members[9], "clear me")
    for user in place.members[2:6]:
        await sandbox.add_reaction(place.general, int(message["id"]), user, "⭐")
    await settle(sandbox, place.board, lambda p: len(p) == 1 and p[0]["content"].startswith("⭐ **4**"))
    await sandbox.clear_reactions(place.general, int(message["id"]), place.owner, "⭐")
    await settle(sandbox, place.board, lambda p: p == [])
    await sandbox.add_reaction(place.general, int(message["id"]), place.members[2], "⭐")  # counting starts again
    await asyncio.sleep(0.5)
    assert on_board(sandbox, place.board) == []
