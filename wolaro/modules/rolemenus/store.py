"""Role menus in the database: every query names the guild."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update

from wolaro.modules.rolemenus.logic import Kind, Mode, Rules
from wolaro.modules.rolemenus.models import RoleMenu
from wolaro.sdk import Database, record_audit, utcnow

MAX_MENUS = 50
MAX_OPTIONS = 25


@dataclass(frozen=True, slots=True)
class Option:
    """One role of a menu."""

    role_id: int
    label: str
    emoji: str | None = None


@dataclass(frozen=True, slots=True)
class Menu:
    """A menu as plain values."""

    id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    kind: Kind
    mode: Mode
    title: str
    description: str
    options: tuple[Option, ...]
    max_roles: int = 0
    required_role_id: int | None = None
    blacklist_role_id: int | None = None

    @property
    def rules(self) -> Rules:
        """Its rules for `logic.click` and `logic.pick`."""
        roles = tuple(o.role_id for o in self.options)
        return Rules(self.mode, roles, self.max_roles, self.required_role_id, self.blacklist_role_id)

    def option(self, role_id: int) -> Option | None:
        """Its option for `role_id`."""
        return next((o for o in self.options if o.role_id == role_id), None)

    def by_emoji(self, emoji: str) -> Option | None:
        """Its option whose emoji is `emoji` (reaction menus)."""
        return next((o for o in self.options if o.emoji == emoji), None)


def view(row: RoleMenu) -> Menu:
    """A row as a `Menu`."""
    options = tuple(Option(int(o["role_id"]), str(o.get("label") or ""), o.get("emoji") or None) for o in row.options)
    return Menu(
        row.id,
        row.guild_id,
        row.channel_id,
        row.message_id,
        Kind(row.kind),
        Mode(row.mode),
        row.title,
        row.description,
        options,
        row.max_roles,
        row.required_role_id,
        row.blacklist_role_id,
    )


def _options(options: tuple[Option, ...]) -> list[dict[str, Any]]:
    return [{"role_id": str(o.role_id), "label": o.label, "emoji": o.emoji} for o in options]


async def get(db: Database, guild_id: int, menu_id: int) -> Menu | None:
    """A menu of the guild."""
    async with db.session() as session:
        row = await session.scalar(select(RoleMenu).where(RoleMenu.guild_id == guild_id, RoleMenu.id == menu_id))
        return view(row) if row is not None else None


async def on_message(db: Database, guild_id: int, message_id: int) -> Menu | None:
    """The reaction menu on a message."""
    async with db.session() as session:
        row = await session.scalar(
            select(RoleMenu).where(
                RoleMenu.guild_id == guild_id, RoleMenu.message_id == message_id, RoleMenu.kind == Kind.REACTIONS.value
            )
        )
        return view(row) if row is not None else None


async def listing(db: Database, guild_id: int) -> list[Menu]:
    """The guild's menus, oldest first."""
    async with db.session() as session:
        rows = await session.scalars(select(RoleMenu).where(RoleMenu.guild_id == guild_id).order_by(RoleMenu.id))
        return [view(r) for r in rows]


class TooMany(Exception):
    """The guild has `MAX_MENUS` menus."""


async def save(db: Database, menu: Menu, *, actor_id: int | None) -> Menu:
    """Create (id 0) or update a menu; the stored menu. Audited."""
    values = {
        "channel_id": menu.channel_id,
        "message_id": menu.message_id,
        "kind": menu.kind.value,
        "mode": menu.mode.value,
        "title": menu.title,
        "description": menu.description,
        "options": _options(menu.options),
        "max_roles": menu.max_roles,
        "required_role_id": menu.required_role_id,
        "blacklist_role_id": menu.blacklist_role_id,
        "updated_at": utcnow(),
    }
    async with db.transaction() as session:
        if menu.id:
            row = await session.scalar(
                select(RoleMenu).where(RoleMenu.guild_id == menu.guild_id, RoleMenu.id == menu.id).with_for_update()
            )
            if row is None:
                raise LookupError(menu.id)
            for key, value in values.items():
                setattr(row, key, value)
            action = "rolemenus.update"
        else:
            count = await session.scalar(select(func.count()).where(RoleMenu.guild_id == menu.guild_id))
            if (count or 0) >= MAX_MENUS:
                raise TooMany()
            row = RoleMenu(guild_id=menu.guild_id, **values)
            session.add(row)
            action = "rolemenus.create"
        await session.flush()
        saved = view(row)
        record_audit(
            session,
            module="rolemenus",
            guild_id=menu.guild_id,
            actor_id=actor_id,
            action=action,
            target=f"menu:{saved.id}",
            after={"title": saved.title, "mode": saved.mode.value, "roles": [o.role_id for o in saved.options]},
        )
        return saved


async def set_message(db: Database, guild_id: int, menu_id: int, channel_id: int, message_id: int | None) -> None:
    """Where the menu is posted now."""
    async with db.transaction() as session:
        await session.execute(
            update(RoleMenu)
            .where(RoleMenu.guild_id == guild_id, RoleMenu.id == menu_id)
            .values(channel_id=channel_id, message_id=message_id, updated_at=utcnow())
        )


async def remove(db: Database, guild_id: int, menu_id: int, *, actor_id: int | None) -> Menu | None:
    """Delete a menu; the deleted one."""
    async with db.transaction() as session:
        row = await session.scalar(select(RoleMenu).where(RoleMenu.guild_id == guild_id, RoleMenu.id == menu_id))
        if row is None:
            return None
        gone = view(row)
        await session.execute(delete(RoleMenu).where(RoleMenu.guild_id == guild_id, RoleMenu.id == menu_id))
        record_audit(
            session,
            module="rolemenus",
            guild_id=guild_id,
            actor_id=actor_id,
            action="rolemenus.delete",
            target=f"menu:{menu_id}",
            before={"title": gone.title},
        )
        return gone
