"""Automod's regex rule: user patterns under a time budget, on the loop for a few ms then off it, with suspension."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import regex

from wolaro.logging import get_logger

#: Logged under the name it had before the split, so log filters keep matching.
log = get_logger("wolaro.modules.automod.service")

REGEX_INLINE_MS = 5
"""Time a message's regex searches may take on the event loop; a search that needs more finishes off the loop."""


@dataclass(slots=True)
class RegexStats:
    """How user regexes behaved in this process (shown by `/automod status`, logged on each timeout)."""

    searches: int = 0
    timeouts: int = 0
    skipped: int = 0
    deferred: int = 0


REGEX_STATS = RegexStats()
"""Process-wide totals over every guild's regex rules."""


@dataclass(frozen=True, slots=True)
class OffLoopResult:
    """What a search finished off the event loop found: the pattern that matched, or the one that timed out."""

    matched: str | None = None
    timed_out: int | None = None
    searches: int = 0
    skipped: int = 0
    elapsed: float = 0.0


class RegexMatcher:
    """A guild's user-supplied patterns, searched within a time budget per message, never long on the event loop.

    On the loop a message's searches get `REGEX_INLINE_MS` (or the budget if smaller): patterns that answer in
    that time (nearly all, on nearly all messages) decide at once. A search that needs longer is handed over
    (`take_deferred`) to finish in a worker thread (`search_off_loop`, `regex`'s `concurrent=True` releases the
    GIL) with the rule's whole `budget_ms`; the Cog acts on the message if it matches. A search that exceeds the
    budget is "no match", and suspends the guild's whole regex rule for `suspend_seconds` from the end of that
    search; while it is suspended, or while one of its searches runs off the loop, the guild's messages are not
    searched (counted as skipped). So a guild's regexes hold the loop at most `REGEX_INLINE_MS` per message, and
    use a worker for at most one budget per suspension period (the guild's time budget covers the rest).
    """

    def __init__(
        self,
        patterns: Iterable[str],
        *,
        budget_ms: int,
        suspend_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        stats: RegexStats = REGEX_STATS,
        inline_ms: float = REGEX_INLINE_MS,
    ) -> None:
        self.sources = list(patterns)
        self.compiled = [regex.compile(pattern) for pattern in self.sources]
        self.budget = budget_ms / 1000
        self.inline = min(self.budget, inline_ms / 1000)
        self.suspend_seconds = suspend_seconds
        self.clock = clock
        self.totals = stats
        self.stats = RegexStats()
        self.suspended_until = 0.0
        self.in_flight = False
        self._deferred: tuple[str, int] | None = None

    def _count(self, name: str, amount: int = 1) -> None:
        setattr(self.stats, name, getattr(self.stats, name) + amount)
        setattr(self.totals, name, getattr(self.totals, name) + amount)

    @property
    def timeouts(self) -> int:
        """How many searches of this guild's patterns ran out of time."""
        return self.stats.timeouts

    def keep_suspension(self, previous: RegexMatcher | None) -> None:
        """Carry the suspension and counts of the guild's previous matcher over (its config was changed)."""
        if previous is not None:
            self.suspended_until = max(self.suspended_until, previous.suspended_until)
            self.stats = previous.stats
            # `in_flight` is not carried: the running search settles on the matcher that started it.

    def search(self, content: str) -> str | None:
        """The first pattern that matches `content` within the inline time, or None (see `take_deferred`)."""
        if not content:
            return None
        if self.in_flight or self.suspended_until > self.clock():
            self._count("skipped", len(self.compiled))
            return None
        started = time.perf_counter()
        for index, pattern in enumerate(self.compiled):
            remaining = self.inline - (time.perf_counter() - started)
            if remaining <= 0:
                self._defer(content, index)
                return None
            self._count("searches")
            try:
                match = pattern.search(content, timeout=remaining)
            except TimeoutError:
                self._defer(content, index)
                return None
            if match is not None:
                return self.sources[index]
        return None

    def _defer(self, content: str, index: int) -> None:
        if self.inline >= self.budget:  # the whole budget was spent on the loop: a real timeout
            self._timed_out(index, len(content))
            return
        self._count("deferred")
        self._deferred = (content, index)

    def take_deferred(self) -> tuple[str, int] | None:
        """The text (and first pattern) whose search must finish off the loop, if the last search left one.

        Taking it marks a search in flight: the caller must `settle` its result (or `drop_deferred`).
        """
        deferred, self._deferred = self._deferred, None
        if deferred is not None:
            self.in_flight = True
        return deferred

    def drop_deferred(self) -> None:
        """Forget a search left for off the loop (another rule already caught the message)."""
        self._deferred = None

    def search_off_loop(self, content: str, start: int) -> OffLoopResult:
        """Search `content` from pattern `start` within the whole budget. Blocking: run it in a worker thread.

        Touches no state of the matcher (the result is applied on the loop by `settle`).
        """
        started = time.perf_counter()
        searches = 0
        for index in range(start, len(self.compiled)):
            remaining = self.budget - (time.perf_counter() - started)
            if remaining <= 0:
                return OffLoopResult(timed_out=index, searches=searches, elapsed=time.perf_counter() - started)
            searches += 1
            try:
                match = self.compiled[index].search(content, timeout=remaining, concurrent=True)
            except TimeoutError:
                return OffLoopResult(timed_out=index, searches=searches, elapsed=time.perf_counter() - started)
            if match is not None:
                return OffLoopResult(self.sources[index], searches=searches, elapsed=time.perf_counter() - started)
        return OffLoopResult(searches=searches, elapsed=time.perf_counter() - started)

    def settle(self, result: OffLoopResult, length: int = 0) -> str | None:
        """Apply a finished off-loop search (counts, suspension); the pattern that matched, or None."""
        self.in_flight = False
        self._count("searches", result.searches)
        if result.timed_out is not None:
            self._timed_out(result.timed_out, length)
            return None
        return result.matched

    def _timed_out(self, index: int, length: int) -> None:
        self._count("timeouts")
        self._count("skipped", len(self.compiled) - index - 1)
        # Counted from the end of the search that ran out of time (its time is not part of the pause).
        self.suspended_until = self.clock() + self.suspend_seconds
        log.warning(
            "automod regex timed out; counted as no match, regex rule suspended",
            pattern=self.sources[index][:80],
            length=length,
            budget_ms=round(self.budget * 1000),
            suspended_s=self.suspend_seconds,
        )
