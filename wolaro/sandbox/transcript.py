"""A readable one-line-per-event transcript of the sandbox, usable as a ``Sandbox`` observer.

Lines look like this::

[Cozy Cafe #general] alice0: !ping
[Cozy Cafe #general] 🤖 Wolaro: Pong! 12 ms
[Cozy Cafe #general] bob3: /rank
[Cozy Cafe #general] 🤖 Wolaro (ephemeral): [embed: Rank — Level: 3; XP: 120]
[Cozy Cafe] → newcomer42 joined
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from wolaro.sandbox.server import Sandbox

MAX_TEXT = 300
MENTION = re.compile(r"<@!?(\d+)>")
ROLE_OR_CHANNEL = re.compile(r"<(?:@&|#)(\d+)>")
TIMESTAMP = re.compile(r"<t:(-?\d+)(?::[tTdDfFR])?>")
OPTION_ID = re.compile(r"(?<=\s)(\w+):(\d{15,21})\b")


def summarise_embed(embed: dict[str, Any]) -> str:
    """``[embed: Title — description — name: value; name: value]``."""
    parts = [str(embed[k]) for k in ("title", "description") if embed.get(k)]
    fields = "; ".join(f"{f.get('name', '')}: {f.get('value', '')}" for f in embed.get("fields") or [])
    if fields:
        parts.append(fields)
    if not parts and embed.get("author", {}).get("name"):
        parts.append(str(embed["author"]["name"]))
    return "[embed: " + " — ".join(parts) + "]"


def _flatten(text: str) -> str:
    text = " ⏎ ".join(line for line in text.splitlines() if line.strip())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def format_event(event: dict[str, Any]) -> str | None:
    """One line for an observer event, or None for events not worth printing."""
    kind = event.get("kind", "")
    guild = event.get("guild") or "?"
    where = f"[{guild} #{event['channel']}]" if event.get("channel") else f"[{guild}]"
    if kind in ("member_join", "member_leave"):
        arrow = "→" if kind == "member_join" else "←"
        return f"{where} {arrow} {event.get('user')} {event.get('content')}"
    pieces = []
    if event.get("content"):
        pieces.append(str(event["content"]))
    pieces.extend(summarise_embed(e) for e in event.get("embeds") or [])
    if event.get("components"):
        pieces.append(f"[{sum(len(row.get('components', [])) for row in event['components'])} buttons/menus]")
    if event.get("attachments"):
        pieces.append(f"[{event['attachments']} attachment(s)]")
    text = _flatten(" ".join(pieces)) or "(empty)"
    if kind.startswith("bot_"):
        tags = []
        if kind == "bot_edit":
            tags.append("edited")
        if event.get("ephemeral"):
            tags.append("ephemeral")
        label = f"🤖 {event.get('user', 'bot')}" + (f" ({', '.join(tags)})" if tags else "")
        return f"{where} {label}: {text}"
    if kind in ("message", "interaction"):
        return f"{where} {event.get('user')}: {text}"
    return None


class Transcript:
    """Observer that prints :func:`format_event` lines to ``stream`` (stdout by default).

    ``Transcript(sandbox)`` or ``sandbox.add_observer(Transcript())``: the events carry the guild and
    channel names already, the sandbox argument is accepted for symmetry with other observers.
    """

    def __init__(self, sandbox: Sandbox | None = None, stream: TextIO | None = None) -> None:
        self.sandbox = sandbox
        self.stream = stream or sys.stdout
        self.lines = 0

    def __call__(self, event: dict[str, Any]) -> None:
        """Print one event."""
        if self.sandbox is not None:
            gid = event.get("guild_id")
            event = {**event, "content": self._names(str(event.get("content") or ""), gid)}
            if event.get("embeds"):
                event["embeds"] = [self._embed_names(e, gid) for e in event["embeds"]]
        line = format_event(event)
        if line is None:
            return
        self.lines += 1
        print(line, file=self.stream, flush=True)

    def _names(self, text: str, guild_id: int | None) -> str:
        """Readable mentions, timestamps and ids.

        ``<@id>`` -> ``@Name``, ``<@&id>`` -> ``@Role``, ``<#id>`` -> ``#channel``, ``<t:unix:R>`` -> a UTC
        time, and ``option:id`` of a user/role/channel -> its name.
        """
        sandbox = self.sandbox
        assert sandbox is not None
        state = sandbox.state
        guild = state.guilds.get(guild_id) if guild_id else None

        def name_of(raw: str) -> str | None:
            target = int(raw)
            if target in state.users:
                return "@" + sandbox.display_name(guild_id, target)
            if guild is not None and target in guild.roles:
                return "@" + guild.roles[target].name
            channel = state.channels.get(target)
            return f"#{channel.name}" if channel is not None and channel.name else None

        text = MENTION.sub(lambda m: name_of(m.group(1)) or m.group(0), text)
        text = ROLE_OR_CHANNEL.sub(lambda m: name_of(m.group(1)) or m.group(0), text)
        text = TIMESTAMP.sub(
            lambda m: dt.datetime.fromtimestamp(int(m.group(1)), dt.UTC).strftime("%Y-%m-%d %H:%M"), text
        )
        return OPTION_ID.sub(lambda m: f"{m.group(1)}:{name_of(m.group(2)) or m.group(2)}", text)

    def _embed_names(self, embed: dict[str, Any], guild_id: int | None) -> dict[str, Any]:
        out = dict(embed)
        for key in ("title", "description"):
            if out.get(key):
                out[key] = self._names(str(out[key]), guild_id)
        if out.get("fields"):
            out["fields"] = [{**f, "value": self._names(str(f.get("value", "")), guild_id)} for f in out["fields"]]
        return out


#: Alias kept for readability at call sites that only print.
TranscriptPrinter = Transcript
