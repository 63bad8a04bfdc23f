"""Per-guild language: gettext catalogs (`wolaro/locales/<lang>/LC_MESSAGES/messages.po`) read with Babel.

Every user-facing string is written in English in the code and passed through `Translator.translate`; the
catalog of the guild's language supplies the translation, English (the msgid) is the fallback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from wolaro.logging import get_logger

log = get_logger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DEFAULT_LANGUAGE = "en"


def load_catalogs(locales_dir: Path = LOCALES_DIR) -> dict[str, dict[str, str]]:
    """Every language's msgid -> msgstr table (untranslated and fuzzy entries left out)."""
    catalogs: dict[str, dict[str, str]] = {DEFAULT_LANGUAGE: {}}
    for po_path in sorted(locales_dir.glob("*/LC_MESSAGES/messages.po")):
        language = po_path.parent.parent.name
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        catalogs[language] = {
            str(message.id): str(message.string)
            for message in catalog
            if message.id and message.string and not message.fuzzy
        }
    return catalogs


class Translator:
    """Looks a message up in a language's catalog and fills in its `{named}` fields."""

    def __init__(self, catalogs: dict[str, dict[str, str]] | None = None) -> None:
        self.catalogs = catalogs if catalogs is not None else load_catalogs()

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
