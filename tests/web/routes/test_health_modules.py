"""The detailed health lists the installed modules and warns about each module discovery left out."""

from __future__ import annotations

import pytest

from tests.support.web import Env
from wolaro.core import registry


async def test_health_warns_about_a_skipped_module(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    client = env.client()
    body = (await client.get("/api/health")).json()
    assert set(body["modules"]) >= {"core", "moderation", "privacy"}
    assert body["warnings"] == []
    broken = registry.ModuleProblem("counting = wolaro_counting.module:SPEC", "counting", "failed to import: boom")
    real = registry.installed()
    monkeypatch.setattr(registry, "installed", lambda: registry.Discovery(real.specs, (broken,), real.sources))
    body = (await client.get("/api/health")).json()
    assert body["status"] == "healthy"  # a skipped module never makes the platform unhealthy
    assert body["warnings"] == ["module counting skipped: failed to import: boom"]
