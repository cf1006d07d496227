"""The catalog's search index on SQLite: each film's title keys, word starts and trigram
full-text row, written by the catalog store and by the migrations that built them."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from ...domain.catalog import CatalogMovie, credits_of, keys_of, word_starts
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


def write_people(c: sqlite3.Connection, movies: Sequence[CatalogMovie]) -> None:
    """A film's rows of `catalog_people` (`domain.catalog.credits_of`: who it credits, as what), replaced."""
    c.executemany("DELETE FROM catalog_people WHERE id = ?", [(m.id,) for m in movies])
    c.executemany("INSERT OR IGNORE INTO catalog_people VALUES (?, ?, ?)",
                  [(k, m.id, role) for m in movies for k, role in credits_of(m)])


# --- the migrations that built these indexes for the films stored before them (db.MIGRATIONS) ---

def build_title_keys(c: sqlite3.Connection) -> None:
    c.execute("CREATE TABLE catalog_keys (key TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID")
    c.execute("CREATE INDEX catalog_keys_id ON catalog_keys (id)")
    c.execute("CREATE VIRTUAL TABLE catalog_fts USING fts5(keys, tokenize='trigram')")
    c.execute("ALTER TABLE catalog ADD COLUMN votes INTEGER NOT NULL DEFAULT 0")
    c.execute("CREATE INDEX catalog_votes ON catalog (votes DESC)")
    each_film(c, lambda films: write_title_keys(c, films))


def build_word_starts(c: sqlite3.Connection) -> None:
    c.execute("CREATE TABLE catalog_words (key TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID")
    c.execute("CREATE INDEX catalog_words_id ON catalog_words (id)")
    c.execute("CREATE INDEX catalog_id_votes ON catalog (id, votes)")
    each_film(c, lambda films: write_word_starts(c, films))


def build_people(c: sqlite3.Connection) -> None:
    c.execute("CREATE TABLE catalog_people (key TEXT NOT NULL, id TEXT NOT NULL, role TEXT NOT NULL, "
              "PRIMARY KEY (key, id, role)) WITHOUT ROWID")
    c.execute("CREATE INDEX catalog_people_id ON catalog_people (id)")
    each_film(c, lambda films: write_people(c, films))


def each_film(c: sqlite3.Connection, write: Callable[[list[Any]], None]) -> None:
    """`write` called with every catalog film, 5,000 at a time."""

    decode = msgspec.json.Decoder(CatalogMovie).decode
    rows = c.execute("SELECT doc FROM catalog").fetchall()
    for start in range(0, len(rows), 5000):
        write([decode(r[0]) for r in rows[start:start + 5000]])
