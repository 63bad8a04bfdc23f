"""The dashboard's language for a request.

The person's choice (the chooser's cookie), else their Discord locale (set as the same cookie at login), else their
browser's languages; English when none is supported.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request

from wolaro.core.config_service import SUPPORTED_LANGUAGES

LANGUAGE_COOKIE = "wolaro_lang"
DEFAULT = "en"


def supported(code: str | None) -> str | None:
    """`fr` for `fr`, `fr-FR` or `fr_CA`; None for a language the dashboard does not speak."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-", 1)[0]
    return base if base in SUPPORTED_LANGUAGES else None


def from_accept_language(header: str) -> str | None:
    """The first supported language of an `Accept-Language` header, by its weights."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        code, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        weighted.append((-weight, position, code))
    for _, _, code in sorted(weighted):
        found = supported(code)
        if found:
            return found
    return None


def choose(cookies: Mapping[str, str], headers: Mapping[str, str], query: str | None = None) -> str:
    """The language of a page or an API answer."""
    return (
        supported(query)
        or supported(cookies.get(LANGUAGE_COOKIE))
        or from_accept_language(headers.get("accept-language", ""))
        or DEFAULT
    )


def request_language(request: Request) -> str:
    """`choose` for a FastAPI request (`?language=` first, for API clients)."""
    return choose(request.cookies, request.headers, request.query_params.get("language"))
