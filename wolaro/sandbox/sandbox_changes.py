"""``Sandbox`` changes people make in the Discord client (mixed into ``Sandbox``).

Editing and deleting messages, a moderator's bulk deletion, renaming channels and roles, creating and moving roles,
and a moderator changing a member's roles or nickname.

Each dispatches what Discord sends a bot: MESSAGE_UPDATE (the full message), MESSAGE_DELETE, MESSAGE_DELETE_BULK,
CHANNEL_UPDATE, GUILD_ROLE_UPDATE, and GUILD_MEMBER_UPDATE with its GUILD_AUDIT_LOG_ENTRY_CREATE (action 24 with a
``nick`` change, action 25 with ``$add``/``$remove`` role lists of ``{id, name}``), as the client's changes do.
"""

from __future__ import annotations

from typing import Any

from wolaro.sandbox import audit, mutations
from wolaro.sandbox.errors import SandboxError
from wolaro.sandbox.sandbox_world import SandboxBase
from wolaro.sandbox.snowflake import now_iso
from wolaro.sandbox.state import Role


class ChangesMixin(SandboxBase):
    """What members and moderators change by hand."""

    def _message(self, channel_id: int, message_id: int) -> dict[str, Any]:
        message = self.state.history(channel_id).get(message_id)
        if message is None:
            raise SandboxError(f"no message {message_id} in channel {channel_id}")
        return message

    async def edit_message(self, channel_id: int, message_id: int, content: str) -> dict[str, Any]:
        """Its author edits a message (MESSAGE_UPDATE with the whole message and its ``edited_timestamp``)."""
        self._action()
        message = self._message(channel_id, message_id)
        message["content"] = content
        message["edited_timestamp"] = now_iso()
        await mutations.message_updated(self.sandbox, self.state.channels[channel_id], message)
        return message

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        """Its author (or a moderator) deletes a message (MESSAGE_DELETE)."""
        self._action()
        self._message(channel_id, message_id)
        await mutations.delete_message(self.sandbox, self.state.channels[channel_id], message_id)

    async def bulk_delete(self, channel_id: int, message_ids: list[int]) -> None:
        """A moderator's tool deletes 2 to 100 messages at once (one MESSAGE_DELETE_BULK)."""
        self._action()
        if not 2 <= len(message_ids) <= 100:
            raise SandboxError("a bulk deletion takes 2 to 100 messages")
        await mutations.delete_messages(self.sandbox, self.state.channels[channel_id], list(message_ids))

    async def rename_channel(self, channel_id: int, name: str, *, topic: str | None = None) -> dict[str, Any]:
        """An admin renames a channel (CHANNEL_UPDATE)."""
        self._action()
        channel = self.state.channels[channel_id]
        channel.name = name
        if topic is not None:
            channel.topic = topic
        return await mutations.channel_event(self.sandbox, channel, "CHANNEL_UPDATE")

    async def rename_role(self, guild_id: int, role_id: int, name: str) -> None:
        """An admin renames a role (GUILD_ROLE_UPDATE)."""
        self._action()
        guild = self.state.guild(guild_id)
        role = guild.roles[role_id]
        role.name = name
        await mutations.role_event(self.sandbox, guild, role, "GUILD_ROLE_UPDATE")

    async def create_role(self, guild_id: int, name: str, *, color: int = 0, position: int = 1) -> int:
        """An admin creates a role at ``position`` (GUILD_ROLE_CREATE); returns its id.

        The roles from there up move one place up, each with its GUILD_ROLE_UPDATE (Discord keeps positions distinct).
        """
        self._action()
        guild = self.state.guild(guild_id)
        above = [r for r in guild.roles.values() if r.id != guild_id and r.position >= position]
        moved = sorted(above, key=lambda r: r.position)
        role = Role(id=self.ids.now(), guild_id=guild_id, name=name, permissions=0, position=position, color=color)
        guild.roles[role.id] = role
        await mutations.role_event(self.sandbox, guild, role, "GUILD_ROLE_CREATE")
        for other in moved:
            other.position += 1
            await mutations.role_event(self.sandbox, guild, other, "GUILD_ROLE_UPDATE")
        return role.id

    async def move_role(self, guild_id: int, role_id: int, position: int) -> None:
        """An admin drags a role to ``position`` (GUILD_ROLE_UPDATE for it and for each role that shifts)."""
        self._action()
        guild = self.state.guild(guild_id)
        ordered = sorted((r for r in guild.roles.values() if r.id != guild_id), key=lambda r: r.position)
        role = guild.roles[role_id]
        ordered.remove(role)
        ordered.insert(max(0, min(position - 1, len(ordered))), role)
        for index, each in enumerate(ordered, start=1):
            if each.position != index:
                each.position = index
                await mutations.role_event(self.sandbox, guild, each, "GUILD_ROLE_UPDATE")

    async def moderator_edits_member(
        self,
        guild_id: int,
        moderator_id: int,
        user_id: int,
        *,
        add_roles: tuple[int, ...] = (),
        remove_roles: tuple[int, ...] = (),
        nick: str | None = None,
    ) -> None:
        """A moderator gives or takes roles and/or sets a nickname: GUILD_MEMBER_UPDATE, then its audit entries."""
        self._action()
        guild = self.state.guild(guild_id)
        member = guild.members[user_id]
        old_nick = member.nick
        roles = [r for r in member.roles if r not in remove_roles] + [r for r in add_roles if r not in member.roles]
        await self.sandbox.member_update(guild_id, user_id, roles=roles, nick=nick if nick is not None else old_nick)
        if nick is not None and nick != old_nick:
            change = audit.change("nick", old_nick, nick)
            await audit.record(self.sandbox, guild, moderator_id, audit.MEMBER_UPDATE, user_id, None, changes=[change])
        changes = [
            {"key": key, "new_value": [{"id": str(r), "name": guild.roles[r].name} for r in ids]}
            for key, ids in (("$add", add_roles), ("$remove", remove_roles))
            if ids
        ]
        if changes:
            await audit.record(
                self.sandbox, guild, moderator_id, audit.MEMBER_ROLE_UPDATE, user_id, None, changes=changes
            )
