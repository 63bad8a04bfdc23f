"""What the statistics commands show: embeds and chart data built from query results (no database, no I/O)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

import discord

from wolaro.modules.statistics import charts

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


def voice_time(seconds: int) -> str:
    """`3h 05m`, `12m 40s` or `0s`: hours and minutes, seconds only under an hour."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


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


def server_embed(t: Translate, name: str, period: str, result: dict[str, Any]) -> discord.Embed:
    """The server overview."""
    embed = discord.Embed(title=t("{server}: activity over {period}", server=name, period=t(PERIOD_TITLES[period])))
    embed.colour = COLOUR
    embed.add_field(name=t("Messages"), value=str(result["messages"]))
    embed.add_field(name=t("Voice time"), value=voice_time(result["voice_seconds"]))
    embed.add_field(name=t("Active members"), value=str(result["active_members"]))
    embed.add_field(name=t("Joins"), value=str(result["joins"]))
    embed.add_field(name=t("Leaves"), value=str(result["leaves"]))
    online = result.get("online")
    if online:  # counted only when the server counts members online
        said = t("{peak} at most, {average} on average", peak=online["peak"], average=online["average"])
        embed.add_field(name=t("Members online"), value=said)
    top = "\n".join(f"<#{c['channel_id']}> · {c['messages']}" for c in result["top_channels"]) or t("No messages yet")
    embed.add_field(name=t("Top channels"), value=top, inline=False)
    embed.set_image(url=f"attachment://{CHART}")
    return embed


def server_chart(t: Translate, result: dict[str, Any]) -> tuple[Callable[..., bytes], tuple[Any, ...]]:
    """Messages and active members per day."""
    days, (messages, active) = filled(result, "messages", "active_members")
    series = [(t("Messages"), messages), (t("Active members"), active)]
    return charts.line_chart, (t("Messages per day"), days, series, day_labels(t, days))


def user_embed(t: Translate, mention: str, period: str, result: dict[str, Any]) -> discord.Embed:
    """One member's activity and rank."""
    embed = discord.Embed(title=t("Activity over {period}", period=t(PERIOD_TITLES[period])), description=mention)
    embed.colour = COLOUR
    embed.add_field(name=t("Messages"), value=str(result["messages"]))
    embed.add_field(name=t("Voice time"), value=voice_time(result["voice_seconds"]))
    rank = result["rank"]
    embed.add_field(name=t("Rank"), value=f"#{rank}" if rank else t("Not ranked yet"))
    embed.set_image(url=f"attachment://{CHART}")
    return embed


def member_chart(t: Translate, result: dict[str, Any]) -> tuple[Callable[..., bytes], tuple[Any, ...]]:
    """Messages per day of a member or a channel."""
    days, (messages,) = filled(result, "messages")
    return charts.line_chart, (t("Messages per day"), days, [(t("Messages"), messages)], day_labels(t, days))


def channel_embed(t: Translate, period: str, result: dict[str, Any]) -> discord.Embed:
    """One channel's activity and its most active members."""
    embed = discord.Embed(
        title=t("Channel activity over {period}", period=t(PERIOD_TITLES[period])),
        description=f"<#{result['channel_id']}>",
    )
    embed.colour = COLOUR
    embed.add_field(name=t("Messages"), value=str(result["messages"]))
    embed.add_field(name=t("Voice time"), value=voice_time(result["voice_seconds"]))
    top = "\n".join(f"{m['rank']}. <@{m['user_id']}> · {m['value']}" for m in result["top_members"])
    embed.add_field(name=t("Most active members"), value=top or t("No messages yet"), inline=False)
    embed.set_image(url=f"attachment://{CHART}")
    return embed


def top_embed(t: Translate, metric: str, period: str, board: Sequence[dict[str, Any]]) -> discord.Embed:
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
        + (str(row["value"]) if metric == "messages" else voice_time(row["value"]))
        for row in board
    ]
    embed.description = "\n".join(lines) or t("Nobody has been counted over this period yet.")
    if board:
        embed.set_image(url=f"attachment://{CHART}")
    return embed


def top_chart(
    t: Translate, metric: str, board: Sequence[dict[str, Any]], names: dict[str, str]
) -> tuple[Callable[..., bytes], tuple[Any, ...]]:
    """The leaderboard as bars (voice time in hours)."""
    labels = [names.get(row["user_id"], row["user_id"]) for row in board]
    if metric == "messages":
        return charts.bar_chart, (t("Messages"), labels, [row["value"] for row in board], "")
    return charts.bar_chart, (t("Voice time (hours)"), labels, [round(row["value"] / 3600, 2) for row in board], "h")
