"""The statistics dashboard API refuses a reversed or too long range and a value that is not an id with a 422
naming the field, in the caller's language (English by default, French when asked)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(60)

CASES = [
    ("/overview", {"start": "2026-12-05", "end": "2026-12-01"}, ["query", "start"],
     "The first day must come before the last day.", "Le premier jour doit précéder le dernier jour."),
    ("/growth", {"start": "2000-01-01", "end": "2026-12-01"}, ["query", "start"],
     "Choose at most 3650 days.", "Choisissez au plus 3650 jours."),
    ("/leaderboard", {"channel_id": "general"}, ["query", "channel_id"],
     "That is not a channel.", "Ce n'est pas un salon."),
    ("/users/12abc", {}, ["path", "user_id"], "That is not a member.", "Ce n'est pas un membre."),
    ("/channels/-5", {}, ["path", "channel_id"], "That is not a channel.", "Ce n'est pas un salon."),
]  # fmt: skip


@pytest.mark.parametrize(("path", "params", "loc", "english", "french"), CASES)
async def test_refusals_follow_the_callers_language(stats, dashboard, path, params, loc, english, french):
    client = await dashboard.as_user(stats.owner)
    url = f"/api/guilds/{stats.guild}/modules/statistics{path}"

    plain = await client.get(url, params=params)
    assert plain.status_code == 422
    assert plain.json()["detail"] == [{"loc": loc, "msg": english, "type": "value_error"}]

    asked = await client.get(url, params={**params, "language": "fr"})
    assert asked.status_code == 422
    assert asked.json()["detail"] == [{"loc": loc, "msg": french, "type": "value_error"}]

    by_header = await client.get(url, params=params, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert by_header.json()["detail"][0]["msg"] == french
