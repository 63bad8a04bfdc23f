"""The dashboard's language: the chooser's cookie, else the Discord locale (remembered at login), else the browser;
and the "Add to server" link asks for what the modules need."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import discord

from tests.support.web import Env
from wolaro.core.registry import discover_specs
from wolaro.web.front_door import BASE_PERMISSIONS, invite_url, permissions_value
from wolaro.web.language import LANGUAGE_COOKIE, choose, from_accept_language


def test_the_chooser_wins_then_the_browser_then_english():
    assert choose({LANGUAGE_COOKIE: "fr"}, {"accept-language": "en-GB,en"}) == "fr"
    assert choose({}, {"accept-language": "de-DE,de;q=0.9,fr;q=0.8,en;q=0.7"}) == "fr"
    assert choose({}, {"accept-language": "en;q=0.2, fr-CA;q=0.9"}) == "fr"
    assert choose({LANGUAGE_COOKIE: "klingon"}, {"accept-language": "de"}) == "en"
    assert choose({}, {}, query="fr-FR") == "fr"
    assert from_accept_language("x;q=abc, fr") == "fr"


def test_the_invite_asks_for_what_the_installed_modules_need():
    specs = discover_specs()
    value = discord.Permissions(permissions_value(specs))
    assert all(getattr(value, name) for name in BASE_PERMISSIONS)
    assert value.ban_members and value.view_audit_log and value.moderate_members  # moderation, server log
    assert not value.administrator
    query = parse_qs(urlsplit(invite_url(123, specs, guild_id=456) or "").query)
    assert query["guild_id"] == ["456"] and query["disable_guild_select"] == ["true"]
    assert invite_url(None, specs) is None


async def test_the_front_door_and_pages_follow_the_language(env: Env) -> None:
    client = env.client()
    page = await client.get("/", headers={"Accept-Language": "fr-FR"})
    assert page.status_code == 200 and '<html lang="fr">' in page.text and "Ajouter à un serveur" in page.text
    page = await client.get("/", cookies={LANGUAGE_COOKIE: "en"}, headers={"Accept-Language": "fr-FR"})
    assert '<html lang="en">' in page.text and "Add to server" in page.text
