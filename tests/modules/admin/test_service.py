import pytest

from wolaro.modules.admin.service import format_uptime, parse_guild_id


def test_uptime_format():
    assert format_uptime(59) == "0m"
    assert format_uptime(3 * 86400 + 4 * 3600 + 5 * 60) == "3d 4h 5m"


@pytest.mark.parametrize("raw", ["abc", "12", "1" * 30, "-123456789012345678"])
def test_guild_id_parsing_refuses_garbage(raw):
    with pytest.raises(ValueError):
        parse_guild_id(raw)


def test_guild_id_parsing():
    assert parse_guild_id(" 123456789012345678 ") == 123456789012345678
