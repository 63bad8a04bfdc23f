"""Erasing a member keeps the server's books balanced: their account and ledger rows go together, and their id is
blanked in the rows of the people they traded with (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select

from wolaro.modules.economy import bank, ledger, people, shop
from wolaro.modules.economy.models import EconomyLedger
from wolaro.modules.economy.privacy import PRIVACY

GUILD, OTHER_GUILD, ADMIN, ADA, BEA = 10, 11, 1, 2, 3


async def test_erasing_a_member_keeps_balances_equal_to_the_ledger(migrated_db):
    db = migrated_db
    await bank.give(db, GUILD, ADMIN, ADA, 500, max_total=10_000)
    await bank.give(db, OTHER_GUILD, ADMIN, ADA, 70, max_total=10_000)
    await bank.pay(db, GUILD, ADA, BEA, "200", max_total=10_000)
    await bank.pay(db, GUILD, BEA, ADA, "50", max_total=10_000)
    await shop.save_item(db, GUILD, ADMIN, {"name": "Cookie", "price": 10}, None)
    await shop.buy(db, GUILD, ADA, "Cookie", 2)
    await people.remember(db, GUILD, [people.Person(ADA, "Ada", "f00d")])

    exported = await PRIVACY.export_user_data(db, ADA, GUILD)
    assert [(b["wallet"], b["name_shown_on_leaderboard"]) for b in exported["balances"]] == [(330, "Ada")]
    assert [r["why"] for r in exported["ledger"]] == ["give", "pay", "pay", "buy"]
    assert [r["user_id"] for r in exported["ledger_naming_you"]] == [BEA, BEA]  # Bea's rows of their payments
    assert exported["inventory"][0]["quantity"] == 2
    assert set(await PRIVACY.export_user_data(db, ADA, None)) >= {"balances", "ledger", "inventory"}

    assert await PRIVACY.delete_user_data(db, ADA, GUILD) > 0
    async with db.session() as session:
        sums = await ledger.sums(session, GUILD)
        assert sums.consistent and sums.wallets == 150  # Bea's balance, which her own rows add up to
        others = (await session.scalars(select(EconomyLedger.other_user_id).where(EconomyLedger.user_id == BEA))).all()
        assert others == [None, None]
        assert (await ledger.sums(session, OTHER_GUILD)).wallets == 70  # another server keeps her there
    assert await PRIVACY.export_user_data(db, ADA, GUILD) == {}
    assert await shop.inventory(db, GUILD, ADA) == []
