"""Applying a member's choice: hierarchy checked again at the click, then the roles added and removed."""

from __future__ import annotations

from typing import Any

import discord

from wolaro.modules.rolemenus import logic, publish
from wolaro.modules.rolemenus.logic import Decision

ADDED = logic.t("You now have {roles}.")
REMOVED = logic.t("You no longer have {roles}.")
NOTHING = logic.t("Nothing changed.")
MISSING = logic.t("This role menu no longer exists.")


async def apply(
    member: discord.Member, decision: Decision
) -> tuple[str, dict[str, Any]] | list[tuple[str, dict[str, Any]]]:
    """Carry out `decision` for `member`; what to tell them (one message, or several lines)."""
    if decision.refusal is not None:
        return decision.refusal, decision.fields
    guild = member.guild
    roles, top = publish.hierarchy_from_guild(guild)
    blocked = logic.unreachable(roles, top, [*decision.add, *decision.remove])
    if blocked is not None:
        return blocked
    add = [r for r in (guild.get_role(i) for i in decision.add) if r is not None]
    remove = [r for r in (guild.get_role(i) for i in decision.remove) if r is not None]
    if remove:
        await member.remove_roles(*remove, reason="Role menu")
    if add:
        await member.add_roles(*add, reason="Role menu")
    lines: list[tuple[str, dict[str, Any]]] = []
    if add:
        lines.append((ADDED, {"roles": ", ".join(r.mention for r in add)}))
    if remove:
        lines.append((REMOVED, {"roles": ", ".join(r.mention for r in remove)}))
    return lines or (NOTHING, {})
