"""The shop: items a server's admins define, buying them, the inventory and using an item.

Buying takes the price from the wallet by a conditional update with its ledger row, and puts the item in the
inventory in the same transaction. A role item is not kept: the bot grants the role right after; if Discord refuses
(the role is above the bot's highest role, the bot lacks Manage Roles...), `refund` gives the price back, again with
its ledger row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.modules.economy import ledger
from wolaro.modules.economy.amounts import format_amount
from wolaro.modules.economy.ledger import Balance, Move
from wolaro.modules.economy.models import EconomyInventory, EconomyItem
from wolaro.sdk import Database, UserFacingError, record_audit

NAME = "economy"
MAX_ITEMS = 100
"""The most items one server's shop may list."""
SHOP_ACTION = "economy.shop"


@dataclass(frozen=True, slots=True)
class Item:
    """A shop item as members see it."""

    id: int
    name: str
    description: str
    price: int
    role_id: int | None
    use_message: str
    available: bool


def _item(row: EconomyItem) -> Item:
    return Item(row.id, row.name, row.description, row.price, row.role_id, row.use_message, row.available)


async def items(db: Database, guild_id: int, *, only_available: bool = False) -> list[Item]:
    """The server's shop, cheapest first."""
    async with db.session() as session:
        query = select(EconomyItem).where(EconomyItem.guild_id == guild_id)
        if only_available:
            query = query.where(EconomyItem.available.is_(True))
        rows = await session.scalars(query.order_by(EconomyItem.price, EconomyItem.id))
        return [_item(row) for row in rows]


async def _find(session: AsyncSession, guild_id: int, name: str) -> EconomyItem | None:
    found: EconomyItem | None = await session.scalar(
        select(EconomyItem).where(
            EconomyItem.guild_id == guild_id, func.lower(EconomyItem.name) == name.strip().lower()
        )
    )
    return found


async def find(db: Database, guild_id: int, name: str) -> Item | None:
    """The item of that name (any case), or None."""
    async with db.session() as session:
        row = await _find(session, guild_id, name)
        return _item(row) if row is not None else None


async def save_item(db: Database, guild_id: int, actor_id: int, values: dict[str, Any], item_id: int | None) -> Item:
    """Add an item (`item_id` None) or change one; names are unique per server (any case)."""
    name = str(values["name"]).strip()
    async with db.transaction() as session:
        same = await _find(session, guild_id, name)
        if same is not None and same.id != item_id:
            raise UserFacingError("The shop already has an item called {name}.", name=same.name)
        if item_id is None:
            count = await session.scalar(select(func.count()).where(EconomyItem.guild_id == guild_id))
            if int(count or 0) >= MAX_ITEMS:
                raise UserFacingError("The shop is full: at most {count} items.", count=MAX_ITEMS)
            row = EconomyItem(guild_id=guild_id, **{**values, "name": name})
            session.add(row)
        else:
            found = await session.scalar(
                select(EconomyItem).where(EconomyItem.guild_id == guild_id, EconomyItem.id == item_id)
            )
            if found is None:
                raise UserFacingError("That item is not in the shop any more.")
            row = found
            for key, value in {**values, "name": name}.items():
                setattr(row, key, value)
        await session.flush()
        record_audit(
            session,
            module=NAME,
            guild_id=guild_id,
            actor_id=actor_id,
            action=SHOP_ACTION,
            after={"item": row.name, "price": row.price, "role_id": row.role_id},
        )
        return _item(row)


async def remove_item(db: Database, guild_id: int, actor_id: int, item_id: int) -> Item:
    """Take an item out of the shop (members' inventories lose it too)."""
    async with db.transaction() as session:
        row = await session.scalar(
            select(EconomyItem).where(EconomyItem.guild_id == guild_id, EconomyItem.id == item_id)
        )
        if row is None:
            raise UserFacingError("That item is not in the shop any more.")
        item = _item(row)
        await session.execute(
            delete(EconomyInventory).where(EconomyInventory.guild_id == guild_id, EconomyInventory.item_id == item_id)
        )
        await session.delete(row)
        record_audit(
            session,
            module=NAME,
            guild_id=guild_id,
            actor_id=actor_id,
            action=SHOP_ACTION,
            before={"item": item.name, "price": item.price},
        )
        return item


async def buy(db: Database, guild_id: int, user_id: int, name: str, quantity: int = 1) -> tuple[Item, Balance]:
    """Pay for an item (kept in the inventory unless it grants a role); the item and the balance after."""
    if not 1 <= quantity <= 100:
        raise UserFacingError("You can buy from 1 to 100 at once.")
    async with db.transaction() as session:
        row = await _find(session, guild_id, name)
        if row is None or not row.available:
            raise UserFacingError("The shop has no item called {name}.", name=name[:64])
        item = _item(row)
        if item.role_id is not None:
            quantity = 1
        cost = item.price * quantity
        before = await ledger.balance_in(session, guild_id, user_id, lock=True)
        move = Move(user_id, "buy", wallet=-cost, item_id=item.id)
        if cost > before.wallet or not await ledger.apply(session, guild_id, move, max_total=None):
            raise UserFacingError(
                "{item} costs {price} and you have {wallet} in your wallet.",
                item=item.name,
                price=format_amount(cost),
                wallet=format_amount(before.wallet),
            )
        if item.role_id is None:
            await _add_to_inventory(session, guild_id, user_id, item.id, quantity)
        return item, Balance(before.wallet - cost, before.bank)


async def _add_to_inventory(session: AsyncSession, guild_id: int, user_id: int, item_id: int, quantity: int) -> None:
    statement = ledger.insert_for(session)(EconomyInventory).values(
        guild_id=guild_id, user_id=user_id, item_id=item_id, quantity=quantity
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["guild_id", "user_id", "item_id"],
            set_={"quantity": EconomyInventory.quantity + quantity},
        )
    )


async def refund(db: Database, guild_id: int, user_id: int, item: Item) -> Balance:
    """Give back the price of a role item whose role could not be granted; the balance after."""
    async with db.transaction() as session:
        move = Move(user_id, "refund", wallet=item.price, item_id=item.id)
        await ledger.apply(session, guild_id, move, max_total=None)
        return await ledger.balance_in(session, guild_id, user_id)


async def inventory(db: Database, guild_id: int, user_id: int) -> list[tuple[Item, int]]:
    """What a member holds: each item and how many."""
    async with db.session() as session:
        rows = await session.execute(
            select(EconomyItem, EconomyInventory.quantity)
            .join(EconomyItem, EconomyItem.id == EconomyInventory.item_id)
            .where(
                EconomyInventory.guild_id == guild_id,
                EconomyInventory.user_id == user_id,
                EconomyInventory.quantity > 0,
            )
            .order_by(EconomyItem.name)
        )
        return [(_item(item), int(quantity)) for item, quantity in rows]


async def use(db: Database, guild_id: int, user_id: int, name: str) -> tuple[Item, int]:
    """Use one of an item the member holds (it is used up); the item and how many are left."""
    async with db.transaction() as session:
        row = await _find(session, guild_id, name)
        if row is None:
            raise UserFacingError("The shop has no item called {name}.", name=name[:64])
        result: Any = await session.execute(
            update(EconomyInventory)
            .where(
                EconomyInventory.guild_id == guild_id,
                EconomyInventory.user_id == user_id,
                EconomyInventory.item_id == row.id,
                EconomyInventory.quantity >= 1,
            )
            .values(quantity=EconomyInventory.quantity - 1)
            .returning(EconomyInventory.quantity)
        )
        left = result.scalar_one_or_none()
        if left is None:
            raise UserFacingError("You have no {item}: buy one with /buy.", item=row.name)
        return _item(row), int(left)
