"""Automod's rules as pure functions: every rule, exemptions, severity, the regex time bound, the counters."""

from __future__ import annotations

import string
import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from wolaro.core.config_service import config_error_from
from wolaro.modules.automod import service
from wolaro.modules.automod.config import Action, Config

pytestmark = pytest.mark.serial  # timed (CPU budgets): run alone (scripts/test.sh)

WORD_CHARS = string.ascii_letters + string.digits


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def rules(**overrides) -> service.Ruleset:
    return service.compile_rules(Config.model_validate(overrides))


def only(**overrides) -> service.Ruleset:
    """Every rule off except those given."""
    off = {name: {"enabled": False} for name in ("spam", "duplicates", "mentions", "invites", "zalgo")}
    return rules(**{**off, **overrides})


# --------------------------------------------------------------------------- mentions
def test_mass_mentions_catch_above_the_limit_only():
    assert service.too_many_mentions(5, 5) is None
    assert service.too_many_mentions(6, 5) == "6 mentions"
    ruleset = only(mentions={"enabled": True, "max_mentions": 3, "action": "kick"})
    assert ruleset.check_content("hi", 3, 1, ()) is None
    hit = ruleset.check_content("hi", 4, 1, ())
    assert hit == service.Hit("mentions", Action.KICK, "4 mentions", 600)


# --------------------------------------------------------------------------- invites
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("join discord.gg/abc123 now", "abc123"),
        ("https://discord.gg/Cool-Server", "Cool-Server"),
        ("DISCORD.GG/shout", "shout"),
        ("http://www.discord.com/invite/xyz", "xyz"),
        ("discordapp.com/invite/old", "old"),
        ("<https://discord.gg/hidden>", "hidden"),
        ("discord.io/vanity", "vanity"),
        ("dsc.gg/short", "short"),
    ],
)
def test_invites_are_found(text, code):
    assert service.find_invite(text) == code


@pytest.mark.parametrize(
    "text",
    ["discord is great", "see discord.com/channels/1/2", "https://example.gg/abc", "my discord.gg", ""],
)
def test_non_invites_are_ignored(text):
    assert service.find_invite(text) is None


def test_allowed_invite_codes_pass():
    assert service.find_invite("discord.gg/ours and discord.gg/theirs", {"ours"}) == "theirs"
    ruleset = only(invites={"enabled": True, "allowed_codes": ["Ours"]})
    assert ruleset.check_content("come to discord.gg/Ours", 0, 1, ()) is None
    assert ruleset.check_content("come to discord.gg/ours", 0, 1, ()) is None
    assert ruleset.check_content("come to discord.gg/spam", 0, 1, ()).rule == "invites"


@given(st.text(alphabet=st.characters(blacklist_characters="/"), max_size=200))
def test_no_slash_means_no_invite(text):
    assert service.find_invite(text) is None


# --------------------------------------------------------------------------- links
def test_link_hosts_strip_credentials_ports_and_case():
    text = "a https://User:pw@Example.COM:8080/x?y and http://sub.evil.org/ and <https://t.co/z>"
    assert service.link_hosts(text) == ["example.com", "sub.evil.org", "t.co"]
    assert service.link_hosts("no links here, just example.com") == []


def test_deny_list_catches_listed_domains_and_subdomains():
    domains = frozenset({"evil.com"})
    assert service.find_bad_link("https://evil.com/a", domains, mode="deny") == "evil.com"
    assert service.find_bad_link("https://cdn.evil.com/a", domains, mode="deny") == "cdn.evil.com"
    assert service.find_bad_link("https://notevil.com/a", domains, mode="deny") is None
    assert service.find_bad_link("https://evil.com.example.org/", domains, mode="deny") is None


def test_allow_list_catches_everything_else():
    domains = frozenset({"youtube.com", "github.com"})
    assert service.find_bad_link("https://www.youtube.com/watch", domains, mode="allow") is None
    assert service.find_bad_link("ok https://github.com then https://bad.example", domains, mode="allow") == (
        "bad.example"
    )


def test_link_rule_config_normalises_domains():
    ruleset = only(links={"enabled": True, "mode": "deny", "domains": ["HTTPS://Evil.com/path", "spam.net."]})
    assert ruleset.check_content("see http://www.evil.com", 0, 1, ()).detail == "www.evil.com"
    assert ruleset.check_content("see http://spam.net/x", 0, 1, ()).rule == "links"
    with pytest.raises(ValidationError):
        Config.model_validate({"links": {"domains": ["not a domain"]}})


_LABEL = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=12)


@given(st.lists(_LABEL, min_size=2, max_size=4), st.text(alphabet=WORD_CHARS + "/-_", max_size=20))
def test_any_generated_link_host_is_found(labels, path):
    host = ".".join(labels)
    assert service.link_hosts(f"look: https://{host}/{path} ok") == [host]
    assert service.domain_listed(host, {host})
    assert service.domain_listed("www." + host, {host})


# --------------------------------------------------------------------------- banned words
def test_banned_words_are_whole_words_and_case_insensitive():
    pattern = service.word_pattern(["darn", "f*ck", "Two words"])
    assert service.find_word("well DARN it", pattern) == "darn"  # the word as configured
    assert service.find_word("darn.", pattern) == "darn"
    assert service.find_word("darnation and undarned", pattern) is None
    assert service.find_word("what the f*ck", pattern) == "f*ck"
    assert service.find_word("what the f*cking", pattern) is None
    assert service.find_word("say two  words", pattern) is None
    assert service.find_word("say two WORDS!", pattern) == "Two words"
    assert service.word_pattern([]) is None
    assert service.find_word("anything", None) is None


@given(
    st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=10),
    st.text(alphabet=" .,!?;:()", min_size=1, max_size=3),
    st.text(alphabet=WORD_CHARS, min_size=1, max_size=5),
    st.booleans(),
)
def test_words_match_alone_but_never_inside_another_word(word, separator, glue, upper):
    pattern = service.word_pattern([word])
    shown = word.upper() if upper else word
    assert service.find_word(f"x{separator}{shown}{separator}y", pattern) is not None
    assert service.find_word(f"{glue}{shown}", pattern) is None
    assert service.find_word(f"{shown}{glue}", pattern) is None


def test_word_rule_rejects_empty_words():
    with pytest.raises(ValidationError):
        Config.model_validate({"words": {"words": ["ok", "  "]}})


# --------------------------------------------------------------------------- caps
def test_caps_need_enough_letters_and_a_high_ratio():
    assert service.too_many_caps("HELLO", min_letters=10, max_ratio=0.7) is None
    assert service.too_many_caps("HELLO EVERYONE", min_letters=10, max_ratio=0.7) == "100% capitals"
    assert service.too_many_caps("Hello Everyone Here", min_letters=10, max_ratio=0.7) is None
    assert service.too_many_caps("12345678901234567890 !!!", min_letters=10, max_ratio=0.7) is None
    assert service.too_many_caps("ÉNORME PROBLÈME ICI", min_letters=10, max_ratio=0.7) == "100% capitals"


@given(st.text(max_size=300))
def test_caps_ratio_fast_path_agrees_with_unicode_counting(text):
    letters, ratio = service.caps_ratio(text)
    expected_letters = sum(c.isalpha() for c in text)
    expected_upper = sum(c.isupper() for c in text)
    assert letters == expected_letters
    assert ratio == pytest.approx(expected_upper / expected_letters if expected_letters else 0.0)


@given(st.text(max_size=300))
def test_lowercase_text_is_never_caps(text):
    assert service.too_many_caps(text.lower(), min_letters=1, max_ratio=0.01) is None or any(
        c.isupper() for c in text.lower()
    )


# --------------------------------------------------------------------------- zalgo
def test_zalgo_catches_stacked_marks_only():
    pattern = service.zalgo_pattern(3)
    assert service.find_zalgo("h\u0301\u0302\u0303\u0304ello", pattern) == "4 stacked marks"
    assert service.find_zalgo("h\u0301\u0302\u0303ello", pattern) is None
    assert service.find_zalgo("café naïve Tiếng Việt", pattern) is None
    assert service.find_zalgo(unicodedata.normalize("NFD", "Tiếng Việt"), pattern) is None


@given(st.text(alphabet=st.characters(categories=["L", "N", "P", "Zs"]), max_size=200))
def test_text_without_combining_marks_is_never_zalgo(text):
    assert service.find_zalgo(text, service.zalgo_pattern(1)) is None


# --------------------------------------------------------------------------- regex rule
def test_regex_rule_matches_and_reports_the_pattern():
    ruleset = only(regex={"enabled": True, "patterns": [r"free\s+nitro", r"(?i)steam\s*gift"]})
    assert ruleset.check_content("get FREE nitro", 0, 1, ()) is None  # case-sensitive unless the pattern says
    assert ruleset.check_content("get free   nitro", 0, 1, ()).detail == r"free\s+nitro"
    assert ruleset.check_content("a STEAMGIFT for you", 0, 1, ()).rule == "regex"


def test_bad_patterns_are_refused_with_their_field():
    with pytest.raises(ValidationError) as caught:
        Config.model_validate({"regex": {"patterns": ["ok", "(unclosed"]}})
    error = config_error_from(caught.value)
    assert error.field == "regex.patterns.1"  # shown at the pattern itself, counted from 1 for people
    assert error.message == "Pattern 2 is not a valid regular expression."
    with pytest.raises(ValidationError):
        Config.model_validate({"regex": {"patterns": ["x" * 301]}})


def test_catastrophic_pattern_is_bounded_counted_and_suspends_the_rule():
    clock = FakeClock()
    totals = service.RegexStats()
    matcher = service.RegexMatcher(
        [r"(a+)+$", r"needle"], budget_ms=50, suspend_seconds=60, clock=clock, stats=totals, inline_ms=50
    )
    hostile = "a" * 5000 + "!"
    started = time.perf_counter()
    assert matcher.search(hostile) is None  # a timeout is "no match"
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5, f"one message took {elapsed * 1000:.0f} ms with a 50 ms budget"
    assert matcher.timeouts == 1 and totals.timeouts == 1
    assert matcher.stats.skipped == 1  # the pattern after it was not tried

    started = time.perf_counter()
    for _ in range(100):  # suspended: no search at all, whatever the traffic
        assert matcher.search(hostile + " needle") is None
    assert time.perf_counter() - started < 0.05
    assert matcher.stats.skipped == 1 + 200 and totals.timeouts == 1

    clock.now += 61
    assert matcher.search("just a needle") == "needle"  # back after the suspension
    assert matcher.search(hostile) is None
    assert totals.timeouts == 2


def test_regex_budget_is_shared_by_the_patterns_of_one_message():
    matcher = service.RegexMatcher(
        [r"(b|bb)+$", r"x(a|aa)+$", r"(a+)+$", r"(a|aa)+$"],
        budget_ms=30,
        suspend_seconds=1,
        stats=service.RegexStats(),
        inline_ms=30,
    )
    started = time.perf_counter()
    assert matcher.search("a" * 3000 + "!") is None
    assert time.perf_counter() - started < 0.3
    assert matcher.timeouts == 1


def test_regex_matcher_ignores_empty_text():
    assert service.RegexMatcher(["x*"], budget_ms=10, suspend_seconds=1).search("") is None


# --------------------------------------------------------------------------- counting rules
def test_duplicates_count_same_text_within_the_window():
    clock = FakeClock()
    tracker = service.DuplicateTracker(clock=clock)
    assert [tracker.hit(1, 7, "Buy  NOW", 30) for _ in range(3)] == [1, 2, 3]
    assert tracker.hit(1, 7, "buy now", 30) == 4  # case and spacing do not make it new
    assert tracker.hit(1, 7, "something else", 30) == 1
    assert tracker.hit(2, 7, "buy now", 30) == 1  # another guild
    assert tracker.hit(1, 8, "buy now", 30) == 1  # another member
    clock.now += 31
    assert tracker.hit(1, 7, "buy now", 30) == 1
    tracker.forget(1, 7)
    assert tracker.hit(1, 7, "buy now", 30) == 1


def test_duplicate_tracker_is_bounded():
    tracker = service.DuplicateTracker(max_members=100)
    for user in range(1000):
        tracker.hit(1, user, "hi", 30)
    assert len(tracker) == 100


def test_count_rules_catch_above_the_limit():
    ruleset = rules(spam={"max_messages": 5, "per_seconds": 5})
    assert ruleset.spam is not None
    assert service.count_hit(ruleset.spam, 5, "messages") is None
    hit = service.count_hit(ruleset.spam, 6, "messages")
    assert hit == service.Hit("spam", Action.TIMEOUT, "6 messages in 5 s", 600)
    assert service.spam_key(1, 2) == "automod:spam:1:2"


# --------------------------------------------------------------------------- the ruleset
def test_defaults_catch_spam_mentions_invites_zalgo_and_let_clean_text_through():
    ruleset = rules()
    assert ruleset.spam is not None and ruleset.duplicates is not None
    assert [info.name for info, _ in ruleset.checks] == ["mentions", "invites", "zalgo"]
    assert ruleset.check_content("Hello there, how are you? https://example.com", 2, 1, ()) is None
    assert ruleset.exempt_manage_messages


def test_disabled_everything_is_empty():
    ruleset = only()
    assert ruleset.empty
    assert ruleset.check_content("discord.gg/x", 50, 1, ()) is None


def test_global_and_per_rule_exemptions():
    ruleset = rules(
        exempt_roles=[100],
        exempt_channels=[200],
        invites={"enabled": True, "exempt_channels": [300], "exempt_roles": [400]},
    )
    assert ruleset.exempt(200, ())
    assert ruleset.exempt(1, [5, 100])
    assert not ruleset.exempt(1, [5])
    assert ruleset.check_content("discord.gg/x", 0, 300, ()) is None
    assert ruleset.check_content("discord.gg/x", 0, 1, [400]) is None
    assert ruleset.check_content("discord.gg/x", 0, 1, [401]).rule == "invites"


def test_the_most_severe_hit_wins():
    ruleset = rules(
        invites={"enabled": True, "action": "warn"},
        mentions={"enabled": True, "action": "ban", "max_mentions": 1},
    )
    hit = ruleset.check_content("discord.gg/x", 9, 1, ())
    assert hit.rule == "mentions" and hit.action is Action.BAN
    warn = service.Hit("a", Action.WARN, "")
    assert service.most_severe(None, warn) is warn
    assert service.most_severe(warn, None) is warn
    assert service.most_severe(warn, service.Hit("b", Action.WARN, "")) is warn


@settings(max_examples=200)
@given(st.text(alphabet=string.ascii_letters + " ,.'?!", max_size=300))
def test_plain_chat_is_clean_under_the_defaults(text):
    assert rules().check_content(text, 0, 1, ()) is None
