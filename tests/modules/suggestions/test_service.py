"""Suggestion rules as plain values: the vote buttons' custom ids and the text kept."""

from __future__ import annotations

from wolaro.modules.suggestions import service
from wolaro.modules.suggestions.module import _text_of


def test_vote_custom_ids():
    assert service.parse_vote_custom_id(service.vote_custom_id(7, True)) == (7, True)
    assert service.parse_vote_custom_id(service.vote_custom_id(7, False)) == (7, False)
    for other in ("suggestions:maybe:7", "suggestions:up:x", "polls:vote:1:2", service.MODAL_ID):
        assert service.parse_vote_custom_id(other) is None


def test_the_forms_text_is_found_in_any_layout():
    row = [{"type": 1, "components": [{"type": 4, "custom_id": service.MODAL_TEXT_ID, "value": "more emojis"}]}]
    label = [{"type": 18, "component": {"type": 4, "custom_id": service.MODAL_TEXT_ID, "value": "a quiz"}}]
    assert _text_of(row) == "more emojis" and _text_of(label) == "a quiz" and _text_of([]) == ""
    assert service.clean("  two\\n\\nparagraphs  ") == "two\\n\\nparagraphs"
