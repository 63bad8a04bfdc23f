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


def errors_of(**env):
    from wolaro.settings import settings_errors

    with pytest.raises(ValidationError) as info:
        make(**env)
    return settings_errors(info.value)


@pytest.mark.parametrize("name", ["command_cooldown_rate", "user_global_rate", "api_rate_ip", "api_rate_user"])
@pytest.mark.parametrize("value", ["lots", "5", "0/minute", "5/fortnight", "5/minute;10/hour", ""])
def test_every_rate_is_checked_with_the_limits_parser(name, value):
    """Issue 8: COMMAND_COOLDOWN_RATE=lots was accepted and the bot started (it failed on the first command)."""
    [line] = errors_of(**{name: value})
    assert line.startswith(f"{name.upper()}: ") and "5/minute" in line


@pytest.mark.parametrize("value", ["5/minute", "10/5second", "30 per hour", "1/day"])
def test_good_rates_are_kept(value):
    assert make(command_cooldown_rate=value).command_cooldown_rate == value


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("redis_url", "http://:s3cret@localhost:6379"),
        ("redis_url", "s3cret@localhost:6379"),
        ("redis_url", "redis://:s3cret@localhost:port/0"),
        ("redis_url", "unix://"),
        ("public_url", "wolaro.s3cret.com"),
        ("public_url", "ftp://s3cret.example.com"),
        ("public_url", "https://"),
        ("discord_api_base", "https://:443/api"),
        ("database_url", "postgresql://user:s3cret@host:notaport/db"),
        ("database_url", "postgresql+psycopg://user:s3cret@host/db"),
        ("database_url", "sqlite+pysqlite:///s3cret.db"),
    ],
)
def test_bad_urls_name_the_variable_without_repeating_it(name, value):
    [line] = errors_of(**{name: value})
    assert line.startswith(f"{name.upper()}: ") and "URL" in line
    assert "s3cret" not in line  # a URL may hold a password: never echoed


@pytest.mark.parametrize(
    "url", ["redis://localhost:6379/0", "rediss://user:pw@cache.example.com:6380", "unix:///run/redis.sock"]
)
def test_redis_urls_redis_py_accepts_work_for_every_redis_client(url):
    from wolaro.core.ratelimit import RateLimiter

    settings = make(redis_url=url)
    RateLimiter(settings.redis_url)  # the limits library needs redis+unix:// for a socket; it used to fail at start


def test_good_urls_are_kept():
    settings = make(public_url="https://wolaro.example.com/", discord_api_base="http://127.0.0.1:9000/api/v10/")
    assert settings.dashboard_url == "https://wolaro.example.com"
    assert settings.discord_api_base == "http://127.0.0.1:9000/api/v10"


@pytest.mark.parametrize(
    ("env", "variable", "words"),
    [
        ({"master_admin_ids": "123, abc"}, "MASTER_ADMIN_IDS", "'abc' is not a number"),
        ({"master_admin_ids": "0"}, "MASTER_ADMIN_IDS", "not a Discord id"),
        ({"master_admin_ids": str(2**63)}, "MASTER_ADMIN_IDS", "not a Discord id"),
        ({"discord_client_id": "-5"}, "DISCORD_CLIENT_ID", "not a Discord id"),
        ({"discord_client_id": str(2**64)}, "DISCORD_CLIENT_ID", "not a Discord id"),
        ({"shard_ids": "0 1"}, "SHARD_IDS", "needs SHARD_COUNT"),
        ({"shard_ids": "0 4", "shard_count": "4"}, "SHARD_IDS", "shard 4 does not exist"),
        ({"shard_ids": "1,1", "shard_count": "4"}, "SHARD_IDS", "twice"),
        ({"shard_ids": " ", "shard_count": "4"}, "SHARD_IDS", "lists no shard"),
    ],
)
def test_ids_are_discord_snowflakes_and_shards_exist(env, variable, words):
    [line] = errors_of(**env)
    assert line.startswith(f"{variable}: ") and words in line


def test_good_ids_are_kept(monkeypatch):
    monkeypatch.setenv("SHARD_IDS", "2,3")
    settings = make(shard_count=4, master_admin_ids=f"1 {2**63 - 1}", discord_client_id="123456789012345678")
    assert settings.shard_ids == [2, 3]
    assert settings.master_admin_ids == [1, 2**63 - 1]
    assert settings.discord_client_id == 123456789012345678


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("jobs_poll_interval", "inf"),
        ("jobs_poll_interval", "nan"),
        ("jobs_poll_interval", "0"),
        ("dashboard_guilds_ttl", "inf"),
        ("discord_lookup_ttl", "-1"),
        ("redis_health_interval", "1e9"),
        ("jobs_lease", "1e12"),
        ("guild_config_ttl", "soon"),
        ("session_max_age", str(10**12)),
        ("guild_ready_timeout", "nan"),
    ],
)
def test_durations_are_finite_and_bounded(name, value):
    [line] = errors_of(**{name: value})
    assert line.startswith(f"{name.upper()}: ")


def test_one_line_per_variable_even_with_several_problems():
    lines = errors_of(master_admin_ids=[0, -1, 2**70], command_cooldown_rate="lots")
    assert sorted(line.split(":")[0] for line in lines) == ["COMMAND_COOLDOWN_RATE", "MASTER_ADMIN_IDS"]
