"""The emulated OAuth2 authorization-code flow and the Bearer (user) side of /users/@me."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from wolaro.sandbox import Sandbox
from wolaro.sandbox import permissions as perm
from wolaro.sandbox.oauth import emulator

REDIRECT = "http://dashboard.test/auth/callback"


@pytest.fixture
async def http(sandbox: Sandbox):
    async with httpx.AsyncClient(base_url=sandbox.url, follow_redirects=False) as client:
        yield client


def authorize_params(sandbox: Sandbox, **extra):
    return {
        "response_type": "code",
        "client_id": str(sandbox.application_id),
        "redirect_uri": REDIRECT,
        "scope": "identify guilds",
        "state": "st4te",
        **extra,
    }


def form(sandbox: Sandbox, **fields):
    return {"client_id": str(sandbox.application_id), "client_secret": emulator(sandbox).client_secret, **fields}


async def login_code(http: httpx.AsyncClient, sandbox: Sandbox, user_id: int) -> str:
    resp = await http.get("/oauth2/authorize", params=authorize_params(sandbox, user_id=str(user_id)))
    assert resp.status_code == 302
    location = urlsplit(resp.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["st4te"]
    return query["code"][0]


async def test_code_flow_gives_the_users_identity_and_guilds(sandbox: Sandbox, http: httpx.AsyncClient):
    guild_a, guild_b = sandbox.guild_ids()
    owner = sandbox.owner_id(guild_a)
    code = await login_code(http, sandbox, owner)
    resp = await http.post(
        "/api/v10/oauth2/token", data=form(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    )
    assert resp.status_code == 200, resp.text
    token = resp.json()
    assert token["token_type"] == "Bearer" and token["expires_in"] > 0 and token["refresh_token"]
    assert set(token["scope"].split()) == {"identify", "guilds"}
    bearer = {"Authorization": f"Bearer {token['access_token']}"}

    me = (await http.get("/api/v10/users/@me", headers=bearer)).json()
    assert me["id"] == str(owner) and me["bot"] is False

    guilds = (await http.get("/api/v10/users/@me/guilds", headers=bearer)).json()
    assert [g["id"] for g in guilds] == [str(guild_a)]  # a member of guild A only
    assert guilds[0]["owner"] is True and isinstance(guilds[0]["permissions"], str)
    assert int(guilds[0]["permissions"]) & perm.ADMINISTRATOR
    assert guild_b not in {int(g["id"]) for g in guilds}


async def test_guild_permissions_follow_role_changes(sandbox: Sandbox, http: httpx.AsyncClient):
    guild = sandbox.guild_ids()[0]
    user = sandbox.member_ids(guild)[2]
    bearer = {"Authorization": f"Bearer {emulator(sandbox).issue_token(user)['access_token']}"}

    async def permissions() -> int:
        (entry,) = (await http.get("/api/v10/users/@me/guilds", headers=bearer)).json()
        assert entry["owner"] is False
        return int(entry["permissions"])

    assert not await permissions() & (perm.ADMINISTRATOR | perm.MANAGE_GUILD)
    member_role, admin_role = sandbox.role_id(guild, "Member"), sandbox.role_id(guild, "Admin")
    await sandbox.member_update(guild, user, roles=[member_role, admin_role])
    assert await permissions() & perm.ADMINISTRATOR
    await sandbox.member_update(guild, user, roles=[member_role])
    assert not await permissions() & perm.ADMINISTRATOR


async def test_codes_are_single_use_and_bound_to_the_redirect_uri(sandbox: Sandbox, http: httpx.AsyncClient):
    user = sandbox.member_ids(sandbox.guild_ids()[0])[1]
    code = await login_code(http, sandbox, user)
    bad_uri = form(sandbox, grant_type="authorization_code", code=code, redirect_uri="http://evil.test/cb")
    resp = await http.post("/api/v10/oauth2/token", data=bad_uri)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"
    # the failed attempt consumed the code, as a stolen code must not be retried
    good = form(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert (await http.post("/api/v10/oauth2/token", data=good)).status_code == 400

    code = await login_code(http, sandbox, user)
    good["code"] = code
    assert (await http.post("/api/v10/oauth2/token", data=good)).status_code == 200
    again = await http.post("/api/v10/oauth2/token", data=good)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_client_credentials_are_checked(sandbox: Sandbox, http: httpx.AsyncClient):
    user = sandbox.member_ids(sandbox.guild_ids()[0])[1]
    code = await login_code(http, sandbox, user)
    fields = form(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, client_secret="nope")
    resp = await http.post("/api/v10/oauth2/token", data=fields)
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"
    # HTTP Basic client authentication works too
    code = await login_code(http, sandbox, user)
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    resp = await http.post(
        "/api/v10/oauth2/token", data=fields, auth=(str(sandbox.application_id), emulator(sandbox).client_secret)
    )
    assert resp.status_code == 200


async def test_refresh_and_revoke(sandbox: Sandbox, http: httpx.AsyncClient):
    user = sandbox.member_ids(sandbox.guild_ids()[0])[3]
    first = emulator(sandbox).issue_token(user)
    resp = await http.post(
        "/api/v10/oauth2/token", data=form(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    )
    assert resp.status_code == 200
    second = resp.json()["access_token"]
    await http.post("/api/v10/oauth2/token/revoke", data=form(sandbox, token=second))
    resp = await http.get("/api/v10/users/@me", headers={"Authorization": f"Bearer {second}"})
    assert resp.status_code == 401


async def test_invalid_tokens_and_missing_scope(sandbox: Sandbox, http: httpx.AsyncClient):
    resp = await http.get("/api/v10/users/@me", headers={"Authorization": "Bearer nope"})
    assert resp.status_code == 401
    user = sandbox.member_ids(sandbox.guild_ids()[0])[1]
    identify_only = emulator(sandbox).issue_token(user, frozenset({"identify"}))["access_token"]
    resp = await http.get("/api/v10/users/@me/guilds", headers={"Authorization": f"Bearer {identify_only}"})
    assert resp.status_code == 403


async def test_bot_token_still_gets_the_bot(sandbox: Sandbox, http: httpx.AsyncClient):
    bot_auth = {"Authorization": f"Bot {sandbox.token}"}
    me = (await http.get("/api/v10/users/@me", headers=bot_auth)).json()
    assert me["id"] == str(sandbox.application_id) and me["bot"] is True
    guilds = (await http.get("/api/v10/users/@me/guilds", headers=bot_auth)).json()
    assert {int(g["id"]) for g in guilds} == set(sandbox.guild_ids())
    assert (await http.get("/api/v10/users/@me")).status_code == 401


async def test_authorize_page_lists_users_and_denies(sandbox: Sandbox, http: httpx.AsyncClient):
    page = await http.get("/oauth2/authorize", params=authorize_params(sandbox))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    owner = sandbox.owner_id(sandbox.guild_ids()[0])
    assert f"user_id={owner}" in page.text and "Cozy Cafe" in page.text
    denied = await http.get("/oauth2/authorize", params=authorize_params(sandbox, deny="1"))
    assert denied.status_code == 302
    query = parse_qs(urlsplit(denied.headers["location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["st4te"]
    wrong_client = await http.get("/oauth2/authorize", params=authorize_params(sandbox, client_id="1"))
    assert wrong_client.status_code == 400
    by_name = await http.get(
        "/api/oauth2/authorize",
        params=authorize_params(sandbox, login_hint=sandbox.state.users[owner].username),
    )
    assert by_name.status_code == 302 and "code=" in by_name.headers["location"]
