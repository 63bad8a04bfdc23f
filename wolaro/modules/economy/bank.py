"""Moving money: deposit, withdraw, pay, an admin's give, take and reset, and the leaderboard.

Each function is one transaction of conditional updates with their ledger rows (`ledger.apply`); a refusal raises
`UserFacingError` and rolls everything back, so nothing is ever half-done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.modules.economy import ledger
from wolaro.modules.economy.amounts import format_amount, parse_amount
from wolaro.modules.economy.ledger import Balance, Move
from wolaro.modules.economy.models import EconomyAccount
from wolaro.sdk import Database, UserFacingError, record_audit

NAME = "economy"
GIVE_ACTION, TAKE_ACTION, RESET_ACTION = "economy.give", "economy.take", "economy.reset"
PAGE_SIZE = 10


async def balance(db: Database, guild_id: int, user_id: int) -> Balance:
    """A member's wallet and bank (zero for someone who never had money here)."""
    async with db.session() as session:
        return await ledger.balance_in(session, guild_id, user_id)


async def deposit(db: Database, guild_id: int, user_id: int, text: str) -> tuple[int, Balance]:
    """Move an amount (`text`, `all` and `half` allowed) from the wallet to the bank; the amount and the balance."""
    async with db.transaction() as session:
        before = await ledger.balance_in(session, guild_id, user_id, lock=True)
        amount = parse_amount(text, available=before.wallet)
        move = Move(user_id, "deposit", wallet=-amount, bank=amount)
        if not await ledger.apply(session, guild_id, move, max_total=None):
            raise UserFacingError("You only have {wallet} in your wallet.", wallet=format_amount(before.wallet))
        return amount, Balance(before.wallet - amount, before.bank + amount)


async def withdraw(db: Database, guild_id: int, user_id: int, text: str) -> tuple[int, Balance]:
    """Move an amount from the bank to the wallet; the amount and the balance."""
    async with db.transaction() as session:
        before = await ledger.balance_in(session, guild_id, user_id, lock=True)
        amount = parse_amount(text, available=before.bank)
        move = Move(user_id, "withdraw", wallet=amount, bank=-amount)
        if not await ledger.apply(session, guild_id, move, max_total=None):
            raise UserFacingError("You only have {bank} in the bank.", bank=format_amount(before.bank))
        return amount, Balance(before.wallet + amount, before.bank - amount)


async def transfer(
    session: AsyncSession, guild_id: int, sender: int, receiver: int, amount: int, *, max_total: int
) -> None:
    """Move `amount` from one wallet to another in the caller's transaction (both accounts locked already)."""
    moves = [
        Move(sender, "pay", wallet=-amount, other_user_id=receiver),
        Move(receiver, "pay", wallet=amount, other_user_id=sender),
    ]
    for move in sorted(moves, key=lambda m: m.user_id):
        if not await ledger.apply(session, guild_id, move, max_total=max_total):
            if move.user_id == sender:
                wallet = (await ledger.balance_in(session, guild_id, sender)).wallet
                raise UserFacingError("You only have {wallet} in your wallet.", wallet=format_amount(wallet))
            raise UserFacingError(
                "<@{user}> cannot hold that much: nobody may have more than {limit}.",
                user=receiver,
                limit=format_amount(max_total),
            )


async def pay(
    db: Database, guild_id: int, sender: int, receiver: int, text: str, *, max_total: int
) -> tuple[int, Balance]:
    """Pay another member from the wallet (`all` and `half` allowed); the amount and the sender's balance after."""
    if sender == receiver:
        raise UserFacingError("You cannot pay yourself.")
    async with db.transaction() as session:
        before = (await ledger.lock_accounts(session, guild_id, (sender, receiver)))[sender]
        amount = parse_amount(text, available=before.wallet)
        await transfer(session, guild_id, sender, receiver, amount, max_total=max_total)
        return amount, Balance(before.wallet - amount, before.bank)


async def give(db: Database, guild_id: int, admin: int, user_id: int, amount: int, *, max_total: int) -> Balance:
    """An admin adds `amount` to a member's wallet (recorded in the audit log); the member's balance after."""
    async with db.transaction() as session:
        await ledger.ensure_accounts(session, guild_id, (user_id,))
        if not await ledger.apply(session, guild_id, Move(user_id, "give", amount, 0, admin), max_total=max_total):
            raise UserFacingError(
                "<@{user}> cannot hold that much: nobody may have more than {limit}.",
                user=user_id,
                limit=format_amount(max_total),
            )
        after = await ledger.balance_in(session, guild_id, user_id)
        _audit(session, guild_id, admin, GIVE_ACTION, user_id, Balance(after.wallet - amount, after.bank), after)
        return after


async def take(db: Database, guild_id: int, admin: int, user_id: int, text: str) -> tuple[int, Balance]:
    """An admin removes an amount from a member (wallet first, then bank; `all` allowed); amount and balance after."""
    async with db.transaction() as session:
        before = await ledger.balance_in(session, guild_id, user_id, lock=True)
        amount = parse_amount(text, available=before.total)
        from_wallet = min(amount, before.wallet)
        move = Move(user_id, "take", -from_wallet, -(amount - from_wallet), admin)
        if amount > before.total or not await ledger.apply(session, guild_id, move, max_total=None):
            raise UserFacingError("<@{user}> only has {total}.", user=user_id, total=format_amount(before.total))
        after = Balance(before.wallet - from_wallet, before.bank - (amount - from_wallet))
        _audit(session, guild_id, admin, TAKE_ACTION, user_id, before, after)
        return amount, after


async def reset(db: Database, guild_id: int, admin: int, user_id: int) -> Balance:
    """An admin empties a member's wallet and bank; the balance they had."""
    async with db.transaction() as session:
        before = await ledger.balance_in(session, guild_id, user_id, lock=True)
        if before.total:
            move = Move(user_id, "reset", -before.wallet, -before.bank, admin)
            if not await ledger.apply(session, guild_id, move, max_total=None):
                raise UserFacingError("The balance changed meanwhile: try again.")
        _audit(session, guild_id, admin, RESET_ACTION, user_id, before, Balance())
        return before


def _audit(
    session: AsyncSession, guild_id: int, admin: int, action: str, user_id: int, before: Balance, after: Balance
) -> None:
    record_audit(
        session,
        module=NAME,
        guild_id=guild_id,
        actor_id=admin,
        action=action,
        target=f"user:{user_id}",
        before={"wallet": before.wallet, "bank": before.bank},
        after={"wallet": after.wallet, "bank": after.bank},
    )


@dataclass(frozen=True, slots=True)
class Standing:
    """One line of the leaderboard."""

    rank: int
    user_id: int
    wallet: int
    bank: int

    @property
    def total(self) -> int:
        """Wallet and bank together."""
        return self.wallet + self.bank


async def leaderboard(
    db: Database, guild_id: int, page: int = 1, per_page: int = PAGE_SIZE
) -> tuple[Sequence[Standing], int]:
    """One page of the richest members (by wallet and bank together) and how many pages there are."""
    async with db.session() as session:
        count = int(
            await session.scalar(
                select(func.count()).where(EconomyAccount.guild_id == guild_id, EconomyAccount.total > 0)
            )
            or 0
        )
        pages = max(1, -(-count // per_page))
        page = min(max(page, 1), pages)
        rows = await session.execute(
            select(EconomyAccount.user_id, EconomyAccount.wallet, EconomyAccount.bank)
            .where(EconomyAccount.guild_id == guild_id, EconomyAccount.total > 0)
            .order_by(EconomyAccount.total.desc(), EconomyAccount.user_id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        first = (page - 1) * per_page + 1
        return [Standing(first + i, int(u), int(w), int(b)) for i, (u, w, b) in enumerate(rows)], pages
