"""The stored rules: one `CommandRule` per command, command group or module (`module:<name>`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from wolaro.sdk import CommandRule, ModuleConfig
from wolaro.sdk import command_access as access

RuleKey = Annotated[str, StringConstraints(min_length=1, max_length=access.RULE_KEY_MAX)]


class Config(ModuleConfig):
    """Command permissions of a server (edited on the dashboard's permissions page or with /permissions)."""

    rules: dict[RuleKey, CommandRule] = Field(
        default_factory=dict,
        max_length=access.MAX_RULES,
        title="Command rules",
        description="Which commands are switched off, and who may use them where.",
        json_schema_extra={"x-hidden": True},
    )
