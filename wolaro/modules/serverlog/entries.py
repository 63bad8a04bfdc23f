"""Log entries as plain values: what happened, in English msgids with their values (no Discord objects here).

The Cog turns discord.py events into these with plain ids and texts; `render` (in `posting.py`) translates them
into embeds in the server's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from wolaro.modules.serverlog.config import Category, Config

#: Longest message text kept in an entry (an embed field holds 1,024 characters).
TEXT_LIMIT = 1000
#: Messages of a bulk deletion shown in its entry (the rest are counted).
BULK_SHOWN = 25

RED, ORANGE, GREEN, BLUE, GREY = 0xED4245, 0xE67E22, 0x57F287, 0x5865F2, 0x95A5A6


@dataclass(frozen=True, slots=True)
class Line:
    """A labelled value: a label msgid, and a text (already user content, or a msgid with values)."""

    label: str
    text: str
    values: dict[str, Any] = field(default_factory=dict)
    translate_text: bool = False


@dataclass(frozen=True, slots=True)
class Entry:
    """One thing that happened, for one category's channel."""

    category: Category
    title: str
    values: dict[str, Any]
    colour: int
    lines: tuple[Line, ...] = ()
    user_id: int | None = None
    channel_ids: tuple[int, ...] = ()


def clip(text: str | None, limit: int = TEXT_LIMIT) -> str:
    """User text cut to fit an embed field (with an ellipsis when cut)."""
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ignored(config: Config, entry: Entry) -> bool:
    """Whether the server asked never to log this (its member or one of its channels is ignored)."""
    if entry.user_id is not None and entry.user_id in config.ignored_user_ids:
        return True
    return any(channel in config.ignored_channel_ids for channel in entry.channel_ids)


def message_edited(channel: tuple[int, ...], author: int, before: str | None, after: str, link: str) -> Entry | None:
    """A member edited a message (None when its text did not change, e.g. a link preview appeared)."""
    if before is not None and before == after:
        return None
    lines = (
        Line("Before", clip(before))
        if before is not None
        else Line("Before", "Not seen by the bot", translate_text=True),
        Line("After", clip(after) or "-"),
        Line("Message", link),
    )
    values = {"user": f"<@{author}>", "channel": f"<#{channel[0]}>"}
    return Entry(Category.MESSAGES, "{user} edited a message in {channel}", values, BLUE, lines, author, channel)


def message_deleted(channel: tuple[int, ...], author: int | None, content: str | None, files: int) -> Entry:
    """A message was deleted (its text when the bot saw it)."""
    lines: list[Line] = []
    if author is None:
        lines.append(Line("Message", "Not seen by the bot", translate_text=True))
    else:
        lines.append(Line("Message", clip(content) or "-"))
        if files:
            lines.append(Line("Attachments", "{count} file(s)", {"count": files}, translate_text=True))
    user = f"<@{author}>" if author is not None else "?"
    values = {"user": user, "channel": f"<#{channel[0]}>"}
    title = "A message by {user} was deleted in {channel}" if author else "A message was deleted in {channel}"
    return Entry(Category.MESSAGES, title, values, RED, tuple(lines), author, channel)


def bulk_deleted(channel: tuple[int, ...], count: int, seen: Sequence[tuple[int, str]]) -> Entry:
    """Messages deleted at once (a purge): one entry, with the text of those the bot saw."""
    shown = [f"<@{author}>: {clip(text, 120)}" for author, text in seen[:BULK_SHOWN]]
    lines: list[Line] = [Line("Messages", clip("\n".join(shown)))] if shown else []
    if len(seen) > BULK_SHOWN or count > len(seen):
        lines.append(Line("Not shown", "{count} more", {"count": count - len(shown)}, translate_text=True))
    values = {"count": count, "channel": f"<#{channel[0]}>"}
    return Entry(
        Category.MESSAGES, "{count} messages were deleted in {channel}", values, RED, tuple(lines), None, channel
    )


def member_joined(user: int, name: str, account_age_days: int) -> Entry:
    """A member joined."""
    lines = (Line("Account created", "{days} days ago", {"days": account_age_days}, translate_text=True),)
    values = {"user": f"<@{user}>", "name": name}
    return Entry(Category.MEMBERS, "{user} ({name}) joined the server", values, GREEN, lines, user)


def member_left(user: int, name: str) -> Entry:
    """A member left (or was kicked or banned)."""
    return Entry(
        Category.MEMBERS, "{user} ({name}) left the server", {"user": f"<@{user}>", "name": name}, ORANGE, (), user
    )


def banned(user: int, name: str, *, lifted: bool = False) -> Entry:
    """A member was banned, or their ban lifted."""
    title = "{user} ({name}) was unbanned" if lifted else "{user} ({name}) was banned"
    return Entry(Category.BANS, title, {"user": f"<@{user}>", "name": name}, GREEN if lifted else RED, (), user)


def _by(actor: int | None) -> tuple[Line, ...]:
    return (Line("By", f"<@{actor}>"),) if actor else ()


def roles_changed(user: int, added: Iterable[int], removed: Iterable[int], actor: int | None) -> Entry | None:
    """Roles given to or taken from a member (None when nothing changed)."""
    given, taken = [f"<@&{r}>" for r in added], [f"<@&{r}>" for r in removed]
    if not given and not taken:
        return None
    lines = tuple(
        line
        for line in (
            Line("Roles given", ", ".join(given)) if given else None,
            Line("Roles taken", ", ".join(taken)) if taken else None,
        )
        if line is not None
    ) + _by(actor)
    return Entry(Category.MEMBER_CHANGES, "The roles of {user} changed", {"user": f"<@{user}>"}, BLUE, lines, user)


def nickname_changed(user: int, before: str | None, after: str | None, actor: int | None) -> Entry | None:
    """A member's nickname changed (None when it did not)."""
    if before == after:
        return None
    none = Line("Before", "No nickname", translate_text=True)
    lines = (
        Line("Before", clip(before, 100)) if before else none,
        Line("After", clip(after, 100)) if after else Line("After", "No nickname", translate_text=True),
        *_by(actor),
    )
    return Entry(Category.MEMBER_CHANGES, "The nickname of {user} changed", {"user": f"<@{user}>"}, BLUE, lines, user)


def server_item(kind: str, action: str, mention: str, name: str, changes: Sequence[Line] = ()) -> Entry | None:
    """A channel or role created, deleted or changed (`kind` channel|role, `action` created|deleted|changed)."""
    if action == "changed" and not changes:
        return None
    titles = {
        ("channel", "created"): "Channel {name} was created",
        ("channel", "deleted"): "Channel {name} was deleted",
        ("channel", "changed"): "Channel {mention} was changed",
        ("role", "created"): "Role {name} was created",
        ("role", "deleted"): "Role {name} was deleted",
        ("role", "changed"): "Role {mention} was changed",
    }
    colour = {"created": GREEN, "deleted": RED, "changed": BLUE}[action]
    return Entry(Category.SERVER, titles[(kind, action)], {"name": name, "mention": mention}, colour, tuple(changes))


def changed_lines(before: dict[str, Any], after: dict[str, Any], labels: dict[str, str]) -> list[Line]:
    """One line per changed attribute: its label (msgid) and `before → after`."""
    lines = []
    for key, label in labels.items():
        old, new = before.get(key), after.get(key)
        if old != new:
            lines.append(Line(label, f"{clip(str(old or '-'), 400)} → {clip(str(new or '-'), 400)}"))
    return lines


def voice_moved(user: int, before: int | None, after: int | None) -> Entry | None:
    """A member joined, left or moved between voice channels (None for mute and deafen changes)."""
    if before == after:
        return None
    values = {"user": f"<@{user}>", "before": f"<#{before}>", "after": f"<#{after}>"}
    if before is None:
        title, colour = "{user} joined voice channel {after}", GREEN
    elif after is None:
        title, colour = "{user} left voice channel {before}", ORANGE
    else:
        title, colour = "{user} moved from {before} to {after}", BLUE
    channels = tuple(c for c in (before, after) if c is not None)
    return Entry(Category.VOICE, title, values, colour, (), user, channels)
