"""Login with Discord (OAuth2 authorization code), logout.

GET  /auth/login?next=/path   -> 302 to Discord's consent page (state bound to this browser by a signed cookie)
GET  /auth/callback           -> checks state, trades the code, opens a session, sets the cookies, 302 to next
POST /auth/logout             -> ends the session everywhere and revokes its Discord tokens (CSRF header required),
                                 clears the cookies

The `redirect_uri` sent to Discord is `PUBLIC_URL/auth/callback`. Without PUBLIC_URL it is built from the request's
`Host` only when that host is in ALLOWED_HOSTS (default: this machine's loopback names), so a forged Host header
can never send a login code to another site.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from wolaro.logging import get_logger
from wolaro.web.deps import SessionUser, WebDep
from wolaro.web.discord_api import DiscordError
from wolaro.web.hub import SESSION_ENDED
from wolaro.web.language import LANGUAGE_COOKIE, supported
from wolaro.web.security import CSRF_COOKIE, SESSION_COOKIE, STATE_COOKIE, STATE_MAX_AGE, host_allowed, safe_next

log = get_logger(__name__)
router = APIRouter(prefix="/auth", tags=["auth"])


def redirect_uri(request: Request, web: WebDep) -> str:
    """The callback URL registered with Discord: `PUBLIC_URL/auth/callback`.

    Without PUBLIC_URL, this server's own address if its `Host` is an allowed one (400 otherwise, naming PUBLIC_URL).
    """
    settings = web.settings
    if settings.public_url:
        return f"{settings.public_url.rstrip('/')}/auth/callback"
    if not host_allowed(request.headers.get("host", ""), settings.allowed_hosts):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "This address is not the dashboard's: set PUBLIC_URL to the dashboard's address "
            "(or add this host to ALLOWED_HOSTS)",
        )
    return f"{str(request.base_url).rstrip('/')}/auth/callback"


@router.get("/login", summary="Start the Discord login", status_code=302, response_class=RedirectResponse)
async def login(request: Request, web: WebDep, next: Annotated[str, Query(max_length=512)] = "/") -> Response:
    """Send the browser to Discord's consent page; Discord sends it back to `/auth/callback`."""
    if not web.discord.configured:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "Dashboard login is not configured: set DISCORD_CLIENT_ID and DISCORD_CLIENT_SECRET",
        )
    state = secrets.token_urlsafe(24)
    response = RedirectResponse(web.discord.authorize_url(state, redirect_uri(request, web)), status_code=302)
    response.set_cookie(
        STATE_COOKIE,
        web.tokens.issue_state(state, safe_next(next)),
        max_age=STATE_MAX_AGE,
        path="/auth",
        httponly=True,
        secure=web.settings.secure_cookies,
        samesite="lax",
    )
    return response


@router.get(
    "/callback", summary="Discord sends the browser back here", status_code=302, response_class=RedirectResponse
)
async def callback(
    request: Request,
    web: WebDep,
    code: Annotated[str | None, Query(max_length=512)] = None,
    state: Annotated[str | None, Query(max_length=2048)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
) -> Response:
    """Check `state`, trade `code` for the user's token, open a session and set the session cookies."""
    saved = web.tokens.read_state(request.cookies.get(STATE_COOKIE))
    if saved is None or state is None or not hmac.compare_digest(str(saved["state"]), state):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Login expired or forged (state mismatch): try again")
    if error is not None or code is None:
        response = RedirectResponse("/?login=cancelled", status_code=302)
        response.delete_cookie(STATE_COOKIE, path="/auth")
        return response
    try:
        token = await web.discord.exchange_code(code, redirect_uri(request, web))
        user = await web.discord.current_user(token["access_token"])
    except DiscordError as exc:
        log.warning("oauth exchange failed", status=exc.status, error=exc.message)
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Discord refused the login: try again") from None
    record = await web.sessions.create(int(user["id"]), token, max_age=web.settings.session_max_age)
    jwt_value, claims = web.tokens.issue(user, record.id)
    response = RedirectResponse(str(saved.get("next") or "/"), status_code=302)
    response.delete_cookie(STATE_COOKIE, path="/auth")
    set_session_cookies(response, web, jwt_value, claims.csrf)
    locale = supported(str(user.get("locale") or ""))
    if locale and LANGUAGE_COOKIE not in request.cookies:  # the dashboard speaks the person's Discord language
        response.set_cookie(LANGUAGE_COOKIE, locale, max_age=365 * 86400, samesite="lax")
    log.info("dashboard login", user_id=claims.user_id)
    return response


def set_session_cookies(response: Response, web: WebDep, jwt_value: str, csrf: str) -> None:
    """The HttpOnly session JWT and the readable CSRF token (double submit)."""
    secure = web.settings.secure_cookies
    max_age = web.settings.session_max_age
    response.set_cookie(SESSION_COOKIE, jwt_value, max_age=max_age, httponly=True, secure=secure, samesite="lax")
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, httponly=False, secure=secure, samesite="lax")


@router.post("/logout", status_code=204, summary="Log out")
async def logout(user: SessionUser, web: WebDep) -> Response:
    """End the session and clear the cookies.

    Its JWT stops working in every API process, open sockets close, and its Discord tokens are revoked.
    """
    await web.sessions.end(user.sid, revoke=True)
    await web.services.pubsub.publish(SESSION_ENDED, {"sid": user.sid, "user_id": user.id})
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response
