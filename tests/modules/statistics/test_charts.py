"""The PNG charts of /stats and /top: days written in the server's language under the line charts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from wolaro.core.i18n import Translator, load_catalogs
from wolaro.modules.statistics import charts, views
from wolaro.modules.statistics.module import HERE

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator(load_catalogs(extra=[HERE / "locales"]))


def test_days_are_written_in_the_servers_language(translator: Translator) -> None:
    days = [date(2026, 11, 30), date(2026, 12, 1), date(2026, 1, 5), date(2026, 2, 14), date(2026, 8, 3)]
    french = views.day_labels(lambda m, **f: translator.translate("fr", m, **f), days)
    english = views.day_labels(lambda m, **f: translator.translate("en", m, **f), days)
    assert french == ["30 nov.", "1 déc.", "5 janv.", "14 févr.", "3 août"]
    assert english == ["Nov 30", "Dec 1", "Jan 5", "Feb 14", "Aug 3"]


def test_every_month_has_its_french_name(translator: Translator) -> None:
    names = [translator.translate("fr", month) for month in views.MONTHS]
    assert len(set(names)) == 12 and all(french != english for french, english in zip(names, views.MONTHS, strict=True))


def test_a_line_chart_over_many_days_and_over_one_day_is_a_png() -> None:
    days = [date(2026, 11, 6) + timedelta(days=i) for i in range(30)]
    labels = [f"{day.day} nov." for day in days]
    many = charts.line_chart("Messages par jour", days, [("Messages", list(range(30))), ("Actifs", [2] * 30)], labels)
    one = charts.line_chart("Messages par jour", days[:1], [("Messages", [5])], labels[:1])
    assert many.startswith(PNG) and one.startswith(PNG) and len(many) > len(one) > 1000
