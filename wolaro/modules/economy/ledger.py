"""The one way a balance changes: a conditional UPDATE and its ledger row, in the caller's transaction.

`apply` moves a member's wallet and bank by the given amounts only if neither goes below zero and, when the member
gains, their total stays within the server's maximum: `UPDATE ... SET wallet = wallet + :dw ... WHERE wallet +
:dw >= 0 AND ...`. The database checks and changes the row in one statement (PostgreSQL locks the row until the
transaction ends, SQLite's write lock is held from its start), so two bot processes can never spend the same coin
twice and a balance never goes negative. There is no process-local lock anywhere.

Several moves in one transaction (a transfer) touch the rows in the order of the members' ids, so two transfers
in opposite directions never wait for each other in a circle (no deadlock).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.modules.economy.models import EconomyAccount, EconomyLedger
from wolaro.sdk import utcnow


@dataclass(frozen=True, slots=True)
class Balance:
    """A member's money: in the wallet (to spend) and in the bank (kept safe)."""

    wallet: int = 0
    bank: int = 0

    @property
    def total(self) -> int:
        """Wallet and bank together."""
        return self.wallet + self.bank


@dataclass(frozen=True, slots=True)
class Move:
    """One change to one member's money, and why."""

    user_id: int
    kind: str
    wallet: int = 0
    bank: int = 0
    other_user_id: int | None = None
    item_id: int | None = None


def insert_for(session: AsyncSession) -> Any:
    """The dialect's INSERT with ON CONFLICT support (SQLite and PostgreSQL both have it)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _key(guild_id: int, user_id: int) -> tuple[Any, Any]:
    return EconomyAccount.guild_id == guild_id, EconomyAccount.user_id == user_id


async def ensure_accounts(session: AsyncSession, guild_id: int, user_ids: Iterable[int]) -> None:
    """Create the members' empty accounts if they have none (one statement, rows in id order)."""
    rows = [
        {
            "guild_id": guild_id,
            "user_id": user_id,
            "wallet": 0,
            "bank": 0,
            "total": 0,
            "daily_streak": 0,
            "updated_at": utcnow(),
        }
        for user_id in sorted(set(user_ids))
    ]
    statement = insert_for(session)(EconomyAccount).values(rows)
    await session.execute(statement.on_conflict_do_nothing(index_elements=["guild_id", "user_id"]))


async def lock_accounts(session: AsyncSession, guild_id: int, user_ids: Iterable[int]) -> dict[int, Balance]:
    """Create the members' accounts if needed and lock them, in id order, until the transaction ends.

    Every transaction that changes two accounts takes both locks up front and in the same order, so two
    payments in opposite directions queue instead of deadlocking (SQLite's write lock already serialises them).
    Returns their balances as locked.
    """
    ids = sorted(set(user_ids))
    await ensure_accounts(session, guild_id, ids)
    rows = await session.execute(
        select(EconomyAccount.user_id, EconomyAccount.wallet, EconomyAccount.bank)
        .where(EconomyAccount.guild_id == guild_id, EconomyAccount.user_id.in_(ids))
        .order_by(EconomyAccount.user_id)
        .with_for_update()
    )
    return {int(user_id): Balance(int(wallet), int(bank)) for user_id, wallet, bank in rows}


async def read(session: AsyncSession, guild_id: int, user_id: int, *, lock: bool = False) -> EconomyAccount | None:
    """A member's account row (`lock`: held until the transaction ends, on PostgreSQL)."""
    query = select(EconomyAccount).where(*_key(guild_id, user_id)).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    row: EconomyAccount | None = (await session.execute(query)).scalar_one_or_none()
    return row


async def balance_in(session: AsyncSession, guild_id: int, user_id: int, *, lock: bool = False) -> Balance:
    """A member's balance, read in the caller's transaction (zero without an account)."""
    row = await read(session, guild_id, user_id, lock=lock)
    return Balance(row.wallet, row.bank) if row is not None else Balance()


async def apply(
    session: AsyncSession,
    guild_id: int,
    move: Move,
    *,
    max_total: int | None,
    where: Iterable[Any] = (),
    also_set: dict[str, Any] | None = None,
) -> bool:
    """Apply `move` if the balance allows it, with its ledger row; False (nothing changed) if not.

    `max_total` bounds the member's total when the move adds to it (None: no bound, e.g. a refund). `where` adds
    conditions and `also_set` sets more columns of the account in the same statement (a claim's timestamp).
    """
    gain = move.wallet + move.bank
    conditions = [*_key(guild_id, move.user_id), *where]
    if move.wallet < 0:
        conditions.append(EconomyAccount.wallet >= -move.wallet)
    if move.bank < 0:
        conditions.append(EconomyAccount.bank >= -move.bank)
    if max_total is not None and gain > 0:
        conditions.append(EconomyAccount.total <= max_total - gain)
    result: Any = await session.execute(
        update(EconomyAccount)
        .where(*conditions)
        .values(
            wallet=EconomyAccount.wallet + move.wallet,
            bank=EconomyAccount.bank + move.bank,
            total=EconomyAccount.total + gain,
            updated_at=utcnow(),
            **(also_set or {}),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    session.add(
        EconomyLedger(
            guild_id=guild_id,
            user_id=move.user_id,
            wallet_delta=move.wallet,
            bank_delta=move.bank,
            kind=move.kind,
            other_user_id=move.other_user_id,
            item_id=move.item_id,
            created_at=utcnow(),
        )
    )
    await session.flush()
    return True


@dataclass(frozen=True, slots=True)
class Sums:
    """A server's money as the accounts hold it and as the ledger adds it up (equal, always)."""

    wallets: int
    banks: int
    ledger_wallets: int
    ledger_banks: int
    negative_accounts: int

    @property
    def consistent(self) -> bool:
        """Whether the balances equal the ledger and no balance is negative."""
        return self.wallets == self.ledger_wallets and self.banks == self.ledger_banks and self.negative_accounts == 0


async def sums(session: AsyncSession, guild_id: int) -> Sums:
    """Add up a server's balances and its ledger (the economy's invariant, for checks and tests)."""
    wallets, banks, negative = (
        await session.execute(
            select(
                func.coalesce(func.sum(EconomyAccount.wallet), 0),
                func.coalesce(func.sum(EconomyAccount.bank), 0),
                func.count().filter((EconomyAccount.wallet < 0) | (EconomyAccount.bank < 0)),
            ).where(EconomyAccount.guild_id == guild_id)
        )
    ).one()
    ledger_wallets, ledger_banks = (
        await session.execute(
            select(
                func.coalesce(func.sum(EconomyLedger.wallet_delta), 0),
                func.coalesce(func.sum(EconomyLedger.bank_delta), 0),
            ).where(EconomyLedger.guild_id == guild_id)
        )
    ).one()
    return Sums(int(wallets), int(banks), int(ledger_wallets), int(ledger_banks), int(negative))
