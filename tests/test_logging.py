"""The console stays quiet: library bookkeeping below the user's level, one line per event of ours."""

import io
import json
import logging

import pytest
import structlog

from wolaro.logging import LIBRARY_LOGGERS, configure_logging, get_logger


@pytest.fixture
def captured():
    """Configure logging into a buffer; put the previous configuration back afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {name: logging.getLogger(name).level for name in LIBRARY_LOGGERS})
    voice_filters = logging.getLogger("discord.client").filters[:]
    stream = io.StringIO()
    yield stream
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)
    logging.getLogger("discord.client").filters[:] = voice_filters
    structlog.reset_defaults()


def emit_start_up_chatter() -> None:
    """What `wolaro run` used to open with: alembic, discord.py's voice warnings, uvicorn, SQLAlchemy."""
    logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade  -> 0001, initial")
    logging.getLogger("discord.client").warning("PyNaCl is not installed, voice will NOT be supported")
    logging.getLogger("discord.client").warning("davey is not installed, voice will NOT be supported")
    logging.getLogger("uvicorn.error").info("Started server process [1]")
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET / HTTP/1.1" 200')
    logging.getLogger("sqlalchemy.engine.Engine").info("BEGIN (implicit)")
    logging.getLogger("discord.gateway").warning("Shard ID None heartbeat blocked for more than 10 seconds.")
    get_logger("wolaro.app").info("Wolaro is running: the job worker. Press Ctrl-C to stop.")


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_library_noise_stays_below_the_users_level(captured):
    """Issue 8: `wolaro run` opened with alembic's lines and discord.py's PyNaCl and davey voice warnings."""
    configure_logging("INFO", "json", stream=captured)
    emit_start_up_chatter()
    events = [(line["logger"], line["event"]) for line in lines(captured)]
    assert events == [
        # a library's real warning still shows; its INFO bookkeeping and the voice warnings do not
        ("discord.gateway", "Shard ID None heartbeat blocked for more than 10 seconds."),
        ("wolaro.app", "Wolaro is running: the job worker. Press Ctrl-C to stop."),
    ]


def test_debug_shows_the_libraries_too(captured):
    configure_logging("DEBUG", "json", stream=captured)
    emit_start_up_chatter()
    events = " ".join(line["event"] for line in lines(captured))
    assert "Running upgrade" in events and "voice will NOT be supported" in events
    assert "Started server process" in events


def test_a_stricter_level_applies_to_libraries_as_well(captured):
    configure_logging("ERROR", "json", stream=captured)
    emit_start_up_chatter()
    assert lines(captured) == []


def test_reconfiguring_does_not_stack_filters(captured):
    configure_logging("INFO", "json", stream=captured)
    configure_logging("INFO", "json", stream=captured)
    assert len(logging.getLogger("discord.client").filters) == 1
    configure_logging("DEBUG", "json", stream=captured)
    assert logging.getLogger("discord.client").filters == []


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_format_is_readable_on_a_terminal_and_json_elsewhere(captured):
    configure_logging("INFO", "auto", stream=captured)
    get_logger("wolaro.test").info("hello", guild=1)
    assert json.loads(captured.getvalue())["event"] == "hello"

    terminal = Terminal()
    configure_logging("INFO", "auto", stream=terminal)
    get_logger("wolaro.test").info("hello", guild=1)
    text = terminal.getvalue()
    assert "hello" in text and "guild" in text and not text.lstrip().startswith("{")
