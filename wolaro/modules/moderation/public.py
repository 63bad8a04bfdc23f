"""What other modules may use of moderation (declare `requires=("moderation",)` in your spec to use it).

- `sanction()`: punish a member as the bot (automod, anti-raid): the same checks, Discord action, numbered case,
  modlog post and DM as a moderator's command, so every automatic action is a case too.
- `SanctionAction`: the actions `sanction()` takes (warn, timeout, kick, ban, softban, untimeout, unban, note).
- `modlog_channel()`: the guild's modlog channel, where a module may report about itself by default.

(Durations as people type them, `10m` or `2h 30m`, are no module's: they are `wolaro.core.durations`.)

Everything else in the package is moderation's own and may change without notice.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from wolaro.modules.moderation.config import Config
from wolaro.modules.moderation.rules import Action as SanctionAction
from wolaro.modules.moderation.service import CaseView, enforce

if TYPE_CHECKING:
    import discord

    from wolaro.core.bot import WolaroBot
    from wolaro.core.config_service import GuildConfig

__all__ = [
    "CaseView",
    "SanctionAction",
    "modlog_channel",
    "sanction",
]


async def sanction(
    bot: WolaroBot,
    guild_config: GuildConfig,
    *,
    guild: discord.Guild,
    member: discord.Member | discord.User | int,
    action: SanctionAction,
    reason: str,
    duration: datetime.timedelta | None = None,
    delete_message_days: int = 0,
) -> CaseView:
    """Sanction `member` as the bot (an automated case) with the guild's moderation settings; return the case.

    `guild_config` is the guild's config the caller already holds. Raises `UserFacingError` when the action is
    refused (the member outranks the bot, the bot lacks the permission, a bad duration...).
    """
    if bot.user is None:
        raise RuntimeError("the bot is not logged in")
    return await enforce(
        bot,
        guild_config,
        guild=guild,
        target=member,
        action=action,
        moderator_id=bot.user.id,
        reason=reason,
        duration=duration,
        delete_message_days=delete_message_days,
        automated=True,
    )


def modlog_channel(guild_config: GuildConfig) -> int | None:
    """The guild's moderation log channel (its `modlog_channel_id`), or None."""
    return Config.of(guild_config).modlog_channel_id
