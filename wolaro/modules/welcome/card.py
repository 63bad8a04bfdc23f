"""The welcome image: the member's avatar, name and number on the server's background (Pillow, blocking).

Call `render_card` and `normalise_background` in a worker thread (`asyncio.to_thread`): they take tens of
milliseconds. Uploaded backgrounds are validated and re-encoded here, bounded in bytes and in pixels.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

WIDTH, HEIGHT = 900, 300
AVATAR = 180
UPLOAD_MAX_BYTES = 500 * 1024
"""Below the dashboard's request body limit (512 KiB), so a picture is refused the same way from chat and the web."""
UPLOAD_MAX_PIXELS = 4096 * 4096
FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}


FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",  # Debian's fonts-dejavu-core: accents and most scripts
    "DejaVuSans.ttf",
)


@functools.lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans when installed (it covers accented and non-Latin names), else Pillow's built-in font."""
    for path in FONT_FILES:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def t(message: str) -> str:
    """Mark `message` for the catalog; it is translated where shown."""
    return message


class BadImage(ValueError):
    """An upload that is not a usable picture; the message is for the server owner (an msgid)."""


@dataclass(frozen=True, slots=True)
class CardText:
    """What the card says."""

    title: str
    name: str
    subtitle: str


def normalise_background(data: bytes) -> bytes:
    """An uploaded background checked (a PNG, JPEG, WebP or GIF of sane size) and stored as a 900x300 PNG."""
    if len(data) > UPLOAD_MAX_BYTES:
        raise BadImage(t("The picture is too large: at most 500 KB."))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in FORMATS:
                raise BadImage(t("Use a PNG, JPEG, WebP or GIF picture."))
            if probe.width * probe.height > UPLOAD_MAX_PIXELS:
                raise BadImage(t("The picture is too big: at most 4096 by 4096 pixels."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.seek(0)
            fitted = ImageOps.fit(image.convert("RGB"), (WIDTH, HEIGHT))
    except BadImage:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, EOFError):
        raise BadImage(t("That file is not a picture I can read.")) from None
    out = io.BytesIO()
    fitted.save(out, "PNG", optimize=True)
    return out.getvalue()


def _avatar(data: bytes | None, initial: str) -> Image.Image:
    mask = Image.new("L", (AVATAR, AVATAR), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, AVATAR - 1, AVATAR - 1), fill=255)
    picture: Image.Image | None = None
    if data:
        try:
            with Image.open(io.BytesIO(data)) as raw:
                if raw.width * raw.height <= UPLOAD_MAX_PIXELS:
                    picture = ImageOps.fit(raw.convert("RGB"), (AVATAR, AVATAR))
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            picture = None
    if picture is None:
        picture = Image.new("RGB", (AVATAR, AVATAR), (88, 101, 242))
        ImageDraw.Draw(picture).text((AVATAR / 2, AVATAR / 2), initial, font=font(96), fill="white", anchor="mm")
    round_avatar = Image.new("RGBA", (AVATAR, AVATAR))
    round_avatar.paste(picture, (0, 0), mask)
    return round_avatar


def _fit_text(
    draw: ImageDraw.ImageDraw, text: str, size: int, width: int
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    chosen = font(size)
    while size > 16 and draw.textlength(text, font=chosen) > width:
        size -= 4
        chosen = font(size)
    return chosen


def render_card(text: CardText, avatar: bytes | None, background: bytes | None) -> bytes:
    """The card as PNG bytes."""
    if background:
        with Image.open(io.BytesIO(background)) as stored:
            canvas = ImageOps.fit(stored.convert("RGB"), (WIDTH, HEIGHT))
    else:
        canvas = Image.new("RGB", (WIDTH, HEIGHT), (35, 39, 42))
    shade = Image.new("RGBA", (WIDTH, HEIGHT), (0, 0, 0, 110))
    canvas = Image.alpha_composite(canvas.convert("RGBA"), shade)
    canvas.alpha_composite(_avatar(avatar, (text.name[:1] or "?").upper()), (60, (HEIGHT - AVATAR) // 2))
    draw = ImageDraw.Draw(canvas)
    left, room = 290, WIDTH - 290 - 40
    draw.text((left, 70), text.title[:60], font=_fit_text(draw, text.title[:60], 36, room), fill=(220, 221, 222))
    draw.text((left, 120), text.name[:40], font=_fit_text(draw, text.name[:40], 56, room), fill="white")
    subtitle = text.subtitle[:80]
    draw.text((left, 200), subtitle, font=_fit_text(draw, subtitle, 32, room), fill=(185, 187, 190))
    out = io.BytesIO()
    canvas.convert("RGB").save(out, "PNG")
    return out.getvalue()
