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

from wolaro.core import config_ui as ui
from wolaro.core.config_errors import FieldValueError
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
        raise ValueError("Enter a date and time.")
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


Enabled = Annotated[bool, Field(title="Rule on", description="Switch this rule on or off.")]
RuleAction = Annotated[
    Action,
    Field(
        title="What the bot does",
        description="The message is always deleted; the bot can also warn, time out, kick or ban its author.",
        json_schema_extra=ui.choices(
            delete="Only delete the message",
            warn="Delete and warn the member",
            timeout="Delete and time the member out",
            kick="Delete and kick the member",
            ban="Delete and ban the member",
        ),
    ),
]
PerSeconds = Annotated[
    float,
    Field(
        title="Within",
        description="The time window in which messages are counted.",
        json_schema_extra=ui.duration("seconds"),
    ),
]


class Rule(BaseModel):
    """What every rule has: on/off, an action, a timeout length for `timeout`, and its own exemptions."""

    model_config = ConfigDict(extra="forbid")

    enabled: Enabled = False
    action: RuleAction = Action.DELETE
    timeout_minutes: int = Field(
        default=10,
        ge=1,
        le=MAX_TIMEOUT_MINUTES,
        title="Timeout length",
        description="How long the member stays timed out.",
        json_schema_extra=ui.merge(ui.duration("minutes"), ui.show_if("action", "timeout")),
    )
    exempt_roles: RoleIds = Field(
        default_factory=list, title="Roles left alone", description="Members with one of these roles are exempt."
    )
    exempt_channels: ChannelIds = Field(
        default_factory=list, title="Channels left alone", description="Channels where this rule does not apply."
    )


class SpamRule(Rule):
    """More than `max_messages` messages from one member in `per_seconds` (counted across bot processes)."""

    enabled: Enabled = True
    action: RuleAction = Action.TIMEOUT
    max_messages: int = Field(
        default=5,
        ge=1,
        le=100,
        title="Messages allowed",
        description="A member who sends more messages than this in the time window is caught.",
    )
    per_seconds: PerSeconds = Field(default=5.0, gt=0, le=300)


class DuplicateRule(Rule):
    """The same text from one member more than `max_repeats` times in `per_seconds`."""

    enabled: Enabled = True
    max_repeats: int = Field(
        default=3,
        ge=1,
        le=50,
        title="Repeats allowed",
        description="A member who sends the same text more times than this in the time window is caught.",
    )
    per_seconds: PerSeconds = Field(default=30.0, gt=0, le=3600)


class MentionRule(Rule):
    """More than `max_mentions` user and role mentions in one message."""

    enabled: Enabled = True
    action: RuleAction = Action.TIMEOUT
    max_mentions: int = Field(
        default=5,
        ge=1,
        le=100,
        title="Mentions allowed",
        description="A message that mentions more members and roles than this is caught.",
    )


class InviteRule(Rule):
    """Discord invite links (discord.gg/..., discord.com/invite/...), except the allowed codes."""

    enabled: Enabled = True
    allowed_codes: list[InviteCode] = Field(
        default_factory=list,
        max_length=MAX_INVITE_CODES,
        title="Invites allowed",
        description="Invite codes members may post, such as your own server's (the part after discord.gg/).",
    )


class LinkRule(Rule):
    """Links (http/https): `deny` catches the listed domains, `allow` catches every domain not listed.

    A domain also covers its subdomains (`example.com` covers `www.example.com`).
    """

    mode: Literal["deny", "allow"] = Field(
        default="deny",
        title="Which links",
        description="Catch only the websites listed below, or every website except those listed.",
        json_schema_extra=ui.choices(deny="Only the websites listed", allow="Every website except those listed"),
    )
    domains: list[Domain] = Field(
        default_factory=list,
        max_length=MAX_DOMAINS,
        title="Websites",
        description="Website addresses such as example.com; each also covers its subdomains.",
    )

    @field_validator("domains")
    @classmethod
    def _normalise_domains(cls, value: list[str]) -> list[str]:
        domains = []
        for raw in value:
            domain = raw.strip().lower().removeprefix("http://").removeprefix("https://").split("/")[0].strip(".")
            if not domain or any(c.isspace() for c in domain):
                raise FieldValueError(None, "{text} is not a website address.", text=raw)
            domains.append(domain)
        return domains


class WordRule(Rule):
    """Banned words and phrases, matched as whole words, case-insensitively."""

    words: list[BannedWord] = Field(
        default_factory=list,
        max_length=MAX_WORDS,
        title="Banned words",
        description="Words or short phrases, matched as whole words whatever their capitals.",
    )

    @field_validator("words")
    @classmethod
    def _clean_words(cls, value: list[str]) -> list[str]:
        words = [word.strip() for word in value]
        if any(not word for word in words):
            raise ValueError("A banned word cannot be empty.")
        return words


class RegexRule(Rule):
    """Regular expressions (the `regex` package's syntax); each search is bounded by the module's time budget."""

    patterns: list[Pattern] = Field(
        default_factory=list,
        max_length=MAX_PATTERNS,
        title="Patterns",
        description="Advanced: regular expressions; a message matching one of them is caught.",
    )

    @field_validator("patterns")
    @classmethod
    def _compile_patterns(cls, value: list[str]) -> list[str]:
        for index, pattern in enumerate(value):
            try:
                regex.compile(pattern)
            except (regex.error, OverflowError, RecursionError) as exc:
                raise FieldValueError(
                    str(index), "Pattern {number} is not a valid regular expression.", number=index + 1
                ) from exc
        return value


class CapsRule(Rule):
    """Messages of at least `min_letters` letters of which more than `max_ratio` are capitals."""

    min_letters: int = Field(
        default=12,
        ge=1,
        le=2000,
        title="Shortest message checked",
        description="Messages with fewer letters than this are never caught (a short 'OK' is fine).",
    )
    max_ratio: float = Field(
        default=0.7,
        gt=0,
        le=1,
        title="Capital letters allowed",
        description="A message with a larger share of capital letters than this is caught.",
        json_schema_extra=ui.percent(),
    )


class ZalgoRule(Rule):
    """Zalgo text: more than `max_marks` combining marks stacked on one character."""

    enabled: Enabled = True
    max_marks: int = Field(
        default=3,
        ge=1,
        le=50,
        title="Stacked marks allowed",
        description="A character carrying more accent marks than this (glitchy 'zalgo' text) is caught.",
    )


class Config(ModuleConfig):
    """Automod settings: exemptions for every rule, the regex time budget, then one entry per rule."""

    exempt_roles: RoleIds = Field(
        default_factory=list, title="Roles left alone", description="Members with one of these roles are never caught."
    )
    exempt_channels: ChannelIds = Field(
        default_factory=list, title="Channels left alone", description="Channels where automod does nothing."
    )
    exempt_manage_messages: bool = Field(
        default=True,
        title="Leave moderators alone",
        description="Members who can manage messages are never caught.",
    )
    regex_timeout_ms: int = Field(
        default=MAX_REGEX_TIMEOUT_MS,
        ge=1,
        le=MAX_REGEX_TIMEOUT_MS,
        title="Pattern time per message",
        description="Advanced: how many milliseconds the patterns may take on one message.",
    )
    regex_suspend_seconds: int = Field(
        default=60,
        ge=MIN_REGEX_SUSPEND_SECONDS,
        le=MAX_REGEX_SUSPEND_SECONDS,
        title="Pattern pause",
        description="Advanced: when a pattern takes too long, the pattern rule pauses for this long.",
        json_schema_extra=ui.duration("seconds"),
    )
    log_channel_id: SnowflakeId | None = Field(
        default=None,
        title="Report channel",
        description="Where automod reports about itself. Empty: the moderation log channel.",
        json_schema_extra={"x-picker": "channel"},
    )
    paused_until: PauseTime | None = Field(
        default=None,
        title="Paused until",
        description=(
            "Set by the bot when this server's rules took too long: the rules rest until then. Clear it to resume now."
        ),
    )
    spam: SpamRule = Field(
        default_factory=SpamRule, title="Spam", description="Too many messages from one member in a short time."
    )
    duplicates: DuplicateRule = Field(
        default_factory=DuplicateRule, title="Repeated messages", description="The same text sent again and again."
    )
    mentions: MentionRule = Field(
        default_factory=MentionRule, title="Mass mentions", description="Too many mentions in one message."
    )
    invites: InviteRule = Field(
        default_factory=InviteRule, title="Invite links", description="Links inviting members to other servers."
    )
    links: LinkRule = Field(default_factory=LinkRule, title="Links", description="Links to websites you choose.")
    words: WordRule = Field(default_factory=WordRule, title="Banned words", description="Words you do not want here.")
    regex: RegexRule = Field(
        default_factory=RegexRule,
        title="Patterns (advanced)",
        description="Catch messages matching regular expressions.",
    )
    caps: CapsRule = Field(default_factory=CapsRule, title="Capital letters", description="Messages in CAPITALS.")
    zalgo: ZalgoRule = Field(
        default_factory=ZalgoRule, title="Glitch text", description="Characters piled with accent marks."
    )

    @field_validator("paused_until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        """A time typed without an offset is taken as UTC."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value
