import re
import string

import pytest

from wolaro.core.catalog import all_messages
from wolaro.core.i18n import Translator, load_catalogs


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_french_catalog_covers_every_user_facing_message():
    french = load_catalogs()["fr"]
    missing = sorted(m for m in all_messages() if m not in french)
    assert not missing, f"untranslated in fr: {missing}"


def test_translations_keep_their_placeholders():
    for language, catalog in load_catalogs().items():
        for msgid, msgstr in catalog.items():
            assert fields(msgid) == fields(msgstr), (language, msgid)


def test_translate_falls_back_to_english_and_formats():
    translator = Translator({"en": {}, "fr": {"Hello {name}": "Bonjour {name}"}})
    assert translator.translate("fr", "Hello {name}", name="Ada") == "Bonjour Ada"
    assert translator.translate("de", "Hello {name}", name="Ada") == "Hello Ada"
    assert translator.translate("en", "Plain") == "Plain"


def test_broken_translation_falls_back_to_english():
    translator = Translator({"fr": {"Hi {name}": "Salut {nom}"}})
    assert translator.translate("fr", "Hi {name}", name="Ada") == "Hi Ada"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_catalogs_load(language):
    assert language in Translator().languages


def test_no_user_facing_send_bypasses_translation():
    """A literal string sent straight to Discord would skip the catalog: sends go through ctx.t/answer/refuse."""
    import pathlib

    offenders = []
    for path in pathlib.Path("wolaro/modules").rglob("module.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\.send\(\s*['\"]", line):
                offenders.append(f"{path}:{number}")
    assert not offenders
