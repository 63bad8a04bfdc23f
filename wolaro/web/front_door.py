"""The front door: the "Add to server" link, asking Discord for the permissions the installed modules need.

Each module declares what it needs (`ModuleSpec.bot_permissions`); the link asks for those of every installed
module on top of what every module needs to talk (read, write, embed, react), so a server owner grants them once.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

import discord

from wolaro.core.registry import ModuleSpec

#: What the bot needs to read commands and answer in any server, whatever the modules.
BASE_PERMISSIONS = (
    "view_channel",
    "send_messages",
    "send_messages_in_threads",
    "embed_links",
    "attach_files",
    "read_message_history",
    "add_reactions",
    "use_external_emojis",
)
AUTHORIZE_URL = "https://discord.com/oauth2/authorize"


def permissions_value(specs: Mapping[str, ModuleSpec]) -> int:
    """The invite's permission integer: the base set and every installed module's needs (unknown names skipped)."""
    wanted = set(BASE_PERMISSIONS)
    for spec in specs.values():
        wanted |= set(spec.bot_permissions)
    valid = {name for name in wanted if name in discord.Permissions.VALID_FLAGS}
    return discord.Permissions(**dict.fromkeys(valid, True)).value


def invite_url(client_id: int | None, specs: Mapping[str, ModuleSpec], guild_id: int | None = None) -> str | None:
    """Discord's "add this bot" link (None when the application's id is not configured)."""
    if client_id is None:
        return None
    query = {
        "client_id": str(client_id),
        "scope": "bot applications.commands",
        "permissions": str(permissions_value(specs)),
    }
    if guild_id is not None:
        query |= {"guild_id": str(guild_id), "disable_guild_select": "true"}
    return f"{AUTHORIZE_URL}?{urlencode(query)}"
