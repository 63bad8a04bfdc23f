"""What the economy keeps about a person, for `/privacy export` and `/privacy delete` (Wolaro's `UserData`).

Erasing a member deletes their account, their ledger rows and their inventory together: their own ledger rows add
up to exactly their balance, so the server's balances still equal its ledger. In the ledger rows of the people
they traded with, their id is blanked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update

from wolaro.modules.economy.models import EconomyAccount, EconomyInventory, EconomyItem, EconomyLedger
from wolaro.sdk import Database, jsonable


def _scope(model: Any, column: Any, user_id: int, guild_id: int | None) -> list[Any]:
    found = [column == user_id]
    if guild_id is not None:
        found.append(model.guild_id == guild_id)
    return found


class EconomyData:
    """The economy module's privacy hooks: balances, the ledger and inventories."""

    stores: Mapping[str, str] = {
        "economy_accounts.user_id": (
            "Your wallet and bank balance, when you last claimed rewards, and your name and picture for the "
            "leaderboard, per server"
        ),
        "economy_ledger.user_id": "Every change to your balance (rewards, payments, purchases, games), per server",
        "economy_ledger.other_user_id": "Payments between you and other members, and admins' changes to your balance",
        "economy_inventory.user_id": "The shop items you hold, per server",
    }

    async def export_user_data(self, db: Database, user_id: int, guild_id: int | None) -> dict[str, Any]:
        """The person's balances, ledger rows (theirs, and others' naming them) and inventories."""
        async with db.session() as session:
            accounts = await session.scalars(
                select(EconomyAccount).where(*_scope(EconomyAccount, EconomyAccount.user_id, user_id, guild_id))
            )
            own = await session.scalars(
                select(EconomyLedger)
                .where(*_scope(EconomyLedger, EconomyLedger.user_id, user_id, guild_id))
                .order_by(EconomyLedger.id)
            )
            named = await session.scalars(
                select(EconomyLedger)
                .where(*_scope(EconomyLedger, EconomyLedger.other_user_id, user_id, guild_id))
                .order_by(EconomyLedger.id)
            )
            held = await session.execute(
                select(EconomyInventory.guild_id, EconomyInventory.item_id, EconomyItem.name, EconomyInventory.quantity)
                .outerjoin(EconomyItem, EconomyItem.id == EconomyInventory.item_id)
                .where(*_scope(EconomyInventory, EconomyInventory.user_id, user_id, guild_id))
            )
            data: dict[str, Any] = {
                "balances": [_account(a) for a in accounts],
                "ledger": [_row(r) for r in own],
                "ledger_naming_you": [_row(r) for r in named],
                "inventory": [{"guild_id": g, "item_id": i, "item": n, "quantity": q} for g, i, n, q in held],
            }
        return {key: jsonable(value) for key, value in data.items() if value}

    async def delete_user_data(self, db: Database, user_id: int, guild_id: int | None) -> int:
        """Delete the person's account, ledger rows and inventory; blank their id in other people's rows."""
        changed = 0
        async with db.transaction() as session:
            for model, column in (
                (EconomyAccount, EconomyAccount.user_id),
                (EconomyLedger, EconomyLedger.user_id),
                (EconomyInventory, EconomyInventory.user_id),
            ):
                result: Any = await session.execute(
                    delete(model)
                    .where(*_scope(model, column, user_id, guild_id))
                    .execution_options(synchronize_session=False)
                )
                changed += int(result.rowcount or 0)
            blanked: Any = await session.execute(
                update(EconomyLedger)
                .where(*_scope(EconomyLedger, EconomyLedger.other_user_id, user_id, guild_id))
                .values(other_user_id=None)
                .execution_options(synchronize_session=False)
            )
            changed += int(blanked.rowcount or 0)
        return changed


def _account(row: EconomyAccount) -> dict[str, Any]:
    return {
        "guild_id": row.guild_id,
        "wallet": row.wallet,
        "bank": row.bank,
        "daily_claimed_at": row.daily_at,
        "daily_streak": row.daily_streak,
        "weekly_claimed_at": row.weekly_at,
        "worked_at": row.work_at,
        "name_shown_on_leaderboard": row.name,
        "avatar": row.avatar,
    }


def _row(row: EconomyLedger) -> dict[str, Any]:
    return {
        "guild_id": row.guild_id,
        "user_id": row.user_id,
        "wallet_change": row.wallet_delta,
        "bank_change": row.bank_delta,
        "why": row.kind,
        "other_member_id": row.other_user_id,
        "at": row.created_at,
    }


PRIVACY = EconomyData()
