"""What a module is, as plain values, and where the platform finds them (no Discord objects here)."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

import wolaro.modules
from wolaro.core.privacy import UserData


class ModuleConfig(BaseModel):
    """Base of every module's `Config`: typed settings with defaults; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class EmptyConfig(ModuleConfig):
    """For modules with nothing to configure."""


@dataclass(frozen=True, slots=True)
class ModuleSpec:
    """A module's identity: name, what it does, its version, its config model and its defaults."""

    name: str
    description: str
    version: str
    config: type[ModuleConfig] = EmptyConfig
    enabled_by_default: bool = True
    can_disable: bool = True
    title: str = ""
    """What the dashboard and help call the module (English msgid; translated through the module's locales)."""
    requires: tuple[str, ...] = ()
    """Modules that must be enabled in a guild before this one can be."""
    audit_labels: Mapping[str, str] = field(default_factory=dict)
    """Audit action -> its label for people (English msgid), e.g. {"moderation.warn": "Member warned"}."""
    privacy: UserData | None = None
    """How the module exports and erases what it stores about a person (None: it stores nothing per user)."""

    def default_config(self) -> dict[str, Any]:
        """The module's config with every default filled in, as JSON-ready values."""
        return self.config().model_dump(mode="json")


def iter_module_packages() -> Iterator[str]:
    """Names of the packages under `wolaro/modules/` that carry a `module.py`."""
    for info in pkgutil.iter_modules(wolaro.modules.__path__):
        if info.ispkg and importlib.util.find_spec(f"wolaro.modules.{info.name}.module") is not None:
            yield info.name


def discover_specs() -> dict[str, ModuleSpec]:
    """Every module's spec by name, read from each package's `SPEC` (importing its module.py)."""
    specs: dict[str, ModuleSpec] = {}
    for package in iter_module_packages():
        spec = importlib.import_module(f"wolaro.modules.{package}.module").SPEC
        specs[spec.name] = spec
    return dict(sorted(specs.items()))
