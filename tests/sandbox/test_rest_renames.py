"""The sandbox's channel rename limit: 2 renames per 10 minutes per channel, then a 429 until the oldest expires."""

from __future__ import annotations

import pytest

from wolaro.sandbox.rest_renames import WINDOW_S, ChannelRenameLimit, ChannelRenameLimited


def test_a_third_rename_within_ten_minutes_is_refused_until_the_oldest_leaves_the_window():
    now = [1000.0]
    limit = ChannelRenameLimit(clock=lambda: now[0])
    limit.admit(1)
    now[0] += 100
    limit.admit(1)
    limit.admit(2)  # another channel has its own window
    with pytest.raises(ChannelRenameLimited) as refused:
        limit.admit(1)
    assert refused.value.status == 429 and refused.value.body()["retry_after"] == WINDOW_S - 100
    assert refused.value.body()["global"] is False and limit.refused == [1]
    now[0] = 1000.0 + WINDOW_S  # the first rename leaves the window
    limit.admit(1)
