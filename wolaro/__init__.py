"""Wolaro: one Discord bot serving thousands of guilds, each with its own modules and configuration."""

__version__ = "0.1.0"
