"""``Sandbox``: the emulator in one object: world state, gateway, REST, control API and the driving API."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from types import TracebackType
from typing import Any

from aiohttp import web

from wolaro.sandbox import oauth, payloads
from wolaro.sandbox.control import add_control_routes
from wolaro.sandbox.gateway import Gateway
from wolaro.sandbox.interactions import InteractionRecord
from wolaro.sandbox.notify import Notifier
from wolaro.sandbox.records import PNG as _PNG
from wolaro.sandbox.records import BotOutput, RestCall
from wolaro.sandbox.rest import SANDBOX_KEY, add_rest_routes
from wolaro.sandbox.rest_limits import RestLimits
from wolaro.sandbox.sandbox_changes import ChangesMixin
from wolaro.sandbox.sandbox_guild import GuildMixin
from wolaro.sandbox.sandbox_interactions import InteractionsMixin
from wolaro.sandbox.sandbox_members import MembersMixin
from wolaro.sandbox.sandbox_messages import MessagesMixin
from wolaro.sandbox.sandbox_polls import PollsMixin
from wolaro.sandbox.sandbox_reactions import ReactionsMixin
from wolaro.sandbox.sandbox_waiting import WaitingMixin
from wolaro.sandbox.sandbox_world import Observer, SandboxBase
from wolaro.sandbox.snowflake import SnowflakeFactory
from wolaro.sandbox.state import SandboxState
from wolaro.sandbox.world import build_world

__all__ = ["_PNG", "BotOutput", "Observer", "RestCall", "Sandbox"]

log = logging.getLogger(__name__)


class Sandbox(
    MessagesMixin,
    InteractionsMixin,
    MembersMixin,
    ChangesMixin,
    GuildMixin,
    PollsMixin,
    ReactionsMixin,
    WaitingMixin,
    SandboxBase,
):
    """A local Discord: gateway + REST + a deterministic world, driven from tests or the CLI.

    ``wait_for_message`` and ``wait_for_request`` look at what the bot did since the current asyncio
    task's most recent driving call (``send_message``, ``invoke_slash``, ``member_join``...), skipping what
    an earlier wait already returned: a reply that arrives before the test starts waiting is not missed,
    and concurrent tasks (each sending a command and awaiting its answer) do not move each other's mark.
    A task that has driven nothing sees everything since the start.
    """

    def __init__(
        self,
        *,
        guilds: int = 3,
        members_per_guild: int = 10,
        text_channels_per_guild: int = 3,
        shards: int = 1,
        token: str = "sandbox-token",
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        heartbeat_interval_ms: int = 41250,
    ) -> None:
        self.shards = shards
        self.token = token
        self.host = host
        self.port = port
        self.ids = SnowflakeFactory(seed)
        self.state: SandboxState = build_world(
            self.ids,
            guilds=guilds,
            members_per_guild=members_per_guild,
            text_channels_per_guild=text_channels_per_guild,
            seed=seed,
        )
        self.application_id: int = self.state.application_id
        self.bot_user: dict[str, Any] = payloads.bot_user(self.state.users[self.state.bot_user_id])
        self.url = ""
        self.api_base = ""
        self.gateway = Gateway(
            self.state, token=token, heartbeat_interval_ms=heartbeat_interval_ms, gateway_url=self.gateway_url
        )
        self.rest_log: list[RestCall] = []
        self.rest_limits = RestLimits()  # Discord's global REST limit (off by default), invalid requests, faults
        self.outputs: list[BotOutput] = []
        self.interactions: dict[int, InteractionRecord] = {}
        self.interactions_by_token: dict[str, InteractionRecord] = {}
        #: Seconds the bot has to send the initial interaction response (Discord: 3).
        self.interaction_timeout = 3.0
        #: Timing of the last ``blast_messages`` (perf_counter seconds): prepared, first frame, all written.
        self.last_blast: dict[str, float] = {}
        self._observers: list[Observer] = []
        self._rest_changed = Notifier()
        self._output_changed = Notifier()
        self._interaction_changed = Notifier()
        #: (rest_log index, outputs index) at this task's latest driving call (see the class docstring).
        self._marks: contextvars.ContextVar[tuple[int, int]] = contextvars.ContextVar(
            f"sandbox-marks-{id(self)}", default=(0, 0)
        )
        self._consumed_rest: set[int] = set()
        self._consumed_outputs: set[int] = set()
        self._slowmode: dict[tuple[int, int], float] = {}
        self._runner: web.AppRunner | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.app[SANDBOX_KEY] = self
        self.app.router.add_get("/gateway", self.gateway.handle)
        oauth.register(self.app, self)  # before the REST routes: its Bearer-aware /users/@me routes win
        add_rest_routes(self.app)
        add_control_routes(self.app)

    # ---- lifecycle ----------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start serving on ``host:port`` (port 0 picks a free one); sets ``url`` and ``api_base``."""
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        self.url = f"http://{self.host}:{self.port}"
        self.api_base = f"{self.url}/api/v10"
        log.info("sandbox listening on %s", self.url)

    async def stop(self) -> None:
        """Refuse new gateway sockets, close every open one and stop the server."""
        self.gateway.accepting = False
        await self.gateway.close_all()
        for task in list(self._background):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def gateway_url(self) -> str:
        """The gateway WebSocket URL (also sent as ``resume_gateway_url`` and by ``/gateway/bot``)."""
        return f"ws://{self.host}:{self.port}/gateway"
