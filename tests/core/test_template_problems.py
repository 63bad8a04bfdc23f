"""A broken template is explained in our words (English and French), with its line: never Liquid's own text."""

from __future__ import annotations

import pytest

from wolaro.core.i18n import Translator
from wolaro.core.templates import TemplateError, render_template

CASES = [
    ("hi\n{% if x %}yes", "Line 2: a tag is not closed ({% if %} needs {% endif %})."),
    ("a\n{{ x ", "Line 2, character 1: a {{ … }} is not closed with }}."),
    ("{% endif %}", "Line 1, character 4: {% endif %} closes nothing (no {% if %} before it)."),
    ("{% foo %}", "Line 1, character 4: {% foo %} is not a tag templates can use."),
    ("x {{ 'a }}", "Line 1, character 6: a text in quotes is not closed."),
    ("{{ x | nofilter }}", "Line 1, character 8: there is no filter called nofilter."),
    (
        "{{ 1 | divided_by: 0 }}",
        "Line 1, character 8: a calculation is not possible (dividing by zero, or text used as a number).",
    ),
]
LIQUID_WORDS = ("expected", "unexpected", "found", "end of", "primitive", "expression")


@pytest.mark.parametrize(("source", "said"), CASES)
def test_each_problem_in_plain_words(source: str, said: str) -> None:
    with pytest.raises(TemplateError) as caught:
        render_template(source, {})
    error = caught.value
    assert error.message.format(**error.fields) == said
    french = Translator().translate("fr", error.message, **error.fields)
    assert french != said and french.startswith("Ligne ")
    assert not any(word in said for word in LIQUID_WORDS)
