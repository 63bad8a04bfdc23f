"""Presence objects as Discord sends them (PRESENCE_UPDATE, GUILD_CREATE's and member chunks' ``presences``)."""

from __future__ import annotations

from typing import Any

from wolaro.sandbox.state import Guild


def presence(guild: Guild, user_id: int, *, with_guild: bool = True) -> dict[str, Any]:
    """A presence update object (PRESENCE_UPDATE, and inside GUILD_CREATE without ``guild_id``).

    As Discord sends it: a partial user (only ``id`` is guaranteed), the status (``online``, ``idle``, ``dnd`` or
    ``offline``; invisible members show as offline), activities and the status per client (empty when offline).
    """
    status = guild.presences.get(user_id, "offline")
    data: dict[str, Any] = {
        "user": {"id": str(user_id)},
        "status": status,
        "activities": [],
        "client_status": {} if status == "offline" else {"desktop": status},
    }
    if with_guild:
        data["guild_id"] = str(guild.id)
    return data
