"""Job handlers by kind: each module declares its own in its spec (`ModuleSpec.jobs`), the process builds one registry.

A worker claims only the kinds registered in its process, so during a rolling deploy an older worker never
claims (and never burns the attempts of) a kind it does not know yet.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from wolaro.logging import get_logger

if TYPE_CHECKING:
    from wolaro.jobs.context import JobContext

log = get_logger(__name__)

JobHandler = Callable[["JobContext", dict[str, Any]], Awaitable[None]]
"""`async def handler(ctx: JobContext, payload: dict) -> None`; raise to retry, return to finish."""

KIND_PATTERN = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")
MAX_KIND_LENGTH = 64


def check_kind(kind: str) -> str:
    """Return `kind` if it is a valid job kind (`module.action`: lowercase, dots, at most 64 characters)."""
    if len(kind) > MAX_KIND_LENGTH or not KIND_PATTERN.fullmatch(kind):
        raise ValueError(f"invalid job kind {kind!r}: use lowercase words joined by dots, e.g. 'moderation.unban'")
    return kind


class JobRegistry:
    """A map from job kind to its handler."""

    def __init__(self, handlers: Mapping[str, JobHandler] | None = None) -> None:
        self._handlers: dict[str, JobHandler] = {}
        self.update(handlers or {})

    def update(self, handlers: Mapping[str, JobHandler]) -> None:
        """Register every `kind -> handler` of `handlers` (a module's `spec.jobs`)."""
        for kind, handler in handlers.items():
            self.register(kind, handler)

    def register(self, kind: str, handler: JobHandler) -> None:
        """Register `handler` for `kind`, replacing an earlier one (a module reload re-registers its handlers)."""
        check_kind(kind)
        previous = self._handlers.get(kind)
        if previous is not None and previous is not handler:
            log.debug("job handler replaced", kind=kind, handler=_name(handler), previous=_name(previous))
        self._handlers[kind] = handler

    def handler(self, kind: str) -> Callable[[JobHandler], JobHandler]:
        """Decorator form of `register`: `@registry.handler("reminders.deliver")`."""

        def decorate(function: JobHandler) -> JobHandler:
            self.register(kind, function)
            return function

        return decorate

    def unregister(self, kind: str) -> None:
        """Forget the handler of `kind` (if any)."""
        self._handlers.pop(kind, None)

    def get(self, kind: str) -> JobHandler | None:
        """The handler of `kind`, or None."""
        return self._handlers.get(kind)

    def kinds(self) -> list[str]:
        """Every registered kind, sorted."""
        return sorted(self._handlers)

    def __contains__(self, kind: object) -> bool:
        return kind in self._handlers

    def __len__(self) -> int:
        return len(self._handlers)


def _name(function: Callable[..., Any]) -> str:
    return f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', repr(function))}"
