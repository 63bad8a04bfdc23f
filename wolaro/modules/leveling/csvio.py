"""CSV import and export of levels, so members moving from another bot bring their levels (plain functions).

An import file has a header row naming a `user_id` column and an `xp` or a `level` column (MEE6, Arcane and most
bots export one of them); levels are turned into the XP that level takes on this server's curve.
"""

from __future__ import annotations

import csv
import io

from wolaro.modules.leveling.curves import CurveSpec, level_for_xp, total_for_level
from wolaro.modules.leveling.store import XP_MAX

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 50_000
USER_COLUMNS = ("user_id", "userid", "id", "user", "member_id")
SNOWFLAKE_MAX = 2**63 - 1


class ImportProblem(Exception):
    """Why a file cannot be imported, in words for a server owner (an English msgid and its values)."""

    def __init__(self, message: str, *, line: int = 0, limit: int = 0) -> None:
        super().__init__(message)
        self.message, self.line, self.limit = message, line, limit


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [name.strip().lower() for name in header]
    return next((lowered.index(name) for name in names if name in lowered), None)


def _whole(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 20 else None


def parse_levels(raw: bytes, curve: CurveSpec) -> list[tuple[int, int]]:
    """(member id, xp) of each row; raises `ImportProblem` for a file that cannot be read as a whole."""
    if len(raw) > MAX_BYTES:
        raise ImportProblem("The file is too big: at most {limit} MB.", limit=MAX_BYTES // (1024 * 1024))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportProblem("The file is not text (save it as CSV, UTF-8).") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ImportProblem("The file is empty.")
    header, body = rows[0], rows[1:]
    user_col = _column(header, USER_COLUMNS)
    xp_col, level_col = _column(header, ("xp", "exp", "experience")), _column(header, ("level", "lvl"))
    if user_col is None or (xp_col is None and level_col is None):
        raise ImportProblem("The first line must name the columns: user_id, and xp or level.")
    if len(body) > MAX_ROWS:
        raise ImportProblem("The file has too many rows: at most {limit}.", limit=MAX_ROWS)
    found: dict[int, int] = {}
    for number, row in enumerate(body, start=2):
        if not any(cell.strip() for cell in row):
            continue
        found_user, xp = _row(row, user_col, xp_col, level_col, curve)
        if found_user is None or xp is None:
            raise ImportProblem("Line {line} is not a member id and a whole number of XP or a level.", line=number)
        found[found_user] = xp
    return list(found.items())


def _row(
    row: list[str], user_col: int, xp_col: int | None, level_col: int | None, curve: CurveSpec
) -> tuple[int | None, int | None]:
    user = _whole(row[user_col]) if user_col < len(row) else None
    if user is None or not 0 < user <= SNOWFLAKE_MAX:
        return None, None
    if xp_col is not None and xp_col < len(row) and row[xp_col].strip():
        xp = _whole(row[xp_col])
        return user, None if xp is None else min(xp, XP_MAX)
    if level_col is not None and level_col < len(row):
        level = _whole(row[level_col])
        return user, None if level is None else total_for_level(level, curve)
    return user, None


def export_levels(totals: list[tuple[int, int]], curve: CurveSpec) -> bytes:
    """`user_id,level,xp` rows, most XP first (the file an import reads back)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["user_id", "level", "xp"])
    for user, xp in totals:
        writer.writerow([user, level_for_xp(xp, curve), xp])
    return out.getvalue().encode()
