"""Which English messages the catalogs must translate.

Strings passed to the translation helpers in the code, plus what the help shows (module descriptions and command
summaries). `python -m wolaro.core.catalog` lists them.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from wolaro.core.registry import discover_specs, iter_module_packages

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# function name -> index of the message among its arguments (Babel keyword spec)
KEYWORDS = {"t": None, "translate": (2,), "answer": None, "refuse": None, "UserFacingError": None, "_reply": (2,)}


def code_messages() -> set[str]:
    """Literal strings handed to `t`, `answer`, `refuse`, `_reply`, `translate` and `UserFacingError`."""
    found = extract_from_dir(
        str(PACKAGE_DIR), method_map=[("**.py", "python")], keywords=KEYWORDS, strip_comment_tags=True
    )
    messages = {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}
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
