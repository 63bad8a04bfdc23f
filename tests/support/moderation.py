"""Driving the moderation commands through the sandbox: who is who, and short ways to say things."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from wolaro.data.models import AuditLog
from wolaro.modules.moderation import cases
from wolaro.modules.moderation.cases import CaseView
from wolaro.modules.moderation.models import ModCase
from wolaro.modules.moderation.rules import TargetKind
from wolaro.sandbox import Sandbox


@dataclass(frozen=True)
class Place:
    """Guild 0 of the e2e sandbox: member 0 owns it (Admin), member 1 is a Moderator, 2-4 are plain members."""

    guild: int
    channel: int
    modlog: int
    owner: int
    mod: int
    plain: list[int]

    @classmethod
    def of(cls, sandbox: Sandbox, index: int = 0) -> Place:
        guild = sandbox.guild_ids()[index]
        channels = sandbox.text_channel_ids(guild)
        members = sandbox.member_ids(guild)
        return cls(guild, channels[0], channels[1], members[0], members[1], members[2:5])


async def say(sandbox: Sandbox, channel: int, author: int, content: str) -> dict[str, Any]:
    """Post as a user; the bot's next message in that channel."""
    await sandbox.send_message(channel, author, content)
    return await sandbox.wait_for_message(channel, timeout=5)


async def slash(sandbox: Sandbox, place: Place, user: int, name: str, options: dict[str, Any] | None = None):
    """Run `/name options` as `user` in the place's channel; the bot's final answer."""
    record = await sandbox.invoke_slash(place.guild, place.channel, user, name, options)
    return await sandbox.wait_for_interaction_response(record, timeout=5)


async def set_config(sandbox: Sandbox, place: Place, key: str, value: str) -> None:
    """`!config set moderation key value` as the owner, checking it was accepted."""
    reply = await say(sandbox, place.channel, place.owner, f"!config set moderation {key} {value}")
    assert "is now" in reply["content"], reply["content"]


async def case_list(bot: Any, guild: int, user: int) -> list[CaseView]:
    """Every case of `user` in `guild`, oldest first."""
    async with bot.services.db.session() as session:
        found = await cases.for_target(session, guild, user, limit=1000)
    return list(reversed(found))


async def channel_cases(bot: Any, guild: int) -> list[CaseView]:
    """Every case of `guild` whose target is a channel (purge, slowmode, lock, unlock), oldest first."""
    async with bot.services.db.session() as session:
        rows = await session.scalars(
            select(ModCase)
            .where(ModCase.guild_id == guild, ModCase.target_kind == TargetKind.CHANNEL.value)
            .order_by(ModCase.number)
        )
        return [cases.view(row) for row in rows]


async def audit_actions(bot: Any, guild: int) -> list[str]:
    """The audit_log actions of the guild, oldest first."""
    async with bot.services.db.session() as session:
        rows = await session.scalars(select(AuditLog).where(AuditLog.guild_id == guild).order_by(AuditLog.id))
        return [row.action for row in rows]


def dm_texts(sandbox: Sandbox, user: int) -> list[str]:
    """What the bot sent `user` by DM."""
    channel = sandbox.state.dm_channels.get(user)
    return [m["content"] for m in sandbox.bot_messages(channel)] if channel else []


def rest_calls(sandbox: Sandbox, method: str, suffix: str) -> list[Any]:
    """REST calls the bot made with `method` to a path ending with `suffix`."""
    return [c for c in sandbox.rest_log if c.method == method and c.path.endswith(suffix)]
