"""The test command installs from requirements/test.lock: every dependency the project declares must be pinned there."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(line) for line in [*project["dependencies"], *project["optional-dependencies"]["test"]]]


def _pinned() -> dict[str, list[str]]:
    pins: dict[str, list[str]] = {}
    for line in (ROOT / "requirements" / "test.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            pins.setdefault(canonicalize_name(match.group(1)), []).append(match.group(2))
    return pins


def test_every_declared_dependency_is_pinned_in_the_lock() -> None:
    pins = _pinned()
    missing = [str(req) for req in _declared() if canonicalize_name(req.name) not in pins]
    assert not missing, f"not in requirements/test.lock (run ./scripts/lock.sh): {missing}"


def test_pinned_versions_satisfy_the_declared_ranges() -> None:
    pins = _pinned()
    stale = [
        f"{req} (locked {versions})"
        for req in _declared()
        for versions in [pins.get(canonicalize_name(req.name), [])]
        if versions and not any(req.specifier.contains(v, prereleases=True) for v in versions)
    ]
    assert not stale, f"requirements/test.lock is older than pyproject.toml (run ./scripts/lock.sh): {stale}"
