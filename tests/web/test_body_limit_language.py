"""The 413 for a too-large body is a sentence in the person's language, like the API's other refusals."""

from __future__ import annotations

from tests.support.web import Env


async def test_the_413_follows_the_request_language(env: Env) -> None:
    client = await env.as_user(env.world.owner_a)
    url = f"/api/guilds/{env.world.guild_a}/settings"
    big = {"prefix": "x" * 600_000}
    english = await client.patch(url, json=big)
    assert english.status_code == 413
    assert english.json()["detail"] == "What you sent is too large: at most 512 KB."
    french = await client.patch(url, json=big, headers={"accept-language": "fr-FR,fr;q=0.9"})
    assert french.status_code == 413
    assert french.json()["detail"] == "Ce que vous avez envoyé est trop volumineux : 512 Ko au plus."
    chosen = await client.patch(url, json=big, params={"language": "fr"}, headers={"accept-language": "en"})
    assert chosen.json()["detail"].startswith("Ce que vous avez envoyé")
