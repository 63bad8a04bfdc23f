"""ORM models shared by the whole platform, and the declarative base every module's models build on.

Modules put their own tables in their package (named in their spec's `models`), subclassing `Base` and using the
column types defined here (`Snowflake` for Discord ids, `JSONType` for documents, `UTCDateTime` for instants).
`import_all_models()` loads the platform's own tables; the modules' come with their specs.
"""

from __future__ import annotations

import importlib
import importlib.util
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    false,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")
"""A JSON document: JSONB on PostgreSQL, JSON text on SQLite. Reassign the attribute to persist a change."""

Snowflake = BigInteger
"""A Discord id (64-bit)."""


def utcnow() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored as UTC that always reads back timezone-aware, on every dialect.

    PostgreSQL stores `timestamptz`. SQLite has no timezone type: values are stored as naive UTC text (so that
    text comparison is chronological) and given `tzinfo=UTC` again when read. Naive values are taken as UTC.
    Migrations render this type as `sa.DateTime(timezone=True)`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to UTC; strip the zone for SQLite, which cannot store it."""
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return a timezone-aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base of every table in Wolaro (constraint names follow `NAMING_CONVENTION`)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSONType}


class Guild(Base):
    """A Discord server using Wolaro, with its platform-level settings."""

    __tablename__ = "guilds"

    id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    prefix: Mapped[str] = mapped_column(String(16), default="!", server_default="!")
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    blacklisted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    blacklist_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, server_default=func.now()
    )

    def __repr__(self) -> str:
        return f"Guild(id={self.id!r}, prefix={self.prefix!r}, language={self.language!r})"


class GuildModule(Base):
    """Whether a module runs in a guild, and that guild's configuration of it."""

    __tablename__ = "guild_modules"

    guild_id: Mapped[int] = mapped_column(
        Snowflake, ForeignKey("guilds.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    module: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, server_default=func.now()
    )

    def __repr__(self) -> str:
        return f"GuildModule(guild_id={self.guild_id!r}, module={self.module!r}, enabled={self.enabled!r})"


class AuditLog(Base):
    """One recorded change: who did what to which target, with the state before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_guild_id_created_at", "guild_id", "created_at"),
        Index("ix_audit_log_guild_id_action", "guild_id", "action"),
        Index("ix_audit_log_actor_id", "actor_id"),
    )

    # SQLite only autoincrements an INTEGER PRIMARY KEY (the rowid), which is 64-bit there anyway.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    guild_id: Mapped[int | None] = mapped_column(Snowflake)
    actor_id: Mapped[int | None] = mapped_column(Snowflake)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(128))
    before: Mapped[Any | None] = mapped_column(JSONType)
    after: Mapped[Any | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())

    def __repr__(self) -> str:
        return f"AuditLog(id={self.id!r}, guild_id={self.guild_id!r}, action={self.action!r})"


class BotGuild(Base):
    """A guild the bot is in, as a bot process last saw it: kept by `core/presence.py`, read by the API.

    Shared state, so an API process knows where the bot is without a gateway connection of its own.
    """

    __tablename__ = "bot_guilds"
    __table_args__ = (Index("ix_bot_guilds_shard_id_seen_at", "shard_id", "seen_at"),)

    id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    shard_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    icon: Mapped[str | None] = mapped_column(String(64))
    owner_id: Mapped[int | None] = mapped_column(Snowflake)
    member_count: Mapped[int | None] = mapped_column(Integer)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())

    def __repr__(self) -> str:
        return f"BotGuild(id={self.id!r}, name={self.name!r}, shard_id={self.shard_id!r})"


class ConfigOutbox(Base):
    """A config change waiting to be published to every process: written in the change's own transaction.

    The transactional outbox: the writer publishes and deletes it right after the commit; when that publish cannot
    reach Redis, any process that can publishes it later (`wolaro/core/config_outbox.py`), so a change made behind
    a partition still reaches every process within seconds.
    """

    __tablename__ = "config_outbox"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    channel: Mapped[str] = mapped_column(String(32))
    guild_id: Mapped[int] = mapped_column(Snowflake)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())

    def __repr__(self) -> str:
        return f"ConfigOutbox(id={self.id!r}, channel={self.channel!r}, guild_id={self.guild_id!r})"


_MODEL_MODULES = ("wolaro.jobs.models", "wolaro.web.models")


def import_all_models() -> None:
    """Import the platform's own tables (this module, `wolaro.jobs.models`, `wolaro.web.models`) into `Base.metadata`.

    Modules' tables are not looked for here: each module's spec names its models, and whoever migrates or checks
    the schema imports them (`wolaro.data.migrate`, `models=`).
    """
    for module_name in _MODEL_MODULES:
        _import_if_present(module_name)


def _import_if_present(module_name: str) -> None:
    """Import `module_name` if its file exists (a missing parent package counts as absent)."""
    try:
        spec = importlib.util.find_spec(module_name)
    except ModuleNotFoundError:
        return
    if spec is not None:
        importlib.import_module(module_name)
