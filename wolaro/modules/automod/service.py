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

import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import ahocorasick
import regex

from wolaro.logging import get_logger
from wolaro.modules.automod.config import Action, Config, Rule

log = get_logger(__name__)

SEVERITY: dict[Action, int] = {Action.DELETE: 0, Action.WARN: 1, Action.TIMEOUT: 2, Action.KICK: 3, Action.BAN: 4}

INVITE_RE = re.compile(
    r"(?:https?://)?(?:www\.)?(?:discord(?:app)?\.com/invite|discord\.(?:gg|io|me|li)|dsc\.gg)/([A-Za-z0-9-]+)",
    re.IGNORECASE,
)
LINK_RE = re.compile(r"https?://([^\s/?#<>\"'|\\]+)", re.IGNORECASE)
# Combining marks: the blocks zalgo generators draw from (diacritics, extended, supplement, for symbols, halves).
COMBINING = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_ASCII_UPPER = bytes(range(65, 91))
_ASCII_LETTERS = bytes(range(65, 91)) + bytes(range(97, 123))

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


# ------------------------------------------------------------------------------------------- text rules
def too_many_mentions(mentions: int, limit: int) -> str | None:
    """`"<n> mentions"` when a message mentions more than `limit` users and roles."""
    return f"{mentions} mentions" if mentions > limit else None


def find_invite(content: str, allowed: Collection[str] = ()) -> str | None:
    """The first Discord invite code in `content` that is not allowed, or None."""
    if "/" not in content:
        return None
    for match in INVITE_RE.finditer(content):
        code = match.group(1)
        if code not in allowed and code.lower() not in allowed:
            return code
    return None


def link_hosts(content: str) -> list[str]:
    """The host names of the http(s) links in `content`, lowercased, without port or credentials."""
    if "://" not in content:
        return []
    hosts = []
    for match in LINK_RE.finditer(content):
        host = match.group(1).rsplit("@", 1)[-1].split(":", 1)[0].strip(".").lower()
        if host:
            hosts.append(host)
    return hosts


def domain_listed(host: str, domains: Collection[str]) -> bool:
    """Whether `host` is one of `domains` or a subdomain of one."""
    if host in domains:
        return True
    parts = host.split(".")
    return any(".".join(parts[i:]) in domains for i in range(1, len(parts)))


def find_bad_link(content: str, domains: Collection[str], *, mode: str) -> str | None:
    """The first link host caught: listed ones in `deny` mode, unlisted ones in `allow` mode."""
    for host in link_hosts(content):
        if domain_listed(host, domains) == (mode == "deny"):
            return host
    return None


_MARK = "\x00"
"""Inserted around every non-word character (and at both ends) so that word boundaries become literal text."""


class _BoundaryTable(dict[int, str]):
    """`str.translate` table: a non-word character `c` becomes `MARK c MARK`, a word character stays itself.

    Filled on demand (a character is classified once); NUL, the mark itself, is read as a space. Past
    `MAX_ENTRIES` characters are classified without being remembered, so hostile texts cannot grow it.
    """

    MAX_ENTRIES = 8192

    def __missing__(self, code: int) -> str:
        char = chr(code)
        value = char if char.isalnum() or char == "_" else f"{_MARK}{char}{_MARK}"
        if len(self) < self.MAX_ENTRIES:
            self[code] = value
        return value


_BOUNDARIES = _BoundaryTable({0: f"{_MARK} {_MARK}"})


def mark_boundaries(folded: str) -> str:
    r"""`folded` with a mark around each non-word character and at both ends.

    A word `w` occurs in a text as a whole word (not preceded nor followed by a letter, digit or `_`, what `re`
    writes `(?<!\w)w(?!\w)`) exactly when `mark_boundaries(w)` occurs in `mark_boundaries(text)`: the marks
    before and after a character depend only on that character and its neighbours, so a plain substring search
    decides whole-word matches.
    """
    return f"{_MARK}{folded.translate(_BOUNDARIES)}{_MARK}"


class WordMatcher:
    """Banned words and phrases as whole words, case-insensitively, in time linear in the message.

    Two Aho-Corasick automatons (`pyahocorasick`, C): the first looks for the words anywhere in the casefolded
    text and clears almost every message in one pass; only when some word occurs does the second search the text
    with its word boundaries marked (`mark_boundaries`), where any occurrence is a whole-word match, so the first
    one found is the answer. Both passes are linear in the text whatever the words (no backtracking, no
    per-occurrence work before the first hit): 500 words of 100 characters cost the same per character as one.
    """

    def __init__(self, words: Iterable[str]) -> None:
        self.words: dict[str, str] = {}
        for word in words:
            folded = word.casefold().replace(_MARK, " ")
            if folded.strip():
                self.words.setdefault(folded, word)
        self._anywhere = ahocorasick.Automaton()
        self._whole = ahocorasick.Automaton()
        for folded, word in self.words.items():
            self._anywhere.add_word(folded, word)
            self._whole.add_word(mark_boundaries(folded), word)
        if self.words:
            self._anywhere.make_automaton()
            self._whole.make_automaton()

    def __bool__(self) -> bool:
        return bool(self.words)

    def find(self, content: str) -> str | None:
        """The first banned word (as configured) found in `content` as a whole word, or None."""
        if not self.words or not content:
            return None
        folded = content.casefold()
        if _MARK in folded:
            folded = folded.replace(_MARK, " ")
        if next(self._anywhere.iter(folded), None) is None:
            return None
        found = next(self._whole.iter(mark_boundaries(folded)), None)
        return None if found is None else found[1]


def word_pattern(words: Iterable[str]) -> WordMatcher | None:
    """A matcher of `words` as whole words (not inside a longer word), case-insensitive; None for no words."""
    matcher = WordMatcher(words)
    return matcher if matcher else None


def find_word(content: str, matcher: WordMatcher | None) -> str | None:
    """The first banned word found in `content` (as configured), or None."""
    if matcher is None:
        return None
    return matcher.find(content)


def caps_ratio(content: str) -> tuple[int, float]:
    """(letters, share of them that are capitals) in `content`."""
    if content.isascii():
        data = content.encode("ascii")
        letters = len(data) - len(data.translate(None, _ASCII_LETTERS))
        upper = len(data) - len(data.translate(None, _ASCII_UPPER))
    else:
        letters = sum(map(str.isalpha, content))
        upper = sum(map(str.isupper, content))
    return letters, (upper / letters if letters else 0.0)


def too_many_caps(content: str, *, min_letters: int, max_ratio: float) -> str | None:
    """`"<n>% capitals"` when a long enough message has more than `max_ratio` capital letters."""
    if len(content) < min_letters or content.lower() == content:
        return None
    letters, ratio = caps_ratio(content)
    if letters >= min_letters and ratio > max_ratio:
        return f"{round(ratio * 100)}% capitals"
    return None


def zalgo_pattern(max_marks: int) -> re.Pattern[str]:
    """A pattern matching more than `max_marks` combining marks in a row."""
    return re.compile(f"[{COMBINING}]{{{max_marks + 1},}}")


def find_zalgo(content: str, pattern: re.Pattern[str]) -> str | None:
    """`"<n> stacked marks"` when `content` stacks more combining marks than allowed, else None."""
    if content.isascii():
        return None
    match = pattern.search(content)
    return f"{len(match.group(0))} stacked marks" if match else None


# ------------------------------------------------------------------------------------------ regex rule
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


# ------------------------------------------------------------------------------------------ counting rules
@dataclass(frozen=True, slots=True)
class CountRule:
    """A rule that counts messages in a window: more than `limit` in `window` seconds catches."""

    info: RuleInfo
    limit: int
    window: float


def spam_key(guild_id: int, user_id: int) -> str:
    """The shared-cache key of one member's message counter."""
    return f"automod:spam:{guild_id}:{user_id}"


def fingerprint(content: str) -> int:
    """What makes two messages "the same": case and surrounding/inner whitespace runs ignored."""
    return hash(" ".join(content.casefold().split()))


class DuplicateTracker:
    """Recent message fingerprints per (guild, member), bounded: the least recently active members go first.

    A guild's messages all reach the one process that runs its shard, so this count needs no shared cache;
    keeping it in memory keeps the per-message cost of the duplicate rule to a dict lookup.
    """

    def __init__(
        self, *, max_members: int = 50_000, depth: int = 64, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_members = max_members
        self.depth = depth
        self.clock = clock
        self._recent: OrderedDict[tuple[int, int], tuple[deque[float], deque[int]]] = OrderedDict()

    def hit(self, guild_id: int, user_id: int, content: str, window: float) -> int:
        """Record this message; return how many of the member's messages in `window` s had the same text."""
        now = self.clock()
        key = (guild_id, user_id)
        recent = self._recent.get(key)
        if recent is None:
            recent = self._recent[key] = (deque(maxlen=self.depth), deque(maxlen=self.depth))
            if len(self._recent) > self.max_members:
                self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(key)
        times, marks = recent
        threshold = now - window
        while times and times[0] <= threshold:
            times.popleft()
            marks.popleft()
        mark = fingerprint(content)
        times.append(now)
        marks.append(mark)
        return marks.count(mark)

    def forget(self, guild_id: int, user_id: int) -> None:
        """Drop a member's history (after they were acted on)."""
        self._recent.pop((guild_id, user_id), None)

    def __len__(self) -> int:
        return len(self._recent)


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
    )
    ruleset.carry_over(None)
    return ruleset


def count_hit(rule: CountRule, count: int, what: str) -> Hit | None:
    """A hit when `count` messages in the rule's window exceed its limit."""
    if count <= rule.limit:
        return None
    return Hit.of(rule.info, f"{count} {what} in {rule.window:g} s")
