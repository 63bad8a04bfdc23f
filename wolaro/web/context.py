"""Everything the dashboard's routes share, built once per app by `create_app` (``app.state.web``)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.templating import Jinja2Templates
from prometheus_client import CollectorRegistry

from wolaro.core.presence import BotPresence
from wolaro.core.services import Services
from wolaro.settings import Settings
from wolaro.web.access import AccessService
from wolaro.web.discord_api import DiscordAPI
from wolaro.web.hub import Hub
from wolaro.web.security import OpsGate, SecurityStats, Tokens
from wolaro.web.sessions import SessionStore


@dataclass(slots=True)
class Web:
    """The dashboard's parts: services of the process plus the web-only ones."""

    services: Services
    settings: Settings
    presence: BotPresence
    discord: DiscordAPI
    sessions: SessionStore
    access: AccessService
    hub: Hub
    tokens: Tokens
    templates: Jinja2Templates
    metrics_registry: CollectorRegistry
    security: SecurityStats
    ops_gate: OpsGate | None = None

    @property
    def ops(self) -> OpsGate:
        """Who may read the operator endpoints (METRICS_TOKEN, METRICS_ALLOW_IPS)."""
        if self.ops_gate is None:
            self.ops_gate = OpsGate(self.settings)
        return self.ops_gate

    async def close(self) -> None:
        """Close sockets and the Discord client (the services belong to the caller)."""
        await self.hub.close()
        await self.discord.close()
