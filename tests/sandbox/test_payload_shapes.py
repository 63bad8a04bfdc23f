"""Every payload the sandbox sends carries the keys discord.py's ``discord/types`` TypedDicts require.

The TypedDicts cannot be imported at runtime (circular imports in discord.types), so their source is
read with ``ast``: a key is required unless the class is ``total=False`` or the key is ``NotRequired``.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import discord
import pytest

from wolaro.sandbox import Sandbox, payloads
from wolaro.sandbox.interactions import build_interaction, register_commands

TYPES_DIR = Path(discord.__file__).parent / "types"


@functools.cache
def _classes() -> dict[str, tuple[list[str], dict[str, bool]]]:
    found: dict[str, tuple[list[str], dict[str, bool]]] = {}
    for path in TYPES_DIR.glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, ast.ClassDef):
                continue
            total = all(not (kw.arg == "total" and kw.value.value is False) for kw in node.keywords)  # type: ignore[attr-defined]
            fields = {}
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    text = ast.unparse(stmt.annotation)
                    fields[stmt.target.id] = text.startswith("Required") or (
                        total and not text.startswith("NotRequired")
                    )
            found[f"{path.stem}.{node.name}"] = ([ast.unparse(b).split(".")[-1] for b in node.bases], fields)
    return found


def required_keys(qualified: str) -> set[str]:
    """Required keys of TypedDict ``module.Class`` including its bases."""
    classes = _classes()
    module = qualified.split(".")[0]
    bases, fields = classes[qualified]
    keys: set[str] = set()
    for base in bases:
        if base == "TypedDict":
            continue
        candidate = f"{module}.{base}"
        if candidate not in classes:
            candidate = next((k for k in classes if k.endswith(f".{base}")), "")
        if candidate:
            keys |= required_keys(candidate)
    return keys | {k for k, req in fields.items() if req}


def assert_shape(qualified: str, payload: dict) -> None:
    missing = required_keys(qualified) - set(payload)
    assert not missing, f"{qualified} payload lacks {sorted(missing)}"


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(guilds=2, members_per_guild=4)


def test_reader_knows_a_typeddict():
    assert {"id", "username", "discriminator", "avatar", "global_name"} <= required_keys("user.User")
    assert "flags" in required_keys("member.Member")


def test_world_entities(sb: Sandbox):
    state = sb.state
    guild = state.guilds[sb.guild_ids()[0]]
    assert_shape("user.User", payloads.user(state.users[sb.owner_id(guild.id)]))
    assert_shape("member.MemberWithUser", payloads.member(state, guild.members[sb.owner_id(guild.id)]))
    for role in guild.roles.values():
        assert_shape("role.Role", payloads.role(role))
    kinds = {0: "channel.TextChannel", 2: "channel.VoiceChannel", 4: "channel.CategoryChannel"}
    for cid in guild.channel_ids:
        channel = state.channels[cid]
        assert_shape(kinds[channel.type], payloads.channel(state, channel))


def test_gateway_events(sb: Sandbox):
    state = sb.state
    gid = sb.guild_ids()[0]
    guild = state.guilds[gid]
    create = payloads.guild_create(state, guild, members_intent=True, large_threshold=250)
    assert_shape("guild.Guild", create)
    assert create["member_count"] == len(create["members"]) == len(guild.members)
    for member in create["members"]:
        assert_shape("member.MemberWithUser", member)
    ready = payloads.ready(state, session_id="s", resume_gateway_url="ws://x/gateway", shard=[0, 1], guild_ids=[gid])
    assert_shape("gateway.ReadyEvent", ready)
    member = guild.members[sb.member_ids(gid)[1]]
    assert_shape("gateway.GuildMemberAddEvent", payloads.member_event(state, member))
    assert_shape("gateway.GuildMemberUpdateEvent", payloads.member_event(state, member))
    assert_shape("appinfo.AppInfo", payloads.application(state))


def test_messages(sb: Sandbox):
    state = sb.state
    gid = sb.guild_ids()[0]
    channel = state.channels[sb.text_channel_ids(gid)[0]]
    author = sb.member_ids(gid)[2]
    message = payloads.message(
        state,
        message_id=sb.ids.now(),
        channel=channel,
        author_id=author,
        content=f"hi <@{sb.owner_id(gid)}>",
        attachments=[payloads.attachment(1, channel.id, "a.png", 3, "http://x")],
    )
    assert_shape("message.Message", message)
    assert_shape("user.User", message["author"])
    assert_shape("member.Member", message["member"])
    assert_shape("message.Attachment", message["attachments"][0])
    assert [u["id"] for u in message["mentions"]] == [str(sb.owner_id(gid))]


def test_interaction(sb: Sandbox):
    state = sb.state
    gid = sb.guild_ids()[0]
    register_commands(
        sb.ids,
        state.application_id,
        state.commands,
        [
            {
                "name": "warn",
                "description": "warn someone",
                "options": [
                    {"name": "user", "description": "who", "type": 6, "required": True},
                    {"name": "reason", "description": "why", "type": 3},
                ],
            }
        ],
        guild_id=None,
        replace=True,
    )
    record = build_interaction(
        state,
        sb.ids,
        "http://x",
        guild_id=gid,
        channel_id=sb.text_channel_ids(gid)[0],
        user_id=sb.member_ids(gid)[1],
        name="warn",
        options={"user": sb.member_ids(gid)[3], "reason": "spam"},
        subcommand=None,
    )
    assert_shape("interactions.ApplicationCommandInteraction", record.payload)
    assert_shape("interactions.ChatInputApplicationCommandInteractionData", record.payload["data"])
    assert_shape("interactions.PartialChannel", record.payload["channel"])
    assert_shape("member.MemberWithUser", record.payload["member"])
    resolved = record.payload["data"]["resolved"]
    assert set(resolved) == {"users", "members"}
