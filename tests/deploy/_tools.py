"""Shared by the deploy tests: paths, and "skip locally, fail in CI" for a missing tool."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import in_ci

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def need_tool(name: str, how: str) -> str:
    """The path of command `name`; skips (locally) or fails (CI=true) when it is not installed."""
    path = shutil.which(name)
    if path is None:
        message = f"`{name}` is not installed: {how}"
        if in_ci():
            pytest.fail(f"{message} (CI=true: scripts/test.sh installs it)", pytrace=False)
        pytest.skip(message)
    return path
