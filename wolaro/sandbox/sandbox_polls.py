"""``Sandbox`` polls: users vote on a native poll, and time can run out on one (mixed into ``Sandbox``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wolaro.sandbox import polls
from wolaro.sandbox.sandbox_world import SandboxBase

if TYPE_CHECKING:
    from wolaro.sandbox.server import Sandbox


class PollsMixin(SandboxBase):
    """Votes on native polls as the Discord client casts them."""

    async def vote_poll(self, channel_id: int, message_id: int, user_id: int, *answer_ids: int) -> None:
        """User ``user_id`` votes for ``answer_ids`` (none: takes their vote back), replacing an earlier vote.

        Dispatches MESSAGE_POLL_VOTE_ADD / MESSAGE_POLL_VOTE_REMOVE and keeps the poll's ``results`` current.
        """
        self._action()
        sandbox: Sandbox = self.sandbox
        if answer_ids:
            await polls.vote(sandbox, channel_id, message_id, user_id, list(answer_ids))
            return
        await polls.unvote(sandbox, channel_id, message_id, user_id)

    async def expire_poll(self, channel_id: int, message_id: int) -> dict[str, Any]:
        """The poll's time runs out now (as at its ``expiry``): results final, POLL_RESULT posted."""
        self._action()
        sandbox: Sandbox = self.sandbox
        channel = self.state.channel(channel_id)
        message = self.state.message(channel_id, message_id)
        await polls.finalise(sandbox, channel, message)
        return message
