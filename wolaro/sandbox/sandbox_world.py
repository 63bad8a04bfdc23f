"""``Sandbox`` world queries, observers and the records REST handlers make (mixed into ``Sandbox``)."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from wolaro.sandbox import payloads
from wolaro.sandbox.records import BotOutput, RestCall
from wolaro.sandbox.state import DM, TEXT, VOICE

if TYPE_CHECKING:
    from wolaro.sandbox.gateway import Gateway
    from wolaro.sandbox.interactions import InteractionRecord
    from wolaro.sandbox.notify import Notifier
    from wolaro.sandbox.server import Sandbox
    from wolaro.sandbox.snowflake import SnowflakeFactory
    from wolaro.sandbox.state import SandboxState

log = logging.getLogger("wolaro.sandbox.server")

Observer = Callable[[dict[str, Any]], Any]


class SandboxBase:
    """What the ``Sandbox`` parts share: the state its ``__init__`` sets, world queries, observers, records.

    REST handlers log through ``record_rest``/``record_output``; the driving and waiting parts build on it.
    """

    state: SandboxState
    ids: SnowflakeFactory
    url: str
    gateway: Gateway
    rest_log: list[RestCall]
    outputs: list[BotOutput]
    interactions: dict[int, InteractionRecord]
    interactions_by_token: dict[str, InteractionRecord]
    last_blast: dict[str, float]
    _observers: list[Observer]
    _rest_changed: Notifier
    _output_changed: Notifier
    _interaction_changed: Notifier
    _marks: contextvars.ContextVar[tuple[int, int]]
    _consumed_rest: set[int]
    _consumed_outputs: set[int]
    _slowmode: dict[tuple[int, int], float]
    _background: set[asyncio.Task[Any]]

    @property
    def sandbox(self) -> Sandbox:
        """The object as the whole ``Sandbox`` (what the mutation and audit helpers take)."""
        return cast("Sandbox", self)

    # ---- the world ----------------------------------------------------------------------------------
    def guild_ids(self) -> list[int]:
        """Ids of every guild, in creation order."""
        return list(self.state.guilds)

    def text_channel_ids(self, guild_id: int) -> list[int]:
        """Ids of the guild's text channels."""
        guild = self.state.guild(guild_id)
        return [c for c in guild.channel_ids if self.state.channels[c].type == TEXT]

    def voice_channel_ids(self, guild_id: int) -> list[int]:
        """Ids of the guild's voice channels."""
        guild = self.state.guild(guild_id)
        return [c for c in guild.channel_ids if self.state.channels[c].type == VOICE]

    def member_ids(self, guild_id: int) -> list[int]:
        """Ids of the guild's human members (the bot excluded), owner first."""
        guild = self.state.guild(guild_id)
        return [u for u in guild.members if u != self.state.bot_user_id]

    def owner_id(self, guild_id: int) -> int:
        """The guild owner's user id (member 0, who also has Admin)."""
        return self.state.guild(guild_id).owner_id

    def role_id(self, guild_id: int, name: str) -> int:
        """Id of the role called ``name`` (``@everyone``, ``Member``, ``Moderator``, ``Wolaro``, ``Admin``)."""
        return self.state.guild(guild_id).role_named(name).id

    def add_observer(self, callback: Observer) -> None:
        """Call ``callback(event_dict)`` for every user message, interaction, bot output and member event."""
        self._observers.append(callback)

    def _observe(self, event: dict[str, Any]) -> None:
        for callback in self._observers:
            try:
                result = callback(event)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    self._background.add(task)
                    task.add_done_callback(self._background.discard)
            except Exception:
                log.exception("sandbox observer failed")

    def _where(self, channel_id: int) -> dict[str, Any]:
        channel = self.state.channels.get(channel_id)
        guild = self.state.guilds.get(channel.guild_id) if channel and channel.guild_id else None
        return {
            "guild_id": guild.id if guild else None,
            "guild": guild.name if guild else "DM",
            "channel_id": channel_id,
            "channel": (channel.name if channel and channel.type != DM else "dm") if channel else "?",
        }

    def display_name(self, guild_id: int | None, user_id: int) -> str:
        """The name Discord shows for ``user_id`` in ``guild_id``: nickname, else global name, else username."""
        user = self.state.users.get(user_id)
        if user is None:
            return str(user_id)
        guild = self.state.guilds.get(guild_id) if guild_id else None
        member = guild.members.get(user_id) if guild else None
        return (member.nick if member and member.nick else None) or user.display_name

    def _action(self) -> None:
        """Mark the start of a driving action (see the class docstring)."""
        self._marks.set((len(self.rest_log), len(self.outputs)))

    # ---- called by REST handlers --------------------------------------------------------------------
    def record_rest(self, call: RestCall) -> None:
        """Log a REST call and wake ``wait_for_request``."""
        self.rest_log.append(call)
        self._rest_changed.notify()

    def record_output(
        self,
        kind: str,
        channel_id: int,
        message: dict[str, Any],
        *,
        ephemeral: bool = False,
        interaction: InteractionRecord | None = None,
    ) -> None:
        """Log something the bot said, wake ``wait_for_message`` and tell observers."""
        self.outputs.append(
            BotOutput(kind, channel_id, message, ephemeral, interaction.id if interaction is not None else None)
        )
        self._output_changed.notify()
        if interaction is not None:
            self._interaction_changed.notify()
        if self._observers:
            self._observe(
                {
                    "kind": "bot_" + kind,
                    **self._where(channel_id),
                    "user_id": self.state.bot_user_id,
                    "user": self.state.users[self.state.bot_user_id].username,
                    "content": message.get("content", ""),
                    "embeds": message.get("embeds", []),
                    "components": message.get("components", []),
                    "ephemeral": ephemeral,
                    "interaction": interaction.name if interaction is not None else None,
                }
            )

    def observe_edit(
        self, channel_id: int, message: dict[str, Any], *, interaction: InteractionRecord | None = None
    ) -> None:
        """Tell observers the bot edited ``message`` (and wake interaction waiters)."""
        if interaction is not None:
            self._interaction_changed.notify()
        if self._observers:
            self._observe(
                {
                    "kind": "bot_edit",
                    **self._where(channel_id),
                    "user_id": self.state.bot_user_id,
                    "user": self.state.users[self.state.bot_user_id].username,
                    "content": message.get("content", ""),
                    "embeds": message.get("embeds", []),
                    "components": message.get("components", []),
                    "ephemeral": bool(message.get("flags", 0) & payloads.EPHEMERAL),
                    "interaction": interaction.name if interaction is not None else None,
                }
            )

    def interaction_answered(self) -> None:
        """Wake ``wait_for_interaction_response`` (a callback or edit arrived)."""
        self._interaction_changed.notify()
