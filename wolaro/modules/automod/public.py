"""What other modules may use of automod: its time-bounded matcher for user-written regular expressions.

`RegexMatcher` searches a guild's patterns within a time budget, on the event loop for a few milliseconds at most
and off it (`take_deferred`, `search_off_loop`, `settle`) for the rest, suspending the patterns after a timeout.
Custom commands' regex triggers go through it, so one rule holds for every pattern a server writes.
"""

from __future__ import annotations

from wolaro.modules.automod.regex_rule import REGEX_INLINE_MS, OffLoopResult, RegexMatcher, RegexStats

__all__ = ["REGEX_INLINE_MS", "OffLoopResult", "RegexMatcher", "RegexStats"]
