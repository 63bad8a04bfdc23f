"""The permission watcher: who stops being able to manage a guild, from member updates alone."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from wolaro.core.permission_watch import ADMINISTRATOR, MANAGE_GUILD, PermissionWatch, can_manage
from wolaro.data.pubsub import PERMISSION_REVOKED

GUILD, OWNER, USER = 1, 10, 20
EVERYONE, MEMBER, ADMIN, MANAGER = 1, 2, 3, 4


def guild() -> Any:
    roles = {
        EVERYONE: SimpleNamespace(permissions=SimpleNamespace(value=1 << 10)),
        MEMBER: SimpleNamespace(permissions=SimpleNamespace(value=0)),
        ADMIN: SimpleNamespace(permissions=SimpleNamespace(value=ADMINISTRATOR)),
        MANAGER: SimpleNamespace(permissions=SimpleNamespace(value=MANAGE_GUILD)),
    }
    return SimpleNamespace(id=GUILD, owner_id=OWNER, default_role=roles[EVERYONE], get_role=roles.get)


class Recorder:
    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        self.messages.append((channel, message))


def update(user_id: int, roles: list[int]) -> dict[str, Any]:
    return {"guild_id": str(GUILD), "user": {"id": str(user_id)}, "roles": [str(r) for r in roles]}


def test_can_manage() -> None:
    g = guild()
    assert can_manage(g, OWNER, [])
    assert can_manage(g, USER, [MEMBER, ADMIN]) and can_manage(g, USER, [MANAGER])
    assert not can_manage(g, USER, [MEMBER]) and not can_manage(g, USER, [999])


async def test_publishes_when_a_known_manager_loses_the_right() -> None:
    pubsub = Recorder()
    watch = PermissionWatch(SimpleNamespace(get_guild=lambda gid: guild() if gid == GUILD else None), pubsub)  # type: ignore[arg-type]
    await watch.member_updated(update(USER, [MEMBER, ADMIN]))
    await watch.member_updated(update(USER, [MEMBER, ADMIN]))  # nickname change: nothing
    assert pubsub.messages == []
    await watch.member_updated(update(USER, [MEMBER]))
    ((channel, message),) = pubsub.messages
    assert channel == PERMISSION_REVOKED
    assert message["guild_id"] == GUILD and message["user_id"] == USER and message["was_manager"] is True
    await watch.member_updated(update(USER, [MEMBER]))  # known non-manager now: nothing more
    assert len(pubsub.messages) == 1
    await watch.member_updated(update(OWNER, []))  # the owner always manages
    assert len(pubsub.messages) == 1


async def test_unknown_members_are_reported_once_and_leaves_too() -> None:
    pubsub = Recorder()
    watch = PermissionWatch(SimpleNamespace(get_guild=lambda gid: guild()), pubsub)  # type: ignore[arg-type]
    await watch.member_updated(update(USER, [MEMBER]))  # first sight, no right: may have just lost it
    assert [m["was_manager"] for _, m in pubsub.messages] == [None]
    await watch.member_updated(update(USER, [MEMBER]))
    assert len(pubsub.messages) == 1
    await watch.member_removed(GUILD, USER)  # a known non-manager leaving: nothing to revoke
    assert len(pubsub.messages) == 1
    await watch.member_updated(update(30, [ADMIN]))
    await watch.member_removed(GUILD, 30)
    assert pubsub.messages[-1][1]["user_id"] == 30 and "member" in pubsub.messages[-1][1]["reason"]


async def test_capacity_is_bounded() -> None:
    watch = PermissionWatch(SimpleNamespace(get_guild=lambda gid: guild()), Recorder(), capacity=3)  # type: ignore[arg-type]
    for user in range(100, 110):
        await watch.member_updated(update(user, [ADMIN]))
    assert len(watch._known) == 3
