"""Automod's per-guild settings: one rule per kind, each with its action and exemptions (a pydantic model).

Patterns are checked when the config is written (a bad regex is refused with its field, nothing is stored), so
the message handler only ever sees rules that compile.

Every list and text has a maximum (visible in the JSON schema, so the dashboard's form enforces it too), ids are
Discord snowflakes, and the settings that decide how much of the shared event loop a guild may use have ceilings
chosen so that no configuration can stall the other guilds: the regex budget per message is at most
`MAX_REGEX_TIMEOUT_MS`, and a regex that runs out of time pauses the regex rule for at least
`MIN_REGEX_SUSPEND_SECONDS`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import regex
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator

from wolaro.core.registry import ModuleConfig
from wolaro.core.snowflake import SnowflakeId

MAX_TIMEOUT_MINUTES = 28 * 24 * 60
MAX_PATTERNS = 25
MAX_PATTERN_LENGTH = 300
MAX_WORDS = 500
#: A banned word or phrase (a phrase of a few words; longer texts are what the regex rule is for).
MAX_WORD_LENGTH = 100
#: Discord's own caps: 250 roles and 500 channels per server.
MAX_ROLES = 250
MAX_CHANNELS = 500
MAX_INVITE_CODES = 100
#: Invite codes are at most a few dozen characters (vanity URLs included).
MAX_INVITE_CODE_LENGTH = 64
MAX_DOMAINS = 500
#: A DNS name is at most 253 characters.
MAX_DOMAIN_LENGTH = 253
#: The regex rule's time per message may be lowered, never raised past this (ms): one message's regexes stall the
#: event loop for at most this long, well under the 100 ms another guild may wait.
MAX_REGEX_TIMEOUT_MS = 50
#: After a regex ran out of time, the regex rule pauses at least this long, counted from the end of that search:
#: the regexes of one guild then use at most 50 ms of every 10 s (0.5 %) of the shared event loop.
MIN_REGEX_SUSPEND_SECONDS = 10
MAX_REGEX_SUSPEND_SECONDS = 86_400
#: `paused_until` as text: an ISO 8601 date and time with its offset is at most 32 characters.
MAX_DATETIME_LENGTH = 40

RoleIds = Annotated[list[SnowflakeId], Field(max_length=MAX_ROLES), Field(json_schema_extra={"x-picker": "role"})]
ChannelIds = Annotated[
    list[SnowflakeId], Field(max_length=MAX_CHANNELS), Field(json_schema_extra={"x-picker": "channel"})
]
BannedWord = Annotated[str, Field(min_length=1, max_length=MAX_WORD_LENGTH)]
Pattern = Annotated[str, Field(min_length=1, max_length=MAX_PATTERN_LENGTH)]
InviteCode = Annotated[str, Field(min_length=1, max_length=MAX_INVITE_CODE_LENGTH)]
Domain = Annotated[str, Field(min_length=1, max_length=MAX_DOMAIN_LENGTH)]


def _bounded_datetime(value: Any) -> Any:
    """A date and time as sent by the dashboard or chat: text longer than any date is refused before parsing."""
    if isinstance(value, str) and len(value) > MAX_DATETIME_LENGTH:
        raise ValueError(f"must be a date and time (at most {MAX_DATETIME_LENGTH} characters)")
    return value


PauseTime = Annotated[
    datetime,
    BeforeValidator(_bounded_datetime),
    WithJsonSchema({"type": "string", "format": "date-time", "maxLength": MAX_DATETIME_LENGTH}),
]


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
    exempt_roles: RoleIds = Field(default_factory=list, description="Members with one of these roles are exempt")
    exempt_channels: ChannelIds = Field(default_factory=list, description="Channels where this rule does not apply")


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
    allowed_codes: list[InviteCode] = Field(
        default_factory=list, max_length=MAX_INVITE_CODES, description="Invite codes that may be posted"
    )


class LinkRule(Rule):
    """Links (http/https): `deny` catches the listed domains, `allow` catches every domain not listed.

    A domain also covers its subdomains (`example.com` covers `www.example.com`).
    """

    mode: Literal["deny", "allow"] = "deny"
    domains: list[Domain] = Field(default_factory=list, max_length=MAX_DOMAINS)

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

    words: list[BannedWord] = Field(
        default_factory=list,
        max_length=MAX_WORDS,
        description=f"Up to {MAX_WORDS} words or phrases of up to {MAX_WORD_LENGTH} characters",
    )

    @field_validator("words")
    @classmethod
    def _clean_words(cls, value: list[str]) -> list[str]:
        words = [word.strip() for word in value]
        if any(not word for word in words):
            raise ValueError("banned words cannot be empty")
        return words


class RegexRule(Rule):
    """Regular expressions (the `regex` package's syntax); each search is bounded by the module's time budget."""

    patterns: list[Pattern] = Field(
        default_factory=list,
        max_length=MAX_PATTERNS,
        description=f"Up to {MAX_PATTERNS} patterns of up to {MAX_PATTERN_LENGTH} characters",
    )

    @field_validator("patterns")
    @classmethod
    def _compile_patterns(cls, value: list[str]) -> list[str]:
        for index, pattern in enumerate(value):
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

    exempt_roles: RoleIds = Field(default_factory=list, description="Roles exempt from every rule")
    exempt_channels: ChannelIds = Field(default_factory=list, description="Channels where automod does nothing")
    exempt_manage_messages: bool = Field(default=True, description="Members with Manage Messages are exempt")
    regex_timeout_ms: int = Field(
        default=MAX_REGEX_TIMEOUT_MS,
        ge=1,
        le=MAX_REGEX_TIMEOUT_MS,
        description=f"Time the regex rule may spend on one message, in ms (at most {MAX_REGEX_TIMEOUT_MS})",
    )
    regex_suspend_seconds: int = Field(
        default=60,
        ge=MIN_REGEX_SUSPEND_SECONDS,
        le=MAX_REGEX_SUSPEND_SECONDS,
        description="After a regex runs out of time, the regex rule pauses this long (seconds)",
    )
    log_channel_id: SnowflakeId | None = Field(
        default=None,
        description="Where automod reports about itself (default: the moderation module's modlog channel)",
        json_schema_extra={"x-picker": "channel"},
    )
    paused_until: PauseTime | None = Field(
        default=None,
        description=(
            "Set by the bot when this server's rules took more than their share of its time: the message rules "
            "are paused until then. Clear it to resume now."
        ),
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

    @field_validator("paused_until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        """A time typed without an offset is taken as UTC."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value
