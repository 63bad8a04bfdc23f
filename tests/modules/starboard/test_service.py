"""The starboard's rules as plain values: which reaction is a star, where a message goes, what the board does."""

from __future__ import annotations

import pytest

from wolaro.modules.starboard import service
from wolaro.modules.starboard.service import Step


@pytest.mark.parametrize(
    ("stars", "on_board", "shown", "keep_below", "expected"),
    [
        (2, False, 0, False, Step.NOTHING),
        (3, False, 0, False, Step.POST),
        (4, True, 3, False, Step.EDIT),
        (4, True, 4, False, Step.NOTHING),
        (2, True, 3, False, Step.REMOVE),
        (2, True, 3, True, Step.EDIT),
        (0, True, 1, True, Step.EDIT),
    ],
)
def test_the_boards_next_step(stars, on_board, shown, keep_below, expected):
    assert service.step(stars=stars, threshold=3, on_board=on_board, shown=shown, keep_below=keep_below) is expected


def test_star_emoji_matching():
    assert service.is_star("⭐", "⭐")
    assert not service.is_star("🌟", "⭐")
    assert service.is_star("<:gold:123456789012345678>", "gold")
    assert service.is_star("<:gold:123456789012345678>", "<:gold:123456789012345678>")
    assert service.is_star("<a:gold:123456789012345678>", "gold:123456789012345678")
    assert not service.is_star("<:silver:123456789012345678>", "gold")


def test_nsfw_messages_only_reach_the_nsfw_board():
    assert service.board_for(nsfw=False, board_channel_id=1, nsfw_board_channel_id=2) == 1
    assert service.board_for(nsfw=True, board_channel_id=1, nsfw_board_channel_id=2) == 2
    assert service.board_for(nsfw=True, board_channel_id=1, nsfw_board_channel_id=None) is None
    assert service.headline("⭐", 7, 42) == "⭐ **7** · <#42>"
