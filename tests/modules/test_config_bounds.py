"""Every input is bounded: each module's `Config` schema (and the API's request bodies) sets a limit on every list,
string and free-form object, so a guild cannot store a million ids or a 5 MB word, and a new module cannot forget.

The limits are read from the JSON schema, the same one the dashboard's settings form is built from.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from wolaro.core.registry import ModuleSpec, discover_specs
from wolaro.core.snowflake import SNOWFLAKE_MAX, SnowflakeId, parse_snowflake
from wolaro.web import schemas

SPECS = discover_specs()

#: Request bodies of the REST API that are pydantic models (module configs are walked per module).
REQUEST_MODELS: list[type[BaseModel]] = [schemas.SettingsPatch, schemas.EnabledIn, schemas.BlacklistIn]


def unbounded(schema: dict[str, Any]) -> list[str]:
    """Paths (`Config.field.items`) of every array, string or open object in `schema` that has no maximum size."""
    defs: dict[str, Any] = schema.get("$defs", {})
    problems: list[str] = []
    for path, node in _walk(schema, schema.get("title", "schema")):
        problems.extend(f"{path}: {problem}" for problem in _problems(node))
    for name, node in defs.items():
        for path, sub in _walk(node, name):
            problems.extend(f"{path}: {problem}" for problem in _problems(sub))
    return problems


def _walk(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(node, dict):
        return
    yield path, node
    for key, sub in node.get("properties", {}).items():
        yield from _walk(sub, f"{path}.{key}")
    for keyword in ("items", "additionalProperties", "not"):
        if isinstance(node.get(keyword), dict):
            yield from _walk(node[keyword], f"{path}.{keyword}")
    for keyword in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for index, sub in enumerate(node.get(keyword, [])):
            yield from _walk(sub, f"{path}.{keyword}[{index}]")


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()


def _problems(node: dict[str, Any]) -> list[str]:
    if "enum" in node or "const" in node:
        return []  # a fixed set of values is bounded
    found = []
    kinds = _types(node)
    if "array" in kinds and "maxItems" not in node and "prefixItems" not in node:
        found.append("list without maxItems")
    if "string" in kinds and "maxLength" not in node:
        found.append("string without maxLength")
    if "object" in kinds and node.get("additionalProperties") not in (None, False) and "maxProperties" not in node:
        found.append("open object without maxProperties")
    if "type" not in node and not any(k in node for k in ("$ref", "anyOf", "oneOf", "allOf", "not")):
        found.append("any value (no type): nothing bounds it")
    return found


def _module_params() -> list[Any]:
    return [pytest.param(spec, id=name) for name, spec in SPECS.items()]


@pytest.mark.parametrize("spec", _module_params())
def test_every_module_config_bounds_its_lists_and_strings(spec: ModuleSpec) -> None:
    problems = unbounded(spec.config.model_json_schema())
    assert not problems, f"module {spec.name}: unbounded inputs:\n" + "\n".join(problems)


@pytest.mark.parametrize("model", REQUEST_MODELS, ids=lambda m: m.__name__)
def test_every_request_body_bounds_its_strings(model: type[BaseModel]) -> None:
    problems = unbounded(model.model_json_schema())
    assert not problems, "\n".join(problems)


def test_the_walker_finds_what_it_must() -> None:
    class Loose(BaseModel):
        words: list[str]
        name: str
        extra: dict[str, int]
        anything: Any = None

    assert sorted(unbounded(Loose.model_json_schema())) == [
        "Loose.anything: any value (no type): nothing bounds it",
        "Loose.extra: open object without maxProperties",
        "Loose.name: string without maxLength",
        "Loose.words.items: string without maxLength",
        "Loose.words: list without maxItems",
    ]


@pytest.mark.parametrize("spec", _module_params())
def test_a_huge_list_or_word_is_refused_by_every_module(spec: ModuleSpec) -> None:
    """Feeding 10,000 items to each list and a 100,000-character text to each string is refused (422 material)."""
    fields = spec.config.model_fields
    schema = spec.config.model_json_schema()
    for name, prop in schema.get("properties", {}).items():
        kinds = _types(prop) | {t for sub in prop.get("anyOf", []) for t in _types(sub)}
        if "array" in kinds:
            huge: Any = [1] * 10_000
        elif "string" in kinds and "enum" not in prop and "$ref" not in prop:
            huge = "x" * 100_000
        else:
            continue
        with pytest.raises(ValidationError) as refused:
            spec.config.model_validate({name: huge})
        assert refused.value.errors()[0]["loc"][0] == name, fields[name]


def test_snowflake_bounds() -> None:
    from pydantic import TypeAdapter

    ids = TypeAdapter(SnowflakeId)
    assert ids.validate_python("123456789012345678") == 123456789012345678
    assert ids.validate_python(SNOWFLAKE_MAX) == SNOWFLAKE_MAX
    for bad in (0, -5, SNOWFLAKE_MAX + 1, "99999999999999999999", True, 1.5, "abc"):
        with pytest.raises(ValidationError):
            ids.validate_python(bad)
    assert ids.json_schema() == {"type": "integer", "minimum": 1, "maximum": SNOWFLAKE_MAX}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("123456789012345678", 123456789012345678),
        (" <@!42> ", 42),
        ("<#7>", 7),
        ("<@&9>", 9),
        (str(SNOWFLAKE_MAX), SNOWFLAKE_MAX),
    ],
)
def test_parse_snowflake_accepts_ids_and_mentions(text: str, expected: int) -> None:
    assert parse_snowflake(text) == expected


@pytest.mark.parametrize(
    "text", ["", "0", "-1", "abc", "1.5", "12 34", "9" * 20, str(SNOWFLAKE_MAX + 1), "١٢٣", "9" * 5000]
)
def test_parse_snowflake_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError):
        parse_snowflake(text)


def test_chat_ids_and_case_numbers_are_bounded() -> None:
    """A server id typed to an admin command, or a case number, cannot overflow the database (64-bit) column."""

    from wolaro.core.errors import UserFacingError
    from wolaro.modules.admin.module import _guild_id
    from wolaro.modules.moderation.converters import CaseNumber

    assert _guild_id("123456789012345678") == 123456789012345678
    for bad in ("9" * 20, "9" * 21, "0" * 17, "abc"):
        with pytest.raises(UserFacingError):
            _guild_id(bad)
    case_number: Any = CaseNumber  # a `commands.Range`: discord.py refuses numbers outside it, in chat and slash
    assert (case_number.min, case_number.max) == (1, 2**31 - 1)
