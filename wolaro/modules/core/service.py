"""Presentation of guild settings and modules as plain text (no Discord objects)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wolaro.core.registry import ModuleSpec


def module_lines(specs: Mapping[str, ModuleSpec], enabled: frozenset[str]) -> list[tuple[str, bool, str]]:
    """(name, enabled, description) for every module, enabled ones first, then by name."""
    rows = [(name, name in enabled, spec.description) for name, spec in specs.items()]
    return sorted(rows, key=lambda row: (not row[1], row[0]))


def config_lines(spec: ModuleSpec, values: Mapping[str, Any]) -> list[str]:
    """`key = value  (type) description` for each setting of a module."""
    lines = []
    for key, field in spec.config.model_fields.items():
        annotation = getattr(field.annotation, "__name__", str(field.annotation)).replace("typing.", "")
        description = f" - {field.description}" if field.description else ""
        lines.append(f"{key} = {values.get(key)!r} ({annotation}){description}")
    return lines
