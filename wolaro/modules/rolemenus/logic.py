"""Role menus' rules as plain functions: what a click changes, who may use a menu, which roles the bot can give."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

PREFIX = "rolemenu"


class Mode(StrEnum):
    """How a menu treats a member's choice."""

    NORMAL = "normal"  # click to get a role, click again to drop it
    UNIQUE = "unique"  # one role of the menu at a time
    VERIFY = "verify"  # roles are only given, never taken back
    DROP = "drop"  # roles are only taken back


class Kind(StrEnum):
    """What a menu looks like."""

    BUTTONS = "buttons"
    SELECT = "select"
    REACTIONS = "reactions"


def t(message: str) -> str:
    """Mark `message` for the catalog; it is translated where shown."""
    return message


NEED_ROLE = t("You need the role {role} to use this menu.")
BLACKLISTED = t("Members with the role {role} cannot use this menu.")
LIMIT = t("You can have at most {count} roles from this menu: drop one first.")
ALREADY = t("You already have {role}.")
NOT_HELD = t("You don't have {role}.")
ABOVE_BOT = t(
    "I can't give or take {role}: it is above my highest role. A server admin needs to move my role above it."
)
MANAGED = t("I can't give or take {role}: it is managed by Discord or an integration.")
GONE = t("A role of this menu no longer exists. A server admin needs to update the menu.")


@dataclass(frozen=True, slots=True)
class Decision:
    """What to change for the member, or why nothing changes."""

    add: tuple[int, ...] = ()
    remove: tuple[int, ...] = ()
    refusal: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rules:
    """A menu's rules."""

    mode: Mode
    roles: tuple[int, ...]
    max_roles: int = 0
    required_role: int | None = None
    blacklist_role: int | None = None


def custom_id(menu_id: int, role_id: int | None = None) -> str:
    """The stable custom id of a menu's button (or, without a role, its select menu)."""
    return f"{PREFIX}:{menu_id}" if role_id is None else f"{PREFIX}:{menu_id}:{role_id}"


def parse_custom_id(value: str) -> tuple[int, int | None] | None:
    """(menu id, role id or None) of one of our custom ids, else None."""
    parts = value.split(":")
    if len(parts) not in (2, 3) or parts[0] != PREFIX or not all(p.isdigit() and len(p) <= 20 for p in parts[1:]):
        return None
    return int(parts[1]), int(parts[2]) if len(parts) == 3 else None


def _gate(rules: Rules, held: set[int]) -> Decision | None:
    if rules.required_role and rules.required_role not in held:
        return Decision(refusal=NEED_ROLE, fields={"role": f"<@&{rules.required_role}>"})
    if rules.blacklist_role and rules.blacklist_role in held:
        return Decision(refusal=BLACKLISTED, fields={"role": f"<@&{rules.blacklist_role}>"})
    return None


def click(rules: Rules, held: Iterable[int], role: int, *, reaction_removed: bool = False) -> Decision:
    """A button pressed (or a reaction added; `reaction_removed` for one taken back) for `role`."""
    have = set(held)
    gated = _gate(rules, have)
    if gated is not None or role not in rules.roles:
        return gated or Decision()
    mine = [r for r in rules.roles if r in have]
    holds = role in have
    mention = {"role": f"<@&{role}>"}
    if reaction_removed:
        wants_off = rules.mode in (Mode.NORMAL, Mode.UNIQUE)
        return Decision(remove=(role,)) if holds and wants_off else Decision()
    if rules.mode is Mode.VERIFY:
        return Decision(refusal=ALREADY, fields=mention) if holds else Decision(add=(role,))
    if rules.mode is Mode.DROP:
        return Decision(remove=(role,)) if holds else Decision(refusal=NOT_HELD, fields=mention)
    if holds:
        return Decision(remove=(role,))
    if rules.mode is Mode.UNIQUE:
        return Decision(add=(role,), remove=tuple(mine))
    if rules.max_roles and len(mine) >= rules.max_roles:
        return Decision(refusal=LIMIT, fields={"count": rules.max_roles})
    return Decision(add=(role,))


def pick(rules: Rules, held: Iterable[int], chosen: Iterable[int]) -> Decision:
    """Roles picked in a select menu: the member's roles of the menu become the picked ones (as the mode allows)."""
    have = set(held)
    gated = _gate(rules, have)
    if gated is not None:
        return gated
    picked = [r for r in dict.fromkeys(chosen) if r in rules.roles]
    if rules.mode is Mode.UNIQUE:
        picked = picked[:1]
    if rules.max_roles and len(picked) > rules.max_roles:
        return Decision(refusal=LIMIT, fields={"count": rules.max_roles})
    add = tuple(r for r in picked if r not in have)
    remove = tuple(r for r in rules.roles if r in have and r not in picked)
    if rules.mode is Mode.VERIFY:
        return Decision(add=add)
    if rules.mode is Mode.DROP:
        return Decision(remove=tuple(r for r in picked if r in have))
    return Decision(add=add, remove=remove)


def unreachable(
    roles: Mapping[int, Mapping[str, Any]], bot_top: int, wanted: Sequence[int]
) -> tuple[str, dict[str, Any]] | None:
    """Why the bot cannot give one of `wanted`, else None.

    `roles` maps id -> {position, managed}; `bot_top` is the position of the bot's highest role. Checked when a menu
    is built and again on every click.
    """
    for role_id in wanted:
        role = roles.get(role_id)
        if role is None:
            return GONE, {}
        if role.get("managed"):
            return MANAGED, {"role": f"<@&{role_id}>"}
        if int(role.get("position", 0)) >= bot_top:
            return ABOVE_BOT, {"role": f"<@&{role_id}>"}
    return None


def bot_top_position(roles: Mapping[int, Mapping[str, Any]], bot_role_ids: Iterable[int]) -> int:
    """The position of the bot's highest role."""
    return max((int(roles[r].get("position", 0)) for r in bot_role_ids if r in roles), default=0)
