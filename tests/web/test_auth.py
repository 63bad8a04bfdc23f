"""Login through the sandbox's OAuth2, the session JWT (tampered, expired, foreign: 401), CSRF, logout."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from tests.support.web import Env
from wolaro.web.security import CSRF_COOKIE, CSRF_HEADER, SESSION_AUDIENCE, SESSION_COOKIE, STATE_COOKIE


async def oauth_login(env: Env, user_id: int, next_path: str = "/api/me") -> httpx.AsyncClient:
    """The browser's dance: /auth/login -> sandbox consent (as `user_id`) -> /auth/callback -> cookies."""
    browser = env.client()
    resp = await browser.get("/auth/login", params={"next": next_path})
    assert resp.status_code == 302
    authorize = resp.headers["location"]
    sb = env.world.sandbox
    assert authorize.startswith(f"{sb.url}/oauth2/authorize?")
    query = parse_qs(urlsplit(authorize).query)
    assert query["client_id"] == [str(sb.application_id)] and set(query["scope"][0].split()) == {"identify", "guilds"}
    assert query["redirect_uri"] == ["http://testserver/auth/callback"]
    async with httpx.AsyncClient() as discord_side:
        consent = await discord_side.get(f"{authorize}&user_id={user_id}")
    assert consent.status_code == 302
    callback = consent.headers["location"]
    assert callback.startswith("http://testserver/auth/callback?")
    resp = await browser.get(callback)
    assert resp.status_code == 302, resp.text
    assert resp.headers["location"] == next_path
    set_cookie = resp.headers.get_list("set-cookie")
    session_cookie = next(c for c in set_cookie if c.startswith(f"{SESSION_COOKIE}="))
    assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie and "Max-Age=" in session_cookie
    csrf_cookie = next(c for c in set_cookie if c.startswith(f"{CSRF_COOKIE}="))
    assert "HttpOnly" not in csrf_cookie
    browser.headers[CSRF_HEADER] = browser.cookies[CSRF_COOKIE]
    return browser


async def test_oauth_flow_end_to_end(env: Env) -> None:
    browser = await oauth_login(env, env.world.owner_a)
    me = await browser.get("/api/me")
    assert me.status_code == 200
    body = me.json()
    user = env.world.sandbox.state.users[env.world.owner_a]
    assert body["id"] == str(user.id) and body["username"] == user.username and body["master_admin"] is False
    guilds = (await browser.get("/api/guilds")).json()
    assert [g["id"] for g in guilds] == [str(env.world.guild_a)]
    # the Discord token stays on the server: the JWT carries none of it
    claims = jwt.decode(browser.cookies[SESSION_COOKIE], options={"verify_signature": False})
    assert set(claims) == {"iss", "aud", "sub", "name", "gname", "avatar", "sid", "csrf", "iat", "exp"}
    # the picker page knows the user now
    page = await browser.get("/")
    assert page.status_code == 200 and "Cozy Cafe" in page.text and f"/guilds/{env.world.guild_a}" in page.text


async def test_state_is_verified(env: Env) -> None:
    browser = env.client()
    resp = await browser.get("/auth/login")
    state = parse_qs(urlsplit(resp.headers["location"]).query)["state"][0]
    forged = await browser.get("/auth/callback", params={"code": "x", "state": state + "x"})
    assert forged.status_code == 400
    stranger = env.client()  # no state cookie: a login started in another browser
    assert (await stranger.get("/auth/callback", params={"code": "x", "state": state})).status_code == 400
    cancelled = await browser.get("/auth/callback", params={"error": "access_denied", "state": state})
    assert cancelled.status_code == 302 and "cancelled" in cancelled.headers["location"]
    bad_code = await browser.get("/auth/callback", params={"code": "nope", "state": state})
    assert bad_code.status_code == 400


async def test_open_redirects_are_refused(env: Env) -> None:
    browser = env.client()
    resp = await browser.get("/auth/login", params={"next": "//evil.test/x"})
    state_cookie = browser.cookies[STATE_COOKIE]
    payload = jwt.decode(state_cookie, options={"verify_signature": False})
    assert payload["next"] == "/" and resp.status_code == 302


@pytest.mark.parametrize("variant", ["tampered", "expired", "wrong_key", "alg_none", "garbage", "other_audience"])
async def test_bad_session_tokens_get_401(env: Env, variant: str) -> None:
    cookies = await env.cookies_for(env.world.owner_a)
    good = cookies[SESSION_COOKIE]
    claims = jwt.decode(good, options={"verify_signature": False})
    assert env.services.settings.secret_key is not None
    secret = env.services.settings.secret_key.get_secret_value()
    if variant == "tampered":
        claims["sub"] = str(env.world.owner_b)  # become someone else, keep the old signature
        header, _, signature = good.split(".")
        body = jwt.encode(claims, "x" * 40, algorithm="HS256").split(".")[1]
        token = f"{header}.{body}.{signature}"
    elif variant == "expired":
        claims["exp"] = int(time.time()) - 5
        token = jwt.encode(claims, secret, algorithm="HS256")
    elif variant == "wrong_key":
        token = jwt.encode(claims, "another-secret-another-secret-another", algorithm="HS256")
    elif variant == "alg_none":
        token = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
    elif variant == "other_audience":
        claims["aud"] = "something-else"
        token = jwt.encode(claims, secret, algorithm="HS256")
    else:
        token = "not.a.jwt"
    assert claims.get("aud") in (SESSION_AUDIENCE, "something-else")
    client = env.client({SESSION_COOKIE: token, CSRF_COOKIE: cookies[CSRF_COOKIE]})
    assert (await client.get("/api/me")).status_code == 401
    assert (await client.get(f"/api/guilds/{env.world.guild_a}/settings")).status_code == 401
    resp = await client.patch(f"/api/guilds/{env.world.guild_a}/settings", json={"prefix": "?"})
    assert resp.status_code == 401
    assert (await env.client(cookies).get("/api/me")).status_code == 200  # the untouched token works


async def test_csrf_header_is_required_on_writes(env: Env) -> None:
    guild = env.world.guild_a
    cookies = await env.cookies_for(env.world.owner_a)
    no_header = env.client(cookies, csrf=False)
    assert (await no_header.get(f"/api/guilds/{guild}/settings")).status_code == 200  # reads need none
    resp = await no_header.patch(f"/api/guilds/{guild}/settings", json={"prefix": "?"})
    assert resp.status_code == 403 and "CSRF" in resp.json()["detail"]
    resp = await no_header.patch(
        f"/api/guilds/{guild}/settings", json={"prefix": "?"}, headers={CSRF_HEADER: "guessed"}
    )
    assert resp.status_code == 403
    assert (await no_header.post("/auth/logout")).status_code == 403
    with_header = env.client(cookies)
    cross_site = await with_header.patch(
        f"/api/guilds/{guild}/settings", json={"prefix": "?"}, headers={"Origin": "https://evil.test"}
    )
    assert cross_site.status_code == 403
    same_site = await with_header.patch(
        f"/api/guilds/{guild}/settings", json={"prefix": "?"}, headers={"Origin": "http://testserver"}
    )
    assert same_site.status_code == 200
    assert (await env.services.config.get(guild)).prefix == "?"
    # another session's token does not fit this one
    other = await env.cookies_for(env.world.owner_a)
    mixed = await no_header.patch(
        f"/api/guilds/{guild}/settings", json={"prefix": "!"}, headers={CSRF_HEADER: other[CSRF_COOKIE]}
    )
    assert mixed.status_code == 403


async def test_logout_ends_the_session(env: Env) -> None:
    cookies = await env.cookies_for(env.world.owner_a)
    client = env.client(cookies)
    assert (await client.get("/api/me")).status_code == 200
    resp = await client.post("/auth/logout")
    assert resp.status_code == 204
    replay = env.client(cookies)  # the old JWT, still unexpired, replayed
    assert (await replay.get("/api/me")).status_code == 401


async def test_login_unconfigured_says_what_to_set(world, web_settings) -> None:
    from tests.support.web import running_env

    async with running_env(world, web_settings(discord_client_secret=None)) as env:
        resp = await env.client().get("/auth/login")
        assert resp.status_code == 503 and "DISCORD_CLIENT_SECRET" in resp.json()["detail"]
        assert (await env.client().get("/login", follow_redirects=False)).headers["location"].startswith("/auth/login")
        assert (await env.client().get("/")).status_code == 200  # the front door, for people not logged in
