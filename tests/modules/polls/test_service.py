"""Poll rules as plain values: options, role weights, tallies, standings, custom ids, and the chart."""

from __future__ import annotations

import pytest

from wolaro.modules.polls import chart, service
from wolaro.modules.polls.service import PollError, Problem


def test_options_are_read_trimmed_and_bounded():
    assert service.parse_options(" apple |pear\n  plum ", maximum=10, length=55) == ["apple", "pear", "plum"]
    cases = [
        ("only one", Problem.TOO_FEW),
        (" | ".join(str(n) for n in range(11)), Problem.TOO_MANY),
        ("a | " + "b" * 56, Problem.TOO_LONG),
        ("Tea | tea", Problem.DUPLICATE),
    ]
    for text, problem in cases:
        with pytest.raises(PollError) as error:
            service.parse_options(text, maximum=10, length=55)
        assert error.value.problem is problem


def test_role_weights():
    role, other = "123456789012345678", "223456789012345678"
    assert service.parse_weights(None) == {}
    assert service.parse_weights(f"<@&{role}>=3, <@&{other}> x 2") == {role: 3, other: 2}
    for bad in ("Moderators=3", f"<@&{role}>=0", f"<@&{role}>=101", f"<@&{role}>"):
        with pytest.raises(PollError):
            service.parse_weights(bad)
    weights = {role: 3, other: 2}
    assert service.weight_of([int(role), int(other)], weights) == 3
    assert service.weight_of([5], weights) == 1


def test_tallies_standings_and_custom_ids():
    assert service.tally(3, [(0, 1), (2, 3), (2, 1), (7, 1)]) == [1, 0, 4]
    ranked = service.standings(["a", "b", "c"], [1, 4, 4])
    assert [(s.option, s.votes) for s in ranked] == [("b", 4), ("c", 4), ("a", 1)]
    assert service.parse_vote_custom_id(service.vote_custom_id(12, 3)) == (12, 3)
    assert service.parse_vote_custom_id("polls:vote:12") is None
    assert service.parse_vote_custom_id("giveaways:enter:12") is None
    assert service.bar(0.5, width=4) == "██░░"


def test_the_chart_is_a_png():
    image = chart.draw("Best fruit?", ["apple", "pear"], [2, 5], "Votes")
    assert image.startswith(b"\x89PNG")
