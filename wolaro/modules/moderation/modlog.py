"""How cases look: the modlog embed, the DM a member receives, and the labels of actions, in the guild's language.

Used by the enforcement layer (bot or job worker: it needs only a translator and discord.py's embed class) and by
the commands that show cases.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import discord

from wolaro.core.durations import format_duration
from wolaro.data.models import utcnow
from wolaro.modules.moderation.cases import CaseView
from wolaro.modules.moderation.rules import Action

Translate = Callable[..., str]
"""`t(message, **fields) -> str` in the guild's language."""


def t(message: str) -> str:
    """Mark `message` for the catalog; it is translated where shown."""
    return message


ACTION_LABELS: dict[Action, str] = {
    Action.WARN: t("Warning"),
    Action.KICK: t("Kick"),
    Action.BAN: t("Ban"),
    Action.SOFTBAN: t("Softban"),
    Action.UNBAN: t("Unban"),
    Action.TIMEOUT: t("Timeout"),
    Action.UNTIMEOUT: t("Timeout removed"),
    Action.NOTE: t("Note"),
    Action.PURGE: t("Purge"),
    Action.SLOWMODE: t("Slowmode"),
    Action.LOCK: t("Channel locked"),
    Action.UNLOCK: t("Channel unlocked"),
    Action.NICK: t("Nickname changed"),
}
NICK_RESET_LABEL = t("Nickname reset")
TEMP_BAN_LABEL = t("Temporary ban")
ACTION_COLOURS: dict[Action, int] = {
    Action.WARN: 0xF1C40F,
    Action.KICK: 0xE67E22,
    Action.BAN: 0xE74C3C,
    Action.SOFTBAN: 0xD35400,
    Action.UNBAN: 0x2ECC71,
    Action.TIMEOUT: 0x9B59B6,
    Action.UNTIMEOUT: 0x1ABC9C,
    Action.NOTE: 0x95A5A6,
    Action.PURGE: 0x607D8B,
    Action.SLOWMODE: 0x607D8B,
    Action.LOCK: 0x34495E,
    Action.UNLOCK: 0x3498DB,
    Action.NICK: 0x7F8C8D,
}

# What a member is told by DM, per action (temp ban and timeout say for how long).
DM_TEXTS: dict[Action, str] = {
    Action.WARN: t("You were warned in **{guild}**."),
    Action.KICK: t("You were kicked from **{guild}**."),
    Action.BAN: t("You were banned from **{guild}**."),
    Action.SOFTBAN: t("You were kicked from **{guild}** and your recent messages were deleted."),
    Action.TIMEOUT: t("You were timed out in **{guild}** for {duration}."),
    Action.UNTIMEOUT: t("Your timeout in **{guild}** was lifted."),
}
DM_TEMP_BAN = t("You were banned from **{guild}** for {duration}.")


def action_label(case: CaseView, t: Translate) -> str:
    """The case's action as people read it (a ban with a duration is a temporary ban)."""
    if case.action is Action.BAN and case.duration_seconds is not None:
        return t(TEMP_BAN_LABEL)
    if case.action is Action.NICK and not (case.details or {}).get("after"):
        return t(NICK_RESET_LABEL)
    return t(ACTION_LABELS[case.action])


def target_text(case: CaseView) -> str:
    """The case's target as Discord shows it: `#channel` or `@member`, with the id."""
    mention = f"<#{case.target_id}>" if case.on_channel else f"<@{case.target_id}>"
    return f"{mention} (`{case.target_id}`)"


def detail_fields(case: CaseView, t: Translate) -> list[tuple[str, str]]:
    """What else the action did, as embed fields: a purge's count and filters, a slowmode's delay, a nickname."""
    details = case.details or {}
    if case.action is Action.PURGE:
        fields = [(t("Deleted"), str(details.get("deleted", 0)))]
        shown = filters_text(details.get("filters") or {})
        if shown:
            fields.append((t("Filters"), shown))
        return fields
    if case.action is Action.SLOWMODE:
        seconds = int(details.get("delay_seconds") or 0)
        return [(t("Delay"), format_duration(timedelta(seconds=seconds)) if seconds else t("No slowmode"))]
    if case.action is Action.NICK:
        return [(t("Before"), details.get("before") or "-"), (t("Nickname"), details.get("after") or "-")]
    return []


def filters_text(filters: dict[str, Any]) -> str:
    """A purge's filters as typed in the command (`user: @x, bots, contains: "spam"`), empty when none was set."""
    parts = []
    if filters.get("user"):
        parts.append(f"user: <@{filters['user']}>")
    if filters.get("bots"):
        parts.append("bots")
    if filters.get("contains"):
        parts.append(f'contains: "{filters["contains"]}"')
    if filters.get("attachments"):
        parts.append("attachments")
    return ", ".join(parts)


def case_embed(case: CaseView, t: Translate) -> discord.Embed:
    """The embed of a case, as posted in the modlog channel and shown by `case <n>`."""
    embed = discord.Embed(
        title=t("Case #{number} | {action}", number=case.number, action=action_label(case, t)),
        colour=ACTION_COLOURS[case.action],
        timestamp=case.created_at,
    )
    embed.add_field(name=t("Channel") if case.on_channel else t("User"), value=target_text(case))
    moderator = f"<@{case.moderator_id}>"
    if case.automated:
        moderator += " " + t("(automatic)")
    embed.add_field(name=t("Moderator"), value=moderator)
    if case.duration is not None:
        embed.add_field(name=t("Duration"), value=format_duration(case.duration))
    if case.expires_at is not None:
        embed.add_field(name=t("Expires"), value=discord.utils.format_dt(case.expires_at, "R"))
    for name, value in detail_fields(case, t):
        embed.add_field(name=name, value=value[:1024])
    if case.ref_case is not None:
        embed.add_field(name=t("Related case"), value=f"#{case.ref_case}")
    if case.action in (Action.WARN, Action.BAN, Action.TIMEOUT) and not case.in_force():
        embed.add_field(name=t("Status"), value=t("No longer in force"))
    embed.add_field(name=t("Reason"), value=(case.reason or t("No reason given"))[:1024], inline=False)
    embed.set_footer(text=f"ID {case.target_id}")
    return embed


def dm_text(
    action: Action, duration: timedelta | None, reason: str | None, guild_name: str, t: Translate
) -> str | None:
    """What the member is told by DM about an action, or None (notes and unbans are not sent)."""
    fields: dict[str, Any] = {"guild": guild_name}
    if action is Action.BAN and duration is not None:
        template = DM_TEMP_BAN
    else:
        template = DM_TEXTS.get(action, "")
        if not template:
            return None
    if duration is not None:
        fields["duration"] = format_duration(duration)
    text = t(template, **fields)
    text += "\n" + t("Reason: {reason}", reason=reason or t("No reason given"))
    return text


def case_line(case: CaseView, t: Translate) -> str:
    """One line of a history list: `#12 Ban (3d) · reason · <t:...:R>`."""
    label = action_label(case, t)
    if case.duration is not None:
        label += f" ({format_duration(case.duration)})"
    struck = case.action in (Action.WARN, Action.BAN, Action.TIMEOUT) and not case.in_force(utcnow())
    head = f"~~#{case.number} {label}~~" if struck else f"**#{case.number}** {label}"
    reason = (case.reason or t("No reason given"))[:120]
    return f"{head} · {reason} · {discord.utils.format_dt(case.created_at, 'R')}"


def notice_embed(title: str, fields: list[tuple[str, str]], *, colour: int = 0x607D8B) -> discord.Embed:
    """A modlog entry that is not a case (purge, slowmode, lock, pardon...): title and already translated fields."""
    embed = discord.Embed(title=title, colour=colour, timestamp=utcnow())
    for name, value in fields:
        embed.add_field(name=name, value=value[:1024] or "-", inline=len(value) < 40)
    return embed
