"""The SQLite database file, its schema migrations and transactions."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

# Versioned, append-only. Each step runs once and is recorded in schema_migrations.
MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "initial schema", """
    CREATE TABLE users (
        id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL, is_admin INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
    CREATE TABLE user_seq (user_id TEXT PRIMARY KEY, seq INTEGER NOT NULL);
    CREATE TABLE diary (
        user_id TEXT NOT NULL, id TEXT NOT NULL, date TEXT NOT NULL, added_at TEXT NOT NULL,
        seq INTEGER NOT NULL, doc BLOB NOT NULL, PRIMARY KEY (user_id, id));
    CREATE INDEX diary_newest ON diary (user_id, date DESC, added_at DESC, id DESC);
    CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, payload BLOB NOT NULL);
    CREATE TABLE consumer_offsets (grp TEXT PRIMARY KEY, next_position INTEGER NOT NULL);
    CREATE TABLE catalog (
        id TEXT PRIMARY KEY, title TEXT NOT NULL, original_title TEXT, normalized_title TEXT NOT NULL,
        normalized_original_title TEXT NOT NULL, doc BLOB NOT NULL);
    CREATE INDEX catalog_title ON catalog (title);
    CREATE INDEX catalog_original_title ON catalog (original_title);
    CREATE INDEX catalog_normalized_title ON catalog (normalized_title);
    CREATE INDEX catalog_normalized_original_title ON catalog (normalized_original_title);
    CREATE TABLE user_stats (user_id TEXT PRIMARY KEY, hwm INTEGER NOT NULL, doc BLOB NOT NULL);
    CREATE TABLE user_affinities (
        id TEXT PRIMARY KEY, user_id TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL,
        name_key TEXT NOT NULL, count INTEGER NOT NULL, sum_ratings INTEGER NOT NULL,
        hwm INTEGER NOT NULL, updated_at TEXT);
    CREATE INDEX affinities_by_count ON user_affinities (user_id, type, count DESC);
    CREATE INDEX affinities_by_sum ON user_affinities (user_id, type, sum_ratings DESC);
    CREATE TABLE trend_facts (
        user_id TEXT NOT NULL, entry_key TEXT NOT NULL, day TEXT NOT NULL, title TEXT NOT NULL,
        genres TEXT NOT NULL, live INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (user_id, entry_key));
    CREATE INDEX trend_window ON trend_facts (live, day);
    CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL, reason TEXT NOT NULL,
        partition INTEGER NOT NULL, position INTEGER NOT NULL, at TEXT NOT NULL);
    """),
    # A batch replayed after a crash meets its malformed messages again: one letter per
    # source position (duplicates an older version stored are dropped first).
    (2, "one dead letter per source position", """
    DELETE FROM dead_letters WHERE id NOT IN (SELECT MIN(id) FROM dead_letters GROUP BY partition, position);
    CREATE UNIQUE INDEX dead_letters_position ON dead_letters (partition, position);
    """),
]


class Database:
    """One SQLite connection shared by the embedded stores.

    Statements are short; a lock serialises them so the connection can be used
    from the event loop and from helper threads alike. `synchronous=FULL` makes
    every commit durable before the API answers.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._listeners: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def open(self) -> Database:
        if self._conn is None:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=5000")
            # One connection per process: a 64 MB page cache (SQLite's default is 2 MB) keeps the
            # projection tables' B-tree pages, which every batch updates all over, in memory.
            conn.execute("PRAGMA cache_size=-65536")
            self._conn = conn
            self.migrate()
        return self

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self.open()
        assert self._conn is not None
        return self._conn

    def migrate(self) -> list[int]:
        conn = self.conn
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
        done = {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}
        applied = []
        for version, name, sql in MIGRATIONS:
            if version in done:
                continue
            with self.tx() as c:
                for statement in filter(str.strip, sql.split(";")):
                    c.execute(statement)
                c.execute("INSERT INTO schema_migrations VALUES (?, ?, datetime('now'))", (version, name))
            applied.append(version)
        return applied

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT: all or nothing, even on kill -9."""
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    async def clear_projections(self) -> None:
        """Empty the projection tables (reconcile's shadow database starts each run empty)."""
        with self.tx() as conn:
            for table in ("user_stats", "user_affinities", "trend_facts"):
                conn.execute(f"DELETE FROM {table}")

    def query(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    # --- new-event notification for the in-process projection -------------------

    def listen(self) -> asyncio.Event:
        event = asyncio.Event()
        self._listeners.append((asyncio.get_running_loop(), event))
        return event

    def unlisten(self, event: asyncio.Event) -> None:
        self._listeners = [(lp, e) for lp, e in self._listeners if e is not event]

    def notify(self) -> None:
        for loop, event in list(self._listeners):
            try:
                if loop.is_closed():
                    continue
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:
                pass
