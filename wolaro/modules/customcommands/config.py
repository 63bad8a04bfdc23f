"""Custom commands' settings: the server's commands (each bounded) and its key-value quota."""

from __future__ import annotations

from typing import Annotated, Literal, Self

import regex
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from wolaro.modules.customcommands.models import HARD_MAX_KEYS
from wolaro.sdk import ModuleConfig, SnowflakeId, TemplateError, ui
from wolaro.sdk import compile_template as _compile

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
MAX_COMMANDS = 50
BAD_TEMPLATE = "The answer is not a valid template: Try a template shows why."
RESPONSE_MAX = 4000
Trigger = Literal["command", "exact", "startswith", "contains", "regex"]
TRIGGERS: tuple[str, ...] = ("command", "exact", "startswith", "contains", "regex")


class CustomCommand(BaseModel):
    """One custom command of a server."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1,
        max_length=32,
        pattern=NAME_PATTERN,
        title="Name",
        description="What members type after the prefix: lowercase letters, digits, - and _ (at most 32).",
    )
    aliases: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list,
        max_length=5,
        title="Other names",
        description="Up to 5 other names that run the same command.",
    )
    trigger: Trigger = Field(
        default="command",
        title="When it answers",
        description="When someone types its name after the prefix, or when a message is, starts with, contains or "
        "matches the text below.",
        json_schema_extra=ui.choices(
            command="Its name after the prefix",
            exact="A message that is exactly the text",
            startswith="A message starting with the text",
            contains="A message containing the text",
            regex="A message matching a regular expression",
        ),
    )
    pattern: str = Field(
        default="",
        max_length=200,
        title="Text or pattern",
        description="The text (or regular expression) that makes it answer; not needed when it answers to its name.",
    )
    response: str = Field(
        min_length=1,
        max_length=RESPONSE_MAX,
        title="Answer",
        description="What the bot answers: text with {{ user.mention }}, {{ args[0] }}... (Liquid templates).",
    )
    embed: bool = Field(default=False, title="As an embed", description="Answer in a card instead of plain text.")
    embed_title: str = Field(default="", max_length=256, title="Card title", description="The card's title.")
    cooldown_seconds: int = Field(
        default=0, ge=0, le=86400, title="Cooldown", description="Seconds a member waits before using it again."
    )
    allowed_roles: list[SnowflakeId] = Field(
        default_factory=list,
        max_length=25,
        title="Roles allowed",
        description="Only members with one of these roles may use it (empty: everyone).",
        json_schema_extra={"x-picker": "role"},
    )
    allowed_channels: list[SnowflakeId] = Field(
        default_factory=list,
        max_length=25,
        title="Channels allowed",
        description="It answers only in these channels (empty: everywhere).",
        json_schema_extra={"x-picker": "channel"},
    )

    @field_validator("name", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, value: list[str]) -> list[str]:
        cleaned = [alias.strip().lower() for alias in value]
        if any(not regex.fullmatch(NAME_PATTERN, alias) for alias in cleaned):
            raise ValueError("Other names use lowercase letters, digits, - and _ (at most 32).")
        return list(dict.fromkeys(cleaned))

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if self.trigger != "command" and not self.pattern.strip():
            raise ValueError("This kind of command needs a text or pattern to answer to.")
        if self.trigger == "regex":
            try:
                regex.compile(self.pattern)
            except (regex.error, RecursionError, OverflowError):
                raise ValueError("The pattern is not a valid regular expression.") from None
        try:
            _compile(self.response)
        except TemplateError:
            raise ValueError(BAD_TEMPLATE) from None
        return self

    def names(self) -> list[str]:
        """Its name and aliases."""
        return [self.name, *self.aliases]


class Config(ModuleConfig):
    """A server's custom commands."""

    commands: list[CustomCommand] = Field(
        default_factory=list,
        max_length=MAX_COMMANDS,
        title="Commands",
        description=f"The server's custom commands (at most {MAX_COMMANDS}).",
    )
    storage_keys: int = Field(
        default=100,
        ge=0,
        le=HARD_MAX_KEYS,
        title="Stored values",
        description="How many values the commands may keep in the server's storage.",
    )

    @model_validator(mode="after")
    def _unique(self) -> Self:
        seen: set[str] = set()
        for command in self.commands:
            for name in command.names():
                if name in seen:
                    raise ValueError("Two commands have the same name or other name.")
                seen.add(name)
        taken = sorted(seen & _builtin_names()) if seen else []
        if taken:
            raise ValueError("A command has the name of one of the bot's own commands: choose another name.")
        return self


def _builtin_names() -> set[str]:
    """The installed modules' command names (read when a config with commands is checked, e.g. from the dashboard)."""
    from wolaro.core.registry import discover_specs
    from wolaro.modules.customcommands.matching import builtin_names

    return builtin_names(discover_specs())
