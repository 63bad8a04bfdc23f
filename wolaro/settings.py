"""The one settings object: every tunable comes from the environment or `.env`, never from code."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DISCORD_API = "https://discord.com/api/v10"
SECRET_KEY_MIN_BYTES = 32
SECRET_KEY_HOWTO = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


# Discord ids are positive signed 64-bit integers (wolaro.core.snowflake has the same bound; the data layer reads
# these settings and may not import core, so this module keeps its own copy)
SNOWFLAKE_MAX = 2**63 - 1
HOUR = 3600
DAY = 86_400


def _split_ids(value: object) -> object:
    """Accept `1,2 3` (env style) as well as a JSON list for id lists."""
    if isinstance(value, str):
        parts = value.replace(",", " ").split()
        for part in parts:
            if not (part.isascii() and part.isdigit()):
                raise ValueError(f"{part!r} is not a number: write whole numbers separated by commas, like 1,2,3")
        return [int(part) for part in parts]
    if isinstance(value, int):
        return [value]
    return value


def check_snowflake(value: int) -> int:
    """`value` if it can be a Discord id (user, application): a positive number below 2**63."""
    if not 1 <= value <= SNOWFLAKE_MAX:
        raise ValueError(f"{value} is not a Discord id: ids are positive numbers below 2**63, like 123456789012345678")
    return value


def check_rate(value: str) -> str:
    """`value` if the `limits` library reads it as exactly one rate of at least one call (`5/minute`, `10/5second`)."""
    from limits import parse_many  # here: importing `limits` takes a tenth of a second, `wolaro --help` need not

    try:
        items = parse_many(value)
    except ValueError:
        items = []
    if len(items) != 1 or items[0].amount < 1:
        raise ValueError(f"{value!r} is not a rate: write how many per period, like 5/minute, 30/hour or 10/5second")
    return value


def check_url(value: str, schemes: tuple[str, ...], example: str) -> str:
    """`value` if it is a URL with one of `schemes`, a host (a path for `unix`) and a numeric port if any.

    The messages never repeat the URL: it may hold a password.
    """
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0-65535
    except ValueError:
        raise ValueError(f"has a port that is not a number from 0 to 65535; write it like {example}") from None
    located = parts.path if parts.scheme == "unix" else parts.hostname
    if parts.scheme not in schemes or not located:
        kinds = " or ".join(f"{scheme}://" for scheme in schemes)
        raise ValueError(f"must be a URL starting with {kinds}, such as {example}")
    return value


def settings_errors(error: ValidationError) -> list[str]:
    """One plain line per bad environment variable, naming it (the first problem found for each)."""
    lines: dict[str, str] = {}
    for problem in error.errors():
        name = str(problem["loc"][0]).upper() if problem["loc"] else "SETTINGS"
        message = str(problem["msg"]).removeprefix("Value error, ")
        if problem["type"] == "missing":
            message = "must be set"
        lines.setdefault(name, f"{name}: {message}")
    return list(lines.values())


class Settings(BaseSettings):
    """Wolaro's settings, read from environment variables (and a `.env` file in the working directory)."""

    # allow_inf_nan=False: no duration of "inf" or "nan" seconds
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", allow_inf_nan=False)

    discord_token: SecretStr | None = Field(default=None, description="Bot token from the Developer Portal")
    discord_api_base: str = Field(
        default=DISCORD_API, description="REST base URL; point at a Discord-compatible server (the sandbox)"
    )
    discord_rest_base: str | None = Field(
        default=None, description="REST-only base URL, e.g. a nirn-proxy http://nirn:8080/api/v10 (gateway direct)"
    )
    discord_rest_global_limit: int = Field(
        default=50, ge=1, le=100_000, description="Discord REST requests per second for the token, over every process"
    )
    discord_client_id: int | None = Field(default=None, description="OAuth2 application id (dashboard login)")
    discord_client_secret: SecretStr | None = None

    data_dir: Path = Field(default=Path("data"), description="Folder for the embedded SQLite database")
    database_url: str | None = Field(default=None, description="SQLAlchemy async URL; default SQLite in data_dir")
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_max_overflow: int = Field(default=10, ge=0, le=200)

    redis_url: str | None = Field(default=None, description="Redis URL; unset = in-process cache and pub/sub")
    redis_prefix: str = Field(default="wolaro:", description="Prefix of every Redis key and pub/sub channel")
    redis_health_interval: float = Field(
        default=10.0, gt=0, le=HOUR, description="Seconds between Redis checks while down"
    )

    master_admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", description="auto = readable lines on a terminal, JSON lines elsewhere (pipes, containers)"
    )

    shard_count: int | None = Field(default=None, ge=1, description="Total shards; unset = Discord's advice")
    shard_ids: Annotated[list[int], NoDecode] | None = Field(default=None, description="Shards this process runs")
    shard_leases: int | None = Field(
        default=None, ge=1, le=1024, description="How many shards this process claims by lease in Redis (no SHARD_IDS)"
    )
    shard_lease_ttl: float = Field(
        default=15.0, ge=1, le=300, description="Seconds before the shards of a process that died are taken over"
    )
    guild_ready_timeout: float = Field(
        default=2.0, ge=0, le=60, description="Seconds discord.py waits for more GUILD_CREATEs before on_ready"
    )
    sync_commands: bool = Field(default=True, description="Publish slash commands to Discord at start")
    max_messages: int = Field(default=200, ge=0, description="discord.py message cache size (0 = off)")
    presence_intent: bool = Field(
        default=False,
        description="Ask Discord for presences (privileged intent, allow it in the Developer Portal): members online",
    )

    guild_config_ttl: int = Field(default=3600, ge=1, le=7 * DAY, description="Seconds a guild config stays cached")
    command_cooldown_rate: str = Field(default="5/5second", description="Default per-user cooldown per command")
    user_global_rate: str = Field(default="30/minute", description="Per-user limit over all commands")

    jobs_poll_interval: float = Field(
        default=1.0, gt=0, le=HOUR, description="Seconds between looks for due scheduled jobs"
    )
    jobs_lease: float = Field(
        default=60.0, ge=1, le=DAY, description="Seconds a worker holds a job before others may retry it"
    )
    jobs_concurrency: int = Field(default=50, ge=1, le=1000, description="Jobs one worker runs at a time")

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8080, ge=0, le=65535)
    public_url: str | None = Field(
        default=None, description="Dashboard URL as users see it (the Discord login's redirect is built from it)"
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1", "::1"],
        description="Host names the login redirect may be built from when PUBLIC_URL is unset",
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Signs dashboard sessions, encrypts stored Discord tokens (32+ bytes, random)"
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="Bearer token that opens /metrics, the detailed health and the API docs"
    )
    metrics_allow_ips: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Addresses/networks that reach /metrics, detailed health, docs without token"
    )
    api_docs_public: bool = Field(default=False, description="Serve /docs, /redoc and /openapi.json to anyone")
    api_enabled: bool = Field(default=True, description="`wolaro run` also serves the dashboard API")
    api_rate_limits: bool = Field(default=True, description="Apply the API's per-IP and per-user rate limits")
    api_rate_ip: str = Field(default="100/minute", description="API requests allowed per client IP")
    api_rate_user: str = Field(default="200/minute", description="API requests allowed per logged-in user")
    api_forwarded_allow_ips: str = Field(
        default="127.0.0.1", description="Proxies trusted for X-Forwarded-For/-Proto (comma-separated, * = any)"
    )
    session_max_age: int = Field(default=86_400, ge=60, le=366 * DAY, description="Seconds a dashboard login lasts")
    cookie_secure: bool | None = Field(default=None, description="Secure cookies; unset = when PUBLIC_URL is https")
    dashboard_guilds_ttl: float = Field(
        default=30.0, ge=0, le=DAY, description="Seconds a user's Discord guild list (and permissions) is cached"
    )
    discord_lookup_ttl: float = Field(
        default=60.0, ge=0, le=DAY, description="Seconds channel and role lists are cached"
    )
    transcripts_dir: Path | None = Field(
        default=None, description="Folder for ticket transcripts and their attachments; default data_dir/transcripts"
    )
    transcripts_s3_bucket: str | None = Field(
        default=None, max_length=63, description="Keep ticket transcripts in this S3-compatible bucket instead"
    )
    transcripts_s3_endpoint: str | None = Field(
        default=None, max_length=512, description="S3-compatible endpoint URL (MinIO, R2...); unset: AWS S3"
    )
    transcripts_s3_region: str = Field(default="us-east-1", max_length=64, description="The bucket's region")
    transcripts_s3_access_key: SecretStr | None = Field(default=None, description="Access key id for the bucket")
    transcripts_s3_secret_key: SecretStr | None = Field(default=None, description="Secret access key for the bucket")

    @field_validator("master_admin_ids", "shard_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        return _split_ids(value)

    @field_validator("allowed_hosts", "metrics_allow_ips", mode="before")
    @classmethod
    def _split_words(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in value.replace(",", " ").split() if part]
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < SECRET_KEY_MIN_BYTES:
            raise ValueError(f"must be at least {SECRET_KEY_MIN_BYTES} bytes; make one with: {SECRET_KEY_HOWTO}")
        return value

    @field_validator("discord_api_base")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return check_url(value, ("https", "http"), DISCORD_API).rstrip("/")

    @field_validator("discord_rest_base")
    @classmethod
    def _rest_base(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value, ("https", "http"), "http://nirn:8080/api/v10").rstrip("/")

    @field_validator("public_url")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value, ("https", "http"), "https://wolaro.example.com")

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value, ("redis", "rediss", "unix"), "redis://localhost:6379/0")

    @field_validator("command_cooldown_rate", "user_global_rate", "api_rate_ip", "api_rate_user")
    @classmethod
    def _rate(cls, value: str) -> str:
        return check_rate(value)

    @field_validator("master_admin_ids")
    @classmethod
    def _user_ids(cls, value: list[int]) -> list[int]:
        return [check_snowflake(user_id) for user_id in value]

    @field_validator("discord_client_id")
    @classmethod
    def _application_id(cls, value: int | None) -> int | None:
        return None if value is None else check_snowflake(value)

    @field_validator("shard_ids")
    @classmethod
    def _shards_exist(cls, value: list[int] | None, info: ValidationInfo) -> list[int] | None:
        if value is None or "shard_count" not in info.data:  # unset, or SHARD_COUNT itself is wrong (named already)
            return value
        count = info.data["shard_count"]
        if count is None:
            raise ValueError("needs SHARD_COUNT too: the total number of shards over all processes")
        if not value:
            raise ValueError("lists no shard; leave it unset to run every shard")
        for shard in value:
            if not 0 <= shard < count:
                raise ValueError(f"shard {shard} does not exist: with SHARD_COUNT={count}, shards are 0 to {count - 1}")
        if len(set(value)) != len(value):
            raise ValueError("lists a shard twice")
        return value

    @field_validator("shard_leases")
    @classmethod
    def _leases_need_redis(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None or "shard_count" not in info.data or "shard_ids" not in info.data:
            return value
        if info.data["shard_count"] is None:
            raise ValueError("needs SHARD_COUNT too: the total number of shards over all processes")
        if info.data.get("redis_url") is None:
            raise ValueError("needs REDIS_URL: the leases are kept in Redis, shared by every bot process")
        if info.data["shard_ids"]:
            raise ValueError("SHARD_IDS already picks this process's shards: set one or the other")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith(("postgres://", "postgresql://")):
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        elif value.startswith("sqlite://") and "+aiosqlite" not in value:
            value = "sqlite+aiosqlite://" + value.split("://", 1)[1]
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("must be a postgresql:// or sqlite:// URL")
        from sqlalchemy.engine import make_url  # here, not at the top: `wolaro --help` need not load SQLAlchemy
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
            urlsplit(value).port  # noqa: B018 - raises ValueError for a port that is not a number
        except (ArgumentError, ValueError):
            raise ValueError("is not a valid URL; write it like postgresql://user:password@host:5432/wolaro") from None
        return value

    @property
    def dashboard_url(self) -> str:
        """Where users reach the dashboard: `public_url`, else the API's own address."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.api_host in ("0.0.0.0", "::", "") else self.api_host
        return f"http://{host}:{self.api_port}"

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies get the Secure flag (explicit `cookie_secure`, else an https `public_url`)."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.dashboard_url.startswith("https://")

    @property
    def effective_database_url(self) -> str:
        """The database URL in use: the configured one, or SQLite under `data_dir`."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'wolaro.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
