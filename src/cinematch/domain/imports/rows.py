"""One export file to rows: Letterboxd's CSVs, IMDb's ratings.csv, `name,year,rating,date`.

Parsing only: every row becomes an `ImportRow` (a watch), a `WatchlistRow`, a skipped row
with its reason, or an error with its reason. Rules (docs/contract.md §3): ratings keep their half
stars; IMDb's 1-10 become r/2; Letterboxd's "Watched Date" wins over "Date"; a row without a
rating is an unrated watch.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import msgspec

from ..messages import N_
from ..bounds import MAX_REVIEW
from ..diary import NewEntry
from ..ratings import Rating, from_halves

MAX_FIELD = 10_000
MAX_ROWS = 200_000  # rows of one import, every file of an archive together


class ImportRow(NewEntry, kw_only=True, gc=False):  # no cycles: the collector never scans 100k rows
    """One watch to log, and where the upload said it: `line`, and `source` (file and line)
    from which the entry's id is derived, so the same upload gives the same ids. `identity` is
    the watch's own name at the service it came from (a Letterboxd URI, an IMDb Const, a Trakt
    history id): a later export of the same account names the same watch with it."""
    line: int
    source: str = ""
    identity: str = ""


class WatchlistRow(msgspec.Struct, omit_defaults=True, gc=False):
    line: int
    name: str
    year: int | None = None
    imdb_id: str | None = None
    added: str | None = None


class LineReason(msgspec.Struct):
    """A line of the upload and what became of it: why it failed, or why it was skipped."""
    line: int
    reason: str


class ListRow(msgspec.Struct, omit_defaults=True, gc=False):
    """One film of a list export, in the list's order."""
    line: int
    name: str
    year: int | None = None
    note: str = ""
    imdb_id: str | None = None


class ParsedList(msgspec.Struct, omit_defaults=True):
    """A list as an export says it: `identity` names it at the service (a later export of the
    same list replaces it instead of adding a second one)."""
    name: str
    identity: str
    description: str = ""
    ranked: bool = False
    items: list[ListRow] = []


class ParsedImport(msgspec.Struct):
    format: str
    rows: list[ImportRow]
    errors: list[LineReason]
    skipped: int = 0  # rows that are not watches of a film (episodes, series), or merged into another
    watchlist: list[WatchlistRow] = []
    notes: list[LineReason] = []  # why rows were skipped
    lists: list[ParsedList] = []


class UnreadableImport(ValueError):
    """The file as a whole cannot be read (no header, unknown columns, not text)."""


def rating(raw: str, scale: int) -> Rating | None:
    """Stars (0.5-5 in half stars, `scale` 5) or points (1-10, `scale` 10: r/2); None when empty."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(N_("rating {raw!r} is not a number").format(raw=raw[:20])) from None
    if not value.is_finite():
        raise ValueError(N_("rating {raw!r} is not a number").format(raw=raw[:20]))
    low, high = (Decimal("0.5"), Decimal(5)) if scale == 5 else (Decimal(1), Decimal(10))
    if not low <= value <= high:
        raise ValueError(N_("rating {raw} is outside {low}-{high}").format(raw=raw[:20], low=low, high=high))
    halves = value * 2 if scale == 5 else value
    if halves != halves.to_integral_value():
        raise ValueError((N_("rating {raw} is not a whole half star") if scale == 5 else
                          N_("rating {raw} is not a whole point")).format(raw=raw[:20]))
    return from_halves(int(halves))


def date(raw: str) -> str | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError
        return dt.date.fromisoformat(raw).isoformat()
    except ValueError:
        raise ValueError(N_("date {raw!r} is not a real date YYYY-MM-DD").format(raw=raw[:40])) from None


def parse_year(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1870 <= int(raw) <= 2200:
        raise ValueError(N_("year {raw!r} is not a year").format(raw=raw[:20]))
    return int(raw)


def whole(raw: str, what: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValueError(f"{what} {raw[:20]!r} is not a whole number")
    return int(raw)


def tags(raw: str) -> list[str] | None:
    out = [t.strip() for t in raw.split(",") if t.strip()]
    return out or None


def review(raw: str) -> str | None:
    """A review as written (kept as text: the pages never read it as HTML); None when empty."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()  # one kind of line end, whatever wrote it
    if len(text) > MAX_REVIEW:
        raise ValueError(N_("the review is longer than {n} characters").format(n=f"{MAX_REVIEW:,}"))
    return text or None


def check_name(name: str) -> str:
    if not name:
        raise ValueError(N_("name is empty"))
    if len(name) > MAX_FIELD:
        raise ValueError(N_("name is longer than {n} characters").format(n=MAX_FIELD))
    return name


# The columns each CSV format is recognised by (compared case-insensitively), most specific first.
FORMATS: dict[str, tuple[str, ...]] = {
    "imdb": ("const", "your rating", "title"),
    "imdb-list": ("const", "title", "title type"),  # a list or the watchlist: no "Your Rating" column
    # What Letterboxd's importer reads, and CineMatch's own Letterboxd export writes.
    "letterboxd-import": ("title", "watcheddate"),
    "letterboxd-reviews": ("name", "letterboxd uri", "review", "watched date"),
    "letterboxd-diary": ("name", "letterboxd uri", "watched date"),
    "letterboxd-ratings": ("name", "rating", "letterboxd uri"),
    "letterboxd-watched": ("date", "name", "letterboxd uri"),  # also watchlist.csv: which one, the file says
    "generic": ("name",),
}
# IMDb's "Title Type" of the rows that are films (others are series, episodes, games…), as the
# English site writes it and as the Italian, German, Spanish, French and Portuguese sites do
# (compared without case, accents or hyphens: `_type_key`).
IMDB_FILMS = {"movie", "tv movie", "tvmovie", "short", "video",
              "film", "film tv", "corto", "cortometraggio", "video",  # it
              "fernsehfilm", "kurzfilm",  # de (Film, Video as above)
              "pelicula", "pelicula de tv", "pelicula de television", "pelicula para television",
              "cortometraje", "video",  # es
              "telefilm", "court metrage", "video",  # fr (Film as above)
              "filme", "filme para tv", "filme de tv", "telefilme", "curta metragem", "curta"}  # pt
# The kinds that are not films, in the same languages; a row of any other kind is a film.
IMDB_NOT_FILMS = {"tvseries", "tv series", "tvminiseries", "tv mini series", "tvepisode", "tv episode", "tvspecial",
                  "tv special", "videogame", "video game", "tvshort", "podcastseries", "podcastepisode", "music video",
                  "serie tv", "miniserie tv", "episodio tv", "speciale tv", "videogioco", "corto tv",  # it
                  "fernsehserie", "mini serie", "miniserie", "fernsehminiserie", "folge", "fernsehepisode",
                  "fernsehspecial", "videospiel", "tv serie",  # de
                  "serie de tv", "serie de television", "miniserie de tv", "episodio de tv", "episodio",
                  "especial de tv", "videojuego",  # es
                  "serie televisee", "serie tv", "mini serie tv", "episode", "episode tv", "episode televise",
                  "special tv", "emission speciale", "jeu video",  # fr
                  "serie de tv", "serie", "minisserie", "episodio de tv", "especial de tv", "jogo", "videogame"}  # pt


def _type_key(kind: str) -> str:
    """A title type compared without case, accents, hyphens or repeated spaces."""
    text = "".join(c for c in unicodedata.normalize("NFD", kind) if not unicodedata.combining(c)).lower()
    return " ".join(text.replace("-", " ").split())
TRUE = {"yes", "true", "1", "y"}


def detect_format(header: list[str], filename: str = "") -> str:
    cols = {h.strip().lower() for h in header}
    for name, needed in FORMATS.items():
        if all(c in cols for c in needed):
            if name == "letterboxd-watched" and filename.lower().endswith("watchlist.csv"):
                return "letterboxd-watchlist"
            return name
    raise UnreadableImport(N_(
        "unrecognised CSV header: expected a Letterboxd export file (diary, ratings, watched, reviews, "
        "watchlist), IMDb ratings.csv or a list export, a CSV for Letterboxd's importer "
        "(Title,Year,imdbID,Rating,WatchedDate) or the columns name,year,rating,date")
    )


def _row(fmt: str, get: Callable[[str], str], line: int) -> ImportRow | WatchlistRow | str:
    """The row, or the reason it is skipped (a string); raises ValueError for a bad one."""
    if fmt in ("imdb", "imdb-list"):
        kind = get("title type").strip()
        if kind and _type_key(kind) in IMDB_NOT_FILMS:
            return N_("not a film ({kind})").format(kind=kind[:40])
        if fmt == "imdb-list":  # a list or the watchlist: films to see, never watches
            return WatchlistRow(line=line, name=check_name(get("title").strip() or get("original title").strip()),
                                year=parse_year(get("year")), imdb_id=get("const").strip() or None,
                                added=date(get("created")[:10]) if get("created").strip() else None)
        rated = get("date rated").strip()
        genres = [g.strip() for g in get("genres").split(",") if g.strip()] or None
        const = get("const").strip()
        return ImportRow(line=line, name=check_name(get("title").strip() or get("original title").strip()),
                         identity=f"imdb:{const}" if const else "",
                         rating=rating(get("your rating"), 10), date=date(rated) if rated else None,
                         year=parse_year(get("year")), imdb_id=get("const").strip() or None, genres=genres,
                         director=get("directors").strip() or None, duration=whole(get("runtime (mins)"), "runtime"))
    if fmt == "letterboxd-import":
        when = get("watcheddate").strip()
        return ImportRow(line=line, name=check_name(get("title").strip()), year=parse_year(get("year")),
                         imdb_id=get("imdbid").strip().lstrip("'") or None, rating=rating(get("rating"), 5),
                         date=date(when) if when else None, rewatch=get("rewatch").strip().lower() in TRUE,
                         tags=tags(get("tags").lstrip("'")), review=review(get("review").lstrip("'")))
    name = check_name(get("name").strip())
    year = parse_year(get("year"))
    if fmt == "letterboxd-watchlist":
        return WatchlistRow(line=line, name=name, year=year, added=date(get("date")))
    when = get("watched date").strip() or get("date").strip()  # Letterboxd: watched date wins
    uri = get("letterboxd uri").strip()
    return ImportRow(line=line, name=name, year=year, rating=rating(get("rating"), 5),
                     identity=f"letterboxd:{uri}" if uri else "",
                     date=date(when) if when else None,
                     rewatch=get("rewatch").strip().lower() in TRUE, tags=tags(get("tags")),
                     review=review(get("review")), spoilers=get("spoilers").strip().lower() in TRUE)


def parse_csv(data: str, filename: str = "") -> ParsedImport:
    """One CSV file; rows that cannot be read are reported with their line number."""
    reader = csv.reader(io.StringIO(data, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise UnreadableImport(N_("{file} is empty").format(file=filename or "the file")) from None
    except csv.Error as exc:
        raise UnreadableImport(f"unreadable CSV header: {exc}") from None
    fmt = detect_format(header, filename)
    index = {h.strip().lower(): i for i, h in enumerate(header)}
    out = ParsedImport(format=fmt, rows=[], errors=[], watchlist=[], notes=[])
    read = 0
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            out.errors.append(LineReason(line, f"unreadable CSV row: {exc}"))
            continue
        if not any(v.strip() for v in values):
            continue  # blank line
        read += 1
        if read > MAX_ROWS:  # read whole or not at all: never a history cut at some row
            raise UnreadableImport(N_("{file} has more than {n} rows; split it and import the parts one after "
                                      "another").format(file=filename or "the file", n=f"{MAX_ROWS:,}"))
        if len(values) > len(header):
            out.errors.append(LineReason(line, N_("{n} fields where the header has {header}").format(
                n=len(values), header=len(header))))
            continue

        def get(col: str, values: list[str] = values) -> str:
            i = index.get(col)
            return values[i] if i is not None and i < len(values) else ""

        try:
            row = _row(fmt, get, line)
        except ValueError as exc:
            out.errors.append(LineReason(line, str(exc)))
            continue
        if isinstance(row, str):
            out.skipped += 1
            out.notes.append(LineReason(line, row))
        elif isinstance(row, WatchlistRow):
            out.watchlist.append(row)
        else:
            row.source = f"{filename}:{line}" if filename else str(line)
            out.rows.append(row)
    return out
