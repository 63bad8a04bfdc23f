"""Slash-command options: their types, and turning ``{"name": value}`` into options plus ``resolved`` data.

Values are checked as the Discord client would: types, lengths, bounds, choices, channel types.
"""

from __future__ import annotations

from typing import Any

from wolaro.sandbox import payloads
from wolaro.sandbox import permissions as perm
from wolaro.sandbox.errors import SandboxError
from wolaro.sandbox.snowflake import SnowflakeFactory
from wolaro.sandbox.state import Guild, SandboxState

# Option types
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11


class OptionBuilder:
    """Turns ``{"name": value}`` into interaction options plus their ``resolved`` data."""

    def __init__(self, state: SandboxState, guild: Guild | None, ids: SnowflakeFactory, base_url: str) -> None:
        self.state = state
        self.guild = guild
        self.ids = ids
        self.base_url = base_url
        self.resolved: dict[str, dict[str, Any]] = {}

    def _add_user(self, user_id: int) -> None:
        user = self.state.users.get(user_id)
        if user is None:
            raise SandboxError(f"unknown user {user_id}")
        self.resolved.setdefault("users", {})[str(user_id)] = payloads.user(user)
        if self.guild is not None and user_id in self.guild.members:
            m = self.guild.members[user_id]
            data = payloads.member(self.state, m, with_user=False)
            data["permissions"] = str(perm.base_permissions(self.guild, m))
            self.resolved.setdefault("members", {})[str(user_id)] = data

    def _add_role(self, role_id: int) -> None:
        if self.guild is None or role_id not in self.guild.roles:
            raise SandboxError(f"unknown role {role_id}")
        self.resolved.setdefault("roles", {})[str(role_id)] = payloads.role(self.guild.roles[role_id])

    def value(self, spec: dict[str, Any], raw: Any) -> Any:
        """Validate ``raw`` against the option ``spec`` and return the wire value."""
        kind = spec["type"]
        if kind in (USER, ROLE, MENTIONABLE, CHANNEL) and not str(raw).isdigit():
            raise SandboxError(f"option {spec['name']}: an id expected, got {raw!r}")
        name = spec["name"]
        if kind == STRING:
            value: Any = str(raw)
            if "min_length" in spec and len(value) < spec["min_length"]:
                raise SandboxError(f"option {name}: shorter than {spec['min_length']}")
            if "max_length" in spec and len(value) > spec["max_length"]:
                raise SandboxError(f"option {name}: longer than {spec['max_length']}")
        elif kind == INTEGER:
            if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).lstrip("-").isdigit():
                raise SandboxError(f"option {name}: integer expected, got {raw!r}")
            value = int(raw)
        elif kind == NUMBER:
            try:
                value = float(raw)
            except (TypeError, ValueError):
                raise SandboxError(f"option {name}: number expected, got {raw!r}") from None
        elif kind == BOOLEAN:
            if not isinstance(raw, bool):
                raise SandboxError(f"option {name}: boolean expected, got {raw!r}")
            value = raw
        elif kind == USER:
            self._add_user(int(raw))
            value = str(int(raw))
        elif kind == ROLE:
            self._add_role(int(raw))
            value = str(int(raw))
        elif kind == MENTIONABLE:
            rid = int(raw)
            if self.guild is not None and rid in self.guild.roles:
                self._add_role(rid)
            else:
                self._add_user(rid)
            value = str(rid)
        elif kind == CHANNEL:
            value = self._channel(spec, raw)
        elif kind == ATTACHMENT:
            value = self._attachment(raw)
        else:
            raise SandboxError(f"option {name}: unsupported option type {kind}")
        _check_bounds(spec, value)
        return value

    def _channel(self, spec: dict[str, Any], raw: Any) -> str:
        """A channel option: a channel of this guild, of an allowed type, resolved with the bot's permissions."""
        name = spec["name"]
        channel = self.state.channels.get(int(raw))
        if channel is None or (self.guild is not None and channel.guild_id != self.guild.id):
            raise SandboxError(f"option {name}: unknown channel {raw}")
        allowed = spec.get("channel_types")
        if allowed and channel.type not in allowed:
            raise SandboxError(f"option {name}: channel type {channel.type} not in {allowed}")
        perms = 0
        if self.guild is not None:
            perms = perm.channel_permissions(self.guild, channel, self.state.bot_member(self.guild))
        data = payloads.interaction_channel(self.state, channel, perms)
        self.resolved.setdefault("channels", {})[str(channel.id)] = data
        return str(channel.id)

    def _attachment(self, raw: Any) -> str:
        """An attachment option: ``filename`` or ``(filename, bytes)``, stored and resolved."""
        filename, content = raw if isinstance(raw, tuple) else (str(raw), b"sandbox attachment")
        att_id = self.ids.now()
        self.state.attachments[att_id] = content
        att = payloads.attachment(att_id, 0, filename, len(content), self.base_url)
        att["ephemeral"] = True
        self.resolved.setdefault("attachments", {})[str(att_id)] = att
        return str(att_id)

    def options(
        self, specs: list[dict[str, Any]], given: dict[str, Any], focused: str | None = None
    ) -> list[dict[str, Any]]:
        """The option list in the command's declared order.

        With ``focused`` (autocomplete), that option carries the text typed so far, unvalidated, and
        required options may still be missing.
        """
        known = {s["name"] for s in specs}
        extra = set(given) - known
        if extra:
            raise SandboxError(f"unknown option(s) {sorted(extra)}; the command declares {sorted(known)}")
        if focused is not None:
            spec = next((s for s in specs if s["name"] == focused), None)
            if spec is None or not spec.get("autocomplete"):
                raise SandboxError(f"option {focused!r} does not autocomplete")
        out = []
        for spec in specs:
            name = spec["name"]
            if name == focused:
                out.append({"name": name, "type": spec["type"], "value": str(given.get(name) or ""), "focused": True})
                continue
            if name not in given or given[name] is None:
                if spec.get("required") and focused is None:
                    raise SandboxError(f"option {name} is required")
                continue
            out.append({"name": name, "type": spec["type"], "value": self.value(spec, given[name])})
        return out


def _check_bounds(spec: dict[str, Any], value: Any) -> None:
    """A number's ``min_value``/``max_value`` and any option's ``choices``."""
    name = spec["name"]
    if spec["type"] in (INTEGER, NUMBER):
        if "min_value" in spec and value < spec["min_value"]:
            raise SandboxError(f"option {name}: below {spec['min_value']}")
        if "max_value" in spec and value > spec["max_value"]:
            raise SandboxError(f"option {name}: above {spec['max_value']}")
    choices = spec.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise SandboxError(f"option {name}: {value!r} is not one of the choices {[c['value'] for c in choices]}")
