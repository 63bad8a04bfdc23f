"""Per-guild language: gettext catalogs (`<locales>/<lang>/LC_MESSAGES/messages.po`) read with Babel.

Every user-facing string is written in English in the code and passed through `Translator.translate`; the
catalog of the guild's language supplies the translation, English (the msgid) is the fallback. The core's catalog
(`wolaro/locales/`) holds the platform's strings; each installed module brings its own (`ModuleSpec.locales`), and
one language's catalogs are merged into one table.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from babel.core import UnknownLocaleError
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from wolaro.logging import get_logger

log = get_logger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DEFAULT_LANGUAGE = "en"


def read_catalogs(locales_dir: Path) -> dict[str, dict[str, str]]:
    """One locales folder's msgid -> msgstr table per language (untranslated and fuzzy entries left out)."""
    catalogs: dict[str, dict[str, str]] = {}
    for po_path in sorted(Path(locales_dir).glob("*/LC_MESSAGES/messages.po")):
        language = po_path.parent.parent.name
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        catalogs[language] = {
            str(message.id): str(message.string)
            for message in catalog
            if message.id and message.string and not message.fuzzy
        }
    return catalogs


def load_catalogs(locales_dir: Path = LOCALES_DIR, extra: Sequence[Path] = ()) -> dict[str, dict[str, str]]:
    """Every language's msgid -> msgstr table: the core's catalog merged with the modules' (`extra`) folders."""
    catalogs: dict[str, dict[str, str]] = {DEFAULT_LANGUAGE: {}}
    for folder in (locales_dir, *extra):
        for language, table in read_catalogs(folder).items():
            catalogs.setdefault(language, {}).update(table)
    return catalogs


class Translator:
    """Looks a message up in a language's catalog and fills in its `{named}` fields."""

    def __init__(self, catalogs: dict[str, dict[str, str]] | None = None) -> None:
        if catalogs is None:  # the core's catalog and every installed module's
            from wolaro.core.registry import discover_specs, locale_folders

            catalogs = load_catalogs(extra=locale_folders(discover_specs()))
        self.catalogs = catalogs

    @property
    def languages(self) -> list[str]:
        """Languages with a catalog."""
        return sorted(self.catalogs)

    def translate(self, language: str, message: str, /, **fields: Any) -> str:
        """`message` in `language` (English when untranslated), with `fields` substituted."""
        text = self.catalogs.get(language, {}).get(message, message)
        if not fields:
            return text
        try:
            return text.format(**fields)
        except (KeyError, IndexError, ValueError):
            log.warning("translation has bad fields; using English", language=language, msgid=message)
            return message.format(**fields)


def format_number(value: float, language: str, *, decimals: int = 0) -> str:
    """`value` written as `language` writes numbers: `12,345.5` in English, `12 345,5` in French (Babel's CLDR data).

    At most `decimals` digits after the separator, none for a whole number; a language Babel does not know is
    written the English way.
    """
    pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "")
    try:
        return format_decimal(value, format=pattern, locale=language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return format_decimal(value, format=pattern, locale=DEFAULT_LANGUAGE)
