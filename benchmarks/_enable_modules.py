"""Enable modules in every guild of a benchmark world before the Wolaro bot starts (`--modules`).

The bot's SQLite database is migrated (the core and every installed module's branch, as `wolaro migrate` does),
then every guild gets a `guild_modules` row saying the module is on, with an optional configuration
(`--module-config leveling='{"cooldown_seconds": 0}'`). The bot reads them at start like any admin's choice.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any


def parse_modules(value: str) -> tuple[str, ...]:
    """`economy,leveling` -> ("economy", "leveling"); empty -> ()."""
    return tuple(name.strip() for name in value.split(",") if name.strip())


def parse_module_configs(values: list[str]) -> dict[str, dict[str, Any]]:
    """`["leveling={...json...}"]` -> {"leveling": {...}}."""
    configs: dict[str, dict[str, Any]] = {}
    for value in values:
        name, sep, raw = value.partition("=")
        if not sep:
            raise ValueError(f"--module-config {value!r}: write it as name='{{json}}'")
        loaded = json.loads(raw)
        if not isinstance(loaded, dict):
            raise ValueError(f"--module-config {name}: the configuration must be a JSON object")
        configs[name.strip()] = loaded
    return configs


def enable_modules(
    db_path: Path, guild_ids: list[int], modules: tuple[str, ...], configs: dict[str, dict[str, Any]]
) -> None:
    """Migrate the SQLite database at `db_path` and switch `modules` on in every guild of `guild_ids`."""
    from wolaro.core.services import upgrade_schema
    from wolaro.logging import configure_logging

    configure_logging("WARNING", "console", sys.stderr)  # the benchmark's stdout carries only its JSON line

    upgrade_schema(f"sqlite+aiosqlite:///{db_path}")
    with sqlite3.connect(db_path) as conn:
        conn.executemany(
            "INSERT INTO guilds (id, prefix, language, settings, blacklisted) VALUES (?, '!', 'en', '{}', 0) "
            "ON CONFLICT (id) DO NOTHING",
            [(guild,) for guild in guild_ids],
        )
        conn.executemany(
            "INSERT INTO guild_modules (guild_id, module, enabled, config) VALUES (?, ?, 1, ?) "
            "ON CONFLICT (guild_id, module) DO UPDATE SET enabled = 1, config = excluded.config",
            [(guild, module, json.dumps(configs.get(module, {}))) for guild in guild_ids for module in modules],
        )
