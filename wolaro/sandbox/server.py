"""``Sandbox``: the emulator in one object: world state, gateway, REST, control API and the driving API."""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import inspect
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import EllipsisType, TracebackType
from typing import Any

from aiohttp import web

from wolaro.sandbox import audit, mutations, oauth, payloads
from wolaro.sandbox import permissions as perm
from wolaro.sandbox.control import add_control_routes
from wolaro.sandbox.errors import SandboxError
from wolaro.sandbox.gateway import Gateway
from wolaro.sandbox.interactions import (
    InteractionRecord,
    build_component_interaction,
    build_interaction,
    build_modal_submit,
)
from wolaro.sandbox.notify import Notifier
from wolaro.sandbox.rest import SANDBOX_KEY, add_rest_routes
from wolaro.sandbox.snowflake import SnowflakeFactory, iso, snowflake_time
from wolaro.sandbox.state import DM, TEXT, VOICE, Channel, Guild, SandboxState, User
from wolaro.sandbox.world import build_world

log = logging.getLogger(__name__)

Observer = Callable[[dict[str, Any]], Any]


@dataclass(slots=True)
class RestCall:
    """One REST request the bot made, as the sandbox saw and answered it."""

    method: str
    #: Path below the API base, e.g. ``/channels/123/messages``.
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    files: list[tuple[str, int]] = field(default_factory=list)
    status: int = 0
    response: Any = None
    time: float = field(default_factory=time.monotonic)

    @property
    def reason(self) -> str | None:
        """The decoded ``X-Audit-Log-Reason`` header, if any."""
        from urllib.parse import unquote

        raw = self.headers.get("X-Audit-Log-Reason")
        return unquote(raw) if raw is not None else None


@dataclass(slots=True)
class BotOutput:
    """Something the bot said: a channel message, interaction response, deferred answer or follow-up."""

    kind: str
    channel_id: int
    message: dict[str, Any]
    ephemeral: bool = False
    interaction_id: int | None = None
    time: float = field(default_factory=time.monotonic)


class Sandbox:
    """A local Discord: gateway + REST + a deterministic world, driven from tests or the CLI.

    ``wait_for_message`` and ``wait_for_request`` look at what the bot did since the current asyncio
    task's most recent driving call (``send_message``, ``invoke_slash``, ``member_join``...), skipping what
    an earlier wait already returned: a reply that arrives before the test starts waiting is not missed,
    and concurrent tasks (each sending a command and awaiting its answer) do not move each other's mark.
    A task that has driven nothing sees everything since the start.
    """

    def __init__(
        self,
        *,
        guilds: int = 3,
        members_per_guild: int = 10,
        text_channels_per_guild: int = 3,
        shards: int = 1,
        token: str = "sandbox-token",
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        heartbeat_interval_ms: int = 41250,
    ) -> None:
        self.shards = shards
        self.token = token
        self.host = host
        self.port = port
        self.ids = SnowflakeFactory(seed)
        self.state: SandboxState = build_world(
            self.ids,
            guilds=guilds,
            members_per_guild=members_per_guild,
            text_channels_per_guild=text_channels_per_guild,
            seed=seed,
        )
        self.application_id: int = self.state.application_id
        self.bot_user: dict[str, Any] = payloads.bot_user(self.state.users[self.state.bot_user_id])
        self.url = ""
        self.api_base = ""
        self.gateway = Gateway(
            self.state, token=token, heartbeat_interval_ms=heartbeat_interval_ms, gateway_url=self.gateway_url
        )
        self.rest_log: list[RestCall] = []
        self.outputs: list[BotOutput] = []
        self.interactions: dict[int, InteractionRecord] = {}
        self.interactions_by_token: dict[str, InteractionRecord] = {}
        #: Seconds the bot has to send the initial interaction response (Discord: 3).
        self.interaction_timeout = 3.0
        #: Timing of the last ``blast_messages`` (perf_counter seconds): prepared, first frame, all written.
        self.last_blast: dict[str, float] = {}
        self._observers: list[Observer] = []
        self._rest_changed = Notifier()
        self._output_changed = Notifier()
        self._interaction_changed = Notifier()
        #: (rest_log index, outputs index) at this task's latest driving call (see the class docstring).
        self._marks: contextvars.ContextVar[tuple[int, int]] = contextvars.ContextVar(
            f"sandbox-marks-{id(self)}", default=(0, 0)
        )
        self._consumed_rest: set[int] = set()
        self._consumed_outputs: set[int] = set()
        self._slowmode: dict[tuple[int, int], float] = {}
        self._runner: web.AppRunner | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.app[SANDBOX_KEY] = self
        self.app.router.add_get("/gateway", self.gateway.handle)
        oauth.register(self.app, self)  # before the REST routes: its Bearer-aware /users/@me routes win
        add_rest_routes(self.app)
        add_control_routes(self.app)

    # ---- lifecycle ----------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start serving on ``host:port`` (port 0 picks a free one); sets ``url`` and ``api_base``."""
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        self.url = f"http://{self.host}:{self.port}"
        self.api_base = f"{self.url}/api/v10"
        log.info("sandbox listening on %s", self.url)

    async def stop(self) -> None:
        """Refuse new gateway sockets, close every open one and stop the server."""
        self.gateway.accepting = False
        await self.gateway.close_all()
        for task in list(self._background):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def gateway_url(self) -> str:
        """The gateway WebSocket URL (also sent as ``resume_gateway_url`` and by ``/gateway/bot``)."""
        return f"ws://{self.host}:{self.port}/gateway"

    # ---- the world ----------------------------------------------------------------------------------
    def guild_ids(self) -> list[int]:
        """Ids of every guild, in creation order."""
        return list(self.state.guilds)

    def text_channel_ids(self, guild_id: int) -> list[int]:
        """Ids of the guild's text channels."""
        guild = self.state.guild(guild_id)
        return [c for c in guild.channel_ids if self.state.channels[c].type == TEXT]

    def voice_channel_ids(self, guild_id: int) -> list[int]:
        """Ids of the guild's voice channels."""
        guild = self.state.guild(guild_id)
        return [c for c in guild.channel_ids if self.state.channels[c].type == VOICE]

    def member_ids(self, guild_id: int) -> list[int]:
        """Ids of the guild's human members (the bot excluded), owner first."""
        guild = self.state.guild(guild_id)
        return [u for u in guild.members if u != self.state.bot_user_id]

    def owner_id(self, guild_id: int) -> int:
        """The guild owner's user id (member 0, who also has Admin)."""
        return self.state.guild(guild_id).owner_id

    def role_id(self, guild_id: int, name: str) -> int:
        """Id of the role called ``name`` (``@everyone``, ``Member``, ``Moderator``, ``Wolaro``, ``Admin``)."""
        return self.state.guild(guild_id).role_named(name).id

    def add_observer(self, callback: Observer) -> None:
        """Call ``callback(event_dict)`` for every user message, interaction, bot output and member event."""
        self._observers.append(callback)

    def _observe(self, event: dict[str, Any]) -> None:
        for callback in self._observers:
            try:
                result = callback(event)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    self._background.add(task)
                    task.add_done_callback(self._background.discard)
            except Exception:
                log.exception("sandbox observer failed")

    def _where(self, channel_id: int) -> dict[str, Any]:
        channel = self.state.channels.get(channel_id)
        guild = self.state.guilds.get(channel.guild_id) if channel and channel.guild_id else None
        return {
            "guild_id": guild.id if guild else None,
            "guild": guild.name if guild else "DM",
            "channel_id": channel_id,
            "channel": (channel.name if channel and channel.type != DM else "dm") if channel else "?",
        }

    def display_name(self, guild_id: int | None, user_id: int) -> str:
        """The name Discord shows for ``user_id`` in ``guild_id``: nickname, else global name, else username."""
        user = self.state.users.get(user_id)
        if user is None:
            return str(user_id)
        guild = self.state.guilds.get(guild_id) if guild_id else None
        member = guild.members.get(user_id) if guild else None
        return (member.nick if member and member.nick else None) or user.display_name

    def _action(self) -> None:
        """Mark the start of a driving action (see the class docstring)."""
        self._marks.set((len(self.rest_log), len(self.outputs)))

    # ---- called by REST handlers --------------------------------------------------------------------
    def record_rest(self, call: RestCall) -> None:
        """Log a REST call and wake ``wait_for_request``."""
        self.rest_log.append(call)
        self._rest_changed.notify()

    def record_output(
        self,
        kind: str,
        channel_id: int,
        message: dict[str, Any],
        *,
        ephemeral: bool = False,
        interaction: InteractionRecord | None = None,
    ) -> None:
        """Log something the bot said, wake ``wait_for_message`` and tell observers."""
        self.outputs.append(
            BotOutput(kind, channel_id, message, ephemeral, interaction.id if interaction is not None else None)
        )
        self._output_changed.notify()
        if interaction is not None:
            self._interaction_changed.notify()
        if self._observers:
            self._observe(
                {
                    "kind": "bot_" + kind,
                    **self._where(channel_id),
                    "user_id": self.state.bot_user_id,
                    "user": self.state.users[self.state.bot_user_id].username,
                    "content": message.get("content", ""),
                    "embeds": message.get("embeds", []),
                    "components": message.get("components", []),
                    "ephemeral": ephemeral,
                    "interaction": interaction.name if interaction is not None else None,
                }
            )

    def observe_edit(
        self, channel_id: int, message: dict[str, Any], *, interaction: InteractionRecord | None = None
    ) -> None:
        """Tell observers the bot edited ``message`` (and wake interaction waiters)."""
        if interaction is not None:
            self._interaction_changed.notify()
        if self._observers:
            self._observe(
                {
                    "kind": "bot_edit",
                    **self._where(channel_id),
                    "user_id": self.state.bot_user_id,
                    "user": self.state.users[self.state.bot_user_id].username,
                    "content": message.get("content", ""),
                    "embeds": message.get("embeds", []),
                    "components": message.get("components", []),
                    "ephemeral": bool(message.get("flags", 0) & payloads.EPHEMERAL),
                    "interaction": interaction.name if interaction is not None else None,
                }
            )

    def interaction_answered(self) -> None:
        """Wake ``wait_for_interaction_response`` (a callback or edit arrived)."""
        self._interaction_changed.notify()

    # ---- driving: users do things -------------------------------------------------------------------
    async def wait_until_ready(self, timeout: float = 10) -> None:  # noqa: ASYNC109 - the public API takes a timeout
        """Wait until every guild has been sent (GUILD_CREATE) to an identified session."""
        await self.gateway.changed.wait_for(lambda: True if self.gateway.is_ready() else None, timeout, "READY")

    async def send_message(
        self,
        channel_id: int,
        author_id: int,
        content: str,
        *,
        attachments: int = 0,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """User ``author_id`` posts ``content`` (with ``attachments`` synthetic images) in ``channel_id``.

        Enforces what the Discord client would: membership, SEND_MESSAGES, timeouts and slowmode
        (raising :class:`SandboxError`). Returns the stored message.
        """
        self._action()
        channel = self.state.channels.get(channel_id)
        if channel is None:
            raise SandboxError(f"unknown channel {channel_id}")
        if author_id not in self.state.users:
            raise SandboxError(f"unknown user {author_id}")
        if channel.type == DM:
            if author_id not in channel.recipients:
                raise SandboxError(f"user {author_id} is not in DM channel {channel_id}")
        else:
            guild = self.state.guild(channel.guild_id or 0)
            member = guild.members.get(author_id)
            if member is None:
                raise SandboxError(f"user {author_id} is not a member of guild {guild.id}")
            perms = perm.channel_permissions(guild, channel, member)
            if member.is_timed_out():
                raise SandboxError(f"user {author_id} is timed out")
            if not perms & perm.SEND_MESSAGES:
                raise SandboxError(f"user {author_id} may not send messages in #{channel.name}")
            if channel.rate_limit_per_user and not perms & (perm.MANAGE_MESSAGES | perm.MANAGE_CHANNELS):
                last = self._slowmode.get((channel_id, author_id))
                now = time.monotonic()
                if last is not None and now - last < channel.rate_limit_per_user:
                    raise SandboxError(f"slowmode: user {author_id} must wait in #{channel.name}")
                self._slowmode[(channel_id, author_id)] = now
        files = []
        for n in range(attachments):
            att_id = self.ids.now()
            self.state.attachments[att_id] = _PNG
            files.append(payloads.attachment(att_id, channel_id, f"image{n}.png", len(_PNG), self.url))
        reference = self.state.message(channel_id, reply_to) if reply_to is not None else None
        message = await mutations.post_message(
            self,
            channel,
            author_id,
            content,
            attachments=files,
            reference=reference,
            msg_type=payloads.REPLY if reference is not None else payloads.DEFAULT,
        )
        if self._observers:
            self._observe(
                {
                    "kind": "message",
                    **self._where(channel_id),
                    "user_id": author_id,
                    "user": self.display_name(channel.guild_id, author_id),
                    "content": content,
                    "attachments": attachments,
                }
            )
        return message

    async def open_dm(self, user_id: int) -> int:
        """The DM channel between ``user_id`` and the bot (created on first use); returns its id."""
        existing = self.state.dm_channels.get(user_id)
        if existing is not None:
            return existing
        if user_id not in self.state.users:
            raise SandboxError(f"unknown user {user_id}")
        channel = Channel(id=self.ids.now(), type=DM, name=None, recipients=[user_id])
        self.state.channels[channel.id] = channel
        self.state.dm_channels[user_id] = channel.id
        return channel.id

    async def invoke_slash(
        self,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        subcommand: str | None = None,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """User ``user_id`` runs ``/name [subcommand] options...`` (``guild_id`` None = in their DM channel).

        Option values: plain values for strings/numbers/booleans, ids for users/roles/channels/mentionables,
        a filename or ``(filename, bytes)`` for attachments. Raises :class:`SandboxError` if the command is
        not registered, the options do not fit it, or the user cannot see it.
        """
        self._action()
        record = build_interaction(
            self.state,
            self.ids,
            self.url,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            name=name,
            options=options,
            subcommand=subcommand,
            locale=locale,
        )
        shown = " ".join(f"{k}:{v}" for k, v in (options or {}).items())
        return await self._dispatch_interaction(record, f"/{record.name} {shown}".rstrip())

    async def invoke_autocomplete(
        self,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        name: str,
        focused: str,
        typed: str = "",
        options: dict[str, Any] | None = None,
        *,
        subcommand: str | None = None,
        locale: str = "en-US",
    ) -> list[dict[str, Any]]:
        """The user types ``typed`` into option ``focused`` of ``/name``; returns the choices the bot offers."""
        self._action()
        record = build_interaction(
            self.state,
            self.ids,
            self.url,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            name=name,
            options={**(options or {}), focused: typed},
            subcommand=subcommand,
            locale=locale,
            focused=focused,
        )
        self.interactions[record.id] = record
        self.interactions_by_token[record.token] = record
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload, guild_id=guild_id)
        answer = await self.wait_for_interaction_response(record)
        return list(answer["choices"] or [])

    def find_message(self, channel_id: int, message_id: int) -> dict[str, Any]:
        """A message by id: channel history, or an ephemeral answer the bot gave."""
        stored = self.state.history(channel_id).get(message_id)
        if stored is not None:
            return stored
        for out in self.outputs:
            if out.channel_id == channel_id and int(out.message["id"]) == message_id:
                return out.message
        raise SandboxError(f"unknown message {message_id} in channel {channel_id}")

    async def invoke_component(
        self,
        channel_id: int,
        message_id: int,
        user_id: int,
        custom_id: str,
        *,
        values: list[Any] | None = None,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """User ``user_id`` clicks the button (or picks ``values`` in the select menu) ``custom_id``.

        Raises :class:`SandboxError` for an unknown/disabled component, a link button, wrong select
        values, or someone else's ephemeral message.
        """
        self._action()
        message = self.find_message(channel_id, message_id)
        picked = [str(v) for v in values] if values is not None else None
        record = build_component_interaction(
            self.state, self.ids, message=message, user_id=user_id, custom_id=custom_id, values=picked, locale=locale
        )
        shown = f"[picks {', '.join(picked)} in {custom_id}]" if picked else f"[clicks {custom_id}]"
        return await self._dispatch_interaction(record, shown)

    async def submit_modal(
        self, record_or_id: InteractionRecord | int, values: dict[str, Any], *, locale: str = "en-US"
    ) -> InteractionRecord:
        """The user fills in and submits the modal the bot answered an interaction with.

        ``values`` maps input custom_ids to text (or lists of values for selects in the modal).
        """
        self._action()
        opener_id = record_or_id if isinstance(record_or_id, int) else record_or_id.id
        opener = self.interactions.get(opener_id)
        if opener is None:
            raise SandboxError(f"unknown interaction {opener_id}")
        record = build_modal_submit(self.state, self.ids, opener=opener, values=values, locale=locale)
        shown = "[submits " + ", ".join(f"{k}={v!r}" for k, v in values.items()) + "]"
        return await self._dispatch_interaction(record, shown)

    async def _dispatch_interaction(self, record: InteractionRecord, shown: str) -> InteractionRecord:
        self.interactions[record.id] = record
        self.interactions_by_token[record.token] = record
        if self._observers:
            self._observe(
                {
                    "kind": "interaction",
                    **self._where(record.channel_id),
                    "user_id": record.user_id,
                    "user": self.display_name(record.guild_id, record.user_id),
                    "content": shown,
                    "interaction": record.name,
                }
            )
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload, guild_id=record.guild_id)
        return record

    async def member_join(
        self,
        guild_id: int,
        *,
        username: str | None = None,
        created_at: dt.datetime | None = None,
        bot: bool = False,
        user_id: int | None = None,
    ) -> dict[str, Any]:
        """A new user (account created ``created_at``, default now) joins; or existing ``user_id`` rejoins.

        Returns the GUILD_MEMBER_ADD payload.
        """
        self._action()
        guild = self.state.guild(guild_id)
        if user_id is None:
            uid = self.ids.at(created_at) if created_at is not None else self.ids.now()
            name = username or f"newcomer{uid % 100000}"
            self.state.users[uid] = User(id=uid, username=name, global_name=None if bot else name.capitalize(), bot=bot)
        else:
            uid = user_id
            if uid not in self.state.users:
                raise SandboxError(f"unknown user {uid}")
        if uid in guild.bans:
            raise SandboxError(f"user {uid} is banned from guild {guild_id}")
        if uid in guild.members:
            raise SandboxError(f"user {uid} is already a member of guild {guild_id}")
        data = await mutations.member_added(self, guild, mutations.new_member(guild, uid))
        if self._observers:
            self._observe(
                {
                    "kind": "member_join",
                    "guild_id": guild_id,
                    "guild": guild.name,
                    "channel_id": None,
                    "channel": None,
                    "user_id": uid,
                    "user": self.display_name(guild_id, uid),
                    "content": "joined",
                }
            )
        return data

    async def member_update(
        self,
        guild_id: int,
        user_id: int,
        *,
        roles: list[int] | None = None,
        nick: str | EllipsisType | None = ...,
    ) -> dict[str, Any]:
        """Change a member's roles and/or nickname (as a server admin would); returns GUILD_MEMBER_UPDATE."""
        self._action()
        guild = self.state.guild(guild_id)
        member = guild.members.get(user_id)
        if member is None:
            raise SandboxError(f"user {user_id} is not a member of guild {guild_id}")
        if roles is not None:
            unknown_roles = [r for r in roles if r not in guild.roles or r == guild.id]
            if unknown_roles:
                raise SandboxError(f"unknown roles {unknown_roles}")
            member.roles = list(dict.fromkeys(roles))
        if not isinstance(nick, EllipsisType):
            member.nick = nick
        return await mutations.member_changed(self, guild, member)

    async def member_remove(self, guild_id: int, user_id: int) -> None:
        """The member leaves the guild (GUILD_MEMBER_REMOVE)."""
        self._action()
        guild = self.state.guild(guild_id)
        if user_id not in guild.members:
            raise SandboxError(f"user {user_id} is not a member of guild {guild_id}")
        name = self.display_name(guild_id, user_id)
        await mutations.member_removed(self, guild, user_id)
        if self._observers:
            self._observe(
                {
                    "kind": "member_leave",
                    "guild_id": guild_id,
                    "guild": guild.name,
                    "channel_id": None,
                    "channel": None,
                    "user_id": user_id,
                    "user": name,
                    "content": "left",
                }
            )

    def _moderator(self, guild_id: int, moderator_id: int, bits: int, target_id: int | None) -> Guild:
        """Check that a human moderator could do this in the Discord client (permission and hierarchy)."""
        guild = self.state.guild(guild_id)
        mod = guild.members.get(moderator_id)
        if mod is None:
            raise SandboxError(f"user {moderator_id} is not a member of guild {guild_id}")
        if perm.base_permissions(guild, mod) & bits != bits:
            raise SandboxError(f"user {moderator_id} lacks the permission for this")
        target = guild.members.get(target_id) if target_id is not None else None
        if target is not None and not perm.outranks(guild, mod, target):
            raise SandboxError(f"user {moderator_id} does not outrank {target_id}")
        return guild

    async def user_kick(self, guild_id: int, moderator_id: int, user_id: int, reason: str | None = None) -> None:
        """A human moderator kicks a member from the Discord client (audit log entry by them)."""
        self._action()
        guild = self._moderator(guild_id, moderator_id, perm.KICK_MEMBERS, user_id)
        if user_id not in guild.members:
            raise SandboxError(f"user {user_id} is not a member of guild {guild_id}")
        await audit.record(self, guild, moderator_id, audit.MEMBER_KICK, user_id, reason)
        await mutations.member_removed(self, guild, user_id)

    async def user_ban(
        self,
        guild_id: int,
        moderator_id: int,
        user_id: int,
        reason: str | None = None,
        *,
        delete_message_seconds: int = 0,
    ) -> None:
        """A human moderator bans a user from the Discord client."""
        self._action()
        guild = self._moderator(guild_id, moderator_id, perm.BAN_MEMBERS, user_id)
        if user_id not in self.state.users or user_id == guild.owner_id:
            raise SandboxError(f"cannot ban {user_id}")
        await audit.record(self, guild, moderator_id, audit.MEMBER_BAN_ADD, user_id, reason)
        await mutations.banned(self, guild, user_id, reason, delete_message_seconds)

    async def user_unban(self, guild_id: int, moderator_id: int, user_id: int, reason: str | None = None) -> None:
        """A human moderator lifts a ban from the Discord client."""
        self._action()
        guild = self._moderator(guild_id, moderator_id, perm.BAN_MEMBERS, None)
        if user_id not in guild.bans:
            raise SandboxError(f"user {user_id} is not banned from guild {guild_id}")
        await audit.record(self, guild, moderator_id, audit.MEMBER_BAN_REMOVE, user_id, reason)
        await mutations.unbanned(self, guild, user_id)

    async def user_timeout(
        self, guild_id: int, moderator_id: int, user_id: int, until: dt.datetime | None, reason: str | None = None
    ) -> dict[str, Any]:
        """A human moderator times a member out until ``until`` (None lifts it); returns GUILD_MEMBER_UPDATE."""
        self._action()
        guild = self._moderator(guild_id, moderator_id, perm.MODERATE_MEMBERS, user_id)
        member = guild.members.get(user_id)
        if member is None or perm.base_permissions(guild, member) & perm.ADMINISTRATOR:
            raise SandboxError(f"cannot time out {user_id}")
        old = member.communication_disabled_until
        member.communication_disabled_until = iso(until) if until is not None else None
        await audit.record(
            self,
            guild,
            moderator_id,
            audit.MEMBER_UPDATE,
            user_id,
            reason,
            changes=[audit.change("communication_disabled_until", old, member.communication_disabled_until)],
        )
        return await mutations.member_changed(self, guild, member)

    async def voice_state(self, guild_id: int, user_id: int, channel_id: int | None) -> None:
        """The member joins/moves to voice channel ``channel_id``, or leaves voice (None)."""
        self._action()
        guild = self.state.guild(guild_id)
        if user_id not in guild.members:
            raise SandboxError(f"user {user_id} is not a member of guild {guild_id}")
        if channel_id is not None and channel_id not in self.voice_channel_ids(guild_id):
            raise SandboxError(f"{channel_id} is not a voice channel of guild {guild_id}")
        await mutations.voice_moved(self, guild, user_id, channel_id)

    async def add_reaction(self, channel_id: int, message_id: int, user_id: int, emoji: str) -> None:
        """User ``user_id`` reacts to a message with a unicode ``emoji`` (MESSAGE_REACTION_ADD)."""
        self._action()
        channel = self.state.channel(channel_id)
        message = self.state.message(channel_id, message_id)
        await mutations.reaction_added(self, channel, message, user_id, {"id": None, "name": emoji})

    async def blast_messages(
        self, channel_ids: list[int], author_ids: list[int], count: int, content: str = "hello"
    ) -> None:
        """Throughput path: pre-serialise (and pre-compress) ``count`` MESSAGE_CREATE, write them back to back.

        Messages go round-robin over ``channel_ids``; authors rotate over ``author_ids`` (those not in a
        channel's guild are skipped for it). They are not kept in channel history. ``last_blast`` records
        ``prepared``, ``first_frame`` and ``written`` (time.perf_counter()).
        """
        self._action()
        if not channel_ids or not author_ids:
            raise SandboxError("blast_messages needs channels and authors")
        per_channel: list[tuple[str, str, int, list[tuple[dict[str, Any], dict[str, Any]]]]] = []
        for cid in channel_ids:
            channel = self.state.channel(cid)
            guild = self.state.guild(channel.guild_id or 0)
            authors = [
                (payloads.user(self.state.users[a]), payloads.member(self.state, guild.members[a], with_user=False))
                for a in author_ids
                if a in guild.members
            ]
            if not authors:
                raise SandboxError(f"no author of {author_ids} is in the guild of channel {cid}")
            per_channel.append((str(cid), str(guild.id), guild.id, authors))

        def items() -> Any:
            n_channels = len(per_channel)
            new_id = self.ids.now
            for i in range(count):
                cid_s, gid_s, gid, authors = per_channel[i % n_channels]
                author, member = authors[(i // n_channels) % len(authors)]
                mid = new_id()
                yield (
                    gid,
                    {
                        "id": str(mid),
                        "type": 0,
                        "channel_id": cid_s,
                        "guild_id": gid_s,
                        "author": author,
                        "member": member,
                        "content": content,
                        "timestamp": iso(snowflake_time(mid)),
                        "edited_timestamp": None,
                        "tts": False,
                        "mention_everyone": False,
                        "mentions": [],
                        "mention_roles": [],
                        "attachments": [],
                        "embeds": [],
                        "components": [],
                        "pinned": False,
                        "flags": 0,
                    },
                    True,
                )

        plans = self.gateway.reserve_prepared(self.gateway.prepare_frames("MESSAGE_CREATE", items()))
        prepared = time.perf_counter()
        self.last_blast = {"prepared": prepared, "first_frame": prepared, "frames": float(count)}
        await self.gateway.send_reserved(plans)
        self.last_blast["written"] = time.perf_counter()

    async def drop_connection(self, shard_id: int = 0, *, resumable: bool = True) -> None:
        """Cut shard ``shard_id``'s socket: resumable (the client RESUMEs and gets missed events) or not."""
        self._action()
        await self.gateway.drop(shard_id, resumable=resumable)

    # ---- observing the bot --------------------------------------------------------------------------
    async def wait_for_message(
        self,
        channel_id: int | None = None,
        *,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the public API takes a timeout
    ) -> dict[str, Any]:
        """The next message the bot posts (channel message, interaction response, follow-up) that matches."""

        def check() -> dict[str, Any] | None:
            for index in range(self._marks.get()[1], len(self.outputs)):
                if index in self._consumed_outputs:
                    continue
                out = self.outputs[index]
                if channel_id is not None and out.channel_id != channel_id:
                    continue
                if predicate is not None and not predicate(out.message):
                    continue
                self._consumed_outputs.add(index)
                return out.message
            return None

        return await self._output_changed.wait_for(check, timeout, f"a bot message in {channel_id or 'any channel'}")

    async def wait_for_interaction_response(
        self,
        record_or_id: InteractionRecord | int,
        timeout: float = 5.0,  # noqa: ASYNC109 - the public API takes a timeout
    ) -> dict[str, Any]:
        """The bot's answer to an interaction, once final (a deferral waits for its edit or follow-up).

        Returns ``{"type", "deferred", "content", "embeds", "components", "flags", "ephemeral", "message",
        "followups", "data"}`` (``data`` is the raw callback data, e.g. a modal).
        """
        interaction_id = record_or_id if isinstance(record_or_id, int) else record_or_id.id
        record = self.interactions.get(interaction_id)
        if record is None:
            raise SandboxError(f"unknown interaction {interaction_id}")
        return await self._interaction_changed.wait_for(record.answer, timeout, f"a response to /{record.name}")

    async def wait_for_request(self, method: str, path_regex: str, timeout: float = 5.0) -> RestCall:  # noqa: ASYNC109 - the public API takes a timeout
        """The next REST call with ``method`` whose path (below the API base) matches ``path_regex`` (re.search)."""
        pattern = re.compile(path_regex)
        method = method.upper()

        def check() -> RestCall | None:
            for index in range(self._marks.get()[0], len(self.rest_log)):
                if index in self._consumed_rest:
                    continue
                call = self.rest_log[index]
                if call.method == method and pattern.search(call.path):
                    self._consumed_rest.add(index)
                    return call
            return None

        return await self._rest_changed.wait_for(check, timeout, f"{method} {path_regex}")

    def bot_messages(self, channel_id: int) -> list[dict[str, Any]]:
        """Everything the bot posted in ``channel_id`` (ephemeral answers included), oldest first."""
        seen: set[int] = set()
        out = []
        for o in self.outputs:
            if o.channel_id == channel_id and id(o.message) not in seen:
                seen.add(id(o.message))
                out.append(o.message)
        return out


#: A 1x1 transparent PNG: synthetic attachments and the CDN's avatar answer.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
