"""The games' rules as plain functions: coinflip and slots with a configurable house edge.

The house edge is what, on average, the game keeps of each bet: with an edge of 3 %, a bet returns 97 % of its
value in the long run. Payouts are whole coins, rounded down. Randomness comes from the `random.Random` given, so
tests can fix it; the bot uses the system's source.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from itertools import product

SIDES = ("heads", "tails")
REELS: tuple[tuple[str, int], ...] = (("🍒", 6), ("🍋", 5), ("🔔", 3), ("⭐", 2), ("💎", 1))
"""The slot machine's symbols and how often each comes up (out of their sum) on each of its three reels."""
TRIPLE: dict[str, int] = {"🍒": 5, "🍋": 10, "🔔": 25, "⭐": 60, "💎": 200}
"""Three of a symbol pay the bet times this (before the house edge)."""
PAIR = Fraction(3, 2)
"""Two of a kind pay the bet times this (before the house edge)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a game returned: what came up, and the coins paid back (0 when the bet is lost)."""

    shown: str
    payout: int

    def net(self, bet: int) -> int:
        """The change to the player's wallet: the payout minus the bet."""
        return self.payout - bet


def _keep(edge_percent: float) -> Fraction:
    """The share of a bet the games return on average (1 minus the edge)."""
    return 1 - Fraction(str(edge_percent)) / 100


def coinflip(bet: int, call: str, edge_percent: float, rng: random.Random) -> Outcome:
    """Flip a coin: a right call pays twice the bet, less the house edge; a wrong one loses the bet."""
    side = rng.choice(SIDES)
    payout = int(bet * 2 * _keep(edge_percent)) if side == call else 0
    return Outcome(side, payout)


def _base_multiplier(symbols: tuple[str, ...]) -> Fraction:
    counts = sorted((symbols.count(s) for s in set(symbols)), reverse=True)
    if counts[0] == 3:
        return Fraction(TRIPLE[symbols[0]])
    return PAIR if counts[0] == 2 else Fraction(0)


def _weights() -> tuple[list[str], list[int]]:
    return [s for s, _ in REELS], [w for _, w in REELS]


def base_return() -> Fraction:
    """What the paytable returns per coin bet before the house edge (an exact fraction)."""
    names, weights = _weights()
    total = sum(weights) ** 3
    expected = Fraction(0)
    for combo in product(range(len(names)), repeat=3):
        chance = Fraction(weights[combo[0]] * weights[combo[1]] * weights[combo[2]], total)
        expected += chance * _base_multiplier(tuple(names[i] for i in combo))
    return expected


def slots_multiplier(symbols: tuple[str, ...], edge_percent: float) -> Fraction:
    """The payout per coin bet for these three symbols, scaled so the machine keeps exactly the house edge."""
    return _base_multiplier(symbols) * _keep(edge_percent) / base_return()


def slots_return(edge_percent: float) -> Fraction:
    """The exact average return per coin bet (before payouts are rounded down to whole coins)."""
    names, weights = _weights()
    total = sum(weights) ** 3
    return sum(
        (
            Fraction(weights[a] * weights[b] * weights[c], total)
            * slots_multiplier((names[a], names[b], names[c]), edge_percent)
            for a, b, c in product(range(len(names)), repeat=3)
        ),
        Fraction(0),
    )


def slots(bet: int, edge_percent: float, rng: random.Random) -> Outcome:
    """Spin three reels: three of a kind or a pair pay by the paytable, less the house edge."""
    names, weights = _weights()
    symbols = tuple(rng.choices(names, weights, k=3))
    return Outcome(" ".join(symbols), int(bet * slots_multiplier(symbols, edge_percent)))


def top_multiplier(edge_percent: float) -> Fraction:
    """The most a game may pay per coin bet (the slots' jackpot)."""
    return slots_multiplier(("💎", "💎", "💎"), edge_percent)
