"""How cases look: channel cases name the channel, details (purge, slowmode, nickname) become embed fields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from wolaro.modules.moderation.cases import CaseView
from wolaro.modules.moderation.modlog import action_label, case_embed, detail_fields, filters_text, target_text
from wolaro.modules.moderation.rules import CHANNEL_ACTIONS, RECORD_ONLY_ACTIONS, Action, TargetKind, target_kind


def t(message: str, **fields: Any) -> str:
    return message.format(**fields) if fields else message


def case(action: Action, details: dict[str, Any] | None = None, reason: str | None = None) -> CaseView:
    return CaseView(
        guild_id=1,
        number=7,
        action=action,
        target_id=42,
        moderator_id=5,
        reason=reason,
        duration_seconds=None,
        expires_at=None,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        active=False,
        automated=False,
        target_kind=target_kind(action),
        details=details,
    )


@pytest.mark.parametrize("action", list(Action))
def test_every_action_targets_a_channel_or_a_member(action):
    on_channel = action in {Action.PURGE, Action.SLOWMODE, Action.LOCK, Action.UNLOCK}
    expected = TargetKind.CHANNEL if on_channel else TargetKind.MEMBER
    assert target_kind(action) is expected
    embed = case_embed(case(action), t)  # every action has a label and a colour
    assert embed.title.startswith("Case #7 | ")


def test_channel_actions_are_recorded_by_their_commands_only():
    assert CHANNEL_ACTIONS < RECORD_ONLY_ACTIONS and Action.NICK in RECORD_ONLY_ACTIONS
    assert Action.BAN not in RECORD_ONLY_ACTIONS


def test_a_channel_case_names_the_channel():
    purge = case(Action.PURGE, {"deleted": 3, "filters": {"user": 9, "bots": False, "contains": "x"}})
    assert target_text(purge) == "<#42> (`42`)"
    fields = {f.name: f.value for f in case_embed(purge, t).fields}
    assert fields["Channel"] == "<#42> (`42`)" and "User" not in fields
    assert (fields["Deleted"], fields["Filters"]) == ("3", 'user: <@9>, contains: "x"')
    assert target_text(case(Action.NICK)) == "<@42> (`42`)"


def test_details_become_fields():
    assert detail_fields(case(Action.PURGE, {"deleted": 0, "filters": {}}), t) == [("Deleted", "0")]
    assert detail_fields(case(Action.SLOWMODE, {"delay_seconds": 90}), t) == [("Delay", "1m 30s")]
    assert detail_fields(case(Action.SLOWMODE, {"delay_seconds": 0}), t) == [("Delay", "No slowmode")]
    assert detail_fields(case(Action.NICK, {"before": "a", "after": None}), t) == [("Before", "a"), ("Nickname", "-")]
    assert detail_fields(case(Action.LOCK), t) == []
    assert filters_text({"bots": True, "attachments": True}) == "bots, attachments"
    assert filters_text({"user": None, "bots": False}) == ""


def test_a_nickname_reset_reads_as_one():
    assert action_label(case(Action.NICK, {"before": "a", "after": None}), t) == "Nickname reset"
    assert action_label(case(Action.NICK, {"before": None, "after": "b"}), t) == "Nickname changed"
