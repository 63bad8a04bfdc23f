"""The tickets module's per-guild settings: categories, panels, tags, transcripts and auto-close."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from wolaro.core.durations import DurationError, parse_duration
from wolaro.core.registry import ModuleConfig
from wolaro.core.snowflake import SnowflakeId

KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,19}$"
MAX_CATEGORIES = 25
MAX_QUESTIONS = 5
MAX_TAGS = 50
LONGEST_WAIT = timedelta(days=90)


def _duration(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        parse_duration(value, maximum=LONGEST_WAIT)
    except DurationError:
        raise ValueError("Enter a delay like 30m, 12h, 2d or 1w, at most 90 days.") from None
    return value.strip()


class Question(BaseModel):
    """A question asked in the form a member fills in when opening a ticket."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(
        title="Question", description="What the form asks, e.g. What is your order number?", min_length=1, max_length=45
    )
    placeholder: str = Field(
        default="", title="Hint", description="Greyed example text shown in the empty box", max_length=100
    )
    required: bool = Field(default=True, title="Required", description="The member must answer it to open a ticket")
    long: bool = Field(default=False, title="Long answer", description="A large box for a paragraph")


class Category(BaseModel):
    """A kind of ticket (Billing, Report a member...): who handles it and where it opens."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(
        title="Short name",
        description="A short unique name used in commands, e.g. billing",
        pattern=KEY_PATTERN,
        max_length=20,
    )
    name: str = Field(
        title="Button label", description="What members see on the button or in the menu", min_length=1, max_length=80
    )
    emoji: str | None = Field(default=None, title="Emoji", description="An emoji shown before the label", max_length=32)
    description: str = Field(
        default="", title="Description", description="One line shown in the menu under the label", max_length=100
    )
    support_role_ids: list[SnowflakeId] = Field(
        default_factory=list,
        max_length=10,
        title="Support roles",
        description="Roles that see and answer these tickets",
    )
    mode: Literal["channel", "thread"] = Field(
        default="channel",
        title="Where tickets open",
        description="A private channel for each ticket, or a private thread",
    )
    thread_channel_id: SnowflakeId | None = Field(
        default=None,
        title="Thread channel",
        description="For tickets in threads: the channel that holds them (empty: the panel's channel)",
    )
    parent_id: SnowflakeId | None = Field(
        default=None,
        title="Channel category",
        description="The channel category where new ticket channels go",
        json_schema_extra={"x-picker": "channel"},
    )
    welcome: str = Field(
        default="Thanks for reaching out, {user}! Someone from the team will be with you shortly.",
        title="Welcome message",
        description="Posted first in a new ticket; {user} mentions the member",
        max_length=1000,
    )
    questions: list[Question] = Field(
        default_factory=list,
        max_length=MAX_QUESTIONS,
        title="Questions",
        description="Up to five questions asked in a form before the ticket opens",
    )
    max_open_per_user: int = Field(
        default=1,
        ge=1,
        le=10,
        title="Open tickets per member",
        description="How many tickets of this kind one member may have open at once",
    )


class PanelSettings(BaseModel):
    """A message with buttons (or a menu) members use to open tickets."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(
        title="Short name", description="A short unique name, e.g. support", pattern=KEY_PATTERN, max_length=20
    )
    channel_id: SnowflakeId | None = Field(default=None, title="Channel", description="Where the panel is posted")
    title: str = Field(
        default="Need help?", title="Title", description="The panel's heading", min_length=1, max_length=256
    )
    description: str = Field(
        default="Pick what your request is about to open a private ticket with the team.",
        title="Text",
        description="The panel's text",
        max_length=2000,
    )
    style: Literal["buttons", "menu"] = Field(
        default="buttons", title="Style", description="One button per kind of ticket, or a drop-down menu"
    )
    categories: list[Annotated[str, Field(max_length=20)]] = Field(
        default_factory=list,
        max_length=MAX_CATEGORIES,
        title="Kinds of ticket",
        description="Short names of the kinds of ticket offered; empty offers all of them",
    )
    message_id: SnowflakeId | None = Field(
        default=None, title="Posted message", description="Filled in by the bot when it posts the panel"
    )

    @field_validator("categories")
    @classmethod
    def _short_names(cls, value: list[str]) -> list[str]:
        return [name.strip().lower() for name in value if name.strip()][:MAX_CATEGORIES]


class Tag(BaseModel):
    """A canned answer staff post by name."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        title="Name", description="What staff type to post it, e.g. refund", pattern=KEY_PATTERN, max_length=20
    )
    content: str = Field(title="Answer", description="The text posted", min_length=1, max_length=2000)


class Config(ModuleConfig):
    """Tickets settings of one guild."""

    categories: list[Category] = Field(
        default_factory=list,
        max_length=MAX_CATEGORIES,
        title="Kinds of ticket",
        description="Each kind of ticket: who handles it, where it opens and what is asked",
    )
    panels: list[PanelSettings] = Field(
        default_factory=list, max_length=10, title="Panels", description="Messages members use to open tickets"
    )
    tags: list[Tag] = Field(
        default_factory=list,
        max_length=MAX_TAGS,
        title="Canned answers",
        description="Answers staff post with /ticket tag",
    )
    transcript_channel_id: SnowflakeId | None = Field(
        default=None,
        title="Transcript channel",
        description="Where a copy of every closed ticket is posted",
    )
    dm_transcript: bool = Field(
        default=True,
        title="Send the transcript to the member",
        description="The member who opened a ticket gets its transcript by DM",
    )
    hide_claimed: bool = Field(
        default=False,
        title="Hide claimed tickets",
        description="A claimed ticket is hidden from the rest of the support team",
    )
    ask_rating: bool = Field(
        default=True, title="Ask for a rating", description="On close, the member may rate the help from 1 to 5"
    )
    autoclose_after: str | None = Field(
        default=None,
        max_length=32,
        title="Close inactive tickets after",
        description="Close a ticket nobody wrote in for this long, e.g. 2d; empty never closes",
    )
    autoclose_warning: str | None = Field(
        default="12h",
        max_length=32,
        title="Warn before closing",
        description="How long before an automatic close the ticket is warned, e.g. 12h; empty does not warn",
    )
    delete_after_close: str | None = Field(
        default="1d",
        max_length=32,
        title="Remove closed tickets after",
        description="A closed ticket's channel is removed this long after it closed; empty keeps it",
    )

    @field_validator("autoclose_after", "autoclose_warning", "delete_after_close")
    @classmethod
    def _delays(cls, value: str | None) -> str | None:
        return _duration(value)

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        for label, names in (
            ("kind of ticket", [c.key for c in self.categories]),
            ("panel", [p.key for p in self.panels]),
            ("canned answer", [t.name for t in self.tags]),
        ):
            if len(names) != len(set(names)):
                raise ValueError(f"two of each {label} have the same short name")
        return self

    def category(self, key: str) -> Category | None:
        """The kind of ticket named `key`."""
        return next((c for c in self.categories if c.key == key), None)

    def panel(self, key: str) -> PanelSettings | None:
        """The panel named `key`."""
        return next((p for p in self.panels if p.key == key), None)

    def offered(self, panel: PanelSettings) -> list[Category]:
        """The kinds of ticket a panel offers, in its order (every kind when it names none)."""
        if not panel.categories:
            return list(self.categories)
        return [c for key in panel.categories if (c := self.category(key)) is not None]

    def delay(self, name: Literal["autoclose_after", "autoclose_warning", "delete_after_close"]) -> timedelta | None:
        """One of the delays as a timedelta, or None when off."""
        value = getattr(self, name)
        return parse_duration(value) if value else None
