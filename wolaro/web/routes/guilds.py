"""The user, their guilds, and a guild's settings, resync, channel and role lists, blacklist."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, HTTPException, Request, Response, status

from wolaro.core.config_service import SUPPORTED_LANGUAGES, GuildConfig
from wolaro.web.context import Web
from wolaro.web.deps import ManagedGuild, MasterAdmin, SessionUser, WebDep
from wolaro.web.discord_api import DiscordError
from wolaro.web.schemas import (
    BlacklistIn,
    ChannelOut,
    GuildOverview,
    GuildSettings,
    GuildSummary,
    ModuleSummary,
    RoleOut,
    SettingsPatch,
    SyncOut,
    UserOut,
)

router = APIRouter(prefix="/api", tags=["guilds"])


@router.get("/guilds/{guild_id}/settings", response_model=GuildSettings, summary="A guild's settings")
async def get_settings(guild: ManagedGuild, request: Request) -> Response:
    """Prefix, language and blacklist state (from the cached config)."""
    web: Web = request.app.state.web  # not `WebDep`: a dependency level costs on this hot path
    config = await web.services.config.get(guild.guild_id)
    return Response(settings_json(config), media_type="application/json")


@router.get("/me", response_model=UserOut, summary="The logged-in user")
async def me(user: SessionUser) -> UserOut:
    """Who is logged in (401 if nobody)."""
    return UserOut(
        id=str(user.id),
        username=user.username,
        global_name=user.global_name,
        avatar=user.avatar,
        master_admin=user.is_master,
        session_expires_at=user.expires_at,
    )


@router.get("/guilds", response_model=list[GuildSummary], summary="Guilds the user can manage")
async def guilds(user: SessionUser, web: WebDep) -> list[GuildSummary]:
    """Guilds where the user is owner, Administrator or Manage Server **and** the bot is present.

    Master admins get every guild the bot is in (`access: "master"` where their own rights would not do).
    """
    return [
        GuildSummary(
            id=str(g.id), name=g.name, icon=g.icon, owner=g.owner, access="member" if g.can_manage else "master"
        )
        for g in await web.access.manageable(user)
    ]


_settings_json: dict[int, tuple[GuildConfig, bytes]] = {}


def settings_json(config: GuildConfig) -> bytes:
    """`settings_of(config)` as JSON, serialized once per config object.

    Configs are immutable (a change makes a new object), so an identity check tells whether the bytes still hold.
    """
    cached = _settings_json.get(config.guild_id)
    if cached is not None and cached[0] is config:
        return cached[1]
    body = orjson.dumps(settings_of(config).model_dump())
    if len(_settings_json) >= 10_000:
        _settings_json.clear()
    _settings_json[config.guild_id] = (config, body)
    return body


def settings_of(config: GuildConfig) -> GuildSettings:
    """The settings part of a guild's config."""
    return GuildSettings(
        prefix=config.prefix,
        language=config.language,
        languages=list(SUPPORTED_LANGUAGES),
        blacklisted=config.blacklisted,
    )


@router.get("/guilds/{guild_id}", response_model=GuildOverview, summary="A guild's dashboard home")
async def guild(guild: ManagedGuild, web: WebDep) -> GuildOverview:
    """Name, settings and modules of the guild (from the cached config: no database read when warm)."""
    config = await web.services.config.get(guild.guild_id)
    modules = [
        ModuleSummary(
            name=spec.name,
            description=spec.description,
            version=spec.version,
            enabled=config.is_enabled(spec.name),
            can_disable=spec.can_disable,
        )
        for spec in web.services.config.specs.values()
    ]
    return GuildOverview(
        id=str(guild.guild_id),
        name=guild.name,
        icon=guild.icon,
        access=guild.via,
        settings=settings_of(config),
        modules=modules,
    )


@router.patch(
    "/guilds/{guild_id}/settings",
    response_model=GuildSettings,
    summary="Change a guild's settings",
    responses={422: {"description": "A value is invalid (the failing field is named; nothing was written)"}},
)
async def patch_settings(body: SettingsPatch, guild: ManagedGuild, web: WebDep) -> GuildSettings:
    """Change prefix and/or language.

    Validated together, written in one transaction with their audit rows, then published so every bot process and
    every open dashboard of the guild sees it at once.
    """
    changes = body.model_dump(exclude_none=True)
    config = await web.services.config.update_settings(guild.guild_id, changes, actor_id=guild.user.id)
    return settings_of(config)


@router.post("/guilds/{guild_id}/sync", response_model=SyncOut, summary="Force a resync")
async def sync(guild: ManagedGuild, web: WebDep) -> SyncOut:
    """Drop every cached copy of the guild's config in every process (and cached channel/role lists)."""
    await web.discord.forget_guild(guild.guild_id)
    await web.services.config.resync(guild.guild_id, actor_id=guild.user.id)
    return SyncOut(ok=True, guild_id=str(guild.guild_id))


def _discord_failed(exc: DiscordError) -> HTTPException:
    headers = {"Retry-After": str(max(1, round(exc.retry_after)))} if exc.retry_after else None
    return HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"Discord lookup failed: {exc.message}", headers=headers)


@router.get("/guilds/{guild_id}/channels", response_model=list[ChannelOut], summary="The guild's channels")
async def channels(guild: ManagedGuild, web: WebDep) -> list[ChannelOut]:
    """Channel ids and names for pickers (Discord REST with the bot token, cached briefly)."""
    try:
        data = await web.discord.guild_channels(guild.guild_id)
    except DiscordError as exc:
        raise _discord_failed(exc) from None
    return sorted(
        (
            ChannelOut(
                id=str(c["id"]),
                name=c.get("name"),
                type=int(c.get("type", 0)),
                position=int(c.get("position", 0)),
                parent_id=str(c["parent_id"]) if c.get("parent_id") else None,
            )
            for c in data
        ),
        key=lambda c: (c.type, c.position, c.id),
    )


@router.get("/guilds/{guild_id}/roles", response_model=list[RoleOut], summary="The guild's roles")
async def roles(guild: ManagedGuild, web: WebDep) -> list[RoleOut]:
    """Role ids and names for pickers, highest first (Discord REST with the bot token, cached briefly)."""
    try:
        data = await web.discord.guild_roles(guild.guild_id)
    except DiscordError as exc:
        raise _discord_failed(exc) from None
    out = [
        RoleOut(
            id=str(r["id"]),
            name=str(r.get("name", "")),
            color=int(r.get("color", 0)),
            position=int(r.get("position", 0)),
            managed=bool(r.get("managed", False)),
        )
        for r in data
    ]
    return sorted(out, key=lambda r: -r.position)


@router.put("/guilds/{guild_id}/blacklist", response_model=GuildSettings, summary="Blacklist a guild (master admins)")
async def blacklist(body: BlacklistIn, guild: ManagedGuild, admin: MasterAdmin, web: WebDep) -> GuildSettings:
    """The bot ignores a blacklisted guild (master admins excepted). Audited."""
    config = await web.services.config.set_blacklisted(
        guild.guild_id, body.blacklisted, reason=body.reason, actor_id=admin.id
    )
    return settings_of(config)
