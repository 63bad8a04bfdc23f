"""No source file over 500 lines and no function over 60 (issue 10, item 7): a newcomer reads a room at a time.

`STILL_TOO_BIG` lists what was over the limits when the check came in and is still to be split. It may only shrink:
the test fails when a listed item got back under the limits (take it off the list) as well as for any new
offender, with the list of offenders in the message.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "wolaro"
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60

#: Over the limits today, to be split (file, or file::function). Do not add to it: split the new offender.
STILL_TOO_BIG = frozenset(
    {
        "wolaro/core/bot.py",
        "wolaro/core/bot.py::on_command_error",
        "wolaro/jobs/worker.py::execute",
        "wolaro/sandbox/payloads.py::message",
        "wolaro/sandbox/rest_interactions.py::interaction_callback",
        "wolaro/sandbox/world.py::build_world",
        "wolaro/web/app.py::create_app",
    }
)


def oversized(folder: Path = SOURCE, base: Path = ROOT) -> dict[str, int]:
    """Every file over `MAX_FILE_LINES` and function over `MAX_FUNCTION_LINES` in `folder`, named from `base`."""
    found: dict[str, int] = {}
    for path in sorted(folder.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(base).as_posix()
        lines = len(text.splitlines())
        if lines > MAX_FILE_LINES:
            found[name] = lines
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found[f"{name}::{node.name}"] = max(length, found.get(f"{name}::{node.name}", 0))
    return found


def test_the_measure_finds_long_files_and_functions(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (tmp_path / "long_function.py").write_text(f"def long():\n{body}\n", encoding="utf-8")
    (tmp_path / "short.py").write_text("def short():\n    return 1\n", encoding="utf-8")
    (tmp_path / "long_file.py").write_text("\n".join(f"x{i} = {i}" for i in range(MAX_FILE_LINES + 1)), "utf-8")
    found = oversized(tmp_path, tmp_path)
    assert found == {"long_function.py::long": MAX_FUNCTION_LINES + 1, "long_file.py": MAX_FILE_LINES + 1}


def test_no_source_file_over_500_lines_and_no_function_over_60():
    found = oversized()
    new = {name: size for name, size in found.items() if name not in STILL_TOO_BIG}
    fixed = sorted(STILL_TOO_BIG - set(found))
    assert not new, "over the limits (split them): " + ", ".join(f"{n} ({s} lines)" for n, s in sorted(new.items()))
    assert not fixed, "back under the limits, take them off STILL_TOO_BIG: " + ", ".join(fixed)
