"""The catalog's search index on SQLite: each film's title keys, word starts and trigram
full-text row, written by the catalog store and by the migrations that built them."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from ...domain.catalog import CatalogMovie, keys_of, word_starts
from .sql import chunks, placeholders


def _fts_phrase(text: str) -> str:
    """`text` as one FTS5 phrase (quotes doubled): never read as query syntax."""
    return '"' + text.replace('"', '""') + '"'


def write_title_keys(c: sqlite3.Connection, movies: Sequence[CatalogMovie]) -> None:
    """A film's rows of `catalog_keys` (what `candidates` looks names up by) and of the search
    index (by the catalog row's rowid, which an upsert keeps), replaced; and its votes."""
    c.executemany("DELETE FROM catalog_keys WHERE id = ?", [(m.id,) for m in movies])
    c.executemany("INSERT OR IGNORE INTO catalog_keys VALUES (?, ?)", [(k, m.id) for m in movies for k in keys_of(m)])
    rowids: dict[str, int] = {}
    for chunk in chunks([m.id for m in movies]):
        sql = f"SELECT id, rowid FROM catalog WHERE id IN ({placeholders(len(chunk))})"
        rowids.update(c.execute(sql, chunk).fetchall())
    c.executemany("DELETE FROM catalog_fts WHERE rowid = ?", [(rowids[m.id],) for m in movies])
    c.executemany("INSERT INTO catalog_fts (rowid, keys) VALUES (?, ?)",
                  [(rowids[m.id], " | ".join(keys_of(m))) for m in movies])
    c.executemany("UPDATE catalog SET votes = ? WHERE id = ?", [(m.votes, m.id) for m in movies])


def write_word_starts(c: sqlite3.Connection, movies: Sequence[CatalogMovie]) -> None:
    """A film's rows of `catalog_words` (`domain.catalog.word_starts` of its keys), replaced."""
    c.executemany("DELETE FROM catalog_words WHERE id = ?", [(m.id,) for m in movies])
    c.executemany("INSERT OR IGNORE INTO catalog_words VALUES (?, ?)",
                  [(w, m.id) for m in movies for w in word_starts(keys_of(m))])
