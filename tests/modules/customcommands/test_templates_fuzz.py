"""Hostile templates, fuzzed: nothing reaches Python objects, every render ends within its budget, the loop stays free.

Templates are built by hypothesis from hostile pieces (attribute and dunder access, deep nesting, huge and nested
loops, output and memory bombs, includes of themselves) and random text. Every render must either return a text
within the output budget having used no more operations than allowed, or refuse with a `TemplateError`; no other
exception escapes, and no answer shows a Python object.
"""

from __future__ import annotations

import asyncio
import contextlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wolaro.core.templates import TemplateBudget, TemplateError, render_template_async, render_with_session
from wolaro.modules.customcommands import engine

BUDGET = TemplateBudget()
PYTHON_OBJECT = re.compile(r"<(class|function|built-in|module|bound method|method)\b|object at 0x|mappingproxy")

ATTRIBUTE_ACCESS = [
    "{{ user.__class__ }}",
    "{{ user.__class__.__mro__ }}",
    "{{ user.__dict__ }}",
    "{{ 'x'.__class__ }}",
    "{{ args.__len__ }}",
    "{{ user['__class__']['__subclasses__'] }}",
    "{{ guild.__init__.__globals__ }}",
    "{{ store.__class__.__base__ }}",
    "{{ forloop.__class__ }}",
    "{% for i in (1..2) %}{{ forloop.__dict__ }}{{ forloop.parentloop.__class__ }}{% endfor %}",
    "{{ self }}{{ context }}{{ env }}{{ globals }}{{ __builtins__ }}",
    "{{ user.mention | map: '__class__' }}",
    "{{ args | map: '__class__' | join }}",
    "{{ user | json }}",
    "{% assign c = user.__class__ %}{{ c.__name__ }}",
]
BOMBS = [
    "{% for i in (1..100000000) %}x{% endfor %}",
    "{% for a in (1..1000) %}{% for b in (1..1000) %}{% for c in (1..1000) %}{% endfor %}{% endfor %}{% endfor %}",
    "{% for a in (1..999) %}{% for b in (1..999) %}{{ a }}{% endfor %}{% endfor %}",
    "{% assign x = 'aaaaaaaaaaaaaaaa' %}{% for i in (1..64) %}{% assign x = x | append: x %}{% endfor %}{{ x }}",
    "{% assign x = 'ab' %}{% for i in (1..30) %}{% assign x = x | replace: '', x %}{% endfor %}",
    "{% assign n = 99 %}{% for i in (1..60) %}{% assign n = n | times: n %}{% endfor %}{{ n }}",
    "{% capture c %}{% for i in (1..1000) %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}{% endcapture %}{{ c }}",
    "{% for i in (1..1000) %}{% capture c %}{{ c }}{{ c }}x{% endcapture %}{% endfor %}",
    "{% tablerow i in (1..100000) %}{{ i }}{% endtablerow %}",
    "{% for i in (1..1000) %}{% cycle 'a', 'b', 'c' %}{% increment n %}{% endfor %}",
    "{{ 'x' | append: 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy' | replace: 'y', 'zzzzzzzzzzzzzzzzzzzzzz' }}",
    "{% liquid for i in (1..100000)\n echo i\n endfor %}",
    "{{ args | size | times: 99999999999999999999 | times: 99999999999999999999 }}",
]
INCLUDES = [
    "{% include 'self' %}",
    "{% render 'self' %}",
    "{% include 'x' for args %}",
    "{% render 'a' with user as u %}",
    "{% liquid include 'self' %}",
]
SAFE = ["{{ user.mention }}", "{{ args[0] }}", "{{ guild.name | upcase }}", "{{ store.visits | default: 0 }}", "hello "]


def nested(depth: int, inner: str) -> str:
    """`inner` inside `depth` if/for/unless blocks."""
    opens = ["{% if true %}", "{% for i in (1..3) %}", "{% unless false %}", "{% case 1 %}{% when 1 %}"]
    closes = ["{% endif %}", "{% endfor %}", "{% endunless %}", "{% endcase %}"]
    out = inner
    for level in range(depth):
        out = opens[level % 4] + out + closes[level % 4]
    return out


pieces = st.sampled_from(ATTRIBUTE_ACCESS + BOMBS + INCLUDES + SAFE) | st.text(max_size=40)
templates = st.one_of(
    st.lists(pieces, min_size=1, max_size=8).map("".join),
    st.builds(nested, st.integers(0, 300), st.sampled_from(ATTRIBUTE_ACCESS + BOMBS + INCLUDES + SAFE)),
    st.builds(lambda n: "{{" * n + "x" + "}}" * n, st.integers(1, 2000)),
    st.builds(lambda n: "{% if a %}" * n + "{% endif %}" * n, st.integers(1, 2000)),
)


def variables() -> dict[str, object]:
    person = engine.Person(42, "mallory", "Mallory", ("Member",))
    place = engine.Place(1, "Test guild", 7, 2, "general")
    return engine.variables(person, place, ["a", "{% raw %}"], {"visits": "3"})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=templates)
def test_hostile_templates_reach_no_python_object_and_stay_within_their_budget(source: str) -> None:
    try:
        text, session = render_with_session(source, variables(), BUDGET, extras={})
    except TemplateError as refused:
        assert refused.message and "{problem}" not in refused.message.format(**refused.fields)
        return
    assert len(text) <= BUDGET.max_output
    assert session.operations <= BUDGET.max_operations
    assert not PYTHON_OBJECT.search(text), text[:200]


@pytest.mark.parametrize("source", ATTRIBUTE_ACCESS)
def test_attribute_access_shows_nothing(source: str) -> None:
    try:
        text, _ = render_with_session(source, variables(), BUDGET)
    except TemplateError:
        return
    assert not PYTHON_OBJECT.search(text), text


@pytest.mark.parametrize("source", BOMBS + INCLUDES)
def test_bombs_and_includes_are_refused_or_bounded(source: str) -> None:
    try:
        text, session = render_with_session(source, variables(), BUDGET)
    except TemplateError:
        return
    assert len(text) <= BUDGET.max_output and session.operations <= BUDGET.max_operations


def test_includes_are_refused_with_a_clear_reason() -> None:
    for source in INCLUDES[:4]:
        with pytest.raises(TemplateError) as refused:
            render_with_session(source, variables(), BUDGET)
        assert refused.value.message == "Templates cannot include other templates."


async def test_the_event_loop_keeps_running_while_hostile_templates_render() -> None:
    """Renders run in worker threads: a coroutine standing for other guilds keeps getting turns meanwhile."""
    turns = 0
    stop = asyncio.Event()

    async def other_guilds() -> None:
        nonlocal turns
        while not stop.is_set():
            turns += 1
            await asyncio.sleep(0.001)

    async def hostile(source: str) -> None:
        with contextlib.suppress(TemplateError):
            await render_template_async(source, variables(), BUDGET)

    ticker = asyncio.create_task(other_guilds())
    await asyncio.gather(*(hostile(source) for source in BOMBS * 3))
    stop.set()
    await ticker
    assert turns > 0
