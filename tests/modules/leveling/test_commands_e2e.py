"""Leveling through discord.py and the sandbox: XP for messages, the cooldown under a burst, level-ups that grant
reward roles through the REST API, demotions that remove them, /rank cards, /levels, and the admin's /xp."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image

from wolaro.modules.leveling import store
from wolaro.sandbox import Sandbox

SCREENS = Path("/work/notes/screens/11")


def keep_screenshot(png: bytes) -> None:
    """The card as the bot sent it, for a person to look at."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    (SCREENS / "rank_card_e2e.png").write_bytes(png)


async def enable(bot: Any, guild: int, **config: Any) -> Any:
    """Switch leveling on in `guild` with `config`; the leveling cog."""
    await bot.config.set_module_enabled(guild, "leveling", True, actor_id=None)
    if config:
        await bot.config.update_module_config(guild, "leveling", config, actor_id=None)
    return bot.get_cog("leveling")


async def slash(sandbox: Sandbox, guild: int, channel: int, user: int, name: str, options: Any = None, sub: Any = None):
    record = await sandbox.invoke_slash(guild, channel, user, name, options, subcommand=sub)
    return await sandbox.wait_for_interaction_response(record, timeout=10)


async def xp_of(bot: Any, guild: int, user: int) -> int:
    return await store.total(bot.services.db, guild, user)


async def settle(sandbox: Sandbox, cog: Any, guild: int, channel: int, owner: int) -> None:
    """Wait until the bot handled every message sent so far (a command's answer comes after them), then flush."""
    await sandbox.send_message(channel, owner, "!levels 999")
    await sandbox.wait_for_message(channel, timeout=10)
    await cog.flush()


async def test_cooldown_holds_under_a_burst(sandbox: Sandbox, bot: Any) -> None:
    guild = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild)[0]
    owner, _, ada, bob = sandbox.member_ids(guild)[:4]
    cog = await enable(bot, guild, xp_min=10, xp_max=10, cooldown_seconds=60)
    for index in range(25):
        await sandbox.send_message(channel, ada, f"burst {index}")
    await sandbox.send_message(channel, bob, "hello")
    await settle(sandbox, cog, guild, channel, owner)
    assert await xp_of(bot, guild, ada) == 10  # one rewarded message in the burst
    assert await xp_of(bot, guild, bob) == 10
    for index in range(5):
        await sandbox.send_message(channel, ada, f"still cooling {index}")
    await settle(sandbox, cog, guild, channel, owner)
    assert await xp_of(bot, guild, ada) == 10


async def test_no_xp_channel_and_other_guilds(sandbox: Sandbox, bot: Any) -> None:
    guild, other = sandbox.guild_ids()[:2]
    general, quiet = sandbox.text_channel_ids(guild)[:2]
    owner, _, ada = sandbox.member_ids(guild)[:3]
    cog = await enable(bot, guild, xp_min=7, xp_max=7, cooldown_seconds=0, no_xp_channel_ids=[quiet])
    await sandbox.send_message(quiet, ada, "nothing here")
    await sandbox.send_message(sandbox.text_channel_ids(other)[0], sandbox.member_ids(other)[2], "module off here")
    await settle(sandbox, cog, guild, general, owner)
    assert await xp_of(bot, guild, ada) == 0
    assert await xp_of(bot, other, sandbox.member_ids(other)[2]) == 0
    await sandbox.send_message(general, ada, "counts")
    await sandbox.send_message(general, ada, "counts too (no cooldown)")
    await settle(sandbox, cog, guild, general, owner)
    assert await xp_of(bot, guild, ada) == 14


async def test_level_up_grants_the_reward_role_and_a_demotion_removes_it(sandbox: Sandbox, bot: Any) -> None:
    guild = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild)[0]
    owner, _, ada = sandbox.member_ids(guild)[:3]
    reward = sandbox.role_id(guild, "Moderator")  # below the bot's role: it may give it
    events: list[tuple[int, int, int, int]] = []

    async def on_level_up(guild_id: int, user_id: int, old: int, new: int) -> None:
        events.append((guild_id, user_id, old, new))

    bot.add_listener(on_level_up, "on_level_up")
    await enable(bot, guild, xp_min=120, xp_max=120, cooldown_seconds=0, role_rewards=[{"level": 1, "role_id": reward}])
    await sandbox.send_message(channel, ada, "my first message")
    announced = await sandbox.wait_for_message(channel, predicate=lambda m: "level 1" in m["content"], timeout=10)
    assert announced["content"] == f"GG <@{ada}>, you reached level 1!"
    await sandbox.wait_for_request("PUT", rf"/guilds/{guild}/members/{ada}/roles/{reward}$", timeout=10)
    assert reward in sandbox.state.guild(guild).members[ada].roles
    assert events == [(guild, ada, 0, 1)]

    answer = await slash(sandbox, guild, channel, owner, "xp", {"member": ada, "amount": 50}, "set")
    assert answer["content"] == f"<@{ada}> now has 50 XP (level 0)."
    await sandbox.wait_for_request("DELETE", rf"/guilds/{guild}/members/{ada}/roles/{reward}$", timeout=10)
    assert reward not in sandbox.state.guild(guild).members[ada].roles
    assert events == [(guild, ada, 0, 1)]  # a demotion is no level-up


async def test_announcement_in_a_chosen_channel_with_the_servers_template(sandbox: Sandbox, bot: Any) -> None:
    guild = sandbox.guild_ids()[0]
    general, news = sandbox.text_channel_ids(guild)[:2]
    ada = sandbox.member_ids(guild)[2]
    await enable(
        bot,
        guild,
        xp_min=300,
        xp_max=300,
        announce="channel",
        announce_channel_id=news,
        announce_template="{user} is level {level} in {guild}! {0} {user.__class__}",
    )
    await sandbox.send_message(general, ada, "hi")
    message = await sandbox.wait_for_message(news, timeout=10)
    name = sandbox.state.guild(guild).name
    assert message["content"] == f"<@{ada}> is level 2 in {name}! {{0}} {{user.__class__}}"


async def test_rank_card_renders(sandbox: Sandbox, bot: Any) -> None:
    guild = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild)[0]
    owner, _, ada = sandbox.member_ids(guild)[:3]
    cog = await enable(bot, guild, xp_min=20, xp_max=20, cooldown_seconds=0)
    for index in range(8):
        await sandbox.send_message(channel, ada, f"message {index}")
    await settle(sandbox, cog, guild, channel, owner)
    answer = await slash(sandbox, guild, channel, ada, "rank")
    assert "level 1, 160 XP, rank #1" in answer["content"]
    (attachment,) = answer["message"]["attachments"]
    assert attachment["filename"] == "rank.png"
    png = sandbox.state.attachments[int(attachment["id"])]
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (934, 282)
    keep_screenshot(png)
    await sandbox.send_message(channel, owner, f"!rank <@{ada}>")
    reply = await sandbox.wait_for_message(channel, timeout=10)
    assert reply["attachments"] and "rank #1" in reply["content"]
    refused = await slash(sandbox, guild, channel, ada, "rank", {"member": sandbox.state.application_id})
    assert refused["content"] == "Bots do not earn XP." and refused["ephemeral"]


async def test_levels_leaderboard_and_its_refusals(sandbox: Sandbox, bot: Any) -> None:
    guild = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild)[0]
    owner, _, ada, bob = sandbox.member_ids(guild)[:4]
    cog = await enable(bot, guild, xp_min=10, xp_max=10, cooldown_seconds=0)
    empty = await slash(sandbox, guild, channel, ada, "levels")
    assert empty["content"] == "Nobody has earned XP here yet."
    for author, count in ((ada, 3), (bob, 1)):
        for index in range(count):
            await sandbox.send_message(channel, author, f"hello {index}")
    await settle(sandbox, cog, guild, channel, owner)
    board = await slash(sandbox, guild, channel, bob, "levels")
    description = board["embeds"][0]["description"]
    assert description.index(f"<@{ada}>") < description.index(f"<@{bob}>")
    assert f"**#1** <@{ada}>: level 0 (30 XP)" in description
    refused = await slash(sandbox, guild, channel, bob, "levels", {"page": 5})
    assert refused["content"] == "There is no page 5: the leaderboard has 1 pages." and refused["ephemeral"]


async def test_xp_admin_commands_and_refusals(sandbox: Sandbox, bot: Any) -> None:
    guild = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild)[0]
    owner, _, ada, bob = sandbox.member_ids(guild)[:4]
    await enable(bot, guild)
    usage = await slash(sandbox, guild, channel, owner, "xp", None, "show")
    assert usage["content"] == "Use `xp set`, `xp add`, `xp reset`, `xp import` or `xp export`."
    denied = await slash(sandbox, guild, channel, bob, "xp", {"member": ada, "amount": 10}, "set")
    assert denied["ephemeral"] and "Manage Server" in denied["content"]
    assert await xp_of(bot, guild, ada) == 0
    added = await slash(sandbox, guild, channel, owner, "xp", {"member": ada, "amount": 300}, "add")
    assert added["content"] == f"<@{ada}> now has 300 XP (level 2)."
    taken = await slash(sandbox, guild, channel, owner, "xp", {"member": ada, "amount": -1000}, "add")
    assert taken["content"] == f"<@{ada}> now has 0 XP (level 0)."
    for options, sub, text in [
        ({"member": ada, "amount": -5}, "set", "Give an XP total from 0 to"),
        ({"member": ada, "amount": 0}, "add", "Give an amount of XP other than 0"),
        ({"member": sandbox.state.application_id, "amount": 5}, "set", "Bots do not earn XP."),
        ({}, "reset", "Name the member whose XP to remove, or choose everyone."),
        ({"member": ada, "everyone": True}, "reset", "Name a member or choose everyone, not both."),
    ]:
        answer = await slash(sandbox, guild, channel, owner, "xp", options, sub)
        assert answer["ephemeral"] and text in answer["content"], (sub, options, answer["content"])
    await slash(sandbox, guild, channel, owner, "xp", {"member": ada, "amount": 40}, "set")
    await slash(sandbox, guild, channel, owner, "xp", {"member": bob, "amount": 60}, "set")
    reset = await slash(sandbox, guild, channel, owner, "xp", {"member": ada}, "reset")
    assert reset["content"] == f"<@{ada}> has no XP any more."
    assert await xp_of(bot, guild, ada) == 0 and await xp_of(bot, guild, bob) == 60
    everyone = await slash(sandbox, guild, channel, owner, "xp", {"everyone": True}, "reset")
    assert everyone["content"] == "XP removed from 1 members."
    await sandbox.send_message(channel, owner, f"!xp set <@{bob}> 255")
    reply = await sandbox.wait_for_message(channel, timeout=10)
    assert reply["content"] == f"<@{bob}> now has 255 XP (level 2)."


async def test_xp_import_and_export_as_csv(sandbox: Sandbox, bot: Any) -> None:
    guild = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild)[0]
    owner, _, ada, bob = sandbox.member_ids(guild)[:4]
    await enable(bot, guild)
    csv_file = f"user_id,level\n{ada},2\n{bob},0\n".encode()
    imported = await slash(sandbox, guild, channel, owner, "xp", {"file": ("mee6.csv", csv_file)}, "import")
    assert imported["content"] == "Imported the XP of 2 members."
    assert await xp_of(bot, guild, ada) == 255
    bad = await slash(sandbox, guild, channel, owner, "xp", {"file": ("bad.csv", b"user_id,xp\n1,many\n")}, "import")
    assert bad["content"] == "Line 2 is not a member id and a whole number of XP or a level." and bad["ephemeral"]
    headless = await slash(sandbox, guild, channel, owner, "xp", {"file": ("x.csv", b"a,b\n1,2\n")}, "import")
    assert headless["content"] == "The first line must name the columns: user_id, and xp or level."
    exported = await slash(sandbox, guild, channel, owner, "xp", None, "export")
    assert exported["content"] == "Levels of 1 members."
    (attachment,) = exported["message"]["attachments"]
    assert sandbox.state.attachments[int(attachment["id"])].decode() == f"user_id,level,xp\n{ada},2,255\n"
    denied = await slash(sandbox, guild, channel, bob, "xp", None, "export")
    assert denied["ephemeral"] and "Manage Server" in denied["content"]


async def test_level_up_announced_by_direct_message(sandbox: Sandbox, bot: Any) -> None:
    guild = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild)[0]
    ada = sandbox.member_ids(guild)[2]
    await enable(bot, guild, xp_min=100, xp_max=100, announce="dm")
    await sandbox.send_message(channel, ada, "hello")
    dm = await sandbox.open_dm(ada)
    message = await sandbox.wait_for_message(dm, timeout=10)
    assert message["content"] == f"GG <@{ada}>, you reached level 1!"
    assert not [m for m in sandbox.bot_messages(channel) if "level 1" in m["content"]]
