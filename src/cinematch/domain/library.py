"""A user's records beside the diary: import batches (listed, and undone) and the watchlist."""

from __future__ import annotations

import hashlib

import msgspec

from .diary import DiaryEntry
from .text import normalize_title


class ImportBatch(msgspec.Struct, omit_defaults=True):
    """One import: the entries it created carry its id (`DiaryEntry.batch`)."""
    id: str
    format: str
    at: str
    imported: int = 0  # entries this batch holds in the diary
    duplicates: int = 0  # rows of its last run already in the diary
    updated: int = 0  # entries of earlier imports this one changed
    previous: list[DiaryEntry] = []  # those entries as they were: undoing the import puts them back


class WatchItem(msgspec.Struct, omit_defaults=True):
    """A film the user wants to see."""
    id: str
    name: str
    added: str = ""  # day it was put on the list
    title: str = ""  # the catalog's title, when matched
    year: int | None = None
    catalog_id: str | None = None
    imdb_id: str | None = None
    batch: str = ""  # the import that put it on the list ("" when added by hand): undoing it takes it off


def watch_id(catalog_id: str | None, name: str, year: int | None) -> str:
    """One item per film: the same film put on the list twice is the same item."""
    key = catalog_id or f"{normalize_title(name)}|{year or ''}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]
