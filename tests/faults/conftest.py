"""The fault-injection suite (issue 16): each test records its figures, printed together at the end of the run.

`fault_figures(name, **figures)` records one line; the terminal summary prints every line as JSON, so CI's log
shows commands failed, events lost, config lost and jobs run twice for each fault even when all pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

_RECORDED: list[dict[str, Any]] = []


@pytest.fixture
def fault_figures() -> Callable[..., None]:
    """Record a fault's figures: `fault_figures("redis restart", commands_failed=0, config_lost=0)`."""

    def record(name: str, **figures: Any) -> None:
        line = {"fault": name, **figures}
        _RECORDED.append(line)
        print(json.dumps(line))

    return record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print every recorded fault figure (one JSON line each)."""
    if not _RECORDED:
        return
    terminalreporter.section("fault figures")
    for line in _RECORDED:
        terminalreporter.write_line(json.dumps(line))
