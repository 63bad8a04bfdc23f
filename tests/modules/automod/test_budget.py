"""No guild's automod settings can stall the others: bounded config, linear word matching, regex suspension counted
from the end of the search, and the per-guild time budget that pauses a guild's text rules."""

from __future__ import annotations

import re
import string
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from wolaro.core.config_service import config_error_from
from wolaro.modules.automod import service
from wolaro.modules.automod.config import (
    MAX_PATTERN_LENGTH,
    MAX_REGEX_TIMEOUT_MS,
    MAX_WORD_LENGTH,
    MIN_REGEX_SUSPEND_SECONDS,
    Config,
)

pytestmark = pytest.mark.serial  # timed (CPU budgets): run alone (scripts/test.sh)


def refused_field(values: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        Config.model_validate(values)
    return config_error_from(caught.value).field


# --------------------------------------------------------------------------- bounded config
def _unbounded(node: Any, path: str, defs: dict[str, Any]) -> list[str]:
    """Every list without maxItems and string without maxLength under a JSON schema node."""
    if not isinstance(node, dict):
        return []
    if "$ref" in node:
        return _unbounded(defs[node["$ref"].rsplit("/", 1)[-1]], path, defs)
    found = []
    kinds = node.get("type")
    kinds = set(kinds) if isinstance(kinds, list) else {kinds}
    if "array" in kinds and "maxItems" not in node:
        found.append(f"{path}: list without maxItems")
    if "string" in kinds and "maxLength" not in node and "enum" not in node:
        found.append(f"{path}: string without maxLength")
    if "object" in kinds and node.get("additionalProperties") not in (None, False):
        found.append(f"{path}: open object")
    is_id = "integer" in kinds and path.endswith(("_roles.items", "_channels.items", "_id"))
    if is_id and (node.get("minimum") != 1 or node.get("maximum") != 2**63 - 1):
        found.append(f"{path}: id without snowflake bounds")
    for key, sub in node.get("properties", {}).items():
        found += _unbounded(sub, f"{path}.{key}", defs)
    if isinstance(node.get("items"), dict):
        found += _unbounded(node["items"], f"{path}.items", defs)
    for sub in node.get("anyOf", []):
        found += _unbounded(sub, path, defs)
    return found


def test_every_list_string_and_id_of_the_config_is_bounded_in_its_schema():
    schema = Config.model_json_schema()
    assert _unbounded(schema, "automod", schema.get("$defs", {})) == []
    words = schema["$defs"]["WordRule"]["properties"]["words"]
    assert words["maxItems"] == 500 and words["items"]["maxLength"] == MAX_WORD_LENGTH
    patterns = schema["$defs"]["RegexRule"]["properties"]["patterns"]
    assert patterns["items"]["maxLength"] == MAX_PATTERN_LENGTH
    assert schema["properties"]["regex_timeout_ms"]["maximum"] == MAX_REGEX_TIMEOUT_MS
    assert schema["properties"]["regex_suspend_seconds"]["minimum"] == MIN_REGEX_SUSPEND_SECONDS
    assert schema["properties"]["exempt_roles"]["x-picker"] == "role"  # the dashboard's pickers still apply


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"regex_timeout_ms": 1000}, "regex_timeout_ms"),
        ({"regex_suspend_seconds": 1}, "regex_suspend_seconds"),
        ({"words": {"words": ["-" * 500 + "x"]}}, "words.words.0"),
        ({"words": {"words": [f"w{i}" for i in range(501)]}}, "words.words"),
        ({"regex": {"patterns": ["a"] * 26}}, "regex.patterns"),
        ({"regex": {"patterns": ["x" * 301]}}, "regex.patterns.0"),
        ({"exempt_roles": [0]}, "exempt_roles.0"),
        ({"exempt_channels": [2**63]}, "exempt_channels.0"),
        ({"exempt_channels": list(range(1, 502))}, "exempt_channels"),
        ({"spam": {"exempt_roles": list(range(1, 252))}}, "spam.exempt_roles"),
        ({"invites": {"allowed_codes": ["x" * 65]}}, "invites.allowed_codes.0"),
        ({"invites": {"allowed_codes": ["a"] * 101}}, "invites.allowed_codes"),
        ({"links": {"domains": ["a" * 254]}}, "links.domains.0"),
        ({"links": {"domains": ["a.example"] * 501}}, "links.domains"),
        ({"log_channel_id": -3}, "log_channel_id"),
        ({"paused_until": "2030-01-01T00:00:00" + "0" * 100_000}, "paused_until"),
    ],
)
def test_values_past_their_bound_are_refused_with_their_field(values, field):
    assert refused_field(values) == field


def test_the_issue_worst_values_are_refused_and_the_ceilings_accepted():
    assert refused_field({"regex_timeout_ms": 1000, "regex_suspend_seconds": 1}) in {
        "regex_timeout_ms",
        "regex_suspend_seconds",
    }
    config = Config.model_validate(
        {"regex_timeout_ms": MAX_REGEX_TIMEOUT_MS, "regex_suspend_seconds": MIN_REGEX_SUSPEND_SECONDS}
    )
    assert config.regex_timeout_ms == 50 and config.regex_suspend_seconds == 10
    assert Config.model_validate({"exempt_roles": ["123456789012345678"]}).exempt_roles == [123456789012345678]


def test_paused_until_without_offset_is_utc():
    config = Config.model_validate({"paused_until": "2030-05-01T12:00:00"})
    assert config.paused_until == datetime(2030, 5, 1, 12, tzinfo=UTC)
    assert config.model_dump(mode="json")["paused_until"] == "2030-05-01T12:00:00Z"


# --------------------------------------------------------------------------- linear word matching
def _reference(words: list[str], text: str) -> bool:
    """What the old `re` design decided (whole words, case-insensitive)."""
    alternatives = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.search(rf"(?<!\w)(?:{alternatives})(?!\w)", text, re.IGNORECASE) is not None


ALPHABET = string.ascii_letters + string.digits + " -_*.,!'’éÉ\x00"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=6).filter(str.strip), min_size=1, max_size=6),
    st.text(alphabet=ALPHABET, max_size=40),
)
def test_word_matcher_decides_exactly_like_a_whole_word_regex(words, text):
    words = [w.replace("\x00", " ") for w in words]
    assume(all(w.strip() for w in words))  # blank words are refused by the config
    matcher = service.WordMatcher(words)
    found = matcher.find(text.replace("\x00", " "))
    assert (found is not None) == _reference(words, text.replace("\x00", " "))
    if found is not None:
        assert found in words


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_a_word_planted_in_a_text_is_found(data):
    word_text = st.text(alphabet=ALPHABET[:70], min_size=1, max_size=8).filter(str.strip)
    words = data.draw(st.lists(word_text, min_size=1, max_size=5))
    word = data.draw(st.sampled_from(words))
    around = st.text(alphabet=" ,.!", max_size=3)
    text = data.draw(around) + word.upper() + data.draw(around)
    assert service.WordMatcher(words).find(text) is not None


def _hostile_word_lists() -> list[tuple[str, list[str], str]]:
    dashes = ["-" * (k % 94 + 1) + "x" * (k // 94 + 1) for k in range(500)]  # the issue's family, bounded
    alternating = ["-a" * k for k in range(1, 51)]  # every suffix fails the boundary check at every end
    nested = ["a" * k + "x" for k in range(1, 100)]
    return [
        ("dashes", dashes, "-" * 2000),
        ("alternating", alternating, "a-" * 1000),
        ("nested", nested, ("b" + "a" * 98 + "x!") * 20),
    ]


@pytest.mark.parametrize(
    ("name", "words", "text"), _hostile_word_lists(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_hostile_banned_words_cost_little_per_message(name, words, text):
    """With `re` an alternation of these words backtracks at every position (26 ms per 2,000 characters for 99
    dash words, 0.24 s for 500 longer ones); the automatons read each character once."""
    matcher = service.WordMatcher(words)
    matcher.find(text)
    runs = 20
    started = time.perf_counter()
    for _ in range(runs):
        matcher.find(text)
    per_message = (time.perf_counter() - started) / runs
    assert per_message < 0.005, f"{name}: {per_message * 1000:.1f} ms per message"


def test_word_matching_time_grows_linearly_with_the_text():
    matcher = service.WordMatcher(["-" * k for k in range(1, 100)] + ["-a" * k for k in range(1, 50)])

    def cost(text: str) -> float:
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            matcher.find(text)
            best = min(best, time.perf_counter() - started)
        return best

    small, large = cost("a-" * 500), cost("a-" * 4000)
    assert large < small * 8 * 3, (small, large)  # 8x the text: at most ~8x the time (slack for noise)


def test_mark_boundaries_turns_whole_words_into_substrings():
    assert service.mark_boundaries("ab c") == "\x00ab\x00 \x00c\x00"
    marked = service.mark_boundaries
    assert marked("darn") in marked("well darn, it")
    assert marked("darn") not in marked("undarned")
    assert marked("f*ck") in marked("what the f*ck")
    assert marked("-x") in marked("a -x b") and marked("-x") not in marked("a-x b")


# --------------------------------------------------------------------------- regex suspension from the end
class SteppingClock:
    """A clock that moves by `step` every time it is read (a search that takes time between two reads)."""

    def __init__(self, step: float) -> None:
        self.now = 1000.0
        self.step = step

    def __call__(self) -> float:
        value = self.now
        self.now += self.step
        return value


def test_regex_suspension_is_counted_from_the_end_of_the_search():
    clock = SteppingClock(step=1.0)  # the search "took" 1 s: read 1000.0 before it, 1001.0 after
    matcher = service.RegexMatcher(
        [r"(a+)+$"], budget_ms=20, suspend_seconds=10, clock=clock, stats=service.RegexStats(), inline_ms=20
    )
    assert matcher.search("a" * 5000 + "!") is None
    assert matcher.timeouts == 1
    assert matcher.suspended_until == pytest.approx(1001.0 + 10)


def test_a_recompiled_regex_rule_keeps_its_suspension():
    base = {"regex": {"enabled": True, "patterns": [r"(a+)+$"]}, "regex_timeout_ms": service.REGEX_INLINE_MS}
    first = service.compile_rules(Config.model_validate(base))
    assert first.check_content("a" * 5000 + "!", 0, 1, ()) is None
    assert first.regex is not None and first.regex.timeouts == 1
    second = service.compile_rules(Config.model_validate({**base, "caps": {"enabled": True}}))
    second.carry_over(first)
    assert second.regex is not None and second.regex.suspended_until == first.regex.suspended_until
    started = time.perf_counter()
    assert second.check_content("a" * 5000 + "!", 0, 1, ()) is None
    assert time.perf_counter() - started < 0.005  # skipped, not searched again
    assert second.regex.stats.skipped >= 1


def test_a_slow_search_leaves_the_loop_quickly_and_finishes_in_a_worker():
    """The inline slice is all a search may hold the loop; the rest of the budget is spent off the loop."""
    clock = SteppingClock(step=0.0)
    matcher = service.RegexMatcher(
        [r"(?:(a|aa)+b)|needle"], budget_ms=2000, suspend_seconds=30, clock=clock, stats=service.RegexStats()
    )
    text = "a" * 20 + " needle"  # about 20-30 ms of backtracking before `needle` matches
    started = time.perf_counter()
    assert matcher.search(text) is None  # not decided on the loop
    assert time.perf_counter() - started < 0.02
    deferred = matcher.take_deferred()
    assert deferred == (text, 0) and matcher.in_flight and matcher.stats.deferred == 1
    assert matcher.search("needle") is None and matcher.stats.skipped == 1  # one search per guild at a time
    result = matcher.search_off_loop(*deferred)
    assert result.matched == r"(?:(a|aa)+b)|needle" and result.elapsed > 0.005
    assert matcher.settle(result, len(text)) == r"(?:(a|aa)+b)|needle"
    assert not matcher.in_flight and matcher.timeouts == 0
    assert matcher.search("needle") == r"(?:(a|aa)+b)|needle"  # fast texts are decided inline


def test_a_search_past_the_budget_off_the_loop_suspends_the_rule():
    clock = SteppingClock(step=0.0)
    matcher = service.RegexMatcher(
        [r"(a+)+$"], budget_ms=30, suspend_seconds=30, clock=clock, stats=service.RegexStats()
    )
    hostile = "a" * 5000 + "!"
    assert matcher.search(hostile) is None
    deferred = matcher.take_deferred()
    assert deferred is not None
    result = matcher.search_off_loop(*deferred)
    assert result.timed_out == 0 and result.matched is None
    assert matcher.settle(result, len(hostile)) is None
    assert matcher.timeouts == 1 and matcher.suspended_until == 1000.0 + 30
    assert matcher.search(hostile) is None and matcher.take_deferred() is None  # suspended: not even inline


def test_a_deferred_search_is_dropped_when_another_rule_caught_the_message():
    ruleset = service.compile_rules(
        Config.model_validate(
            {
                "regex": {"enabled": True, "patterns": [r"(a+)+$"]},
                "words": {"enabled": True, "words": ["darn"]},
                "zalgo": {"enabled": False},
            }
        )
    )
    hit = ruleset.check_content("darn " + "a" * 5000 + "!", 0, 1, ())
    assert hit is not None and hit.rule == "words"
    assert ruleset.deferred_regex(hit) is None
    assert ruleset.regex is not None and not ruleset.regex.in_flight
    hit = ruleset.check_content("a" * 5000 + "!", 0, 1, ())
    deferred = ruleset.deferred_regex(hit)
    assert hit is None and deferred is not None
    assert ruleset.regex is not None
    found, over = ruleset.finish_regex(ruleset.regex.search_off_loop(*deferred), 5001)
    assert found is None and not over and ruleset.regex.timeouts == 1
    assert ruleset.meter.spent >= 0.04  # the worker's time is charged to the guild


def test_a_config_change_during_an_off_loop_search_does_not_block_the_new_rule():
    base = {"regex": {"enabled": True, "patterns": [r"(a+)+$", "needle"]}, "regex_timeout_ms": 30}
    first = service.compile_rules(Config.model_validate(base))
    assert first.check_content("a" * 5000 + "!", 0, 1, ()) is None
    deferred = first.deferred_regex(None)
    assert deferred is not None and first.regex is not None and first.regex.in_flight
    second = service.compile_rules(Config.model_validate({**base, "caps": {"enabled": True}}))
    second.carry_over(first)
    assert second.regex is not None and not second.regex.in_flight
    hit = second.check_content("a needle", 0, 1, ())
    assert hit is not None and hit.rule == "regex"
    first.finish_regex(first.regex.search_off_loop(*deferred), 5001)  # settles on the matcher that started it
    assert not first.regex.in_flight


# --------------------------------------------------------------------------- per-guild time budget
def test_meter_trips_once_over_budget_and_starts_a_new_window():
    meter = service.CostMeter(budget=0.1, window=10.0)
    assert not meter.charge(0.06, now=1.0)
    assert meter.charge(0.06, now=2.0)  # 120 ms in the window: over
    assert not meter.charge(0.5, now=3.0)  # already being recorded: reported once
    meter.recording = False
    assert not meter.charge(0.05, now=11.5)  # a new window
    assert meter.spent == pytest.approx(0.05)


def test_meter_follows_the_pause_in_the_config():
    meter = service.CostMeter()
    wall = 1_000_000.0
    meter.sync_pause(datetime.fromtimestamp(wall + 30, UTC), now=50.0, wall_now=wall)
    assert meter.paused_until == pytest.approx(80.0)
    meter.sync_pause(None, now=60.0, wall_now=wall + 10)  # cleared from the dashboard: resumes
    assert meter.paused_until == 0.0
    meter.sync_pause(datetime.fromtimestamp(wall - 5, UTC), now=60.0, wall_now=wall)  # a past pause
    assert meter.paused_until == 0.0
    meter.pause(600, now=100.0)
    meter.recording = True
    meter.sync_pause(None, now=101.0, wall_now=wall)  # a reload before the pause is written keeps it
    assert meter.paused_until == 700.0


def slow_ruleset(cost: float, *, budget: float) -> service.Ruleset:
    """A ruleset whose one text rule takes `cost` seconds per message (what a hostile config costs)."""

    def slow(_content: str, _mentions: int) -> str | None:
        end = time.perf_counter() + cost
        while time.perf_counter() < end:
            pass
        return "slow"

    info = service.RuleInfo("regex", service.Action.DELETE, 0)
    ruleset = service.Ruleset(checks=((info, slow),))
    ruleset.meter = service.CostMeter(budget=budget, window=10.0)
    return ruleset


def test_a_guild_over_its_budget_is_paused_and_costs_nothing_afterwards():
    ruleset = slow_ruleset(0.004, budget=0.02)
    outcomes = []
    while not (outcomes and outcomes[-1][1]):  # about 6 messages of 4 ms go over 20 ms
        outcomes.append(ruleset.check_metered("x", 0, 1, ()))
        assert len(outcomes) <= 6
    assert len(outcomes) >= 2  # one message alone is within the budget
    assert all(hit is not None and hit.rule == "regex" for hit, _over in outcomes)
    assert ruleset.meter.spent_at_pause > 0.02
    spent, budget, window = service.guild_share_used_at_trip(ruleset.meter)
    assert spent >= 20 and budget == 20 and window == 10
    started = time.perf_counter()
    for _ in range(1000):
        assert ruleset.check_metered("x", 0, 1, ()) == (None, False)  # paused: the rules are skipped
    assert time.perf_counter() - started < 0.05


def test_pause_in_the_config_skips_the_text_rules_and_clearing_it_resumes():
    words = {"words": {"enabled": True, "words": ["darn"]}}
    until = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    paused = service.compile_rules(Config.model_validate({**words, "paused_until": until}))
    assert paused.check_metered("darn", 0, 1, ()) == (None, False)
    resumed = service.compile_rules(Config.model_validate(words))
    resumed.carry_over(paused)
    assert resumed.meter is paused.meter  # the budget window survives a config change
    hit, over = resumed.check_metered("darn", 0, 1, ())
    assert hit is not None and hit.rule == "words" and not over
    expired = service.compile_rules(
        Config.model_validate({**words, "paused_until": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()})
    )
    assert expired.check_metered("darn", 0, 1, ())[0] is not None


def test_clean_guilds_stay_far_below_their_budget():
    ruleset = service.compile_rules(
        Config.model_validate(
            {
                "words": {"enabled": True, "words": [f"badword{i}" for i in range(500)]},
                "regex": {"enabled": True, "patterns": [r"free\s+nitro", r"steam\s*gift"]},
                "caps": {"enabled": True},
            }
        )
    )
    for _ in range(1000):  # a busy guild's 10 seconds
        hit, over = ruleset.check_metered("Hey everyone, did you see the new update? It looks great", 0, 1, ())
        assert hit is None and not over
    assert ruleset.meter.spent < ruleset.meter.budget / 2


def test_notices_go_to_the_automod_log_channel_else_the_modlog():
    assert service.log_channel(5, 7) == 5
    assert service.log_channel(None, 7) == 7
    assert service.log_channel(None, None) is None
