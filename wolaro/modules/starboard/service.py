"""Starboard rules as plain values: which emoji counts, where a message's stars go, what the board should do."""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    """What to do with a message's board post after its stars changed."""

    POST = "post"
    EDIT = "edit"
    REMOVE = "remove"
    NOTHING = "nothing"


def step(*, stars: int, threshold: int, on_board: bool, shown: int, keep_below: bool) -> Step:
    """The board's next step for a message with `stars` stars (its post shows `shown` if `on_board`)."""
    if not on_board:
        return Step.POST if stars >= threshold else Step.NOTHING
    if stars < threshold and not keep_below:
        return Step.REMOVE
    return Step.EDIT if stars != shown else Step.NOTHING


def is_star(emoji: str, configured: str) -> bool:
    """Whether a reaction's emoji (`⭐` or `<:name:id>` as discord.py prints it) is the configured one.

    A custom emoji may be configured as `<:name:id>`, `name:id` or just its name.
    """
    if emoji == configured:
        return True
    inner = emoji.strip("<>").removeprefix("a:").lstrip(":")
    name = inner.split(":")[0]
    return configured.strip("<>").removeprefix("a:").lstrip(":") in (inner, name)


def board_for(*, nsfw: bool, board_channel_id: int | None, nsfw_board_channel_id: int | None) -> int | None:
    """Where a message's stars are shown: NSFW channels only ever on the NSFW board (None: nowhere)."""
    return nsfw_board_channel_id if nsfw else board_channel_id


def headline(emoji: str, stars: int, channel_id: int) -> str:
    """The first line of a board post: the star count and where the message is."""
    return f"{emoji} **{stars}** · <#{channel_id}>"
