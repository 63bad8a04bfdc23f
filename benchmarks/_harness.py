"""What several benchmarks share: run the measurement on uvloop and print its one JSON line; drop a run's Redis keys."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any

import redis

from wolaro.logging import configure_logging


def report(measurement: Coroutine[Any, Any, dict[str, Any]]) -> None:
    """Run `measurement` on uvloop when installed (as production runs the API) and print its result as one line."""
    configure_logging("WARNING", "console")  # to stderr: stdout carries only the result line
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(measurement)
    else:
        result = uvloop.run(measurement)
    print(json.dumps(result), flush=True)


def forget(redis_url: str, prefix: str) -> None:
    """Delete every Redis key under `prefix` (what one run wrote)."""
    with redis.Redis.from_url(redis_url, socket_timeout=5) as client:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.unlink(*keys)
