"""``Sandbox`` interactions: slash commands, autocomplete, components and modals (mixed into ``Sandbox``)."""

from __future__ import annotations

from typing import Any

from wolaro.sandbox.errors import SandboxError
from wolaro.sandbox.interactions import (
    InteractionRecord,
    build_component_interaction,
    build_interaction,
    build_modal_submit,
)
from wolaro.sandbox.sandbox_waiting import WaitingMixin


class InteractionsMixin(WaitingMixin):
    """Users run slash commands, type into autocompleted options, click components and submit modals."""

    async def invoke_slash(
        self,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        subcommand: str | None = None,
        locale: str = "en-US",
        via: int | None = None,
    ) -> InteractionRecord:
        """User ``user_id`` runs ``/name [subcommand] options...`` (``guild_id`` None = in their DM channel).

        Option values: plain values for strings/numbers/booleans, ids for users/roles/channels/mentionables,
        a filename or ``(filename, bytes)`` for attachments. Raises :class:`SandboxError` if the command is
        not registered, the options do not fit it, or the user cannot see it. ``via`` hands the interaction to
        one bot session of the guild's shard (the ``via``-th to identify) instead of every one.
        """
        record = self._command_interaction(guild_id, channel_id, user_id, name, options, subcommand, locale)
        shown = " ".join(f"{k}:{v}" for k, v in (options or {}).items())
        return await self._dispatch_interaction(record, f"/{record.name} {shown}".rstrip(), via=via)

    async def invoke_autocomplete(
        self,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        name: str,
        focused: str,
        typed: str = "",
        options: dict[str, Any] | None = None,
        *,
        subcommand: str | None = None,
        locale: str = "en-US",
    ) -> list[dict[str, Any]]:
        """The user types ``typed`` into option ``focused`` of ``/name``; returns the choices the bot offers."""
        record = self._command_interaction(
            guild_id, channel_id, user_id, name, {**(options or {}), focused: typed}, subcommand, locale, focused
        )
        self.interactions[record.id] = record
        self.interactions_by_token[record.token] = record
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload, guild_id=guild_id)
        answer = await self.wait_for_interaction_response(record)
        return list(answer["choices"] or [])

    def _command_interaction(
        self,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        name: str,
        options: dict[str, Any] | None,
        subcommand: str | None,
        locale: str,
        focused: str | None = None,
    ) -> InteractionRecord:
        """A user's slash command (or autocomplete, with the `focused` option) as Discord would send it."""
        self._action()
        return build_interaction(
            self.state,
            self.ids,
            self.url,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            name=name,
            options=options,
            subcommand=subcommand,
            locale=locale,
            focused=focused,
        )

    def find_message(self, channel_id: int, message_id: int) -> dict[str, Any]:
        """A message by id: channel history, or an ephemeral answer the bot gave."""
        stored = self.state.history(channel_id).get(message_id)
        if stored is not None:
            return stored
        for out in self.outputs:
            if out.channel_id == channel_id and int(out.message["id"]) == message_id:
                return out.message
        raise SandboxError(f"unknown message {message_id} in channel {channel_id}")

    async def invoke_component(
        self,
        channel_id: int,
        message_id: int,
        user_id: int,
        custom_id: str,
        *,
        values: list[Any] | None = None,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """User ``user_id`` clicks the button (or picks ``values`` in the select menu) ``custom_id``.

        Raises :class:`SandboxError` for an unknown/disabled component, a link button, wrong select
        values, or someone else's ephemeral message.
        """
        self._action()
        message = self.find_message(channel_id, message_id)
        picked = [str(v) for v in values] if values is not None else None
        record = build_component_interaction(
            self.state, self.ids, message=message, user_id=user_id, custom_id=custom_id, values=picked, locale=locale
        )
        shown = f"[picks {', '.join(picked)} in {custom_id}]" if picked else f"[clicks {custom_id}]"
        return await self._dispatch_interaction(record, shown)

    async def submit_modal(
        self, record_or_id: InteractionRecord | int, values: dict[str, Any], *, locale: str = "en-US"
    ) -> InteractionRecord:
        """The user fills in and submits the modal the bot answered an interaction with.

        ``values`` maps input custom_ids to text (or lists of values for selects in the modal).
        """
        self._action()
        opener_id = record_or_id if isinstance(record_or_id, int) else record_or_id.id
        opener = self.interactions.get(opener_id)
        if opener is None:
            raise SandboxError(f"unknown interaction {opener_id}")
        record = build_modal_submit(self.state, self.ids, opener=opener, values=values, locale=locale)
        shown = "[submits " + ", ".join(f"{k}={v!r}" for k, v in values.items()) + "]"
        return await self._dispatch_interaction(record, shown)

    async def _dispatch_interaction(
        self, record: InteractionRecord, shown: str, *, via: int | None = None
    ) -> InteractionRecord:
        self.interactions[record.id] = record
        self.interactions_by_token[record.token] = record
        if self._observers:
            self._observe(
                {
                    "kind": "interaction",
                    **self._where(record.channel_id),
                    "user_id": record.user_id,
                    "user": self.display_name(record.guild_id, record.user_id),
                    "content": shown,
                    "interaction": record.name,
                }
            )
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload, guild_id=record.guild_id, only=via)
        return record
