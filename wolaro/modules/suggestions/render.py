"""How a suggestion looks in Discord: its embed and vote buttons, its decided form, the form to write one."""

from __future__ import annotations

from collections.abc import Callable

import discord

from wolaro.modules.suggestions import service
from wolaro.modules.suggestions.service import Status
from wolaro.modules.suggestions.store import SuggestionView

Translate = Callable[..., str]

COLOURS: dict[Status, discord.Colour] = {
    Status.OPEN: discord.Colour.blurple(),
    Status.APPROVED: discord.Colour.green(),
    Status.DENIED: discord.Colour.red(),
}


def embed(suggestion: SuggestionView, t: Translate) -> discord.Embed:
    """The suggestion: its text and author; once decided, the decision, its reason and the final votes."""
    shown = discord.Embed(
        title=t("💡 Suggestion #{number}", number=suggestion.id),
        description=suggestion.text,
        colour=COLOURS[suggestion.status],
    )
    shown.add_field(name=t("From"), value=f"<@{suggestion.author_id}>", inline=True)
    if suggestion.status is not Status.OPEN:
        title, text = decision_field(suggestion, t)
        shown.add_field(name=title, value=text, inline=False)
        shown.add_field(name=t("Votes"), value=f"👍 {suggestion.up} · 👎 {suggestion.down}", inline=True)
    return shown


def decision_field(suggestion: SuggestionView, t: Translate) -> tuple[str, str]:
    """The decision as (title, text) for the embed."""
    title = t("Approved") if suggestion.status is Status.APPROVED else t("Denied")
    reason = suggestion.reason or t("No reason given.")
    return title, t("By <@{staff}>: {reason}", staff=suggestion.decided_by, reason=reason)


def votes_view(suggestion: SuggestionView) -> discord.ui.View:
    """The 👍 / 👎 buttons with the counts. Handled by custom id in any process: the view is stopped."""
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(
            label=str(suggestion.up),
            emoji="👍",
            style=discord.ButtonStyle.success,
            custom_id=service.vote_custom_id(suggestion.id, True),
        )
    )
    view.add_item(
        discord.ui.Button(
            label=str(suggestion.down),
            emoji="👎",
            style=discord.ButtonStyle.danger,
            custom_id=service.vote_custom_id(suggestion.id, False),
        )
    )
    view.stop()
    return view


def form(t: Translate) -> discord.ui.Modal:
    """The form to write a suggestion (answered by the module's interaction handler, in any process)."""
    modal = discord.ui.Modal(title=t("Make a suggestion"), custom_id=service.MODAL_ID, timeout=None)
    modal.add_item(
        discord.ui.TextInput(
            label=t("Your suggestion"),
            style=discord.TextStyle.paragraph,
            custom_id=service.MODAL_TEXT_ID,
            max_length=service.TEXT_MAX,
        )
    )
    modal.stop()  # discord.py keeps no copy: the submission reaches the module's interaction handler
    return modal
