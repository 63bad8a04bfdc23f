"""What the command log keeps of a command besides who and what: where it ran and how it was called."""

from __future__ import annotations

from typing import Any

import discord

#: The longest arguments text kept (a command log line, not a transcript).
ARGUMENTS_MAX = 200


def _shown(value: Any) -> str:
    """An option's value as people see it: #channel, @role, a member's name, else its text."""
    if isinstance(value, discord.abc.GuildChannel | discord.app_commands.AppCommandChannel):
        return f"#{value.name}"
    if isinstance(value, discord.Role):
        return f"@{value.name}"
    if isinstance(value, discord.abc.User):
        return value.display_name
    return str(value)


def arguments_of(ctx: Any) -> str:
    """The command's arguments as people typed or chose them (`amount: 5 user: Alice`, or the prefix text)."""
    interaction = getattr(ctx, "interaction", None)
    if interaction is not None:
        options = [(name, value) for name, value in getattr(interaction, "namespace", ()) if value is not None]
        text = " ".join(f"{name}: {_shown(value)}" for name, value in options)
    else:
        content = getattr(getattr(ctx, "message", None), "content", "") or ""
        invoked = f"{ctx.prefix or ''}{ctx.invoked_with or ''}"
        text = content[len(invoked) :].strip() if content.startswith(invoked) else ""
        parent = ctx.command.full_parent_name if getattr(ctx, "command", None) is not None else ""
        if parent and text.startswith(ctx.command.name):
            text = text[len(ctx.command.name) :].strip()
    return text if len(text) <= ARGUMENTS_MAX else text[: ARGUMENTS_MAX - 1] + "…"


def details(ctx: Any) -> dict[str, Any]:
    """Channel (id as text and name) and arguments of a command, for the live log and the module that keeps it."""
    channel = getattr(ctx, "channel", None)
    return {
        "channel_id": str(channel.id) if channel is not None and getattr(channel, "id", None) else None,
        "channel": getattr(channel, "name", None) or "",
        "arguments": arguments_of(ctx),
    }
