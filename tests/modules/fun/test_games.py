"""The fun module's rules as plain functions, and its commands through the real bot."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.moderation import Place, say
from wolaro.modules.fun import games
from wolaro.modules.fun.games import ChoiceError, Dice, DiceError, Hand


@pytest.mark.parametrize(
    ("text", "dice"),
    [("2d6", Dice(2, 6)), ("d20", Dice(1, 20)), ("4d8-2", Dice(4, 8, -2)), (" 3 D 6 + 10 ", Dice(3, 6, 10))],
)
def test_dice_notation_is_read(text, dice):
    assert games.parse_dice(text) == dice


@pytest.mark.parametrize("text", ["", "d", "2d", "0d6", "101d6", "2d1", "2d1001", "2d6+10001", "2d6*3", "x" * 500])
def test_dice_beyond_bounds_or_unreadable_are_refused(text):
    with pytest.raises(DiceError):
        games.parse_dice(text)


@given(st.integers(1, 100), st.integers(2, 1000), st.integers(-10_000, 10_000))
def test_rolls_stay_within_the_dice(count, sides, modifier):
    rolls, total = games.roll(Dice(count, sides, modifier), random.Random(count))
    assert len(rolls) == count and all(1 <= r <= sides for r in rolls)
    assert total == sum(rolls) + modifier


def test_rock_paper_scissors():
    assert games.duel(Hand.ROCK, Hand.SCISSORS) == 1
    assert games.duel(Hand.ROCK, Hand.PAPER) == -1
    assert games.duel(Hand.PAPER, Hand.PAPER) == 0
    assert games.parse_hand(" Ciseaux ") is Hand.SCISSORS and games.parse_hand("p") is Hand.PAPER
    assert games.parse_hand("lizard") is None


def test_choices():
    assert games.parse_choices("pizza | sushi, rolls | tacos") == ["pizza", "sushi, rolls", "tacos"]
    assert games.parse_choices("red, green") == ["red", "green"]
    for bad in ("only one", "a|" + "b" * 101, ",".join("x" * 26)):
        with pytest.raises(ChoiceError):
            games.parse_choices(bad)
    assert games.pick(["a", "b"], random.Random(1)) in {"a", "b"}


async def test_fun_commands_answer_in_chat(sandbox, bot):
    place = Place.of(sandbox)
    user = place.plain[0]
    assert (await say(sandbox, place.channel, user, "!8ball will it rain?"))["content"].startswith("🎱 ")
    rolled = (await say(sandbox, place.channel, user, "!roll 3d6+2"))["content"]
    assert rolled.startswith("🎲 3d6+2: **")
    total = int(rolled.split("**")[1])
    assert total == sum(int(x) for x in rolled.split("(")[1].rstrip(")").split(", ")) + 2
    assert "is not dice I can roll" in (await say(sandbox, place.channel, user, "!roll 1000d6"))["content"]
    assert " vs " in (await say(sandbox, place.channel, user, "!rps rock"))["content"]
    assert "Play rock, paper or scissors" in (await say(sandbox, place.channel, user, "!rps lizard"))["content"]
    assert (await say(sandbox, place.channel, user, "!coinflip"))["content"] in {"🪙 Heads!", "🪙 Tails!"}
    chosen = (await say(sandbox, place.channel, user, "!choose tea | coffee"))["content"]
    assert chosen in {"🤔 I choose **tea**.", "🤔 I choose **coffee**."}
    await say(sandbox, place.channel, place.owner, "!language fr")
    assert (await say(sandbox, place.channel, user, "!coinflip"))["content"] in {"🪙 Pile !", "🪙 Face !"}
