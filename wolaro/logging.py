"""Structured logging: JSON lines (or readable console lines), and never a secret in them."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, TextIO

import structlog

#: Libraries whose INFO lines are their own bookkeeping (migrations applied, server process started, voice support):
#: they log at WARNING and above, or the user's level if higher; LOG_LEVEL=DEBUG shows their INFO lines too (not
#: their DEBUG output, which is every SQL statement and gateway frame).
LIBRARY_LOGGERS = (
    "aiohttp",
    "aiosqlite",
    "alembic",
    "asyncio",
    "asyncpg",
    "discord",
    "httpcore",
    "httpx",
    "limits",
    "multipart",
    "redis",
    "sqlalchemy",
    "uvicorn",
    "websockets",
)
#: Why discord.py warns about voice: Wolaro never joins a voice channel, so these are noise at every start.
_VOICE_WARNING = "voice will NOT be supported"

_SECRET_KEYS = {"token", "authorization", "password", "secret", "discord_token", "client_secret", "cookie"}
_TOKEN_PATTERN = re.compile(r"[MN][A-Za-z\d_-]{23,25}\.[\w-]{6}\.[\w-]{27,38}")


def _redact(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Drop values of secret-looking keys and anything shaped like a Discord token."""
    for key, value in list(event_dict.items()):
        if key.lower() in _SECRET_KEYS:
            event_dict[key] = "[redacted]"
        elif isinstance(value, str) and _TOKEN_PATTERN.search(value):
            event_dict[key] = _TOKEN_PATTERN.sub("[redacted]", value)
    return event_dict


def _not_about_voice(record: logging.LogRecord) -> bool:
    return _VOICE_WARNING not in str(record.msg)


def library_level(level: str) -> int:
    """The level library loggers get for a user's LOG_LEVEL: never chattier than WARNING, except under DEBUG."""
    user = logging.getLevelName(level)
    return logging.INFO if user <= logging.DEBUG else max(logging.WARNING, user)


def configure_logging(level: str = "INFO", fmt: str = "auto", stream: TextIO | None = None) -> None:
    """Route structlog and the standard library (discord.py, uvicorn, sqlalchemy) through one renderer on `stream`.

    `fmt` is `json`, `console`, or `auto`: readable lines on a terminal, JSON lines elsewhere (pipes, files,
    containers' log collectors). Library noise stays below the user's level (see `LIBRARY_LOGGERS`).
    """
    stream = stream or sys.stderr
    if fmt == "auto":
        fmt = "console" if stream.isatty() else "json"
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        # plain tracebacks: rich ones take seconds to render and block the event loop meanwhile
        else structlog.dev.ConsoleRenderer(colors=stream.isatty(), exception_formatter=structlog.dev.plain_traceback)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    structlog.configure(
        # a line below the level is dropped first, before any processor runs (it was stamped, redacted and
        # handed to the standard library to be dropped there: a tenth of a millisecond per command log line)
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for library in LIBRARY_LOGGERS:
        logging.getLogger(library).setLevel(library_level(level))
    voice = logging.getLogger("discord.client")
    voice.filters[:] = [f for f in voice.filters if f is not _not_about_voice]
    if logging.getLevelName(level) > logging.DEBUG:
        voice.addFilter(_not_about_voice)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A named structured logger."""
    return structlog.stdlib.get_logger(name)
