"""The PNG charts of /stats and /top, and the embeds beside them: days and figures written in the server's language."""

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


def test_figures_are_written_the_french_way(translator: Translator) -> None:
    def french(message: str, /, **fields: object) -> str:
        return translator.translate("fr", message, **fields)

    board = [{"rank": 1, "user_id": "7", "value": 73_512}, {"rank": 2, "user_id": "8", "value": 36_125}]
    draw, (title, names, hours, shown, language) = views.top_chart(french, "fr", "voice", board, {"7": "Ana"})
    assert (title, names, hours, language) == ("Temps vocal (heures)", ["Ana", "8"], [20.42, 10.03], "fr")
    assert shown == ["20,42\u00a0h", "10,03\u00a0h"] and draw(title, names, hours, shown, language).startswith(PNG)
    english = views.top_chart(views.english, "en", "voice", board, {})[1][3]
    assert english == ["20.42h", "10.03h"]
    assert views.voice_time(36_125, french, "fr") == "10\u00a0h 02\u00a0min"
    assert views.voice_time(61, french, "fr") == "1\u00a0min 01\u00a0s"
    assert views.voice_time(3_600_000, french, "fr") == "1\u202f000\u00a0h 00\u00a0min"
    result = {
        "messages": 12_345,
        "voice_seconds": 0,
        "active_members": 4,
        "joins": 1_002,
        "leaves": 0,
        "online": {"peak": 9, "average": 4.5},
        "top_channels": [{"channel_id": "5", "messages": 12_000}],
        "days": [],
    }
    embed = views.server_embed(french, "fr", "Serveur", "week", result)
    fields = {field.name: field.value for field in embed.fields}
    assert fields["Messages"] == "12\u202f345" and fields["Arrivées"] == "1\u202f002"
    assert fields["Membres en ligne"] == "9 au plus, 4,5 en moyenne"
    assert fields["Salons les plus actifs"] == "<#5> · 12\u202f000"
