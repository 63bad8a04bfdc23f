"""The new modules speak French the way the rest of Wolaro does: people are addressed as "vous", never "tu", and
a few wordings that read as machine translation are gone (issue: French polish of tickets ... customcommands)."""

from __future__ import annotations

import re

import pytest

from wolaro.core.i18n import read_catalogs
from wolaro.core.registry import discover_specs

MODULES = (
    "tickets",
    "giveaways",
    "polls",
    "starboard",
    "suggestions",
    "fun",
    "welcome",
    "rolemenus",
    "customcommands",
    "economy",
    "statistics",
    "leveling",
)
INFORMAL = re.compile(r"(?<![\w'’-])(tu|toi|te|tes|ton|ta)(?![\w'’-])", re.IGNORECASE)
STILTED = ("le maximum permis", "Comment nous sommes-nous débrouillés", "avec toi ", "ne répond rien", "un embed")


@pytest.mark.parametrize("name", MODULES)
def test_french_says_vous_and_reads_naturally(name: str) -> None:
    spec = discover_specs()[name]
    assert spec.locales is not None
    french = read_catalogs(spec.locales)["fr"]
    informal = {msgid: text for msgid, text in french.items() if INFORMAL.search(text)}
    assert not informal, f"{name} says 'tu' where Wolaro says 'vous': {informal}"
    stilted = {msgid: text for msgid, text in french.items() if any(s in text for s in STILTED)}
    assert not stilted, f"{name}: {stilted}"
