"""The rank card: a PNG with the member's avatar, name, rank, level and progress bar (Pillow, no Discord here).

Rendering takes a few milliseconds of CPU: the cog runs `render_card` in a worker thread, off the event loop.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

WIDTH, HEIGHT = 934, 282
AVATAR = 200
BACKGROUND = (35, 39, 42)
PANEL = (24, 26, 29)
TEXT = (255, 255, 255)
MUTED = (170, 175, 182)
ACCENT = (88, 101, 242)
TRACK = (72, 75, 78)
NAME_MAX = 24
"""Characters of the name shown (longer names end with an ellipsis)."""
AVATAR_BYTES_MAX = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CardData:
    """What a rank card shows."""

    name: str
    rank: int
    level: int
    into_level: int
    needed: int
    total: int
    avatar: bytes | None = None


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _short(number: int) -> str:
    """1234 -> 1.2K, 5600000 -> 5.6M (MEE6's style for big totals)."""
    for limit, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if number >= limit:
            return f"{number / limit:.1f}".rstrip("0").rstrip(".") + suffix
    return str(number)


def _avatar(raw: bytes | None, name: str) -> Image.Image:
    """The avatar as a circle; the name's initial on the accent colour when there is none (or it is unreadable)."""
    picture: Image.Image | None = None
    if raw and len(raw) <= AVATAR_BYTES_MAX:
        try:
            with Image.open(io.BytesIO(raw)) as opened:
                picture = opened.convert("RGBA").resize((AVATAR, AVATAR))
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            picture = None
    if picture is None or picture.width < 2:
        picture = Image.new("RGBA", (AVATAR, AVATAR), ACCENT)
        draw = ImageDraw.Draw(picture)
        draw.text((AVATAR / 2, AVATAR / 2), (name[:1] or "?").upper(), font=_font(96), fill=TEXT, anchor="mm")
    mask = Image.new("L", (AVATAR, AVATAR), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, AVATAR - 1, AVATAR - 1), fill=255)
    round_picture = Image.new("RGBA", (AVATAR, AVATAR), (0, 0, 0, 0))
    round_picture.paste(picture, (0, 0), mask)
    return round_picture


def render_card(data: CardData) -> bytes:
    """The card as PNG bytes."""
    card = Image.new("RGBA", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle((20, 20, WIDTH - 20, HEIGHT - 20), radius=24, fill=PANEL)
    card.alpha_composite(_avatar(data.avatar, data.name), (41, 41))
    left, right = 270, WIDTH - 50
    name = data.name if len(data.name) <= NAME_MAX else data.name[: NAME_MAX - 1] + "…"
    draw.text((left, 150), name, font=_font(40), fill=TEXT, anchor="ls")
    level_text = str(data.level)
    draw.text((right, 80), level_text, font=_font(56), fill=ACCENT, anchor="rs")
    level_width = draw.textlength(level_text, font=_font(56))
    draw.text((right - level_width - 10, 80), "LEVEL", font=_font(24), fill=ACCENT, anchor="rs")
    rank_right = right - level_width - 10 - draw.textlength("LEVEL", font=_font(24)) - 30
    rank_text = f"#{data.rank}"
    draw.text((rank_right, 80), rank_text, font=_font(56), fill=TEXT, anchor="rs")
    rank_width = draw.textlength(rank_text, font=_font(56))
    draw.text((rank_right - rank_width - 10, 80), "RANK", font=_font(24), fill=TEXT, anchor="rs")
    if data.needed:
        progress_text = f"{_short(data.into_level)} / {_short(data.needed)} XP"
    else:
        progress_text = f"{_short(data.total)} XP · max level"
    draw.text((right, 150), progress_text, font=_font(26), fill=MUTED, anchor="rs")
    top, bottom = 175, 215
    draw.rounded_rectangle((left, top, right, bottom), radius=20, fill=TRACK)
    share = 1.0 if not data.needed else max(0.0, min(1.0, data.into_level / data.needed))
    filled = left + round((right - left) * share)
    if filled - left >= bottom - top:
        draw.rounded_rectangle((left, top, filled, bottom), radius=20, fill=ACCENT)
    buffer = io.BytesIO()
    card.convert("RGB").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
