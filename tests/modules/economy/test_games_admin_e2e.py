"""Games, an admin's tools and the level-up reward end to end (the real bot in the sandbox)."""

from __future__ import annotations

import asyncio
import random

import pytest

from tests.support.moderation import audit_actions
from wolaro.modules.economy import bank, games
from wolaro.modules.economy.ledger import Balance

pytestmark = pytest.mark.timeout(60)


async def test_coinflip_and_slots_settle_bet_and_payout_together(town):
    ada = town.place.plain[0]
    await town.configure(min_bet=10, max_bet=500, house_edge_percent=5)
    await town.say(town.place.owner, f"!economy give <@{ada}> 1000")
    town.bot.get_cog("economy.EconomyGames").rng = random.Random(42)
    twin = random.Random(42)

    assert "Bets from 🪙 10 coins to 🪙 500 coins." in await town.say(ada, "!bet")
    flip = await town.slash(ada, "bet", {"side": "heads", "amount": "100"}, subcommand="coinflip")
    side = twin.choice(games.SIDES)
    wallet = 1000 + (90 if side == "heads" else -100)
    if side == "heads":
        assert flip["content"] == f"heads: you win 🪙 190 coins! Wallet: 🪙 {wallet:,} coins."
    else:
        assert flip["content"] == f"tails: you lose 🪙 100 coins. Wallet: 🪙 {wallet:,} coins."

    spin = await town.slash(ada, "bet", {"amount": "200"}, subcommand="slots")
    expected = games.slots(200, 5, twin)
    wallet += expected.payout - 200
    assert spin["content"].startswith(expected.shown) and f"Wallet: 🪙 {wallet:,} coins." in spin["content"]

    assert await town.say(ada, "!bet slots 5") == "Bets here are from 10 to 500."
    assert await town.say(ada, "!bet coinflip tails 501") == "Bets here are from 10 to 500."
    assert await town.say(ada, "!bet coinflip tails -1") == "The amount must be positive."
    broke = town.place.plain[1]
    assert await town.say(broke, "!bet slots 100") == "You only have 0 in your wallet."
    assert await town.say(broke, "!bet slots all") == "You have nothing to use for `all`."
    assert (await town.balance(ada)).wallet == wallet and (await town.sums()).consistent


async def test_admin_give_take_reset_are_audited_and_admin_only(town):
    owner, ada, bea = town.place.owner, town.place.plain[0], town.place.plain[1]
    await town.configure(max_balance=5_000)
    assert await town.say(bea, f"!economy give <@{ada}> 100") == "You need the Manage Server permission to do this."
    assert (
        "Nobody may hold more than 🪙 5,000 coins." in (await town.slash(bea, "economy", subcommand="show"))["content"]
    )
    given = await town.slash(owner, "economy", {"member": ada, "amount": "2.5k"}, subcommand="give")
    assert given["content"] == f"Gave 🪙 2,500 coins to <@{ada}>. Their wallet: 🪙 2,500 coins."
    assert await town.say(owner, f"!economy give <@{ada}> 2501") == (
        f"<@{ada}> cannot hold that much: nobody may have more than 5,000."
    )
    await town.say(ada, "!deposit 1000")
    taken = await town.slash(owner, "economy", {"member": ada, "amount": "2000"}, subcommand="take")
    assert taken["content"] == f"Took 🪙 2,000 coins from <@{ada}>. They have 🪙 500 coins left."
    assert await town.balance(ada) == Balance(0, 500)  # wallet first, then bank
    assert await town.say(owner, f"!economy take <@{ada}> 501") == f"<@{ada}> only has 500."
    assert await town.say(owner, f"!economy reset <@{ada}>") == f"Reset <@{ada}>: they had 🪙 500 coins."
    assert await town.say(owner, f"!economy give <@{town.bot.user.id}> 5") == "Bots have no wallet."
    assert (await town.balance(ada)).total == 0 and (await town.sums()).consistent
    economy = [a for a in await audit_actions(town.bot, town.guild) if a.startswith("economy.")]
    assert economy == ["economy.give", "economy.take", "economy.reset"]


async def test_level_up_pays_a_reward_per_level_only_where_economy_is_on(town):
    ada = town.place.plain[0]
    other_guild = town.sandbox.guild_ids()[1]
    other_member = town.sandbox.member_ids(other_guild)[2]
    await town.configure(level_up_reward=50)
    earned = asyncio.ensure_future(town.bot.wait_for("coins_earned", timeout=5))
    town.bot.dispatch("level_up", town.guild, ada, 4, 7)
    assert await earned == (town.guild, ada, 150, "level_up")
    assert (await town.balance(ada)).wallet == 150

    town.bot.dispatch("level_up", other_guild, other_member, 1, 2)  # economy is off there: nothing happens
    await asyncio.sleep(0.3)
    assert (await bank.balance(town.bot.services.db, other_guild, other_member)).total == 0
    await town.configure(level_up_reward=0)
    town.bot.dispatch("level_up", town.guild, ada, 7, 8)
    await asyncio.sleep(0.3)
    assert (await town.balance(ada)).wallet == 150 and (await town.sums()).consistent
