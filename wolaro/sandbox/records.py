"""What the sandbox records of the bot: its REST calls and what it said; the synthetic PNG it serves."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class RestCall:
    """One REST request the bot made, as the sandbox saw and answered it."""

    method: str
    #: Path below the API base, e.g. ``/channels/123/messages``.
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    files: list[tuple[str, int]] = field(default_factory=list)
    status: int = 0
    response: Any = None
    time: float = field(default_factory=time.monotonic)

    @property
    def reason(self) -> str | None:
        """The decoded ``X-Audit-Log-Reason`` header, if any."""
        from urllib.parse import unquote

        raw = self.headers.get("X-Audit-Log-Reason")
        return unquote(raw) if raw is not None else None


@dataclass(slots=True)
class BotOutput:
    """Something the bot said: a channel message, interaction response, deferred answer or follow-up."""

    kind: str
    channel_id: int
    message: dict[str, Any]
    ephemeral: bool = False
    interaction_id: int | None = None
    time: float = field(default_factory=time.monotonic)


#: A 1x1 transparent PNG: synthetic attachments and the CDN's avatar answer.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
