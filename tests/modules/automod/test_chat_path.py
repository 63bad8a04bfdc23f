"""Automod's payload handler without Discord: a clean message starts nothing, a caught one starts one action;
the spam counter here and in the shared cache; the REST helpers that act by ids."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from wolaro.core.chat import ChatMessage, reads_payloads_only
from wolaro.core.config_service import GuildConfig
from wolaro.core.i18n import Translator
from wolaro.data.cache import MemoryCache, RedisCache
from wolaro.modules.automod import discord_io, service
from wolaro.modules.automod.counting import SpamCounter, shared_from
from wolaro.modules.automod.module import Automod

GUILD = 90_000_000_000_000_001
CHANNEL = 90_000_000_000_000_002
MESSAGE_ID = (1_700_000_000_000 - 1_420_070_400_000) << 22


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def cog(cache: MemoryCache | None = None, *, redis: bool = False) -> tuple[Automod, list[tuple[str, Any]]]:
    """An Automod Cog over a fake bot; `acted` lists the (rule, message) of every action it starts."""
    bot = SimpleNamespace(
        services=SimpleNamespace(cache=cache if cache is not None else MemoryCache(max_entries=10_000)),
        translator=Translator(),
        settings=SimpleNamespace(redis_url="redis://shared" if redis else None),
    )
    automod = Automod.__new__(Automod)
    Automod.__init__(automod, bot)  # type: ignore[arg-type]
    acted: list[tuple[str, Any]] = []

    async def act(config: GuildConfig, message: ChatMessage, hit: service.Hit) -> None:
        acted.append((hit.rule, message))

    automod._act = act  # type: ignore[method-assign]
    return automod, acted


def config(**automod: Any) -> GuildConfig:
    return GuildConfig(guild_id=GUILD, enabled_modules=frozenset({"automod"}), module_configs={"automod": automod})


def chat(content: str, *, author: int = 7, n: int = 0, **extra: Any) -> ChatMessage:
    data = {
        "id": str(MESSAGE_ID + n),
        "channel_id": str(CHANNEL),
        "content": content,
        "author": {"id": str(author), "username": "ada"},
        "member": {"roles": ["11"]},
        **extra,
    }
    return ChatMessage(data, GUILD, None)


async def settled(automod: Automod) -> None:
    while automod._background:
        await asyncio.gather(*automod._background)


async def test_a_clean_message_starts_nothing_and_a_caught_one_one_action() -> None:
    automod, acted = cog()
    settings = config(words={"enabled": True, "words": ["frobnicate"]})
    for n in range(3):
        automod.on_guild_chat(settings, chat(f"hello there {n}", n=n))
    assert not automod._background and acted == []
    automod.on_guild_chat(settings, chat("I frobnicate", n=9))
    assert len(automod._background) == 1
    await settled(automod)
    assert [(rule, message.id) for rule, message in acted] == [("words", MESSAGE_ID + 9)]


async def test_mentions_webhooks_and_exemptions_are_read_from_the_payload() -> None:
    automod, acted = cog()
    settings = config(mentions={"enabled": True, "max_mentions": 1}, exempt_channels=[CHANNEL + 1])
    automod.on_guild_chat(settings, chat("hi", mentions=[{"id": "1"}], mention_roles=["2"]))
    automod.on_guild_chat(settings, chat("hi", mentions=[{"id": "1"}, {"id": "3"}], webhook_id="5"))
    automod.on_guild_chat(settings, chat("hi", mentions=[{"id": "1"}, {"id": "3"}], channel_id=str(CHANNEL + 1)))
    await settled(automod)
    assert [rule for rule, _ in acted] == ["mentions"]
    role_exempt = config(mentions={"enabled": True, "max_mentions": 1, "exempt_roles": [11]})
    assert automod.rules_for(role_exempt).roles_matter and not automod.rules_for(settings).roles_matter
    automod.on_guild_chat(role_exempt, chat("hi", mentions=[{"id": "1"}, {"id": "3"}]))
    assert not automod._background


async def test_spam_without_redis_is_decided_here_without_the_cache() -> None:
    cache = MemoryCache()
    automod, acted = cog(cache)
    settings = config(duplicates={"enabled": False})  # spam: more than 5 in 5 s
    for n in range(6):
        automod.on_guild_chat(settings, chat(f"message {n}", n=n))
    await settled(automod)
    assert [rule for rule, _ in acted] == ["spam"] and len(cache) == 0


async def test_with_redis_a_member_near_the_limit_is_counted_in_the_shared_cache() -> None:
    shared = MemoryCache()  # stands in for Redis: both "processes" below count in it
    first, acted_first = cog(shared, redis=True)
    second, acted_second = cog(shared, redis=True)
    settings = config(duplicates={"enabled": False})
    # Half the limit and under: nothing leaves the process.
    for n in range(shared_from(5) - 1):
        first.on_guild_chat(settings, chat(f"message {n}", n=n))
    assert not first._background and len(shared) == 0
    # A burst split between two processes (its shard handed over): 3 messages here, then 5 there.
    first.on_guild_chat(settings, chat("message 2", n=2))
    await settled(first)
    for n in range(3, 8):
        second.on_guild_chat(settings, chat(f"message {n}", n=n))
        await settled(second)
    assert acted_first == []
    # 8 messages in the window, more than 5: caught, at most `limit // 2` messages later than one process would
    assert [(rule, message.id - MESSAGE_ID) for rule, message in acted_second] == [("spam", 7)]


def test_spam_counter_counts_the_window_and_says_what_the_shared_cache_lacks() -> None:
    clock = Clock()
    counter = SpamCounter(clock=clock)
    results = [counter.hit(1, 2, 5.0, 5, shared=True) for _ in range(7)]
    assert results == [(1, None), (2, None), (3, 2), (4, 2), (5, 2), (6, None), (6, None)]
    assert [counter.hit(1, 3, 5.0, 5, shared=False) for _ in range(6)][-1] == (6, None)
    clock.now += 5.0  # the window slid past every message
    assert counter.hit(1, 2, 5.0, 5, shared=True) == (1, None)
    assert shared_from(1) == 1 and shared_from(5) == 3 and shared_from(100) == 51


def test_spam_counter_is_bounded() -> None:
    counter = SpamCounter(max_members=3)
    for member in range(10):
        counter.hit(1, member, 5.0, 5, shared=False)
    assert len(counter) == 3


async def test_an_edit_is_judged_from_its_payload_once_per_message() -> None:
    automod, acted = cog()
    automod.bot.get_guild = lambda guild_id: None
    settings = config(invites={"enabled": True})
    data = {**chat("now with discord.gg/sneaky").payload, "guild_id": str(GUILD)}
    built = SimpleNamespace(id=MESSAGE_ID, channel=SimpleNamespace(id=CHANNEL), guild=SimpleNamespace(id=GUILD))
    edit = discord.RawMessageUpdateEvent(data=data, message=built)  # type: ignore[arg-type]
    await automod.on_guild_raw_message_edit(settings, edit)
    assert [rule for rule, _ in acted] == ["invites"]
    automod._acted[MESSAGE_ID] = None
    await automod.on_guild_raw_message_edit(settings, edit)  # a later update of a message acted on: left alone
    assert len(acted) == 1
    assert reads_payloads_only([automod])


class Http:
    """Records the REST calls the helpers make."""

    def __init__(self, history: list[dict[str, Any]]) -> None:
        self.history = history
        self.calls: list[tuple[Any, ...]] = []

    async def logs_from(self, channel_id: int, limit: int, after: int | None = None) -> list[dict[str, Any]]:
        self.calls.append(("read", channel_id, limit, after))
        await asyncio.sleep(0)
        return self.history

    async def delete_messages(self, channel_id: int, ids: list[int], *, reason: str | None = None) -> None:
        self.calls.append(("bulk", channel_id, list(ids), reason))
        await asyncio.sleep(0)

    async def delete_message(self, channel_id: int, message_id: int, *, reason: str | None = None) -> None:
        self.calls.append(("delete", channel_id, message_id, reason))
        await asyncio.sleep(0)


async def test_a_burst_is_purged_by_one_read_and_one_bulk_delete() -> None:
    history = [{"id": str(i), "author": {"id": "7" if i % 2 else "8"}} for i in range(1, 7)]
    http = Http(history)
    deleted = await discord_io.purge_author(http, CHANNEL, 7, 123, "Automod: spam", scan=100)  # type: ignore[arg-type]
    assert deleted == {1, 3, 5}
    assert http.calls == [("read", CHANNEL, 100, 123), ("bulk", CHANNEL, [1, 3, 5], "Automod: spam")]
    http = Http(history[:1])
    assert await discord_io.purge_author(http, CHANNEL, 7, 0, "r") == {1}  # type: ignore[arg-type]
    assert http.calls[-1] == ("delete", CHANNEL, 1, "r")  # Discord's bulk delete takes 2 to 100


def test_the_history_bound_is_the_snowflake_of_a_time_before_the_message() -> None:
    after = discord_io.snowflake_before(MESSAGE_ID, 6)
    assert discord.utils.snowflake_time(MESSAGE_ID) - discord.utils.snowflake_time(after) == (
        discord.utils.snowflake_time(MESSAGE_ID) - discord.utils.snowflake_time(MESSAGE_ID - (6000 << 22))
    )
    assert (MESSAGE_ID >> 22) - (after >> 22) == 6000 and after & ((1 << 22) - 1) == 0
    assert discord_io.snowflake_before(5, 10) == 0


async def test_deletions_go_one_at_once_then_in_bulk_while_one_is_under_way() -> None:
    http = Http([])
    tasks: list[asyncio.Task[None]] = []
    deletions = discord_io.Deletions(
        lambda: http,  # type: ignore[arg-type, return-value]
        lambda work, name: tasks.append(asyncio.create_task(work)),
    )
    deletions.add(CHANNEL, 1, "Automod: spam")
    await asyncio.sleep(0)  # the first deletion is under way
    for message_id in range(2, 206):
        deletions.add(CHANNEL, message_id, "Automod: words" if message_id == 205 else "Automod: spam")
    deletions.add(CHANNEL + 1, 9, "Automod: spam")  # another channel: a deletion of its own
    assert deletions.waiting(CHANNEL) == 204
    await asyncio.gather(*tasks)
    calls = [(kind, ids if isinstance(ids, int) else len(ids), reason) for kind, channel, ids, reason in http.calls]
    assert [call for call, (_, channel, _, _) in zip(calls, http.calls, strict=True) if channel == CHANNEL] == [
        ("delete", 1, "Automod: spam"),
        ("bulk", 100, "Automod: spam"),  # 2 to 204, caught while the first deletion was under way
        ("bulk", 100, "Automod: spam"),
        ("bulk", 3, "Automod: spam"),
        ("delete", 205, "Automod: words"),  # one reason per call
    ]
    assert ("delete", 9, "Automod: spam") in calls
    assert deletions.waiting(CHANNEL) == 0 and deletions.failed == 0


def guild_with(roles: dict[int, discord.Permissions], owner: int = 1) -> Any:
    return SimpleNamespace(
        id=GUILD,
        owner_id=owner,
        default_role=SimpleNamespace(permissions=discord.Permissions(send_messages=True)),
        get_role=lambda role_id: SimpleNamespace(permissions=roles[role_id]) if role_id in roles else None,
    )


def test_moderators_are_known_from_their_role_ids() -> None:
    guild = guild_with({11: discord.Permissions(manage_messages=True), 12: discord.Permissions(administrator=True)})
    assert discord_io.manages_messages(guild, 7, [11]) and discord_io.manages_messages(guild, 7, [3, 12])
    assert not discord_io.manages_messages(guild, 7, [3, 99]) and not discord_io.manages_messages(guild, 7, [])
    assert discord_io.manages_messages(guild, 1, [])  # the owner


async def test_a_member_caught_again_within_the_cooldown_is_only_deleted_from_the_handler() -> None:
    automod, acted = cog()
    automod.bot.get_guild = lambda guild_id: guild_with({11: discord.Permissions.none()})
    deleted: list[int] = []
    automod.deletions.add = lambda channel_id, message_id, reason: deleted.append(message_id)  # type: ignore[method-assign]
    settings = config(duplicates={"enabled": False})
    for n in range(6):
        automod.on_guild_chat(settings, chat(f"message {n}", n=n))
    await settled(automod)
    assert [rule for rule, _ in acted] == ["spam"]  # the first catch: purge and sanction, from a task
    now = time.monotonic()
    automod._last_acted[(GUILD, 7, "spam")] = (now, now)  # as that action leaves it
    automod.on_guild_chat(settings, chat("message 6", n=6))
    assert not automod._background and deleted == [MESSAGE_ID + 6] and automod.caught == 1
    assert len(acted) == 1


@pytest.mark.redis
async def test_two_processes_share_a_spam_count_over_redis_near_the_limit(redis_url: str, redis_prefix: str) -> None:
    first_cache, second_cache = RedisCache(redis_url, prefix=redis_prefix), RedisCache(redis_url, prefix=redis_prefix)
    try:
        first, acted_first = cog(first_cache, redis=True)  # type: ignore[arg-type]
        second, acted_second = cog(second_cache, redis=True)  # type: ignore[arg-type]
        settings = config(duplicates={"enabled": False})
        for n in range(3):  # the 3rd (half the limit, plus one) goes to Redis too
            first.on_guild_chat(settings, chat(f"message {n}", n=n))
        await settled(first)
        for n in range(3, 8):  # the shard moved: the rest of the burst reaches the other process
            second.on_guild_chat(settings, chat(f"message {n}", n=n))
            await settled(second)
        assert acted_first == []
        assert [(rule, message.id - MESSAGE_ID) for rule, message in acted_second] == [("spam", 7)]
        assert await first_cache.window_hit(service.spam_key(GUILD, 7), 5.0, limit_members=6) == 5  # 4 + this one
    finally:
        await first_cache.close()
        await second_cache.close()
