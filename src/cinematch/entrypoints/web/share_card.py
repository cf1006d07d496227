"""The card image of a shared year in review (`/share/{token}.png`): 1200×630, what link previews
show (Open Graph). Drawn with Pillow and its bundled font, so it looks the same on a server
without fonts; the words in the visitor's language."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from ...i18n import format_number, gettext, month_name, translate

SIZE = (1200, 630)
BACKGROUND, INK, MUTED, ACCENT, BAR = "#1b1416", "#f7f3ea", "#c9c3b8", "#ff8f9c", "#d9b43c"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def card(username: str, year: int, stats: dict[str, Any]) -> bytes:
    """The PNG: who and which year, the year's figures, its films per month as bars."""
    image = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((60, 50), "CineMatch", font=_font(34), fill=ACCENT)
    title = gettext("{name}'s {year} in review").format(name=username, year=year)
    draw.text((60, 100), title[:48], font=_font(58), fill=INK)
    figures = [
        (format_number(stats["total_watched"]), gettext("Watches")),
        (format_number(stats["distinct_films"]), gettext("Films")),
        (format_number(stats["watch_time_hours"]), gettext("Hours watched")),
        (format_number(stats["avg_rating"], 2) if stats["rated_count"] else "—", gettext("Average rating")),
    ]
    for i, (value, label) in enumerate(figures):
        x = 60 + i * 270
        draw.text((x, 210), value, font=_font(64), fill=INK)
        draw.text((x, 290), label, font=_font(26), fill=MUTED)
    if stats.get("favorite_genre"):
        draw.text((60, 350), gettext("Favourite genre") + ": " + translate(stats["favorite_genre"]), font=_font(30),
                  fill=INK)
    months = stats["monthly_counts"].get(f"{year:04d}", {})
    top = max([*months.values(), 1])
    for m in range(1, 13):
        n = months.get(f"{m:02d}", 0)
        height = int(150 * n / top)
        x = 60 + (m - 1) * 90
        draw.rectangle((x, 570 - height, x + 60, 570), fill=BAR)
        draw.text((x + 30, 595), month_name(m), font=_font(20), fill=MUTED, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
