"""Automod's per-guild settings: one rule per kind, each with its action and exemptions (a pydantic model).

Patterns are checked when the config is written (a bad regex is refused with its field, nothing is stored), so
the message handler only ever sees rules that compile.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

import regex
from pydantic import BaseModel, ConfigDict, Field, field_validator

from wolaro.core.registry import ModuleConfig

MAX_TIMEOUT_MINUTES = 28 * 24 * 60
MAX_PATTERNS = 25
MAX_PATTERN_LENGTH = 300
MAX_WORDS = 500


class Action(StrEnum):
    """What a rule does to the author of a message it catches (the message itself is always deleted)."""

    DELETE = "delete"
    WARN = "warn"
    TIMEOUT = "timeout"
    KICK = "kick"
    BAN = "ban"


class Rule(BaseModel):
    """What every rule has: on/off, an action, a timeout length for `timeout`, and its own exemptions."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    action: Action = Action.DELETE
    timeout_minutes: int = Field(default=10, ge=1, le=MAX_TIMEOUT_MINUTES, description="Length of a `timeout`")
    exempt_roles: list[int] = Field(
        default_factory=list,
        description="Members with one of these roles are exempt",
        json_schema_extra={"x-picker": "role"},
    )
    exempt_channels: list[int] = Field(
        default_factory=list,
        description="Channels where this rule does not apply",
        json_schema_extra={"x-picker": "channel"},
    )


class SpamRule(Rule):
    """More than `max_messages` messages from one member in `per_seconds` (counted across bot processes)."""

    enabled: bool = True
    action: Action = Action.TIMEOUT
    max_messages: int = Field(default=5, ge=1, le=100)
    per_seconds: float = Field(default=5.0, gt=0, le=300)


class DuplicateRule(Rule):
    """The same text from one member more than `max_repeats` times in `per_seconds`."""

    enabled: bool = True
    max_repeats: int = Field(default=3, ge=1, le=50)
    per_seconds: float = Field(default=30.0, gt=0, le=3600)


class MentionRule(Rule):
    """More than `max_mentions` user and role mentions in one message."""

    enabled: bool = True
    action: Action = Action.TIMEOUT
    max_mentions: int = Field(default=5, ge=1, le=100)


class InviteRule(Rule):
    """Discord invite links (discord.gg/..., discord.com/invite/...), except the allowed codes."""

    enabled: bool = True
    allowed_codes: list[str] = Field(default_factory=list, description="Invite codes that may be posted")


class LinkRule(Rule):
    """Links (http/https): `deny` catches the listed domains, `allow` catches every domain not listed.

    A domain also covers its subdomains (`example.com` covers `www.example.com`).
    """

    mode: Literal["deny", "allow"] = "deny"
    domains: list[str] = Field(default_factory=list)

    @field_validator("domains")
    @classmethod
    def _normalise_domains(cls, value: list[str]) -> list[str]:
        domains = []
        for raw in value:
            domain = raw.strip().lower().removeprefix("http://").removeprefix("https://").split("/")[0].strip(".")
            if not domain or any(c.isspace() for c in domain):
                raise ValueError(f"{raw!r} is not a domain")
            domains.append(domain)
        return domains


class WordRule(Rule):
    """Banned words and phrases, matched as whole words, case-insensitively."""

    words: list[str] = Field(default_factory=list, max_length=MAX_WORDS)

    @field_validator("words")
    @classmethod
    def _clean_words(cls, value: list[str]) -> list[str]:
        words = [word.strip() for word in value]
        if any(not word for word in words):
            raise ValueError("banned words cannot be empty")
        return words


class RegexRule(Rule):
    """Regular expressions (the `regex` package's syntax); each search is bounded by the module's time budget."""

    patterns: list[str] = Field(default_factory=list, max_length=MAX_PATTERNS)

    @field_validator("patterns")
    @classmethod
    def _compile_patterns(cls, value: list[str]) -> list[str]:
        for index, pattern in enumerate(value):
            if not pattern or len(pattern) > MAX_PATTERN_LENGTH:
                raise ValueError(f"pattern {index} must be 1 to {MAX_PATTERN_LENGTH} characters")
            try:
                regex.compile(pattern)
            except (regex.error, OverflowError, RecursionError) as exc:
                raise ValueError(f"pattern {index} does not compile: {exc}") from None
        return value


class CapsRule(Rule):
    """Messages of at least `min_letters` letters of which more than `max_ratio` are capitals."""

    min_letters: int = Field(default=12, ge=1, le=2000)
    max_ratio: float = Field(default=0.7, gt=0, le=1)


class ZalgoRule(Rule):
    """Zalgo text: more than `max_marks` combining marks stacked on one character."""

    enabled: bool = True
    max_marks: int = Field(default=3, ge=1, le=50)


class Config(ModuleConfig):
    """Automod settings: exemptions for every rule, the regex time budget, then one entry per rule."""

    exempt_roles: list[int] = Field(
        default_factory=list, description="Roles exempt from every rule", json_schema_extra={"x-picker": "role"}
    )
    exempt_channels: list[int] = Field(
        default_factory=list,
        description="Channels where automod does nothing",
        json_schema_extra={"x-picker": "channel"},
    )
    exempt_manage_messages: bool = Field(default=True, description="Members with Manage Messages are exempt")
    regex_timeout_ms: int = Field(default=50, ge=1, le=1000, description="Time budget of regex rules per message")
    regex_suspend_seconds: int = Field(
        default=60, ge=1, le=86400, description="After a regex runs out of time, regex rules pause this long"
    )
    spam: SpamRule = Field(default_factory=SpamRule)
    duplicates: DuplicateRule = Field(default_factory=DuplicateRule)
    mentions: MentionRule = Field(default_factory=MentionRule)
    invites: InviteRule = Field(default_factory=InviteRule)
    links: LinkRule = Field(default_factory=LinkRule)
    words: WordRule = Field(default_factory=WordRule)
    regex: RegexRule = Field(default_factory=RegexRule)
    caps: CapsRule = Field(default_factory=CapsRule)
    zalgo: ZalgoRule = Field(default_factory=ZalgoRule)
