"""The results chart of a poll: a PNG bar chart drawn by matplotlib, in a worker thread (never on the event loop)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display: draw to memory only

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

LABEL_MAX = 40


def draw(question: str, options: Sequence[str], counts: Sequence[int], votes_label: str) -> bytes:
    """The chart as PNG bytes (one horizontal bar per option, in the poll's order)."""
    height = 1.2 + 0.45 * len(options)
    figure = Figure(figsize=(7, height), dpi=100)
    axes = figure.add_subplot()
    labels = [o if len(o) <= LABEL_MAX else o[: LABEL_MAX - 1] + "…" for o in options]
    positions = list(range(len(options)))[::-1]
    bars = axes.barh(positions, counts, color="#5865F2")
    axes.set_yticks(positions, labels)
    axes.bar_label(bars, padding=3)
    axes.set_xlabel(votes_label)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # votes are whole numbers
    axes.set_title(question if len(question) <= 80 else question[:79] + "…")
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_xlim(0, max(max(counts, default=0), 1) * 1.15)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


async def render(question: str, options: Sequence[str], counts: Sequence[int], votes_label: str) -> bytes:
    """`draw` in a worker thread."""
    return await asyncio.to_thread(draw, question, list(options), list(counts), votes_label)
