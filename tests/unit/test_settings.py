import pytest
from pydantic import ValidationError

from wolaro.settings import Settings


def make(**env):
    return Settings(_env_file=None, **env)


def test_defaults_are_embedded():
    settings = make()
    assert settings.redis_url is None
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.discord_api_base == "https://discord.com/api/v10"


def test_database_urls_get_async_drivers():
    assert make(database_url="postgresql://u@h/db").database_url == "postgresql+asyncpg://u@h/db"
    assert make(database_url="postgres://u@h/db").database_url == "postgresql+asyncpg://u@h/db"
    assert make(database_url="sqlite:///x.db").database_url == "sqlite+aiosqlite:///x.db"


def test_master_admin_ids_from_env(monkeypatch):
    monkeypatch.setenv("MASTER_ADMIN_IDS", "1, 2 3")
    assert make().master_admin_ids == [1, 2, 3]


@pytest.mark.parametrize(
    ("name", "value"),
    [("database_url", "mysql://x"), ("discord_api_base", "discord.com"), ("log_level", "LOUD"), ("api_port", "-1")],
)
def test_invalid_values_name_the_field(name, value):
    with pytest.raises(ValidationError) as info:
        make(**{name: value})
    assert name in str(info.value)


def test_token_is_never_printed():
    settings = make(discord_token="MTIz.hunter2.value")
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings.model_dump())
