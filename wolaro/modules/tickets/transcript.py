"""A ticket's conversation as one self-contained HTML file (and plain text), rendered by our own template.

`collect` reads the channel's whole history through Discord REST (the bot's own messages included) and copies
every attachment and avatar into the transcript's storage; `render_html` fills `templates/transcript_document.html`
with Jinja2 autoescaping on, so nothing a member wrote can become markup, and the page's Content-Security-Policy
allows no script at all. Images are inlined as `data:` URLs: the file shows them with no network, after the channel
is gone and Discord's links have expired.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
#: Attachments up to this size are inlined in the HTML file (all are copied into storage whatever their size).
INLINE_MAX = 8 * 1024 * 1024
#: Larger attachments are listed (name, size) but not copied into the transcript's storage.
FETCH_MAX = 25 * 1024 * 1024
ERASED = "Deleted user"


@dataclass(slots=True)
class Attachment:
    """A file of a message, as kept in the transcript."""

    filename: str
    size: int
    content_type: str
    key: str | None = None
    data_uri: str | None = None


@dataclass(slots=True)
class Message:
    """One message of the conversation."""

    id: int
    author_id: int
    author: str
    bot: bool
    avatar: str | None
    timestamp: str
    edited: str | None
    content: str
    embeds: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(slots=True)
class Transcript:
    """Everything the transcript shows."""

    guild: str
    channel: str
    number: int
    category: str
    opener: str
    opened_at: str
    closed_at: str
    closed_by: str
    reason: str
    messages: list[Message]
    #: Role id (as text) -> name, for role mentions.
    roles: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The snapshot kept beside the HTML (re-rendered when someone asks to be forgotten)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Transcript:
        """Back from `to_json`."""
        messages = [
            Message(**{**m, "attachments": [Attachment(**a) for a in m["attachments"]]}) for m in data["messages"]
        ]
        return cls(**{**data, "messages": messages})


# ---------------------------------------------------------------------------------------------- markdown
_CODE_BLOCK = re.compile(r"```(?:[a-z0-9]*\n)?(.+?)```", re.DOTALL)
_INLINE = [
    (re.compile(r"`([^`\n]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*(.+?)\*\*", re.DOTALL), r"<strong>\1</strong>"),
    (re.compile(r"__(.+?)__", re.DOTALL), r"<u>\1</u>"),
    (re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", re.DOTALL), r"<em>\1</em>"),
    (re.compile(r"(?<![_\w])_(?!\s)(.+?)(?<!\s)_(?!\w)", re.DOTALL), r"<em>\1</em>"),
    (re.compile(r"~~(.+?)~~", re.DOTALL), r"<s>\1</s>"),
    (re.compile(r"\|\|(.+?)\|\|", re.DOTALL), r'<span class="spoiler">\1</span>'),
]
_MENTION = re.compile(r"&lt;@!?(\d+)&gt;")
_ROLE_MENTION = re.compile(r"&lt;@&amp;(\d+)&gt;")


def markdown(text: str, names: dict[int, str] | None = None, roles: dict[str, str] | None = None) -> Markup:
    """Discord's common markdown as HTML. The text is escaped *first*; only fixed tags are added after."""
    names, roles = names or {}, roles or {}
    blocks: list[str] = []

    def keep_block(match: re.Match[str]) -> str:
        blocks.append(f"<pre>{match.group(1)}</pre>")
        return f"\x00{len(blocks) - 1}\x00"

    html = _CODE_BLOCK.sub(keep_block, str(escape(text)))
    for pattern, replacement in _INLINE:
        html = pattern.sub(replacement, html)
    html = _MENTION.sub(
        lambda m: f'<span class="mention">@{escape(names.get(int(m.group(1)), m.group(1)))}</span>', html
    )
    html = _ROLE_MENTION.sub(
        lambda m: f'<span class="mention">@{escape(roles.get(m.group(1), m.group(1)))}</span>', html
    )
    html = re.sub(r"\x00\n", "\x00", html).replace("\n", "<br>")
    html = re.sub(r"\x00(\d+)\x00", lambda m: blocks[int(m.group(1))], html)
    return Markup(html)  # built from escaped text and fixed tags only


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.filters["markdown"] = markdown
    return env


_ENV = _environment()


def render_html(transcript: Transcript) -> str:
    """The transcript as one HTML document (no script, no external resource)."""
    names = {m.author_id: m.author for m in transcript.messages}
    template = _ENV.get_template("transcript_document.html")
    return template.render(t=transcript, names=names, csp=CSP)


def render_text(transcript: Transcript) -> str:
    """The transcript as plain text."""
    lines = [
        f"Ticket #{transcript.number} ({transcript.category}) in {transcript.guild}, #{transcript.channel}",
        f"Opened by {transcript.opener} at {transcript.opened_at}; closed at {transcript.closed_at}"
        f" by {transcript.closed_by}" + (f": {transcript.reason}" if transcript.reason else ""),
        "",
    ]
    for message in transcript.messages:
        edited = f" (edited {message.edited})" if message.edited else ""
        lines.append(f"[{message.timestamp}] {message.author}{' [bot]' if message.bot else ''}{edited}")
        if message.content:
            lines.extend(f"  {line}" for line in message.content.splitlines())
        for embed in message.embeds:
            lines.extend(f"  | {part}" for part in _embed_lines(embed))
        lines.extend(f"  [file] {a.filename} ({a.size} bytes)" for a in message.attachments)
    return "\n".join(lines) + "\n"


def _embed_lines(embed: dict[str, Any]) -> list[str]:
    out = [str(embed[k]) for k in ("title", "description") if embed.get(k)]
    out += [f"{f.get('name', '')}: {f.get('value', '')}" for f in embed.get("fields") or []]
    if (embed.get("footer") or {}).get("text"):
        out.append(str(embed["footer"]["text"]))
    return out


def erase_person(transcript: Transcript, user_id: int) -> int:
    """Remove a person's messages' content, files and name from a transcript; how many messages were theirs."""
    count = 0
    mention = re.compile(rf"<@!?{user_id}>")
    for message in transcript.messages:
        if message.author_id == user_id:
            message.author, message.avatar, message.content = ERASED, None, ""
            message.embeds, message.attachments, message.author_id = [], [], 0
            count += 1
        message.content = mention.sub(f"@{ERASED}", message.content)
        message.embeds = [_without_mention(embed, mention) for embed in message.embeds]
    for name in ("opener", "closed_by"):
        if str(user_id) in getattr(transcript, name):
            setattr(transcript, name, ERASED)
    return count


def _without_mention(value: Any, mention: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return mention.sub(f"@{ERASED}", value)
    if isinstance(value, list):
        return [_without_mention(v, mention) for v in value]
    if isinstance(value, dict):
        return {k: _without_mention(v, mention) for k, v in value.items()}
    return value


# ---------------------------------------------------------------------------------------------- collecting
Fetch = Callable[[str], Awaitable[tuple[bytes, str]]]
"""Download a URL: (bytes, content type). Raises on failure."""
Put = Callable[[str, bytes, str], Awaitable[None]]


def _when(raw: str | None) -> str | None:
    if not raw:
        return None
    return datetime.fromisoformat(raw).strftime("%Y-%m-%d %H:%M:%S UTC")


def _data_uri(data: bytes, content_type: str) -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


def safe_filename(name: str) -> str:
    """A file name usable as the last part of a storage key."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:80]
    return cleaned or "file"


async def message_from_payload(
    raw: dict[str, Any], prefix: str, fetch: Fetch, put: Put, avatars: dict[str, str]
) -> Message:
    """One REST message payload as a transcript message, its attachments copied under `prefix`."""
    author = raw["author"]
    avatar_url = author.get("_avatar_url")
    if avatar_url and avatar_url not in avatars:
        try:
            data, kind = await fetch(avatar_url)
            avatars[avatar_url] = _data_uri(data, kind if kind.startswith("image/") else "image/png")
        except Exception:  # an avatar we cannot fetch is shown as initials
            avatars[avatar_url] = ""
    attachments = []
    for item in raw.get("attachments") or []:
        content_type = str(item.get("content_type") or "application/octet-stream").split(";")[0]
        if int(item.get("size") or 0) > FETCH_MAX:  # listed by name and size, not copied
            attachments.append(Attachment(str(item.get("filename") or "file"), int(item["size"]), content_type))
            continue
        data, fetched_type = await fetch(item["url"])
        content_type = fetched_type or content_type
        key = f"{prefix}/{item['id']}-{safe_filename(str(item.get('filename') or 'file'))}"
        await put(key, data, content_type)
        inline = content_type.startswith("image/") and len(data) <= INLINE_MAX
        attachments.append(
            Attachment(
                str(item.get("filename") or "file"),
                len(data),
                content_type,
                key,
                _data_uri(data, content_type) if inline else None,
            )
        )
    return Message(
        id=int(raw["id"]),
        author_id=int(author["id"]),
        author=str(author.get("global_name") or author.get("username") or author["id"]),
        bot=bool(author.get("bot")),
        avatar=avatars.get(avatar_url) or None if avatar_url else None,
        timestamp=_when(raw.get("timestamp")) or "",
        edited=_when(raw.get("edited_timestamp")),
        content=str(raw.get("content") or ""),
        embeds=[_embed(e) for e in raw.get("embeds") or []],
        attachments=attachments,
    )


def _embed(raw: dict[str, Any]) -> dict[str, Any]:
    colour = raw.get("color")
    return {
        "title": raw.get("title"),
        "description": raw.get("description"),
        "colour": f"#{int(colour):06x}" if isinstance(colour, int) else None,
        "fields": [{"name": f.get("name", ""), "value": f.get("value", "")} for f in raw.get("fields") or []],
        "footer": {"text": (raw.get("footer") or {}).get("text")} if raw.get("footer") else None,
        "author": {"name": (raw.get("author") or {}).get("name")} if raw.get("author") else None,
    }
