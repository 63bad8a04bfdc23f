"""Driving the tickets module through the sandbox: a guild set up with a kind of ticket and a panel."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from wolaro.modules.tickets import store
from wolaro.modules.tickets.models import Ticket
from wolaro.sandbox import Sandbox

OPEN = "tickets:open:help:support"


@dataclass(frozen=True)
class Desk:
    """Guild 0: member 0 owns it, members 1 and 2 are support staff (Moderator role), 3-4 plain members."""

    guild: int
    lobby: int
    transcripts: int
    owner: int
    staff: int
    staff2: int
    member: int
    other: int
    support_role: int
    panel: int = 0

    @classmethod
    def of(cls, sandbox: Sandbox) -> Desk:
        guild = sandbox.guild_ids()[0]
        channels = sandbox.text_channel_ids(guild)
        members = sandbox.member_ids(guild)
        role = sandbox.role_id(guild, "Moderator")
        return cls(guild, channels[0], channels[1], members[0], members[1], members[2], members[3], members[4], role)


def ticket_config(desk: Desk, **extra: Any) -> dict[str, Any]:
    """One kind of ticket (support, one question, one open ticket each) and a panel `help`."""
    return {
        "categories": [
            {
                "key": "support",
                "name": "Support",
                "support_role_ids": [desk.support_role],
                "questions": [{"label": "What happened?"}],
                "max_open_per_user": 1,
            }
        ],
        "panels": [{"key": "help", "title": "Need help?"}],
        "transcript_channel_id": desk.transcripts,
        **extra,
    }


async def set_up(sandbox: Sandbox, bot: Any, **extra: Any) -> Desk:
    """Enable tickets in guild 0, make member 2 staff too, configure it and post the panel with `!tickets panel`."""
    desk = Desk.of(sandbox)
    member = sandbox.state.guild(desk.guild).members[desk.staff2]
    await sandbox.member_update(desk.guild, desk.staff2, roles=[*member.roles, desk.support_role])
    await bot.config.set_module_enabled(desk.guild, "tickets", True, actor_id=None)
    await bot.config.update_module_config(desk.guild, "tickets", ticket_config(desk, **extra), actor_id=None)
    return await post_panel(sandbox, desk)


async def post_panel(sandbox: Sandbox, desk: Desk) -> Desk:
    """`!tickets panel help` as the owner; the desk with the panel message's id."""
    await sandbox.send_message(desk.lobby, desk.owner, "!tickets panel help")
    reply = await sandbox.wait_for_message(desk.lobby, timeout=5)
    panels = [m for m in sandbox.bot_messages(desk.lobby) if m["components"]]
    assert panels, reply
    return Desk(**{**desk.__dict__, "panel": int(panels[-1]["id"])})


async def click(sandbox: Sandbox, channel: int, message: int, user: int, custom_id: str) -> dict[str, Any]:
    """Click a button; the bot's answer (a modal's answer has `type` 9)."""
    record = await sandbox.invoke_component(channel, message, user, custom_id)
    answer = await sandbox.wait_for_interaction_response(record, timeout=5)
    answer["record"] = record
    return answer


async def submit(sandbox: Sandbox, opener: Any, values: dict[str, str]) -> dict[str, Any]:
    """Submit the modal the bot answered `opener` with; the bot's final answer."""
    record = await sandbox.submit_modal(opener, values)
    answer = await sandbox.wait_for_interaction_response(record, timeout=5)
    answer["record"] = record
    return answer


def text_of(answer: dict[str, Any]) -> str:
    """What an answer says: its content, or its first follow-up's."""
    if answer.get("followups"):
        return str(answer["followups"][-1]["content"])
    return str(answer.get("content") or "")


async def open_ticket(sandbox: Sandbox, desk: Desk, user: int, text: str = "My order is late") -> int:
    """Click the panel's button, answer the form; the new ticket channel's id."""
    form = await click(sandbox, desk.lobby, desk.panel, user, OPEN)
    assert form["type"] == 9, form
    answer = await submit(sandbox, form["record"], {"q0": text})
    found = re.search(r"<#(\d+)>", text_of(answer))
    assert found, answer
    return int(found.group(1))


def buttons(message: dict[str, Any]) -> list[str]:
    """The custom ids of a message's buttons."""
    return [c["custom_id"] for row in message["components"] for c in row.get("components", []) if c.get("custom_id")]


def last_with(sandbox: Sandbox, channel: int, prefix: str) -> dict[str, Any]:
    """The bot's latest message in `channel` with a button whose custom id starts with `prefix`."""
    found = [m for m in sandbox.bot_messages(channel) if any(b.startswith(prefix) for b in buttons(m))]
    assert found, [m["content"] for m in sandbox.bot_messages(channel)]
    return found[-1]


async def ticket_in(bot: Any, desk: Desk, channel: int) -> Ticket:
    """The ticket row of a channel."""
    found = await store.in_channel(bot.services.db, desk.guild, channel)
    if found is None:
        found = await store.by_channel_any(bot.services.db, desk.guild, channel)
    assert found is not None
    return found


async def say(sandbox: Sandbox, channel: int, author: int, content: str) -> dict[str, Any]:
    """Post as a user; the bot's next message in that channel."""
    await sandbox.send_message(channel, author, content)
    return await sandbox.wait_for_message(channel, timeout=5)
