"""The tickets' plain logic: custom ids, overwrites, inactivity steps, staff statistics, markdown, privacy scrub."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from wolaro.modules.tickets import transcript
from wolaro.modules.tickets.config import Config
from wolaro.modules.tickets.privacy import _scrub
from wolaro.modules.tickets.service import (
    READ_ONLY,
    SEND_MESSAGES,
    TALK,
    VIEW_CHANNEL,
    Access,
    Action,
    TicketTimes,
    channel_name,
    clean_name,
    custom_id,
    inactivity_step,
    may_unclaim,
    overwrites,
    parse_custom_id,
    staff_stats,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_custom_ids_round_trip_and_foreign_ones_are_ignored():
    assert custom_id("open", "help", "billing") == "tickets:open:help:billing"
    assert parse_custom_id("tickets:open:help:billing") == Action("open", ("help", "billing"))
    assert parse_custom_id("tickets:rate:12:5") == Action("rate", ("12", "5"))
    assert parse_custom_id("tickets:claim") == Action("claim", ())
    for foreign in ("giveaways:join", "tickets:open:<script>", "", "tickets:", "xtickets:claim"):
        assert parse_custom_id(foreign) is None


def test_overwrites_hide_the_channel_from_everyone_but_the_people_of_the_ticket():
    access = Access(guild_id=1, bot_id=9, opener_id=5, support_role_ids=[7], members=[6])
    found = {int(o["id"]): (o["type"], int(o["allow"]), int(o["deny"])) for o in overwrites(access)}
    assert found == {1: (0, 0, VIEW_CHANNEL), 7: (0, TALK, 0), 5: (1, TALK, 0), 6: (1, TALK, 0), 9: (1, TALK, 0)}


def test_a_claimed_ticket_can_be_hidden_from_other_staff_and_a_closed_one_is_read_only():
    hidden = Access(guild_id=1, bot_id=9, opener_id=5, support_role_ids=[7], claimed_by=8, hide_claimed=True)
    found = {int(o["id"]): (int(o["allow"]), int(o["deny"])) for o in overwrites(hidden)}
    assert found[7] == (0, VIEW_CHANNEL) and found[8] == (TALK, 0)
    closed = Access(guild_id=1, bot_id=9, opener_id=5, support_role_ids=[7], closed=True)
    found = {int(o["id"]): (int(o["allow"]), int(o["deny"])) for o in overwrites(closed)}
    assert found[5] == (READ_ONLY, SEND_MESSAGES) and found[7] == (TALK, 0)


def test_names():
    assert channel_name(7, "Zoé Smith!") == "ticket-0007-zo-smith"
    assert channel_name(12, "@@@") == "ticket-0012"
    assert clean_name("  Refund for Bob ") == "refund-for-bob"
    assert clean_name("!!!") == ""


@pytest.mark.parametrize(
    ("stage", "idle", "now", "expected"),
    [
        ("warn", 0, 10, ("wait", 50)),  # closes at 60, warns at 50
        ("warn", 0, 50, ("warn", 60)),
        ("warn", 0, 70, ("warn", 60)),  # past both (a restart): warn first, the close follows at once
        ("close", 0, 60, ("close", None)),
        ("close", 40, 60, ("wait", 90)),  # someone wrote at 40: wait for the new warning time
        ("close", 40, 95, ("wait", 100)),
    ],
)
def test_inactivity_steps(stage, idle, now, expected):
    at = lambda s: T0 + timedelta(seconds=s)  # noqa: E731
    step = inactivity_step(
        stage, idle_since=at(idle), now=at(now), after=timedelta(seconds=60), warning=timedelta(seconds=10)
    )
    assert (step.act, step.at) == (expected[0], at(expected[1]) if expected[1] is not None else None)


def test_inactivity_without_warning_closes_directly():
    step = inactivity_step(
        "warn", idle_since=T0, now=T0 + timedelta(seconds=61), after=timedelta(seconds=60), warning=None
    )
    assert step.act == "close"


def test_staff_stats_count_the_claimer_else_the_first_responder():
    def ticket(claimed, first_by, first_after, closed_after, rating=None):
        return TicketTimes(
            T0,
            claimed,
            None,
            T0 + timedelta(seconds=first_after) if first_by else None,
            first_by,
            T0 + timedelta(seconds=closed_after) if closed_after else None,
            rating,
        )

    stats = staff_stats([ticket(1, 2, 60, 600, 5), ticket(None, 1, 120, 1200, 3), ticket(1, 1, 30, None)])
    by_user = {s.user_id: s for s in stats}
    assert by_user[1].handled == 2 and by_user[1].resolution_seconds == 900 and by_user[1].rating == 4
    assert by_user[1].first_response_seconds == 75
    assert by_user[2].handled == 0 and by_user[2].first_response_seconds == 60
    assert [s.user_id for s in stats] == [1, 2]


def test_only_the_claimer_or_an_admin_unclaims():
    assert may_unclaim(claimed_by=1, user_id=1, is_admin=False)
    assert may_unclaim(claimed_by=1, user_id=2, is_admin=True)
    assert not may_unclaim(claimed_by=1, user_id=2, is_admin=False)
    assert not may_unclaim(claimed_by=None, user_id=1, is_admin=True)


def test_markdown_escapes_first_then_adds_fixed_tags():
    html = str(
        transcript.markdown("<img src=x onerror=alert(1)> **b** *i* `c` <@5> ||s|| ```\n<b>x</b>\n```", {5: "Ann"})
    )
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<strong>b</strong>" in html and "<em>i</em>" in html and "<code>c</code>" in html
    assert '<span class="mention">@Ann</span>' in html and '<span class="spoiler">s</span>' in html
    assert "<pre>&lt;b&gt;x&lt;/b&gt;\n</pre>" in html


def test_rendered_transcript_has_a_csp_and_no_script():
    doc = transcript.Transcript(
        guild="<b>G</b>",
        channel="c",
        number=1,
        category="Help",
        opener="a",
        opened_at="t",
        closed_at="t",
        closed_by="b",
        reason="<script>x</script>",
        messages=[
            transcript.Message(
                1,
                5,
                "<i>Eve</i>",
                False,
                None,
                "t",
                None,
                "</div><script>alert(1)</script>",
                [
                    {
                        "title": "<script>",
                        "description": None,
                        "colour": None,
                        "fields": [],
                        "footer": None,
                        "author": None,
                    }
                ],
                [],
            )
        ],
    )
    html = transcript.render_html(doc)
    assert "<script" not in html
    assert html.count("Content-Security-Policy") == 1
    assert "&lt;i&gt;Eve&lt;/i&gt;" in html


def test_erasing_a_person_from_a_transcript():
    doc = transcript.Transcript(
        guild="g",
        channel="c",
        number=1,
        category="k",
        opener="Eve (5)",
        opened_at="t",
        closed_at="t",
        closed_by="b",
        reason="",
        messages=[
            transcript.Message(
                1,
                5,
                "Eve",
                False,
                "data:",
                "t",
                None,
                "my address",
                [],
                [transcript.Attachment("id.png", 3, "image/png", "1/1-a/9-id.png", "data:")],
            ),
            transcript.Message(2, 6, "Bob", False, None, "t", None, "ok", [], []),
        ],
    )
    assert transcript.erase_person(doc, 5) == 1
    assert doc.messages[0].author == transcript.ERASED and doc.messages[0].content == ""
    assert doc.messages[0].attachments == [] and doc.opener == transcript.ERASED
    assert doc.messages[1].content == "ok"
    assert transcript.Transcript.from_json(doc.to_json()) == doc


def test_scrub_removes_a_person_from_json():
    assert _scrub([1, 2, "2"], 2) == [1]
    assert _scrub({"user_id": 2, "x": [2, 3]}, 2) == {"x": [3]}


def test_config_is_bounded_and_refuses_duplicates_and_bad_delays():
    config = Config.model_validate({"categories": [{"key": "billing", "name": "Billing"}], "autoclose_after": "2d"})
    assert config.delay("autoclose_after") == timedelta(days=2)
    with pytest.raises(ValidationError):
        Config.model_validate({"categories": [{"key": "a", "name": "A"}, {"key": "a", "name": "B"}]})
    with pytest.raises(ValidationError):
        Config.model_validate({"autoclose_after": "soon"})
    with pytest.raises(ValidationError):
        Config.model_validate({"categories": [{"key": "a", "name": "A", "questions": [{"label": "q"}] * 6}]})
