"""Names shown on the public leaderboard: stored only for members with an account, written only when changed, and
not looked up again while this process stored them lately."""

from __future__ import annotations

from sqlalchemy import select

from wolaro.modules.economy import bank, people
from wolaro.modules.economy.models import EconomyAccount

GUILD, ADMIN, ADA, BEA = 10, 1, 2, 3


async def names(db) -> dict[int, tuple[str | None, str | None]]:
    async with db.session() as session:
        rows = await session.execute(select(EconomyAccount.user_id, EconomyAccount.name, EconomyAccount.avatar))
        return {row.user_id: (row.name, row.avatar) for row in rows}


async def test_names_are_stored_for_members_with_an_account_only(migrated_db):
    db = migrated_db
    await bank.give(db, GUILD, ADMIN, ADA, 5, max_total=10_000)
    found = await people.remember(db, GUILD, [people.Person(ADA, "Ada", "f00d"), people.Person(BEA, "Bea", None)])
    assert found == {ADA}  # Bea has no account: nothing is created for her
    assert await names(db) == {ADA: ("Ada", "f00d")}
    assert await people.remember(db, GUILD, [people.Person(ADA, "Ada L.", None)]) == {ADA}
    assert await names(db) == {ADA: ("Ada L.", None)}


def test_recent_names_skip_the_unchanged_until_they_expire_and_stay_bounded(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(people.time, "monotonic", lambda: clock[0])
    recent = people.RecentNames(ttl=60, size=2)
    ada, bea, cid = people.Person(ADA, "Ada", None), people.Person(BEA, "Bea", None), people.Person(4, "Cid", None)
    assert recent.unknown(GUILD, [ada, bea], trust_absent=True) == [ada, bea]
    recent.learn(GUILD, [ada, bea], with_account={ADA})  # Bea has no account
    assert recent.unknown(GUILD, [ada, bea], trust_absent=True) == []  # e.g. after `balance`
    assert recent.unknown(GUILD, [ada, bea], trust_absent=False) == [bea]  # e.g. after `daily`: she may have one now
    assert recent.unknown(GUILD + 1, [ada], trust_absent=True) == [ada]  # another server's account is another row
    renamed = people.Person(ADA, "Ada L.", None)
    assert recent.unknown(GUILD, [renamed], trust_absent=True) == [renamed]
    clock[0] += 61
    assert recent.unknown(GUILD, [ada], trust_absent=True) == [ada]  # expired: looked up again
    recent.learn(GUILD, [ada, bea], with_account={ADA, BEA})
    recent.learn(GUILD, [cid], with_account={4})  # over the bound: the least recent (Ada) goes
    assert recent.unknown(GUILD, [ada, bea, cid], trust_absent=False) == [ada]
