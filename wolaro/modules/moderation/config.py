"""The moderation module's per-guild settings (validated by pydantic; a bad value is refused, nothing changes)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from wolaro.core import config_ui as ui
from wolaro.core.config_errors import FieldValueError
from wolaro.core.durations import DurationError, DurationProblem, format_duration, parse_duration
from wolaro.core.registry import ModuleConfig
from wolaro.core.snowflake import SnowflakeId
from wolaro.modules.moderation import rules
from wolaro.modules.moderation.rules import Action, Escalation

if TYPE_CHECKING:
    from wolaro.core.config_service import GuildConfig

MODULE = "moderation"

#: Longest duration text accepted ("2w 3d 4h 5m 6s" and the like fit easily).
MAX_DURATION_LENGTH = 32
#: Escalation steps: one per warning count, and nobody needs more than a handful.
MAX_ESCALATION_STEPS = 20


def _duration(value: str | None, maximum: timedelta) -> str | None:
    if value is None:
        return None
    try:
        parse_duration(value, maximum=maximum)
    except DurationError as exc:
        if exc.problem is DurationProblem.TOO_LONG:
            raise FieldValueError(
                None, "This is too long: at most {longest}.", longest=format_duration(maximum)
            ) from None
        raise ValueError("Enter a length such as 10 minutes, 2 hours or 7 days.") from None
    return value.strip()


#: The escalation rules' refusals (plain values, in rules.py) as sentences for people.
_STEP_MESSAGES = {
    "a timeout step needs a duration": "A timeout needs a length.",
    "a timeout lasts at most 28 days": "A timeout lasts at most 28 days.",
    "a temporary ban lasts at most 365 days": "A temporary ban lasts at most 365 days.",
    "a kick step takes no duration": "A kick has no length: leave this empty.",
    "a softban step takes no duration": "A kick has no length: leave this empty.",
}


class EscalationStep(BaseModel):
    """When a member reaches `warns` active warnings, the bot applies `action` (for `duration`, if given)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    warns: int = Field(ge=1, le=100, title="Warnings", description="When a member reaches this many active warnings...")
    action: Literal["timeout", "kick", "softban", "ban"] = Field(
        title="Action",
        description="...the bot does this.",
        json_schema_extra=ui.choices(
            timeout="Time the member out",
            kick="Kick the member",
            softban="Kick and delete their recent messages",
            ban="Ban the member",
        ),
    )
    duration: str | None = Field(
        default=None,
        max_length=MAX_DURATION_LENGTH,
        title="For how long",
        description="Required for a timeout; for a ban, leave empty to ban for good.",
        json_schema_extra=ui.merge(ui.duration(), ui.show_if("action", "timeout", "ban")),
    )

    @field_validator("duration")
    @classmethod
    def _valid_duration(cls, value: str | None) -> str | None:
        return _duration(value, rules.MAX_TEMP_BAN)

    @model_validator(mode="after")
    def _coherent(self) -> EscalationStep:
        try:
            rules.check_escalation_steps([self.as_rule()])
        except ValueError as exc:
            raise FieldValueError("duration", _STEP_MESSAGES.get(str(exc), str(exc))) from None
        return self

    def as_rule(self) -> Escalation:
        """The plain rule the service decides with."""
        duration = parse_duration(self.duration) if self.duration else None
        return Escalation(self.warns, Action(self.action), duration)


class Config(ModuleConfig):
    """Moderation settings of one guild."""

    @classmethod
    def of(cls, guild_config: GuildConfig) -> Config:
        """The guild's moderation settings, from the guild config the caller already holds (`ctx.config`)."""
        return cls.model_validate(guild_config.module_configs.get(MODULE) or {})

    modlog_channel_id: SnowflakeId | None = Field(
        default=None, title="Moderation log channel", description="Every warning, timeout, kick and ban is posted here."
    )
    dm_on_action: bool = Field(
        default=True,
        title="Tell members by private message",
        description="Members get a private message when they are warned, timed out, kicked or banned.",
    )
    warn_expiry: str | None = Field(
        default=None,
        max_length=MAX_DURATION_LENGTH,
        title="Warnings expire after",
        description="Warnings stop counting after this long. Empty: they never expire.",
        json_schema_extra=ui.duration(),
    )
    escalation: list[EscalationStep] = Field(
        default_factory=list,
        max_length=MAX_ESCALATION_STEPS,
        title="Automatic actions",
        description="What the bot does by itself when a member collects warnings.",
    )

    @field_validator("warn_expiry")
    @classmethod
    def _valid_expiry(cls, value: str | None) -> str | None:
        return _duration(value, rules.MAX_WARN_EXPIRY) if value else None

    @field_validator("escalation")
    @classmethod
    def _distinct_steps(cls, steps: list[EscalationStep]) -> list[EscalationStep]:
        seen: set[int] = set()
        for index, step in enumerate(steps):
            if step.warns in seen:
                raise FieldValueError(
                    f"{index}.warns", "Another action already happens at {count} warnings.", count=step.warns
                )
            seen.add(step.warns)
        rules.check_escalation_steps([step.as_rule() for step in steps])
        return sorted(steps, key=lambda step: step.warns)

    def warn_lifetime(self) -> timedelta | None:
        """How long a new warning counts, or None (forever)."""
        return parse_duration(self.warn_expiry) if self.warn_expiry else None

    def escalation_rules(self) -> list[Escalation]:
        """The escalation steps as plain rules."""
        return [step.as_rule() for step in self.escalation]
