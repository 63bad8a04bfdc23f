"""Tickets on the dashboard: the list with filters, staff statistics, the page, and the transcript viewer that only
the server's admins and that kind of ticket's support team can read (everyone else: 403)."""

from __future__ import annotations

from typing import Any

from tests.support.web import env, sandbox, web_backend, web_settings, world
from wolaro.modules.tickets import store, transcript
from wolaro.modules.tickets.storage import storage_from_settings

__all__ = ["env", "sandbox", "web_backend", "web_settings", "world"]


async def seed(env: Any) -> tuple[int, int]:
    """Guild A: kind `support` handled by the Moderator role; ticket #1 closed with a transcript, #2 open."""
    sb, guild = env.world.sandbox, env.world.guild_a
    moderator = sb.role_id(guild, "Moderator")
    config = env.services.config
    await config.set_module_enabled(guild, "tickets", True, actor_id=None)
    await config.update_module_config(
        guild,
        "tickets",
        {"categories": [{"key": "support", "name": "Support", "support_role_ids": [moderator]}]},
        actor_id=None,
    )
    db = env.services.db
    opener, staff = env.world.plain_a, sb.member_ids(guild)[1]
    first = await store.open_ticket(db, guild_id=guild, category="support", opener_id=opener, answers=[], limit=5)
    await store.claim(db, first.id, staff)
    await store.close(db, first.id, closed_by=staff, reason="done", guild_id=guild, number=first.number)
    second = await store.open_ticket(db, guild_id=guild, category="support", opener_id=opener, answers=[], limit=5)
    doc = transcript.Transcript(
        guild="A",
        channel="ticket-0001",
        number=1,
        category="Support",
        opener="Ann",
        opened_at="t",
        closed_at="t",
        closed_by="Bob",
        reason="done",
        messages=[
            transcript.Message(1, opener, "Ann", False, None, "t", None, "<script>alert(1)</script> secret", [], [])
        ],
    )
    key = f"{guild}/1-abc"
    storage = storage_from_settings(env.services.settings)
    await storage.put(f"{key}/transcript.html", transcript.render_html(doc).encode(), "text/html")
    await storage.put(f"{key}/transcript.txt", transcript.render_text(doc).encode(), "text/plain")
    await store.transcript_done(db, first.id, key=key, status="ready")
    return first.number, second.number


async def test_only_admins_and_the_support_team_read_a_transcript(env: Any) -> None:
    number, _ = await seed(env)
    sb, guild = env.world.sandbox, env.world.guild_a
    url = f"/api/guilds/{guild}/modules/tickets/tickets/{number}/transcript"
    owner = await env.as_user(env.world.owner_a)
    shown = await owner.get(url)
    assert shown.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt; secret" in shown.text and "<script>" not in shown.text
    assert "sandbox" in shown.headers["content-security-policy"]
    assert "script-src" not in shown.headers["content-security-policy"]  # default-src 'none' covers scripts
    as_text = await owner.get(url, params={"format": "text"})
    assert as_text.status_code == 200 and "<script>alert(1)</script> secret" in as_text.text

    support = await env.as_user(sb.member_ids(guild)[1])  # a Moderator: the kind's support role, not an admin
    assert (await support.get(f"/api/guilds/{guild}/modules/tickets/tickets")).status_code == 403
    assert (await support.get(url)).status_code == 200

    for outsider in (env.world.plain_a, sb.member_ids(guild)[3], env.world.owner_b):
        client = await env.as_user(outsider)
        refused = await client.get(url)
        assert refused.status_code == 403, outsider
        assert "secret" not in refused.text
        assert (await client.get(url, params={"format": "text"})).status_code == 403
    assert (await env.client().get(url)).status_code == 401
    for missing in ("99", "9999999999", "abc"):
        assert (await owner.get(f"/api/guilds/{guild}/modules/tickets/tickets/{missing}/transcript")).status_code == 403
    other = await env.as_user(env.world.owner_b)  # an admin elsewhere cannot read guild A's through their guild
    assert (
        await other.get(f"/api/guilds/{env.world.guild_b}/modules/tickets/tickets/{number}/transcript")
    ).status_code == 403


async def test_ticket_list_filters_statistics_and_pages(env: Any) -> None:
    first, second = await seed(env)
    guild = env.world.guild_a
    staff = env.world.sandbox.member_ids(guild)[1]
    owner = await env.as_user(env.world.owner_a)
    base = f"/api/guilds/{guild}/modules/tickets"
    listed = (await owner.get(f"{base}/tickets")).json()
    assert listed["total"] == 2 and [t["number"] for t in listed["tickets"]] == [second, first]
    closed = (await owner.get(f"{base}/tickets", params={"status": "closed"})).json()
    assert [t["number"] for t in closed["tickets"]] == [first] and closed["tickets"][0]["transcript"] == "ready"
    assert [
        t["number"] for t in (await owner.get(f"{base}/tickets", params={"claimed": "false"})).json()["tickets"]
    ] == [second]
    by_staff = (await owner.get(f"{base}/tickets", params={"staff_id": str(staff)})).json()
    assert [t["number"] for t in by_staff["tickets"]] == [first]
    assert (await owner.get(f"{base}/tickets", params={"category": "other"})).json()["total"] == 0
    assert (await owner.get(f"{base}/tickets", params={"status": "nonsense"})).status_code == 422
    figures = (await owner.get(f"{base}/stats")).json()["staff"]
    assert [(s["user_id"], s["handled"]) for s in figures] == [(str(staff), 1)]
    view = await owner.get(f"{base}/view", params={"status": "open"})
    assert view.status_code == 200 and "Tickets found: 1" in view.text
    page = await owner.get(f"/guilds/{guild}/modules/tickets/list", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "1 open (0 claimed)" in page.text and f"{base}/tickets/{first}/transcript" in page.text
    plain = await env.as_user(env.world.plain_a)
    for path in (f"{base}/tickets", f"{base}/stats", f"{base}/view"):
        assert (await plain.get(path)).status_code == 403
