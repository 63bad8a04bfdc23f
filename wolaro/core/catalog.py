"""Which English messages the catalogs must translate.

Strings passed to the translation helpers in the product's code, plus what the help shows (module descriptions and
command summaries). `python -m wolaro.core.catalog` lists them; `pybabel extract -F babel.cfg` finds the same ones.

Only what users see is extracted:

- the sandbox (`wolaro/sandbox/`) is left out: its strings are Discord's side of the conversation, never shown by
  Wolaro;
- a message is the literal argument of a *call* of a helper (`ctx.answer("...")`, `t("...")`), read from the
  syntax tree. Babel's token-based `python` extractor also picks strings near a helper's name that is not called,
  so a local dict named `answer` (`answer["choices"]`) became three bogus messages; here it cannot.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from babel.messages.extract import extract_from_dir

from wolaro.core.registry import discover_specs, iter_module_packages

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# helper name -> 1-based position of the message among its positional arguments (Babel keyword spec style):
# `ctx.t`, `ctx.answer`, `ctx.refuse`, `UserFacingError(...)` and the `t()` markers take it first;
# `translator.translate(language, message)` and `bot._reply(ctx, message)` second.
KEYWORDS: dict[str, int] = {"t": 1, "answer": 1, "refuse": 1, "UserFacingError": 1, "translate": 2, "_reply": 2}
# Babel method map, relative to PACKAGE_DIR (the first matching pattern wins). babel.cfg says the same.
METHOD_MAP: list[tuple[str, str]] = [
    ("sandbox/**", "ignore"),
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


def code_messages() -> set[str]:
    """Literal strings handed to `t`, `answer`, `refuse`, `_reply`, `translate` and `UserFacingError`."""
    found = extract_from_dir(str(PACKAGE_DIR), method_map=METHOD_MAP, keywords={})
    messages = {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}
    # RateLimited passes it to UserFacingError.__init__ through super()
    messages |= {"Slow down: try again in {seconds:.1f} s."}
    return {m for m in messages if m}


def help_messages() -> set[str]:
    """Module descriptions and the first line of every command's docstring."""
    from wolaro.core.loader import module_class

    messages = {spec.description for spec in discover_specs().values()}
    for package in iter_module_packages():
        for command in module_class(package).__cog_commands__:
            messages.add(command.short_doc)
    return {m for m in messages if m}


def all_messages() -> set[str]:
    """Everything a catalog must translate."""
    return code_messages() | help_messages()


if __name__ == "__main__":
    for message in sorted(all_messages()):
        print(message)
