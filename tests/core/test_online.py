"""Who is online per server (`wolaro.core.online`): seeded from GUILD_CREATE, moved by PRESENCE_UPDATE, cleared by
a member leaving and the server going away; the peak between two looks is kept; discord.py's own parsers still run
(its presence parser only for a member it caches)."""

from __future__ import annotations

from typing import Any

from wolaro.core.online import OnlineMembers

GUILD = 1_000_000_000_000_000_001


def presence(user: int, status: str) -> dict[str, Any]:
    return {"user": {"id": str(user)}, "status": status, "activities": [], "client_status": {}}


def test_counts_follow_the_gateway_and_peaks_are_kept_between_looks() -> None:
    calls: list[tuple[str, Any]] = []
    parsers = {
        name: (lambda data, _name=name: calls.append((_name, data)))
        for name in ("GUILD_CREATE", "PRESENCE_UPDATE", "GUILD_MEMBER_REMOVE", "GUILD_DELETE", "MESSAGE_CREATE")
    }
    message_parser = parsers["MESSAGE_CREATE"]
    online = OnlineMembers()
    online.install(parsers, cached=lambda guild, user: user == 7)  # discord.py caches member 7 only
    assert parsers["MESSAGE_CREATE"] is message_parser  # other events are left alone

    create = {"id": str(GUILD), "presences": [presence(5, "online"), presence(6, "idle"), presence(9, "offline")]}
    parsers["GUILD_CREATE"](create)
    assert online.count(GUILD) == 2 and online.guild_ids() == [GUILD]
    assert online.take_peak(GUILD) == 2

    for user, status in [(7, "dnd"), (8, "online"), (8, "offline"), (5, "offline")]:
        parsers["PRESENCE_UPDATE"]({**presence(user, status), "guild_id": str(GUILD)})
    assert online.count(GUILD) == 2  # 6 and 7
    assert online.take_peak(GUILD) == 4  # 5, 6, 7 and 8 at once, between the two looks
    assert online.take_peak(GUILD) == 2

    parsers["GUILD_MEMBER_REMOVE"]({"guild_id": str(GUILD), "user": {"id": "6"}})
    assert online.count(GUILD) == 1
    parsers["GUILD_DELETE"]({"id": str(GUILD)})
    assert online.count(GUILD) == 0 and online.guild_ids() == []

    presence_calls = [data["user"]["id"] for name, data in calls if name == "PRESENCE_UPDATE"]
    assert presence_calls == ["7"]  # discord.py parsed only the presence of the member it caches
    assert [name for name, _ in calls if name != "PRESENCE_UPDATE"] == [
        "GUILD_CREATE",
        "GUILD_MEMBER_REMOVE",
        "GUILD_DELETE",
    ]


def test_an_unavailable_guild_create_and_a_malformed_presence_go_to_discord_py_untouched() -> None:
    seen: list[Any] = []
    parsers = {name: seen.append for name in ("GUILD_CREATE", "PRESENCE_UPDATE", "GUILD_MEMBER_REMOVE", "GUILD_DELETE")}
    online = OnlineMembers()
    online.install(parsers, cached=lambda guild, user: False)
    parsers["GUILD_CREATE"]({"id": str(GUILD), "unavailable": True})
    parsers["PRESENCE_UPDATE"]({"guild_id": str(GUILD), "status": "online"})  # no user: discord.py decides
    assert online.guild_ids() == [] and len(seen) == 2
