"""The settings a server admin chooses for the economy (every value bounded, with sensible defaults)."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator

from wolaro.sdk import ModuleConfig

AMOUNT_CAP = 10**15
"""The largest amount any setting may name (well inside the database's 64-bit integers)."""


class Config(ModuleConfig):
    """Economy settings of one server."""

    currency_name: str = Field(
        default="coins",
        min_length=1,
        max_length=32,
        title="Currency name",
        description="What the money is called here, e.g. coins, gems or cookies",
    )
    currency_symbol: str = Field(
        default="🪙",
        max_length=16,
        title="Currency symbol",
        description="Shown before amounts, e.g. 🪙, $ or 💎 (leave empty for none)",
    )
    max_balance: int = Field(
        default=1_000_000_000_000,
        ge=1,
        le=AMOUNT_CAP,
        title="Maximum balance",
        description="The most one member may hold, wallet and bank together; earnings past it are refused",
    )
    daily_amount: int = Field(
        default=100, ge=0, le=AMOUNT_CAP, title="Daily reward", description="What /daily pays once a day"
    )
    daily_streak_bonus: int = Field(
        default=10,
        ge=0,
        le=AMOUNT_CAP,
        title="Daily streak bonus",
        description="Extra paid for each day in a row a member claimed their daily reward",
    )
    daily_streak_max: int = Field(
        default=7,
        ge=0,
        le=365,
        title="Longest counted streak",
        description="After this many days in a row, the streak bonus stops growing",
    )
    weekly_amount: int = Field(
        default=1_000, ge=0, le=AMOUNT_CAP, title="Weekly reward", description="What /weekly pays once a week"
    )
    work_min: int = Field(
        default=50, ge=0, le=AMOUNT_CAP, title="Work pay (lowest)", description="The least one shift of /work pays"
    )
    work_max: int = Field(
        default=200, ge=0, le=AMOUNT_CAP, title="Work pay (highest)", description="The most one shift of /work pays"
    )
    work_cooldown_minutes: int = Field(
        default=60,
        ge=1,
        le=10_080,
        title="Rest between shifts",
        description="Minutes a member waits between two /work shifts",
    )
    min_bet: int = Field(
        default=10, ge=1, le=AMOUNT_CAP, title="Smallest bet", description="The least a member may bet in a game"
    )
    max_bet: int = Field(
        default=10_000, ge=1, le=AMOUNT_CAP, title="Largest bet", description="The most a member may bet in a game"
    )
    house_edge_percent: float = Field(
        default=3.0,
        ge=0,
        le=50,
        title="House edge (%)",
        description="On average the games keep this share of what is bet (0: fair games)",
    )
    level_up_reward: int = Field(
        default=0,
        ge=0,
        le=AMOUNT_CAP,
        title="Reward per level gained",
        description="Paid to a member for each level they gain in the Leveling module (0: none)",
    )

    public_leaderboard: bool = Field(
        default=False,
        title="Public leaderboard",
        description="Anyone with its address may see the richest members, without logging in",
    )

    @field_validator("work_max")
    @classmethod
    def _work_range(cls, value: int, info: ValidationInfo) -> int:
        if value < info.data.get("work_min", 0):
            raise ValueError("The highest work pay must be at least the lowest.")
        return value

    @field_validator("max_bet")
    @classmethod
    def _bet_range(cls, value: int, info: ValidationInfo) -> int:
        if value < info.data.get("min_bet", 1):
            raise ValueError("The largest bet must be at least the smallest.")
        return value

    def currency(self) -> str:
        """The currency's symbol and name: `🪙 coins`."""
        return f"{self.currency_symbol} {self.currency_name}".strip()

    def money(self, amount: int) -> str:
        """An amount with the server's symbol and name: `🪙 1,250 coins`."""
        symbol = f"{self.currency_symbol} " if self.currency_symbol else ""
        return f"{symbol}{amount:,} {self.currency_name}"
