"""Posters CineMatch draws itself (docs/contract.md §4): every film has one, offline too, so the pages
look the same with or without TMDB. A poster is an SVG of the title and the year on colours derived
from the film (the same film, the same colours, everywhere): `GET /posters/{catalog_id}` for a
catalog film, `GET /posters/drawn?title=&year=` for a title logged as typed. Both are small, public
and cached by the browser (an ETag of what the poster shows)."""

from __future__ import annotations

import hashlib
import re
import textwrap
from typing import Any
from xml.sax.saxutils import escape

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import Parameter

from ...adapters.posters import PosterStore
from ...domain.catalog import CatalogMovie, catalog_id_for
from ...domain.ports import CatalogStore

WIDTH, HEIGHT = 200, 300  # 2:3, a poster's shape
MAX_LINES = 6
CACHE = "public, max-age=86400"


def colours(key: str) -> tuple[str, str, str]:
    """Background top, bottom and text colours from the film's key (its normalized title and
    year: the same colours wherever the film is shown, linked or typed): hues apart, dark enough
    for light text (contrast above 4.5:1 at these lightnesses)."""
    digest = hashlib.sha256(key.encode()).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    turn = 25 + digest[2] % 50
    return f"hsl({hue} 45% 26%)", f"hsl({(hue + turn) % 360} 50% 14%)", "#f7f3ea"


def draw(title: str, year: int | None, key: str) -> str:
    """The poster's SVG text."""
    top, bottom, ink = colours(key)
    words = " ".join(title.split()) or "?"
    size = 26 if len(words) <= 24 else 21 if len(words) <= 60 else 17
    wrapped = textwrap.wrap(words, width=max(8, int(WIDTH * 1.75 / size)), break_long_words=True)
    lines = wrapped[:MAX_LINES]
    if len(wrapped) > MAX_LINES:
        lines[-1] = lines[-1][:-1] + "…"
    first = 60
    text = "".join(f'<tspan x="16" y="{first + i * size * 1.2:.0f}">{escape(line)}</tspan>'
                   for i, line in enumerate(lines))
    shown = escape(words, {"\"": "&quot;"})
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
            f'role="img" aria-label="{shown}"><defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">'
            f'<stop offset="0" stop-color="{top}"/><stop offset="1" stop-color="{bottom}"/></linearGradient></defs>'
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#g)"/>'
            f'<rect x="10" y="10" width="{WIDTH - 20}" height="{HEIGHT - 20}" fill="none" stroke="{ink}" '
            f'stroke-opacity=".25"/><text font-family="Georgia, serif" font-size="{size}" font-weight="700" '
            f'fill="{ink}">{text}</text>'
            + (f'<text x="16" y="{HEIGHT - 24}" font-family="Helvetica, Arial, sans-serif" font-size="18" '
               f'fill="{ink}" fill-opacity=".8">{year}</text>' if year else "")
            + "</svg>")


# TMDB's image widths (its /configuration): an image path names one, `/t/p/w342/abc.jpg`.
POSTER_WIDTHS = (92, 154, 185, 342, 500, 780)
BACKDROP_WIDTHS = (300, 780, 1280)
BACKDROP_WIDTH = 780  # what a film page asks for without a width (1280 for a wide screen's srcset)
_TMDB_SIZE = re.compile(r"/t/p/(?:w\d+|original)/")


def sized(url: str, width: int | None, widths: tuple[int, ...] = POSTER_WIDTHS) -> str:
    """A TMDB image URL at the smallest of its `widths` at least `width` (the URL as it is for
    another host, or without a width)."""
    if width is None or not _TMDB_SIZE.search(url):
        return url
    size = next((w for w in widths if w >= width), widths[-1])
    return _TMDB_SIZE.sub(f"/t/p/w{size}/", url, count=1)


def backdrop_image(url: str, width: int | None = None) -> str:
    """The URL of a backdrop's image at `width` (TMDB's backdrop sizes), else the page's size."""
    return sized(url, width or BACKDROP_WIDTH, BACKDROP_WIDTHS)


async def _film(catalog: CatalogStore, catalog_id: str) -> CatalogMovie:
    film = (await catalog.by_ids([catalog_id[:200]])).get(catalog_id[:200])
    if film is None:
        raise NotFoundException("no catalog film has this id")
    return film


def _answer(request: Request[Any, Any, Any], svg: str) -> Response[bytes]:
    tag = '"' + hashlib.sha256(svg.encode()).hexdigest()[:20] + '"'
    headers = {"ETag": tag, "Cache-Control": CACHE}
    if request.headers.get("if-none-match") == tag:
        return Response(b"", status_code=304, headers=headers)
    return Response(svg.encode(), media_type="image/svg+xml", headers=headers)


class PosterController(Controller):
    path = "/posters"

    @get("/drawn", include_in_schema=False)
    async def drawn(self, request: Request[Any, Any, Any], title: str = Parameter(default="", max_length=500),
                    year: int | None = Parameter(default=None, ge=1870, le=2200)) -> Response[bytes]:
        """A title logged as typed: drawn from its name and year."""
        return _answer(request, draw(title, year, catalog_id_for(title, year)))

    @get("/{catalog_id:str}/backdrop", include_in_schema=False)
    async def backdrop(self, catalog_id: str, catalog: CatalogStore, posters: PosterStore,
                       w: int | None = Parameter(default=None, ge=1, le=4000)) -> Response[bytes]:
        """A catalog film's backdrop (a wide still), its film database's, fetched once and kept
        here; 404 for a film without one, or while it cannot be fetched (nothing is drawn: the
        page shows none)."""
        film = await _film(catalog, catalog_id)
        if not film.backdrop_url or not film.backdrop_url.startswith(("http://", "https://")):
            raise NotFoundException("this film has no backdrop")
        found = await posters.image(backdrop_image(film.backdrop_url, w))
        if found is None and w is not None:  # another width out of reach now: the page's own size
            found = await posters.image(backdrop_image(film.backdrop_url))
        if found is None:
            raise NotFoundException("the backdrop cannot be fetched now")
        return Response(found[0], media_type=found[1], headers={"Cache-Control": CACHE})

    @get("/{catalog_id:str}", include_in_schema=False)
    async def poster(self, request: Request[Any, Any, Any], catalog_id: str, catalog: CatalogStore,
                     posters: PosterStore,
                     w: int | None = Parameter(default=None, ge=1, le=2000)) -> Response[bytes]:
        """A catalog film's poster: its film database's, fetched once and kept here, else drawn.
        `w`: the width wanted (a page's `srcset`): TMDB's nearest size at or above it."""
        film = await _film(catalog, catalog_id)
        if film.poster_url and film.poster_url.startswith(("http://", "https://")):
            found = await posters.image(sized(film.poster_url, w))
            if found is not None:
                return Response(found[0], media_type=found[1], headers={"Cache-Control": CACHE})
        return _answer(request, draw(film.title, film.year, catalog_id_for(film.title, film.year)))
