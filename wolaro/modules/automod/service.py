"""Automod's rules as pure functions on a message's plain values (text, author, roles, channel, mention count).

`compile_rules(config)` turns a guild's validated `Config` into a `Ruleset` once (patterns compiled, lists turned
into sets); the message handler then calls `Ruleset.check_content(...)` for each message, which touches no
network and allocates little for a clean message. The counting rules need state: spam counts live in the shared
cache (the Cog calls `window_hit`), duplicates in a bounded `DuplicateTracker` of recent message fingerprints.

User-supplied regexes run on the `regex` package with a timeout: the whole regex rule gets `regex_timeout_ms`
per message, a search that runs out of time counts as "no match" (logged and counted), and the guild's regex rule
is then suspended for `regex_suspend_seconds`, so hostile patterns cost the event loop at most one budget per
suspension period, whatever the traffic.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

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


def word_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern matching any of `words` as a whole word (not inside a longer word)."""
    unique = sorted({word.casefold() for word in words if word}, key=len, reverse=True)
    if not unique:
        return None
    alternatives = "|".join(re.escape(word) for word in unique)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def find_word(content: str, pattern: re.Pattern[str] | None) -> str | None:
    """The first banned word found in `content`, or None."""
    if pattern is None:
        return None
    match = pattern.search(content)
    return match.group(0) if match else None


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
@dataclass(slots=True)
class RegexStats:
    """How user regexes behaved in this process (shown by `/automod status`, logged on each timeout)."""

    searches: int = 0
    timeouts: int = 0
    skipped: int = 0


REGEX_STATS = RegexStats()
"""Process-wide totals over every guild's regex rules."""


class RegexMatcher:
    """A guild's user-supplied patterns, searched within a time budget per message.

    A search that exceeds what is left of the budget is "no match". The first such timeout suspends the guild's
    whole regex rule for `suspend_seconds` (its searches are skipped and counted), so however many hostile
    patterns and messages a guild has, its regexes stall the event loop for at most one budget per suspension
    period.
    """

    def __init__(
        self,
        patterns: Iterable[str],
        *,
        budget_ms: int,
        suspend_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        stats: RegexStats = REGEX_STATS,
    ) -> None:
        self.sources = list(patterns)
        self.compiled = [regex.compile(pattern) for pattern in self.sources]
        self.budget = budget_ms / 1000
        self.suspend_seconds = suspend_seconds
        self.clock = clock
        self.totals = stats
        self.stats = RegexStats()
        self.suspended_until = 0.0

    def _count(self, name: str, amount: int = 1) -> None:
        setattr(self.stats, name, getattr(self.stats, name) + amount)
        setattr(self.totals, name, getattr(self.totals, name) + amount)

    @property
    def timeouts(self) -> int:
        """How many searches of this guild's patterns ran out of time."""
        return self.stats.timeouts

    def search(self, content: str) -> str | None:
        """The first pattern that matches `content` within the budget, or None."""
        if not content:
            return None
        now = self.clock()
        if self.suspended_until > now:
            self._count("skipped", len(self.compiled))
            return None
        started = time.perf_counter()
        for index, pattern in enumerate(self.compiled):
            remaining = self.budget - (time.perf_counter() - started)
            if remaining <= 0:
                self._count("skipped", len(self.compiled) - index)
                return None
            self._count("searches")
            try:
                match = pattern.search(content, timeout=remaining)
            except TimeoutError:
                self._count("timeouts")
                self._count("skipped", len(self.compiled) - index - 1)
                self.suspended_until = now + self.suspend_seconds
                log.warning(
                    "automod regex timed out; counted as no match, regex rule suspended",
                    pattern=self.sources[index][:80],
                    length=len(content),
                    budget_ms=round(self.budget * 1000),
                    suspended_s=self.suspend_seconds,
                )
                return None
            if match is not None:
                return self.sources[index]
        return None


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
    if config.regex.enabled and config.regex.patterns:
        matcher = RegexMatcher(
            config.regex.patterns,
            budget_ms=config.regex_timeout_ms,
            suspend_seconds=config.regex_suspend_seconds,
            clock=clock,
        )
        checks.append((_info("regex", config.regex), lambda c, _n: matcher.search(c)))
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
    return Ruleset(
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
    )


def count_hit(rule: CountRule, count: int, what: str) -> Hit | None:
    """A hit when `count` messages in the rule's window exceed its limit."""
    if count <= rule.limit:
        return None
    return Hit.of(rule.info, f"{count} {what} in {rule.window:g} s")
