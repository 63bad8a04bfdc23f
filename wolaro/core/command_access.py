"""Per-server command permissions: switch a command (or a whole module) off, allow or deny it by role and channel.

The rules are one module's config (`permissions`, stored, audited and delivered to every process like any other
config); this file holds their shape and the decision, as plain values, so the bot's one command gate
(`command_gate.passes`) applies them to prefix and slash commands alike and the tests need no Discord.

A rule applies to a command (by its full name, `config set`), to its group (`config`, which covers its
subcommands) and to a module (`module:moderation`). The most specific rule is read first; the first refusal wins.
Server managers (Manage Server) are never refused, so a server cannot lock itself out of its own settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from wolaro.core.errors import UserFacingError
from wolaro.core.permissions import can_manage_guild
from wolaro.core.snowflake import SnowflakeId

if TYPE_CHECKING:
    from wolaro.core.context import WolaroContext

MODULE_PREFIX = "module:"
MAX_RULES = 300
MAX_IDS = 50
RULE_KEY_MAX = 80
#: Modules whose commands no rule can restrict: the settings that undo a mistake must stay reachable.
UNRESTRICTABLE_MODULES = frozenset({"core", "permissions", "admin"})


class CommandRule(BaseModel):
    """Who may run a command (or every command of a module), and where."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        default=True,
        title="Switched on",
        description="Switch off to stop everyone except server managers from using it here.",
    )
    allowed_roles: list[SnowflakeId] = Field(
        default_factory=list,
        max_length=MAX_IDS,
        json_schema_extra={"x-picker": "role"},
        title="Only these roles",
        description="If you pick roles, only members with one of them can use it. Leave empty for everyone.",
    )
    denied_roles: list[SnowflakeId] = Field(
        default_factory=list,
        max_length=MAX_IDS,
        json_schema_extra={"x-picker": "role"},
        title="Never these roles",
        description="Members with one of these roles cannot use it.",
    )
    allowed_channels: list[SnowflakeId] = Field(
        default_factory=list,
        max_length=MAX_IDS,
        json_schema_extra={"x-picker": "channel"},
        title="Only in these channels",
        description="If you pick channels, it works only there. Leave empty for every channel.",
    )
    denied_channels: list[SnowflakeId] = Field(
        default_factory=list,
        max_length=MAX_IDS,
        json_schema_extra={"x-picker": "channel"},
        title="Never in these channels",
        description="It does not work in these channels.",
    )

    def is_default(self) -> bool:
        """Whether the rule restricts nothing (then it need not be stored)."""
        return self == CommandRule()


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a command is refused: an English msgid and its fields (mentions render in the member's client)."""

    msgid: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Invocation:
    """Who runs which command where, as plain values."""

    module: str
    command: str
    """The command's full name (`config set`)."""
    role_ids: frozenset[int]
    channel_ids: tuple[int, ...]
    """The channel, then its parent (a thread's channel, or the channel's category)."""


def module_key(module: str) -> str:
    """The rule key of a whole module."""
    return f"{MODULE_PREFIX}{module}"


def rule_keys(invocation: Invocation) -> list[str]:
    """The rules that apply, most specific first: the command, its parent groups, its module."""
    parts = invocation.command.split()
    keys = [" ".join(parts[:end]) for end in range(len(parts), 0, -1)]
    return [*keys, module_key(invocation.module)]


def refusal_for(rules: Mapping[str, Any], invocation: Invocation) -> Refusal | None:
    """The first refusal among the rules that apply to `invocation`, or None when it may run."""
    if invocation.module in UNRESTRICTABLE_MODULES:
        return None
    for key in rule_keys(invocation):
        raw = rules.get(key)
        if not raw:
            continue
        rule = raw if isinstance(raw, CommandRule) else CommandRule.model_validate(raw)
        refusal = _check(rule, invocation, key)
        if refusal is not None:
            return refusal
    return None


def _label(key: str) -> str:
    return key.removeprefix(MODULE_PREFIX)


def _mentions(ids: Iterable[int], sigil: str) -> str:
    return ", ".join(f"<{sigil}{value}>" for value in ids)


def _check(rule: CommandRule, invocation: Invocation, key: str) -> Refusal | None:
    name = _label(key)
    module_wide = key.startswith(MODULE_PREFIX)
    if not rule.enabled:
        if module_wide:
            return Refusal("The {module} commands are switched off in this server.", {"module": name})
        return Refusal("The command `{command}` is switched off in this server.", {"command": name})
    channels = set(invocation.channel_ids)
    if channels & set(rule.denied_channels):
        return Refusal("`{command}` cannot be used in this channel.", {"command": invocation.command})
    if rule.allowed_channels and not channels & set(rule.allowed_channels):
        return Refusal(
            "`{command}` can only be used in {channels}.",
            {"command": invocation.command, "channels": _mentions(rule.allowed_channels, "#")},
        )
    denied = [role for role in rule.denied_roles if role in invocation.role_ids]
    if denied:
        return Refusal(
            "Members with the role {role} cannot use `{command}` here.",
            {"command": invocation.command, "role": _mentions(denied[:1], "@&")},
        )
    if rule.allowed_roles and not invocation.role_ids & set(rule.allowed_roles):
        return Refusal(
            "Only members with one of these roles can use `{command}`: {roles}.",
            {"command": invocation.command, "roles": _mentions(rule.allowed_roles, "@&")},
        )
    return None


def with_rule(rules: Mapping[str, Any], key: str, rule: CommandRule) -> dict[str, Any]:
    """The rules with `key` set to `rule` (removed when it restricts nothing)."""
    updated = {k: v for k, v in rules.items() if k != key}
    if not rule.is_default():
        updated[key] = rule.model_dump(mode="json")
    return updated


def channel_chain(channel: Any) -> tuple[int, ...]:
    """A channel's id, then its parent's (thread -> channel) and its category's, for matching channel rules."""
    ids: list[int] = []
    current = channel
    for _ in range(3):
        if current is None or getattr(current, "id", None) is None:
            break
        ids.append(int(current.id))
        parent_id = getattr(current, "parent_id", None) or getattr(current, "category_id", None)
        current = getattr(current, "parent", None) or getattr(current, "category", None)
        if current is None and parent_id:
            ids.append(int(parent_id))
            break
    return tuple(dict.fromkeys(ids))


def role_ids_of(member: Any) -> frozenset[int]:
    """The ids of a member's roles (none for a user outside a server)."""
    roles: Sequence[Any] = getattr(member, "roles", ()) or ()
    return frozenset(int(role.id) for role in roles)


RULES_MODULE = "permissions"
"""The module whose config holds the rules (`rules`: key -> `CommandRule`)."""


def stored_rules(module_configs: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any]:
    """The server's stored rules (key -> rule), empty when it has none."""
    return (module_configs.get(RULES_MODULE) or {}).get("rules") or {}


def enforce(ctx: WolaroContext, module_configs: Mapping[str, Mapping[str, Any]], module: str) -> None:
    """Raise a `UserFacingError` (an ephemeral reply) when the server's rules refuse this command here.

    Most servers have no rule, and then nothing about the member (roles, permissions) or the channel is read.
    """
    if module in UNRESTRICTABLE_MODULES or ctx.command is None or ctx.guild is None:
        return
    rules = stored_rules(module_configs)
    if not rules or can_manage_guild(ctx.author, ctx.guild):
        return
    invocation = Invocation(
        module=module,
        command=ctx.command.qualified_name,
        role_ids=role_ids_of(ctx.author),
        channel_ids=channel_chain(ctx.channel),
    )
    refusal = refusal_for(rules, invocation)
    if refusal is not None:
        raise UserFacingError(refusal.msgid, **refusal.fields)
