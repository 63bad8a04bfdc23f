"""The shop in chat: `/shop list`, an admin's `/shop add|edit|remove`, `/buy`, `/inventory`, `/use`."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from wolaro.modules.economy import shop
from wolaro.modules.economy.amounts import parse_amount
from wolaro.modules.economy.cog import EconomyCog
from wolaro.modules.economy.config import AMOUNT_CAP
from wolaro.sdk import (
    UserFacingError,
    WolaroContext,
    get_logger,
    guild_admin_only,
    hybrid_command,
    hybrid_group,
)

log = get_logger(__name__)


class EconomyShop(EconomyCog):
    """The shop: items, buying, the inventory."""

    @hybrid_group(name="shop", fallback="list")
    @commands.guild_only()
    async def shop_group(self, ctx: WolaroContext) -> None:
        """List the items for sale in this server's shop."""
        assert ctx.guild is not None
        config = await self.settings(ctx)
        found = await shop.items(self.bot.services.db, ctx.guild.id, only_available=True)
        if not found:
            await ctx.answer("The shop is empty: admins add items with /shop add or on the dashboard.")
            return
        embed = discord.Embed(title=ctx.t("Shop"))
        for item in found[:25]:
            role = ctx.t(" (grants <@&{role}>)", role=item.role_id) if item.role_id else ""
            embed.add_field(
                name=f"{item.name} · {config.money(item.price)}", value=(item.description or "-") + role, inline=False
            )
        await ctx.embed(embed)

    @shop_group.subcommand(name="add")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(
        name="The item's name",
        price="What it costs",
        role="A role buying it grants (optional)",
        description="A short description (optional)",
        use_message="What /use says (optional)",
    )
    async def shop_add(
        self,
        ctx: WolaroContext,
        name: commands.Range[str, 1, 64],
        price: str,
        role: discord.Role | None = None,
        *,
        description: commands.Range[str, 0, 200] = "",
        use_message: commands.Range[str, 0, 200] = "",
    ) -> None:
        """Add an item to the shop (Manage Server). Example: `!shop add VIP 5000 @VIP`."""
        assert ctx.guild is not None
        config = await self.settings(ctx)
        values = {
            "name": name,
            "price": parse_amount(price, limit=AMOUNT_CAP),
            "role_id": role.id if role else None,
            "description": description,
            "use_message": use_message,
            "available": True,
        }
        item = await shop.save_item(self.bot.services.db, ctx.guild.id, ctx.author.id, values, None)
        await ctx.answer("{item} is in the shop for {price}.", item=item.name, price=config.money(item.price))

    @shop_group.subcommand(name="edit")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(name="The item to change", price="Its new price", new_name="Its new name (optional)")
    async def shop_edit(
        self, ctx: WolaroContext, name: str, price: str, new_name: commands.Range[str, 1, 64] | None = None
    ) -> None:
        """Change an item's price, and its name if you give a new one (Manage Server)."""
        assert ctx.guild is not None
        config = await self.settings(ctx)
        db = self.bot.services.db
        item = await shop.find(db, ctx.guild.id, name)
        if item is None:
            raise UserFacingError("The shop has no item called {name}.", name=name[:64])
        values = {"name": new_name or item.name, "price": parse_amount(price, limit=AMOUNT_CAP)}
        saved = await shop.save_item(db, ctx.guild.id, ctx.author.id, values, item.id)
        await ctx.answer("{item} now costs {price}.", item=saved.name, price=config.money(saved.price))

    @shop_group.subcommand(name="remove")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(name="The item to take out of the shop")
    async def shop_remove(self, ctx: WolaroContext, *, name: str) -> None:
        """Take an item out of the shop; members holding it lose it (Manage Server)."""
        assert ctx.guild is not None
        db = self.bot.services.db
        item = await shop.find(db, ctx.guild.id, name)
        if item is None:
            raise UserFacingError("The shop has no item called {name}.", name=name[:64])
        await shop.remove_item(db, ctx.guild.id, ctx.author.id, item.id)
        await ctx.answer("{item} is no longer in the shop.", item=item.name)

    @hybrid_command(name="buy")
    @commands.guild_only()
    @app_commands.describe(item="The item's name", quantity="How many (role items: one)")
    async def buy(self, ctx: WolaroContext, item: str, quantity: commands.Range[int, 1, 100] = 1) -> None:
        """Buy an item from the shop with your wallet. Example: `!buy Cookie 3`."""
        assert ctx.guild is not None and isinstance(ctx.author, discord.Member)
        config = await self.settings(ctx)
        db = self.bot.services.db
        wanted = await shop.find(db, ctx.guild.id, item)
        if wanted is not None and wanted.role_id is not None and ctx.author.get_role(wanted.role_id) is not None:
            raise UserFacingError("You already have the role {item} gives.", item=wanted.name)
        bought, after = await shop.buy(db, ctx.guild.id, ctx.author.id, item, quantity)
        if bought.role_id is None:
            await ctx.answer(
                "You bought {count} × {item} for {price}. Wallet: {wallet}.",
                count=quantity,
                item=bought.name,
                price=config.money(bought.price * quantity),
                wallet=config.money(after.wallet),
            )
            return
        if not await self._grant(ctx.author, bought.role_id, bought.name):
            after = await shop.refund(db, ctx.guild.id, ctx.author.id, bought)
            raise UserFacingError(
                "I could not give you the role of {item} (it is above my highest role, or I may not manage roles), "
                "so you got your {price} back. Tell an admin.",
                item=bought.name,
                price=config.money(bought.price),
            )
        await ctx.answer(
            "You bought {item} for {price} and got its role. Wallet: {wallet}.",
            item=bought.name,
            price=config.money(bought.price),
            wallet=config.money(after.wallet),
        )

    async def _grant(self, member: discord.Member, role_id: int, item: str) -> bool:
        role = member.guild.get_role(role_id)
        if role is None:
            return False
        try:
            await member.add_roles(role, reason=f"Bought {item} in the shop")
        except discord.HTTPException as exc:
            log.info("shop role not granted", guild_id=member.guild.id, role_id=role_id, error=repr(exc))
            return False
        return True

    @hybrid_command(name="inventory")
    @commands.guild_only()
    async def inventory(self, ctx: WolaroContext) -> None:
        """The shop items you hold here."""
        assert ctx.guild is not None
        held = await shop.inventory(self.bot.services.db, ctx.guild.id, ctx.author.id)
        if not held:
            await ctx.answer("You hold no items: see /shop.", ephemeral=True)
            return
        lines = "\n".join(f"{count} × {item.name}" for item, count in held)
        await ctx.answer("Your items:\n{lines}", ephemeral=True, lines=lines)

    @hybrid_command(name="use")
    @commands.guild_only()
    @app_commands.describe(item="The item's name")
    async def use(self, ctx: WolaroContext, *, item: str) -> None:
        """Use one of an item you hold (it is used up)."""
        assert ctx.guild is not None
        used, left = await shop.use(self.bot.services.db, ctx.guild.id, ctx.author.id, item)
        if used.use_message:
            await ctx.answer("{message} ({left} left)", message=used.use_message, left=left)
        else:
            await ctx.answer("You used one {item} ({left} left).", item=used.name, left=left)
