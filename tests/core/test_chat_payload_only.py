"""The fast path's payload fields for judging modules (mentions, the payload) and `payload_only` handlers: a module
whose whole-message handlers read only their own event's payload keeps its servers' chat off discord.py's path."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from wolaro.core.chat import ChatFastPath, ChatMessage, payload_only, reads_payloads_only
from wolaro.core.config_service import GuildConfig

GUILD = 82_000_000_000_000_001
CHANNEL = 82_000_000_000_000_002


def payload(**extra: Any) -> dict[str, Any]:
    return {
        "id": "1234",
        "guild_id": str(GUILD),
        "channel_id": str(CHANNEL),
        "content": "hello",
        "author": {"id": "5", "username": "ada"},
        "member": {"roles": []},
        **extra,
    }


def test_mentions_are_counted_from_the_payload() -> None:
    data = payload(mentions=[{"id": "1"}, {"id": "2"}], mention_roles=["3"], mention_everyone=True)
    message = ChatMessage(data, GUILD, None)
    assert message.mention_count == 3
    assert ChatMessage(payload(), GUILD, None).mention_count == 0
    assert message.payload is data


class EditsFromPayload:
    @payload_only
    async def on_guild_raw_message_edit(self, config: GuildConfig, event: Any) -> None: ...

    def on_guild_chat(self, config: GuildConfig, message: ChatMessage) -> None: ...


class EditsFromCache:
    async def on_guild_raw_message_edit(self, config: GuildConfig, event: Any) -> None: ...


class WholeMessages(EditsFromPayload):
    async def on_guild_message(self, config: GuildConfig, message: Any) -> None: ...


def test_a_module_reads_payloads_only_when_every_whole_message_handler_says_so() -> None:
    assert reads_payloads_only([EditsFromPayload()])
    assert not reads_payloads_only([EditsFromCache()])
    assert not reads_payloads_only([WholeMessages()])  # its on_guild_message needs the discord.Message
    assert not reads_payloads_only([EditsFromPayload(), EditsFromCache()])
    assert not reads_payloads_only([])


def fast_path(enabled: set[str]) -> tuple[ChatFastPath, list[Any]]:
    built: list[Any] = []
    config = GuildConfig(guild_id=GUILD, prefix="!", enabled_modules=frozenset(enabled))
    cogs = {"judge": [EditsFromPayload()], "log": [EditsFromCache()]}
    channel = SimpleNamespace(id=CHANNEL)
    guild = SimpleNamespace(_resolve_channel=lambda channel_id: channel)
    bot = SimpleNamespace(
        config=SimpleNamespace(peek=lambda guild_id: config),
        loader=SimpleNamespace(
            version=1,
            chat_handlers=[("judge", lambda config, message: None)],
            full_message_modules=frozenset(cogs),
            cogs=cogs,
        ),
        _connection=SimpleNamespace(_get_guild=lambda guild_id: guild),
        draining=False,
        settings=SimpleNamespace(master_admin_ids=frozenset()),
        _listeners={},
        extra_events={},
    )
    fast = ChatFastPath(bot)  # type: ignore[arg-type]
    fast.install({"MESSAGE_CREATE": built.append})
    return fast, built


def test_a_payload_only_module_leaves_chat_on_the_fast_path() -> None:
    fast, built = fast_path({"judge"})
    fast.parse(payload())
    assert built == [] and fast.counted == 1
    fast, built = fast_path({"judge", "log"})  # a module reading edits of cached messages needs them built
    fast.parse(payload())
    assert len(built) == 1
