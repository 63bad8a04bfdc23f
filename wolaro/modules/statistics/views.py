"""What the statistics commands show: embeds and chart data built from query results (no database, no I/O).

Words come from `t` (the server's language), numbers from `format_number` in that language: `12,345` and `20.4h`
in English, `12 345` and `20,4 h` in French.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

import discord

from wolaro.modules.statistics import charts
from wolaro.sdk import format_number

Translate = Callable[..., str]
CHART = "statistics.png"
COLOUR = discord.Colour.blurple()


def t(message: str) -> str:
    """Mark `message` for the catalog; it is translated where shown."""
    return message


PERIOD_TITLES = {
    "day": t("today"),
    "week": t("the last 7 days"),
    "month": t("the last 30 days"),
    "quarter": t("the last 90 days"),
    "year": t("the last 365 days"),
    "all": t("all time"),
}

TOP_TITLES = {
    "messages": t("Top members by messages over {period}"),
    "voice": t("Top members by voice time over {period}"),
}


def english(message: str, /, **fields: Any) -> str:
    """`message` untranslated, with its fields filled in."""
    return message.format(**fields)


def voice_time(seconds: int, t: Translate = english, language: str = "en") -> str:
    """`3h 05m`, `12m 40s` or `0s` (`3 h 05 min` in French): hours and minutes, seconds only under an hour.

    The same words as the dashboard's statistics page.
    """
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return t("{hours}h {minutes}m", hours=format_number(hours, language), minutes=f"{minutes:02d}")
    if minutes:
        return t("{minutes}m {seconds}s", minutes=minutes, seconds=f"{secs:02d}")
    return t("{seconds}s", seconds=secs)


MONTHS = (
    t("Jan"), t("Feb"), t("Mar"), t("Apr"), t("May"), t("Jun"),
    t("Jul"), t("Aug"), t("Sep"), t("Oct"), t("Nov"), t("Dec"),
)  # fmt: skip


def day_labels(t: Translate, days: Sequence[date]) -> list[str]:
    """How each day is written under a chart, in the server's language ("Nov 6", "6 nov.")."""
    months = [t(month) for month in MONTHS]
    return [t("{month} {day}", month=months[day.month - 1], day=day.day) for day in days]


def filled(result: dict[str, Any], *keys: str) -> tuple[list[date], list[list[float]]]:
    """The days from the first to the last one counted, with zeros on days without activity."""
    found = {date.fromisoformat(d["day"]): d for d in result["days"]}
    if not found:
        return [], [[] for _ in keys]
    first, last = min(found), max(found)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return days, [[found[d].get(key) or 0 if d in found else 0 for d in days] for key in keys]


def server_embed(t: Translate, language: str, name: str, period: str, result: dict[str, Any]) -> discord.Embed:
    """The server overview."""
    embed = discord.Embed(title=t("{server}: activity over {period}", server=name, period=t(PERIOD_TITLES[period])))
    embed.colour = COLOUR
    embed.add_field(name=t("Messages"), value=format_number(result["messages"], language))
    embed.add_field(name=t("Voice time"), value=voice_time(result["voice_seconds"], t, language))
    embed.add_field(name=t("Active members"), value=format_number(result["active_members"], language))
    embed.add_field(name=t("Joins"), value=format_number(result["joins"], language))
    embed.add_field(name=t("Leaves"), value=format_number(result["leaves"], language))
    online = result.get("online")
    if online:  # counted only when the server counts members online
        said = t(
            "{peak} at most, {average} on average",
            peak=format_number(online["peak"], language),
            average=format_number(online["average"], language, decimals=1),
        )
        embed.add_field(name=t("Members online"), value=said)
    top = "\n".join(
        f"<#{c['channel_id']}> · {format_number(c['messages'], language)}" for c in result["top_channels"]
    ) or t("No messages yet")
    embed.add_field(name=t("Top channels"), value=top, inline=False)
    embed.set_image(url=f"attachment://{CHART}")
    return embed


def server_chart(t: Translate, language: str, result: dict[str, Any]) -> tuple[Callable[..., bytes], tuple[Any, ...]]:
    """Messages and active members per day."""
    days, (messages, active) = filled(result, "messages", "active_members")
    series = [(t("Messages"), messages), (t("Active members"), active)]
    return charts.line_chart, (t("Messages per day"), days, series, day_labels(t, days), language)


def user_embed(t: Translate, language: str, mention: str, period: str, result: dict[str, Any]) -> discord.Embed:
    """One member's activity and rank."""
    embed = discord.Embed(title=t("Activity over {period}", period=t(PERIOD_TITLES[period])), description=mention)
    embed.colour = COLOUR
    embed.add_field(name=t("Messages"), value=format_number(result["messages"], language))
    embed.add_field(name=t("Voice time"), value=voice_time(result["voice_seconds"], t, language))
    rank = result["rank"]
    embed.add_field(name=t("Rank"), value=f"#{format_number(rank, language)}" if rank else t("Not ranked yet"))
    embed.set_image(url=f"attachment://{CHART}")
    return embed


def member_chart(t: Translate, language: str, result: dict[str, Any]) -> tuple[Callable[..., bytes], tuple[Any, ...]]:
    """Messages per day of a member or a channel."""
    days, (messages,) = filled(result, "messages")
    series = [(t("Messages"), messages)]
    return charts.line_chart, (t("Messages per day"), days, series, day_labels(t, days), language)


def channel_embed(t: Translate, language: str, period: str, result: dict[str, Any]) -> discord.Embed:
    """One channel's activity and its most active members."""
    embed = discord.Embed(
        title=t("Channel activity over {period}", period=t(PERIOD_TITLES[period])),
        description=f"<#{result['channel_id']}>",
    )
    embed.colour = COLOUR
    embed.add_field(name=t("Messages"), value=format_number(result["messages"], language))
    embed.add_field(name=t("Voice time"), value=voice_time(result["voice_seconds"], t, language))
    top = "\n".join(
        f"{m['rank']}. <@{m['user_id']}> · {format_number(m['value'], language)}" for m in result["top_members"]
    )
    embed.add_field(name=t("Most active members"), value=top or t("No messages yet"), inline=False)
    embed.set_image(url=f"attachment://{CHART}")
    return embed


def top_embed(t: Translate, language: str, metric: str, period: str, board: Sequence[dict[str, Any]]) -> discord.Embed:
    """A leaderboard."""
    title = (
        t("Top members by messages over {period}")
        if metric == "messages"
        else t("Top members by voice time over {period}")
    )
    embed = discord.Embed(title=t(title, period=t(PERIOD_TITLES[period])))
    embed.colour = COLOUR
    lines = [
        f"{row['rank']}. <@{row['user_id']}> · "
        + (format_number(row["value"], language) if metric == "messages" else voice_time(row["value"], t, language))
        for row in board
    ]
    embed.description = "\n".join(lines) or t("Nobody has been counted over this period yet.")
    if board:
        embed.set_image(url=f"attachment://{CHART}")
    return embed


def top_chart(
    t: Translate, language: str, metric: str, board: Sequence[dict[str, Any]], names: dict[str, str]
) -> tuple[Callable[..., bytes], tuple[Any, ...]]:
    """The leaderboard as bars, each with its figure (voice time in hours: `20.4h`, `20,4 h` in French)."""
    members = [names.get(row["user_id"], row["user_id"]) for row in board]
    if metric == "messages":
        values = [row["value"] for row in board]
        shown = [format_number(value, language) for value in values]
        return charts.bar_chart, (t("Messages"), members, values, shown, language)
    hours = [round(row["value"] / 3600, 2) for row in board]
    shown = [t("{hours}h", hours=format_number(value, language, decimals=2)) for value in hours]
    return charts.bar_chart, (t("Voice time (hours)"), members, hours, shown, language)
