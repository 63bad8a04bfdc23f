"""How a giveaway looks in Discord: its embed (running or ended), its Enter button, its announcements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import discord

from wolaro.modules.giveaways import service
from wolaro.modules.giveaways.store import GiveawayView

Translate = Callable[..., str]


def t(message: str) -> str:
    """Mark `message` for the catalog; it is translated where shown."""
    return message


WON = t("🎉 Congratulations {winners}! You won **{prize}**.")
NOBODY = t("Nobody entered the giveaway for **{prize}**, so there is no winner.")
REROLLED = t("🎉 New draw for **{prize}**: congratulations {winners}!")
NOBODY_ELSE = t("Nobody else entered the giveaway for **{prize}**: no new winner.")


def requirement_lines(giveaway: GiveawayView, t: Translate) -> list[str]:
    """One line per requirement to enter."""
    req = giveaway.requirements
    lines = []
    if req.role_id is not None:
        lines.append(t("Needs the role <@&{role}>", role=req.role_id))
    if req.min_account_days is not None:
        lines.append(t("Discord account at least {days} days old", days=req.min_account_days))
    if req.min_member_days is not None:
        lines.append(t("Member of this server for at least {days} days", days=req.min_member_days))
    if req.min_level is not None:
        lines.append(t("Level {level} or more", level=req.min_level))
    return lines


def running_embed(giveaway: GiveawayView, t: Translate) -> discord.Embed:
    """The embed of a giveaway that takes entries."""
    text = t(
        "Press **Enter** to take part (press it again to leave). Ends {relative} ({date}).\n"
        "Winners: {count} · Hosted by <@{host}>",
        relative=discord.utils.format_dt(giveaway.ends_at, "R"),
        date=discord.utils.format_dt(giveaway.ends_at, "f"),
        count=giveaway.winners,
        host=giveaway.host_id,
    )
    lines = requirement_lines(giveaway, t)
    if lines:
        text += "\n\n" + t("To enter:") + "\n" + "\n".join(f"• {line}" for line in lines)
    embed = discord.Embed(title=f"🎉 {giveaway.prize}", description=text, colour=discord.Colour.gold())
    embed.set_footer(text=t("Giveaway #{number}", number=giveaway.id))
    return embed


def ended_embed(giveaway: GiveawayView, winners: Sequence[int], t: Translate) -> discord.Embed:
    """The embed of a giveaway once drawn."""
    when = discord.utils.format_dt(giveaway.ended_at or giveaway.ends_at, "f")
    if winners:
        text = t("Ended {date}. Winners: {winners}", date=when, winners=service.mentions(winners))
    else:
        text = t("Ended {date}. Nobody entered, so nobody won.", date=when)
    embed = discord.Embed(title=f"🎉 {giveaway.prize}", description=text, colour=discord.Colour.dark_grey())
    embed.set_footer(text=t("Giveaway #{number}", number=giveaway.id))
    return embed


def enter_view(giveaway_id: int, t: Translate) -> discord.ui.View:
    """The Enter button. Handled by custom id in any process (never kept in memory): the view is stopped."""
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(
            label=t("Enter"),
            emoji="🎉",
            style=discord.ButtonStyle.primary,
            custom_id=service.enter_custom_id(giveaway_id),
        )
    )
    view.stop()  # discord.py keeps no copy: the click reaches the module's interaction handler
    return view


def announcement(giveaway: GiveawayView, winners: Sequence[int], t: Translate, *, reroll: bool) -> str:
    """The message that names the winners."""
    if winners:
        return t(REROLLED if reroll else WON, winners=service.mentions(winners), prize=giveaway.prize)
    return t(NOBODY_ELSE if reroll else NOBODY, prize=giveaway.prize)


def params(**fields: Any) -> Any:
    """discord.py's message parameters for a REST send or edit (works without the gateway)."""
    return discord.http.handle_message_parameters(**fields)
