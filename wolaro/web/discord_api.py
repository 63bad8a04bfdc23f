"""The dashboard's calls to Discord's REST API (or the sandbox): OAuth2 for users, the bot token for lookups.

User-scoped calls (`/users/@me`, `/users/@me/guilds`) use the user's OAuth token; guild lookups for the settings
pages' pickers (channels, roles: seed 002 "Data Enrichment") use the bot token and are cached briefly in the
shared cache, so N dashboards open on a guild cost one Discord call per TTL.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from wolaro.data.cache import Cache
from wolaro.logging import get_logger
from wolaro.settings import Settings

log = get_logger(__name__)

OAUTH_SCOPES = "identify guilds"
USER_AGENT = "DiscordBot (https://github.com/wolaro/wolaro, 0.1) Wolaro-Dashboard"


class DiscordError(Exception):
    """Discord answered with an error (or could not be reached: status 0)."""

    def __init__(self, status: int, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(f"Discord {status}: {message}")
        self.status = status
        self.message = message
        self.retry_after = retry_after


class DiscordAPI:
    """A small async Discord REST client for the dashboard (httpx, one connection pool per process)."""

    def __init__(self, settings: Settings, cache: Cache, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.cache = cache
        self.base = settings.discord_api_base
        self.http = httpx.AsyncClient(timeout=10.0, transport=transport, headers={"User-Agent": USER_AGENT})

    async def close(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()

    # ---------------------------------------------------------------------------------------- OAuth2
    @property
    def configured(self) -> bool:
        """Whether OAuth2 login can work (client id and secret set)."""
        secret = self.settings.discord_client_secret
        return self.settings.discord_client_id is not None and secret is not None and bool(secret.get_secret_value())

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        """Where to send the browser to log in: Discord's consent page (`/oauth2/authorize`)."""
        site = re.sub(r"/api(/v\d+)?$", "", self.base)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": str(self.settings.discord_client_id),
                "scope": OAUTH_SCOPES,
                "redirect_uri": redirect_uri,
                "state": state,
                "prompt": "none",
            }
        )
        return f"{site}/oauth2/authorize?{query}"

    async def exchange_code(self, code: str, redirect_uri: str) -> dict[str, Any]:
        """Trade an authorization code for the user's tokens."""
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            **self._client_credentials(),
        }
        return await self._request("POST", "/oauth2/token", data=data)  # type: ignore[no-any-return]

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        """Trade a refresh token for new tokens (Discord rotates the refresh token too)."""
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **self._client_credentials()}
        return await self._request("POST", "/oauth2/token", data=data)  # type: ignore[no-any-return]

    async def revoke(self, token: str, *, hint: str) -> None:
        """Revoke an access or refresh token (`hint`: "access_token" or "refresh_token") at Discord."""
        data = {"token": token, "token_type_hint": hint, **self._client_credentials()}
        await self._request("POST", "/oauth2/token/revoke", data=data)

    def _client_credentials(self) -> dict[str, str]:
        secret = self.settings.discord_client_secret
        return {
            "client_id": str(self.settings.discord_client_id),
            "client_secret": secret.get_secret_value() if secret else "",
        }

    async def current_user(self, access_token: str) -> dict[str, Any]:
        """The user the token belongs to."""
        return await self._request("GET", "/users/@me", bearer=access_token)  # type: ignore[no-any-return]

    async def user_guilds(self, access_token: str) -> list[dict[str, Any]]:
        """Every guild the user is in, with `owner` and their `permissions` there (paged by 200)."""
        guilds: list[dict[str, Any]] = []
        after = "0"
        while True:
            page = await self._request("GET", f"/users/@me/guilds?limit=200&after={after}", bearer=access_token)
            guilds.extend(page)
            if len(page) < 200:
                return guilds
            after = page[-1]["id"]

    # ---------------------------------------------------------------------------------------- bot token
    async def guild_channels(self, guild_id: int) -> list[dict[str, Any]]:
        """The guild's channels (cached `discord_lookup_ttl` seconds in the shared cache)."""
        return await self._cached(f"web:discord:channels:{guild_id}", f"/guilds/{guild_id}/channels")

    async def guild_roles(self, guild_id: int) -> list[dict[str, Any]]:
        """The guild's roles (cached like channels)."""
        return await self._cached(f"web:discord:roles:{guild_id}", f"/guilds/{guild_id}/roles")

    async def guild_member(self, guild_id: int, user_id: int) -> dict[str, Any] | None:
        """A member of the guild (`nick`, `avatar`, `user`), cached like channels; None if they are not in it."""
        try:
            found: Any = await self._cached(
                f"web:discord:member:{guild_id}:{user_id}", f"/guilds/{guild_id}/members/{user_id}"
            )
        except DiscordError as exc:
            if exc.status == 404:
                return None
            raise
        return found  # type: ignore[no-any-return]

    async def _cached(self, key: str, path: str) -> list[dict[str, Any]]:
        raw = await self.cache.get(key)
        if raw is not None:
            return orjson.loads(raw)  # type: ignore[no-any-return]
        token = self.settings.discord_token
        if token is None:
            raise DiscordError(0, "DISCORD_TOKEN is not set: channel and role names are unavailable")
        data = await self._request("GET", path, bot=token.get_secret_value())
        if self.settings.discord_lookup_ttl > 0:
            await self.cache.set(key, orjson.dumps(data), ttl=self.settings.discord_lookup_ttl)
        return data  # type: ignore[no-any-return]

    async def forget_guild(self, guild_id: int) -> None:
        """Drop cached lookups of a guild (a forced resync)."""
        await self.cache.delete(f"web:discord:channels:{guild_id}", f"web:discord:roles:{guild_id}")

    # ---------------------------------------------------------------------------------------- plumbing
    async def _request(
        self,
        method: str,
        path: str,
        *,
        bearer: str | None = None,
        bot: str | None = None,
        data: dict[str, str] | None = None,
    ) -> Any:
        headers = {}
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        elif bot is not None:
            headers["Authorization"] = f"Bot {bot}"
        try:
            response = await self.http.request(method, self.base + path, headers=headers, data=data)
        except httpx.HTTPError as exc:
            log.warning("discord unreachable", path=path.split("?")[0], error=repr(exc))
            raise DiscordError(0, "Discord is unreachable") from exc
        if response.status_code >= 400:
            retry_after = None
            message = response.text[:200]
            try:
                body = response.json()
                message = body.get("message") or body.get("error_description") or body.get("error") or message
                retry_after = body.get("retry_after")
            except ValueError:
                pass
            if response.status_code == 429 and retry_after is None:
                retry_after = float(response.headers.get("Retry-After", "1"))
            raise DiscordError(response.status_code, str(message), retry_after=retry_after)
        return response.json() if response.content else None
