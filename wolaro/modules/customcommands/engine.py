"""Running a custom command's template: its variables, the storage filters, and the stored values' writes.

Templates read the server's stored values as `store.<key>` and write with filters that queue the change:
`{{ "visits" | store_set: 3 }}` and `{{ "visits" | store_delete }}` (at most `MAX_WRITES` a run). The writes
are applied after the render through `store.set_value`, whose quota is enforced in SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from liquid.filter import with_context

from wolaro.modules.customcommands.models import KEY_MAX, VALUE_MAX
from wolaro.sdk import TemplateBudget, TemplateError, register_filter, render_template, session_of


def t(message: str) -> str:
    """Mark `message` for the catalog; it is translated where shown."""
    return message


MAX_WRITES = 10
BUDGET = TemplateBudget()
WRITES = "store_writes"
VALUES = "store_values"


@dataclass(frozen=True, slots=True)
class Person:
    """The member who called the command."""

    id: int
    name: str
    display_name: str
    roles: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Place:
    """Where the command was called."""

    guild_id: int
    guild_name: str
    member_count: int
    channel_id: int
    channel_name: str


@dataclass(slots=True)
class Run:
    """What a render produced: the text, and the writes it asked for (key -> value, None to delete)."""

    text: str
    writes: dict[str, str | None] = field(default_factory=dict)


def variables(person: Person, place: Place, args: Sequence[str], values: Mapping[str, str]) -> dict[str, Any]:
    """The template's variables: user, channel, guild, args, store."""
    return {
        "user": {
            "id": str(person.id),
            "name": person.name,
            "display_name": person.display_name,
            "mention": f"<@{person.id}>",
            "roles": list(person.roles),
        },
        "channel": {"id": str(place.channel_id), "name": place.channel_name, "mention": f"<#{place.channel_id}>"},
        "guild": {"id": str(place.guild_id), "name": place.guild_name, "member_count": place.member_count},
        "args": list(args),
        "args_text": " ".join(args),
        "store": dict(values),
    }


def _queue(context: Any, key: object, value: str | None) -> str:
    session = session_of(context)
    writes: dict[str, str | None] = session.extras.setdefault(WRITES, {})
    name = str(key)
    if not name or len(name) > KEY_MAX:
        raise TemplateError(t("A stored value's name has 1 to {count} characters."), count=KEY_MAX)
    if value is not None and len(value) > VALUE_MAX:
        raise TemplateError(t("A stored value has at most {count} characters."), count=VALUE_MAX)
    if name not in writes and len(writes) >= MAX_WRITES:
        raise TemplateError(t("A command may change at most {count} stored values at a time."), count=MAX_WRITES)
    writes[name] = value
    return ""


@with_context
def store_set(key: object, value: object = "", *, context: Any) -> str:
    """`{{ "key" | store_set: value }}`: keep `value` under `key` (written when the command has answered)."""
    return _queue(context, key, "" if value is None else str(value))


@with_context
def store_delete(key: object, *, context: Any) -> str:
    """`{{ "key" | store_delete }}`: forget `key`."""
    return _queue(context, key, None)


register_filter("store_set", store_set)
register_filter("store_delete", store_delete)


def run(response: str, variables: Mapping[str, Any], budget: TemplateBudget = BUDGET) -> Run:
    """Render `response` (blocking; call it in a worker thread). Raises `TemplateError`."""
    extras: dict[str, Any] = {}
    text = render_template(response, variables, budget, extras=extras)
    return Run(text.strip(), dict(extras.get(WRITES, {})))
