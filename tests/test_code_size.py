"""No source file over 500 lines and no function over 60 (issue 10, item 7): a newcomer reads a room at a time.

Every file and function is under the limits: a new offender fails the test, named with its size in the message.
Split it into helpers with one job each rather than raising the limits.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "wolaro"
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60


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
    assert not found, "over the limits (split them): " + ", ".join(f"{n} ({s} lines)" for n, s in sorted(found.items()))
