"""Typed entry points for a module's commands: discord.py's own decorators, with signatures mypy can check.

`discord.ext.commands.hybrid_command` types its callback as a union of "method" and "function" forms whose type
variables appear only in its return type, which mypy cannot solve (every decorated method becomes an error).
A module's commands are always Cog methods taking a `WolaroContext`, so these wrappers state exactly that and
hand everything else to discord.py unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from discord.ext import commands

from wolaro.core.context import WolaroContext

P = ParamSpec("P")
T = TypeVar("T")
CogT = TypeVar("CogT", bound=commands.Cog)

CommandMethod = Callable[Concatenate[CogT, WolaroContext, P], Coroutine[Any, Any, T]]


def hybrid_command(
    name: str, **attrs: Any
) -> Callable[[CommandMethod[CogT, P, T]], commands.HybridCommand[CogT, P, T]]:
    """A prefix and slash command (discord.py's `hybrid_command`); its docstring is its help."""
    return cast(
        "Callable[[CommandMethod[CogT, P, T]], commands.HybridCommand[CogT, P, T]]",
        commands.hybrid_command(name, **attrs),
    )


def hybrid_group(
    name: str, **attrs: Any
) -> Callable[[CommandMethod[CogT, P, T]], commands.HybridGroup[CogT, P, T]]:
    """A prefix and slash command group (discord.py's `hybrid_group`); its docstring is its help."""
    return cast(
        "Callable[[CommandMethod[CogT, P, T]], commands.HybridGroup[CogT, P, T]]",
        commands.hybrid_group(name, **attrs),
    )
