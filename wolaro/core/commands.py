"""Typed entry points for a module's commands: discord.py's own decorators, with signatures mypy can check.

`discord.ext.commands.hybrid_command` (and `hybrid_group`, `HybridGroup.command`) type their callback as a union
of a "method" and a "function" form whose type variables appear only in the return type; mypy cannot solve that,
so every decorated method was an error. A module's commands are always methods taking a `WolaroContext`, so these
wrappers say exactly that and hand everything else to discord.py unchanged:

    @hybrid_group(name="config")
    async def config(self, ctx: WolaroContext) -> None: ...

    @config.subcommand(name="set")
    async def config_set(self, ctx: WolaroContext, key: str) -> None: ...
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from discord.ext import commands

from wolaro.core.context import WolaroContext

P = ParamSpec("P")
SubP = ParamSpec("SubP")
T = TypeVar("T")
SubT = TypeVar("SubT")
SelfT = TypeVar("SelfT")

CommandMethod = Callable[Concatenate[SelfT, WolaroContext, P], Coroutine[Any, Any, T]]


class HybridGroup(commands.HybridGroup[Any, P, T]):
    """discord.py's hybrid group with a typed way to add subcommands."""

    def subcommand(
        self, name: str, **attrs: Any
    ) -> Callable[[CommandMethod[SelfT, SubP, SubT]], commands.HybridCommand[Any, SubP, SubT]]:
        """A subcommand of this group (discord.py's `HybridGroup.command`); its docstring is its help."""
        return cast(
            "Callable[[CommandMethod[SelfT, SubP, SubT]], commands.HybridCommand[Any, SubP, SubT]]",
            self.command(name, **attrs),
        )


def hybrid_command(
    name: str, **attrs: Any
) -> Callable[[CommandMethod[SelfT, P, T]], commands.HybridCommand[Any, P, T]]:
    """A prefix and slash command (discord.py's `hybrid_command`); its docstring is its help."""
    return cast(
        "Callable[[CommandMethod[SelfT, P, T]], commands.HybridCommand[Any, P, T]]",
        commands.hybrid_command(name, **attrs),
    )


def hybrid_group(name: str, **attrs: Any) -> Callable[[CommandMethod[SelfT, P, T]], HybridGroup[P, T]]:
    """A prefix and slash command group (discord.py's `hybrid_group`, built as our typed `HybridGroup`)."""

    def decorator(method: CommandMethod[SelfT, P, T]) -> HybridGroup[P, T]:
        if isinstance(method, commands.Command):
            raise TypeError("Callback is already a command.")
        return HybridGroup(method, name=name, **attrs)

    return decorator
