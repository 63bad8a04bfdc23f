"""The permissions page's API, under `/api/guilds/{guild_id}/modules/permissions`: every command, and its rule.

The list is built from the installed modules' specs (their Cogs' commands), so a new module's commands appear
without any change here. Ids travel as text (JavaScript loses precision past 2**53).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from wolaro.modules.permissions import service
from wolaro.sdk import CommandRule, ConfigError, ManagedGuild, UserFacingError, WebDep, edit_module_config
from wolaro.sdk import command_access as access

router = APIRouter()
Language = Annotated[Literal["en", "fr"] | None, Query(description="Language of the titles and help")]


class CommandOut(BaseModel):
    """One command: its name, its help and its rule."""

    name: str
    help: str
    rule: dict[str, Any]


class ModuleCommands(BaseModel):
    """A module's commands, and the rule for the whole module."""

    name: str
    title: str
    key: str
    rule: dict[str, Any]
    commands: list[CommandOut]


class CommandsOut(BaseModel):
    """Every command of the modules switched on here, and the JSON schema of a rule (for the editor form)."""

    modules: list[ModuleCommands]
    rule_schema: dict[str, Any]


class RuleIn(BaseModel):
    """A command's (or a module's, `module:<name>`) new rule."""

    target: str = Field(max_length=access.RULE_KEY_MAX, description="A command's full name, or module:<name>")
    rule: CommandRule


def _rule(rules: dict[str, Any], key: str) -> dict[str, Any]:
    return access.CommandRule.model_validate(rules.get(key) or {}).model_dump(mode="json")


def _ids_as_text(rule: dict[str, Any]) -> dict[str, Any]:
    return {k: [str(v) for v in value] if isinstance(value, list) else value for k, value in rule.items()}


async def _listing(web: Any, guild_id: int, language: str | None) -> CommandsOut:
    config = await web.services.config.get(guild_id)
    rules = dict((config.module_configs.get("permissions") or {}).get("rules") or {})
    t = web.services.translator.translate
    lang = language or config.language
    specs = web.services.config.specs
    modules = []
    for name, infos in service.restrictable(specs, config.enabled_modules).items():
        key = access.module_key(name)
        commands = [
            CommandOut(name=i.name, help=t(lang, i.help), rule=_ids_as_text(_rule(rules, i.name))) for i in infos
        ]
        title = t(lang, specs[name].display_title)
        modules.append(
            ModuleCommands(name=name, title=title, key=key, rule=_ids_as_text(_rule(rules, key)), commands=commands)
        )
    return CommandsOut(modules=modules, rule_schema=CommandRule.model_json_schema())


@router.get("/commands", response_model=CommandsOut, summary="Every command of the enabled modules, with its rule")
async def list_commands(guild: ManagedGuild, web: WebDep, language: Language = None) -> CommandsOut:
    """The commands members may be allowed or refused, grouped by module."""
    return await _listing(web, guild.guild_id, language)


@router.put("/rules", response_model=CommandsOut, summary="Set the rule of one command or module")
async def put_rule(body: RuleIn, guild: ManagedGuild, web: WebDep, language: Language = None) -> CommandsOut:
    """Replace one command's (or module's) rule; a rule that restricts nothing is removed. Audited."""
    try:
        key = service.resolve_target(web.services.config.specs, body.target)
    except UserFacingError as exc:
        raise ConfigError(
            "target", web.services.translator.translate(language or "en", exc.msgid, **exc.fields)
        ) from None

    def edit(current: dict[str, Any]) -> dict[str, Any]:
        return {"rules": access.with_rule(dict(current.get("rules") or {}), key, body.rule)}

    await edit_module_config(
        web.services.config, guild.guild_id, "permissions", edit, actor_id=guild.user.id, action="permissions.rule"
    )
    return await _listing(web, guild.guild_id, language)
