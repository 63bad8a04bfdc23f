"""Leveling's plain functions: curves, eligibility, multipliers, rewards, templates, the buffer and CSV files."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from wolaro.modules.leveling import csvio
from wolaro.modules.leveling.buffer import AnnounceBudget, Cooldowns, XpBuffer, awards
from wolaro.modules.leveling.card import CardData, render_card
from wolaro.modules.leveling.config import Config, RoleReward
from wolaro.modules.leveling.curves import CurveSpec, level_for_xp, progress, thresholds, total_for_level, xp_to_next
from wolaro.modules.leveling.rules import (
    Rules,
    multiplier,
    render_announcement,
    reward_roles,
    role_changes,
    roll_xp,
    voice_eligible,
)

MEE6 = CurveSpec()


def test_mee6_curve_matches_its_formula() -> None:
    assert [xp_to_next(level, MEE6) for level in range(4)] == [100, 155, 220, 295]
    assert thresholds(MEE6)[:4] == (0, 100, 255, 475)
    assert level_for_xp(0, MEE6) == 0
    assert level_for_xp(99, MEE6) == 0
    assert level_for_xp(100, MEE6) == 1
    assert level_for_xp(254, MEE6) == 1
    assert level_for_xp(255, MEE6) == 2
    assert progress(300, MEE6).level == 2 and progress(300, MEE6).into_level == 45
    assert progress(300, MEE6).needed == 220


def test_linear_exponential_multiplier_and_max_level() -> None:
    linear = CurveSpec(curve="linear", linear_base=50, linear_step=10)
    assert [xp_to_next(level, linear) for level in range(3)] == [50, 60, 70]
    steep = CurveSpec(curve="exponential", exponential_base=100, exponential_growth=2.0)
    assert [xp_to_next(level, steep) for level in range(3)] == [100, 200, 400]
    doubled = CurveSpec(multiplier=2.0)
    assert xp_to_next(0, doubled) == 200
    capped = CurveSpec(max_level=3)
    assert level_for_xp(10**9, capped) == 3
    assert progress(10**9, capped).needed == 0
    huge = CurveSpec(curve="exponential", exponential_growth=3.0, max_level=1000)
    assert 0 < level_for_xp(10**12, huge) < 1000  # no overflow: each level takes at most LEVEL_XP_CAP


def test_level_for_xp_is_monotonic_and_inverse_of_total_for_level() -> None:
    for level in range(0, 100, 7):
        total = total_for_level(level, MEE6)
        assert level_for_xp(total, MEE6) == level
        assert level_for_xp(total - 1, MEE6) == max(0, level - 1)


def rules(**changes: object) -> Rules:
    return Rules.of(Config(**changes))


def test_no_xp_channels_and_roles_and_multipliers() -> None:
    plain = rules()
    assert multiplier(plain, [1, None], []) == 1.0
    blocked = rules(no_xp_channel_ids=[5], no_xp_role_ids=[9])
    assert multiplier(blocked, [5], []) == 0
    assert multiplier(blocked, [6, 5], []) == 0  # the category has no XP
    assert multiplier(blocked, [6], [9]) == 0
    boosted = rules(
        channel_multipliers=[{"channel_id": 1, "multiplier": 2}, {"channel_id": 2, "multiplier": 3}],
        role_multipliers=[{"role_id": 7, "multiplier": 1.5}, {"role_id": 8, "multiplier": 0.5}],
    )
    assert multiplier(boosted, [1, 2], [7, 8]) == 3.0  # the channel's own boost wins; the best role boost counts
    assert multiplier(boosted, [3, 2], []) == 3.0  # the category's boost


def test_roll_xp_stays_in_range() -> None:
    r = rules(xp_min=15, xp_max=25)
    rng = random.Random(1)
    rolls = {roll_xp(r, 1.0, rng) for _ in range(500)}
    assert min(rolls) == 15 and max(rolls) == 25
    assert roll_xp(rules(xp_min=10, xp_max=10), 2.0) == 20


@pytest.mark.parametrize(
    ("state", "eligible"),
    [
        ({}, True),
        ({"self_mute": True}, False),
        ({"self_deaf": True}, False),
        ({"mute": True}, False),
        ({"deaf": True}, False),
        ({"in_afk_channel": True}, False),
        ({"other_humans": 0}, False),
    ],
)
def test_voice_eligibility(state: dict[str, object], eligible: bool) -> None:
    values = {
        "self_mute": False,
        "self_deaf": False,
        "mute": False,
        "deaf": False,
        "in_afk_channel": False,
        "other_humans": 1,
        **state,
    }
    assert voice_eligible(**values) is eligible  # type: ignore[arg-type]


def test_reward_roles_stack_or_keep_the_highest_and_demote() -> None:
    rewards = [RoleReward(level=5, role_id=50), RoleReward(level=10, role_id=100), RoleReward(level=20, role_id=200)]
    assert reward_roles(rewards, 4, stack=True) == set()
    assert reward_roles(rewards, 12, stack=True) == {50, 100}
    assert reward_roles(rewards, 12, stack=False) == {100}
    assert role_changes(rewards, 12, [1, 50], stack=False) == ({100}, {50})
    assert role_changes(rewards, 3, [1, 50, 100], stack=True) == (set(), {50, 100})  # demoted: both go
    assert role_changes(rewards, 20, [1], stack=True) == ({50, 100, 200}, set())


def test_announcement_template_substitutes_only_its_placeholders() -> None:
    text = render_announcement(
        "GG {user} -> {level} in {guild} {0} {user.__class__} {{level}} {__import__}",
        user="<@1>",
        level=7,
        guild="Cafe",
    )
    assert text == "GG <@1> -> 7 in Cafe {0} {user.__class__} {7} {__import__}"


def test_cooldowns_and_buffer() -> None:
    now = [0.0]
    cooldowns = Cooldowns(clock=lambda: now[0])
    assert cooldowns.ready((1, 2), 60)
    assert not cooldowns.ready((1, 2), 60)
    assert cooldowns.ready((1, 3), 60)
    now[0] = 61
    assert cooldowns.ready((1, 2), 60)
    assert cooldowns.prune() == 1  # (1, 3) expired
    buffer = XpBuffer()
    buffer.add((1, 2), 10, name="a", avatar=None, channel_id=5)
    buffer.add((1, 2), 15, name=None, avatar="h", channel_id=6)
    pending = buffer.drain()
    assert len(buffer) == 0
    (award,) = awards(pending)
    assert (award.xp, award.name, award.avatar) == (25, "a", "h")
    assert pending[(1, 2)].channel_id == 6
    buffer.add((1, 2), 1, name=None, avatar=None, channel_id=None)
    buffer.restore(pending)
    assert buffer.peek((1, 2)) == 26


def test_csv_import_reads_xp_or_levels_and_refuses_bad_files() -> None:
    assert csvio.parse_levels(b"user_id,xp\n123456789012345678,500\n", MEE6) == [(123456789012345678, 500)]
    assert csvio.parse_levels(b"\xef\xbb\xbfID,Level\n123,2\n\n", MEE6) == [(123, 255)]
    with pytest.raises(csvio.ImportProblem) as problem:
        csvio.parse_levels(b"user_id,xp\n123,lots\n", MEE6)
    assert problem.value.line == 2
    for bad in (b"", b"name,score\nx,1\n", b"\xff\xfe\x00", b"user_id,xp\n-5,10\n"):
        with pytest.raises(csvio.ImportProblem):
            csvio.parse_levels(bad, MEE6)
    exported = csvio.export_levels([(123, 300), (456, 100)], MEE6)
    assert exported == b"user_id,level,xp\n123,2,300\n456,1,100\n"
    assert csvio.parse_levels(exported, MEE6) == [(123, 300), (456, 100)]


def test_config_refuses_incoherent_settings() -> None:
    with pytest.raises(ValueError, match="smallest amount of XP"):
        Config(xp_min=30, xp_max=10)
    with pytest.raises(ValueError, match="channel for announcements"):
        Config(announce="channel")


def test_announcement_budget_per_server() -> None:
    now = [0.0]
    budget = AnnounceBudget(burst=2, window=10, clock=lambda: now[0])
    assert [budget.take(1), budget.take(1), budget.take(1), budget.take(2)] == [True, True, False, True]
    now[0] = 10
    assert budget.take(1)


def test_rank_card_draws_the_avatar_and_survives_a_bad_one() -> None:
    red = io.BytesIO()
    Image.new("RGB", (64, 64), (220, 20, 20)).save(red, format="PNG")
    with_avatar = render_card(CardData("Ada", 1, 3, 50, 295, 525, red.getvalue()))
    with Image.open(io.BytesIO(with_avatar)) as card:
        assert card.size == (934, 282)
        assert card.getpixel((141, 141)) == (220, 20, 20)  # the avatar's centre
    broken = render_card(CardData("x" * 80, 10**6, 1000, 0, 0, 10**15, b"not an image"))
    with Image.open(io.BytesIO(broken)) as card:
        assert card.getpixel((141, 141)) != (220, 20, 20)  # the initial on the accent colour instead
