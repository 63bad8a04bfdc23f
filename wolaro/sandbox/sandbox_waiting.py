"""``Sandbox`` waiting helpers: what the bot said or requested since the current task's last driving call."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from wolaro.sandbox.errors import SandboxError
from wolaro.sandbox.interactions import InteractionRecord
from wolaro.sandbox.records import RestCall
from wolaro.sandbox.sandbox_world import SandboxBase


class WaitingMixin(SandboxBase):
    """``wait_until_ready``, ``wait_for_message``, ``wait_for_interaction_response``, ``wait_for_request``."""

    # ---- driving: users do things -------------------------------------------------------------------
    async def wait_until_ready(self, timeout: float = 10) -> None:  # noqa: ASYNC109 - the public API takes a timeout
        """Wait until every guild has been sent (GUILD_CREATE) to an identified session."""
        await self.gateway.changed.wait_for(lambda: True if self.gateway.is_ready() else None, timeout, "READY")

    # ---- observing the bot --------------------------------------------------------------------------
    async def wait_for_message(
        self,
        channel_id: int | None = None,
        *,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the public API takes a timeout
    ) -> dict[str, Any]:
        """The next message the bot posts (channel message, interaction response, follow-up) that matches."""

        def check() -> dict[str, Any] | None:
            for index in range(self._marks.get()[1], len(self.outputs)):
                if index in self._consumed_outputs:
                    continue
                out = self.outputs[index]
                if channel_id is not None and out.channel_id != channel_id:
                    continue
                if predicate is not None and not predicate(out.message):
                    continue
                self._consumed_outputs.add(index)
                return out.message
            return None

        return await self._output_changed.wait_for(check, timeout, f"a bot message in {channel_id or 'any channel'}")

    async def wait_for_interaction_response(
        self,
        record_or_id: InteractionRecord | int,
        timeout: float = 5.0,  # noqa: ASYNC109 - the public API takes a timeout
    ) -> dict[str, Any]:
        """The bot's answer to an interaction, once final (a deferral waits for its edit or follow-up).

        Returns ``{"type", "deferred", "content", "embeds", "components", "flags", "ephemeral", "message",
        "followups", "data"}`` (``data`` is the raw callback data, e.g. a modal).
        """
        interaction_id = record_or_id if isinstance(record_or_id, int) else record_or_id.id
        record = self.interactions.get(interaction_id)
        if record is None:
            raise SandboxError(f"unknown interaction {interaction_id}")
        return await self._interaction_changed.wait_for(record.answer, timeout, f"a response to /{record.name}")

    async def wait_for_request(self, method: str, path_regex: str, timeout: float = 5.0) -> RestCall:  # noqa: ASYNC109 - the public API takes a timeout
        """The next REST call with ``method`` whose path (below the API base) matches ``path_regex`` (re.search)."""
        pattern = re.compile(path_regex)
        method = method.upper()

        def check() -> RestCall | None:
            for index in range(self._marks.get()[0], len(self.rest_log)):
                if index in self._consumed_rest:
                    continue
                call = self.rest_log[index]
                if call.method == method and pattern.search(call.path):
                    self._consumed_rest.add(index)
                    return call
            return None

        return await self._rest_changed.wait_for(check, timeout, f"{method} {path_regex}")

    def bot_messages(self, channel_id: int) -> list[dict[str, Any]]:
        """Everything the bot posted in ``channel_id`` (ephemeral answers included), oldest first."""
        seen: set[int] = set()
        out = []
        for o in self.outputs:
            if o.channel_id == channel_id and id(o.message) not in seen:
                seen.add(id(o.message))
                out.append(o.message)
        return out
