"""Welcome's texts and picture without Discord: placeholders only, hostile templates stay text; uploads checked."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from wolaro.modules.welcome import card, messages

NEWCOMER = messages.Newcomer(42, "zoe", "Zoé", "Cozy Cafe", 7, datetime(2020, 1, 1, tzinfo=UTC))


def test_placeholders_are_filled_and_unknown_ones_left_as_typed() -> None:
    values = messages.values_of(NEWCOMER)
    text = messages.fill("Hi {mention} ({user}, {display_name}) in {guild}: #{count}, since {created}. {nope}", values)
    assert text == "Hi <@42> (zoe, Zoé) in Cozy Cafe: #7, since <t:1577836800:R>. {nope}"


@given(st.text(max_size=300))
def test_any_template_stays_plain_text(template: str) -> None:
    hostile = template + "{user.__class__}{0}{user!r}{{guild}}{count:>99999}"
    out = messages.fill(hostile, messages.values_of(NEWCOMER))
    assert len(out) <= 2000
    assert "{user.__class__}" in out or len(template) + 20 > 2000  # attribute syntax is not a placeholder
    assert "<class" not in out


def png(width: int, height: int, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 20, 30)).save(out, fmt)
    return out.getvalue()


def test_a_background_is_checked_and_stored_as_a_card_sized_png() -> None:
    stored = card.normalise_background(png(1600, 900, "JPEG"))
    with Image.open(io.BytesIO(stored)) as image:
        assert (image.format, image.size) == ("PNG", (card.WIDTH, card.HEIGHT))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not a picture", "That file is not a picture I can read."),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "That file is not a picture I can read."),
        (b"x" * (card.UPLOAD_MAX_BYTES + 1), "The picture is too large: at most 500 KB."),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(card.BadImage) as refused:
        card.normalise_background(data)
    assert str(refused.value) == reason


def test_a_picture_with_too_many_pixels_is_refused_before_it_is_decoded() -> None:
    bomb = png(5000, 5000)  # tiny file, 25 megapixels
    assert len(bomb) < card.UPLOAD_MAX_BYTES
    with pytest.raises(card.BadImage) as refused:
        card.normalise_background(bomb)
    assert str(refused.value) == "The picture is too big: at most 4096 by 4096 pixels."


def test_the_card_is_a_png_with_or_without_avatar_and_background() -> None:
    text = card.CardText("Welcome to Cozy Cafe", "Zoé", "Member #7")
    for avatar, background in [
        (None, None),
        (png(128, 128), card.normalise_background(png(900, 300))),
        (b"junk", None),
    ]:
        with Image.open(io.BytesIO(card.render_card(text, avatar, background))) as image:
            assert (image.format, image.size) == ("PNG", (card.WIDTH, card.HEIGHT))
