"""Change a module's config from what it holds now, under the row lock: safe when two people edit at once.

`GuildConfigService.update_module_config` merges values the caller already computed; an edit that depends on the
current value (add one rule to a dict of rules, undo a change only if nothing changed since) must read and write
in one transaction, or two processes editing together lose one change. `edit_module_config` gives the edit the
value as stored under the lock; the result is validated, written with its audit row and its outbox row, then
published like any config change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from wolaro.core.config_service import ConfigError, GuildConfigService, config_error_from
from wolaro.data import guilds as repo
from wolaro.data import outbox
from wolaro.data.pubsub import CONFIG_UPDATE

#: Receives the module's current config (a copy) and returns the settings to change (key -> new value).
Edit = Callable[[dict[str, Any]], Mapping[str, Any]]


async def edit_module_config(
    service: GuildConfigService,
    guild_id: int,
    module: str,
    edit: Edit,
    *,
    actor_id: int | None,
    action: str = "module.config",
) -> dict[str, Any]:
    """Apply `edit` to a module's config atomically; the new config. A ConfigError from `edit` writes nothing."""
    spec = service.spec(module)
    async with service.db.transaction() as session:
        row = await repo.lock_module(session, guild_id, module, enabled=spec.enabled_by_default)
        before = dict(service._effective_config(spec, row.config or {}))
        changes = dict(edit(dict(before)))
        unknown = [key for key in changes if key not in spec.config.model_fields]
        if unknown:
            raise ConfigError(unknown[0], f"{module} has no setting {unknown[0]!r}")
        try:
            validated = spec.config.model_validate({**before, **changes})
        except ValidationError as exc:
            raise config_error_from(exc, spec.config) from None
        after = validated.model_dump(mode="json")
        row.config = after
        repo.add_audit(
            session,
            guild_id=guild_id,
            actor_id=actor_id,
            action=action,
            target=module,
            before={k: before.get(k) for k in changes},
            after={k: after[k] for k in changes},
        )
        payload = {"module": module, "config": after, "actor_id": str(actor_id) if actor_id else None}
        entry = await outbox.record(session, CONFIG_UPDATE, guild_id, payload)  # delivered even if Redis is away
    await service._changed(CONFIG_UPDATE, guild_id, payload, outbox_id=entry)
    return after
