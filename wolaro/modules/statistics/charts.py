"""PNG charts drawn with matplotlib's Agg backend, without pyplot (each call builds its own Figure).

Drawing takes tens of milliseconds, so callers run these in a worker thread (`render` does it), never on the
event loop. Figures on the axes and the bars are written in the server's language (`12 345`, `2,5` in French).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from wolaro.sdk import format_number

BACKGROUND = "#2b2d31"
FOREGROUND = "#dbdee1"
ACCENT = "#5865f2"
SECOND = "#3ba55d"


def _figure() -> tuple[Figure, object]:
    figure = Figure(figsize=(8, 3.6), dpi=100, facecolor=BACKGROUND)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1, facecolor=BACKGROUND)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(FOREGROUND)
    axes.tick_params(colors=FOREGROUND, labelsize=9)
    axes.grid(axis="y", color="#4e5058", linewidth=0.6)
    return figure, axes


def _numbers(axis: object, language: str) -> None:
    """Write the axis' figures the way `language` does."""
    axis.set_major_formatter(FuncFormatter(lambda value, _: format_number(value, language, decimals=2)))  # type: ignore[attr-defined]


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", facecolor=BACKGROUND)
    return out.getvalue()


def line_chart(
    title: str,
    days: Sequence[date],
    series: Sequence[tuple[str, Sequence[float]]],
    day_labels: Sequence[str],
    language: str = "en",
) -> bytes:
    """One line per series over the days, each day named by `day_labels` (in the server's language).

    A single day is drawn as one bar per series.
    """
    figure, axes = _figure()
    axes.set_title(title, color=FOREGROUND, fontsize=12, loc="left")  # type: ignore[attr-defined]
    colours = (ACCENT, SECOND, "#faa61a", "#ed4245")
    if len(days) <= 1:
        names = [label for label, _ in series]
        totals = [values[0] if values else 0 for _, values in series]
        axes.bar(names, totals, color=colours[: len(names)], width=0.5)  # type: ignore[attr-defined]
        for position, value in enumerate(totals):
            shown = format_number(value, language, decimals=2)
            axes.text(position, value, shown, ha="center", va="bottom", color=FOREGROUND)  # type: ignore[attr-defined]
        if day_labels:
            axes.set_xlabel(day_labels[0], color=FOREGROUND)  # type: ignore[attr-defined]
        _numbers(axes.yaxis, language)  # type: ignore[attr-defined]
        return _png(figure)
    positions = range(len(days))
    for (label, values), colour in zip(series, colours, strict=False):
        axes.plot(positions, values, color=colour, label=label, linewidth=2, marker="o", markersize=3)  # type: ignore[attr-defined]
    axes.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))  # type: ignore[attr-defined]
    axes.xaxis.set_major_formatter(  # type: ignore[attr-defined]
        FuncFormatter(lambda x, _: day_labels[int(x)] if 0 <= int(x) < len(day_labels) and x == int(x) else "")
    )
    axes.set_ylim(bottom=0)  # type: ignore[attr-defined]
    _numbers(axes.yaxis, language)  # type: ignore[attr-defined]
    if len(series) > 1:
        legend = axes.legend(  # type: ignore[attr-defined]
            loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(series), frameon=False, fontsize=9
        )
        for label_text in legend.get_texts():
            label_text.set_color(FOREGROUND)
    return _png(figure)


def bar_chart(
    title: str, names: Sequence[str], values: Sequence[float], labels: Sequence[str], language: str = "en"
) -> bytes:
    """Horizontal bars, the first name on top (a leaderboard), each followed by its label (its figure, written)."""
    figure, axes = _figure()
    axes.set_title(title, color=FOREGROUND, fontsize=12, loc="left")  # type: ignore[attr-defined]
    positions = list(range(len(names)))[::-1]
    axes.barh(positions, values, color=ACCENT)  # type: ignore[attr-defined]
    axes.set_yticks(positions, [n[:24] for n in names])  # type: ignore[attr-defined]
    axes.grid(axis="x", color="#4e5058", linewidth=0.6)  # type: ignore[attr-defined]
    axes.grid(axis="y", visible=False)  # type: ignore[attr-defined]
    _numbers(axes.xaxis, language)  # type: ignore[attr-defined]
    for position, value, label in zip(positions, values, labels, strict=True):
        axes.text(value, position, f" {label}", va="center", color=FOREGROUND, fontsize=9)  # type: ignore[attr-defined]
    return _png(figure)


async def render(draw: Callable[..., bytes], *args: object) -> bytes:
    """Draw a chart in a worker thread (the event loop keeps serving every other server meanwhile)."""
    return await asyncio.to_thread(partial(draw, *args))
