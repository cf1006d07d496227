"""Whole exports as downloaded: Letterboxd's ZIP and Trakt's ZIP.

A Letterboxd export says the same watch more than once: a reviewed diary entry is in
diary.csv and reviews.csv, a rated film in ratings.csv, a watched one in watched.csv.
`merge_letterboxd` keeps one watch each (Movary and Yamtrack merge the same way):
- every diary.csv row is a watch; a reviews.csv row is one too unless the same film on the
  same watched date is in the diary;
- a ratings.csv film that has watches is not one more (its rating goes to its latest watch
  when none of them is rated); otherwise it is one rated watch on the day it was rated;
- a watched.csv film with no watch and no rating is one unrated watch;
- watchlist.csv is the watchlist.
Trakt: each movie play of watched-history*.json is a watch (without a history, watched-movies.json
gives each film's plays, the later ones rewatches); ratings-movies.json gives a film's rating to its
latest play (or is a watch of its own, like Letterboxd's ratings); episodes and shows are skipped
with their reason; watchlist.json (lists-watchlist.json in older exports) is the watchlist.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import zipfile
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from ..messages import N_
from ..text import normalize_title
from .lists import parse_list
from .rows import (
    MAX_ROWS,
    ImportRow,
    LineReason,
    ParsedImport,
    UnreadableImport,
    WatchlistRow,
    check_name,
    parse_csv,
    rating,
)

MAX_MEMBER_BYTES = 64 * 1024 * 1024  # one file of an archive, uncompressed
MAX_ARCHIVE_BYTES = 128 * 1024 * 1024  # every file read from one archive
LETTERBOXD_FILES = ("diary.csv", "reviews.csv", "ratings.csv", "watched.csv", "watchlist.csv")
TRAKT_FILES = ("ratings-movies.json", "watched-movies.json", "lists-watchlist.json", "watchlist.json")
IGNORED_FOLDERS = {"deleted", "orphaned"}  # Letterboxd keeps what was removed there
KEPT_FOLDERS = {"likes", "lists"}  # their files are named `likes/films.csv`, `lists/<slug>.csv`
LIKES = "likes/films.csv"  # (likes/lists.csv and likes/reviews.csv are likes of other people's work)


def is_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def read_members(data: bytes, wanted: Callable[[str], bool]) -> dict[str, bytes]:
    """{name: bytes} of the members whose name `wanted` accepts, outside the ignored folders; a
    member's name is its base name, or `folder/base` in the kept folders. Sizes are capped (a
    small archive may unpack to gigabytes)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise UnreadableImport(f"unreadable ZIP archive: {exc}") from None
    out: dict[str, bytes] = {}
    total = 0
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            parts = posixpath.normpath(info.filename).split("/")
            base = parts[-1].lower()
            if len(parts) > 1 and parts[-2].lower() in KEPT_FOLDERS:
                base = f"{parts[-2].lower()}/{base}"
            if any(p.lower() in IGNORED_FOLDERS for p in parts[:-1]) or not wanted(base) or base in out:
                continue
            if info.file_size > MAX_MEMBER_BYTES or total + info.file_size > MAX_ARCHIVE_BYTES:
                raise UnreadableImport(f"{base} is larger than this server reads from one archive")
            try:
                with archive.open(info) as member:
                    content = member.read(MAX_MEMBER_BYTES + 1)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError) as exc:
                raise UnreadableImport(f"unreadable {base} in the archive: {exc}") from None
            if len(content) > MAX_MEMBER_BYTES:
                raise UnreadableImport(f"{base} is larger than this server reads from one archive")
            total += len(content)
            out[base] = content
    return out


def _text(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableImport(N_("{file} is not UTF-8 text").format(file=name)) from None


def film_key(name: str, year: int | None) -> tuple[str, int | None]:
    return normalize_title(name), year


def _errors(parsed: ParsedImport, filename: str) -> list[LineReason]:
    return [LineReason(e.line, f"{filename}: {e.reason}") for e in parsed.errors]


def parse_archive(data: bytes, tz: str) -> ParsedImport:
    members = read_members(data, lambda b: b in LETTERBOXD_FILES or b.startswith("watched-history") or b in TRAKT_FILES
                           or b == LIKES or (b.startswith("lists/") and b.endswith(".csv")))
    if any(b.endswith(".csv") for b in members):
        return merge_letterboxd({b: _text(v, b) for b, v in members.items() if b.endswith(".csv")})
    if members:
        return merge_trakt({b: v for b, v in members.items()}, tz)
    raise UnreadableImport(N_("the archive is neither a Letterboxd nor a Trakt export (no diary.csv, "
                              "watched.csv, ratings.csv or watched-history.json in it)"))


def merge_letterboxd(files: dict[str, str]) -> ParsedImport:
    out = ParsedImport(format="letterboxd-export", rows=[], errors=[], watchlist=[], notes=[], lists=[])
    for name in sorted(n for n in files if n.startswith("lists/")):
        listed, failed = parse_list(files.pop(name), name)
        out.lists.append(listed)
        out.errors += failed
    likes = parse_csv(files.pop(LIKES), LIKES) if LIKES in files else None
    parsed = {name: parse_csv(text, name) for name, text in files.items()}
    for name, p in parsed.items():
        expected = "letterboxd-" + name.removesuffix(".csv")
        if p.format != expected:
            raise UnreadableImport(N_("{file} does not have the columns of Letterboxd's {file}").format(file=name))
        out.errors += _errors(p, name)
        out.notes += [LineReason(n.line, f"{name}: {n.reason}") for n in p.notes]
        out.skipped += p.skipped
    watches: dict[tuple[Any, ...], list[ImportRow]] = {}

    def watch(row: ImportRow) -> None:
        out.rows.append(row)
        watches.setdefault(film_key(row.name, row.year), []).append(row)

    def merged(row: ImportRow | WatchlistRow, why: str, file: str) -> None:
        out.skipped += 1
        out.notes.append(LineReason(row.line, f"{file}: {why}"))

    for row in parsed.get("diary.csv", ParsedImport("", [], [])).rows:
        watch(row)
    # A review is a diary entry with words: the same Letterboxd URI (or film and day) as its row
    # of diary.csv, which it gives its text to.
    logged = {(film_key(r.name, r.year), r.date): r for r in out.rows}
    by_uri = {r.identity: r for r in out.rows if r.identity}
    for row in parsed.get("reviews.csv", ParsedImport("", [], [])).rows:
        entry = by_uri.get(row.identity) or logged.get((film_key(row.name, row.year), row.date))
        if entry is not None:
            entry.review, entry.spoilers = row.review, row.spoilers
        else:
            watch(row)
    rated: set[tuple[Any, ...]] = set()
    for row in parsed.get("ratings.csv", ParsedImport("", [], [])).rows:
        key = film_key(row.name, row.year)
        rated.add(key)
        seen = watches.get(key)
        if seen:
            if all(r.rating is None for r in seen) and row.rating is not None:
                max(seen, key=lambda r: r.date or "").rating = row.rating
            merged(row, N_("the rating of a film in the diary (one watch)"), "ratings.csv")
        else:
            watch(row)
    for row in parsed.get("watched.csv", ParsedImport("", [], [])).rows:
        key = film_key(row.name, row.year)
        if key in watches or key in rated:
            merged(row, N_("a film already logged or rated (one watch)"), "watched.csv")
        else:
            watch(row)
    if likes is not None:
        if likes.format != "letterboxd-watched":
            raise UnreadableImport(f"{LIKES} does not have the columns of Letterboxd's {LIKES}")
        out.errors += _errors(likes, LIKES)
        for row in likes.rows:  # a like is the film's: its latest watch shows it
            seen = watches.get(film_key(row.name, row.year))
            if seen:
                max(seen, key=lambda r: r.date or "").liked = True
            else:
                merged(row, N_("a like of a film this export has no watch of"), LIKES)
    out.watchlist = parsed.get("watchlist.csv", ParsedImport("", [], [])).watchlist or []
    if len(out.rows) > MAX_ROWS:
        raise UnreadableImport(f"more than {MAX_ROWS} watches in one import")
    return out


# --- Trakt ------------------------------------------------------------------------------


class TraktIds(msgspec.Struct):
    imdb: str | None = None
    trakt: int | None = None
    tmdb: int | None = None


class TraktMovie(msgspec.Struct):
    title: str | None = None
    year: int | None = None
    ids: TraktIds = msgspec.field(default_factory=TraktIds)


class TraktItem(msgspec.Struct):
    id: int | None = None  # a play's history id (watched-history)
    type: str = ""
    movie: TraktMovie | None = None
    watched_at: str | None = None
    rated_at: str | None = None
    listed_at: str | None = None
    rating: int | None = None
    plays: int | None = None  # watched-movies.json: how often the film was played,
    last_watched_at: str | None = None  # and when last


def _trakt_items(raw: bytes, name: str) -> list[TraktItem]:
    try:
        return msgspec.json.decode(raw, type=list[TraktItem])
    except (msgspec.DecodeError, RecursionError) as exc:  # ValidationError is a DecodeError
        raise UnreadableImport(f"{name} is not a Trakt export file: {exc}") from None


def _local_date(instant: str | None, zone: ZoneInfo) -> str | None:
    if not instant:
        return None
    try:
        moment = dt.datetime.fromisoformat(instant.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"time {instant[:40]!r} is not ISO-8601") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(zone).date().isoformat()


def _trakt_film(item: TraktItem, line: int, file: str) -> tuple[str, int | None, str | None]:
    movie = item.movie
    if movie is None or item.type not in ("movie", ""):  # watched-movies.json names no type: films only
        raise LookupError(f"{file}: not a film ({item.type or 'no type'})")
    return check_name((movie.title or "").strip()), movie.year, movie.ids.imdb


def _tmdb(item: TraktItem) -> int | None:
    return item.movie.ids.tmdb if item.movie is not None else None


def trakt_file_name(data: bytes, filename: str) -> str:
    """Which Trakt export file a bare JSON upload is: by its name, else by the fields of its first
    item (a play's `watched_at`, a rating's `rated_at`, a film's `plays`, a list item's `listed_at`)."""
    if filename in TRAKT_FILES or filename.startswith("watched-history"):
        return filename
    items = _trakt_items(data, filename or "the file")
    first = items[0] if items else TraktItem()
    if first.watched_at:
        return "watched-history.json"
    if first.rated_at:
        return "ratings-movies.json"
    if first.plays is not None:
        return "watched-movies.json"
    if first.listed_at:
        return "watchlist.json"
    raise UnreadableImport(N_("{file} is a JSON list, but not one of Trakt's export files "
                              "(watched-history, watched-movies, ratings-movies, watchlist)").format(
                                  file=filename or "the file"))


def merge_trakt(files: dict[str, bytes], tz: str) -> ParsedImport:
    zone = ZoneInfo(tz)
    out = ParsedImport(format="trakt-export", rows=[], errors=[], watchlist=[], notes=[])

    def each(file: str) -> Iterable[tuple[int, TraktItem, tuple[Any, ...]]]:
        for i, item in enumerate(_trakt_items(files[file], file), start=1):
            try:
                yield i, item, _trakt_film(item, i, file)
            except LookupError as exc:
                out.skipped += 1
                out.notes.append(LineReason(i, str(exc)))
            except ValueError as exc:
                out.errors.append(LineReason(i, f"{file}: {exc}"))

    watches: dict[tuple[Any, ...], list[ImportRow]] = {}
    for file in sorted(f for f in files if f.startswith("watched-history")):
        for i, item, (name, year, imdb) in each(file):
            try:
                row = ImportRow(line=i, name=name, year=year, imdb_id=imdb, tmdb_id=_tmdb(item),
                                date=_local_date(item.watched_at, zone),
                                source=f"{file}:{i}", identity=f"trakt:{item.id}" if item.id is not None else "")
            except ValueError as exc:
                out.errors.append(LineReason(i, f"{file}: {exc}"))
                continue
            out.rows.append(row)
            watches.setdefault(film_key(name, year), []).append(row)
    if not watches and "watched-movies.json" in files:  # the history says each play; without it, the counts
        for i, item, (name, year, imdb) in each("watched-movies.json"):
            try:
                when = _local_date(item.last_watched_at, zone)
                plays = max(1, min(item.plays or 1, 1000))
                film = item.movie.ids.trakt if item.movie is not None else None
                rows = [ImportRow(line=i, name=name, year=year, imdb_id=imdb, tmdb_id=_tmdb(item), date=when,
                                  rewatch=k > 0,
                                  source=f"watched-movies.json:{i}:{k}",
                                  identity=f"trakt-movie:{film}:{k}" if film is not None else "")
                        for k in range(plays)]  # the first play, then the rewatches (dated by the last play)
            except ValueError as exc:
                out.errors.append(LineReason(i, f"watched-movies.json: {exc}"))
                continue
            out.rows += rows
            watches.setdefault(film_key(name, year), []).extend(rows)
    if "ratings-movies.json" in files:
        for i, item, (name, year, imdb) in each("ratings-movies.json"):
            try:
                stars = rating(str(item.rating or ""), 10)
                when = _local_date(item.rated_at, zone)
            except ValueError as exc:
                out.errors.append(LineReason(i, f"ratings-movies.json: {exc}"))
                continue
            seen = watches.get(film_key(name, year))
            if seen:
                max(seen, key=lambda r: r.date or "").rating = stars
                out.skipped += 1
                out.notes.append(LineReason(
                    i, "ratings-movies.json: " + N_("the rating of a film in the history (one watch)")))
            else:
                row = ImportRow(line=i, name=name, year=year, imdb_id=imdb, tmdb_id=_tmdb(item), rating=stars,
                                date=when, source=f"ratings-movies.json:{i}")
                out.rows.append(row)
                watches[film_key(name, year)] = [row]
    for listed in ("lists-watchlist.json", "watchlist.json"):  # the older and the newer name
        if listed not in files:
            continue
        for i, item, (name, year, imdb) in each(listed):
            try:
                out.watchlist.append(WatchlistRow(line=i, name=name, year=year, imdb_id=imdb,
                                                  added=_local_date(item.listed_at, zone)))
            except ValueError as exc:
                out.errors.append(LineReason(i, f"{listed}: {exc}"))
    if len(out.rows) > MAX_ROWS:
        raise UnreadableImport(f"more than {MAX_ROWS} watches in one import")
    return out
