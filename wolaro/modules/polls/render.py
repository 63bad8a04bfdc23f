"""How a poll looks in Discord: a button poll's embed and buttons, its closed form and its results message."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import discord

from wolaro.modules.polls import service
from wolaro.modules.polls.store import PollView

Translate = Callable[..., str]


def _weights(poll: PollView, t: Translate) -> str:
    shown = ", ".join(f"<@&{role}> ×{weight}" for role, weight in sorted(poll.weights.items()))
    return t("Votes of some roles count more: {weights}", weights=shown)


def open_embed(poll: PollView, counts: Sequence[int] | None, t: Translate) -> discord.Embed:
    """A button poll while it is open (counts shown unless the poll is anonymous)."""
    lines = []
    for index, option in enumerate(poll.options):
        votes = "" if counts is None or poll.anonymous else " · " + t("{count} votes", count=counts[index])
        lines.append(f"**{index + 1}.** {option}{votes}")
    lines.append("")
    lines.append(
        t(
            "Closes {relative}. Press a button to vote; press another to change your vote.",
            relative=discord.utils.format_dt(poll.ends_at, "R"),
        )
    )
    if poll.anonymous:
        lines.append(t("Results stay hidden until the poll closes."))
    if poll.weights:
        lines.append(_weights(poll, t))
    embed = discord.Embed(title=f"📊 {poll.question}", description="\n".join(lines), colour=discord.Colour.blurple())
    embed.set_footer(text=t("Poll #{number}", number=poll.id))
    return embed


def vote_view(poll: PollView) -> discord.ui.View:
    """One button per option (up to 25). Handled by custom id in any process: the view is stopped."""
    view = discord.ui.View(timeout=None)
    for index, option in enumerate(poll.options):
        label = option if len(option) <= service.BUTTON_OPTION_LENGTH else option[: service.BUTTON_OPTION_LENGTH]
        view.add_item(
            discord.ui.Button(
                label=label, style=discord.ButtonStyle.secondary, custom_id=service.vote_custom_id(poll.id, index)
            )
        )
    view.stop()  # discord.py keeps no copy: the click reaches the module's interaction handler
    return view


def results_lines(poll: PollView, results: Sequence[int], t: Translate) -> list[str]:
    """One line per option, most votes first, with a bar and the share."""
    return [
        f"{s.option} · {service.bar(s.share)} {t('{count} votes', count=s.votes)} ({s.share:.0%})"
        for s in service.standings(poll.options, results)
    ]


def closed_embed(poll: PollView, results: Sequence[int], t: Translate) -> discord.Embed:
    """A button poll once closed."""
    lines = results_lines(poll, results, t)
    lines += ["", t("Closed. {total} votes in all.", total=sum(results))]
    embed = discord.Embed(title=f"📊 {poll.question}", description="\n".join(lines), colour=discord.Colour.dark_grey())
    embed.set_footer(text=t("Poll #{number}", number=poll.id))
    return embed


def headline(poll: PollView, results: Sequence[int], t: Translate) -> str:
    """The results message's text."""
    if not any(results):
        return t("📊 The poll **{question}** closed without a vote.", question=poll.question)
    best = max(results)
    winners = [poll.options[i] for i, count in enumerate(results) if count == best]
    if len(winners) > 1:
        return t(
            "📊 The poll **{question}** closed in a tie between {options} ({count} votes each).",
            question=poll.question,
            options=", ".join(f"**{w}**" for w in winners),
            count=best,
        )
    return t(
        "📊 The poll **{question}** closed: **{option}** wins with {count} votes.",
        question=poll.question,
        option=winners[0],
        count=best,
    )
