"""The `wolaro` command: run the platform, try it against the local sandbox, migrate the database."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from wolaro.logging import configure_logging
from wolaro.settings import Settings, settings_errors

app = typer.Typer(
    help="Wolaro: one Discord bot for thousands of servers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain help: Typer's rich help gives every flag a `<bool>` value (`--help <bool>`) that it does not take
    rich_markup_mode=None,
    context_settings={"max_content_width": 120},  # whole command summaries on a wide terminal
)

NO_TOKEN = """\
DISCORD_TOKEN is not set, so Wolaro cannot log in to Discord.

To get a token:
  1. Open https://discord.com/developers/applications and create an application.
  2. In "Bot", reset the token and copy it; enable the Message Content and Server Members intents.
  3. Run:  DISCORD_TOKEN=<your token> wolaro run   (or put DISCORD_TOKEN=... in a .env file)

No Discord account? Try everything locally against the built-in Discord emulator:
  wolaro sandbox
"""


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; an invalid variable stops the program naming it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [f"  {line}" for line in settings_errors(exc)]
        typer.echo(
            "Wolaro did not start: fix these settings (environment variables or .env):\n" + "\n".join(lines), err=True
        )
        raise typer.Exit(code=2) from None


def _require_token(settings: Settings) -> None:
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        typer.echo(NO_TOKEN, err=True)
        raise typer.Exit(code=1)


NO_SECRET_KEY = """\
SECRET_KEY is not set, so the dashboard cannot sign logins safely (it has no built-in key).

Make a random one and keep it secret (every API process of a deployment must share it):
  python -c "import secrets; print(secrets.token_urlsafe(48))"
then set it:  SECRET_KEY=<that value>   (environment or .env file)

Changing it logs everyone out of the dashboard. Not using the dashboard? Set API_ENABLED=false.
"""


def _require_secret_key(settings: Settings) -> None:
    """The dashboard has no usable default key: refuse to start it without a long SECRET_KEY."""
    if settings.secret_key is None:
        typer.echo(NO_SECRET_KEY, err=True)
        raise typer.Exit(code=1)


def _launch(
    component_names: list[str],
    *,
    needs_token: bool,
    needs_secret: bool = False,
    fast: bool = False,
    settings: Settings | None = None,
) -> None:
    """Check the settings, configure logging and run the named components of `wolaro.app` until stopped."""
    settings = settings or load_settings()
    if needs_token:
        _require_token(settings)
    if needs_secret:
        _require_secret_key(settings)
    configure_logging(settings.log_level, settings.log_format)
    from wolaro import app as components
    from wolaro.core.shard_leases import ShardLeaseLost
    from wolaro.data.database import DatabaseUnreachable

    main = components.run_components(settings, [getattr(components, name) for name in component_names])
    try:
        if fast:
            run_fast(main)
        else:
            asyncio.run(main)
    except DatabaseUnreachable as exc:  # one clear line, not a traceback
        typer.echo(f"Wolaro did not start: {exc}", err=True)
        raise typer.Exit(code=1) from None
    except ShardLeaseLost as exc:  # logged already; exit 1 so the supervisor restarts it (it then stands by)
        typer.echo(f"Wolaro stopped its shards: {exc}", err=True)
        raise typer.Exit(code=1) from None


@app.command()
def run() -> None:
    """Run the whole platform in one process: bot, dashboard API and job worker."""
    settings = load_settings()
    names = ["bot_component", "worker_component"] + (["api_component"] if settings.api_enabled else [])
    _launch(names, needs_token=True, needs_secret=settings.api_enabled, settings=settings)


@app.command()
def bot() -> None:
    """Run only the Discord bot (scale-out: several `wolaro bot` processes with SHARD_IDS)."""
    _launch(["bot_component"], needs_token=True)


@app.command()
def worker() -> None:
    """Run only the job worker: temp-ban expiry, reminders and other scheduled actions (scale-out: several).

    Needs the shared database (DATABASE_URL); DISCORD_TOKEN only for jobs that call Discord.
    """
    _launch(["worker_component"], needs_token=False)


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: API_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default: API_PORT)")] = None,
) -> None:
    """Run only the dashboard API (scale-out: several `wolaro api` behind a load balancer, sharing Redis).

    Needs the shared database (DATABASE_URL) and, for several processes, REDIS_URL; DISCORD_CLIENT_ID and
    DISCORD_CLIENT_SECRET for the Discord login, DISCORD_TOKEN for channel and role names.
    """
    overrides: dict[str, object] = {}
    if host is not None:
        overrides["api_host"] = host
    if port is not None:
        overrides["api_port"] = port
    _launch(["api_component"], needs_token=False, needs_secret=True, fast=True, settings=load_settings(**overrides))


def run_fast(main: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop when installed (uvicorn[standard] brings it): the API serves about a third more requests."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


@app.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Bring the database schema up to date (also done automatically at start)."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    from wolaro.core.services import upgrade_schema as upgrade  # the core's schema and every module's branch

    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    from wolaro.data.database import DatabaseUnreachable

    try:
        upgrade(settings.effective_database_url, revision)
    except DatabaseUnreachable as exc:
        typer.echo(f"Migration failed: {exc}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"database at {revision}")


@app.command()
def sandbox(
    guilds: Annotated[int, typer.Option(help="Synthetic servers to create")] = 3,
    members: Annotated[int, typer.Option(help="Members per server")] = 12,
    rate: Annotated[float, typer.Option(help="Synthetic chat messages per second")] = 1.5,
    duration: Annotated[float, typer.Option(help="Stop after this many seconds (0 = until Ctrl-C)")] = 0.0,
    port: Annotated[int, typer.Option(help="Emulator port (0 = any free port)")] = 0,
    dashboard_port: Annotated[
        int | None, typer.Option(min=0, max=65535, help="Dashboard port (default: API_PORT, else 8080)")
    ] = None,
    log_file: Annotated[Path, typer.Option(help="Where the bot's JSON logs go")] = Path("data/sandbox/wolaro.log"),
) -> None:
    """Try Wolaro with no Discord account: a local Discord emulator, synthetic users, the bot, a live transcript."""
    from wolaro.cli_sandbox import run_sandbox

    os.environ.setdefault("DATA_DIR", "data/sandbox")
    base = load_settings()
    code = asyncio.run(
        run_sandbox(
            base,
            guilds=guilds,
            members=members,
            rate=rate,
            duration=duration,
            port=port,
            log_file=log_file,
            dashboard_port=dashboard_port,
        )
    )
    sys.exit(code)


if __name__ == "__main__":
    app()
