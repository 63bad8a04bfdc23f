"""A module's Cog: its commands and optional guild event handlers; its `spec` is set by the `ModuleSpec` naming it.

Modules never register discord.py listeners themselves: they implement `on_guild_<event>(config, ...)`
methods and the bot's single core listener per event calls them for the guilds where they are enabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypeVar

from discord.ext import commands

from wolaro.core.registry import ModuleConfig, ModuleSpec

if TYPE_CHECKING:
    from wolaro.core.bot import WolaroBot

ConfigT = TypeVar("ConfigT", bound=ModuleConfig)

# discord.py event -> the handler method a module implements to receive it for its enabled guilds.
GUILD_EVENTS: dict[str, str] = {
    # a guild message for modules that only count it: `on_guild_chat(config, message: ChatMessage)` is a plain
    # function the gateway's read loop calls for every message, before any discord.Message is built
    # (wolaro.core.chat); `on_guild_message` gets the whole discord.Message, at a cost on every message
    "chat": "on_guild_chat",
    "message": "on_guild_message",
    "message_edit": "on_guild_message_edit",
    "raw_message_delete": "on_guild_raw_message_delete",
    "member_join": "on_guild_member_join",
    "raw_member_remove": "on_guild_member_remove",
    "raw_member_update": "on_guild_member_update",
    "voice_state_update": "on_guild_voice_state_update",
    "raw_reaction_add": "on_guild_raw_reaction_add",
    "raw_reaction_remove": "on_guild_raw_reaction_remove",
    "raw_reaction_clear": "on_guild_raw_reaction_clear",
    "raw_reaction_clear_emoji": "on_guild_raw_reaction_clear_emoji",
    "interaction": "on_guild_interaction",
    # server changes (wolaro.core.guild_listeners delivers them: one core listener per event)
    "raw_message_edit": "on_guild_raw_message_edit",
    "raw_bulk_message_delete": "on_guild_raw_bulk_message_delete",
    "member_ban": "on_guild_member_ban",
    "member_unban": "on_guild_member_unban",
    "audit_log_entry_create": "on_guild_audit_log_entry",
    "guild_channel_create": "on_guild_channel_create",
    "guild_channel_delete": "on_guild_channel_delete",
    "guild_channel_update": "on_guild_channel_update",
    "guild_role_create": "on_guild_role_create",
    "guild_role_delete": "on_guild_role_delete",
    "guild_role_update": "on_guild_role_update",
    # the server itself: the bot joined it or it came back after an outage (GUILD_CREATE once the bot is
    # ready; the start-up burst is for each module's ready hook), it changed (GUILD_UPDATE), the bot was
    # removed from it (GUILD_DELETE without `unavailable`)
    "guild_join": "on_guild_joined",
    "guild_available": "on_guild_joined",
    "guild_update": "on_guild_updated",
    "guild_remove": "on_guild_removed",
    "command_recorded": "on_guild_command_recorded",
    # events modules dispatch for each other (`bot.dispatch("level_up", guild_id, ...)`), gated the same way
    "level_up": "on_guild_level_up",
    "coins_earned": "on_guild_coins_earned",
}


class WolaroModule(commands.Cog):
    """Base of every module's Cog."""

    spec: ClassVar[ModuleSpec]

    def __init__(self, bot: WolaroBot) -> None:
        self.bot = bot

    async def config_for(self, guild_id: int, model: type[ConfigT]) -> ConfigT:
        """The typed config of this module in a guild."""
        return await self.bot.config.module_config(guild_id, model, self.spec.name)

    @classmethod
    def handled_events(cls) -> list[str]:
        """The guild events this module implements a handler for."""
        return [event for event, method in GUILD_EVENTS.items() if callable(getattr(cls, method, None))]
