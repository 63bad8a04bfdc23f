"""The one way to read and change a guild's configuration.

Reads are cache-aside in two levels: a process-local dict (L1, what the hot path touches) and the shared cache
(L2, Redis when configured), then the database. Writes validate, go to the database first (with their audit row in
the same transaction), drop both cache levels, then publish so every other process drops its L1 too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from wolaro.core.config_errors import FieldProblem, problems_from
from wolaro.core.config_outbox import L2_PREFIX, mark_published, record_alone
from wolaro.core.registry import ModuleConfig, ModuleSpec, requirement_problem
from wolaro.data import guilds as repo
from wolaro.data import outbox
from wolaro.data.cache import Cache
from wolaro.data.database import Database
from wolaro.data.pubsub import CONFIG_UPDATE, GUILD_RELOAD, MODULE_TOGGLE, PubSub
from wolaro.logging import get_logger

log = get_logger(__name__)
ConfigT = TypeVar("ConfigT", bound=ModuleConfig)

PREFIX_MAX_LENGTH = 16
SUPPORTED_LANGUAGES = ("en", "fr")


class ConfigError(ValueError):
    """A refused change, naming the field at fault (shown to users, sent as 422 by the API)."""

    def __init__(self, field: str, message: str, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        #: Every refused field (a form shows each at its own place); one when only `field` was named.
        self.problems = problems or [FieldProblem(field, message)]


@dataclass(frozen=True, slots=True)
class GuildConfig:
    """A guild's whole configuration at one moment: immutable, so it is safe to share from the cache."""

    guild_id: int
    prefix: str = "!"
    language: str = "en"
    blacklisted: bool = False
    settings: Mapping[str, Any] = field(default_factory=dict)
    enabled_modules: frozenset[str] = frozenset()
    module_configs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def is_enabled(self, module: str) -> bool:
        """Whether `module` runs in this guild."""
        return module in self.enabled_modules

    def to_json(self) -> bytes:
        """The form stored in the shared cache."""
        return orjson.dumps(
            {
                "guild_id": self.guild_id,
                "prefix": self.prefix,
                "language": self.language,
                "blacklisted": self.blacklisted,
                "settings": self.settings,
                "enabled_modules": sorted(self.enabled_modules),
                "module_configs": self.module_configs,
            }
        )

    @classmethod
    def from_json(cls, raw: bytes) -> GuildConfig:
        """Inverse of `to_json`."""
        data = orjson.loads(raw)
        data["enabled_modules"] = frozenset(data["enabled_modules"])
        return cls(**data)


Listener = Callable[[int | None], Awaitable[None]]


class _Load(asyncio.Event):
    """One guild's load in progress: readers that miss L1 meanwhile wait for its outcome."""

    def __init__(self) -> None:
        super().__init__()
        self.result: GuildConfig | None = None
        self.error: BaseException | None = None


class GuildConfigService:
    """Cache-aside guild configuration kept true across processes by pub/sub."""

    def __init__(
        self,
        db: Database,
        cache: Cache,
        pubsub: PubSub,
        specs: Mapping[str, ModuleSpec],
        *,
        ttl: float = 3600.0,
        local_max: int = 100_000,
    ) -> None:
        self.db = db
        self.cache = cache
        self.pubsub = pubsub
        self.specs = dict(specs)
        self.ttl = ttl
        self.local_max = local_max
        self._local: dict[int, tuple[float, GuildConfig]] = {}
        self._loading: dict[int, _Load] = {}
        self._defaults: dict[ModuleSpec, dict[str, Any]] = {}
        self._generation: dict[int, int] = {}
        self._invalidation_listeners: list[Listener] = []
        self.local_hits = 0
        self.local_misses = 0

    # ----------------------------------------------------------------- wiring
    def attach(self) -> None:
        """Subscribe to the change channels and to backend recoveries (call once per process)."""
        for channel in (CONFIG_UPDATE, MODULE_TOGGLE, GUILD_RELOAD):
            self.pubsub.subscribe(channel, self._on_change_message)
        self.pubsub.add_reconnect_listener(self._forget_everything)
        add_recovery = getattr(self.cache, "add_recovery_listener", None)
        if add_recovery is not None:
            add_recovery(self._on_cache_recovered)

    def add_invalidation_listener(self, listener: Listener) -> None:
        """Be told (with the guild id, or None for all) whenever this process drops cached config."""
        self._invalidation_listeners.append(listener)

    async def _on_change_message(self, channel: str, message: dict[str, Any]) -> None:
        guild_id = message.get("guild_id")
        await self.drop_local(int(guild_id) if guild_id is not None else None)

    async def _forget_everything(self) -> None:
        """Invalidations may have been missed while the backend was away: drop all local entries."""
        await self.drop_local(None)

    async def _on_cache_recovered(self) -> None:
        """Redis is back; entries it holds may predate writes made during the outage."""
        await self.cache.delete_prefix(L2_PREFIX)
        await self.drop_local(None)

    async def drop_local(self, guild_id: int | None) -> None:
        """Forget this process's copy of one guild (or all), so the next read reloads it."""
        if guild_id is None:
            self._local.clear()
            for key in list(self._generation):
                self._generation[key] += 1
            self._generation[-1] = self._generation.get(-1, 0) + 1
        else:
            self._local.pop(guild_id, None)
            self._generation[guild_id] = self._generation.get(guild_id, 0) + 1
        for listener in self._invalidation_listeners:
            try:
                await listener(guild_id)
            except Exception:
                log.exception("invalidation listener failed", guild_id=guild_id)

    # ------------------------------------------------------------------ reads
    def peek(self, guild_id: int) -> GuildConfig | None:
        """The locally cached config if fresh, without any I/O (the hot path's first try)."""
        entry = self._local.get(guild_id)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        return None

    async def get(self, guild_id: int) -> GuildConfig:
        """A guild's configuration: L1, else L2, else the database (one load per guild at a time)."""
        entry = self._local.get(guild_id)
        if entry is not None and entry[0] > time.monotonic():
            self.local_hits += 1
            return entry[1]
        self.local_misses += 1
        pending = self._loading.get(guild_id)
        if pending is not None:
            # Many messages of a cold guild may wait here at once: an Event wakes them all in O(n), where
            # shielding one shared future costs O(n) per waiter.
            await pending.wait()
            if pending.error is not None:
                raise pending.error
            assert pending.result is not None
            return pending.result
        load = _Load()
        self._loading[guild_id] = load
        try:
            load.result = await self._load(guild_id)
            return load.result
        except BaseException as exc:
            load.error = exc
            raise
        finally:
            del self._loading[guild_id]
            load.set()

    async def prefetch(self, guild_ids: Iterable[int], *, batch: int = 500) -> int:
        """Fill L1 for the given guilds with one database query per `batch` guilds; returns how many loaded.

        Called as guilds become available, so the first messages after start-up find their config in memory.
        """
        missing = [g for g in guild_ids if self.peek(g) is None and g not in self._loading]
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            generations = {g: self._generation_of(g) for g in chunk}
            async with self.db.session() as session:
                records = await repo.load_guilds(session, chunk)
            expires = time.monotonic() + self.ttl
            for guild_id in chunk:
                if generations[guild_id] == self._generation_of(guild_id):
                    config = self._build(records.get(guild_id) or repo.GuildRecord(guild_id=guild_id))
                    self._store_local(guild_id, config, expires)
        return len(missing)

    def _generation_of(self, guild_id: int) -> tuple[int, int]:
        return (self._generation.get(guild_id, 0), self._generation.get(-1, 0))

    def _store_local(self, guild_id: int, config: GuildConfig, expires: float) -> None:
        if len(self._local) >= self.local_max:
            self._local.pop(next(iter(self._local)))
        self._local[guild_id] = (expires, config)

    async def _load(self, guild_id: int) -> GuildConfig:
        generation = self._generation_of(guild_id)
        key = f"{L2_PREFIX}{guild_id}"
        raw = await self.cache.get(key)
        if raw is not None:
            config = GuildConfig.from_json(raw)
        else:
            async with self.db.session() as session:
                record = await repo.load_guild(session, guild_id)
            config = self._build(record or repo.GuildRecord(guild_id=guild_id))
            await self.cache.set(key, config.to_json(), ttl=self.ttl)
        if generation == self._generation_of(guild_id):
            self._store_local(guild_id, config, time.monotonic() + self.ttl)
        return config

    def _build(self, record: repo.GuildRecord) -> GuildConfig:
        enabled: set[str] = set()
        configs: dict[str, dict[str, Any]] = {}
        for name, spec in self.specs.items():
            stored_enabled, stored_config = record.modules.get(name, (spec.enabled_by_default, {}))
            if stored_enabled or not spec.can_disable:
                enabled.add(name)
            configs[name] = self._effective_config(spec, stored_config)
        return GuildConfig(
            guild_id=record.guild_id,
            prefix=record.prefix,
            language=record.language,
            blacklisted=record.blacklisted,
            settings=record.settings,
            enabled_modules=frozenset(enabled),
            module_configs=configs,
        )

    def _effective_config(self, spec: ModuleSpec, stored: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with what is stored; a stored key the model no longer knows is ignored.

        Guilds that never configured a module share one defaults dict (memory per guild stays small): the
        mappings inside a GuildConfig are read-only by contract.
        """
        if not stored:
            defaults = self._defaults.get(spec)
            if defaults is None:
                defaults = self._defaults[spec] = spec.default_config()
            return defaults
        known = {k: v for k, v in stored.items() if k in spec.config.model_fields}
        return validate_stored(spec, known)

    async def module_config(self, guild_id: int, model: type[ConfigT], name: str) -> ConfigT:
        """One module's typed config for a guild."""
        config = await self.get(guild_id)
        return model.model_validate(config.module_configs.get(name, {}))

    # ----------------------------------------------------------------- writes
    def spec(self, module: str) -> ModuleSpec:
        """The spec of a known module, or a ConfigError naming the unknown one."""
        try:
            return self.specs[module]
        except KeyError:
            raise ConfigError("module", f"unknown module {module!r}") from None

    async def set_prefix(self, guild_id: int, prefix: str, *, actor_id: int | None) -> GuildConfig:
        """Change the guild's command prefix."""
        return await self.update_settings(guild_id, {"prefix": prefix}, actor_id=actor_id)

    async def set_language(self, guild_id: int, language: str, *, actor_id: int | None) -> GuildConfig:
        """Change the language the bot answers in."""
        return await self.update_settings(guild_id, {"language": language}, actor_id=actor_id)

    async def update_settings(self, guild_id: int, changes: Mapping[str, Any], *, actor_id: int | None) -> GuildConfig:
        """Change guild-level settings (`prefix`, `language`) together.

        All are validated first, then written in one transaction (one audit row each) and published once: a bad
        value writes nothing.
        """
        values = {name: check_setting(name, value) for name, value in changes.items()}
        if not values:
            return await self.get(guild_id)
        async with self.db.transaction() as session:
            guild = await repo.lock_guild(session, guild_id)
            for name, value in values.items():
                before = getattr(guild, name)
                setattr(guild, name, value)
                repo.add_audit(
                    session,
                    guild_id=guild_id,
                    actor_id=actor_id,
                    action=f"guild.{name}",
                    target=str(guild_id),
                    before={name: before},
                    after={name: value},
                )
            entry = await outbox.record(session, CONFIG_UPDATE, guild_id, {"settings": values})
        await self._changed(CONFIG_UPDATE, guild_id, {"settings": values}, outbox_id=entry)
        return await self.get(guild_id)

    async def set_blacklisted(
        self, guild_id: int, blacklisted: bool, *, reason: str | None, actor_id: int | None
    ) -> GuildConfig:
        """Blacklist a guild (the bot ignores it) or lift the blacklist."""
        async with self.db.transaction() as session:
            guild = await repo.lock_guild(session, guild_id)
            before = {"blacklisted": guild.blacklisted, "reason": guild.blacklist_reason}
            guild.blacklisted = blacklisted
            guild.blacklist_reason = reason if blacklisted else None
            repo.add_audit(
                session,
                guild_id=guild_id,
                actor_id=actor_id,
                action="guild.blacklist" if blacklisted else "guild.unblacklist",
                target=str(guild_id),
                before=before,
                after={"blacklisted": blacklisted, "reason": guild.blacklist_reason},
            )
            entry = await outbox.record(session, GUILD_RELOAD, guild_id, {"blacklisted": blacklisted})
        await self._changed(GUILD_RELOAD, guild_id, {"blacklisted": blacklisted}, outbox_id=entry)
        return await self.get(guild_id)

    async def set_module_enabled(
        self, guild_id: int, module: str, enabled: bool, *, actor_id: int | None
    ) -> GuildConfig:
        """Switch a module on or off in a guild."""
        spec = self.spec(module)
        if not enabled and not spec.can_disable:
            raise ConfigError("module", f"{module} cannot be disabled")
        async with self.db.transaction() as session:
            row = await repo.lock_module(session, guild_id, module, enabled=spec.enabled_by_default)
            # the guild row is locked now: no other switch of this guild can slip between the check and the write
            current = self._build(await repo.load_guild(session, guild_id) or repo.GuildRecord(guild_id=guild_id))
            problem = requirement_problem(self.specs, current.enabled_modules, module, enabled)
            if problem is not None:
                raise ConfigError("module", problem)
            before = row.enabled
            row.enabled = enabled
            repo.add_audit(
                session,
                guild_id=guild_id,
                actor_id=actor_id,
                action="module.enable" if enabled else "module.disable",
                target=module,
                before={"enabled": before},
                after={"enabled": enabled},
            )
            toggled = {"module": module, "enabled": enabled}
            entry = await outbox.record(session, MODULE_TOGGLE, guild_id, toggled)
        await self._changed(MODULE_TOGGLE, guild_id, toggled, outbox_id=entry)
        return await self.get(guild_id)

    async def update_module_config(
        self, guild_id: int, module: str, changes: Mapping[str, Any], *, actor_id: int | None
    ) -> dict[str, Any]:
        """Merge `changes` into a module's config after validating the result; returns the new config."""
        spec = self.spec(module)
        unknown = [key for key in changes if key not in spec.config.model_fields]
        if unknown:
            raise ConfigError(unknown[0], f"{module} has no setting {unknown[0]!r}")
        async with self.db.transaction() as session:
            row = await repo.lock_module(session, guild_id, module, enabled=spec.enabled_by_default)
            before = self._effective_config(spec, row.config or {})
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
                action="module.config",
                target=module,
                before={k: before.get(k) for k in changes},
                after={k: after[k] for k in changes},
            )
            # who made the change travels with it, so open dashboards can say who changed what (as text: a JS id)
            payload = {"module": module, "config": after, "actor_id": str(actor_id) if actor_id else None}
            entry = await outbox.record(session, CONFIG_UPDATE, guild_id, payload)
        await self._changed(CONFIG_UPDATE, guild_id, payload, outbox_id=entry)
        return after

    async def resync(self, guild_id: int, *, actor_id: int | None) -> GuildConfig:
        """Drop every cached copy of a guild's config everywhere and reload it from the database."""
        await self._changed(GUILD_RELOAD, guild_id, {"actor_id": actor_id})
        return await self.get(guild_id)

    async def _changed(
        self, channel: str, guild_id: int, payload: dict[str, Any], *, outbox_id: int | None = None
    ) -> None:
        """After a commit: drop L2 and L1 here, then tell every process.

        The change's outbox row (written in its transaction, or here when the caller wrote none) is deleted once
        Redis took the message; if Redis did not, any process's outbox relay publishes it within seconds.
        """
        if outbox_id is None:
            outbox_id = await record_alone(self.db, channel, guild_id, payload)
        await self.cache.delete(f"{L2_PREFIX}{guild_id}")
        await self.drop_local(guild_id)
        if await self.pubsub.publish(channel, {"guild_id": guild_id, **payload, "ts": time.time()}) and outbox_id:
            await mark_published(self.db, outbox_id)

    def stats(self) -> dict[str, Any]:
        """Local cache figures for health and metrics."""
        total = self.local_hits + self.local_misses
        return {
            "local_entries": len(self._local),
            "local_hits": self.local_hits,
            "local_misses": self.local_misses,
            "local_hit_rate": self.local_hits / total if total else 0.0,
        }


def check_setting(name: str, value: Any) -> Any:
    """A guild-level setting's value once validated (`prefix`, `language`), or a ConfigError naming it."""
    if name == "prefix":
        prefix = value.strip() if isinstance(value, str) else ""
        if not prefix or len(prefix) > PREFIX_MAX_LENGTH or any(c.isspace() for c in prefix):
            raise ConfigError("prefix", f"must be 1 to {PREFIX_MAX_LENGTH} characters without spaces")
        return prefix
    if name == "language":
        if value not in SUPPORTED_LANGUAGES:
            raise ConfigError("language", f"must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value
    raise ConfigError(name, "no such setting")


def validate_stored(spec: ModuleSpec, stored: dict[str, Any]) -> dict[str, Any]:
    """A stored module config made valid, keeping what still is.

    A setting the model refuses today (a bound tightened since it was saved, say) takes its default; the guild's
    other settings are kept.
    """
    try:
        return spec.config.model_validate(stored).model_dump(mode="json")
    except ValidationError as exc:
        invalid = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
    log.warning("stored module settings no longer valid; those take their default", module=spec.name, fields=invalid)
    kept = {key: value for key, value in stored.items() if key not in invalid}
    try:
        return spec.config.model_validate(kept).model_dump(mode="json")
    except ValidationError:  # a model-level rule across fields: nothing partial is safe
        return spec.default_config()


def config_error_from(exc: ValidationError, model: type[BaseModel] | None = None) -> ConfigError:
    """A pydantic error as a ConfigError naming its first field, with every failing field in plain words."""
    problems = problems_from(exc, model)
    return ConfigError(problems[0].field, problems[0].text(), problems)


def coerce_setting(model: type[BaseModel], key: str, raw: str) -> Any:
    """Turn a value typed in chat into what the model field wants: JSON when it parses, else the text itself."""
    if key not in model.model_fields:
        raise ConfigError(key, "no such setting")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw
