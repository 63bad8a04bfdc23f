import pytest

from wolaro.modules.admin.service import format_uptime, gateway_latency_ms, parse_guild_id
from wolaro.modules.core.help import CommandHelp, help_sections
from wolaro.modules.utility.service import latency_ms


def test_help_lists_only_enabled_visible_modules_sorted():
    entries = [
        CommandHelp("utility", "ping", "", "Ping."),
        CommandHelp("utility", "avatar", "[user]", "Avatar."),
        CommandHelp("fun", "joke", "", "Joke."),
        CommandHelp("admin", "admin", "", "Admin."),
    ]
    sections = help_sections(entries, frozenset({"utility", "admin"}), hidden=frozenset({"admin"}))
    assert list(sections) == ["utility"]
    assert [e.name for e in sections["utility"]] == ["avatar", "ping"]


def test_latency_before_first_heartbeat():
    assert latency_ms(float("inf")) == -1
    assert latency_ms(float("nan")) == -1
    assert latency_ms(0.0421) == 42
    assert [gateway_latency_ms(value) for value in (float("inf"), float("nan"), 0.0421)] == [-1, -1, 42]


def test_uptime_format():
    assert format_uptime(59) == "0m"
    assert format_uptime(3 * 86400 + 4 * 3600 + 5 * 60) == "3d 4h 5m"


@pytest.mark.parametrize("raw", ["abc", "12", "1" * 30, "-123456789012345678"])
def test_guild_id_parsing_refuses_garbage(raw):
    with pytest.raises(ValueError):
        parse_guild_id(raw)


def test_guild_id_parsing():
    assert parse_guild_id(" 123456789012345678 ") == 123456789012345678
