"""What a module stores about a person, and how it is handed over or erased (`/privacy export`, `/privacy delete`).

Every module that keeps per-user rows declares a `UserData` implementation in its spec (`ModuleSpec.privacy`);
the platform calls every one of them, so a person's export is complete and their erasure leaves nothing behind.
The tables of the platform itself (audit log, scheduled jobs, dashboard sessions, the bot's guild list) are
covered by `wolaro.core.privacy_core.PLATFORM`.

Each implementation also says which columns hold a person's id (`stores`): the coverage test
(`tests/core/test_privacy_coverage.py`) walks every mapped table and fails for a column that looks like a person's
id and that no hook declares, so a new module cannot forget one. A column that only looks like one (a message's
id, a channel's) is declared in the module's `ModuleSpec.not_personal`, with the reason (`not_personal_columns`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from wolaro.data.database import Database

if TYPE_CHECKING:
    from wolaro.core.registry import ModuleSpec

ERASED_USER_ID = 0
"""What replaces a person's id in a record the guild keeps (a moderation case): "someone whose data was erased"."""

PLATFORM = "platform"
"""The export section of the platform's own tables (audit log, scheduled jobs, dashboard sessions)."""

EXPORT_FORMAT = 1

ERASED_CHANNEL = "privacy.erased"
"""Pub/sub channel announcing an erasure (`{"user_id": "<id>", "guild_id": "<id>" or None}`) to every process, so
each drops what it still holds in memory about the person (counters not yet written): `announce_erasure`."""


class UserData(Protocol):
    """A module's privacy hooks (Red's `red_delete_data_for_user`, for every feature).

    `guild_id` None means every guild (a request made in DMs or from the dashboard's account page).
    A hook may also have `kept: Mapping[str, str]`, the columns of `stores` whose rows an erasure keeps on purpose,
    each with the reason (`kept_columns`).
    """

    @property
    def stores(self) -> Mapping[str, str]:
        """`"table.column"` -> what that column keeps about a person, in plain English (shown in the export)."""
        ...

    async def export_user_data(self, db: Database, user_id: int, guild_id: int | None) -> dict[str, Any]:
        """Everything this module stores about `user_id`, as JSON-ready values (empty when nothing)."""
        ...

    async def delete_user_data(self, db: Database, user_id: int, guild_id: int | None) -> int:
        """Erase what this module stores about `user_id`; return how many records were removed or anonymised."""
        ...


def kept_columns(hooks: Mapping[str, UserData]) -> dict[str, str]:
    """`"table.column"` -> why its rows stay after an erasure: a hook's optional `kept` mapping.

    For a record of the person's own choice that erasing would undo (an opt-out: erased, they would be counted
    again). A kept column must also be in the hook's `stores` (it is exported); the coverage test checks both.
    """
    found: dict[str, str] = {}
    for hook in hooks.values():
        found.update(getattr(hook, "kept", {}))
    return found


async def announce_erasure(pubsub: Any, user_id: int, guild_id: int | None) -> bool:
    """Tell every process (this one included) that a person's data was erased (`ERASED_CHANNEL`)."""
    message = {"user_id": str(user_id), "guild_id": None if guild_id is None else str(guild_id)}
    return bool(await pubsub.publish(ERASED_CHANNEL, message))


def privacy_hooks(specs: Iterable[ModuleSpec]) -> dict[str, UserData]:
    """Every module's hooks by module name, then the platform's (last: it sweeps what modules leave generic)."""
    from wolaro.core.privacy_core import PLATFORM_DATA

    hooks: dict[str, UserData] = {spec.name: spec.privacy for spec in specs if spec.privacy is not None}
    hooks[PLATFORM] = PLATFORM_DATA
    return hooks


def declared_columns(hooks: Mapping[str, UserData]) -> dict[str, list[str]]:
    """`"table.column"` -> the hooks that declare it."""
    found: dict[str, list[str]] = {}
    for name, hook in hooks.items():
        for column in hook.stores:
            found.setdefault(column, []).append(name)
    return found


def not_personal_problems(spec: ModuleSpec) -> list[str]:
    """What is wrong with a module's `not_personal`: each key names a column of its own tables, with a reason.

    A module may vouch only for its own tables (never the platform's or another module's), and a column its
    privacy hooks declare as a person's cannot also be "not personal".
    """
    own = {getattr(model, "__tablename__", None): model for model in spec.models}
    stored = set(spec.privacy.stores) if spec.privacy is not None else set()
    problems: list[str] = []
    for key, reason in spec.not_personal.items():
        table, _, column = key.partition(".")
        model = own.get(table)
        if model is None or not column:
            problems.append(f"{spec.name}: not_personal {key!r} is not 'table.column' of one of its own models")
        elif column not in model.__table__.columns:
            problems.append(f"{spec.name}: not_personal {key!r}: table {table!r} has no column {column!r}")
        if not isinstance(reason, str) or not reason.strip():
            problems.append(f"{spec.name}: not_personal {key!r} needs a reason (why it never names a person)")
        if key in stored:
            problems.append(f"{spec.name}: {key!r} is both declared personal (privacy.stores) and not_personal")
    return problems


def not_personal_columns(specs: Iterable[ModuleSpec]) -> dict[str, str]:
    """`"table.column"` -> why it never holds a person's id: every module's `not_personal`, then the platform's.

    Raises `ValueError` listing every problem (see `not_personal_problems`) rather than trust a bad declaration.
    """
    from wolaro.core.privacy_core import PLATFORM_NOT_PERSONAL

    found: dict[str, str] = {}
    problems: list[str] = []
    for spec in specs:
        problems.extend(not_personal_problems(spec))
        found.update(spec.not_personal)
    if problems:
        raise ValueError("; ".join(problems))
    found.update(PLATFORM_NOT_PERSONAL)
    return found


async def export_user(
    db: Database, hooks: Mapping[str, UserData], user_id: int, guild_id: int | None, *, now: datetime | None = None
) -> dict[str, Any]:
    """The whole export of one person: a header (who, where, when, what each module keeps) and each module's data.

    Modules that hold nothing about the person are left out of `data`; `stores` lists what every module *could*
    keep, so the reader knows what was looked at.
    """
    data: dict[str, Any] = {}
    for name, hook in hooks.items():
        exported = await hook.export_user_data(db, user_id, guild_id)
        if exported:
            data[name] = exported
    return {
        "format": EXPORT_FORMAT,
        "user_id": str(user_id),
        "scope": "everywhere" if guild_id is None else "server",
        "guild_id": None if guild_id is None else str(guild_id),
        "generated_at": (now or datetime.now(UTC)).isoformat(),
        "stores": {name: dict(hook.stores) for name, hook in hooks.items()},
        "data": data,
    }


async def delete_user(
    db: Database, hooks: Mapping[str, UserData], user_id: int, guild_id: int | None
) -> dict[str, int]:
    """Run every hook's erasure in order; how many records each removed or anonymised (zeros left out)."""
    counts: dict[str, int] = {}
    for name, hook in hooks.items():
        count = await hook.delete_user_data(db, user_id, guild_id)
        if count:
            counts[name] = count
    return counts


def payload_user(payload: Any) -> int | None:
    """The person a scheduled job's payload is about (the `user_id` key, by convention), if any."""
    if not isinstance(payload, Mapping):
        return None
    raw = payload.get("user_id")
    try:
        return int(raw) if raw is not None and not isinstance(raw, bool) else None
    except (TypeError, ValueError):
        return None


def mentions(value: Any, user_id: int) -> bool:
    """Whether a JSON document names `user_id` anywhere (as a number or as a string of it)."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int):
        return value == user_id
    if isinstance(value, str):
        return value == str(user_id)
    if isinstance(value, Mapping):
        return any(mentions(v, user_id) for v in value.values())
    if isinstance(value, list | tuple):
        return any(mentions(v, user_id) for v in value)
    return False


def scrub_text(text: str | None, user_id: int) -> str | None:
    """`text` with every occurrence of `user_id` (in a mention `<@id>` or bare) replaced by `ERASED_USER_ID`."""
    if not text or str(user_id) not in text:
        return text
    return re.sub(rf"(?<!\d){user_id}(?!\d)", str(ERASED_USER_ID), text)


def scrub(value: Any, user_id: int) -> Any:
    """A copy of a JSON document with every mention of `user_id` replaced by `ERASED_USER_ID` (same type)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return ERASED_USER_ID if value == user_id else value
    if isinstance(value, str):
        return str(ERASED_USER_ID) if value == str(user_id) else value
    if isinstance(value, Mapping):
        return {k: scrub(v, user_id) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, user_id) for v in value]
    return value
