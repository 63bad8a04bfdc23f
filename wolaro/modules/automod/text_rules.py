"""Automod's plain text checks: mentions, invites, links, caps and zalgo (pure functions on the text)."""

from __future__ import annotations

import re
from collections.abc import Collection

INVITE_RE = re.compile(
    r"(?:https?://)?(?:www\.)?(?:discord(?:app)?\.com/invite|discord\.(?:gg|io|me|li)|dsc\.gg)/([A-Za-z0-9-]+)",
    re.IGNORECASE,
)
LINK_RE = re.compile(r"https?://([^\s/?#<>\"'|\\]+)", re.IGNORECASE)
# Combining marks: the blocks zalgo generators draw from (diacritics, extended, supplement, for symbols, halves).
COMBINING = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_ASCII_UPPER = bytes(range(65, 91))
_ASCII_LETTERS = bytes(range(65, 91)) + bytes(range(97, 123))


def too_many_mentions(mentions: int, limit: int) -> str | None:
    """`"<n> mentions"` when a message mentions more than `limit` users and roles."""
    return f"{mentions} mentions" if mentions > limit else None


def find_invite(content: str, allowed: Collection[str] = ()) -> str | None:
    """The first Discord invite code in `content` that is not allowed, or None."""
    if "/" not in content:
        return None
    for match in INVITE_RE.finditer(content):
        code = match.group(1)
        if code not in allowed and code.lower() not in allowed:
            return code
    return None


def link_hosts(content: str) -> list[str]:
    """The host names of the http(s) links in `content`, lowercased, without port or credentials."""
    if "://" not in content:
        return []
    hosts = []
    for match in LINK_RE.finditer(content):
        host = match.group(1).rsplit("@", 1)[-1].split(":", 1)[0].strip(".").lower()
        if host:
            hosts.append(host)
    return hosts


def domain_listed(host: str, domains: Collection[str]) -> bool:
    """Whether `host` is one of `domains` or a subdomain of one."""
    if host in domains:
        return True
    parts = host.split(".")
    return any(".".join(parts[i:]) in domains for i in range(1, len(parts)))


def find_bad_link(content: str, domains: Collection[str], *, mode: str) -> str | None:
    """The first link host caught: listed ones in `deny` mode, unlisted ones in `allow` mode."""
    for host in link_hosts(content):
        if domain_listed(host, domains) == (mode == "deny"):
            return host
    return None


def caps_ratio(content: str) -> tuple[int, float]:
    """(letters, share of them that are capitals) in `content`."""
    if content.isascii():
        data = content.encode("ascii")
        letters = len(data) - len(data.translate(None, _ASCII_LETTERS))
        upper = len(data) - len(data.translate(None, _ASCII_UPPER))
    else:
        letters = sum(map(str.isalpha, content))
        upper = sum(map(str.isupper, content))
    return letters, (upper / letters if letters else 0.0)


def too_many_caps(content: str, *, min_letters: int, max_ratio: float) -> str | None:
    """`"<n>% capitals"` when a long enough message has more than `max_ratio` capital letters."""
    if len(content) < min_letters or content.lower() == content:
        return None
    letters, ratio = caps_ratio(content)
    if letters >= min_letters and ratio > max_ratio:
        return f"{round(ratio * 100)}% capitals"
    return None


def zalgo_pattern(max_marks: int) -> re.Pattern[str]:
    """A pattern matching more than `max_marks` combining marks in a row."""
    return re.compile(f"[{COMBINING}]{{{max_marks + 1},}}")


def find_zalgo(content: str, pattern: re.Pattern[str]) -> str | None:
    """`"<n> stacked marks"` when `content` stacks more combining marks than allowed, else None."""
    if content.isascii():
        return None
    match = pattern.search(content)
    return f"{len(match.group(0))} stacked marks" if match else None
