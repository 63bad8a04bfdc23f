"""``Sandbox`` events of the guild itself (mixed into ``Sandbox``): presences, its settings, the bot removed.

- ``set_presence``: a member comes online, goes idle, do-not-disturb or offline: PRESENCE_UPDATE, sent only to
  sessions with the privileged GUILD_PRESENCES intent (``1 << 8``), as Discord does; those sessions also find the
  members who are not offline in GUILD_CREATE's ``presences``.
- ``set_afk_channel``: the owner changes the AFK channel: GUILD_UPDATE.
- ``remove_bot``: the bot is kicked from the guild: GUILD_DELETE with only the guild's ``id`` (no ``unavailable``,
  which would mean an outage). The sandbox keeps the guild's state, so a test may go on looking at it, but the bot's
  REST calls about it are refused as Discord refuses them (``rest.refuse_removed``): 404 Unknown Guild for the
  guild's routes, 403 Missing Access for its channels and for its application commands. The gateway sends no
  more of its events, and a new session's READY leaves it out.
- ``add_bot``: the bot is added (back) to a guild while connected: a full GUILD_CREATE (discord.py's guild_join);
  its REST routes answer again.
"""

from __future__ import annotations

from typing import Any

from wolaro.sandbox import mutations, payloads
from wolaro.sandbox.errors import SandboxError
from wolaro.sandbox.gateway_protocol import GUILD_MEMBERS, GUILD_PRESENCES
from wolaro.sandbox.presences import presence
from wolaro.sandbox.sandbox_world import SandboxBase

STATUSES = ("online", "idle", "dnd", "offline")


class GuildMixin(SandboxBase):
    """Presences, the guild's own settings, and the bot leaving a guild."""

    async def set_presence(self, guild_id: int, user_id: int, status: str) -> dict[str, Any]:
        """The member's status becomes ``status`` (online, idle, dnd or offline). Returns the PRESENCE_UPDATE."""
        self._action()
        if status not in STATUSES:
            raise SandboxError(f"status must be one of {STATUSES}, not {status!r}")
        guild = self.state.guild(guild_id)
        if user_id not in guild.members:
            raise SandboxError(f"user {user_id} is not a member of guild {guild_id}")
        if status == "offline":
            guild.presences.pop(user_id, None)
        else:
            guild.presences[user_id] = status
        data = presence(guild, user_id)
        await self.gateway.dispatch("PRESENCE_UPDATE", data, guild_id=guild_id)
        return data

    async def set_afk_channel(self, guild_id: int, channel_id: int | None) -> dict[str, Any]:
        """The owner picks the guild's AFK voice channel (None: no AFK channel). Returns the GUILD_UPDATE."""
        self._action()
        guild = self.state.guild(guild_id)
        if channel_id is not None and channel_id not in self.voice_channel_ids(guild_id):
            raise SandboxError(f"{channel_id} is not a voice channel of guild {guild_id}")
        guild.afk_channel_id = channel_id
        return await mutations.guild_updated(self.sandbox, guild)

    async def remove_bot(self, guild_id: int) -> None:
        """The bot is kicked from the guild: GUILD_DELETE ``{id}`` without ``unavailable``."""
        self._action()
        guild = self.state.guild(guild_id)
        guild.bot_removed = True
        await self.gateway.dispatch("GUILD_DELETE", {"id": str(guild.id)}, guild_id=guild.id)

    async def add_bot(self, guild_id: int) -> None:
        """The bot is added to the guild (again): GUILD_CREATE with its channels, members, voice states, presences."""
        self._action()
        guild = self.state.guild(guild_id)
        guild.bot_removed = False
        for index, session in enumerate(self.gateway.sessions_for_guild(guild_id)):  # each with its intents
            data = payloads.guild_create(
                self.state,
                guild,
                members_intent=bool(session.intents & GUILD_MEMBERS),
                large_threshold=session.large_threshold,
                presences_intent=bool(session.intents & GUILD_PRESENCES),
            )
            await self.gateway.dispatch("GUILD_CREATE", data, guild_id=guild_id, only=index)
