"""The one settings object: every tunable comes from the environment or `.env`, never from code."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DISCORD_API = "https://discord.com/api/v10"


def _split_ids(value: object) -> object:
    """Accept `1,2 3` (env style) as well as a JSON list for id lists."""
    if isinstance(value, str):
        return [int(part) for part in value.replace(",", " ").split() if part]
    if isinstance(value, int):
        return [value]
    return value


class Settings(BaseSettings):
    """Wolaro's settings, read from environment variables (and a `.env` file in the working directory)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    discord_token: SecretStr | None = Field(default=None, description="Bot token from the Developer Portal")
    discord_api_base: str = Field(
        default=DISCORD_API, description="REST base URL; point at a Discord-compatible server (the sandbox)"
    )
    discord_client_id: int | None = Field(default=None, description="OAuth2 application id (dashboard login)")
    discord_client_secret: SecretStr | None = None

    data_dir: Path = Field(default=Path("data"), description="Folder for the embedded SQLite database")
    database_url: str | None = Field(default=None, description="SQLAlchemy async URL; default SQLite in data_dir")
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_max_overflow: int = Field(default=10, ge=0, le=200)

    redis_url: str | None = Field(default=None, description="Redis URL; unset = in-process cache and pub/sub")
    redis_prefix: str = Field(default="wolaro:", description="Prefix of every Redis key and pub/sub channel")
    redis_health_interval: float = Field(default=10.0, gt=0, description="Seconds between Redis checks while down")

    master_admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["json", "console"] = "json"

    shard_count: int | None = Field(default=None, ge=1, description="Total shards; unset = Discord's advice")
    shard_ids: Annotated[list[int], NoDecode] | None = Field(default=None, description="Shards this process runs")
    guild_ready_timeout: float = Field(
        default=2.0, ge=0, le=60, description="Seconds discord.py waits for more GUILD_CREATEs before on_ready"
    )
    sync_commands: bool = Field(default=True, description="Publish slash commands to Discord at start")
    max_messages: int = Field(default=200, ge=0, description="discord.py message cache size (0 = off)")

    guild_config_ttl: int = Field(default=3600, ge=1, description="Seconds a guild config stays cached")
    command_cooldown_rate: str = Field(default="5/5second", description="Default per-user cooldown per command")
    user_global_rate: str = Field(default="30/minute", description="Per-user limit over all commands")

    jobs_poll_interval: float = Field(default=1.0, gt=0, description="Seconds between looks for due scheduled jobs")
    jobs_lease: float = Field(default=60.0, ge=1, description="Seconds a worker holds a job before others may retry it")
    jobs_concurrency: int = Field(default=50, ge=1, le=1000, description="Jobs one worker runs at a time")

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8080, ge=0, le=65535)
    public_url: str | None = Field(default=None, description="Dashboard URL as users see it")
    secret_key: SecretStr = Field(default=SecretStr("change-me-in-production-0123456789abcdef"))
    api_enabled: bool = Field(default=True, description="`wolaro run` also serves the dashboard API")
    api_rate_limits: bool = Field(default=True, description="Apply the API's per-IP and per-user rate limits")
    api_rate_ip: str = Field(default="100/minute", description="API requests allowed per client IP")
    api_rate_user: str = Field(default="200/minute", description="API requests allowed per logged-in user")
    api_forwarded_allow_ips: str = Field(
        default="127.0.0.1", description="Proxies trusted for X-Forwarded-For/-Proto (comma-separated, * = any)"
    )
    session_max_age: int = Field(default=86_400, ge=60, description="Seconds a dashboard login lasts")
    cookie_secure: bool | None = Field(default=None, description="Secure cookies; unset = when PUBLIC_URL is https")
    dashboard_guilds_ttl: float = Field(
        default=30.0, ge=0, description="Seconds a user's Discord guild list (and permissions) is cached"
    )
    discord_lookup_ttl: float = Field(default=60.0, ge=0, description="Seconds channel and role lists are cached")

    @field_validator("master_admin_ids", "shard_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        return _split_ids(value)

    @field_validator("discord_api_base")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://discord.com/api/v10")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite://") and "+aiosqlite" not in value:
            return "sqlite+aiosqlite://" + value.split("://", 1)[1]
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("must be a postgresql:// or sqlite:// URL")
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
