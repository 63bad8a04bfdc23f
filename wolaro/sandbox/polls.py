"""Discord's native polls: the ``poll`` of a new message, votes, the voters of an answer, and the end of a poll.

Following Discord's documented objects (Poll Create Request -> Poll Object): a poll has a question (at most 300
characters), 1 to 10 answers (``answer_id`` 1, 2, ...; text at most 55 characters), a ``duration`` in hours
(1 to 768, i.e. 32 days, default 24) giving its ``expiry``, ``allow_multiselect`` and ``layout_type`` 1. Its
``results`` (``is_finalized``, ``answer_counts`` of ``{id, count, me_voted}``) are kept current; votes dispatch
MESSAGE_POLL_VOTE_ADD / MESSAGE_POLL_VOTE_REMOVE. ``GET /channels/{c}/polls/{m}/answers/{a}`` lists the voters
of an answer; ``POST /channels/{c}/polls/{m}/expire`` ends the poll early (only its author may), which, like the
poll's expiry, finalises the results (MESSAGE_UPDATE) and posts the POLL_RESULT system message (type 46).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wolaro.sandbox import mutations, payloads
from wolaro.sandbox.errors import DiscordHTTPError, invalid_form
from wolaro.sandbox.rest import Call, Handler, require_view
from wolaro.sandbox.snowflake import iso

if TYPE_CHECKING:
    from wolaro.sandbox.server import Sandbox
    from wolaro.sandbox.state import Channel

QUESTION_MAX = 300
ANSWER_MAX = 55
ANSWERS_MAX = 10
DURATION_HOURS_MAX = 768  # 32 days
POLL_RESULT = 46


@dataclass
class PollBook:
    """Who voted for what, per poll message, and the expiry timers."""

    voters: dict[int, dict[int, set[int]]] = field(default_factory=dict)
    timers: dict[int, asyncio.TimerHandle] = field(default_factory=dict)


def book(sb: Sandbox) -> PollBook:
    """The sandbox's poll votes (created on first use)."""
    found = getattr(sb, "_poll_book", None)
    if found is None:
        found = PollBook()
        sb._poll_book = found  # type: ignore[attr-defined]
    return found


def _text(media: Any, where: str, limit: int) -> str:
    text = media.get("text") if isinstance(media, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise invalid_form(f"{where}.text", "BASE_TYPE_REQUIRED", "This field is required")
    if len(text) > limit:
        raise invalid_form(f"{where}.text", "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
    return text


def build(raw: Any, now: dt.datetime) -> dict[str, Any] | None:
    """The poll object of a new message from its Poll Create Request (None: no poll), or 400 naming the field."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise invalid_form("poll", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
    question = _text(raw.get("question"), "poll.question", QUESTION_MAX)
    answers = raw.get("answers")
    if not isinstance(answers, list) or not 1 <= len(answers) <= ANSWERS_MAX:
        raise invalid_form("poll.answers", "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {ANSWERS_MAX} in length.")
    built = []
    for index, answer in enumerate(answers):
        media = answer.get("poll_media") if isinstance(answer, dict) else None
        text = _text(media, f"poll.answers.{index}.poll_media", ANSWER_MAX)
        entry: dict[str, Any] = {"text": text}
        if isinstance(media, dict) and media.get("emoji"):
            entry["emoji"] = media["emoji"]
        built.append({"answer_id": index + 1, "poll_media": entry})
    hours = raw.get("duration", 24)  # discord.py sends hours as a float (24.0)
    if isinstance(hours, float) and hours.is_integer():
        hours = int(hours)
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= DURATION_HOURS_MAX:
        raise invalid_form(
            "poll.duration", "NUMBER_TYPE_MAX", f"int value should be between 1 and {DURATION_HOURS_MAX}"
        )
    return {
        "question": {"text": question},
        "answers": built,
        "expiry": iso(now + dt.timedelta(hours=hours)),
        "allow_multiselect": bool(raw.get("allow_multiselect", False)),
        "layout_type": int(raw.get("layout_type") or 1),
        "results": {"is_finalized": False, "answer_counts": []},
    }


def _counts(sb: Sandbox, message: dict[str, Any]) -> None:
    votes = book(sb).voters.get(int(message["id"]), {})
    bot = sb.state.bot_user_id
    message["poll"]["results"]["answer_counts"] = [
        {"id": answer_id, "count": len(users), "me_voted": bot in users}
        for answer_id, users in sorted(votes.items())
        if users
    ]


def watch_expiry(sb: Sandbox, channel: Channel, message: dict[str, Any]) -> None:
    """Finalise the poll by itself when it expires (as Discord does), if the sandbox still runs then."""
    expiry = dt.datetime.fromisoformat(message["poll"]["expiry"])
    delay = max(0.0, (expiry - dt.datetime.now(dt.UTC)).total_seconds())
    loop = asyncio.get_running_loop()
    book(sb).timers[int(message["id"])] = loop.call_later(
        delay, lambda: loop.create_task(finalise(sb, channel, message))
    )


async def finalise(sb: Sandbox, channel: Channel, message: dict[str, Any]) -> None:
    """End the poll: results final (MESSAGE_UPDATE), then the POLL_RESULT message naming the winning answer."""
    poll = message["poll"]
    if poll["results"]["is_finalized"]:
        return
    timer = book(sb).timers.pop(int(message["id"]), None)
    if timer is not None:
        timer.cancel()
    now = dt.datetime.now(dt.UTC)
    if dt.datetime.fromisoformat(poll["expiry"]) > now:
        poll["expiry"] = iso(now)
    _counts(sb, message)
    poll["results"]["is_finalized"] = True
    await mutations.message_updated(sb, channel, message)
    await mutations.post_message(
        sb,
        channel,
        int(message["author"]["id"]),
        "",
        msg_type=POLL_RESULT,
        embeds=[_result_embed(message)],
        reference=message,
    )


def _result_embed(message: dict[str, Any]) -> dict[str, Any]:
    poll = message["poll"]
    counts = {c["id"]: c["count"] for c in poll["results"]["answer_counts"]}
    total = sum(counts.values())
    fields = [
        {"name": "poll_question_text", "value": poll["question"]["text"]},
        {"name": "total_votes", "value": str(total)},
    ]
    if total:
        winner = max(poll["answers"], key=lambda a: (counts.get(a["answer_id"], 0), -a["answer_id"]))
        fields += [
            {"name": "victor_answer_id", "value": str(winner["answer_id"])},
            {"name": "victor_answer_text", "value": winner["poll_media"]["text"]},
            {"name": "victor_answer_votes", "value": str(counts.get(winner["answer_id"], 0))},
        ]
    return {"type": "poll_result", "fields": fields}


def _open_poll(sb: Sandbox, channel_id: int, message_id: int) -> tuple[Channel, dict[str, Any]]:
    channel = sb.state.channel(channel_id)
    message = sb.state.message(channel_id, message_id)
    if not message.get("poll"):
        raise DiscordHTTPError(400, 50083, "Cannot perform this operation on a message without a poll")
    return channel, message


async def vote(sb: Sandbox, channel_id: int, message_id: int, user_id: int, answer_ids: list[int]) -> None:
    """A user's vote (replacing any earlier one), as the Discord client sends it; dispatches the vote events."""
    channel, message = _open_poll(sb, channel_id, message_id)
    poll = message["poll"]
    if poll["results"]["is_finalized"]:
        raise DiscordHTTPError(400, 520001, "Poll expired")
    known = {a["answer_id"] for a in poll["answers"]}
    if not answer_ids or not set(answer_ids) <= known or (len(answer_ids) > 1 and not poll["allow_multiselect"]):
        raise invalid_form("answer_ids", "BASE_TYPE_CHOICES", "Value must be one of the poll's answers.")
    votes = book(sb).voters.setdefault(message_id, {})
    for answer_id, users in votes.items():
        if user_id in users and answer_id not in answer_ids:
            users.discard(user_id)
            await _vote_event(sb, "MESSAGE_POLL_VOTE_REMOVE", channel, message_id, user_id, answer_id)
    for answer_id in answer_ids:
        users = votes.setdefault(answer_id, set())
        if user_id not in users:
            users.add(user_id)
            await _vote_event(sb, "MESSAGE_POLL_VOTE_ADD", channel, message_id, user_id, answer_id)
    _counts(sb, message)


async def unvote(sb: Sandbox, channel_id: int, message_id: int, user_id: int) -> None:
    """A user takes their vote back (every answer they chose)."""
    channel, message = _open_poll(sb, channel_id, message_id)
    if message["poll"]["results"]["is_finalized"]:
        raise DiscordHTTPError(400, 520001, "Poll expired")
    for answer_id, users in book(sb).voters.get(message_id, {}).items():
        if user_id in users:
            users.discard(user_id)
            await _vote_event(sb, "MESSAGE_POLL_VOTE_REMOVE", channel, message_id, user_id, answer_id)
    _counts(sb, message)


async def _vote_event(sb: Sandbox, event: str, channel: Channel, message_id: int, user_id: int, answer_id: int) -> None:
    data: dict[str, Any] = {
        "user_id": str(user_id),
        "channel_id": str(channel.id),
        "message_id": str(message_id),
        "answer_id": answer_id,
    }
    if channel.guild_id:
        data["guild_id"] = str(channel.guild_id)
    await sb.gateway.dispatch(event, data, guild_id=channel.guild_id)


async def answer_voters(call: Call) -> Any:
    """``GET /channels/{c}/polls/{m}/answers/{a}?after&limit``: users who voted for an answer (by id, at most 100)."""
    sb = call.sb
    channel = call.channel()
    require_view(sb, channel)
    message_id = call.snowflake("message_id", "Message")
    _, message = _open_poll(sb, channel.id, message_id)
    answer_id = int(call.params["answer_id"]) if call.params["answer_id"].isdigit() else 0
    if answer_id not in {a["answer_id"] for a in message["poll"]["answers"]}:
        raise invalid_form("answer_id", "BASE_TYPE_CHOICES", "Value must be one of the poll's answers.")
    limit = min(max(int(call.query.get("limit", 25)), 1), 100)
    after = int(call.query.get("after", 0) or 0)
    users = sorted(u for u in book(sb).voters.get(message_id, {}).get(answer_id, set()) if u > after)
    return {"users": [payloads.user(sb.state.users[u]) for u in users[:limit]]}


async def expire(call: Call) -> Any:
    """``POST /channels/{c}/polls/{m}/expire``: the poll's author ends it now; returns the message."""
    sb = call.sb
    channel = call.channel()
    require_view(sb, channel)
    _, message = _open_poll(sb, channel.id, call.snowflake("message_id", "Message"))
    if int(message["author"]["id"]) != sb.state.bot_user_id:
        raise DiscordHTTPError(403, 50013, "Missing Permissions")
    if message["poll"]["results"]["is_finalized"]:
        raise DiscordHTTPError(400, 520001, "Poll expired")
    await finalise(sb, channel, message)
    return payloads.rest_view(message)


ROUTES: list[tuple[str, str, Handler, bool]] = [
    ("GET", "/channels/{channel_id}/polls/{message_id}/answers/{answer_id}", answer_voters, True),
    ("POST", "/channels/{channel_id}/polls/{message_id}/expire", expire, True),
]
