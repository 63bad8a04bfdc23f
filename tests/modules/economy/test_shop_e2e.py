"""The shop end to end: admins stock it, members buy, hold and use items; role items grant their role through
Discord's REST API, and are refunded when Discord refuses (a role above the bot's highest role)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.moderation import rest_calls
from wolaro.modules.economy.models import EconomyLedger

pytestmark = pytest.mark.timeout(60)


def role_named(town, name: str) -> int:
    return next(r.id for r in town.sandbox.state.guild(town.guild).roles.values() if r.name == name)


async def test_stock_buy_hold_use_and_remove(town):
    owner, ada = town.place.owner, town.place.plain[0]
    assert await town.say(ada, "!shop") == "The shop is empty: admins add items with /shop add or on the dashboard."
    refused = await town.slash(ada, "shop", {"name": "Cookie", "price": "100"}, subcommand="add")
    assert refused["ephemeral"] and refused["content"] == "You need the Manage Server permission to do this."
    added = await town.slash(
        owner, "shop", {"name": "Cookie", "price": "100", "use_message": "Crunch! Delicious."}, subcommand="add"
    )
    assert added["content"] == "Cookie is in the shop for 🪙 100 coins."
    assert await town.say(owner, "!shop add cookie 5") == "The shop already has an item called Cookie."
    assert await town.say(owner, "!shop add Cake -3") == "The amount must be positive."
    listed = await town.slash(ada, "shop", subcommand="list")
    assert [f["name"] for f in listed["embeds"][0]["fields"]] == ["Cookie · 🪙 100 coins"]

    assert await town.say(ada, "!buy Cookie") == "Cookie costs 100 and you have 0 in your wallet."
    assert await town.say(ada, "!buy Pizza") == "The shop has no item called Pizza."
    await town.say(owner, f"!economy give <@{ada}> 350")
    bought = await town.slash(ada, "buy", {"item": "cookie", "quantity": 3})
    assert bought["content"] == "You bought 3 × Cookie for 🪙 300 coins. Wallet: 🪙 50 coins."
    held = await town.slash(ada, "inventory")
    assert held["ephemeral"] and held["content"] == "Your items:\n3 × Cookie"
    assert await town.say(ada, "!use Cookie") == "Crunch! Delicious. (2 left)"
    assert (await town.slash(ada, "use", {"item": "COOKIE"}))["content"] == "Crunch! Delicious. (1 left)"

    assert await town.say(owner, "!shop edit Cookie 80 Biscuit") == "Biscuit now costs 🪙 80 coins."
    assert await town.say(ada, "!use Biscuit") == "Crunch! Delicious. (0 left)"
    assert await town.say(ada, "!use Biscuit") == "You have no Biscuit: buy one with /buy."
    assert (await town.slash(town.place.plain[1], "inventory"))["content"] == "You hold no items: see /shop."
    assert await town.say(owner, "!shop remove Biscuit") == "Biscuit is no longer in the shop."
    assert await town.say(ada, "!buy Biscuit") == "The shop has no item called Biscuit."
    assert (await town.balance(ada)).wallet == 50 and (await town.sums()).consistent


async def test_role_items_grant_the_role_or_are_refunded(town):
    owner, ada = town.place.owner, town.place.plain[0]
    vip, boss = role_named(town, "Moderator"), role_named(town, "Admin")  # below and above the bot's role
    await town.say(owner, f"!shop add VIP 200 <@&{vip}>")
    await town.slash(owner, "shop", {"name": "Boss", "price": "300", "role": boss}, subcommand="add")
    await town.say(owner, f"!economy give <@{ada}> 1000")

    got = await town.slash(ada, "buy", {"item": "VIP"})
    assert got["content"] == "You bought VIP for 🪙 200 coins and got its role. Wallet: 🪙 800 coins."
    assert vip in town.sandbox.state.guild(town.guild).members[ada].roles
    (grant,) = rest_calls(town.sandbox, "PUT", f"/members/{ada}/roles/{vip}")
    assert grant.status == 204 and "VIP" in (grant.reason or "")
    assert await town.say(ada, "!buy VIP") == "You already have the role VIP gives."

    refunded = await town.slash(ada, "buy", {"item": "Boss"})
    assert refunded["ephemeral"]
    assert refunded["content"] == (
        "I could not give you the role of Boss (it is above my highest role, or I may not manage roles), "
        "so you got your 🪙 300 coins back. Tell an admin."
    )
    (refused,) = rest_calls(town.sandbox, "PUT", f"/members/{ada}/roles/{boss}")
    assert refused.status == 403
    assert boss not in town.sandbox.state.guild(town.guild).members[ada].roles
    assert (await town.balance(ada)).wallet == 800
    async with town.bot.services.db.session() as session:
        kinds = (
            await session.execute(
                select(EconomyLedger.kind, EconomyLedger.wallet_delta)
                .where(EconomyLedger.guild_id == town.guild, EconomyLedger.user_id == ada)
                .order_by(EconomyLedger.id)
            )
        ).all()
    assert kinds == [("give", 1000), ("buy", -200), ("buy", -300), ("refund", 300)]
    assert (await town.sums()).consistent
    assert (await town.slash(ada, "inventory"))["content"] == "You hold no items: see /shop."
