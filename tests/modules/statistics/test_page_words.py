"""Every word of the statistics dashboard page (its template, and the words it hands its script) is in the
module's French catalog, with the same `{placeholders}`; the script itself holds no English sentence of its own."""

from __future__ import annotations

import re
import string
from pathlib import Path

from wolaro.core.i18n import read_catalogs

MODULE = Path(__file__).resolve().parents[3] / "wolaro" / "modules" / "statistics"
TEMPLATE = MODULE / "templates" / "statistics.html"
SCRIPT = MODULE / "static" / "statistics.js"
CALL = re.compile(r"""\bt\((["'])(.+?)\1""")


def page_messages() -> set[str]:
    return {message for _, message in CALL.findall(TEMPLATE.read_text(encoding="utf-8"))}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_word_of_the_page_is_translated_to_french() -> None:
    messages = page_messages()
    assert {"Messages and active members per day", "Nothing counted yet", "{hours}h {minutes}m"} <= messages
    french = read_catalogs(MODULE / "locales")["fr"]
    missing = sorted(m for m in messages if m not in french)
    assert not missing, f"untranslated in the statistics catalog: {missing}"
    for message in messages:
        assert fields(french[message]) == fields(message), message


def test_the_script_shows_only_the_pages_words() -> None:
    """Strings in the script are ids, colours, paths or formats, never a sentence a person reads."""
    script = SCRIPT.read_text(encoding="utf-8")
    code = re.sub(r"//[^\n]*|/\*.*?\*/", "", script, flags=re.S)
    literals = re.findall(r'"([^"\\]*)"', code)
    sentences = [s for s in literals if s != "use strict" and re.search(r"[A-Za-z]{3,} [A-Za-z]{2,}", s)]
    assert sentences == [], sentences
    used = set(re.findall(r"\bwords\.(\w+)", code))
    handed = set(re.findall(r'^\s*"(\w+)": t\(', TEMPLATE.read_text(encoding="utf-8"), flags=re.M))
    assert used and used <= handed, used - handed
