"""The period option in the server's language: offered names, and what a typed name or key means."""

from __future__ import annotations

import pytest

from wolaro.core.i18n import Translator, load_catalogs
from wolaro.modules.statistics import periods
from wolaro.modules.statistics.module import HERE
from wolaro.modules.statistics.times import PERIODS
from wolaro.sdk import UserFacingError


@pytest.fixture(scope="module")
def french():
    translator = Translator(load_catalogs(extra=[HERE / "locales"]))
    return lambda message, **fields: translator.translate("fr", message, **fields)


def test_every_period_has_a_name():
    assert set(periods.NAMES) == set(PERIODS)


def test_names_are_offered_in_the_servers_language(french):
    assert periods.choices(french)[:2] == [("Aujourd'hui", "day"), ("7 derniers jours", "week")]
    assert [key for _, key in periods.choices(french, "derniers")] == ["week", "month", "quarter", "year"]
    assert periods.choices(french, "début") == [("Depuis le début", "all")]


def test_a_key_an_english_name_or_a_translated_name_is_read(french):
    assert periods.parse("month", french) == "month"
    assert periods.parse("Last 90 days", french) == "quarter"
    assert periods.parse("  30 DERNIERS jours ", french) == "month"
    with pytest.raises(UserFacingError) as refused:
        periods.parse("fortnight", french)
    assert refused.value.fields["choices"].startswith("Aujourd'hui, 7 derniers jours")
