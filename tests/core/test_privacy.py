"""The privacy helpers that take a person's id out of what others wrote."""

from __future__ import annotations

from wolaro.core.privacy import ERASED_USER_ID, scrub_text

ADA = 1058897343304171520


def test_scrub_text_replaces_the_id_in_mentions_and_bare_but_not_inside_other_numbers() -> None:
    erased = str(ERASED_USER_ID)
    assert (
        scrub_text(f"<@{ADA}> rude, see <@!{ADA}> and {ADA}", ADA) == f"<@{erased}> rude, see <@!{erased}> and {erased}"
    )
    assert scrub_text(f"<@{ADA}9> and 7{ADA}", ADA) == f"<@{ADA}9> and 7{ADA}"  # longer numbers are someone else
    assert scrub_text("nothing here", ADA) == "nothing here"
    assert scrub_text(None, ADA) is None and scrub_text("", ADA) == ""
