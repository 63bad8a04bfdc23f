"""The command error path as plain functions: what each kind of failure replies, and what the bot records."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from discord.ext import commands

from wolaro.core.command_errors import answer_command_error
from wolaro.core.config_service import ConfigError
from wolaro.core.errors import GuildBlacklisted, ModuleDisabled, RateLimited


class FakeContext:
    """What `answer_command_error` reads of a context, and the replies it was asked to send."""

    def __init__(self, *, slash: bool = True, fail: bool = False) -> None:
        self.interaction = object() if slash else None
        self.command = SimpleNamespace(qualified_name="warn", signature="<member> [reason]")
        self.guild = SimpleNamespace(id=42)
        self.clean_prefix = "!"
        self.replies: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail

    def t(self, message: str, /, **fields: Any) -> str:
        return message.format(**fields) if fields else message

    async def refuse(self, message: str, /, **fields: Any) -> None:
        if self.fail:
            raise ConnectionError("Discord unreachable")
        self.replies.append((message, fields))


def invoke_error(original: Exception) -> commands.CommandInvokeError:
    return commands.CommandInvokeError(original)


async def test_a_config_error_inside_the_command_names_the_field():
    ctx = FakeContext()
    outcome = await answer_command_error(ctx, invoke_error(ConfigError("prefix", "too long")))  # type: ignore[arg-type]
    assert outcome == ("invalid", None)
    assert ctx.replies == [("Invalid value for {field}: {message}", {"field": "prefix", "message": "too long"})]


async def test_a_refused_setting_is_named_by_its_title_with_our_sentence():
    from pydantic import ValidationError

    from wolaro.core.config_service import config_error_from
    from wolaro.modules.automod.config import Config

    try:
        Config.model_validate({"caps": {"max_ratio": 5}})
    except ValidationError as exc:
        error = config_error_from(exc, Config)
    ctx = FakeContext()
    await answer_command_error(ctx, invoke_error(error))  # type: ignore[arg-type]
    assert ctx.replies == [
        (
            "Invalid value for {field}: {message}",
            {"field": "Capital letters › Capital letters allowed", "message": "Enter 100 % or less."},
        )
    ]


async def test_a_refusal_is_replied_with_its_message_and_recorded_denied():
    ctx = FakeContext()
    outcome = await answer_command_error(ctx, RateLimited(2.5))  # type: ignore[arg-type]
    assert outcome == ("denied", "Slow down: try again in {seconds:.1f} s.")
    assert ctx.replies == [("Slow down: try again in {seconds:.1f} s.", {"seconds": 2.5})]


@pytest.mark.parametrize("error", [ModuleDisabled("fun"), GuildBlacklisted()])
async def test_a_switched_off_server_is_told_to_slash_commands_only_and_never_recorded(error):
    slash, prefix = FakeContext(slash=True), FakeContext(slash=False)
    assert await answer_command_error(slash, error) is None  # type: ignore[arg-type]
    assert await answer_command_error(prefix, error) is None  # type: ignore[arg-type]
    assert len(slash.replies) == 1 and prefix.replies == []


async def test_bad_input_shows_the_usage():
    ctx = FakeContext(slash=False)
    outcome = await answer_command_error(ctx, commands.BadArgument("not a member"))  # type: ignore[arg-type]
    assert outcome == ("invalid", "not a member")
    assert ctx.replies == [
        ("Invalid input: {error}\nUsage: `{usage}`", {"error": "not a member", "usage": "!warn <member> [reason]"})
    ]


async def test_a_bug_gets_an_error_id_that_the_reply_quotes_even_if_the_reply_cannot_be_sent():
    ctx = FakeContext()
    status, error_id = await answer_command_error(ctx, invoke_error(RuntimeError("bug")))  # type: ignore[arg-type,misc]
    assert status == "error" and error_id is not None and len(error_id) == 8
    assert ctx.replies == [("Something went wrong (error {error_id}). The team has been told.", {"error_id": error_id})]
    unreachable = FakeContext(fail=True)
    assert (await answer_command_error(unreachable, invoke_error(RuntimeError("bug"))))[0] == "error"  # type: ignore[arg-type,index]


async def test_an_unknown_command_is_ignored():
    ctx = FakeContext()
    assert await answer_command_error(ctx, commands.CommandNotFound()) is None  # type: ignore[arg-type]
    assert ctx.replies == []
