"""Games and an admin's tools in chat: `/bet coinflip|slots`, `/economy show|give|take|reset`."""

from __future__ import annotations

import random
from functools import partial
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from wolaro.modules.economy import bank, games, rewards
from wolaro.modules.economy.amounts import parse_amount
from wolaro.modules.economy.cog import EconomyCog
from wolaro.modules.economy.errors import refuse_bots
from wolaro.sdk import WolaroContext, guild_admin_only, hybrid_group


class EconomyGames(EconomyCog):
    """Coinflip and slots, with the server's bet limits and house edge."""

    rng: random.Random = rewards.rng_for_games()

    @hybrid_group(name="bet", invoke_without_command=True)
    @commands.guild_only()
    async def bet(self, ctx: WolaroContext) -> None:
        """Bet money from your wallet: `/bet coinflip` or `/bet slots`."""
        config = await self.settings(ctx)
        await ctx.answer(
            "Games: `/bet coinflip heads 100` or `/bet slots 100`. Bets from {low} to {high}.",
            low=config.money(config.min_bet),
            high=config.money(config.max_bet),
        )

    async def _played(self, ctx: WolaroContext, kind: str, amount: str, play: partial[games.Outcome]) -> None:
        assert ctx.guild is not None
        config = await self.settings(ctx)
        done = await rewards.gamble(self.bot.services.db, ctx.guild.id, ctx.author.id, amount, config, kind, play)
        fields: dict[str, Any] = {"shown": done.shown, "wallet": config.money(done.balance.wallet)}
        if done.payout > done.bet:
            self.bot.dispatch("coins_earned", ctx.guild.id, ctx.author.id, done.payout - done.bet, kind)
            await ctx.answer("{shown}: you win {amount}! Wallet: {wallet}.", amount=config.money(done.payout), **fields)
        elif done.payout:
            await ctx.answer(
                "{shown}: you get {amount} back. Wallet: {wallet}.", amount=config.money(done.payout), **fields
            )
        else:
            await ctx.answer("{shown}: you lose {amount}. Wallet: {wallet}.", amount=config.money(done.bet), **fields)

    @bet.subcommand(name="coinflip")
    @commands.guild_only()
    @app_commands.describe(side="Heads or tails", amount="Your bet: 100, 2.5k, all, half")
    async def bet_coinflip(self, ctx: WolaroContext, side: Literal["heads", "tails"], amount: str) -> None:
        """Call heads or tails: right pays about twice the bet (less the house edge), wrong loses it."""
        config = await self.settings(ctx)
        play = partial(_coinflip, side=side, edge=config.house_edge_percent, rng=self.rng)
        await self._played(ctx, "coinflip", amount, play)

    @bet.subcommand(name="slots")
    @commands.guild_only()
    @app_commands.describe(amount="Your bet: 100, 2.5k, all, half")
    async def bet_slots(self, ctx: WolaroContext, amount: str) -> None:
        """Spin the slot machine: a pair or three of a kind pays, the rarer the more."""
        config = await self.settings(ctx)
        play = partial(_slots, edge=config.house_edge_percent, rng=self.rng)
        await self._played(ctx, "slots", amount, play)


def _coinflip(bet: int, *, side: str, edge: float, rng: random.Random) -> games.Outcome:
    return games.coinflip(bet, side, edge, rng)


def _slots(bet: int, *, edge: float, rng: random.Random) -> games.Outcome:
    return games.slots(bet, edge, rng)


class EconomyAdmin(EconomyCog):
    """An admin's tools: show the settings, give, take, reset."""

    @hybrid_group(name="economy", fallback="show")
    @commands.guild_only()
    async def economy(self, ctx: WolaroContext) -> None:
        """Show this server's currency, rewards and game limits."""
        config = await self.settings(ctx)
        await ctx.answer(
            "Currency: {money}. Daily {daily} (+{bonus} per day in a row), weekly {weekly}, work {low} to {high} "
            "every {minutes} min. Bets {min_bet} to {max_bet}, house edge {edge} %. Nobody may hold more than {max}.",
            money=config.currency(),
            daily=config.money(config.daily_amount),
            bonus=config.money(config.daily_streak_bonus),
            weekly=config.money(config.weekly_amount),
            low=config.money(config.work_min),
            high=config.money(config.work_max),
            minutes=config.work_cooldown_minutes,
            min_bet=config.money(config.min_bet),
            max_bet=config.money(config.max_bet),
            edge=config.house_edge_percent,
            max=config.money(config.max_balance),
        )

    @economy.subcommand(name="give")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(member="Who gets the money", amount="How much: 100, 2.5k, 1m")
    async def economy_give(self, ctx: WolaroContext, member: discord.Member, amount: str) -> None:
        """Add money to a member's wallet (Manage Server)."""
        assert ctx.guild is not None
        refuse_bots(member)
        config = await self.settings(ctx)
        value = parse_amount(amount, limit=config.max_balance)
        after = await bank.give(
            self.bot.services.db, ctx.guild.id, ctx.author.id, member.id, value, max_total=config.max_balance
        )
        await ctx.answer(
            "Gave {amount} to {user}. Their wallet: {wallet}.",
            amount=config.money(value),
            user=member.mention,
            wallet=config.money(after.wallet),
        )

    @economy.subcommand(name="take")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(member="Whose money", amount="How much: 100, 2.5k, all")
    async def economy_take(self, ctx: WolaroContext, member: discord.Member, amount: str) -> None:
        """Remove money from a member, wallet first, then bank (Manage Server)."""
        assert ctx.guild is not None
        refuse_bots(member)
        config = await self.settings(ctx)
        taken, after = await bank.take(self.bot.services.db, ctx.guild.id, ctx.author.id, member.id, amount)
        await ctx.answer(
            "Took {amount} from {user}. They have {total} left.",
            amount=config.money(taken),
            user=member.mention,
            total=config.money(after.total),
        )

    @economy.subcommand(name="reset")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(member="Whose wallet and bank to empty")
    async def economy_reset(self, ctx: WolaroContext, member: discord.Member) -> None:
        """Empty a member's wallet and bank (Manage Server)."""
        assert ctx.guild is not None
        refuse_bots(member)
        config = await self.settings(ctx)
        before = await bank.reset(self.bot.services.db, ctx.guild.id, ctx.author.id, member.id)
        await ctx.answer("Reset {user}: they had {total}.", user=member.mention, total=config.money(before.total))
