"""Automod's rules as pure functions on a message's plain values (text, author, roles, channel, mention count).

`compile_rules(config)` turns a guild's validated `Config` into a `Ruleset` once (patterns compiled, lists turned
into sets); the message handler then calls `Ruleset.check_content(...)` for each message, which touches no
network and allocates little for a clean message. The counting rules need state: spam counts live in the shared
cache (the Cog calls `window_hit`), duplicates in a bounded `DuplicateTracker` of recent message fingerprints.

No guild's settings can stall the others (bot, API and worker share one event loop):

* banned words are matched by an Aho-Corasick automaton (`pyahocorasick`), in time linear in the message whatever
  the words (`WordMatcher`);
* user regexes run on the `regex` package with a timeout: the whole regex rule gets `regex_timeout_ms` (at most
  50) per message, a search that runs out of time counts as "no match" (logged and counted), and the guild's regex
  rule is then suspended for `regex_suspend_seconds` (at least 10) counted from the end of that search, so hostile
  patterns cost the event loop at most one budget per suspension period, whatever the traffic;
* every guild's text rules are metered (`CostMeter`): a guild whose rules take more than `GUILD_BUDGET_MS` of
  this process's loop in `GUILD_BUDGET_WINDOW_SECONDS` is paused for `GUILD_PAUSE_SECONDS` (the Cog records the
  pause in the guild's config, which audits it and reaches every process, and tells the guild).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime

from wolaro.logging import get_logger
from wolaro.modules.automod.config import Action, Config, Rule
from wolaro.modules.automod.counting import DuplicateTracker, fingerprint, spam_key
from wolaro.modules.automod.regex_rule import REGEX_INLINE_MS, REGEX_STATS, OffLoopResult, RegexMatcher, RegexStats
from wolaro.modules.automod.text_rules import (
    COMBINING,
    INVITE_RE,
    LINK_RE,
    caps_ratio,
    domain_listed,
    find_bad_link,
    find_invite,
    find_zalgo,
    link_hosts,
    too_many_caps,
    too_many_mentions,
    zalgo_pattern,
)
from wolaro.modules.automod.words import WordMatcher, find_word, mark_boundaries, word_pattern

log = get_logger(__name__)

#: The rules' parts live in `text_rules`, `words`, `regex_rule` and `counting`; this module composes them and
#: names them all, so `service.X` reaches every rule's piece.
__all__ = [
    "COMBINING",
    "GUILD_BUDGET_MS",
    "GUILD_BUDGET_WINDOW_SECONDS",
    "GUILD_PAUSE_SECONDS",
    "INVITE_RE",
    "LINK_RE",
    "REGEX_INLINE_MS",
    "REGEX_STATS",
    "SEVERITY",
    "ContentCheck",
    "CostMeter",
    "CountRule",
    "DuplicateTracker",
    "Hit",
    "OffLoopResult",
    "RegexMatcher",
    "RegexStats",
    "RuleInfo",
    "Ruleset",
    "WordMatcher",
    "caps_ratio",
    "compile_rules",
    "count_hit",
    "domain_listed",
    "find_bad_link",
    "find_invite",
    "find_word",
    "find_zalgo",
    "fingerprint",
    "guild_share_used_at_trip",
    "link_hosts",
    "log_channel",
    "mark_boundaries",
    "most_severe",
    "spam_key",
    "too_many_caps",
    "too_many_mentions",
    "word_pattern",
    "zalgo_pattern",
]

SEVERITY: dict[Action, int] = {Action.DELETE: 0, Action.WARN: 1, Action.TIMEOUT: 2, Action.KICK: 3, Action.BAN: 4}


GUILD_BUDGET_MS = 250
"""Time a guild's text rules may take of this process's event loop per window (ms): 2.5 % of it."""
GUILD_BUDGET_WINDOW_SECONDS = 10.0
GUILD_PAUSE_SECONDS = 600
"""How long a guild over its budget has its text rules paused."""


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A compiled rule's identity, action and exemptions."""

    name: str
    action: Action
    timeout_seconds: int
    exempt_roles: frozenset[int] = frozenset()
    exempt_channels: frozenset[int] = frozenset()

    def applies(self, channel_id: int, role_ids: Collection[int]) -> bool:
        """Whether the rule runs for this channel and these roles."""
        if self.exempt_channels and channel_id in self.exempt_channels:
            return False
        return not (self.exempt_roles and not self.exempt_roles.isdisjoint(role_ids))


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule caught a message: which rule, what to do, and what it saw (for the case reason)."""

    rule: str
    action: Action
    detail: str
    timeout_seconds: int = 0

    @classmethod
    def of(cls, info: RuleInfo, detail: str) -> Hit:
        """A hit of `info`'s rule."""
        return cls(info.name, info.action, detail, info.timeout_seconds)


def most_severe(first: Hit | None, second: Hit | None) -> Hit | None:
    """The hit with the heavier action (the first one on a tie), or whichever is not None."""
    if first is None:
        return second
    if second is None:
        return first
    return second if SEVERITY[second.action] > SEVERITY[first.action] else first


def _info(name: str, rule: Rule) -> RuleInfo:
    return RuleInfo(
        name=name,
        action=rule.action,
        timeout_seconds=rule.timeout_minutes * 60,
        exempt_roles=frozenset(rule.exempt_roles),
        exempt_channels=frozenset(rule.exempt_channels),
    )


# ------------------------------------------------------------------------------------------ counting rules
@dataclass(frozen=True, slots=True)
class CountRule:
    """A rule that counts messages in a window: more than `limit` in `window` seconds catches."""

    info: RuleInfo
    limit: int
    window: float


# ------------------------------------------------------------------------------------------ per-guild time budget
@dataclass(slots=True)
class CostMeter:
    """How much of this process's event loop a guild's text rules took in the current window, and its pause.

    Times are `time.perf_counter()` seconds. The meter is process-local on purpose: the budget is about this
    process's loop. What a pause means for the guild (its `paused_until`, the audit row, the notice) is recorded
    in the guild's config by the Cog, and `sync_pause` brings a meter in line with it.
    """

    budget: float = field(default_factory=lambda: GUILD_BUDGET_MS / 1000)
    window: float = field(default_factory=lambda: GUILD_BUDGET_WINDOW_SECONDS)
    started: float = float("-inf")
    spent: float = 0.0
    paused_until: float = 0.0
    """perf_counter time until which the guild's text rules are skipped here (0: not paused)."""
    recording: bool = False
    """Over budget and the pause is being recorded: a config reload must not lift it meanwhile."""
    spent_at_pause: float = 0.0
    """What the window had cost when the last pause began (for the notice)."""

    def charge(self, cost: float, now: float) -> bool:
        """Add `cost` seconds spent at `now`; True once when this takes the guild over its budget."""
        if now - self.started >= self.window:
            self.started = now
            self.spent = 0.0
        self.spent += cost
        if self.spent <= self.budget or self.recording:
            return False
        self.recording = True
        return True

    def pause(self, seconds: float, now: float) -> None:
        """Skip the guild's text rules here for `seconds` from `now`, with a fresh window afterwards."""
        self.paused_until = now + seconds
        self.spent_at_pause = self.spent
        self.started = float("-inf")
        self.spent = 0.0

    def sync_pause(self, paused_until: datetime | None, *, now: float, wall_now: float) -> None:
        """Follow the guild's config: paused until `paused_until` (wall clock), or not paused when it is None.

        While a pause decided here is still being recorded, a config without it leaves the local pause alone.
        """
        if paused_until is not None:
            left = paused_until.timestamp() - wall_now
            self.paused_until = now + left if left > 0 else 0.0
        elif not self.recording:
            self.paused_until = 0.0


def guild_share_used_at_trip(meter: CostMeter) -> tuple[int, int, int]:
    """(ms spent when the last pause began, ms allowed, window in s) of a meter, rounded for people."""
    return round(meter.spent_at_pause * 1000), round(meter.budget * 1000), round(meter.window)


def log_channel(own: int | None, modlog: int | None) -> int | None:
    """Where automod reports about itself: its `log_channel_id` (`own`), else the moderation modlog channel."""
    return own or modlog or None


# ------------------------------------------------------------------------------------------ the ruleset
ContentCheck = Callable[[str, int], "str | None"]


@dataclass(slots=True)
class Ruleset:
    """A guild's automod rules, compiled: what the message handler evaluates."""

    exempt_roles: frozenset[int] = frozenset()
    exempt_channels: frozenset[int] = frozenset()
    exempt_manage_messages: bool = True
    spam: CountRule | None = None
    duplicates: CountRule | None = None
    checks: tuple[tuple[RuleInfo, ContentCheck], ...] = ()
    regex: RegexMatcher | None = field(default=None, repr=False)
    meter: CostMeter = field(default_factory=CostMeter, repr=False)
    paused_until: datetime | None = None
    """The config's `paused_until` (wall clock), as compiled."""
    regex_info: RuleInfo | None = None
    roles_matter: bool = False
    """Whether some exemption names roles (else the author's roles need not be read)."""

    @property
    def empty(self) -> bool:
        """Whether no rule is enabled."""
        return self.spam is None and self.duplicates is None and not self.checks

    def exempt(self, channel_id: int, role_ids: Collection[int]) -> bool:
        """Whether automod ignores this channel or these roles altogether (Manage Messages is the Cog's call)."""
        if channel_id in self.exempt_channels:
            return True
        return bool(self.exempt_roles) and not self.exempt_roles.isdisjoint(role_ids)

    def check_content(self, content: str, mentions: int, channel_id: int, role_ids: Collection[int]) -> Hit | None:
        """The most severe hit of the text rules on one message, or None for a clean message."""
        found: Hit | None = None
        for info, check in self.checks:
            if (info.exempt_channels or info.exempt_roles) and not info.applies(channel_id, role_ids):
                continue
            detail = check(content, mentions)
            if detail is not None:
                found = most_severe(found, Hit.of(info, detail))
        return found

    def check_metered(
        self, content: str, mentions: int, channel_id: int, role_ids: Collection[int]
    ) -> tuple[Hit | None, bool]:
        """`check_content` within the guild's time budget: (hit, whether this message took it over budget).

        While the guild is paused its text rules are skipped (no hit). The first message over budget pauses
        them here at once; the caller then records the pause (config, audit, notice).
        """
        meter = self.meter
        started = time.perf_counter()
        if not self.checks or started < meter.paused_until:
            return None, False
        found = self.check_content(content, mentions, channel_id, role_ids)
        ended = time.perf_counter()
        if meter.charge(ended - started, ended):
            meter.pause(GUILD_PAUSE_SECONDS, ended)
            return found, True
        return found, False

    def deferred_regex(self, hit: Hit | None) -> tuple[str, int] | None:
        """After a check: the regex search to finish off the loop, if one was left and no other rule caught it.

        A non-None answer marks the search in flight; the caller runs `RegexMatcher.search_off_loop` in a worker
        thread and hands the result to `finish_regex`.
        """
        matcher = self.regex
        if matcher is None:
            return None
        if hit is not None:
            matcher.drop_deferred()
            return None
        return matcher.take_deferred()

    def finish_regex(self, result: OffLoopResult, length: int) -> tuple[Hit | None, bool]:
        """Apply an off-loop regex search: (hit, whether its time took the guild over budget).

        Its time counts against the guild's budget like time on the loop: a worker is this process's time too.
        """
        assert self.regex is not None and self.regex_info is not None
        source = self.regex.settle(result, length)
        now = time.perf_counter()
        over = self.meter.charge(result.elapsed, now)
        if over:
            self.meter.pause(GUILD_PAUSE_SECONDS, now)
        return (Hit.of(self.regex_info, source) if source is not None else None), over

    def carry_over(self, previous: Ruleset | None) -> None:
        """After a config change: keep the guild's meter and regex suspension, and follow its `paused_until`."""
        if previous is not None:
            self.meter = previous.meter
            if self.regex is not None:
                self.regex.keep_suspension(previous.regex)
        self.meter.sync_pause(self.paused_until, now=time.perf_counter(), wall_now=time.time())


def compile_rules(config: Config, *, clock: Callable[[], float] = time.monotonic) -> Ruleset:
    """Turn a validated config into the `Ruleset` evaluated per message (done once per config version)."""
    checks: list[tuple[RuleInfo, ContentCheck]] = []
    if config.mentions.enabled:
        limit = config.mentions.max_mentions
        checks.append((_info("mentions", config.mentions), lambda _c, n: too_many_mentions(n, limit)))
    if config.invites.enabled:
        allowed = frozenset(config.invites.allowed_codes) | {c.lower() for c in config.invites.allowed_codes}
        checks.append((_info("invites", config.invites), lambda c, _n: find_invite(c, allowed)))
    if config.links.enabled:
        domains, mode = frozenset(config.links.domains), config.links.mode
        if domains or mode == "allow":
            checks.append((_info("links", config.links), lambda c, _n: find_bad_link(c, domains, mode=mode)))
    if config.words.enabled:
        words = word_pattern(config.words.words)
        if words is not None:
            checks.append((_info("words", config.words), lambda c, _n: find_word(c, words)))
    matcher = None
    regex_info = None
    if config.regex.enabled and config.regex.patterns:
        matcher = RegexMatcher(
            config.regex.patterns,
            budget_ms=config.regex_timeout_ms,
            suspend_seconds=config.regex_suspend_seconds,
            clock=clock,
        )
        regex_info = _info("regex", config.regex)
        checks.append((regex_info, lambda c, _n: matcher.search(c)))
    if config.caps.enabled:
        min_letters, max_ratio = config.caps.min_letters, config.caps.max_ratio
        checks.append(
            (_info("caps", config.caps), lambda c, _n: too_many_caps(c, min_letters=min_letters, max_ratio=max_ratio))
        )
    if config.zalgo.enabled:
        zalgo = zalgo_pattern(config.zalgo.max_marks)
        checks.append((_info("zalgo", config.zalgo), lambda c, _n: find_zalgo(c, zalgo)))
    spam = config.spam
    duplicates = config.duplicates
    rules = [rule for _, rule in config if isinstance(rule, Rule) and rule.enabled]
    ruleset = Ruleset(
        exempt_roles=frozenset(config.exempt_roles),
        exempt_channels=frozenset(config.exempt_channels),
        exempt_manage_messages=config.exempt_manage_messages,
        spam=CountRule(_info("spam", spam), spam.max_messages, spam.per_seconds) if spam.enabled else None,
        duplicates=(
            CountRule(_info("duplicates", duplicates), duplicates.max_repeats, duplicates.per_seconds)
            if duplicates.enabled
            else None
        ),
        checks=tuple(checks),
        regex=matcher,
        regex_info=regex_info,
        paused_until=config.paused_until,
        roles_matter=bool(config.exempt_roles) or any(rule.exempt_roles for rule in rules),
    )
    ruleset.carry_over(None)
    return ruleset


def count_hit(rule: CountRule, count: int, what: str) -> Hit | None:
    """A hit when `count` messages in the rule's window exceed its limit."""
    if count <= rule.limit:
        return None
    return Hit.of(rule.info, f"{count} {what} in {rule.window:g} s")
