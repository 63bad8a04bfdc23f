"""A broken answer is explained in our words, with its line, wherever the admin meets it: adding or importing a
command in chat, and "Try a template" (the preview API), in English and French; Liquid's own text never shows."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.web import env, sandbox, web_backend, web_settings, world
from wolaro.core.i18n import Translator
from wolaro.modules.customcommands import editing
from wolaro.sdk import UserFacingError

__all__ = ["env", "sandbox", "web_backend", "web_settings", "world"]

BROKEN = "Hello\n{% if user.name %}friend"
SAID = "Line 2: a tag is not closed ({% if %} needs {% endif %})."
SAID_FR = "Ligne 2 : une balise n'est pas fermée ({% if %} demande {% endif %})."


def test_adding_a_broken_command_in_chat_says_what_and_where() -> None:
    with pytest.raises(UserFacingError) as caught:
        editing.adding("hello", BROKEN, set())({"commands": []})
    error = caught.value
    assert error.msgid.format(**error.fields) == SAID
    assert Translator().translate("fr", error.msgid, **error.fields) == SAID_FR


def test_importing_a_broken_command_says_what_and_where() -> None:
    document = '{"version": 1, "commands": [{"name": "hi", "response": "{{ user.name "}]}'
    with pytest.raises(UserFacingError) as caught:
        editing.parse_import(document, set())
    error = caught.value
    assert error.msgid.format(**error.fields) == "Line 1, character 1: a {{ … }} is not closed with }}."


async def test_try_it_says_the_problem_in_the_admins_language(env: Any) -> None:
    owner = await env.as_user(env.world.owner_a)
    url = f"/api/guilds/{env.world.guild_a}/modules/customcommands/preview"
    english = (await owner.post(url, json={"template": BROKEN, "args": []})).json()
    assert english == {"ok": False, "text": SAID}
    french = (await owner.post(url, json={"template": BROKEN, "args": []}, headers={"accept-language": "fr"})).json()
    assert french == {"ok": False, "text": SAID_FR}
    for answer in (english, french):
        assert "expected" not in answer["text"] and "end of expression" not in answer["text"]
