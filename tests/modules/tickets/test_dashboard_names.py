"""The tickets lists show members by name (and avatar on the dashboard page), never their ids; someone who left
the server is "a former member" (in French "un ancien membre")."""

from __future__ import annotations

import re
from typing import Any

from tests.support.web import env, sandbox, web_backend, web_settings, world
from wolaro.modules.tickets import store

__all__ = ["env", "sandbox", "web_backend", "web_settings", "world"]

GONE = 987654321098765432  # a member who left


async def test_ticket_lists_show_names(env: Any) -> None:
    sb, guild, db = env.world.sandbox, env.world.guild_a, env.services.db
    await env.services.config.set_module_enabled(guild, "tickets", True, actor_id=None)
    opener, staff = env.world.plain_a, sb.member_ids(guild)[1]
    first = await store.open_ticket(db, guild_id=guild, category="support", opener_id=opener, answers=[], limit=5)
    await store.claim(db, first.id, staff)
    await store.close(db, first.id, closed_by=staff, reason="done", guild_id=guild, number=first.number)
    await store.open_ticket(db, guild_id=guild, category="support", opener_id=GONE, answers=[], limit=5)
    opener_name, staff_name = sb.display_name(guild, opener), sb.display_name(guild, staff)
    owner = await env.as_user(env.world.owner_a)
    base = f"/api/guilds/{guild}/modules/tickets"

    listed = (await owner.get(f"{base}/tickets")).json()["tickets"]
    assert [(t["opener_name"], t["claimed_by_name"]) for t in listed] == [
        ("a former member", None),
        (opener_name, staff_name),
    ]
    figures = (await owner.get(f"{base}/stats")).json()["staff"]
    assert [s["name"] for s in figures] == [staff_name]

    for url in (f"{base}/view", f"/guilds/{guild}/modules/tickets/list"):
        page = await owner.get(url, headers={"accept": "text/html"})
        assert page.status_code == 200, url
        assert opener_name in page.text and staff_name in page.text and "a former member" in page.text, url
        shown = re.sub(r"<[^>]*>", " ", page.text)  # what a person reads (ids stay in links and form values)
        for user_id in (opener, staff, GONE):
            assert str(user_id) not in shown, (url, user_id)
    french = await owner.get(f"{base}/view", headers={"accept-language": "fr"})
    assert (
        "un ancien membre" in french.text
        and "Équipe de support" in french.text
        and "Tickets trouvés : 2" in french.text
    )
    page_fr = await owner.get(f"/guilds/{guild}/modules/tickets/list", headers={"accept-language": "fr"})
    assert "un ancien membre" in page_fr.text and "Équipe de support" in page_fr.text and "Fermé" in page_fr.text
    assert "Support team" not in page_fr.text and ">closed<" not in page_fr.text
    filtered = await owner.get(f"{base}/view", params={"staff_id": staff})  # "claimed by" is picked by name
    assert f'<option value="{staff}" selected>{staff_name}</option>' in filtered.text
