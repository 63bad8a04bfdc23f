"""The permission rules as plain values: which refusal a command gets, and how chat changes edit a rule."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from wolaro.core.command_access import CommandRule, Invocation, channel_chain, enforce, refusal_for, with_rule
from wolaro.core.errors import UserFacingError
from wolaro.core.registry import discover_specs
from wolaro.modules.permissions import service

ROLE_MOD, ROLE_MUTED, CHAN_GENERAL, CHAN_STAFF, CATEGORY = 11, 12, 21, 22, 30


def run(command: str = "warn", module: str = "moderation", roles=(ROLE_MOD,), channels=(CHAN_GENERAL, CATEGORY)):
    return Invocation(module=module, command=command, role_ids=frozenset(roles), channel_ids=tuple(channels))


def test_no_rule_allows_everything():
    assert refusal_for({}, run()) is None


def test_a_switched_off_command_and_module_are_refused_with_their_name():
    refusal = refusal_for({"warn": {"enabled": False}}, run())
    assert refusal is not None and refusal.fields == {"command": "warn"} and "switched off" in refusal.msgid
    refusal = refusal_for({"module:moderation": {"enabled": False}}, run("kick"))
    assert refusal is not None and refusal.fields == {"module": "moderation"}


def test_channel_rules_match_the_channel_or_its_category():
    assert refusal_for({"warn": {"denied_channels": [CHAN_GENERAL]}}, run()).msgid.endswith("in this channel.")
    assert refusal_for({"warn": {"denied_channels": [CATEGORY]}}, run()) is not None
    only_staff = {"warn": {"allowed_channels": [CHAN_STAFF]}}
    refusal = refusal_for(only_staff, run())
    assert refusal is not None and refusal.fields["channels"] == f"<#{CHAN_STAFF}>"
    assert refusal_for(only_staff, run(channels=(CHAN_STAFF,))) is None


def test_role_rules_deny_first_then_require_one_allowed_role():
    refusal = refusal_for({"warn": {"denied_roles": [ROLE_MUTED]}}, run(roles=(ROLE_MOD, ROLE_MUTED)))
    assert refusal is not None and refusal.fields["role"] == f"<@&{ROLE_MUTED}>"
    only_mods = {"warn": {"allowed_roles": [ROLE_MOD]}}
    assert refusal_for(only_mods, run()) is None
    assert refusal_for(only_mods, run(roles=())).fields["roles"] == f"<@&{ROLE_MOD}>"


def test_a_group_rule_covers_its_subcommands_and_the_most_specific_rule_is_read_first():
    rules = {"modlogs": {"enabled": False}, "module:moderation": {"denied_roles": [ROLE_MOD]}}
    assert refusal_for(rules, run("modlogs export")).fields == {"command": "modlogs"}
    assert refusal_for(rules, run("kick")).fields["role"] == f"<@&{ROLE_MOD}>"


def test_settings_commands_can_never_be_restricted():
    assert refusal_for({"module:core": {"enabled": False}, "config": {"enabled": False}}, run("config", "core")) is None


def test_a_rule_that_restricts_nothing_is_not_stored():
    rules = with_rule({}, "warn", CommandRule(enabled=False))
    assert rules == {"warn": CommandRule(enabled=False).model_dump(mode="json")}
    assert with_rule(rules, "warn", CommandRule()) == {}


def test_chat_changes_move_an_id_between_allowed_and_denied():
    rule = service.changed_rule(CommandRule(), "allow", role=ROLE_MOD)
    assert rule.allowed_roles == [ROLE_MOD]
    rule = service.changed_rule(rule, "deny", role=ROLE_MOD, channel=CHAN_GENERAL)
    assert rule.allowed_roles == [] and rule.denied_roles == [ROLE_MOD] and rule.denied_channels == [CHAN_GENERAL]
    assert not service.changed_rule(rule, "off").enabled
    assert service.changed_rule(rule, "reset") == CommandRule()
    with pytest.raises(UserFacingError):
        service.changed_rule(rule, "allow")


def test_targets_are_commands_then_modules_and_settings_commands_are_refused():
    specs = discover_specs()
    assert service.resolve_target(specs, "Warn") == "warn"
    assert service.resolve_target(specs, "/modlogs") == "modlogs"
    assert service.resolve_target(specs, "moderation") == "module:moderation"
    assert service.resolve_target(specs, "module:utility") == "module:utility"
    for refused in ("config set", "core", "permissions"):
        with pytest.raises(UserFacingError):
            service.resolve_target(specs, refused)
    with pytest.raises(UserFacingError):
        service.resolve_target(specs, "nothing-like-this")


def test_every_enabled_modules_commands_are_listed_generically():
    specs = discover_specs()
    listing = service.restrictable(specs, specs)
    assert "core" not in listing and "permissions" not in listing
    names = {info.name for info in listing["moderation"]}
    assert {"warn", "ban", "purge"} <= names
    assert all(info.help for infos in listing.values() for info in infos)


class _Channel:
    def __init__(self, id, parent=None, category_id=None):
        self.id, self.parent, self.category_id, self.parent_id = id, parent, category_id, None


def test_channel_chain_walks_thread_channel_and_category():
    channel = _Channel(CHAN_GENERAL, category_id=CATEGORY)
    thread = _Channel(99, parent=channel)
    assert channel_chain(thread) == (99, CHAN_GENERAL, CATEGORY)


class _Untouchable:
    """A member or channel the gate must not read when the server has no rule."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"read {name} although the server has no rule")


def _ctx(author: object, channel: object) -> object:
    return SimpleNamespace(
        command=SimpleNamespace(qualified_name="ping"), guild=SimpleNamespace(id=1), author=author, channel=channel
    )


def test_enforce_reads_nothing_of_the_member_when_the_server_has_no_rule():
    enforce(_ctx(_Untouchable(), _Untouchable()), {}, "utility")  # type: ignore[arg-type]
    enforce(_ctx(_Untouchable(), _Untouchable()), {"permissions": {"rules": {}}}, "utility")  # type: ignore[arg-type]


def test_enforce_refuses_by_the_stored_rules():
    rules = {"permissions": {"rules": {"ping": {"enabled": False}}}}
    member = SimpleNamespace(roles=[])
    channel = SimpleNamespace(id=5, parent_id=None, category_id=None, parent=None, category=None)
    with pytest.raises(UserFacingError):
        enforce(_ctx(member, channel), rules, "utility")  # type: ignore[arg-type]
    enforce(_ctx(_Untouchable(), _Untouchable()), rules, "core")  # type: ignore[arg-type]  # never restricted
