"""A refused value reaches the dashboard as our sentence, in the person's language, at its own field: never
pydantic's own text ("Input should be a valid integer..."), and every refused field at once, for every installed
module's settings (new ones included) and for requests the API cannot read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tests.support.web import Env
from wolaro.core.config_errors import MESSAGES
from wolaro.core.registry import discover_specs

SPECS = discover_specs()
#: What pydantic (or Python) says when it speaks for itself: none of it may reach a person.
PYDANTIC_TEXT = re.compile(
    r"Input should|Value error|validation error|Field required|unable to parse|type=|pydantic|Extra inputs|"
    r"Assertion failed|should have at (most|least)|String should|List should|Dictionary should",
    re.IGNORECASE,
)


def _bad_values(schema: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """For each setting, a value of the wrong kind (text for a number, a number for text...)."""
    for name, node in schema.get("properties", {}).items():
        kinds = {node.get("type")} | {sub.get("type") for sub in node.get("anyOf", [])}
        if kinds & {"integer", "number"}:
            yield name, "ten"
        elif "boolean" in kinds:
            yield name, "maybe"
        elif "array" in kinds:
            yield name, "not a list"
        else:
            yield name, {"unexpected": ["shape"]}


async def test_refused_values_reach_the_page_as_our_sentences_in_the_persons_language(env: Env) -> None:
    guild = env.world.guild_a
    client = await env.as_user(env.world.owner_a)
    for name, spec in SPECS.items():
        bad = dict(_bad_values(spec.config.model_json_schema()))
        if not bad:
            continue
        for language in ("en", "fr"):
            resp = await client.patch(
                f"/api/guilds/{guild}/modules/{name}", json=bad, headers={"Accept-Language": language}
            )
            assert resp.status_code == 422, (name, resp.text)
            body = resp.json()
            messages = [error["message"] for error in body["errors"]] + [d["msg"] for d in body["detail"]]
            assert messages and not [m for m in messages if PYDANTIC_TEXT.search(m)], (name, language, messages)
            # every refused setting is named, not only the first
            assert {e["field"].split(".")[0] for e in body["errors"]} == set(bad), (name, body["errors"])
            if language == "fr":
                assert not set(messages) & set(MESSAGES.values()), (name, messages)


async def test_an_unreadable_request_is_answered_in_words_too(env: Env) -> None:
    guild = env.world.guild_a
    client = await env.as_user(env.world.owner_a)
    resp = await client.patch(
        f"/api/guilds/{guild}/settings", json={"prefix": ["no"]}, headers={"Accept-Language": "fr-FR,fr;q=0.9"}
    )
    assert resp.status_code == 422
    body = resp.json()
    assert body["field"] == "prefix" and not PYDANTIC_TEXT.search(body["message"]), body
    assert body["message"] == "Saisissez du texte."
