"""The fault-injection suite (issue 16): each test records its figures, printed together at the end of the run.

`fault_figures(name, **figures)` records one line on the test's report (`user_properties`, which pytest-xdist
carries from its workers); tests/conftest.py's terminal summary prints every line as JSON, so CI's log shows
commands failed, events lost, config lost and jobs run twice for each fault even when all pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import FAULT_FIGURES


@pytest.fixture
def fault_figures(request: pytest.FixtureRequest) -> Callable[..., None]:
    """Record a fault's figures: `fault_figures("redis restart", commands_failed=0, config_lost=0)`."""

    def record(name: str, **figures: Any) -> None:
        line = {"fault": name, **figures}
        request.node.user_properties.append((FAULT_FIGURES, line))
        print(json.dumps(line))

    return record
