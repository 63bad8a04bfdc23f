"""Errors raised by the sandbox: Discord-shaped HTTP errors and misuse of the driving API."""

from __future__ import annotations

from typing import Any


class SandboxError(RuntimeError):
    """The driving API was misused (unknown guild, command not registered, user cannot see a command...)."""


class DiscordHTTPError(Exception):
    """An error answered to the bot as Discord would: a status code and ``{"code", "message"}`` JSON."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """Return the JSON body Discord sends for this error."""
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def unknown(kind: str) -> DiscordHTTPError:
    """Return the 404 Discord answers for an unknown entity of ``kind`` (``"Channel"``, ``"Member"``...)."""
    codes = {
        "Account": 10001,
        "Application": 10002,
        "Channel": 10003,
        "Guild": 10004,
        "Member": 10007,
        "Message": 10008,
        "Overwrite": 10009,
        "Role": 10011,
        "User": 10013,
        "Emoji": 10014,
        "Webhook": 10015,
        "Ban": 10026,
        "Interaction": 10062,
        "application command": 10063,
    }
    return DiscordHTTPError(404, codes[kind], f"Unknown {kind}")


def missing_permissions() -> DiscordHTTPError:
    """Return Discord's 403 ``Missing Permissions`` (code 50013)."""
    return DiscordHTTPError(403, 50013, "Missing Permissions")


def missing_access() -> DiscordHTTPError:
    """Return Discord's 403 ``Missing Access`` (code 50001)."""
    return DiscordHTTPError(403, 50001, "Missing Access")


def invalid_form(field: str, code: str, message: str) -> DiscordHTTPError:
    """Return Discord's 400 ``Invalid Form Body`` (code 50035) naming the failing ``field``."""
    errors: dict[str, Any] = {}
    node = errors
    parts = field.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = {"_errors": [{"code": code, "message": message}]}
    return DiscordHTTPError(400, 50035, "Invalid Form Body", errors)
