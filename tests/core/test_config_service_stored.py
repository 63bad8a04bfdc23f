"""A stored module config that today's model refuses (a bound tightened since it was saved) keeps what is valid."""

from __future__ import annotations

from wolaro.core.config_service import validate_stored
from wolaro.core.registry import discover_specs


def test_a_setting_past_a_tightened_bound_takes_its_default_and_the_others_are_kept() -> None:
    spec = discover_specs()["automod"]
    defaults = spec.default_config()
    words = {**defaults["words"], "enabled": True, "words": ["darn", "heck"]}
    stored = {"words": words, "regex_timeout_ms": 1000, "regex_suspend_seconds": 1}
    effective = validate_stored(spec, stored)
    assert effective["words"] == words
    assert effective["regex_timeout_ms"] == defaults["regex_timeout_ms"]
    assert effective["regex_suspend_seconds"] == defaults["regex_suspend_seconds"]


def test_a_valid_stored_config_is_unchanged() -> None:
    spec = discover_specs()["automod"]
    words = {**spec.default_config()["words"], "words": ["darn"]}
    assert validate_stored(spec, {"words": words}) == {**spec.default_config(), "words": words}
