"""Application commands: registration bookkeeping and APPLICATION_COMMAND interactions built from them.

The sandbox plays the Discord client's part too: a user can only run a command the bot registered,
with options that match its declared types, choices and bounds, and that their permissions let them
see (``default_member_permissions``, ``contexts``). Anything else raises :class:`SandboxError`.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from wolaro.sandbox import payloads
from wolaro.sandbox import permissions as perm
from wolaro.sandbox.errors import SandboxError
from wolaro.sandbox.interaction_options import (
    CHANNEL,
    MENTIONABLE,
    ROLE,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
    OptionBuilder,
)
from wolaro.sandbox.snowflake import SnowflakeFactory
from wolaro.sandbox.state import DM, Channel, Guild, SandboxState

# Interaction types
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
# Component types
ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT, USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT = (
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
)
LABEL = 18
LINK_STYLE = 5
#: Discord's attachment size limit for a server without boosts (10 MiB).
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
#: Interaction tokens stay valid for follow-ups this long.
TOKEN_LIFETIME_S = 15 * 60


@dataclass(eq=False)
class InteractionRecord:
    """One interaction the sandbox created, and everything the bot answered to it."""

    id: int
    token: str
    payload: dict[str, Any]
    guild_id: int | None
    channel_id: int
    user_id: int
    name: str
    #: Interaction type: 2 application command, 3 message component, 4 autocomplete, 5 modal submit.
    kind: int = 2
    #: For component (and modal-from-component) interactions: the message the component is on.
    message: dict[str, Any] | None = None
    created_at: float = field(default_factory=time.monotonic)
    #: The interaction callback type the bot answered with (4 message, 5 deferred, 9 modal...), None until then.
    callback_type: int | None = None
    callback_data: dict[str, Any] | None = None
    #: The original response message (for types 4 and 5), as stored.
    original: dict[str, Any] | None = None
    followups: list[dict[str, Any]] = field(default_factory=list)
    ephemeral: bool = False
    #: For a deferred response: whether the "thinking" message has been replaced by the real answer.
    completed: bool = False

    @property
    def deferred(self) -> bool:
        """Whether the bot deferred (callback type 5)."""
        return self.callback_type == 5

    def answer(self) -> dict[str, Any] | None:
        """The bot's answer as :meth:`Sandbox.wait_for_interaction_response` returns it, or None if not yet."""
        if self.callback_type is None:
            return None
        if self.callback_type == 5 and not self.completed:
            return None
        message = self.original
        if self.callback_type == 5 and message is not None and message["flags"] & payloads.LOADING and self.followups:
            message = self.followups[0]
        data = self.callback_data or {}
        return {
            "type": self.callback_type,
            "deferred": self.deferred,
            "content": message["content"] if message else data.get("content"),
            "embeds": message["embeds"] if message else data.get("embeds", []),
            "components": message["components"] if message else data.get("components", []),
            "flags": message["flags"] if message else data.get("flags", 0),
            "ephemeral": self.ephemeral,
            "message": message,
            "followups": list(self.followups),
            "choices": data.get("choices") if self.callback_type == 8 else None,
            "data": data,
        }


def find_command(state: SandboxState, guild: Guild | None, name: str) -> dict[str, Any]:
    """The registered chat-input command called ``name``: the guild's own first, then global."""
    pools = ([guild.commands] if guild is not None else []) + [state.commands]
    for pool in pools:
        for cmd in pool.values():
            if cmd["name"] == name and cmd.get("type", 1) == 1:
                return cmd
    where = f"guild {guild.id}" if guild is not None else "DMs"
    raise SandboxError(f"slash command /{name} is not registered for {where} (did the bot sync its command tree?)")


def _descend(cmd: dict[str, Any], subcommand: str | None) -> tuple[list[str], list[dict[str, Any]]]:
    """Follow ``"group sub"``/``"sub"`` into the command's options; return (path, leaf option specs)."""
    specs: list[dict[str, Any]] = cmd.get("options") or []
    path: list[str] = []
    has_subs = any(o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in specs)
    if subcommand is None:
        if has_subs:
            names = [o["name"] for o in specs]
            raise SandboxError(f"/{cmd['name']} needs a subcommand, one of {names}")
        return path, specs
    for part in subcommand.split():
        match = next((o for o in specs if o["name"] == part and o.get("type") in (1, 2)), None)
        if match is None:
            raise SandboxError(f"/{cmd['name']} has no subcommand {subcommand!r}")
        path.append(part)
        specs = match.get("options") or []
    return path, specs


@dataclass(slots=True)
class _Context:
    """Where an interaction happens and who triggers it."""

    guild: Guild | None
    channel: Channel
    user_id: int
    member_perms: int
    bot_perms: int


def _context(state: SandboxState, guild_id: int | None, channel_id: int, user_id: int) -> _Context:
    guild = state.guild(guild_id) if guild_id is not None else None
    channel = state.channels.get(channel_id)
    if channel is None:
        raise SandboxError(f"unknown channel {channel_id}")
    if user_id not in state.users:
        raise SandboxError(f"unknown user {user_id}")
    if guild is None:
        if channel.type != DM or user_id not in channel.recipients:
            raise SandboxError(f"channel {channel_id} is not a DM channel of user {user_id}")
        return _Context(None, channel, user_id, 0, 0)
    if channel.guild_id != guild.id:
        raise SandboxError(f"channel {channel_id} is not in guild {guild.id}")
    member = guild.members.get(user_id)
    if member is None:
        raise SandboxError(f"user {user_id} is not a member of guild {guild.id}")
    return _Context(
        guild,
        channel,
        user_id,
        perm.channel_permissions(guild, channel, member),
        perm.channel_permissions(guild, channel, state.bot_member(guild)),
    )


def _record(
    state: SandboxState, ids: SnowflakeFactory, ctx: _Context, kind: int, data: dict[str, Any], name: str, locale: str
) -> InteractionRecord:
    """The interaction payload common to every interaction type, wrapped in a record."""
    interaction_id = ids.now()
    token = "sandbox-" + secrets.token_urlsafe(48)
    guild = ctx.guild
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(state.application_id),
        "type": kind,
        "data": data,
        "channel": payloads.interaction_channel(state, ctx.channel, ctx.member_perms),
        "channel_id": str(ctx.channel.id),
        "token": token,
        "version": 1,
        "locale": locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        "app_permissions": str(ctx.bot_perms),
    }
    if guild is not None:
        member_data = payloads.member(state, guild.members[ctx.user_id])
        member_data["permissions"] = str(ctx.member_perms)
        payload.update(
            {
                "guild_id": str(guild.id),
                "guild": {"id": str(guild.id), "locale": guild.preferred_locale, "features": list(guild.features)},
                "guild_locale": guild.preferred_locale,
                "member": member_data,
                "authorizing_integration_owners": {"0": str(guild.id)},
                "context": 0,
            }
        )
    else:
        payload.update(
            {
                "user": payloads.user(state.users[ctx.user_id]),
                "authorizing_integration_owners": {"0": str(ctx.user_id)},
                "context": 1,
            }
        )
    return InteractionRecord(
        id=interaction_id,
        token=token,
        payload=payload,
        guild_id=guild.id if guild is not None else None,
        channel_id=ctx.channel.id,
        user_id=ctx.user_id,
        name=name,
        kind=kind,
    )


def build_interaction(
    state: SandboxState,
    ids: SnowflakeFactory,
    base_url: str,
    *,
    guild_id: int | None,
    channel_id: int,
    user_id: int,
    name: str,
    options: dict[str, Any] | None,
    subcommand: str | None,
    locale: str = "en-US",
    focused: str | None = None,
) -> InteractionRecord:
    """Build the APPLICATION_COMMAND interaction a Discord client would send for ``/name``.

    With ``focused``, the APPLICATION_COMMAND_AUTOCOMPLETE interaction sent while typing that option.
    """
    ctx = _context(state, guild_id, channel_id, user_id)
    cmd = find_command(state, ctx.guild, name)
    contexts = cmd.get("contexts")
    if ctx.guild is not None:
        if contexts is not None and 0 not in contexts:
            raise SandboxError(f"/{name} is not available in servers (contexts={contexts})")
        required = cmd.get("default_member_permissions")
        if required is not None and ctx.member_perms & int(required) != int(required):
            raise SandboxError(f"user {user_id} cannot see /{name}: lacks default_member_permissions {required}")
    else:
        if (contexts is not None and 1 not in contexts) or (contexts is None and cmd.get("dm_permission") is False):
            raise SandboxError(f"/{name} is not available in DMs")
        if cmd.get("guild_id"):
            raise SandboxError(f"/{name} is a guild command")
    path, specs = _descend(cmd, subcommand)
    builder = OptionBuilder(state, ctx.guild, ids, base_url)
    leaf = builder.options(specs, options or {}, focused)
    opts: list[dict[str, Any]] = leaf
    for part in reversed(path):
        kind = SUB_COMMAND if opts is leaf else SUB_COMMAND_GROUP
        opts = [{"name": part, "type": kind, "options": opts}]
    data: dict[str, Any] = {"id": cmd["id"], "name": name, "type": 1}
    if opts:
        data["options"] = opts
    if builder.resolved:
        data["resolved"] = builder.resolved
    if cmd.get("guild_id"):
        data["guild_id"] = cmd["guild_id"]
    full_name = name if not path else f"{name} {' '.join(path)}"
    kind = APPLICATION_COMMAND if focused is None else AUTOCOMPLETE
    if focused is not None:
        data.pop("resolved", None)  # Discord sends no resolved data while typing
    return _record(state, ids, ctx, kind, data, full_name, locale)


def build_unregistered_interaction(
    state: SandboxState,
    ids: SnowflakeFactory,
    *,
    guild_id: int | None,
    channel_id: int,
    user_id: int,
    name: str,
    subcommand: str | None = None,
    locale: str = "en-US",
) -> InteractionRecord:
    """An APPLICATION_COMMAND interaction for ``/name [subcommand]`` that the bot does not (or no longer) have.

    What Discord sends when a user picks a command from a stale command list: the bot renamed or removed it,
    or has not synced yet. If ``/name`` is registered, its id is kept and ``subcommand`` (a name it lacks) is
    sent under it; otherwise the command itself is unknown.
    """
    ctx = _context(state, guild_id, channel_id, user_id)
    try:
        command_id = find_command(state, ctx.guild, name)["id"]
    except SandboxError:
        command_id = str(ids.now())
    data: dict[str, Any] = {"id": command_id, "name": name, "type": 1}
    if subcommand is not None:
        data["options"] = [{"name": subcommand, "type": SUB_COMMAND, "options": []}]
    full_name = name if subcommand is None else f"{name} {subcommand}"
    return _record(state, ids, ctx, APPLICATION_COMMAND, data, full_name, locale)


def without_fields(record: InteractionRecord, *fields: str) -> InteractionRecord:
    """A copy of ``record`` whose payload lacks ``fields``: a malformed event, as a buggy gateway might send."""
    payload = {key: value for key, value in record.payload.items() if key not in fields}
    missing = [name for name in fields if name not in record.payload]
    if missing:
        raise SandboxError(f"the interaction has no field {missing[0]!r} to leave out")
    return InteractionRecord(
        id=record.id,
        token=record.token,
        payload=payload,
        guild_id=record.guild_id,
        channel_id=record.channel_id,
        user_id=record.user_id,
        name=record.name,
        kind=record.kind,
        message=record.message,
    )


def _walk_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every component in a message or modal, nested rows, sections, containers and labels included."""
    out = []
    for comp in components:
        out.append(comp)
        children = list(comp.get("components") or [])
        for key in ("component", "accessory"):
            if isinstance(comp.get(key), dict):
                children.append(comp[key])
        out.extend(_walk_components(children))
    return out


def build_component_interaction(
    state: SandboxState,
    ids: SnowflakeFactory,
    *,
    message: dict[str, Any],
    user_id: int,
    custom_id: str,
    values: list[str] | None,
    locale: str = "en-US",
) -> InteractionRecord:
    """Build the MESSAGE_COMPONENT interaction of a user clicking a button / picking in a select menu."""
    channel = state.channels.get(int(message["channel_id"]))
    if channel is None:
        raise SandboxError(f"unknown channel {message['channel_id']}")
    ctx = _context(state, channel.guild_id, channel.id, user_id)
    if (
        message["flags"] & payloads.EPHEMERAL
        and int(message.get("interaction_metadata", {}).get("user", {}).get("id", 0)) != user_id
    ):
        raise SandboxError("only the user who got an ephemeral message can use its components")
    component = next((c for c in _walk_components(message["components"]) if c.get("custom_id") == custom_id), None)
    if component is None:
        raise SandboxError(f"message {message['id']} has no component with custom_id {custom_id!r}")
    if component.get("disabled"):
        raise SandboxError(f"component {custom_id!r} is disabled")
    ctype = int(component["type"])
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": ctype}
    if ctype == BUTTON:
        if values:
            raise SandboxError("buttons take no values")
        if component.get("style") == LINK_STYLE:
            raise SandboxError("link buttons open a URL, they send no interaction")
    else:
        chosen = list(values or [])
        low, high = int(component.get("min_values", 1)), int(component.get("max_values", 1))
        if not low <= len(chosen) <= high:
            raise SandboxError(f"select {custom_id!r} takes {low}..{high} values, got {len(chosen)}")
        if ctype == STRING_SELECT:
            allowed = {o["value"] for o in component.get("options") or []}
            if set(chosen) - allowed:
                raise SandboxError(f"select {custom_id!r}: {sorted(set(chosen) - allowed)} are not options")
        elif ctype in (USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT):
            builder = OptionBuilder(state, ctx.guild, ids, "")
            kind = {USER_SELECT: USER, ROLE_SELECT: ROLE, MENTIONABLE_SELECT: MENTIONABLE, CHANNEL_SELECT: CHANNEL}
            for value in chosen:
                builder.value({"name": custom_id, "type": kind[ctype]}, value)
            data["resolved"] = builder.resolved
            chosen = [str(v) for v in chosen]
        data["values"] = chosen
    record = _record(state, ids, ctx, MESSAGE_COMPONENT, data, f"component {custom_id}", locale)
    record.payload["message"] = payloads.rest_view(message)
    record.message = message
    return record


def build_modal_submit(
    state: SandboxState,
    ids: SnowflakeFactory,
    *,
    opener: InteractionRecord,
    values: dict[str, Any],
    locale: str = "en-US",
) -> InteractionRecord:
    """Build the MODAL_SUBMIT interaction for the modal the bot answered ``opener`` with."""
    if opener.callback_type != 9 or opener.callback_data is None:
        raise SandboxError(f"interaction {opener.id} was not answered with a modal")
    modal = opener.callback_data
    ctx = _context(state, opener.guild_id, opener.channel_id, opener.user_id)
    inputs = {c["custom_id"]: c for c in _walk_components(modal.get("components") or []) if c.get("custom_id")}
    unknown_ids = set(values) - set(inputs)
    if unknown_ids:
        raise SandboxError(f"the modal has no inputs {sorted(unknown_ids)}; it has {sorted(inputs)}")

    def submitted(comp: dict[str, Any]) -> dict[str, Any] | None:
        ctype = comp["type"]
        if ctype == ACTION_ROW:
            return {"type": ACTION_ROW, "components": [x for x in map(submitted, comp.get("components") or []) if x]}
        if ctype == LABEL:
            inner = submitted(comp["component"])
            return {"type": LABEL, "id": comp.get("id", 0), "component": inner} if inner else None
        custom_id = comp.get("custom_id")
        if custom_id is None:
            return {"type": ctype, "id": comp.get("id", 0)}
        if ctype == TEXT_INPUT:
            value = str(values.get(custom_id, comp.get("value") or ""))
            if comp.get("required", True) and not value:
                raise SandboxError(f"modal input {custom_id!r} is required")
            if len(value) > int(comp.get("max_length", 4000)) or len(value) < int(comp.get("min_length", 0)):
                raise SandboxError(f"modal input {custom_id!r}: length out of bounds")
            return {"type": TEXT_INPUT, "id": comp.get("id", 0), "custom_id": custom_id, "value": value}
        chosen = values.get(custom_id, [])
        return {
            "type": ctype,
            "id": comp.get("id", 0),
            "custom_id": custom_id,
            "values": [str(v) for v in (chosen if isinstance(chosen, list) else [chosen])],
        }

    components = [x for x in map(submitted, modal.get("components") or []) if x]
    data = {"custom_id": modal["custom_id"], "components": components}
    record = _record(state, ids, ctx, MODAL_SUBMIT, data, f"modal {modal.get('title', '')}".strip(), locale)
    record.message = opener.message if opener.kind == MESSAGE_COMPONENT else None
    if record.message is not None:
        record.payload["message"] = payloads.rest_view(record.message)
    return record


def register_commands(
    ids: SnowflakeFactory,
    application_id: int,
    pool: dict[int, dict[str, Any]],
    bodies: list[dict[str, Any]],
    *,
    guild_id: int | None,
    replace: bool,
) -> list[dict[str, Any]]:
    """Upsert command ``bodies`` into ``pool`` (``replace`` = bulk overwrite) and return the stored commands.

    A command keeps its id when re-registered with the same name and type, as on Discord.
    """
    by_key = {(c["name"], c.get("type", 1)): cid for cid, c in pool.items()}
    stored = []
    keep: set[int] = set()
    for body in bodies:
        if not isinstance(body, dict) or not body.get("name"):
            raise ValueError("command without a name")
        kind = int(body.get("type", 1))
        if kind == 1 and not body.get("description"):
            raise ValueError(f"command {body['name']}: chat input commands need a description")
        cid = by_key.get((body["name"], kind)) or ids.now()
        cmd = {
            "id": str(cid),
            "application_id": str(application_id),
            "version": str(ids.now()),
            "type": kind,
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description", ""),
            "description_localizations": body.get("description_localizations"),
            "options": body.get("options") or [],
            "default_member_permissions": body.get("default_member_permissions"),
            "dm_permission": body.get("dm_permission", True),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
            "nsfw": bool(body.get("nsfw", False)),
        }
        if cmd["default_member_permissions"] is not None:
            cmd["default_member_permissions"] = str(cmd["default_member_permissions"])
        if guild_id is not None:
            cmd["guild_id"] = str(guild_id)
            cmd.pop("dm_permission")
        pool[cid] = cmd
        keep.add(cid)
        stored.append(cmd)
    if replace:
        for cid in list(pool):
            if cid not in keep:
                del pool[cid]
    return stored
