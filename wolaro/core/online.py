"""Who is online in each server, for modules that count it (statistics), when the host turns presences on.

Presences need Discord's privileged GUILD_PRESENCES intent (`PRESENCE_INTENT=true`; the bot must also be allowed
it in the Developer Portal). discord.py keeps a presence only on a cached member, and the bot caches only members in
voice (memory per server stays small), so it would throw nearly every presence away. `OnlineMembers` reads them
from the gateway instead, in front of discord.py's parsers: GUILD_CREATE's `presences` (the members not offline
as the server becomes available), each PRESENCE_UPDATE, a member leaving and the server going away. It keeps the
ids of the members who are not offline per server (online, idle or do-not-disturb count as online, as in Discord's
member list) and the highest count since a module last asked (`take_peak`), so a short peak between two looks is
not missed. One set operation per event, nothing awaited; discord.py still parses a presence of a member it caches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OFFLINE = "offline"

Parser = Callable[[Any], None]


class OnlineMembers:
    """The members who are not offline, per server, for the servers of this process's shards."""

    def __init__(self) -> None:
        self._online: dict[int, set[int]] = {}
        self._peaks: dict[int, int] = {}
        self._cached: Callable[[int, int], bool] = lambda _guild, _user: True

    def count(self, guild_id: int) -> int:
        """How many members of the server are online now (0 for a server it knows nothing of)."""
        members = self._online.get(guild_id)
        return len(members) if members is not None else 0

    def take_peak(self, guild_id: int) -> int:
        """The most members online at once since the last call for that server (or since it became known)."""
        now = self.count(guild_id)
        peak = self._peaks.get(guild_id, now)
        self._peaks[guild_id] = now
        return max(peak, now)

    def guild_ids(self) -> list[int]:
        """The servers whose presences are known."""
        return list(self._online)

    # ------------------------------------------------------------------ what the gateway says
    def seed(self, guild_id: int, presences: list[dict[str, Any]]) -> None:
        """A server became available: its members who are not offline (GUILD_CREATE's `presences`)."""
        online = {int(p["user"]["id"]) for p in presences if p.get("status", OFFLINE) != OFFLINE}
        self._online[guild_id] = online
        self._peaks[guild_id] = max(self._peaks.get(guild_id, 0), len(online))

    def update(self, guild_id: int, user_id: int, status: str) -> None:
        """A member's status changed (PRESENCE_UPDATE)."""
        members = self._online.setdefault(guild_id, set())
        if status == OFFLINE:
            members.discard(user_id)
            return
        members.add(user_id)
        if len(members) > self._peaks.get(guild_id, 0):
            self._peaks[guild_id] = len(members)

    def remove_member(self, guild_id: int, user_id: int) -> None:
        """A member left the server."""
        members = self._online.get(guild_id)
        if members is not None:
            members.discard(user_id)

    def remove_guild(self, guild_id: int) -> None:
        """The server went away (the bot was removed, or an outage: it comes back with a GUILD_CREATE)."""
        self._online.pop(guild_id, None)
        self._peaks.pop(guild_id, None)

    # ------------------------------------------------------------------ the parsers
    def install(self, parsers: dict[str, Parser], cached: Callable[[int, int], bool]) -> None:
        """Read presences in front of discord.py's parsers.

        `cached(guild_id, user_id)` says whether discord.py keeps that member: then its own PRESENCE_UPDATE parser
        runs too, keeping the member's status right.
        """
        self._cached = cached
        for event, reader in (
            ("GUILD_CREATE", self._guild_create),
            ("PRESENCE_UPDATE", self._presence_update),
            ("GUILD_MEMBER_REMOVE", self._member_remove),
            ("GUILD_DELETE", self._guild_delete),
        ):
            parsers[event] = _in_front(reader, parsers[event], always=event != "PRESENCE_UPDATE")

    def _guild_create(self, data: Any) -> bool:
        if not data.get("unavailable"):
            self.seed(int(data["id"]), data.get("presences") or [])
        return True

    def _presence_update(self, data: Any) -> bool:
        guild_id = data.get("guild_id")
        if guild_id is None:
            return False
        guild, user = int(guild_id), int(data["user"]["id"])
        self.update(guild, user, str(data.get("status") or OFFLINE))
        return self._cached(guild, user)

    def _member_remove(self, data: Any) -> bool:
        self.remove_member(int(data["guild_id"]), int(data["user"]["id"]))
        return True

    def _guild_delete(self, data: Any) -> bool:
        self.remove_guild(int(data["id"]))
        return True


def _in_front(reader: Callable[[Any], bool], parser: Parser, *, always: bool) -> Parser:
    """`reader` first; discord.py's `parser` after it, always or when `reader` says discord.py needs the event."""

    def parse(data: Any) -> None:
        try:
            wanted = reader(data)
        except (KeyError, TypeError, ValueError):  # a malformed payload: discord.py's parser decides what to do
            wanted = True
        if always or wanted:
            parser(data)

    return parse
