"""What a module is, as plain values, and where the platform finds them (no Discord objects here).

A module is one `ModuleSpec` published under the Python entry point group `wolaro.modules`: the built-in modules
are registered in Wolaro's own `pyproject.toml` exactly as a third-party package registers its own, so
`pip install wolaro-counting` is all it takes for a module to appear. The core, the web app, the job worker, the
migrations and the translations all learn what a module brings from its spec, never from a folder walk.

Discovery never crashes the platform: a module that fails to import or declares something invalid is left out
with one log line, and the problem is listed in the detailed health (`module_problems()`).
"""

from __future__ import annotations

import functools
import importlib
import re
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from wolaro.core.privacy import UserData
from wolaro.logging import get_logger

log = get_logger(__name__)

ENTRY_POINT_GROUP = "wolaro.modules"
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")
"""A module's name: lowercase letters, digits and underscores, at most 32 characters (it is a database key)."""
JOB_KIND_PATTERN = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")


class ModuleConfig(BaseModel):
    """Base of every module's `Config`: typed settings with defaults; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class EmptyConfig(ModuleConfig):
    """For modules with nothing to configure."""


@dataclass(frozen=True, slots=True)
class Panel:
    """A piece of dashboard a module adds: a panel on its settings page, or a page of its own.

    `template` is a Jinja2 file in the module's `templates` folder; it is rendered with the guild page's context
    (`guild`, `config`, `modules`, `module`, `csrf_token`). `slug` names the page of its own
    (`/guilds/{guild_id}/modules/{name}/{slug}`); panels leave it empty.

    A page may load values of its own: `data(services, guild_id)` returns extra template values (a leaderboard).
    If those values include `member_ids` / `channel_ids` (the ids the page shows), the dashboard adds `members`
    (id -> `MemberName`: `name`, `avatar_url`) and `channels` (id -> name), looked up in Discord, so the page shows
    names, or "a former member" / "deleted channel", never a bare id (`wolaro.web.names`).
    A page may also be public: when `public(settings)` is True for the guild's stored settings of the module (and
    the module is on there), it is shown without login at `/public/guilds/{guild_id}/{name}/{slug}`, with only
    `data`'s values; that address is 404 otherwise.
    """

    title: str
    template: str
    slug: str = ""
    data: Callable[[Any, int], Awaitable[Mapping[str, Any]]] | None = None
    public: Callable[[Mapping[str, Any]], bool] | None = None


@dataclass(frozen=True, slots=True, eq=False)
class ModuleSpec:
    """Everything a module brings, declared in one place (see `docs/architecture.md`, "Modules").

    Compared and hashed by identity (one object per installed module): its mappings are not hashable.
    """

    name: str
    description: str
    version: str
    config: type[ModuleConfig] = EmptyConfig
    enabled_by_default: bool = False
    """Whether the module runs in a guild that has not switched it (a new module is off until an admin enables it)."""
    can_disable: bool = True
    title: str = ""
    """What the dashboard and help call the module (English msgid; translated through the module's locales)."""
    requires: tuple[str, ...] = ()
    """Modules that must be enabled in a guild before this one can be."""
    audit_labels: Mapping[str, str] = field(default_factory=dict)
    """Audit action -> its label for people (English msgid), e.g. {"moderation.warn": "Member warned"}."""
    privacy: UserData | None = None
    """How the module exports and erases what it stores about a person (None: it stores nothing per user)."""
    not_personal: Mapping[str, str] = field(default_factory=dict)
    """`"table.column"` of its own tables -> why it never holds a person's id, in plain English (a message's or a
    channel's id, a count). The privacy coverage test takes every 64-bit, JSON or `*_id` column for a person's id
    unless a privacy hook declares it (`privacy.stores`) or it is listed here with its reason."""
    cogs: tuple[type[Any], ...] = ()
    """Its `WolaroModule` classes: commands, and guild event handlers (`on_guild_<event>` methods)."""
    jobs: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    """Durable job kind (`<name>.<action>`) -> its handler `async def handler(ctx: JobContext, payload: dict)`."""
    models: tuple[type[Any], ...] = ()
    """Its ORM classes (subclasses of `wolaro.sdk.Base`): their tables are created by its migrations."""
    migrations: Path | None = None
    """Its Alembic versions folder: one branch labelled with the module's name, based on the core's schema."""
    locales: Path | None = None
    """Its translations: `<locales>/<language>/LC_MESSAGES/messages.po`."""
    api: Any = None
    """A FastAPI `APIRouter`, mounted under `/api/guilds/{guild_id}/modules/{name}` (routes take `ManagedGuild`)."""
    templates: Path | None = None
    """Folder of the Jinja2 templates its `panels` name."""
    panels: tuple[Panel, ...] = ()
    """Dashboard additions: panels on its settings page, and pages of its own (those with a `slug`)."""
    metrics: tuple[Any, ...] = ()
    """Its Prometheus collectors, exported on `/metrics` with the platform's."""
    bot_permissions: tuple[str, ...] = ()
    """Discord permissions the bot needs for this module (`discord.Permissions` flag names, e.g. "ban_members"):
    the dashboard's "Add to server" link asks for those of every installed module."""

    def __post_init__(self) -> None:
        for position, cog in enumerate(self.cogs):  # help, errors and gating all speak the module's name
            cog.spec = self
            cog.__cog_name__ = self.name if position == 0 else f"{self.name}.{cog.__name__}"
            cog.__cog_description__ = self.description

    def default_config(self) -> dict[str, Any]:
        """The module's config with every default filled in, as JSON-ready values."""
        return self.config().model_dump(mode="json")

    @property
    def display_title(self) -> str:
        """The title (English msgid), or a readable form of the name when none is declared."""
        return self.title or self.name.replace("_", " ").capitalize()


def spec_problems(spec: object) -> list[str]:
    """What is wrong with a declared spec (empty when it is usable)."""
    if not isinstance(spec, ModuleSpec):
        return [f"the entry point names a {type(spec).__name__}, not a ModuleSpec"]
    problems: list[str] = []
    if not NAME_PATTERN.fullmatch(spec.name):
        problems.append(f"bad name {spec.name!r}: use lowercase letters, digits and _ (at most 32 characters)")
    if not spec.version.strip() or not spec.description.strip():
        problems.append("version and description must not be empty")
    if not (isinstance(spec.config, type) and issubclass(spec.config, ModuleConfig)):
        problems.append("config must be a ModuleConfig subclass")
    for kind, handler in spec.jobs.items():
        if not JOB_KIND_PATTERN.fullmatch(kind) or len(kind) > 64 or not kind.startswith(f"{spec.name}."):
            problems.append(f"bad job kind {kind!r}: it must read '{spec.name}.<action>' (lowercase, at most 64)")
        if not callable(handler):
            problems.append(f"the handler of job {kind!r} is not callable")
    problems += _folder_problems(spec)
    for required in spec.requires:
        if not isinstance(required, str) or required == spec.name:
            problems.append(f"bad requirement {required!r}")
    return problems


def _folder_problems(spec: ModuleSpec) -> list[str]:
    problems: list[str] = []
    if spec.migrations is not None:
        folder = Path(spec.migrations)
        if not folder.is_dir():
            problems.append(f"migration folder {folder} does not exist")
        elif not any(p.suffix == ".py" and p.name != "__init__.py" for p in folder.iterdir()):
            problems.append(f"migration folder {folder} holds no revision")
        elif not _labels_branch(folder, spec.name):
            problems.append(f"no revision in {folder} starts a branch labelled {spec.name!r}")
    for what, path in (("locale", spec.locales), ("template", spec.templates)):
        if path is not None and not Path(path).is_dir():
            problems.append(f"{what} folder {path} does not exist")
    if spec.panels and spec.templates is None:
        problems.append("panels need a templates folder")
    if spec.models and spec.migrations is None:
        problems.append("a module with models needs a migrations folder")
    return problems


def _labels_branch(folder: Path, name: str) -> bool:
    """Whether a revision in `folder` declares `branch_labels` naming the module (read as text, not imported)."""
    pattern = re.compile(r"^branch_labels[^=]*=\s*\(?\s*['\"]" + re.escape(name) + r"['\"]", re.MULTILINE)
    return any(pattern.search(p.read_text(encoding="utf-8")) for p in folder.glob("*.py"))


@dataclass(frozen=True, slots=True)
class ModuleProblem:
    """A module left out at discovery, and why (one log line, and a warning in the detailed health)."""

    entry_point: str
    module: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Discovery:
    """The installed modules (by name, sorted) and the ones left out."""

    specs: dict[str, ModuleSpec]
    problems: tuple[ModuleProblem, ...]
    sources: dict[str, str]
    """Module name -> the Python package its entry point lives in (reloads re-import it)."""


def discover(points: Iterable[EntryPoint] | None = None) -> Discovery:
    """Load every `wolaro.modules` entry point; keep the valid specs, report the others (never raises)."""
    points = list(entry_points(group=ENTRY_POINT_GROUP) if points is None else points)
    points.sort(key=lambda point: (not _is_builtin(point), point.name))  # a built-in wins a name clash
    specs: dict[str, ModuleSpec] = {}
    sources: dict[str, str] = {}
    problems: list[ModuleProblem] = []
    for point in points:
        label = f"{point.name} = {point.value}"
        try:
            spec = point.load()
        except Exception as exc:
            problems.append(ModuleProblem(label, point.name, f"failed to import: {exc!r}"))
            continue
        found = spec_problems(spec)
        name = getattr(spec, "name", point.name)
        if not found and name in specs:
            found = [f"a module named {name!r} is already installed (from {sources[name]})"]
        if found:
            problems.append(ModuleProblem(label, name, "; ".join(found)))
            continue
        specs[name] = spec
        sources[name] = point.module.rpartition(".")[0] or point.module
    problems += _drop_unmet_requirements(specs)
    for problem in problems:
        log.error("module skipped", entry_point=problem.entry_point, module=problem.module, reason=problem.reason)
    return Discovery(dict(sorted(specs.items())), tuple(problems), {n: sources[n] for n in sorted(specs)})


def _is_builtin(point: EntryPoint) -> bool:
    return point.value.startswith("wolaro.")


def _drop_unmet_requirements(specs: dict[str, ModuleSpec]) -> list[ModuleProblem]:
    """Remove (until none is left) every module that requires one that is not installed."""
    problems: list[ModuleProblem] = []
    changed = True
    while changed:
        changed = False
        for name, spec in list(specs.items()):
            missing = [r for r in spec.requires if r not in specs]
            if missing:
                del specs[name]
                problems.append(ModuleProblem(name, name, f"requires {', '.join(missing)}, which is not installed"))
                changed = True
    return problems


@functools.cache
def installed() -> Discovery:
    """The discovery of this process (done once: every layer asks it)."""
    return discover()


def discover_specs() -> dict[str, ModuleSpec]:
    """Every installed module's spec by name."""
    return dict(installed().specs)


def module_problems() -> list[dict[str, str | None]]:
    """The modules left out at discovery, for the detailed health."""
    return [{"entry_point": p.entry_point, "module": p.module, "reason": p.reason} for p in installed().problems]


def reload_spec(name: str) -> ModuleSpec:
    """Re-import a module's package (its `models` excepted) and read its spec again (for `/admin reload`)."""
    discovery = installed()
    root = discovery.sources[name]
    for module_name in sorted(sys.modules):
        if (module_name == root or module_name.startswith(root + ".")) and not module_name.endswith(".models"):
            importlib.reload(sys.modules[module_name])
    point = next(p for p in entry_points(group=ENTRY_POINT_GROUP) if p.name == name or p.load().name == name)
    spec = point.load()
    problems = spec_problems(spec)
    if problems:
        raise ValueError("; ".join(problems))
    discovery.specs[name] = spec
    return spec


# ------------------------------------------------------------------------------------------- requirements
def requirement_problem(
    specs: Mapping[str, ModuleSpec], enabled: Iterable[str], module: str, switch_on: bool
) -> str | None:
    """Why `module` cannot be switched on (a required module is off) or off (an enabled module requires it)."""
    on = set(enabled)
    spec = specs[module]
    if switch_on:
        off = [r for r in spec.requires if r not in on]
        if off:
            return f"{module} needs {', '.join(off)}: enable {'it' if len(off) == 1 else 'them'} first"
        return None
    users = sorted(n for n, s in specs.items() if n in on and n != module and module in s.requires)
    if users:
        verb, pronoun = ("needs", "it") if len(users) == 1 else ("need", "them")
        return f"{', '.join(users)} {verb} {module}: disable {pronoun} first"
    return None


# ----------------------------------------------------------------------------------- what layers read
def migration_folders(specs: Mapping[str, ModuleSpec]) -> list[Path]:
    """Every installed module's Alembic versions folder."""
    return [Path(spec.migrations) for spec in specs.values() if spec.migrations is not None]


def model_modules(specs: Mapping[str, ModuleSpec]) -> list[str]:
    """The Python modules that define the installed modules' tables."""
    return sorted({model.__module__ for spec in specs.values() for model in spec.models})


def locale_folders(specs: Mapping[str, ModuleSpec]) -> list[Path]:
    """Every installed module's locales folder."""
    return [Path(spec.locales) for spec in specs.values() if spec.locales is not None]


def audit_labels(specs: Mapping[str, ModuleSpec]) -> dict[str, str]:
    """Audit action -> label, from every module's spec (sorted by action)."""
    labels: dict[str, str] = {}
    for spec in specs.values():
        labels.update(spec.audit_labels)
    return dict(sorted(labels.items()))
