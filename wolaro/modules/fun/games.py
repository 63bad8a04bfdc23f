"""The fun commands' rules as plain functions: dice notation, rock-paper-scissors, choosing. No discord here."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

MAX_DICE = 100
MAX_SIDES = 1000
MAX_MODIFIER = 10_000
MAX_CHOICES = 25
MAX_CHOICE_LENGTH = 100

_DICE = re.compile(r"^\s*(\d{0,3})\s*[dD]\s*(\d{1,4})\s*(?:([+-])\s*(\d{1,5}))?\s*$")

rng = random.SystemRandom()


def t(message: str) -> str:
    """Mark `message` for the catalog; it is translated where shown."""
    return message


EIGHT_BALL = (
    t("It is certain."),
    t("Without a doubt."),
    t("Yes, definitely."),
    t("You may rely on it."),
    t("Most likely."),
    t("Signs point to yes."),
    t("Reply hazy, try again."),
    t("Ask again later."),
    t("Better not tell you now."),
    t("Cannot predict now."),
    t("Don't count on it."),
    t("My reply is no."),
    t("My sources say no."),
    t("Very doubtful."),
)


class DiceError(ValueError):
    """Dice notation that cannot be rolled (unreadable, or beyond the bounds)."""


@dataclass(frozen=True, slots=True)
class Dice:
    """`count` dice of `sides` sides, plus `modifier`."""

    count: int
    sides: int
    modifier: int = 0

    def __str__(self) -> str:
        bonus = f"{self.modifier:+d}" if self.modifier else ""
        return f"{self.count}d{self.sides}{bonus}"


def parse_dice(text: str) -> Dice:
    """`NdM+K` (`2d6`, `d20`, `4d8-2`, `3d6+10`): 1 to 100 dice of 2 to 1000 sides, a modifier within ±10000."""
    match = _DICE.match(text)
    if match is None:
        raise DiceError(text)
    count = int(match.group(1) or 1)
    sides = int(match.group(2))
    modifier = int(match.group(4) or 0) * (-1 if match.group(3) == "-" else 1)
    if not 1 <= count <= MAX_DICE or not 2 <= sides <= MAX_SIDES or abs(modifier) > MAX_MODIFIER:
        raise DiceError(text)
    return Dice(count, sides, modifier)


def roll(dice: Dice, source: random.Random = rng) -> tuple[list[int], int]:
    """Roll the dice: each die's result and the total (modifier included)."""
    rolls = [source.randint(1, dice.sides) for _ in range(dice.count)]
    return rolls, sum(rolls) + dice.modifier


class Hand(StrEnum):
    """A rock-paper-scissors hand."""

    ROCK = "rock"
    PAPER = "paper"
    SCISSORS = "scissors"


HAND_NAMES = {
    "rock": Hand.ROCK,
    "r": Hand.ROCK,
    "pierre": Hand.ROCK,
    "paper": Hand.PAPER,
    "p": Hand.PAPER,
    "feuille": Hand.PAPER,
    "papier": Hand.PAPER,
    "scissors": Hand.SCISSORS,
    "s": Hand.SCISSORS,
    "ciseaux": Hand.SCISSORS,
}
_BEATS = {Hand.ROCK: Hand.SCISSORS, Hand.PAPER: Hand.ROCK, Hand.SCISSORS: Hand.PAPER}


def parse_hand(text: str) -> Hand | None:
    """A hand from what the member typed (English or French, or its first letter), or None."""
    return HAND_NAMES.get(text.strip().casefold())


def duel(mine: Hand, theirs: Hand) -> int:
    """1 if `mine` wins, -1 if it loses, 0 for a draw."""
    if mine == theirs:
        return 0
    return 1 if _BEATS[mine] == theirs else -1


class ChoiceError(ValueError):
    """Choices that cannot be chosen from (too few, too many, too long)."""


def parse_choices(text: str) -> list[str]:
    """Choices separated by `|` or `,` (`pizza | sushi | tacos`): 2 to 25 of at most 100 characters."""
    separator = "|" if "|" in text else ","
    choices = [" ".join(part.split()) for part in text.split(separator)]
    choices = [choice for choice in choices if choice]
    if not 2 <= len(choices) <= MAX_CHOICES or any(len(c) > MAX_CHOICE_LENGTH for c in choices):
        raise ChoiceError(text)
    return choices


def pick(options: Sequence[str], source: random.Random = rng) -> str:
    """One of the options."""
    return source.choice(list(options))
