"""The durable job `welcome.autoroles`: give a new member their roles once the server's delay has passed.

Idempotent: adding a role a member already has changes nothing. A member who left meanwhile is skipped; a role the
bot may no longer give (deleted, or above the bot's highest role) is skipped and logged, the others still given.
"""

from __future__ import annotations

from typing import Any

import discord

from wolaro.sdk import JobContext, get_logger

log = get_logger(__name__)
AUTOROLES_JOB = "welcome.autoroles"


async def give_autoroles(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Add the payload's roles to the member."""
    guild_id, user_id = int(payload["guild_id"]), int(payload["user_id"])
    http = await ctx.discord_http()
    for role_id in [int(r) for r in payload.get("role_ids", [])][:20]:
        try:
            await http.add_role(guild_id, user_id, role_id, reason="Welcome: roles for new members")
        except discord.NotFound:
            log.info("autorole skipped: member or role gone", guild_id=guild_id, role_id=role_id)
        except discord.Forbidden:
            log.warning("autorole refused: the bot may not give this role", guild_id=guild_id, role_id=role_id)
