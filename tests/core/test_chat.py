"""The message fast path (`wolaro.core.chat`): counting modules see every guild message once, from the payload;
discord.py builds a `discord.Message` only when a command, a whole-message module or a waiter needs it."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from structlog.testing import capture_logs

from wolaro.core.chat import ChatFastPath, ChatMessage
from wolaro.core.config_service import GuildConfig

GUILD = 81_000_000_000_000_001
CHANNEL = 81_000_000_000_000_002
THREAD_PARENT = 81_000_000_000_000_003
ADMIN = 81_000_000_000_000_009


class Settings:
    """Stands in for the config service: `peek` answers from memory, `get` after a read."""

    def __init__(self, config: GuildConfig | None) -> None:
        self.cached = config
        self.stored = config

    def peek(self, guild_id: int) -> GuildConfig | None:
        return self.cached

    async def get(self, guild_id: int) -> GuildConfig:
        await asyncio.sleep(0)
        assert self.stored is not None
        self.cached = self.stored
        return self.stored


class Channel:
    def __init__(self) -> None:
        self.id = CHANNEL
        self.parent_id = THREAD_PARENT
        self.category_id = None


def world(config: GuildConfig | None, *, full: frozenset[str] = frozenset()) -> tuple[ChatFastPath, list[Any], Any]:
    """A fast path over a fake bot with two counting modules (`stats`, `xp`); returns it, what the modules saw,
    and the messages discord.py built."""
    seen: list[Any] = []
    built: list[Any] = []

    def stats(config: GuildConfig, message: ChatMessage) -> None:
        seen.append(("stats", message))

    def xp(config: GuildConfig, message: ChatMessage) -> None:
        seen.append(("xp", message))

    channel = Channel()
    guild = SimpleNamespace(_resolve_channel=lambda channel_id: channel if channel_id == CHANNEL else None)
    bot = SimpleNamespace(
        config=Settings(config),
        loader=SimpleNamespace(version=1, chat_handlers=[("stats", stats), ("xp", xp)], full_message_modules=full),
        _connection=SimpleNamespace(_get_guild=lambda guild_id: guild if guild_id == GUILD else None),
        draining=False,
        settings=SimpleNamespace(master_admin_ids=frozenset({ADMIN})),
        _listeners={},
        extra_events={},
    )
    fast = ChatFastPath(bot)  # type: ignore[arg-type]
    parsers: dict[str, Any] = {"MESSAGE_CREATE": built.append}
    fast.install(parsers)
    return fast, seen, built


def config(*modules: str, blacklisted: bool = False) -> GuildConfig:
    return GuildConfig(guild_id=GUILD, prefix="!", enabled_modules=frozenset(modules), blacklisted=blacklisted)


def payload(content: str = "hello", *, author: int = 5, bot: bool = False, **extra: Any) -> dict[str, Any]:
    return {
        "id": str((1_700_000_000_000 - 1_420_070_400_000) << 22),
        "guild_id": str(GUILD),
        "channel_id": str(CHANNEL),
        "content": content,
        "author": {"id": str(author), "username": "ada", "global_name": "Ada", "avatar": "abc", "bot": bot},
        "member": {"nick": "Countess", "roles": ["11", "12"]},
        **extra,
    }


def test_chat_is_counted_from_the_payload_and_never_built() -> None:
    fast, seen, built = world(config("stats", "xp"))
    fast.parse(payload())
    assert [name for name, _ in seen] == ["stats", "xp"] and built == []
    message = seen[0][1]
    assert (message.guild_id, message.channel_id, message.author_id, message.webhook_id) == (GUILD, CHANNEL, 5, None)
    assert message.id >> 22 == 1_700_000_000_000 - 1_420_070_400_000
    assert message.channel.parent_id == THREAD_PARENT
    assert message.role_ids == [11, 12] and message.display_name == "Countess" and message.avatar == "abc"
    assert message.content == "hello"
    assert (fast.counted, fast.built) == (1, 0)


def test_only_the_modules_enabled_in_the_guild_count() -> None:
    fast, seen, built = world(config("xp"))
    fast.parse(payload())
    assert [name for name, _ in seen] == ["xp"] and built == []


def test_a_command_is_counted_and_built() -> None:
    fast, seen, built = world(config("stats"))
    fast.parse(payload("!rank"))
    fast.parse(payload("<@1> rank"))
    assert len(seen) == 2 and len(built) == 2


def test_a_module_that_reads_whole_messages_gets_them_built() -> None:
    fast, seen, built = world(config("stats", "automod"), full=frozenset({"automod"}))
    fast.parse(payload())
    assert len(seen) == 1 and len(built) == 1
    fast, seen, built = world(config("stats"), full=frozenset({"automod"}))  # automod off in this guild
    fast.parse(payload())
    assert len(seen) == 1 and built == []


def test_bots_are_not_counted_and_built_only_for_the_message_cache() -> None:
    fast, seen, built = world(config("stats"))
    fast.parse(payload(bot=True))
    assert seen == [] and built == []
    fast, seen, built = world(config("stats", "serverlog"), full=frozenset({"serverlog"}))
    fast.parse(payload(bot=True))
    assert seen == [] and len(built) == 1


def test_a_blacklisted_guild_is_not_counted_but_a_master_admin_reaches_commands() -> None:
    fast, seen, built = world(config("stats", blacklisted=True))
    fast.parse(payload("!ping"))
    assert seen == [] and built == []
    fast.parse(payload("!guild unblacklist", author=ADMIN))
    assert len(seen) == 1 and len(built) == 1


def test_a_stopping_bot_counts_nothing() -> None:
    fast, seen, built = world(config("stats"))
    fast.bot.draining = True
    fast.parse(payload("!ping"))
    assert seen == [] and built == []


def test_a_waiter_for_messages_gets_them_built() -> None:
    fast, seen, built = world(config("stats"))
    fast.bot._listeners["message"] = [object()]
    fast.parse(payload())
    assert len(seen) == 1 and len(built) == 1


def test_direct_messages_and_unknown_guilds_go_to_discord_py() -> None:
    fast, seen, built = world(config("stats"))
    direct = payload()
    del direct["guild_id"]
    fast.parse(direct)
    fast.parse({**payload(), "guild_id": str(GUILD + 1)})
    assert seen == [] and len(built) == 2


async def test_settings_not_cached_yet_build_at_once_and_count_once_read() -> None:
    fast, seen, built = world(None)
    fast.bot.config.stored = config("stats")
    fast.parse(payload())
    assert len(built) == 1 and seen == []  # discord.py's caches see it in order, before anything awaits
    await asyncio.gather(*fast._pending)
    assert [name for name, _ in seen] == ["stats"]


def test_a_failing_module_never_stops_the_others() -> None:
    fast, seen, built = world(config("stats", "xp"))

    def broken(config: GuildConfig, message: ChatMessage) -> None:
        raise ValueError("boom")

    fast.bot.loader.chat_handlers = [("stats", broken), *fast.bot.loader.chat_handlers[1:]]
    fast.bot.loader.version = 2
    with capture_logs() as logs:
        fast.parse(payload())
    assert [name for name, _ in seen] == ["xp"] and built == []
    assert [(log["event"], log["module"]) for log in logs] == [("module chat handler failed", "stats")]


def test_a_webhook_message_says_so() -> None:
    fast, seen, _ = world(config("stats"))
    fast.parse(payload(webhook_id="77"))
    assert seen[0][1].webhook_id == 77
