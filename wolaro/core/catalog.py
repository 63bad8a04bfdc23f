"""Which English messages the catalogs must translate.

Strings passed to the translation helpers in the product's code, plus what the help and the dashboard show of a
module (its title, description, audit labels, panel titles and command summaries). The core's catalog
(`wolaro/locales/`) covers the platform's code; each module's own catalog (`ModuleSpec.locales`) covers its
package and its spec. `python -m wolaro.core.catalog [module]` lists them; `pybabel extract -F babel.cfg` finds the
same ones.

Only what users see is extracted:

- the sandbox (`wolaro/sandbox/`) is left out: its strings are Discord's side of the conversation, never shown by
  Wolaro;
- a message is the literal argument of a *call* of a helper (`ctx.answer("...")`, `t("...")`), read from the
  syntax tree. Babel's token-based `python` extractor also picks strings near a helper's name that is not called,
  so a local dict named `answer` (`answer["choices"]`) became three bogus messages; here it cannot.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from babel.messages.extract import extract_from_dir

from wolaro.core.registry import ModuleSpec, discover_specs, installed

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# helper name -> 1-based position of the message among its positional arguments (Babel keyword spec style):
# `ctx.t`, `ctx.answer`, `ctx.refuse`, `UserFacingError(...)` and the `t()` markers take it first;
# `translator.translate(language, message)` and `bot._reply(ctx, message)` second.
KEYWORDS: dict[str, int] = {"t": 1, "answer": 1, "refuse": 1, "UserFacingError": 1, "translate": 2, "_reply": 2}
# Babel method map, relative to PACKAGE_DIR (the first matching pattern wins). babel.cfg says the same.
METHOD_MAP: list[tuple[str, str]] = [
    ("sandbox/**", "ignore"),
    ("modules/**", "ignore"),  # each module's messages belong to its own catalog
    ("**.py", "wolaro.core.catalog:extract_user_messages"),
]
MODULE_METHOD_MAP: list[tuple[str, str]] = [
    ("migrations/**", "ignore"),
    ("**.py", "wolaro.core.catalog:extract_user_messages"),
]


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def find_user_messages(source: str | bytes, keywords: Mapping[str, int] = KEYWORDS) -> Iterator[tuple[int, str]]:
    """`(line, message)` for every string literal handed to a helper call in Python `source`, in source order.

    Only calls count: a variable, attribute or subscript that shares a helper's name is never a message, and
    neither is a message given as a variable or an f-string (those are marked where they are defined).
    """
    found: list[tuple[int, int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        position = keywords.get(_called_name(node.func) or "")
        if position is None or len(node.args) < position:
            continue
        argument = node.args[position - 1]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str) and argument.value:
            found.append((argument.lineno, argument.col_offset, argument.value))
    return ((line, message) for line, _, message in sorted(found))


def extract_user_messages(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[tuple[int, None, tuple[str], list[str]]]:
    """Babel extraction method (`babel.cfg`, `pybabel extract`): the messages of `find_user_messages`.

    Babel's own keyword list (`_`, `gettext`...) is not used: Wolaro's helpers are `KEYWORDS`, whichever tool runs.
    """
    for line, message in find_user_messages(fileobj.read()):
        yield line, None, (message,), []


def _extract(folder: Path, method_map: list[tuple[str, str]]) -> set[str]:
    found = extract_from_dir(str(folder), method_map=method_map, keywords={})
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def code_messages() -> set[str]:
    """Literal strings handed to `t`, `answer`, `refuse`, `_reply`, `translate` and `UserFacingError` by the core."""
    messages = _extract(PACKAGE_DIR, METHOD_MAP)
    # RateLimited passes it to UserFacingError.__init__ through super()
    messages |= {"Slow down: try again in {seconds:.1f} s."}
    return {m for m in messages if m}


def module_folder(name: str) -> Path:
    """The folder of a module's Python package (where its entry point lives)."""
    package = installed().sources[name]
    module = sys.modules.get(package) or importlib.import_module(package)
    return Path(next(iter(module.__path__)))


def spec_messages(spec: ModuleSpec) -> set[str]:
    """What the help and the dashboard show of a module: title, description, labels, panels, command summaries."""
    messages = {spec.display_title, spec.description, *spec.audit_labels.values()}
    messages |= {panel.title for panel in spec.panels}
    for cog in spec.cogs:
        messages |= {command.short_doc for command in cog.__cog_commands__}
    return {m for m in messages if m}


def module_messages(spec: ModuleSpec) -> set[str]:
    """Everything a module's own catalog must translate: its code's messages and its spec's."""
    return {m for m in _extract(module_folder(spec.name), MODULE_METHOD_MAP) if m} | spec_messages(spec)


def all_messages() -> set[str]:
    """Everything the catalogs together must translate (the core's and every installed module's)."""
    messages = code_messages()
    for spec in discover_specs().values():
        messages |= module_messages(spec)
    return messages


if __name__ == "__main__":
    wanted = sys.argv[1] if len(sys.argv) > 1 else None
    chosen = all_messages() if wanted is None else module_messages(discover_specs()[wanted])
    for message in sorted(chosen):
        print(message)
