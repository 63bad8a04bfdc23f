import pathlib
import re
import string

import pytest

from wolaro.core.catalog import code_messages, find_user_messages, module_messages
from wolaro.core.i18n import LOCALES_DIR, Translator, format_number, load_catalogs, read_catalogs
from wolaro.core.registry import discover_specs

SPECS = discover_specs()


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_cores_french_catalog_covers_the_cores_messages():
    french = read_catalogs(LOCALES_DIR)["fr"]
    missing = sorted(m for m in code_messages() if m not in french)
    assert not missing, f"untranslated in wolaro/locales/fr: {missing}"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_each_modules_own_french_catalog_covers_its_messages(name):
    """A module's strings (code, title, description, audit labels, command help) are in its own catalog."""
    spec = SPECS[name]
    assert spec.locales is not None, f"{name} declares no locales folder"
    french = read_catalogs(spec.locales).get("fr", {})
    missing = sorted(m for m in module_messages(spec) if m not in french)
    assert not missing, f"untranslated in {spec.locales}/fr: {missing}"


def test_the_translator_merges_the_core_and_every_module_catalog():
    french = Translator().catalogs["fr"]
    for spec in SPECS.values():
        assert spec.locales is not None
        assert (
            read_catalogs(spec.locales).get("fr", {}).items()
            <= french.items() | read_catalogs(LOCALES_DIR)["fr"].items()
        )
    assert french["Member warned"] == "Membre averti"  # a moderation audit label, from its own catalog


def test_modules_strings_left_the_core_catalog():
    core = read_catalogs(LOCALES_DIR)["fr"]
    assert "Member warned" not in core and "Raid mode started" not in core


def test_translations_keep_their_placeholders():
    for language, catalog in load_catalogs(extra=[s.locales for s in SPECS.values() if s.locales]).items():
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


SANDBOX_LIKE_SOURCE = """
async def respond(ctx, sb, record, kind):
    answer: dict = {"interaction": {"id": str(record.id), "type": 2}}
    answer["interaction"].update(response_message_id=1)
    answer["resource"] = {"type": kind}
    reply = await sb.wait_for_interaction_response(record)
    choices = list(reply["choices"] or [])
    t = len(choices)
    translate = dict(t=t)
    await ctx.answer("Saved {count} choices.", count=t)
    await ctx.refuse(f"not {kind}")
    raise UserFacingError("You cannot do that here.")
    return bot._reply(ctx, "Done.") or translator.translate(language, "Hello")
"""


def test_a_variable_named_like_a_helper_is_never_a_message():
    """Issue 8: a local dict called `answer` made 'interaction', 'resourcetype' and 'choices' catalog messages."""
    found = [message for _, message in find_user_messages(SANDBOX_LIKE_SOURCE)]
    assert found == ["Saved {count} choices.", "You cannot do that here.", "Done.", "Hello"]


def test_the_catalog_holds_only_the_products_messages():
    messages = code_messages()
    assert not {"interaction", "resourcetype", "choices"} & messages
    assert "You cannot do that here." not in messages  # from the sample above, not the code
    assert "Slow down: try again in {seconds:.1f} s." in messages
    # exactly the helper calls of the platform's code: nothing from the sandbox (Discord's side), and the modules'
    # messages are in their own catalogs
    product = {
        message
        for path in pathlib.Path("wolaro").rglob("*.py")
        if "sandbox" not in path.parts and "modules" not in path.parts
        for _, message in find_user_messages(path.read_bytes())
    }
    assert messages == product | {"Slow down: try again in {seconds:.1f} s."}


def test_pybabel_with_babel_cfg_extracts_the_same_messages(tmp_path):
    """`pybabel extract -F babel.cfg` (what a translator runs) agrees with the catalog test's list."""
    import subprocess
    import sys

    from babel.messages.pofile import read_po

    pot = tmp_path / "messages.pot"
    result = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg", "-o", str(pot), "."],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with pot.open("rb") as handle:
        extracted = {str(message.id) for message in read_po(handle) if message.id}
    assert extracted == code_messages() - {"Slow down: try again in {seconds:.1f} s."}


def test_numbers_are_written_as_the_language_writes_them():
    assert format_number(12345, "en") == "12,345" and format_number(12345, "fr") == "12\u202f345"
    assert format_number(20.4, "fr", decimals=1) == "20,4" and format_number(20.42, "en", decimals=2) == "20.42"
    assert format_number(3.0, "fr", decimals=2) == "3" and format_number(2.46, "en", decimals=1) == "2.5"
    assert format_number(1234.5, "pt-BR", decimals=1) == "1.234,5"
    assert format_number(1234.5, "xx", decimals=1) == "1,234.5"  # a language Babel does not know: English
