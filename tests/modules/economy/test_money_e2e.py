"""Balance, rewards, bank and payments end to end: the real bot, prefix and slash commands in the sandbox."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from wolaro.modules.economy.models import EconomyAccount

pytestmark = pytest.mark.timeout(60)


async def test_rewards_bank_and_balance(town):
    ada, bea = town.place.plain[0], town.place.plain[1]
    await town.configure(
        daily_amount=100, weekly_amount=700, work_min=20, work_max=20, currency_name="gems", currency_symbol="💎"
    )
    assert await town.say(ada, "!balance") == f"<@{ada}>: wallet 💎 0 gems, bank 💎 0 gems, total 💎 0 gems."
    earned = asyncio.ensure_future(town.bot.wait_for("coins_earned", timeout=5))
    assert await town.say(ada, "!daily") == "You got your daily 💎 100 gems. Wallet: 💎 100 gems."
    assert await earned == (town.guild, ada, 100, "daily")  # for other modules (leveling, statistics...)
    again = await town.slash(ada, "daily")
    assert again["ephemeral"] and again["content"].startswith("Come back in 23 h 59 min")
    assert (await town.slash(ada, "weekly"))["content"] == "You got your weekly 💎 700 gems. Wallet: 💎 800 gems."
    assert "Come back in 6 d" in await town.say(ada, "!weekly")
    assert await town.say(ada, "!work") == "You worked a shift and earned 💎 20 gems. Wallet: 💎 820 gems."
    assert "Come back in 59 min" in await town.say(ada, "!work")

    deposit = await town.slash(ada, "deposit", {"amount": "half"})
    assert deposit["content"] == "Deposited 💎 410 gems. Wallet 💎 410 gems, bank 💎 410 gems."
    assert await town.say(ada, "!deposit 1k") == "You only have 410 in your wallet."
    assert await town.say(ada, "!withdraw 0") == "The amount must be more than zero."
    assert await town.say(ada, "!withdraw all") == "Withdrew 💎 410 gems. Wallet 💎 820 gems, bank 💎 0 gems."
    assert await town.say(ada, "!withdraw all") == "You have nothing to use for `all`."
    shown = await town.slash(bea, "balance", {"member": ada})
    assert shown["content"] == f"<@{ada}>: wallet 💎 820 gems, bank 💎 0 gems, total 💎 820 gems."
    assert await town.say(ada, f"!balance <@{town.bot.user.id}>") == "Bots have no wallet."
    assert (await town.balance(ada)).wallet == 820
    assert (await town.sums()).consistent


async def test_pay_and_its_refusals(town):
    ada, bea, cy = town.place.plain
    await town.configure(daily_amount=500, max_balance=1000)
    await town.say(ada, "!daily")
    paid = await town.slash(ada, "pay", {"member": bea, "amount": "120"})
    assert paid["content"] == f"You paid 🪙 120 coins to <@{bea}>. Your wallet: 🪙 380 coins."

    minus = await town.slash(ada, "pay", {"member": bea, "amount": "-5"})
    assert minus["ephemeral"] and minus["content"] == "The amount must be positive."
    assert await town.say(ada, f"!pay <@{bea}> -5") == "The amount must be positive."
    assert await town.say(cy, f"!pay <@{bea}> all") == "You have nothing to use for `all`."
    empty = await town.slash(cy, "pay", {"member": bea, "amount": "all"})
    assert empty["ephemeral"] and empty["content"] == "You have nothing to use for `all`."
    assert await town.say(ada, f"!pay <@{ada}> 10") == "You cannot pay yourself."
    assert (await town.slash(ada, "pay", {"member": town.bot.user.id, "amount": "10"}))["content"] == (
        "Bots have no wallet."
    )
    assert await town.say(ada, f"!pay <@{bea}> 1000") == "You only have 380 in your wallet."
    assert await town.say(ada, f"!pay <@{bea}> lots") == "`lots` is not an amount: type a number like 100, 2.5k or 1m."
    assert await town.say(ada, f"!pay <@{bea}> 99999999999999999999") == (
        "That is too much: at most 9,223,372,036,854,775,807 at once."
    )
    await town.say(town.place.owner, f"!economy give <@{bea}> 600")  # bea: 720 of the 1000 anyone may hold
    assert await town.say(ada, f"!pay <@{bea}> 281") == (
        f"<@{bea}> cannot hold that much: nobody may have more than 1,000."
    )
    assert await town.say(bea, "!daily") == "You cannot hold more than 1,000 here: spend some first."
    assert (
        await town.say(ada, f"!pay <@{bea}> half") == f"You paid 🪙 190 coins to <@{bea}>. Your wallet: 🪙 190 coins."
    )
    assert [(await town.balance(u)).wallet for u in (ada, bea, cy)] == [190, 910, 0]
    sums = await town.sums()
    assert sums.consistent and sums.wallets == 1100
    names = {u: town.sandbox.display_name(town.guild, u) for u in (ada, bea)}  # remembered for the public board
    async with town.bot.services.db.session() as session:
        stored = dict((await session.execute(select(EconomyAccount.user_id, EconomyAccount.name))).all())
    assert {u: stored[u] for u in names} == names


async def test_leaderboard_pages(town):
    members = town.sandbox.member_ids(town.guild)[:6]
    assert await town.say(members[0], "!leaderboard") == "Nobody has any money here yet: try /daily."
    for rank, user in enumerate(members):
        await town.say(town.place.owner, f"!economy give <@{user}> {(rank + 1) * 100}")
    board = await town.slash(members[1], "leaderboard")
    embed = board["embeds"][0]
    assert embed["title"] == "Richest members" and embed["footer"]["text"] == "Page 1 of 1"
    lines = embed["description"].splitlines()
    assert lines[0] == f"**1.** <@{members[5]}> 🪙 600 coins" and lines[-1] == f"**6.** <@{members[0]}> 🪙 100 coins"
    far = await town.slash(members[1], "leaderboard", {"page": 3})
    assert far["embeds"][0]["footer"]["text"] == "Page 1 of 1"


async def test_commands_are_silent_where_economy_is_off(sandbox, bot):
    guild = sandbox.guild_ids()[1]
    channel = sandbox.text_channel_ids(guild)[0]
    member = sandbox.member_ids(guild)[2]
    await sandbox.send_message(channel, member, "!daily")
    with pytest.raises(TimeoutError):
        await sandbox.wait_for_message(channel, timeout=0.5)


async def test_answers_in_the_servers_language(town):
    ada = town.place.plain[0]
    await town.say(town.place.owner, "!language fr")
    assert await town.say(ada, f"!pay <@{ada}> 5") == "Vous ne pouvez pas vous payer vous-même."
    assert await town.say(ada, "!daily") == "Vous avez reçu vos 🪙 100 coins du jour. Portefeuille : 🪙 100 coins."
    refused = await town.slash(ada, "pay", {"member": town.place.plain[1], "amount": "-5"})
    assert refused["content"] == "Le montant doit être positif."
