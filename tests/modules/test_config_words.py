"""Words for server owners: every installed module's settings have a human title and help, in English and French,
and a refused value reaches the dashboard as our sentence in the person's language, never pydantic's own text.

Walks every installed module (new ones included), so a module cannot ship a field named only by its code.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from wolaro.core.config_errors import MESSAGES, PERCENT_MESSAGES
from wolaro.core.config_ui import config_texts
from wolaro.core.i18n import read_catalogs
from wolaro.core.registry import ModuleSpec, discover_specs

SPECS = discover_specs()
#: What pydantic (or Python) says when it speaks for itself: none of it may reach a person.
PYDANTIC_TEXT = re.compile(
    r"Input should|Value error|validation error|Field required|unable to parse|type=|pydantic|Extra inputs|"
    r"Assertion failed|should have at (most|least)|String should|List should|Dictionary should",
    re.IGNORECASE,
)
CODE_WORDS = re.compile(r"\b[a-z]+_[a-z_]+\b")  # a field name (snake_case) inside a label or help text


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _models(argument)


def fields_of(model: type[BaseModel], path: str, seen: set[type[BaseModel]]) -> Iterator[tuple[str, Any]]:
    """(path, FieldInfo) of every field of `model` and of the models inside it."""
    for name, info in model.model_fields.items():
        yield f"{path}.{name}", info
        for inner in _models(info.annotation):
            if inner not in seen:
                seen.add(inner)
                yield from fields_of(inner, f"{path}.{name}", seen)


def _params() -> list[Any]:
    return [pytest.param(spec, id=name) for name, spec in SPECS.items()]


@pytest.mark.parametrize("spec", _params())
def test_every_setting_has_a_human_title_and_help(spec: ModuleSpec) -> None:
    problems = []
    for path, info in fields_of(spec.config, spec.name, set()):
        if not (info.title and info.title.strip()):
            problems.append(f"{path}: no title (Field(title=...))")
        if not (info.description and info.description.strip()):
            problems.append(f"{path}: no description (Field(description=...))")
        for text in (info.title or "", info.description or ""):
            words = re.sub(r"\{[a-z_]+\}", "", text)  # a template's {placeholders} are for people to type
            if CODE_WORDS.search(words) or "`" in text or text.lstrip().startswith(("[", "{")):
                problems.append(f"{path}: names code or shows JSON: {text!r}")
    assert not problems, f"module {spec.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("spec", _params())
def test_every_setting_title_and_help_is_translated_to_french(spec: ModuleSpec) -> None:
    french = read_catalogs(spec.locales).get("fr", {}) if spec.locales else {}
    missing = sorted(text for text in config_texts(spec.config.model_json_schema()) if text not in french)
    assert not missing, f"module {spec.name}: no French for:\n" + "\n".join(missing)


def test_every_sentence_for_a_refused_value_is_translated_to_french() -> None:
    french = read_catalogs(__import__("wolaro.core.i18n", fromlist=["LOCALES_DIR"]).LOCALES_DIR).get("fr", {})
    assert sorted((set(MESSAGES.values()) | set(PERCENT_MESSAGES.values())) - set(french)) == []
