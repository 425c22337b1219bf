"""A printable A4 poster per entry point: QR codes of the Telegram deep link and the web chat
link, the Bündnis' name and a short text in German and the main languages of the target group.

Drawn with Pillow at 150 dpi (1240 × 1754 pixels), PNG or a one-page PDF. Right-to-left and
Arabic-script lines are shaped and ordered by libraqm (bundled with Pillow's wheels); without
it the poster is refused rather than printed with broken Arabic. Fonts: Noto (Debian
`fonts-noto-core`, installed by `make setup`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont, features

from base.i18n import is_rtl, translate
from base.translatable import Msg
from dialogs.messages import N_

FONT_DIR = Path("/usr/share/fonts/truetype/noto")
DPI = 150
WIDTH, HEIGHT = 1240, 1754  # A4 at 150 dpi
MARGIN = 90
# The main languages of the target group, after German; a line only where translated.
POSTER_LOCALES = ("en", "ar", "fa", "uk", "ru", "tr", "ps", "ti", "so", "ku", "fr")


class PM:
    SCAN = N_("Scanne den Code: Beratung und Angebote in deiner Sprache. Anonym und kostenlos.")
    TELEGRAM = N_("Mit Telegram")
    BROWSER = N_("Im Browser, ohne App")
    PRIVATE = N_("Du brauchst keinen Namen. Du entscheidest, was du erzählst.")


class PosterError(RuntimeError):
    """The poster cannot be drawn on this server (fonts or text layout missing)."""


@dataclass(frozen=True)
class Poster:
    buendnis: str
    code: str
    telegram: str | None  # deep link
    webchat: str | None  # web chat link


def lines(locale: str) -> str | None:
    """The poster's short text in `locale`, or None while it is not translated."""
    text = translate(locale, None, PM.SCAN.msgid, fallback=locale)
    return None if locale != "de" and text == PM.SCAN.msgid else text


def draw(poster: Poster, fmt: str = "png") -> bytes:
    """The poster as PNG or PDF bytes."""
    if fmt not in ("png", "pdf"):
        raise ValueError(f"unknown poster format {fmt!r}")
    both = [(PM.TELEGRAM, poster.telegram), (PM.BROWSER, poster.webchat)]
    links = [(caption, link) for caption, link in both if link]
    if not links:
        raise PosterError("no link to print: set the bot username or the public URL")
    if not features.check("raqm"):
        raise PosterError("Pillow without libraqm cannot lay out Arabic script")
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    pen = ImageDraw.Draw(image)
    y = MARGIN
    y = _paragraph(pen, "Wegweiser", y, _font("Bold", 84))
    y = _paragraph(pen, poster.buendnis, y + 6, _font("Regular", 40), fill="#333333")
    y = _paragraph(pen, translate("de", None, PM.SCAN.msgid), y + 30, _font("Bold", 40))
    y = _codes(image, pen, links, y + 40)
    y = _languages(pen, y + 40)
    private = translate("de", None, PM.PRIVATE.msgid)
    _paragraph(pen, private, HEIGHT - MARGIN - 70, _font("Regular", 26), fill="#333333")
    small = _font("Regular", 20)
    pen.text((MARGIN, HEIGHT - MARGIN), f"Code: {poster.code}", font=small, fill="#666666")
    out = io.BytesIO()
    if fmt == "pdf":
        image.save(out, "PDF", resolution=float(DPI))
    else:
        image.save(out, "PNG", dpi=(DPI, DPI))
    return out.getvalue()


def _codes(
    image: Image.Image, pen: ImageDraw.ImageDraw, links: list[tuple[Msg, str]], y: int
) -> int:
    """The QR codes side by side (one alone is bigger), each with its caption and link."""
    size = 600 if len(links) == 1 else 470
    gap = (WIDTH - 2 * MARGIN - len(links) * size) // (len(links) + 1)
    caption_font, link_font = _font("Bold", 32), _font("Regular", 20)
    for i, (caption, link) in enumerate(links):
        x = MARGIN + gap + i * (size + gap)
        image.paste(qr_image(link, size), (x, y))
        text = translate("de", None, caption.msgid)
        middle = x + size // 2
        pen.text((middle, y + size + 14), text, font=caption_font, fill="black", anchor="ma")
        shown = link.removeprefix("https://")
        pen.text((middle, y + size + 60), shown, font=link_font, fill="#333333", anchor="ma")
    return y + size + 100


def qr_image(link: str, size: int) -> Image.Image:
    """`link` as a QR code (error correction M, quiet zone of 4 modules) about `size` pixels."""
    qr = segno.make_qr(link, error="m")
    width, _ = qr.symbol_size(border=4)
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=max(1, size // width), border=4)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def _languages(pen: ImageDraw.ImageDraw, y: int) -> int:
    """The short text in every poster language that has it, each in its direction."""
    texts = [(loc, t) for loc in POSTER_LOCALES if (t := lines(loc))]
    bottom = HEIGHT - MARGIN - 110
    for size in (28, 26, 24, 22, 20, 18):  # the largest type that fits above the footer
        if _languages_height(texts, size) <= bottom - y:
            break
    for loc, text in texts:
        y = _paragraph(pen, text, y, _font("Regular", size, text), rtl=is_rtl(loc)) + 12
    return y


def _languages_height(texts: list[tuple[str, str]], size: int) -> int:
    total = 0
    for loc, text in texts:
        font = _font("Regular", size, text)
        total += len(_wrap(text, font, is_rtl(loc))) * _step(font) + 12
    return total


def _paragraph(
    pen: ImageDraw.ImageDraw,
    text: str,
    y: int,
    font: ImageFont.FreeTypeFont,
    *,
    rtl: bool = False,
    fill: str = "black",
) -> int:
    """`text` wrapped to the page width from `y`, right-aligned when right-to-left; returns
    the y below it."""
    step = _step(font)
    for line in _wrap(text, font, rtl):
        if rtl:
            pen.text((WIDTH - MARGIN, y), line, font=font, fill=fill, direction="rtl", anchor="ra")
        else:
            pen.text((MARGIN, y), line, font=font, fill=fill, anchor="la")
        y += step
    return y


def _step(font: ImageFont.FreeTypeFont) -> int:
    """Line height (Arabic script reaches further up and down than Latin)."""
    return int(font.size * (1.6 if "Arabic" in str(font.path) else 1.4))


def _wrap(text: str, font: ImageFont.FreeTypeFont, rtl: bool) -> list[str]:
    width = WIDTH - 2 * MARGIN
    direction = "rtl" if rtl else "ltr"
    out: list[str] = []
    for word in text.split():
        if out and font.getlength(f"{out[-1]} {word}", direction=direction) <= width:
            out[-1] = f"{out[-1]} {word}"
        else:
            out.append(word)
    return out


def _script(text: str) -> str:
    if any("\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u08ff" for ch in text):
        return "Arabic"
    if any("\u1200" <= ch <= "\u139f" for ch in text):
        return "Ethiopic"
    return ""


# Arabic and Ethiopic letters are small next to Latin ones at the same size.
_SCALE = {"Arabic": 1.2, "Ethiopic": 1.1, "": 1.0}


def _font(weight: str, size: int, text: str = "") -> ImageFont.FreeTypeFont:
    script = _script(text)
    return _load(f"NotoSans{script}-{weight}.ttf", round(size * _SCALE[script]))


@lru_cache(maxsize=32)
def _load(name: str, size: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(str(FONT_DIR / name), size, layout_engine=ImageFont.Layout.RAQM)
    except OSError:
        raise PosterError(f"font {name} missing (Debian package fonts-noto-core)") from None
