"""Taking a diary away (CONTRACT §3 `GET /api/me/export`): the CineMatch JSON backup, which
`POST /api/movies/import` reads back, and a CSV that Letterboxd's importer accepts.

The backup holds what the user gave (name, year, rating, watched date, ids, and the
enrichment fields they supplied themselves); what the catalog added is matched again on
import, so an instance with the same catalog rebuilds the same diary and statistics.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import msgspec

from .diary import DiaryEntry
from .ratings import Rating

BACKUP_FORMAT = "cinematch-backup"
BACKUP_VERSION = 2  # 2: half stars, unrated entries, rewatch, tags, the watchlist (1 reads too)
LETTERBOXD_COLUMNS = ("Title", "Year", "imdbID", "Rating", "WatchedDate", "Rewatch", "Tags")
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


class BackupWatch(msgspec.Struct, omit_defaults=True):
    """A film on the watchlist."""
    name: str
    year: int | None = None
    imdb_id: str | None = None
    catalog_id: str | None = None
    added: str | None = None  # the day it was put on the list


class Backup(msgspec.Struct):
    format: str
    version: int
    exported_at: str
    username: str
    diary: list[BackupEntry]
    watchlist: list[BackupWatch] = []


def backup_entry(e: DiaryEntry) -> BackupEntry:
    supplied = e.supplied
    return BackupEntry(
        id=e.id, name=e.name, rating=e.rating, date=e.date, added_at=e.added_at, year=e.year, imdb_id=e.imdb_id,
        catalog_id=e.catalog_id, title=e.title if e.catalog_id else None,
        genres=list(supplied["genres"]) if "genres" in supplied else None,  # type: ignore[call-overload]
        director=supplied.get("director"), actors=supplied.get("actors"),  # type: ignore[arg-type]
        duration=supplied.get("duration"), rewatch=e.rewatch, tags=list(e.tags))  # type: ignore[arg-type]


def backup(username: str, entries: Iterable[DiaryEntry], exported_at: str,
           watchlist: Iterable[BackupWatch] = ()) -> bytes:
    """The whole account as JSON, newest watched first."""
    ordered = sorted(entries, key=lambda e: (e.date, e.added_at, e.id), reverse=True)
    return msgspec.json.encode(Backup(format=BACKUP_FORMAT, version=BACKUP_VERSION, exported_at=exported_at,
                                      username=username, diary=[backup_entry(e) for e in ordered],
                                      watchlist=list(watchlist)))


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def letterboxd_csv(entries: Iterable[DiaryEntry]) -> str:
    """`Title,Year,imdbID,Rating,WatchedDate,Rewatch,Tags`, as Letterboxd's importer reads it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LETTERBOXD_COLUMNS)
    for e in sorted(entries, key=lambda e: (e.date, e.added_at, e.id)):
        writer.writerow([safe_cell(e.title or e.name), e.year or "", safe_cell(e.imdb_id or ""),
                         "" if e.rating is None else e.rating, e.date, "Yes" if e.rewatch else "",
                         safe_cell(", ".join(e.tags))])
    return out.getvalue()
