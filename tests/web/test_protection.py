"""Rate limits (per IP, per user: 429 + Retry-After) and security headers on every kind of response."""

from __future__ import annotations

import httpx

from tests.support.web import running_env


async def test_ip_limit(world, web_settings) -> None:
    settings = web_settings(api_rate_limits=True, api_rate_ip="5/minute", api_rate_user="1000/minute")
    async with running_env(world, settings) as env:
        client = env.client()
        statuses = [(await client.get("/api/me")).status_code for _ in range(5)]
        assert statuses == [401] * 5
        refused = await client.get("/api/me")
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.json()["detail"] == "Too many requests"
        assert refused.headers["x-content-type-options"] == "nosniff"
        # health and metrics stay reachable for probes
        assert (await client.get("/api/health")).status_code == 200
        assert (await client.get("/metrics")).status_code == 200
        # another address has its own budget
        other = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=env.app, client=("10.9.9.9", 1)), base_url="http://testserver"
        )
        env.clients.append(other)
        assert (await other.get("/api/me")).status_code == 401
        metrics = (await client.get("/metrics")).text
        assert "wolaro_api_rate_limited_total 1.0" in metrics


async def test_user_limit_follows_the_user_across_addresses(world, web_settings) -> None:
    settings = web_settings(api_rate_limits=True, api_rate_ip="1000/minute", api_rate_user="3/minute")
    async with running_env(world, settings) as env:
        cookies = await env.cookies_for(world.owner_a)
        clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=env.app, client=(f"10.0.0.{n}", 1)),
                base_url="http://testserver",
                cookies=cookies,
            )
            for n in range(4)
        ]
        env.clients.extend(clients)
        assert [(await c.get("/api/me")).status_code for c in clients[:3]] == [200, 200, 200]
        refused = await clients[3].get("/api/me")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        # someone else is not affected
        other = await env.as_user(world.owner_b)
        assert (await other.get("/api/me")).status_code == 200


async def test_security_headers_everywhere(env) -> None:
    client = await env.as_user(env.world.owner_a)
    responses = {
        "api": await client.get("/api/me"),
        "guild": await client.get(f"/api/guilds/{env.world.guild_b}/settings"),  # a 403
        "missing": await client.get("/api/nothing-here"),  # a 404
        "page": await client.get("/"),
        "static": await client.get("/static/wolaro.css"),
        "health": await client.get("/api/health"),
        "docs": await client.get("/docs"),
        "openapi": await client.get("/openapi.json"),
    }
    assert responses["guild"].status_code == 403 and responses["missing"].status_code == 404
    for name, resp in responses.items():
        headers = resp.headers
        assert headers["x-content-type-options"] == "nosniff", name
        assert headers["x-frame-options"] == "DENY", name
        assert headers["referrer-policy"] == "same-origin", name
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, name
        assert "strict-transport-security" not in headers  # plain http here
    assert "'unsafe-inline'" not in responses["page"].headers["content-security-policy"]
    assert "script-src 'self'" in responses["page"].headers["content-security-policy"]
    assert responses["api"].headers["cache-control"] == "no-store"
    assert responses["docs"].status_code == 200 and "swagger" in responses["docs"].text.lower()
    assert "/api/guilds/{guild_id}/settings" in responses["openapi"].json()["paths"]


async def test_hsts_and_secure_cookies_over_https(world, web_settings) -> None:
    async with running_env(world, web_settings(public_url="https://dash.example")) as env:
        resp = await env.client().get("/auth/login")
        assert resp.headers["strict-transport-security"].startswith("max-age=")
        state_cookie = resp.headers["set-cookie"]
        assert "Secure" in state_cookie and "HttpOnly" in state_cookie
        assert "redirect_uri=https%3A%2F%2Fdash.example%2Fauth%2Fcallback" in resp.headers["location"]
