"""An unmodified discord.py client against the sandbox: handshake, commands, events, moderation, RESUME."""

from __future__ import annotations

import asyncio
import datetime as dt

import discord
import discord.gateway
import pytest
from discord import app_commands
from discord.ext import commands

from wolaro.core.discord_endpoint import point_discord_at
from wolaro.sandbox import Sandbox
from wolaro.sandbox.errors import SandboxError

from .conftest import SandboxBot, ShardedSandboxBot, full_intents


async def test_ready_caches_every_guild_member_and_channel(sandbox: Sandbox, start_bot):
    bot = await start_bot()
    assert bot.user.id == sandbox.application_id
    assert bot.application_id == sandbox.application_id
    assert sorted(g.id for g in bot.guilds) == sorted(sandbox.guild_ids())
    for guild in bot.guilds:
        assert guild.chunked
        assert guild.member_count == len(guild.members) == len(sandbox.member_ids(guild.id)) + 1
        assert guild.owner_id == sandbox.owner_id(guild.id)
        assert {c.id for c in guild.text_channels} == set(sandbox.text_channel_ids(guild.id))
        assert {r.name for r in guild.roles} == {"@everyone", "Member", "Moderator", "Wolaro", "Admin"}
        me = guild.me
        assert me.top_role.name == "Wolaro" and not me.guild_permissions.administrator
        assert me.guild_permissions.ban_members and me.guild_permissions.moderate_members
        owner = guild.get_member(sandbox.owner_id(guild.id))
        assert owner.guild_permissions.administrator
        moderator = guild.get_member(sandbox.member_ids(guild.id)[1])
        assert moderator.guild_permissions.kick_members and not moderator.guild_permissions.administrator
    await sandbox.wait_until_ready(timeout=1)


@pytest.mark.parametrize("compress", [True, False], ids=["zlib-stream", "text"])
async def test_prefix_command_answered(sandbox: Sandbox, start_bot, monkeypatch, compress):
    if not compress:
        original = discord.gateway.DiscordWebSocket.from_client.__func__

        def uncompressed(cls, *args, **kwargs):
            return original(cls, *args, **{**kwargs, "compress": False})

        monkeypatch.setattr(discord.gateway.DiscordWebSocket, "from_client", classmethod(uncompressed))
    bot = SandboxBot(command_prefix="!", intents=full_intents())

    @bot.command()
    async def ping(ctx: commands.Context) -> None:
        await ctx.reply(f"pong {ctx.author.display_name}")

    await start_bot(bot)
    (conn,) = sandbox.gateway.connections
    assert conn.compress == ("zlib-stream" if compress else None)
    guild = sandbox.guild_ids()[1]
    channel = sandbox.text_channel_ids(guild)[2]
    user = sandbox.member_ids(guild)[3]
    sent = await sandbox.send_message(channel, user, "!ping")
    reply = await sandbox.wait_for_message(channel)
    name = sandbox.state.users[user].global_name
    assert reply["content"] == f"pong {name}"
    assert reply["message_reference"]["message_id"] == sent["id"]
    assert reply in sandbox.bot_messages(channel)
    call = await sandbox.wait_for_request("POST", rf"^/channels/{channel}/messages$")
    assert call.status == 200 and call.json["content"] == f"pong {name}"


async def test_message_content_intent_is_honoured(sandbox: Sandbox, start_bot, expect):
    intents = discord.Intents.default()  # no message_content, no members
    bot = await start_bot(intents=intents)
    guild_id = sandbox.guild_ids()[0]
    guild = bot.get_guild(guild_id)
    assert len(guild.members) == 1 and guild.member_count == len(sandbox.member_ids(guild_id)) + 1
    channel = sandbox.text_channel_ids(guild_id)[0]
    author = sandbox.member_ids(guild_id)[2]
    seen = expect(bot, "message")
    await sandbox.send_message(channel, author, "secret words")
    assert (await seen).content == ""
    seen = expect(bot, "message")
    await sandbox.send_message(channel, author, f"<@{bot.user.id}> hello")
    assert (await seen).content.endswith("hello")


async def test_slash_command_synced_and_invoked_ephemeral(sandbox: Sandbox, start_bot):
    bot = SandboxBot(command_prefix="!", intents=full_intents())

    @bot.tree.command(description="Greet a member")
    @app_commands.describe(member="Who", times="How many")
    async def greet(interaction: discord.Interaction, member: discord.Member, times: int = 1) -> None:
        assert interaction.filesize_limit == 10 * 1024 * 1024
        await interaction.response.send_message(f"hi {member.display_name} x{times}", ephemeral=True)

    await start_bot(bot)
    guild_id = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild_id)[0]
    with pytest.raises(SandboxError, match="not registered"):
        await sandbox.invoke_slash(guild_id, channel, sandbox.owner_id(guild_id), "greet")
    synced = await bot.tree.sync()
    assert [c.name for c in synced] == ["greet"]
    assert [c["name"] for c in sandbox.state.commands.values()] == ["greet"]
    target = sandbox.member_ids(guild_id)[4]
    record = await sandbox.invoke_slash(
        guild_id, channel, sandbox.member_ids(guild_id)[2], "greet", {"member": target, "times": 3}
    )
    answer = await sandbox.wait_for_interaction_response(record)
    assert answer["type"] == 4 and answer["ephemeral"] and answer["flags"] & 64
    assert answer["content"] == f"hi {sandbox.state.users[target].global_name} x3"
    assert (await sandbox.wait_for_message(channel))["content"] == answer["content"]
    # ephemeral answers are not part of the channel's history
    assert not sandbox.state.messages.get(channel)
    with pytest.raises(SandboxError, match="integer expected"):
        await sandbox.invoke_slash(guild_id, channel, target, "greet", {"member": target, "times": "x y"})


async def test_deferred_then_followup_and_permissions(sandbox: Sandbox, start_bot):
    bot = SandboxBot(command_prefix="!", intents=full_intents())
    group = app_commands.Group(
        name="mod", description="Moderation", default_permissions=discord.Permissions(ban_members=True)
    )

    @group.command(description="Check a member")
    async def check(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(embed=discord.Embed(title="Checked", description=member.mention))

    bot.tree.add_command(group)
    await start_bot(bot)
    guild_id = sandbox.guild_ids()[0]
    bot.tree.copy_global_to(guild=discord.Object(guild_id))
    await bot.tree.sync(guild=discord.Object(guild_id))
    assert [c["name"] for c in sandbox.state.guilds[guild_id].commands.values()] == ["mod"]
    channel = sandbox.text_channel_ids(guild_id)[1]
    plain_user = sandbox.member_ids(guild_id)[3]
    with pytest.raises(SandboxError, match="cannot see"):
        await sandbox.invoke_slash(guild_id, channel, plain_user, "mod", {"member": plain_user}, subcommand="check")
    moderator = sandbox.member_ids(guild_id)[1]
    record = await sandbox.invoke_slash(guild_id, channel, moderator, "mod", {"member": plain_user}, subcommand="check")
    answer = await sandbox.wait_for_interaction_response(record)
    assert answer["deferred"] and not answer["ephemeral"]
    assert answer["embeds"][0]["title"] == "Checked"
    stored = sandbox.state.messages[channel][int(answer["message"]["id"])]
    assert stored["flags"] & 128 == 0 and stored["interaction_metadata"]["name"] == "mod check"


async def test_member_join_update_remove_events(sandbox: Sandbox, start_bot, expect):
    bot = await start_bot()
    guild_id = sandbox.guild_ids()[1]
    guild = bot.get_guild(guild_id)
    joined = expect(bot, "member_join")
    created = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    data = await sandbox.member_join(guild_id, username="fresh", created_at=created)
    member = await joined
    assert member.name == "fresh" and member.id == int(data["user"]["id"])
    assert abs((member.created_at - created).total_seconds()) < 1
    assert guild.member_count == len(sandbox.state.guilds[guild_id].members)

    updated = expect(bot, "member_update")
    await sandbox.member_update(guild_id, member.id, roles=[sandbox.role_id(guild_id, "Member")], nick="Freshy")
    before, after = await updated
    assert before.nick is None and after.nick == "Freshy" and [r.name for r in after.roles[1:]] == ["Member"]

    removed = expect(bot, "member_remove")
    await sandbox.member_remove(guild_id, member.id)
    assert (await removed).id == member.id
    assert guild.get_member(member.id) is None

    voice = expect(bot, "voice_state_update")
    speaker = sandbox.member_ids(guild_id)[2]
    await sandbox.voice_state(guild_id, speaker, sandbox.voice_channel_ids(guild_id)[0])
    who, _, after_state = await voice
    assert who.id == speaker and after_state.channel.name == "Lounge"


async def test_moderation_rest_changes_state_and_emits_events(sandbox: Sandbox, start_bot, expect):
    bot = await start_bot()
    guild_id = sandbox.guild_ids()[0]
    guild = bot.get_guild(guild_id)
    victim = guild.get_member(sandbox.member_ids(guild_id)[4])

    timed = expect(bot, "member_update")
    await victim.timeout(dt.timedelta(minutes=10), reason="cool down")
    _, after = await timed
    assert after.is_timed_out()
    call = await sandbox.wait_for_request("PATCH", rf"/guilds/{guild_id}/members/{victim.id}$")
    assert call.reason == "cool down" and call.json["communication_disabled_until"]
    assert sandbox.state.guilds[guild_id].members[victim.id].is_timed_out()

    spam_channel = sandbox.text_channel_ids(guild_id)[1]
    sandbox.state.guilds[guild_id].members[victim.id].communication_disabled_until = None
    spam = await sandbox.send_message(spam_channel, victim.id, "buy cheap coins")
    banned = expect(bot, "member_ban")
    left = expect(bot, "member_remove")
    purged = expect(bot, "raw_bulk_message_delete")
    await guild.ban(victim, reason="spam links", delete_message_seconds=3600)
    assert (await banned)[1].id == victim.id
    assert (await left).id == victim.id
    assert (await purged).message_ids == {int(spam["id"])}
    assert int(spam["id"]) not in sandbox.state.messages[spam_channel]
    assert sandbox.state.guilds[guild_id].bans[victim.id].reason == "spam links"
    assert victim.id not in sandbox.state.guilds[guild_id].members
    ban = await guild.fetch_ban(victim)
    assert ban.reason == "spam links"

    unbanned = expect(bot, "member_unban")
    await guild.unban(victim, reason="appeal")
    assert (await unbanned)[1].id == victim.id
    with pytest.raises(discord.NotFound) as missing:
        await guild.fetch_ban(victim)
    assert missing.value.code == 10026

    kicked_member = guild.get_member(sandbox.member_ids(guild_id)[1])  # the Moderator: below the bot's role
    left = expect(bot, "member_remove")
    await kicked_member.kick(reason="bye")
    assert (await left).id == kicked_member.id

    member_role = guild.get_role(sandbox.role_id(guild_id, "Member"))
    target = guild.get_member(sandbox.member_ids(guild_id)[2])
    updated = expect(bot, "member_update")
    await target.remove_roles(member_role)
    assert member_role not in (await updated)[1].roles


async def test_hierarchy_and_missing_permissions_are_403(sandbox: Sandbox, start_bot):
    bot = await start_bot()
    guild_id = sandbox.guild_ids()[0]
    guild = bot.get_guild(guild_id)
    owner = guild.get_member(sandbox.owner_id(guild_id))
    with pytest.raises(discord.Forbidden) as denied:
        await owner.kick()
    assert denied.value.code == 50013 and denied.value.status == 403
    with pytest.raises(discord.Forbidden):
        await guild.ban(owner)
    # an Admin (role above the bot's) cannot be timed out or have the Admin role touched
    admin_role = guild.get_role(sandbox.role_id(guild_id, "Admin"))
    plain = guild.get_member(sandbox.member_ids(guild_id)[3])
    with pytest.raises(discord.Forbidden):
        await plain.add_roles(admin_role)
    await sandbox.member_update(guild_id, plain.id, roles=[admin_role.id])
    with pytest.raises(discord.Forbidden):
        await plain.timeout(dt.timedelta(minutes=1))
    assert plain.id in sandbox.state.guilds[guild_id].members
    with pytest.raises(discord.NotFound) as unknown:
        await guild.fetch_member(1234)
    assert unknown.value.code == 10007


async def test_resume_replays_missed_events(sandbox: Sandbox, start_bot, expect):
    bot = SandboxBot(command_prefix="!", intents=full_intents())
    seen: list[str] = []

    @bot.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    await start_bot(bot)
    guild_id = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild_id)[0]
    author = sandbox.member_ids(guild_id)[2]
    resumed = expect(bot, "resumed")
    await sandbox.drop_connection(0)
    await sandbox.send_message(channel, author, "while you were away 1")
    await sandbox.send_message(channel, author, "while you were away 2")
    await resumed
    assert sandbox.gateway.last_replayed == 2
    last = expect(bot, "message", lambda m: m.content == "after")
    await sandbox.send_message(channel, author, "after")
    await last
    assert seen == ["while you were away 1", "while you were away 2", "after"]
    assert sandbox.gateway.identify_count == 1


async def test_invalid_session_reidentifies(sandbox: Sandbox, start_bot, expect):
    bot = await start_bot()
    ready_again = expect(bot, "ready")
    await sandbox.drop_connection(0, resumable=False)
    await ready_again
    assert sandbox.gateway.identify_count == 2
    await sandbox.wait_until_ready(timeout=5)


async def test_wrong_token_is_refused(sandbox: Sandbox):
    bot = SandboxBot(command_prefix="!", intents=full_intents())
    with pytest.raises(discord.LoginFailure):
        await bot.login("not-the-token")
    await bot.close()


async def test_two_shards_split_the_guilds(start_bot):
    async with Sandbox(guilds=4, members_per_guild=3, shards=2, heartbeat_interval_ms=60_000) as sb:
        point_discord_at(sb.api_base)
        bot = ShardedSandboxBot(command_prefix="!", intents=full_intents())

        @bot.command()
        async def where(ctx: commands.Context) -> None:
            await ctx.send(f"shard {ctx.guild.shard_id}")

        await start_bot(bot, sb=sb)
        await sb.wait_until_ready(timeout=5)
        assert bot.shard_count == 2 and sorted(bot.shards) == [0, 1]
        shards = {g.id: g.shard_id for g in bot.guilds}
        assert shards == {g: (g >> 22) % 2 for g in sb.guild_ids()}
        assert set(shards.values()) == {0, 1}
        assert sorted(len(s.guild_ids) for s in sb.gateway.sessions.values()) == [2, 2]
        for guild_id, shard in shards.items():
            channel = sb.text_channel_ids(guild_id)[0]
            await sb.send_message(channel, sb.member_ids(guild_id)[1], "!where")
            assert (await sb.wait_for_message(channel))["content"] == f"shard {shard}"


async def test_buttons_selects_and_modals(sandbox: Sandbox, start_bot):
    bot = SandboxBot(command_prefix="!", intents=full_intents())

    class Counter(discord.ui.View):
        def __init__(self) -> None:
            super().__init__(timeout=30)
            self.count = 0

        @discord.ui.button(label="+1", custom_id="plus")
        async def plus(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
            self.count += 1
            await interaction.response.edit_message(content=f"count {self.count}")

        @discord.ui.select(custom_id="flavour", options=[discord.SelectOption(label=x) for x in ("vanilla", "mint")])
        async def flavour(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
            await interaction.response.send_message(f"you chose {select.values[0]}", ephemeral=True)

    class Feedback(discord.ui.Modal, title="Feedback"):
        text = discord.ui.TextInput(label="Your thoughts", custom_id="thoughts")

        async def on_submit(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"thanks for: {self.text.value}")

    @bot.command()
    async def counter(ctx: commands.Context) -> None:
        await ctx.send("count 0", view=Counter())

    @bot.tree.command(description="Send feedback")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    await start_bot(bot)
    await bot.tree.sync()
    guild_id = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild_id)[0]
    user = sandbox.member_ids(guild_id)[2]
    await sandbox.send_message(channel, user, "!counter")
    panel = await sandbox.wait_for_message(channel)
    click = await sandbox.invoke_component(channel, int(panel["id"]), user, "plus")
    answer = await sandbox.wait_for_interaction_response(click)
    assert answer["type"] == 7 and answer["content"] == "count 1"
    assert sandbox.state.messages[channel][int(panel["id"])]["content"] == "count 1"
    with pytest.raises(SandboxError, match="not options"):
        await sandbox.invoke_component(channel, int(panel["id"]), user, "flavour", values=["chocolate"])
    pick = await sandbox.invoke_component(channel, int(panel["id"]), user, "flavour", values=["mint"])
    assert (await sandbox.wait_for_interaction_response(pick))["content"] == "you chose mint"

    opener = await sandbox.invoke_slash(guild_id, channel, user, "feedback")
    modal = await sandbox.wait_for_interaction_response(opener)
    assert modal["type"] == 9 and modal["data"]["title"] == "Feedback"
    submit = await sandbox.submit_modal(opener, {"thoughts": "lovely sandbox"})
    assert (await sandbox.wait_for_interaction_response(submit))["content"] == "thanks for: lovely sandbox"


async def test_concurrent_drivers_keep_their_own_marks(sandbox: Sandbox, start_bot):
    bot = SandboxBot(command_prefix="!", intents=full_intents())

    @bot.command()
    async def echo(ctx: commands.Context, word: str) -> None:
        await ctx.send(f"echo {word}")

    await start_bot(bot)
    guild_id = sandbox.guild_ids()[0]
    channels = sandbox.text_channel_ids(guild_id)
    users = sandbox.member_ids(guild_id)

    async def one(n: int) -> str:
        channel = channels[n % len(channels)]
        await sandbox.send_message(channel, users[n % len(users)], f"!echo w{n}")
        reply = await sandbox.wait_for_message(channel, predicate=lambda m: m["content"] == f"echo w{n}")
        call = await sandbox.wait_for_request("POST", f"/channels/{channel}/messages")
        assert call.method == "POST"
        return reply["content"]

    replies = await asyncio.gather(*(one(n) for n in range(30)))
    assert replies == [f"echo w{n}" for n in range(30)]


async def test_slash_command_in_dms(sandbox: Sandbox, start_bot):
    bot = SandboxBot(command_prefix="!", intents=full_intents())

    @bot.tree.command(description="Whisper")
    @app_commands.allowed_contexts(guilds=True, dms=True)
    async def whisper(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"psst {interaction.user.name}, in {interaction.context}")

    @bot.tree.command(description="Server only")
    @app_commands.guild_only()
    async def serveronly(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("here")

    await start_bot(bot)
    await bot.tree.sync()
    user = sandbox.member_ids(sandbox.guild_ids()[0])[2]
    dm = await sandbox.open_dm(user)
    record = await sandbox.invoke_slash(None, dm, user, "whisper")
    answer = await sandbox.wait_for_interaction_response(record)
    assert answer["content"].startswith(f"psst {sandbox.state.users[user].username}")
    with pytest.raises(SandboxError, match="not available in DMs"):
        await sandbox.invoke_slash(None, dm, user, "serveronly")


async def test_human_moderators_and_the_audit_log(sandbox: Sandbox, start_bot, expect):
    bot = await start_bot()
    guild_id = sandbox.guild_ids()[1]
    guild = bot.get_guild(guild_id)
    moderator = sandbox.member_ids(guild_id)[1]
    target = sandbox.member_ids(guild_id)[3]
    with pytest.raises(SandboxError, match="lacks the permission"):
        await sandbox.user_ban(guild_id, target, moderator)
    with pytest.raises(SandboxError, match="does not outrank"):
        await sandbox.user_kick(guild_id, moderator, sandbox.owner_id(guild_id))
    entry_seen = expect(bot, "audit_log_entry_create")
    banned = expect(bot, "member_ban")
    await sandbox.user_ban(guild_id, moderator, target, "raiding")
    entry = await entry_seen
    assert entry.action is discord.AuditLogAction.ban and entry.user_id == moderator and entry.reason == "raiding"
    assert (await banned)[1].id == target
    # the bot's own actions are logged with the bot as the actor
    await guild.unban(discord.Object(target), reason="second chance")
    entries = [e async for e in guild.audit_logs(limit=10)]
    assert [(e.action, e.user.id) for e in entries[:2]] == [
        (discord.AuditLogAction.unban, bot.user.id),
        (discord.AuditLogAction.ban, moderator),
    ]
    assert entries[0].reason == "second chance"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    updated = expect(bot, "member_update")
    await sandbox.user_timeout(guild_id, moderator, sandbox.member_ids(guild_id)[4], later, "calm down")
    assert (await updated)[1].is_timed_out()


async def test_autocomplete(sandbox: Sandbox, start_bot):
    bot = SandboxBot(command_prefix="!", intents=full_intents())
    fruits = ["apple", "apricot", "banana"]

    async def complete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f, value=f) for f in fruits if f.startswith(current)]

    @bot.tree.command(description="Pick a fruit")
    @app_commands.autocomplete(fruit=complete)
    async def pick(interaction: discord.Interaction, fruit: str, amount: int) -> None:
        await interaction.response.send_message(f"{amount} {fruit}")

    await start_bot(bot)
    await bot.tree.sync()
    guild_id = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild_id)[0]
    user = sandbox.member_ids(guild_id)[2]
    choices = await sandbox.invoke_autocomplete(guild_id, channel, user, "pick", "fruit", "ap")
    assert [c["value"] for c in choices] == ["apple", "apricot"]
    with pytest.raises(SandboxError, match="does not autocomplete"):
        await sandbox.invoke_autocomplete(guild_id, channel, user, "pick", "amount", "1")
    record = await sandbox.invoke_slash(guild_id, channel, user, "pick", {"fruit": "apple", "amount": 2})
    assert (await sandbox.wait_for_interaction_response(record))["content"] == "2 apple"
