"""wolaro.core.discord_endpoint.point_discord_at: what it changes in discord.py, and that it stays light to import."""

from __future__ import annotations

import subprocess
import sys

import discord.asset
import discord.gateway
import discord.http
import yarl

from wolaro.core.discord_endpoint import gateway_url_for, point_discord_at


def test_points_rest_gateway_and_cdn_at_the_server():
    point_discord_at("http://127.0.0.1:5555/api/v10/")
    assert discord.http.Route.BASE == "http://127.0.0.1:5555/api/v10"
    assert yarl.URL("ws://127.0.0.1:5555/gateway") == discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    assert discord.asset.Asset.BASE == "http://127.0.0.1:5555/cdn"
    route = discord.http.Route("GET", "/channels/{channel_id}", channel_id=1)
    assert route.url == "http://127.0.0.1:5555/api/v10/channels/1"


def test_real_discord_is_left_alone():
    before = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.asset.Asset.BASE)
    point_discord_at("https://discord.com/api/v10")
    after = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.asset.Asset.BASE)
    assert after == before


def test_gateway_url_follows_the_scheme():
    assert gateway_url_for("https://emu.example:8443/api/v10") == "wss://emu.example:8443/gateway"
    assert gateway_url_for("http://localhost:1/api/v10") == "ws://localhost:1/gateway"


def test_importing_it_pulls_in_nothing_heavy():
    code = (
        "import sys; from wolaro.core.discord_endpoint import point_discord_at; "
        "heavy = [m for m in ('discord', 'aiohttp', 'orjson', 'wolaro.sandbox') if m in sys.modules]; "
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_rest_proxy_takes_the_rest_calls_only():
    from wolaro.core.discord_endpoint import point_rest_at

    gateway, cdn = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.asset.Asset.BASE
    point_rest_at("http://nirn:8080/api/v10/")
    assert discord.http.Route("GET", "/users/@me").url == "http://nirn:8080/api/v10/users/@me"
    assert (gateway, cdn) == (discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.asset.Asset.BASE)
    point_rest_at(None)
    assert discord.http.Route.BASE == "http://nirn:8080/api/v10"
