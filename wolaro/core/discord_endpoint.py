"""Point an unmodified discord.py at any Discord-compatible API (a proxy, the emulator). Imports nothing heavy."""

from __future__ import annotations

from urllib.parse import urlsplit

REAL_DISCORD_HOSTS = {"discord.com", "discordapp.com", "canary.discord.com", "ptb.discord.com"}


def gateway_url_for(api_base: str) -> str:
    """The gateway WebSocket URL of the server whose REST base is ``api_base`` (``ws://host:port/gateway``)."""
    parts = urlsplit(api_base)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}/gateway"


def point_discord_at(api_base: str) -> None:
    """Point discord.py (``Route.BASE``, ``DiscordWebSocket.DEFAULT_GATEWAY``, ``Asset.BASE``) at ``api_base``.

    ``api_base`` is a REST base such as ``http://127.0.0.1:PORT/api/v10``. For the real Discord
    (``https://discord.com/api/v10``) this does nothing. The gateway URL is derived
    (``ws://host:port/gateway``); ``GET /gateway`` is not called. Mutates discord.py's module globals:
    call it before the client starts (tests should restore them afterwards).
    """
    api_base = api_base.rstrip("/")
    parts = urlsplit(api_base)
    if parts.hostname in REAL_DISCORD_HOSTS:
        return
    import discord.asset
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url_for(api_base))
    discord.asset.Asset.BASE = f"{parts.scheme}://{parts.netloc}/cdn"


def point_rest_at(rest_base: str | None) -> None:
    """Send discord.py's REST calls (only those) to ``rest_base``, a REST proxy such as nirn-proxy; None: unchanged.

    The gateway and the CDN stay where ``point_discord_at`` put them (Discord's own by default): a REST proxy
    serves neither. Call it after ``point_discord_at``.
    """
    if rest_base:
        import discord.http

        discord.http.Route.BASE = rest_base.rstrip("/")
