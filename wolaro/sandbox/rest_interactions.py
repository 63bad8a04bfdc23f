"""REST routes of application commands, interaction callbacks and interaction webhooks (follow-ups)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from wolaro.sandbox import interactions, mutations, payloads
from wolaro.sandbox.errors import DiscordHTTPError, unknown
from wolaro.sandbox.interactions import InteractionRecord, register_commands
from wolaro.sandbox.rest import Call, Handler
from wolaro.sandbox.rest_messages import apply_edit, message_fields

if TYPE_CHECKING:
    from wolaro.sandbox.server import Sandbox

CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, AUTOCOMPLETE, MODAL = 4, 5, 6, 7, 8, 9
#: Callback types Discord accepts per interaction type (command, component, modal submit).
ALLOWED_CALLBACKS = {
    interactions.APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_MESSAGE, MODAL},
    interactions.MESSAGE_COMPONENT: {CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL},
    interactions.MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
    interactions.AUTOCOMPLETE: {AUTOCOMPLETE},
}


# ---- commands ---------------------------------------------------------------------------------------
def _pool(call: Call) -> tuple[dict[int, dict[str, Any]], int | None]:
    if call.snowflake("application_id", "Application") != call.sb.application_id:
        raise DiscordHTTPError(403, 20012, "You are not authorized to perform this action on this application")
    if "guild_id" in call.params:
        guild = call.guild()
        return guild.commands, guild.id
    return call.sb.state.commands, None


async def list_commands(call: Call) -> Any:
    """``GET /applications/{app}/commands`` and ``.../guilds/{g}/commands``."""
    pool, _ = _pool(call)
    return list(pool.values())


async def overwrite_commands(call: Call) -> Any:
    """``PUT`` (bulk overwrite) of global or guild commands: what ``tree.sync()`` calls."""
    pool, guild_id = _pool(call)
    bodies = call.body if isinstance(call.body, list) else []
    if len(bodies) > 100:
        raise DiscordHTTPError(400, 30032, "Maximum number of application commands reached (100)")
    return register_commands(call.sb.ids, call.sb.application_id, pool, bodies, guild_id=guild_id, replace=True)


async def create_command(call: Call) -> Any:
    """``POST`` one command (upsert by name)."""
    pool, guild_id = _pool(call)
    return register_commands(
        call.sb.ids, call.sb.application_id, pool, [call.json()], guild_id=guild_id, replace=False
    )[0]


def _command(call: Call) -> tuple[dict[int, dict[str, Any]], int]:
    pool, _ = _pool(call)
    cid = call.snowflake("command_id", "application command")
    if cid not in pool:
        raise unknown("application command")
    return pool, cid


async def get_command(call: Call) -> Any:
    """``GET`` one command."""
    pool, cid = _command(call)
    return pool[cid]


async def patch_command(call: Call) -> Any:
    """``PATCH`` one command."""
    pool, cid = _command(call)
    merged = {**pool[cid], **call.json()}
    guild_id = int(merged["guild_id"]) if merged.get("guild_id") else None
    return register_commands(call.sb.ids, call.sb.application_id, pool, [merged], guild_id=guild_id, replace=False)[0]


async def delete_command(call: Call) -> Any:
    """``DELETE`` one command."""
    pool, cid = _command(call)
    del pool[cid]
    return None


# ---- interaction callback ---------------------------------------------------------------------------
def _record(sb: Sandbox, interaction_id: int, token: str) -> InteractionRecord:
    record = sb.interactions.get(interaction_id)
    if record is None or record.token != token:
        raise unknown("Interaction")
    return record


async def _interaction_message(
    sb: Sandbox, record: InteractionRecord, call: Call, *, flags_extra: int = 0, allow_empty: bool = False
) -> dict[str, Any]:
    """Create the message of an interaction response or follow-up (stored and dispatched unless ephemeral)."""
    channel = sb.state.channel(record.channel_id)
    if allow_empty:
        fields: dict[str, Any] = {"content": "", "flags": int(call.json().get("flags") or 0)}
    else:
        fields = message_fields(call, channel, allow_ephemeral=True)
    fields["flags"] |= flags_extra
    ephemeral = bool(fields["flags"] & payloads.EPHEMERAL)
    return await mutations.post_message(
        sb,
        channel,
        sb.state.bot_user_id,
        store=not ephemeral,
        dispatch=not ephemeral,
        msg_type=payloads.CHAT_INPUT_COMMAND,
        webhook_id=sb.application_id,
        interaction={
            "id": str(record.id),
            "type": 2,
            "name": record.name,
            "user": record.payload["member"]["user"] if "member" in record.payload else record.payload["user"],
            "authorizing_integration_owners": record.payload["authorizing_integration_owners"],
        },
        **fields,
    )


async def interaction_callback(call: Call) -> Any:
    """``POST /interactions/{id}/{token}/callback[?with_response=1]``: the bot's initial response."""
    sb = call.sb
    record = _record(sb, call.snowflake("interaction_id", "Interaction"), call.params["token"])
    if record.callback_type is not None:
        raise DiscordHTTPError(400, 40060, "Interaction has already been acknowledged.")
    if time.monotonic() - record.created_at > sb.interaction_timeout:
        raise unknown("Interaction")  # Discord: the 3-second window is over
    body = call.json()
    kind = int(body["type"])
    data = body.get("data") or {}
    call.body = data
    if kind not in ALLOWED_CALLBACKS.get(record.kind, set()) or (
        kind in (DEFERRED_UPDATE, UPDATE_MESSAGE) and record.message is None
    ):
        raise DiscordHTTPError(400, 40043, "Interaction response type is not valid for this interaction")
    message = await _callback_message(call, record, kind, data)
    record.callback_type = kind
    record.callback_data = data
    record.original = message
    record.ephemeral = bool(message and message["flags"] & payloads.EPHEMERAL)
    record.completed = kind != DEFERRED_MESSAGE
    if kind == CHANNEL_MESSAGE:
        assert message is not None
        sb.record_output(
            "interaction_response", record.channel_id, message, ephemeral=record.ephemeral, interaction=record
        )
    else:
        sb.interaction_answered()
    if call.query.get("with_response") not in ("1", "true", "True"):
        return None
    return _callback_answer(record, kind, message)


async def _callback_message(
    call: Call, record: InteractionRecord, kind: int, data: dict[str, Any]
) -> dict[str, Any] | None:
    """Carry out a (valid) callback of type ``kind``: the message it posts or updates, if any."""
    sb = call.sb
    if kind == CHANNEL_MESSAGE:
        return await _interaction_message(sb, record, call)
    if kind == DEFERRED_MESSAGE:
        return await _interaction_message(sb, record, call, flags_extra=payloads.LOADING, allow_empty=True)
    if kind == AUTOCOMPLETE:
        choices = data.get("choices")
        if not isinstance(choices, list) or len(choices) > 25:
            raise DiscordHTTPError(400, 50035, "Invalid Form Body")
        return None
    if kind == MODAL:
        if not data.get("custom_id") or not data.get("title") or not data.get("components"):
            raise DiscordHTTPError(400, 50035, "Invalid Form Body")
        return None
    if kind in (DEFERRED_UPDATE, UPDATE_MESSAGE):
        message = record.message
        assert message is not None
        if kind == UPDATE_MESSAGE:
            channel = sb.state.channel(record.channel_id)
            apply_edit(sb, channel, message, data, call.files)
            if not message["flags"] & payloads.EPHEMERAL:
                await mutations.message_updated(sb, channel, message)
            sb.observe_edit(channel.id, message, interaction=record)
        return message
    return None


def _callback_answer(record: InteractionRecord, kind: int, message: dict[str, Any] | None) -> dict[str, Any]:
    """The body of a ``with_response`` callback: the interaction, and the message it answered with if any."""
    answer: dict[str, Any] = {"interaction": {"id": str(record.id), "type": 2}}
    if message is not None:
        answer["interaction"].update(
            response_message_id=message["id"],
            response_message_loading=kind == DEFERRED_MESSAGE,
            response_message_ephemeral=record.ephemeral,
        )
        answer["resource"] = {"type": kind, "message": payloads.rest_view(message)}
    else:
        answer["resource"] = {"type": kind}
    return answer


# ---- interaction webhooks ---------------------------------------------------------------------------
def _webhook_record(call: Call) -> InteractionRecord:
    sb = call.sb
    if call.snowflake("application_id", "Webhook") != sb.application_id:
        raise unknown("Webhook")
    record = sb.interactions_by_token.get(call.params["token"])
    if record is None or time.monotonic() - record.created_at > interactions.TOKEN_LIFETIME_S:
        raise unknown("Webhook")
    return record


def _target(record: InteractionRecord, ref: str) -> dict[str, Any]:
    if ref == "@original":
        if record.original is None:
            raise unknown("Message")
        return record.original
    for message in record.followups:
        if message["id"] == ref:
            return message
    raise unknown("Message")


async def _complete_deferred(sb: Sandbox, record: InteractionRecord, message: dict[str, Any]) -> None:
    message["flags"] &= ~payloads.LOADING
    record.completed = True
    sb.record_output("interaction_response", record.channel_id, message, ephemeral=record.ephemeral, interaction=record)


async def execute_webhook(call: Call) -> Any:
    """``POST /webhooks/{app}/{token}[?wait=true]``: a follow-up (the first one after a deferral edits it)."""
    sb = call.sb
    record = _webhook_record(call)
    if record.callback_type is None:
        raise unknown("Webhook")
    channel = sb.state.channel(record.channel_id)
    original = record.original
    if record.deferred and not record.completed and original is not None:
        # Discord: the first follow-up after a deferral replaces the "thinking" message.
        apply_edit(sb, channel, original, call.json(), call.files)
        original["edited_timestamp"] = None
        await _complete_deferred(sb, record, original)
        if not record.ephemeral:
            await mutations.message_updated(sb, channel, original)
        message = original
    else:
        message = await _interaction_message(sb, record, call)
        record.followups.append(message)
        sb.record_output(
            "followup",
            record.channel_id,
            message,
            ephemeral=bool(message["flags"] & payloads.EPHEMERAL),
            interaction=record,
        )
    if call.query.get("wait") in ("true", "1", "True"):
        return payloads.rest_view(message)
    return None


async def get_webhook_message(call: Call) -> Any:
    """``GET /webhooks/{app}/{token}/messages/{@original|id}``."""
    record = _webhook_record(call)
    return payloads.rest_view(_target(record, call.params["message"]))


async def edit_webhook_message(call: Call) -> Any:
    """``PATCH /webhooks/{app}/{token}/messages/{@original|id}`` -> MESSAGE_UPDATE unless ephemeral."""
    sb = call.sb
    record = _webhook_record(call)
    message = _target(record, call.params["message"])
    channel = sb.state.channel(record.channel_id)
    apply_edit(sb, channel, message, call.json(), call.files)
    ephemeral = bool(message["flags"] & payloads.EPHEMERAL)
    if message is record.original and record.deferred and not record.completed:
        message["edited_timestamp"] = None
        await _complete_deferred(sb, record, message)
    else:
        sb.observe_edit(channel.id, message, interaction=record)
    if not ephemeral:
        await mutations.message_updated(sb, channel, message)
    return payloads.rest_view(message)


async def delete_webhook_message(call: Call) -> Any:
    """``DELETE /webhooks/{app}/{token}/messages/{@original|id}`` -> MESSAGE_DELETE unless ephemeral."""
    sb = call.sb
    record = _webhook_record(call)
    message = _target(record, call.params["message"])
    channel = sb.state.channel(record.channel_id)
    if not message["flags"] & payloads.EPHEMERAL:
        await mutations.delete_message(sb, channel, int(message["id"]))
    return None


_APP = "/applications/{application_id}"
_GUILD_CMDS = _APP + "/guilds/{guild_id}/commands"
_HOOK = "/webhooks/{application_id}/{token}"

ROUTES: list[tuple[str, str, Handler, bool]] = [
    ("GET", _APP + "/commands", list_commands, True),
    ("PUT", _APP + "/commands", overwrite_commands, True),
    ("POST", _APP + "/commands", create_command, True),
    ("GET", _APP + "/commands/{command_id}", get_command, True),
    ("PATCH", _APP + "/commands/{command_id}", patch_command, True),
    ("DELETE", _APP + "/commands/{command_id}", delete_command, True),
    ("GET", _GUILD_CMDS, list_commands, True),
    ("PUT", _GUILD_CMDS, overwrite_commands, True),
    ("POST", _GUILD_CMDS, create_command, True),
    ("GET", _GUILD_CMDS + "/{command_id}", get_command, True),
    ("PATCH", _GUILD_CMDS + "/{command_id}", patch_command, True),
    ("DELETE", _GUILD_CMDS + "/{command_id}", delete_command, True),
    ("POST", "/interactions/{interaction_id}/{token}/callback", interaction_callback, False),
    ("POST", _HOOK, execute_webhook, False),
    ("GET", _HOOK + "/messages/{message}", get_webhook_message, False),
    ("PATCH", _HOOK + "/messages/{message}", edit_webhook_message, False),
    ("DELETE", _HOOK + "/messages/{message}", delete_webhook_message, False),
]
