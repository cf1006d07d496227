"""Imports (docs/contract.md §3 `POST /api/movies/import`): what an uploaded file says, as rows.

`parse_import` tells the formats apart: a ZIP (Letterboxd's or Trakt's export, `archives`),
the CineMatch JSON backup, or a CSV (`rows`). Writing the rows is the diary service's job.
"""

from __future__ import annotations

import msgspec

from ..messages import N_
from ..exports import BACKUP_FORMAT, Backup
from .archives import is_zip, merge_trakt, parse_archive, trakt_file_name
from .lists import is_list_export, parse_list
from .rows import (
    MAX_ROWS,
    ImportRow,
    LineReason,
    ListRow,
    ParsedImport,
    ParsedList,
    UnreadableImport,
    WatchlistRow,
    parse_csv,
    parse_year,
)


def parse_backup(data: str | bytes) -> ParsedImport:
    """The CineMatch JSON backup (`domain.exports`); an entry's "line" is its place in the list.
    Version 1 backups (whole-star ratings, no rewatch or tags) read the same way."""
    try:
        backup = msgspec.json.decode(data, type=Backup)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise UnreadableImport(f"unreadable CineMatch backup: {exc}") from None
    if backup.format != BACKUP_FORMAT or backup.version not in (1, 2, 3):
        raise UnreadableImport(f"not a CineMatch backup this version reads ({backup.format!r} v{backup.version})")
    if len(backup.diary) > MAX_ROWS:
        raise UnreadableImport(f"more than {MAX_ROWS} diary entries in one backup")
    rows = [ImportRow(line=i, name=e.name, rating=e.rating, date=e.date, year=e.year, imdb_id=e.imdb_id,
                      genres=e.genres, director=e.director, actors=e.actors, duration=e.duration,
                      rewatch=e.rewatch, tags=e.tags or None, source=str(i), review=e.review or None,
                      spoilers=e.spoilers, liked=e.liked, private=e.private)
            for i, e in enumerate(backup.diary, start=1)]
    watchlist = [WatchlistRow(line=i, name=w.name, year=w.year, imdb_id=w.imdb_id, added=w.added)
                 for i, w in enumerate(backup.watchlist, start=1)]
    lists = [ParsedList(name=x.name, identity=f"cinematch:{x.id}", description=x.description, ranked=x.ranked,
                        items=[ListRow(line=n, name=i.name, year=i.year, imdb_id=i.imdb_id, note=i.note)
                               for n, i in enumerate(x.items, start=1)])
             for x in backup.lists]
    return ParsedImport(format="cinematch-backup", rows=rows, errors=[], skipped=0, watchlist=watchlist, notes=[],
                        lists=lists)


def parse_import(data: bytes | str, tz: str = "Europe/Rome", filename: str = "") -> ParsedImport:
    """Parse a whole upload; rows that cannot be read are reported with their line number.
    `tz` gives the watched day of an export that records instants (Trakt). `filename`, the
    upload's own name, tells files of the same columns apart (Letterboxd's `watchlist.csv` and
    `watched.csv`)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if isinstance(data, bytes):
        if is_zip(data):
            return parse_archive(data, tz)
        if data[:2] == b"PK" or name.lower().endswith(".zip"):
            raise UnreadableImport(N_("{file} is not a readable ZIP archive (cut short or damaged?)").format(
                file=name or "the file"))
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UnreadableImport(N_("the file is not UTF-8 text")) from None
    if "\x00" in data:
        raise UnreadableImport(N_("the file is not text (it contains NUL bytes)"))
    if data.lstrip().startswith("{"):
        return parse_backup(data)
    if data.lstrip().startswith("["):  # one file of a Trakt export, uploaded alone
        raw = data.encode()
        return merge_trakt({trakt_file_name(raw, name): raw}, tz)
    if is_list_export(data):
        listed, errors = parse_list(data, name)
        return ParsedImport(format="letterboxd-list", rows=[], errors=errors, lists=[listed], watchlist=[], notes=[])
    parsed = parse_csv(data, name)
    if parsed.format == "letterboxd-watched" and name.lower() == "films.csv":
        raise UnreadableImport(N_("films.csv is Letterboxd's likes/films.csv (the films you liked): import the "
                                  "whole export ZIP, so that each like reaches the entry of its film"))
    return parsed


__all__ = ["LineReason", "ImportRow", "ListRow", "ParsedImport", "ParsedList", "UnreadableImport", "WatchlistRow",
           "parse_import", "parse_year"]
