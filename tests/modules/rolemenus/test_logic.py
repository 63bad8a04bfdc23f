"""Role menus' rules without Discord: modes, limits, gates, hierarchy, custom ids."""

from __future__ import annotations

import pytest

from wolaro.modules.rolemenus import logic
from wolaro.modules.rolemenus.logic import Decision, Mode, Rules

RED, BLUE, GREEN, OTHER = 11, 12, 13, 99


def rules(mode: Mode, **extra: object) -> Rules:
    return Rules(mode, (RED, BLUE, GREEN), **extra)  # type: ignore[arg-type]


def test_normal_toggles_and_counts_only_the_menus_roles_toward_its_limit() -> None:
    assert logic.click(rules(Mode.NORMAL), [], RED) == Decision(add=(RED,))
    assert logic.click(rules(Mode.NORMAL), [RED], RED) == Decision(remove=(RED,))
    limited = rules(Mode.NORMAL, max_roles=1)
    assert logic.click(limited, [RED, OTHER], BLUE).refusal == logic.LIMIT
    assert logic.click(limited, [OTHER], BLUE) == Decision(add=(BLUE,))
    assert logic.click(limited, [RED], RED) == Decision(remove=(RED,))  # dropping is always possible


def test_unique_swaps_verify_only_adds_drop_only_removes() -> None:
    assert logic.click(rules(Mode.UNIQUE), [RED, OTHER], BLUE) == Decision(add=(BLUE,), remove=(RED,))
    assert logic.click(rules(Mode.VERIFY), [], RED) == Decision(add=(RED,))
    assert logic.click(rules(Mode.VERIFY), [RED], RED).refusal == logic.ALREADY
    assert logic.click(rules(Mode.DROP), [RED], RED) == Decision(remove=(RED,))
    assert logic.click(rules(Mode.DROP), [], RED).refusal == logic.NOT_HELD


def test_reactions_taken_back_remove_only_in_normal_and_unique() -> None:
    for mode, expected in [(Mode.NORMAL, (RED,)), (Mode.UNIQUE, (RED,)), (Mode.VERIFY, ()), (Mode.DROP, ())]:
        assert logic.click(rules(mode), [RED], RED, reaction_removed=True).remove == expected


def test_required_and_blacklisted_roles_gate_every_mode() -> None:
    gated = rules(Mode.NORMAL, required_role=OTHER, blacklist_role=GREEN)
    assert logic.click(gated, [], RED).refusal == logic.NEED_ROLE
    assert logic.click(gated, [OTHER, GREEN], RED).refusal == logic.BLACKLISTED
    assert logic.pick(gated, [OTHER], [RED]) == Decision(add=(RED,))


def test_picks_set_the_menus_roles_as_the_mode_allows() -> None:
    assert logic.pick(rules(Mode.NORMAL), [RED], [BLUE, GREEN, OTHER]) == Decision(add=(BLUE, GREEN), remove=(RED,))
    assert logic.pick(rules(Mode.UNIQUE), [RED], [BLUE, GREEN]) == Decision(add=(BLUE,), remove=(RED,))
    assert logic.pick(rules(Mode.VERIFY), [RED], [BLUE]) == Decision(add=(BLUE,))
    assert logic.pick(rules(Mode.DROP), [RED, BLUE], [RED]) == Decision(remove=(RED,))
    assert logic.pick(rules(Mode.NORMAL, max_roles=1), [], [RED, BLUE]).refusal == logic.LIMIT


def test_hierarchy_names_the_first_role_the_bot_cannot_give() -> None:
    roles = {RED: {"position": 1}, BLUE: {"position": 5}, GREEN: {"position": 2, "managed": True}}
    assert logic.unreachable(roles, 3, [RED]) is None
    assert logic.unreachable(roles, 3, [RED, BLUE]) == (logic.ABOVE_BOT, {"role": f"<@&{BLUE}>"})
    assert logic.unreachable(roles, 3, [GREEN]) == (logic.MANAGED, {"role": f"<@&{GREEN}>"})
    assert logic.unreachable(roles, 3, [OTHER]) == (logic.GONE, {})
    assert logic.unreachable(roles, 1, [RED])[0] == logic.ABOVE_BOT  # same position: not below the bot
    assert logic.bot_top_position(roles, [RED, BLUE, OTHER]) == 5


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("rolemenu:4", (4, None)),
        ("rolemenu:4:11", (4, 11)),
        ("rolemenu:", None),
        ("rolemenu:x:1", None),
        ("rolemenu:1:2:3", None),
        ("giveaway:1", None),
        ("rolemenu:" + "9" * 30, None),
    ],
)
def test_custom_ids_round_trip_and_refuse_anything_else(value: str, parsed: object) -> None:
    assert logic.parse_custom_id(value) == parsed
    if parsed is not None:
        menu, role = parsed  # type: ignore[misc]
        assert logic.custom_id(menu, role) == value
