"""Level curves as plain functions: how much XP each level takes, and the level a total of XP gives.

A level is never stored: it is computed from the member's stored XP total, so two bot processes adding XP to the
same member in SQL (`xp = xp + added`) always agree on the level.
"""

from __future__ import annotations

import bisect
import functools
import math
from dataclasses import dataclass

from wolaro.modules.leveling.config import MAX_LEVEL, Config, Curve

LEVEL_XP_CAP = 10**12
"""The most XP one level may take (steep exponential curves stop growing there; totals stay in a BIGINT)."""


@dataclass(frozen=True, slots=True)
class CurveSpec:
    """The curve of a server, as plain values (hashable: thresholds are cached per curve)."""

    curve: Curve = "mee6"
    linear_base: int = 100
    linear_step: int = 100
    exponential_base: int = 100
    exponential_growth: float = 1.2
    multiplier: float = 1.0
    max_level: int = 100

    @classmethod
    def of(cls, config: Config) -> CurveSpec:
        """The curve a server's settings describe."""
        return cls(
            config.curve,
            config.linear_base,
            config.linear_step,
            config.exponential_base,
            config.exponential_growth,
            config.curve_multiplier,
            config.max_level,
        )


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a total of XP stands: its level, the XP gathered into the next level and what that level takes."""

    level: int
    into_level: int
    needed: int
    """XP from `level` to `level + 1` (0 at the highest level)."""
    total: int


def xp_to_next(level: int, curve: CurveSpec) -> int:
    """XP from `level` to `level + 1`: MEE6's `5l² + 50l + 100`, linear or exponential, times the multiplier."""
    raw: float
    if curve.curve == "linear":
        raw = curve.linear_base + curve.linear_step * level
    elif curve.curve == "exponential":
        power = level * math.log(curve.exponential_growth)
        raw = curve.exponential_base * math.exp(min(power, math.log(LEVEL_XP_CAP)))
    else:
        raw = 5 * level * level + 50 * level + 100
    return max(1, min(LEVEL_XP_CAP, round(raw * curve.multiplier)))


@functools.lru_cache(maxsize=256)
def thresholds(curve: CurveSpec) -> tuple[int, ...]:
    """Total XP needed for each level 0..max_level (`thresholds(c)[l]`: the least total at level l)."""
    totals = [0]
    for level in range(min(curve.max_level, MAX_LEVEL)):
        totals.append(totals[-1] + xp_to_next(level, curve))
    return tuple(totals)


def total_for_level(level: int, curve: CurveSpec) -> int:
    """The least total XP at `level` (clamped to 0..max_level)."""
    steps = thresholds(curve)
    return steps[max(0, min(level, len(steps) - 1))]


def level_for_xp(total: int, curve: CurveSpec) -> int:
    """The level a total of XP gives (0 for nothing or less, at most the curve's highest level)."""
    return max(0, bisect.bisect_right(thresholds(curve), total) - 1)


def progress(total: int, curve: CurveSpec) -> Progress:
    """The level of `total` and how far it is into the next one."""
    level = level_for_xp(total, curve)
    steps = thresholds(curve)
    if level >= len(steps) - 1:
        return Progress(level, max(0, total - steps[-1]), 0, total)
    return Progress(level, total - steps[level], steps[level + 1] - steps[level], total)
