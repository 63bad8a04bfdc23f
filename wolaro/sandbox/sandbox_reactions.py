"""``Sandbox`` reactions a moderator clears in the Discord client (mixed into ``Sandbox``)."""

from __future__ import annotations

from wolaro.sandbox import permissions as perm
from wolaro.sandbox import rest_reactions
from wolaro.sandbox.errors import SandboxError
from wolaro.sandbox.sandbox_world import SandboxBase


class ReactionsMixin(SandboxBase):
    """Moderators remove reactions from messages."""

    async def clear_reactions(
        self, channel_id: int, message_id: int, moderator_id: int, emoji: str | None = None
    ) -> None:
        """Moderator ``moderator_id`` removes every reaction (or every ``emoji`` one) from a message.

        Needs Manage Messages in the channel, as on Discord (else :class:`SandboxError`). Dispatches
        MESSAGE_REACTION_REMOVE_ALL, or MESSAGE_REACTION_REMOVE_EMOJI for one emoji.
        """
        self._action()
        channel = self.state.channel(channel_id)
        message = self.state.message(channel_id, message_id)
        if channel.guild_id is not None:
            guild = self.state.guild(channel.guild_id)
            member = guild.members.get(moderator_id)
            if member is None or not perm.channel_permissions(guild, channel, member) & perm.MANAGE_MESSAGES:
                raise SandboxError(f"user {moderator_id} may not manage messages in channel {channel_id}")
        chosen = None if emoji is None else {"id": None, "name": emoji}
        await rest_reactions.reactions_cleared(self.sandbox, channel, message, chosen)
