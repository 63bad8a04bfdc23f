"""The period option of `/stats` and `/top`: offered in the server's language, read in it or in English.

The option's value is always the English key (`day`, `week`, ...); what a member sees and may type is the name in
the server's language (autocomplete), so a French server picks "7 derniers jours".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from discord import Interaction, app_commands

from wolaro.sdk import UserFacingError

Translate = Callable[..., str]


def t(message: str) -> str:
    """Mark `message` for the catalog; it is translated where shown."""
    return message


NAMES = {
    "day": t("Today"),
    "week": t("Last 7 days"),
    "month": t("Last 30 days"),
    "quarter": t("Last 90 days"),
    "year": t("Last 365 days"),
    "all": t("All time"),
}
"""Period key -> its name in the option list (English msgid, translated per server)."""


def choices(translate: Translate, typed: str = "") -> list[tuple[str, str]]:
    """(name in the server's language, key) of every period whose name or key contains what was typed."""
    typed = typed.strip().casefold()
    named = [(translate(name), key) for key, name in NAMES.items()]
    return [(name, key) for name, key in named if typed in name.casefold() or typed in key]


def parse(text: str, translate: Translate) -> str:
    """The period key for an option value or a typed name (the server's language or English); a clear error else."""
    wanted = text.strip().casefold()
    for key, name in NAMES.items():
        if wanted in (key, name.casefold(), translate(name).casefold()):
            return key
    raise UserFacingError(
        "Unknown period {period}: choose one of {choices}.",
        period=text[:30],
        choices=", ".join(translate(name) for name in NAMES.values()),
    )


async def autocomplete(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The periods in the server's language for the option list."""
    bot: Any = interaction.client
    config = bot.config.peek(interaction.guild_id) if interaction.guild_id else None
    language = getattr(config, "language", None) or "en"

    def translate(message: str, **fields: Any) -> str:
        return str(bot.translator.translate(language, message, **fields))

    return [app_commands.Choice(name=name, value=key) for name, key in choices(translate, current)][:25]
