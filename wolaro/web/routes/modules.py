"""Each module's config (with its JSON schema for the settings form) and its on/off switch, per guild."""

from __future__ import annotations

import functools
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, Request, status
from pydantic import Field

from wolaro.core.config_service import GuildConfig
from wolaro.core.config_ui import translate_schema
from wolaro.core.i18n import Translator
from wolaro.core.jsonsafe import js_safe
from wolaro.core.registry import ModuleConfig, ModuleSpec
from wolaro.web.deps import ManagedGuild, WebDep
from wolaro.web.language import request_language
from wolaro.web.schemas import EnabledIn, ModuleOut, ModuleSummary

router = APIRouter(prefix="/api/guilds/{guild_id}/modules", tags=["modules"])

ModuleName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="Module name, e.g. utility")]
#: Settings one PATCH may change (more than any module has; each is then bounded by the module's own model).
MAX_CHANGED_FIELDS = 100
CONFIG_ERROR: dict[int | str, dict[str, Any]] = {
    422: {"description": "A value is invalid: `field` names it; nothing was written"}
}


def _spec(web: WebDep, module: str) -> ModuleSpec:
    spec = web.services.config.specs.get(module)
    if spec is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No module named {module!r}")
    return spec


@functools.cache
def _schema(model: type[ModuleConfig]) -> dict[str, Any]:
    """The JSON schema of a module's config model (computed once per model: it is costly)."""
    return model.model_json_schema()


_translated: dict[tuple[type[ModuleConfig], str], dict[str, Any]] = {}


def _schema_in(model: type[ModuleConfig], translator: Translator | None, language: str) -> dict[str, Any]:
    """The schema with its titles, help and choice labels in `language` (cached per model and language)."""
    if translator is None or language == "en":
        return _schema(model)
    key = (model, language)
    if key not in _translated:
        _translated[key] = translate_schema(_schema(model), lambda text: translator.translate(language, text))
    return _translated[key]


def module_out(
    spec: ModuleSpec, config: GuildConfig, translator: Translator | None = None, language: str = "en"
) -> ModuleOut:
    """A module as the API shows it (ids in its config as strings; words in `language` when a translator is given)."""
    translate = (lambda text: translator.translate(language, text)) if translator is not None else (lambda text: text)
    return ModuleOut(
        name=spec.name,
        title=translate(spec.display_title),
        description=translate(spec.description),
        version=spec.version,
        enabled=config.is_enabled(spec.name),
        can_disable=spec.can_disable,
        config=js_safe(dict(config.module_configs.get(spec.name, spec.default_config()))),
        config_schema=_schema_in(spec.config, translator, language),
    )


def _out(request: Request, web: WebDep, spec: ModuleSpec, config: GuildConfig) -> ModuleOut:
    return module_out(spec, config, web.services.translator, request_language(request))


@router.get("", response_model=list[ModuleOut], summary="Every module with its config")
async def list_modules(request: Request, guild: ManagedGuild, web: WebDep) -> list[ModuleOut]:
    """Modules, whether each runs here, its config and the JSON schema of that config."""
    config = await web.services.config.get(guild.guild_id)
    return [_out(request, web, spec, config) for spec in web.services.config.specs.values()]


@router.get("/{module}", response_model=ModuleOut, summary="One module's config")
async def get_module(request: Request, module: ModuleName, guild: ManagedGuild, web: WebDep) -> ModuleOut:
    """The module's config in this guild and the JSON schema it follows."""
    spec = _spec(web, module)
    return _out(request, web, spec, await web.services.config.get(guild.guild_id))


@router.patch("/{module}", response_model=ModuleOut, summary="Change a module's config", responses=CONFIG_ERROR)
async def patch_module(
    request: Request,
    module: ModuleName,
    guild: ManagedGuild,
    web: WebDep,
    changes: Annotated[
        dict[Annotated[str, Field(max_length=64)], Any],
        Body(max_length=MAX_CHANGED_FIELDS, description="The settings to change (others keep their value)"),
    ],
) -> ModuleOut:
    """Merge `changes` into the module's config.

    Validated by the module's model (422 naming the field, nothing written), then written with its audit row, then
    published to every bot process and open dashboard.
    """
    spec = _spec(web, module)
    await web.services.config.update_module_config(guild.guild_id, module, changes, actor_id=guild.user.id)
    return _out(request, web, spec, await web.services.config.get(guild.guild_id))


@router.put("/{module}/enabled", response_model=ModuleSummary, summary="Switch a module on or off")
async def set_enabled(module: ModuleName, body: EnabledIn, guild: ManagedGuild, web: WebDep) -> ModuleSummary:
    """Enable or disable the module in this guild (a module that cannot be disabled answers 422)."""
    spec = _spec(web, module)
    config = await web.services.config.set_module_enabled(guild.guild_id, module, body.enabled, actor_id=guild.user.id)
    return ModuleSummary(
        name=spec.name,
        description=spec.description,
        version=spec.version,
        enabled=config.is_enabled(spec.name),
        can_disable=spec.can_disable,
    )
