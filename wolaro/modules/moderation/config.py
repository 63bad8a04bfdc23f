"""The moderation module's per-guild settings (validated by pydantic; a bad value is refused, nothing changes)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
            raise ValueError(f"at most {format_duration(maximum)}") from None
        raise ValueError("a duration like 10m, 2h30m, 1d or 1w (units s, m, h, d, w)") from None
    return value.strip()


class EscalationStep(BaseModel):
    """When a member reaches `warns` active warnings, the bot applies `action` (for `duration`, if given)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    warns: int = Field(ge=1, le=100, description="Active warnings that trigger this step")
    action: Literal["timeout", "kick", "softban", "ban"] = Field(description="What the bot does")
    duration: str | None = Field(
        default=None,
        max_length=MAX_DURATION_LENGTH,
        description="For timeout (required) and ban (temporary), e.g. 1h",
    )

    @field_validator("duration")
    @classmethod
    def _valid_duration(cls, value: str | None) -> str | None:
        return _duration(value, rules.MAX_TEMP_BAN)

    @model_validator(mode="after")
    def _coherent(self) -> EscalationStep:
        rules.check_escalation_steps([self.as_rule()])
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

    modlog_channel_id: SnowflakeId | None = Field(default=None, description="Channel where every case is posted")
    dm_on_action: bool = Field(default=True, description="DM members when they are warned, timed out, kicked...")
    warn_expiry: str | None = Field(
        default=None,
        max_length=MAX_DURATION_LENGTH,
        description="Warnings stop counting after this long (e.g. 30d); empty = never",
    )
    escalation: list[EscalationStep] = Field(
        default_factory=list,
        max_length=MAX_ESCALATION_STEPS,
        description='Automatic actions at warning counts, e.g. [{"warns": 3, "action": "timeout", "duration": "1h"}]',
    )

    @field_validator("warn_expiry")
    @classmethod
    def _valid_expiry(cls, value: str | None) -> str | None:
        return _duration(value, rules.MAX_WARN_EXPIRY) if value else None

    @field_validator("escalation")
    @classmethod
    def _distinct_steps(cls, steps: list[EscalationStep]) -> list[EscalationStep]:
        rules.check_escalation_steps([step.as_rule() for step in steps])
        return sorted(steps, key=lambda step: step.warns)

    def warn_lifetime(self) -> timedelta | None:
        """How long a new warning counts, or None (forever)."""
        return parse_duration(self.warn_expiry) if self.warn_expiry else None

    def escalation_rules(self) -> list[Escalation]:
        """The escalation steps as plain rules."""
        return [step.as_rule() for step in self.escalation]
