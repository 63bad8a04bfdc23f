"""Synthetic traffic and the transcript printer."""

from __future__ import annotations

import asyncio
import io

import discord
from discord.ext import commands

from wolaro.sandbox import Sandbox
from wolaro.sandbox.traffic import run_synthetic_traffic
from wolaro.sandbox.transcript import Transcript, format_event

from .conftest import SandboxBot, full_intents


def test_format_lines():
    where = {"guild": "Cozy Cafe", "channel": "general"}
    assert format_event({"kind": "message", **where, "user": "Alice", "content": "hi\nthere"}) == (
        "[Cozy Cafe #general] Alice: hi ⏎ there"
    )
    line = format_event(
        {
            "kind": "bot_interaction_response",
            **where,
            "user": "Wolaro",
            "content": "",
            "embeds": [{"title": "Rank", "fields": [{"name": "Level", "value": "3"}, {"name": "XP", "value": "120"}]}],
            "ephemeral": True,
        }
    )
    assert line == "[Cozy Cafe #general] 🤖 Wolaro (ephemeral): [embed: Rank — Level: 3; XP: 120]"
    assert (
        format_event({"kind": "member_join", "guild": "Cozy Cafe", "channel": None, "user": "Bob", "content": "joined"})
        == "[Cozy Cafe] → Bob joined"
    )
    assert format_event({"kind": "something_else"}) is None


async def test_traffic_chats_runs_commands_and_is_transcribed(sandbox: Sandbox, start_bot):
    bot = SandboxBot(command_prefix="!", intents=full_intents())
    banned: list[int] = []

    @bot.command()
    async def ping(ctx: commands.Context) -> None:
        await ctx.send("Pong!")

    @bot.tree.command(description="Say hello")
    async def hello(interaction: discord.Interaction, shout: bool = False) -> None:
        await interaction.response.send_message("HELLO" if shout else "hello", ephemeral=True)

    @bot.tree.command(description="Ban someone")
    async def ban(interaction: discord.Interaction, member: discord.Member) -> None:
        banned.append(member.id)
        await interaction.response.send_message("banned")

    await start_bot(bot)
    await bot.tree.sync()
    out = io.StringIO()
    sandbox.add_observer(Transcript(sandbox, out))
    stop = asyncio.Event()
    traffic = asyncio.create_task(
        run_synthetic_traffic(sandbox, rate_per_second=400, stop=stop, commands=["!ping"], seed=3)
    )
    kinds: set[str] = set()
    while not {"interaction_response", "message"} <= kinds:
        await sandbox.wait_for_message(timeout=10)
        kinds = {o.kind for o in sandbox.outputs}
    stop.set()
    actions = await traffic
    assert actions >= 2
    assert banned == []
    lines = out.getvalue().splitlines()
    assert any("🤖 Wolaro: Pong!" in line for line in lines)
    assert any("/hello" in line for line in lines)
    assert any(line.startswith("[") and "🤖" not in line for line in lines)


def test_transcript_names_mentions_roles_channels_and_times(sandbox: Sandbox):
    out = io.StringIO()
    printer = Transcript(sandbox, out)
    guild_id = sandbox.guild_ids()[0]
    owner = sandbox.owner_id(guild_id)
    channel = sandbox.text_channel_ids(guild_id)[0]
    role = sandbox.role_id(guild_id, "Moderator")
    printer(
        {
            "kind": "interaction",
            "guild": "G",
            "channel": "general",
            "guild_id": guild_id,
            "user": "Bob",
            "content": f"/userinfo member:{owner}",
        }
    )
    printer(
        {
            "kind": "bot_message",
            "guild": "G",
            "channel": "general",
            "guild_id": guild_id,
            "user": "Wolaro",
            "content": f"<@{owner}> see <#{channel}>",
            "embeds": [
                {
                    "title": "Info",
                    "fields": [{"name": "Roles", "value": f"<@&{role}>"}, {"name": "Joined", "value": "<t:0:R>"}],
                }
            ],
        }
    )
    name = sandbox.display_name(guild_id, owner)
    assert out.getvalue().splitlines() == [
        f"[G #general] Bob: /userinfo member:@{name}",
        f"[G #general] 🤖 Wolaro: @{name} see #general [embed: Info — Roles: @Moderator; Joined: 1970-01-01 00:00]",
    ]
