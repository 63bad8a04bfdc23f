"""`wolaro sandbox`: the emulator, synthetic users and the real bot in one process, with a live transcript.

This is the one place that knows both halves: the emulator (``wolaro.sandbox``) imports no product code and
the product imports nothing from the emulator; the CLI composes them here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from wolaro.logging import configure_logging
from wolaro.settings import Settings

if TYPE_CHECKING:
    from wolaro.sandbox import Sandbox

SANDBOX_COMMANDS = ["!ping", "!serverinfo", "!help", "!userinfo", "!avatar", "!modules", "!prefix"]
SECRET_KEY_FILE = "secret_key"


def sandbox_secret_key(data_dir: Path) -> SecretStr:
    """The dashboard's SECRET_KEY for a sandbox data folder: random, made once, kept in `<data>/secret_key` (0600).

    The sandbox never uses a built-in key: each data folder gets its own, so its logins survive a restart.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SECRET_KEY_FILE
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
    if len(key) < 43:
        key = secrets.token_urlsafe(48)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
    os.chmod(path, 0o600)
    return SecretStr(key)


def _log_to_file(base: Settings, log_file: Path) -> None:
    """Send every log line to `log_file` as JSON: the terminal shows the transcript."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    configure_logging(base.log_level, "json" if base.log_format == "auto" else base.log_format)  # a file: JSON
    root = logging.getLogger()
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(root.handlers[0].formatter)
    root.handlers[:] = [handler]


def sandbox_settings(base: Settings, sandbox: Sandbox, dashboard_port: int | None) -> Settings:
    """`base` pointed at the running emulator: its token, API base, OAuth2 application and the local operator."""
    from wolaro.sandbox.oauth import emulator

    return base.model_copy(
        update={
            "discord_token": SecretStr(sandbox.token),
            "discord_api_base": sandbox.api_base,
            "master_admin_ids": base.master_admin_ids or [sandbox.owner_id(sandbox.guild_ids()[0])],
            # the dashboard logs in through the sandbox's emulated Discord OAuth2
            "discord_client_id": sandbox.application_id,
            "discord_client_secret": SecretStr(emulator(sandbox).client_secret),
            "secret_key": base.secret_key or sandbox_secret_key(base.data_dir),
            # everything runs on this machine: its operator may read metrics, detailed health and the docs
            "metrics_allow_ips": base.metrics_allow_ips or ["127.0.0.1", "::1"],
            **({} if dashboard_port is None else {"api_port": dashboard_port}),
        }
    )


async def _run_until_stopped(
    sandbox: Sandbox, settings: Settings, *, rate: float, duration: float, stop: asyncio.Event
) -> asyncio.Task[None]:
    """Run the product against `sandbox` with synthetic traffic until Ctrl-C, `duration` or the bot stops."""
    from wolaro.app import Component, api_component, bot_component, run_components
    from wolaro.sandbox.traffic import run_synthetic_traffic

    components: list[Component] = [bot_component]
    if settings.api_enabled:
        components.append(api_component)
        print(f"Dashboard on {settings.dashboard_url} (log in as any sandbox user)", flush=True)
    print("Ctrl-C to stop.\n", flush=True)
    bot_task = asyncio.create_task(run_components(settings, components, stop=stop))
    traffic: asyncio.Task[int] | None = None
    try:
        await sandbox.wait_until_ready(timeout=60)
        traffic = asyncio.create_task(
            run_synthetic_traffic(sandbox, rate_per_second=rate, stop=stop, commands=SANDBOX_COMMANDS)
        )
        waiters = [bot_task, asyncio.create_task(stop.wait())]
        await asyncio.wait(waiters, timeout=duration or None, return_when=asyncio.FIRST_COMPLETED)
    finally:
        print("\nStopping: the bot, the dashboard and the Discord sandbox...", flush=True)
        stop.set()
        for task in (traffic, bot_task):
            if task is not None:
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout=10)
    return bot_task


async def run_sandbox(
    base: Settings,
    *,
    guilds: int,
    members: int,
    rate: float,
    duration: float,
    port: int,
    log_file: Path,
    dashboard_port: int | None = None,
) -> int:
    """Start everything, print the traffic and the bot's replies, stop on Ctrl-C or after `duration` seconds."""
    from wolaro.sandbox import Sandbox
    from wolaro.sandbox.transcript import Transcript

    _log_to_file(base, log_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # from the start: Ctrl-C while starting stops cleanly too
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with Sandbox(guilds=guilds, members_per_guild=members, port=port) as sandbox:
        settings = sandbox_settings(base, sandbox, dashboard_port)
        sandbox.add_observer(Transcript(sandbox))
        print(f"Discord sandbox on {sandbox.url} with {guilds} servers; bot logs in {log_file}", flush=True)
        bot_task = await _run_until_stopped(sandbox, settings, rate=rate, duration=duration, stop=stop)
    print("Stopped.", flush=True)
    if bot_task.done() and not bot_task.cancelled() and bot_task.exception() is not None:
        print(f"bot stopped with an error: {bot_task.exception()!r}", flush=True)
        return 1
    return 0
