"""A local Discord emulator: gateway WebSocket + REST + a synthetic world, for tests, demos and benchmarks.

``point_discord_at`` is light (the production bot imports it); ``Sandbox`` pulls in aiohttp and orjson
lazily so importing this package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wolaro.sandbox.connect import point_discord_at

if TYPE_CHECKING:
    from wolaro.sandbox.interactions import InteractionRecord
    from wolaro.sandbox.server import RestCall, Sandbox
    from wolaro.sandbox.state import SandboxState

__all__ = ["InteractionRecord", "RestCall", "Sandbox", "SandboxState", "point_discord_at"]


def __getattr__(name: str) -> Any:
    if name in ("Sandbox", "RestCall"):
        from wolaro.sandbox import server

        return getattr(server, name)
    if name == "InteractionRecord":
        from wolaro.sandbox.interactions import InteractionRecord

        return InteractionRecord
    if name == "SandboxState":
        from wolaro.sandbox.state import SandboxState

        return SandboxState
    raise AttributeError(name)
