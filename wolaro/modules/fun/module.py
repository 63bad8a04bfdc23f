"""Fun: `/8ball`, `/roll` (dice as `NdM+K`), `/rps`, `/coinflip`, `/choose`."""

from __future__ import annotations

from pathlib import Path

from discord import app_commands

from wolaro.modules.fun import games
from wolaro.modules.fun.games import ChoiceError, DiceError, Hand
from wolaro.sdk import ModuleSpec, UserFacingError, WolaroContext, WolaroModule, hybrid_command

HANDS = {Hand.ROCK: "🪨", Hand.PAPER: "📄", Hand.SCISSORS: "✂️"}
HAND_WORDS = {Hand.ROCK: games.t("rock"), Hand.PAPER: games.t("paper"), Hand.SCISSORS: games.t("scissors")}
OUTCOMES = {1: games.t("You win!"), 0: games.t("It's a draw."), -1: games.t("I win!")}


class Fun(WolaroModule):
    """Fun."""

    @hybrid_command(name="8ball")
    @app_commands.describe(question="Your yes-or-no question")
    async def eight_ball(self, ctx: WolaroContext, *, question: str) -> None:
        """Ask the magic 8-ball a yes-or-no question.

        Example: `!8ball will it rain tomorrow?`
        """
        if not question.strip():
            raise UserFacingError("Ask a question after the command, e.g. `!8ball will it rain?`")
        answer = ctx.t(games.rng.choice(games.EIGHT_BALL))
        await ctx.answer("🎱 {answer}", answer=answer)

    @hybrid_command(name="roll")
    @app_commands.describe(dice="Dice as NdM+K: 2d6, d20, 4d8-2 (at most 100 dice of 1000 sides)")
    async def roll(self, ctx: WolaroContext, dice: str = "1d6") -> None:
        """Roll dice written as `NdM+K`: N dice of M sides, plus K.

        Examples: `!roll 2d6`, `!roll d20`, `!roll 4d8-2`. At most 100 dice of 1000 sides.
        """
        try:
            parsed = games.parse_dice(dice)
        except DiceError:
            raise UserFacingError(
                "`{text}` is not dice I can roll. Write them as `2d6`, `d20` or `4d8+3`: 1 to {dice} dice of "
                "2 to {sides} sides.",
                text=dice[:40],
                dice=games.MAX_DICE,
                sides=games.MAX_SIDES,
            ) from None
        rolls, total = games.roll(parsed)
        shown = ", ".join(map(str, rolls[:50])) + (" …" if len(rolls) > 50 else "")
        await ctx.answer("🎲 {dice}: **{total}** ({rolls})", dice=str(parsed), total=total, rolls=shown)

    @hybrid_command(name="rps")
    @app_commands.describe(hand="rock, paper or scissors")
    @app_commands.choices(hand=[app_commands.Choice(name=h.value, value=h.value) for h in Hand])
    async def rps(self, ctx: WolaroContext, hand: str) -> None:
        """Play rock-paper-scissors against me.

        Example: `!rps rock` (or paper, scissors; r, p, s work too).
        """
        mine = games.parse_hand(hand)
        if mine is None:
            raise UserFacingError("Play rock, paper or scissors, e.g. `!rps rock`.")
        theirs = games.rng.choice(list(Hand))
        await ctx.answer(
            "{you} {your_hand} vs {me} {my_hand}: {outcome}",
            you=HANDS[mine],
            your_hand=ctx.t(HAND_WORDS[mine]),
            me=HANDS[theirs],
            my_hand=ctx.t(HAND_WORDS[theirs]),
            outcome=ctx.t(OUTCOMES[games.duel(mine, theirs)]),
        )

    @hybrid_command(name="coinflip")
    async def coinflip(self, ctx: WolaroContext) -> None:
        """Flip a coin: heads or tails.

        Example: `!coinflip`. (To bet coins on it, see `/bet coinflip` in the economy module.)
        """
        side = games.rng.choice((games.t("Heads"), games.t("Tails")))
        await ctx.answer("🪙 {side}!", side=ctx.t(side))

    @hybrid_command(name="choose")
    @app_commands.describe(choices="Two or more choices separated by | or commas")
    async def choose(self, ctx: WolaroContext, *, choices: str) -> None:
        """Let me choose for you among several options.

        Example: `!choose pizza | sushi | tacos` or `!choose red, green, blue`.
        """
        try:
            options = games.parse_choices(choices)
        except ChoiceError:
            raise UserFacingError(
                "Give me 2 to {count} choices of at most {length} characters, separated by `|` or commas.",
                count=games.MAX_CHOICES,
                length=games.MAX_CHOICE_LENGTH,
            ) from None
        await ctx.answer("🤔 I choose **{choice}**.", choice=games.pick(options))


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name="fun",
    title="Fun",
    description="Fun: the magic 8-ball, dice, rock-paper-scissors, a coin flip and a chooser.",
    version="1.0.0",
    enabled_by_default=True,
    cogs=(Fun,),
    locales=HERE / "locales",
)
