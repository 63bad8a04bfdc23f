"""Answering a message with a custom command: checks, cooldown, render off the loop, reply, stored writes."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord

from wolaro.modules.customcommands import engine, store
from wolaro.modules.customcommands.config import Config, CustomCommand
from wolaro.modules.customcommands.matching import GuildCommands, Hit, command_call, passive_match
from wolaro.sdk import GuildConfig, TemplateError, get_logger

if TYPE_CHECKING:
    from wolaro.core.bot import WolaroBot

log = get_logger(__name__)
NAME = "customcommands"
RENDER_TIMEOUT = 2.0
"""Wall-clock bound on a render seen from the loop (the render's own deadline ends it much sooner)."""


def t(message: str) -> str:
    """Mark `message` for the catalog; it is translated where shown."""
    return message


COOLDOWN = t("Wait {seconds} s before using {name} again.")
NOT_ALLOWED = t("You need one of these roles to use {name}: {roles}.")
FULL = t("(Not saved: this server's storage is full.)")
#: The platform's template refusals (wolaro.core.templates), shown by this module: listed for its catalog.
TEMPLATE_MESSAGES = (
    t("A template has at most {count} characters."),
    t("Templates cannot include other templates."),
    t("Line {line}: a tag is not closed ({opening} needs {closing})."),
    t("A tag is not closed ({opening} needs {closing})."),
    t("Line {line}, character {column}: {closing} closes nothing (no {opening} before it)."),
    t("{closing} closes nothing (no {opening} before it)."),
    t("Line {line}, character {column}: {tag} is not a tag templates can use."),
    t("{tag} is not a tag templates can use."),
    t("Line {line}, character {column}: a {{{{ … }}}} is not closed with }}}}."),
    t("A {{{{ … }}}} is not closed with }}}}."),
    t("Line {line}, character {column}: a {{% … %}} is not closed with %}}."),
    t("A {{% … %}} is not closed with %}}."),
    t("Line {line}, character {column}: a text in quotes is not closed."),
    t("A text in quotes is not closed."),
    t("Line {line}, character {column}: something is missing or misplaced here (a name, a value or an operator)."),
    t("Something is missing or misplaced (a name, a value or an operator)."),
    t("Line {line}, character {column}: there is no filter called {name}."),
    t("There is no filter called {name}."),
    t("Line {line}, character {column}: a filter got a value it cannot work with."),
    t("A filter got a value it cannot work with."),
    t("Line {line}, character {column}: a calculation is not possible (dividing by zero, or text used as a number)."),
    t("A calculation is not possible (dividing by zero, or text used as a number)."),
    t("Line {line}, character {column}: this part of the template cannot be worked out."),
    t("The template cannot be run."),
    t("The template is nested too deeply."),
    t("The template took too long to run."),
    t("The template works on a text that is too long."),
    t("The template repeats a loop too many times (at most {count})."),
    t("The template keeps too much text in its variables."),
    t("The template does too much work (over {count} steps)."),
    t("The template's answer is too long (more than {count} characters)."),
)


class Runner:
    """A bot's custom command runner: each guild's commands parsed once per config."""

    def __init__(self, bot: WolaroBot) -> None:
        self.bot = bot
        self._parsed: dict[int, tuple[object, Config, GuildCommands]] = {}

    def commands_of(self, config: GuildConfig) -> tuple[Config, GuildCommands]:
        """The guild's parsed commands (re-parsed when its config changed)."""
        raw = config.module_configs.get(NAME) or {}
        cached = self._parsed.get(config.guild_id)
        if cached is not None and cached[0] is raw:
            return cached[1], cached[2]
        parsed = Config.model_validate(raw)
        built = GuildCommands.build(parsed, cached[2] if cached else None)
        self._parsed[config.guild_id] = (raw, parsed, built)
        return parsed, built

    async def find(self, config: GuildConfig, message: discord.Message) -> Hit | None:
        """The command `message` calls, if any (regex searches finish off the loop when they need to)."""
        parsed, commands = self.commands_of(config)
        if not parsed.commands:
            return None
        content = message.content
        hit = command_call(content, config.prefix, commands.by_name) or passive_match(content, commands.passive)
        if hit is not None or commands.matcher is None:
            return hit
        matcher = commands.matcher
        found = matcher.search(content)
        deferred = matcher.take_deferred()
        if deferred is not None:
            result = await asyncio.to_thread(matcher.search_off_loop, *deferred)
            found = matcher.settle(result, len(content))
        command = commands.by_pattern(found)
        return Hit(command) if command else None

    async def handle(self, config: GuildConfig, message: discord.Message) -> None:
        """Answer `message` if it calls one of the guild's commands and the member may use it."""
        if message.author.bot or not isinstance(message.author, discord.Member):
            return
        hit = await self.find(config, message)
        if hit is None or self.bot.get_command(hit.command.name) is not None:
            return
        command = hit.command
        loud = command.trigger == "command"
        if command.allowed_channels and message.channel.id not in command.allowed_channels:
            return
        if command.allowed_roles and not {r.id for r in message.author.roles} & set(command.allowed_roles):
            if loud:
                roles = ", ".join(f"<@&{r}>" for r in command.allowed_roles)
                await self._say(config, message, NOT_ALLOWED, name=command.name, roles=roles)
            return
        if command.cooldown_seconds and not await self._claim(config.guild_id, command, message.author.id):
            if loud:
                await self._say(config, message, COOLDOWN, name=command.name, seconds=command.cooldown_seconds)
            return
        await self._answer(config, message, command, hit.args)

    async def _claim(self, guild_id: int, command: CustomCommand, user_id: int) -> bool:
        key = f"customcommands:cooldown:{guild_id}:{command.name}:{user_id}"
        return await self.bot.services.cache.claim(key, float(command.cooldown_seconds))

    async def _answer(
        self, config: GuildConfig, message: discord.Message, command: CustomCommand, args: tuple[str, ...]
    ) -> None:
        assert message.guild is not None and isinstance(message.author, discord.Member)
        parsed, _ = self.commands_of(config)
        db = self.bot.services.db
        values = await store.read_all(db, config.guild_id, limit=parsed.storage_keys or 1)
        variables = engine.variables(person_of(message.author), place_of(message), args, values)
        try:
            result = await asyncio.wait_for(asyncio.to_thread(engine.run, command.response, variables), RENDER_TIMEOUT)
        except TemplateError as exc:
            await self._say(config, message, exc.message, **exc.fields)
            return
        except TimeoutError:
            await self._say(config, message, "The template took too long to run.")
            return
        full = not await self._write(config.guild_id, result.writes, parsed.storage_keys)
        text = result.text + ("\n" + self._t(config, FULL) if full else "")
        await self._send(message, command, text)

    async def _write(self, guild_id: int, writes: dict[str, str | None], quota: int) -> bool:
        ok = True
        for key, value in writes.items():
            if value is None:
                await store.delete_value(self.bot.services.db, guild_id, key)
                continue
            try:
                await store.set_value(self.bot.services.db, guild_id, key, value, quota=quota)
            except store.StoreFull:
                ok = False
        return ok

    async def _send(self, message: discord.Message, command: CustomCommand, text: str) -> None:
        if not text.strip():
            return
        mentions = discord.AllowedMentions(everyone=False, roles=False, users=[message.author])
        if command.embed:
            embed = discord.Embed(title=command.embed_title or None, description=text[:4096], colour=0x5865F2)
            await message.channel.send(embed=embed, allowed_mentions=mentions)
        else:
            await message.channel.send(text[:2000], allowed_mentions=mentions)

    def _t(self, config: GuildConfig, message: str, **fields: object) -> str:
        return self.bot.translator.translate(config.language, message, **fields)

    async def _say(self, config: GuildConfig, message: discord.Message, text: str, **fields: object) -> None:
        none = discord.AllowedMentions.none()
        await message.channel.send(self._t(config, text, **fields)[:2000], allowed_mentions=none)


def person_of(member: discord.Member) -> engine.Person:
    """The template's view of a member."""
    roles = [role.name for role in member.roles if not role.is_default()]
    return engine.Person(member.id, member.name, member.display_name, roles)


def place_of(message: discord.Message) -> engine.Place:
    """The template's view of where a message was sent."""
    assert message.guild is not None
    channel_name = getattr(message.channel, "name", "") or ""
    count = message.guild.member_count or 0
    return engine.Place(message.guild.id, message.guild.name, count, message.channel.id, channel_name)
