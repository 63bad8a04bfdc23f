"""Economy: a per-server currency with a wallet and a bank, rewards, payments, a shop and games.

The Cogs are thin: they read the server's `Config`, call the plain functions of `bank`, `rewards` and `shop`
(one transaction each, conditional updates with ledger rows) and reply. Refusals are `UserFacingError`s, shown as a
clear ephemeral message; nothing is changed when one is raised.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from wolaro.modules.economy import bank, rewards
from wolaro.modules.economy.api import router
from wolaro.modules.economy.cog import EconomyCog
from wolaro.modules.economy.commands_games import EconomyAdmin, EconomyGames
from wolaro.modules.economy.commands_shop import EconomyShop
from wolaro.modules.economy.config import Config
from wolaro.modules.economy.errors import refuse_bots
from wolaro.modules.economy.models import EconomyAccount, EconomyInventory, EconomyItem, EconomyLedger
from wolaro.modules.economy.pages import PANELS
from wolaro.modules.economy.privacy import PRIVACY
from wolaro.sdk import (
    GuildConfig,
    ModuleSpec,
    WolaroContext,
    get_logger,
    hybrid_command,
    utcnow,
)

log = get_logger(__name__)
NAME = bank.NAME


class Economy(EconomyCog):
    """Wallet, bank, rewards and payments."""

    def __init__(self, bot: Any) -> None:
        super().__init__(bot)
        self.rng = rewards.rng_for_games()

    @hybrid_command(name="balance")
    @commands.guild_only()
    @app_commands.describe(member="Whose balance (yours when left out)")
    async def balance(self, ctx: WolaroContext, member: discord.Member | None = None) -> None:
        """Show your wallet and bank, or another member's."""
        assert ctx.guild is not None
        who = member or ctx.author
        refuse_bots(who)
        config = await self.settings(ctx)
        money = await bank.balance(self.bot.services.db, ctx.guild.id, who.id)
        await ctx.answer(
            "{user}: wallet {wallet}, bank {bank}, total {total}.",
            user=who.mention,
            wallet=config.money(money.wallet),
            bank=config.money(money.bank),
            total=config.money(money.total),
        )

    @hybrid_command(name="deposit")
    @commands.guild_only()
    @app_commands.describe(amount="How much: 100, 2.5k, all, half")
    async def deposit(self, ctx: WolaroContext, amount: str) -> None:
        """Put money from your wallet in the bank, where games and purchases cannot spend it."""
        assert ctx.guild is not None
        config = await self.settings(ctx)
        moved, after = await bank.deposit(self.bot.services.db, ctx.guild.id, ctx.author.id, amount)
        await ctx.answer(
            "Deposited {amount}. Wallet {wallet}, bank {bank}.",
            amount=config.money(moved),
            wallet=config.money(after.wallet),
            bank=config.money(after.bank),
        )

    @hybrid_command(name="withdraw")
    @commands.guild_only()
    @app_commands.describe(amount="How much: 100, 2.5k, all, half")
    async def withdraw(self, ctx: WolaroContext, amount: str) -> None:
        """Take money from the bank into your wallet."""
        assert ctx.guild is not None
        config = await self.settings(ctx)
        moved, after = await bank.withdraw(self.bot.services.db, ctx.guild.id, ctx.author.id, amount)
        await ctx.answer(
            "Withdrew {amount}. Wallet {wallet}, bank {bank}.",
            amount=config.money(moved),
            wallet=config.money(after.wallet),
            bank=config.money(after.bank),
        )

    @hybrid_command(name="pay")
    @commands.guild_only()
    @app_commands.describe(member="Who gets the money", amount="How much: 100, 2.5k, all, half")
    async def pay(self, ctx: WolaroContext, member: discord.Member, amount: str) -> None:
        """Give money from your wallet to another member. Example: `!pay @Sam 250`."""
        assert ctx.guild is not None
        refuse_bots(member)
        config = await self.settings(ctx)
        paid, after = await bank.pay(
            self.bot.services.db, ctx.guild.id, ctx.author.id, member.id, amount, max_total=config.max_balance
        )
        await ctx.answer(
            "You paid {amount} to {user}. Your wallet: {wallet}.",
            amount=config.money(paid),
            user=member.mention,
            wallet=config.money(after.wallet),
        )

    async def _claim(self, ctx: WolaroContext, kind: str) -> None:
        assert ctx.guild is not None
        config = await self.settings(ctx)
        got = await rewards.claim(self.bot.services.db, ctx.guild.id, ctx.author.id, kind, config, utcnow(), self.rng)
        self.bot.dispatch("coins_earned", ctx.guild.id, ctx.author.id, got.amount, kind)
        fields: dict[str, Any] = {"amount": config.money(got.amount), "wallet": config.money(got.balance.wallet)}
        if kind == "daily" and got.streak > 1:
            await ctx.answer(
                "You got your daily {amount} ({streak} days in a row). Wallet: {wallet}.", streak=got.streak, **fields
            )
        elif kind == "daily":
            await ctx.answer("You got your daily {amount}. Wallet: {wallet}.", **fields)
        elif kind == "weekly":
            await ctx.answer("You got your weekly {amount}. Wallet: {wallet}.", **fields)
        else:
            await ctx.answer("You worked a shift and earned {amount}. Wallet: {wallet}.", **fields)

    @hybrid_command(name="daily")
    @commands.guild_only()
    async def daily(self, ctx: WolaroContext) -> None:
        """Claim your daily reward; claiming on following days adds a streak bonus."""
        await self._claim(ctx, "daily")

    @hybrid_command(name="weekly")
    @commands.guild_only()
    async def weekly(self, ctx: WolaroContext) -> None:
        """Claim your weekly reward."""
        await self._claim(ctx, "weekly")

    @hybrid_command(name="work")
    @commands.guild_only()
    async def work(self, ctx: WolaroContext) -> None:
        """Work a shift for some money; you rest a while before the next one."""
        await self._claim(ctx, "work")

    @hybrid_command(name="leaderboard")
    @commands.guild_only()
    @app_commands.describe(page="Which page (10 members each)")
    async def leaderboard(self, ctx: WolaroContext, page: commands.Range[int, 1, 10_000] = 1) -> None:
        """The richest members of this server, wallet and bank together."""
        assert ctx.guild is not None
        config = await self.settings(ctx)
        rows, pages = await bank.leaderboard(self.bot.services.db, ctx.guild.id, page)
        if not rows:
            await ctx.answer("Nobody has any money here yet: try /daily.")
            return
        lines = [f"**{row.rank}.** <@{row.user_id}> {config.money(row.total)}" for row in rows]
        embed = discord.Embed(title=ctx.t("Richest members"), description="\n".join(lines))
        embed.set_footer(text=ctx.t("Page {page} of {pages}", page=min(page, pages), pages=pages))
        await ctx.embed(embed)

    async def on_guild_level_up(self, config: GuildConfig, user_id: int, old_level: int, new_level: int) -> None:
        """The Leveling module's `level_up` event: pay the server's reward for each level gained (0: none)."""
        settings = Config.model_validate(config.module_configs.get(NAME) or {})
        gained = new_level - old_level
        if settings.level_up_reward <= 0 or gained <= 0:
            return
        amount = settings.level_up_reward * gained
        if await rewards.credit(self.bot.services.db, config.guild_id, user_id, amount, "level_up", settings):
            self.bot.dispatch("coins_earned", config.guild_id, user_id, amount, "level_up")


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name=NAME,
    title="Economy",
    description="A currency for your server: wallet and bank, daily rewards, work, payments, a shop and games.",
    version="1.0.0",
    config=Config,
    enabled_by_default=False,
    cogs=(Economy, EconomyShop, EconomyGames, EconomyAdmin),
    models=(EconomyAccount, EconomyLedger, EconomyItem, EconomyInventory),
    migrations=HERE / "migrations",
    locales=HERE / "locales",
    api=router,
    templates=HERE / "templates",
    panels=PANELS,
    privacy=PRIVACY,
    not_personal={
        "economy_accounts.wallet": "an amount of money",
        "economy_accounts.bank": "an amount of money",
        "economy_accounts.total": "an amount of money",
        "economy_ledger.id": "the number of a ledger row",
        "economy_ledger.wallet_delta": "an amount of money",
        "economy_ledger.bank_delta": "an amount of money",
        "economy_items.price": "an amount of money",
        "economy_items.role_id": "a role of the server that an item grants",
        "economy_ledger.item_id": "a shop item",
        "economy_inventory.item_id": "a shop item",
    },
    audit_labels={
        bank.GIVE_ACTION: "Money given",
        bank.TAKE_ACTION: "Money taken",
        bank.RESET_ACTION: "Balance reset",
        "economy.shop": "Shop changed",
    },
)
