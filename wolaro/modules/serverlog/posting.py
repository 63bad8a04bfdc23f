"""Entries into Discord posts, in the server's language: one embed each, or a summary and a text file for many."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord

from wolaro.modules.serverlog.entries import Entry

#: A message holds at most 10 embeds; a batch of more becomes one summary embed and a text file.
MAX_EMBEDS = 10

Translate = Callable[..., str]


@dataclass(frozen=True, slots=True)
class Rendered:
    """An entry in one language: its embed and the same as plain text (for the file of a large batch)."""

    embed: discord.Embed
    text: str


def render(entry: Entry, translate: Translate, when: str) -> Rendered:
    """An entry as an embed (title, coloured bar, labelled lines) and as text."""
    title = translate(entry.title, **entry.values)
    embed = discord.Embed(description=title, colour=entry.colour)
    text_lines = [f"[{when}] {title}"]
    for line in entry.lines:
        label = translate(line.label)
        value = translate(line.text, **line.values) if line.translate_text else line.text
        embed.add_field(name=label, value=value or "-", inline=len(value) < 40)
        text_lines.append(f"    {label}: {value}")
    if entry.user_id is not None:
        embed.set_footer(text=translate("Member id: {id}", id=entry.user_id))
    return Rendered(embed, "\n".join(text_lines))


def post_arguments(items: list[Rendered], dropped: int, translate: Translate) -> dict[str, Any]:
    """What one post sends: the embeds themselves, or a summary embed and a text file of every entry."""
    if len(items) <= MAX_EMBEDS and not dropped:
        return {"embeds": [item.embed for item in items]}
    summary = discord.Embed(
        description=translate(
            "{count} events in a short time: the details are in the attached file.", count=len(items)
        ),
        colour=0x95A5A6,
    )
    for item in items[:5]:
        summary.add_field(name="\u200b", value=(item.embed.description or "")[:1024], inline=False)
    if dropped:
        summary.set_footer(text=translate("{count} more events were too many to keep.", count=dropped))
    body = "\n".join(item.text for item in items).encode()
    return {"embed": summary, "file": discord.File(io.BytesIO(body), filename="server-log.txt")}
