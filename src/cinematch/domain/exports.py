"""Taking a diary away (docs/contract.md §3 `GET /api/me/export`): the CineMatch JSON backup, which
`POST /api/movies/import` reads back, and a CSV that Letterboxd's importer accepts.

The backup holds what the user gave (name, year, rating, watched date, ids, and the
enrichment fields they supplied themselves); what the catalog added is matched again on
import, so an instance with the same catalog rebuilds the same diary and statistics.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

import msgspec

from .diary import DiaryEntry
from .ratings import Rating
from .stats import newest_first

BACKUP_FORMAT = "cinematch-backup"
BACKUP_VERSION = 3  # 2: half stars, unrated entries, rewatch, tags, the watchlist; 3: reviews, likes, privacy,
# lists (1 and 2 read too)
LETTERBOXD_COLUMNS = ("Title", "Year", "imdbID", "Rating", "WatchedDate", "Rewatch", "Tags", "Review")
_FORMULA_START = ("=", "+", "-", "@")


class BackupEntry(msgspec.Struct, omit_defaults=True):
    id: str
    name: str
    date: str
    rating: Rating | None = None
    added_at: str = ""
    year: int | None = None
    imdb_id: str | None = None
    catalog_id: str | None = None  # the film it matched here (informative; matching is redone)
    title: str | None = None
    genres: list[str] | None = None  # supplied by the user (not the catalog's)
    director: str | None = None
    actors: str | None = None
    duration: int | None = None
    rewatch: bool = False
    tags: list[str] = []
    review: str = ""
    spoilers: bool = False
    liked: bool = False
    private: bool = False


class BackupWatch(msgspec.Struct, omit_defaults=True):
    """A film on the watchlist."""
    name: str
    year: int | None = None
    imdb_id: str | None = None
    catalog_id: str | None = None
    added: str | None = None  # the day it was put on the list


class BackupListItem(msgspec.Struct, omit_defaults=True):
    name: str
    year: int | None = None
    imdb_id: str | None = None
    catalog_id: str | None = None
    note: str = ""


class BackupList(msgspec.Struct, omit_defaults=True):
    """A list, its films in order."""
    id: str
    name: str
    description: str = ""
    ranked: bool = False
    public: bool = False
    items: list[BackupListItem] = []


class Backup(msgspec.Struct):
    format: str
    version: int
    exported_at: str
    username: str
    diary: list[BackupEntry]
    watchlist: list[BackupWatch] = []
    lists: list[BackupList] = []


def backup_entry(e: DiaryEntry) -> BackupEntry:
    supplied = e.supplied  # dict[str, object]: what the person typed, checked when it was stored (the ignores below)
    return BackupEntry(
        id=e.id, name=e.name, rating=e.rating, date=e.date, added_at=e.added_at, year=e.year, imdb_id=e.imdb_id,
        catalog_id=e.catalog_id, title=e.title if e.catalog_id else None,
        genres=list(supplied["genres"]) if "genres" in supplied else None,  # type: ignore[call-overload]
        director=supplied.get("director"), actors=supplied.get("actors"),  # type: ignore[arg-type]
        duration=supplied.get("duration"), rewatch=e.rewatch, tags=list(e.tags),  # type: ignore[arg-type]
        review=e.review, spoilers=e.spoilers, liked=e.liked, private=e.private)


_encode = msgspec.json.Encoder().encode


def backup_chunks(username: str, entries: Iterable[DiaryEntry], exported_at: str,
                  watchlist: Iterable[BackupWatch] = (), size: int = 1000,
                  lists: Iterable[BackupList] = ()) -> Iterator[bytes]:
    """The whole account as JSON (a `Backup`), newest watched first, in pieces of `size`
    entries: a large diary is sent as it is encoded, and no single encode runs long."""
    ordered = list(newest_first(list(entries)))
    yield (b'{"format":' + _encode(BACKUP_FORMAT) + b',"version":' + _encode(BACKUP_VERSION)
           + b',"exported_at":' + _encode(exported_at) + b',"username":' + _encode(username) + b',"diary":[')
    for start in range(0, len(ordered), size):
        yield (b"," if start else b"") + _encode([backup_entry(e) for e in ordered[start:start + size]])[1:-1]
    yield b'],"watchlist":' + _encode(list(watchlist)) + b',"lists":' + _encode(list(lists)) + b"}"


def backup(username: str, entries: Iterable[DiaryEntry], exported_at: str,
           watchlist: Iterable[BackupWatch] = (), lists: Iterable[BackupList] = ()) -> bytes:
    """The whole account as JSON, in one piece."""
    return b"".join(backup_chunks(username, entries, exported_at, watchlist, lists=lists))


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def letterboxd_chunks(entries: Iterable[DiaryEntry], size: int = 2000) -> Iterator[str]:
    """`Title,Year,imdbID,Rating,WatchedDate,Rewatch,Tags,Review`, as Letterboxd's importer reads
    it, in pieces of `size` rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LETTERBOXD_COLUMNS)
    for k, e in enumerate(reversed(list(newest_first(list(entries)))), start=1):
        writer.writerow([safe_cell(e.name or e.title), e.year or "", safe_cell(e.imdb_id or ""),
                         "" if e.rating is None else e.rating, e.date, "Yes" if e.rewatch else "",
                         safe_cell(", ".join(e.tags)), safe_cell(e.review)])
        if k % size == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def letterboxd_csv(entries: Iterable[DiaryEntry]) -> str:
    return "".join(letterboxd_chunks(entries))
