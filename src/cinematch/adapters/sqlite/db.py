"""The SQLite database file, its schema migrations and transactions."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any


from ...domain.ports import StoreUnavailable
from ...paths import private_dir, private_file
from .catalog_index import build_people, build_title_keys, build_word_starts
from .diary_index import DIARY_DAYS, add_audience_columns

# Versioned, append-only. Each step runs once and is recorded in schema_migrations.
MIGRATIONS: list[tuple[int, str, Any]] = [  # SQL text, or a function of the connection
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
    # Public trends count catalog films by distinct user: each fact names its film, taken
    # for the facts already stored from their entries' catalog match.
    (3, "trend facts name their catalog film", """
    ALTER TABLE trend_facts ADD COLUMN film TEXT NOT NULL DEFAULT '';
    UPDATE trend_facts SET film = COALESCE((
        SELECT json_extract(CAST(d.doc AS TEXT), '$.catalog_id') FROM diary d
        WHERE d.user_id = trend_facts.user_id AND d.id = trend_facts.entry_key), '');
    CREATE INDEX trend_window_film ON trend_facts (live, day, film, user_id);
    """),
    # /ready and the start-up check write here: a store that cannot take this row cannot take a diary.
    (4, "health probe", """
    CREATE TABLE health_probe (id INTEGER PRIMARY KEY, at TEXT NOT NULL);
    """),
    # Affinity keys became one-to-one (domain.text.clean_key): the users with a name whose key
    # changed get a RECALCULATE event (no seq: a recompute at the diary's version), which the
    # projection turns into documents under the new keys (the old ones drop to count 0).
    (5, "affinity keys one-to-one", """
    INSERT INTO events (user_id, payload)
    SELECT user_id, CAST(json_object('event_type', 'RECALCULATE', 'user_id', user_id) AS BLOB)
    FROM (SELECT DISTINCT user_id FROM user_affinities WHERE count > 0 AND name GLOB '*[%_.$]*');
    """),
    # Half stars and unrated entries: ratings are counted apart from entries (rated_count), and
    # the mean duration only over entries whose duration is known. Every entry stored so far
    # has a rating, so an affinity's rated count is its count; the statistics also need the
    # count of entries with a duration, which only the diary knows: every user with statistics
    # gets a RECALCULATE (no seq: a recompute at the diary's version).
    (6, "half stars and unrated entries", """
    ALTER TABLE user_affinities ADD COLUMN rated_count INTEGER NOT NULL DEFAULT 0;
    UPDATE user_affinities SET rated_count = count;
    INSERT INTO events (user_id, payload)
    SELECT user_id, CAST(json_object('event_type', 'RECALCULATE', 'user_id', user_id) AS BLOB) FROM user_stats;
    """),
    # A user's small records: import batches (to list and undo them), the watchlist.
    # A deleted account's id stays here: a projection that meets its events removes what it wrote.
    (7, "import batches, the watchlist, deleted accounts", """
    CREATE TABLE user_items (kind TEXT NOT NULL, user_id TEXT NOT NULL, id TEXT NOT NULL, doc BLOB NOT NULL,
                             PRIMARY KEY (kind, user_id, id));
    CREATE TABLE purged_users (user_id TEXT PRIMARY KEY, at TEXT NOT NULL, done INTEGER NOT NULL);
    """),
    # A film is found under every title key (domain.catalog): one row per (key, film) for
    # lookups and prefixes, its keys in a trigram full-text index for substrings and typos, its
    # votes for ranking; filled in for the films stored before (a Python step: the keys are
    # the domain's rule).
    (8, "catalog title keys and search", lambda c: build_title_keys(c)),
    # The tails of the title keys from each later word (domain.catalog.word_starts): a word
    # inside a title is found by an index range, as a title's own prefix is; (id, votes) ranks
    # a range's films without reading their documents.
    (9, "catalog word starts", lambda c: build_word_starts(c)),
    (10, "the language of a person's pages", "ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT ''"),
    # Who each film credits, as what (domain.catalog.credits_of): a person's page is an index range.
    (11, "catalog people", lambda c: build_people(c)),
    # Statistics by writer, country, language, decade, release year and weekday, rewatches and
    # distinct films (docs/contract.md §2): folded from the diary as it is, so every user with
    # statistics gets a RECALCULATE (no seq: a recompute at the diary's version).
    (12, "writers, countries, languages, decades, years, weekdays, rewatches and films", """
    INSERT INTO events (user_id, payload)
    SELECT user_id, CAST(json_object('event_type', 'RECALCULATE', 'user_id', user_id) AS BLOB) FROM user_stats;
    """),
    # The entries of each day of each diary, kept by triggers in the transaction of every diary
    # write (so never apart from the diary, whatever writes it): the calendar reads a diary's
    # days (a few thousand rows) instead of grouping all its entries.
    (13, "entries per day", lambda c: [c.execute(statement) for statement in DIARY_DAYS]),
    # What each entry adds to its film's audience (domain.audience.share_of), beside it: a film
    # page's line is one range of a partial index, exact at every read.
    (14, "films' audiences", lambda c: add_audience_columns(c)),
]


def unavailable(exc: sqlite3.Error) -> StoreUnavailable | None:
    """The reason a person can act on, for the errors that mean the store cannot serve."""
    text = str(exc).lower()
    if "disk is full" in text or "disk i/o error" in text:
        return StoreUnavailable("the disk is full: writes are accepted again once space is freed", retry_after=30)
    if "readonly" in text or "read-only" in text:
        return StoreUnavailable("the database is read-only: give the server write access to CINEMATCH_DATA_DIR")
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return StoreUnavailable("the database file is corrupt: restore it from a backup", corrupt=True)
    if "locked" in text or "busy" in text:
        return StoreUnavailable("the database is busy: try again", retry_after=1)
    if "unable to open" in text:
        return StoreUnavailable("the database file cannot be opened: check CINEMATCH_DATA_DIR")
    return None


FREE_AFTER_FULL = 1024 * 1024  # bytes free before a store whose writes failed for space is ready again


def _free_bytes(directory: Path) -> int:
    stat = os.statvfs(directory)
    return stat.f_bavail * stat.f_frsize


class Database:
    """One SQLite connection shared by the embedded stores.

    Statements are short; a lock serialises them so the connection can be used
    from the event loop and from helper threads alike. `synchronous=FULL` makes
    every commit durable before the API answers. The file and its -wal/-shm (which
    SQLite creates with the database file's mode) are 0600 in a 0700 directory.
    A failure that means the store cannot serve (disk full, read-only, corrupt)
    is raised as `StoreUnavailable` with its reason; a corrupt file is remembered.
    """

    def __init__(self, path: str | Path, *, shared_lock: bool = True) -> None:
        self.path = str(path)
        self.shared_lock = shared_lock
        self._lock_file: IO[str] | None = None  # the shared lock on <db>.lock while open (see backup.py: restore)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        # Reads go through a connection per thread (WAL: readers never wait for the writer, and
        # see every transaction committed before they start); writes through the one above.
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._generation = 0  # a close() retires every reader opened before it
        self._listeners: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self.corrupt: str | None = None  # the reason, once a read met a corrupt page
        self.full = False  # a write failed for want of space: ready again only once space is free

    def open(self) -> Database:
        if self._conn is None:
            # Under the lock from connecting to the last migration: a reader (another thread)
            # connects only to a migrated file.
            with self._lock, self._translated():
                if self._conn is None:
                    self._open()
        return self

    def _open(self) -> None:
        if self.path != ":memory:":
            if Path(self.path).parent.is_dir() and not os.access(Path(self.path).parent, os.W_OK):
                raise StoreUnavailable(f"the data directory {Path(self.path).parent} is read-only: give the server "
                                       "write access to CINEMATCH_DATA_DIR")
            private_dir(Path(self.path).parent)
            private_file(Path(self.path))
            for side in (Path(self.path + "-wal"), Path(self.path + "-shm")):  # left by an older version
                if side.exists() and side.stat().st_mode & 0o077:
                    side.chmod(0o600)
            if self.shared_lock:
                self._hold()
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=5000")
            # One connection per process: a 64 MB page cache (SQLite's default is 2 MB) keeps the
            # projection tables' B-tree pages, which every batch updates all over, in memory.
            conn.execute("PRAGMA cache_size=-65536")
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        try:
            self.migrate()
        except BaseException:
            # Not half open: the next use opens again and finishes the migrations.
            self._conn = None
            conn.close()
            raise

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.IntegrityError:
            raise  # a broken uniqueness rule: the stores turn it into Conflict
        except sqlite3.DatabaseError as exc:
            reason = unavailable(exc)
            if reason is None:
                raise
            if reason.corrupt:
                self.corrupt = reason.reason
            if reason.reason.startswith("the disk is full"):
                self.full = True
            raise reason from exc

    def check(self, *, integrity: bool = False) -> None:
        """Raise StoreUnavailable unless the store can be read and written now: one small
        durable write (a full disk or a read-only file fails it), and with `integrity`
        SQLite's quick_check of every page (at start-up)."""
        if self.corrupt:
            raise StoreUnavailable(self.corrupt, corrupt=True)
        if self.full:
            # The probe's row is rewritten in place and fits on a full disk; the writes that failed
            # needed new pages. Ready again when there is room for them.
            if self.path != ":memory:" and _free_bytes(Path(self.path).parent) < FREE_AFTER_FULL:
                raise StoreUnavailable("the disk is full: writes are accepted again once space is freed",
                                       retry_after=30)
            self.full = False
        with self._translated():
            if integrity:
                verdict = self.conn.execute("PRAGMA quick_check(1)").fetchone()[0]
                if verdict != "ok":
                    raise sqlite3.DatabaseError(f"database disk image is malformed: {verdict}")
        with self.tx() as c:
            c.execute("INSERT OR REPLACE INTO health_probe (id, at) VALUES (1, datetime('now'))")

    @staticmethod
    def lock_path(path: str | Path) -> str:
        return str(path) + ".lock"

    def _hold(self) -> None:
        """A shared lock for as long as this process has the store open: a restore takes it
        exclusively, so it never replaces a database a running process still writes."""
        if self._lock_file is not None:
            return
        fd = os.open(self.lock_path(self.path), os.O_RDWR | os.O_CREAT, 0o600)
        lock = os.fdopen(fd, "r+")
        try:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise StoreUnavailable(f"{Path(self.path).parent} is being restored (cinematch restore); "
                                   "start again once it is done") from None
        self._lock_file = lock

    def close(self) -> None:
        """Close the connection and release the shared lock; a statement running in another
        thread (a store call off the event loop) finishes first."""
        with self._lock:
            self._generation += 1
            for reader in self._readers:
                reader.close()
            self._readers.clear()
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._lock_file is not None:
                self._lock_file.close()
                self._lock_file = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self.open()
        assert self._conn is not None
        return self._conn

    def migrate(self) -> list[int]:
        conn = self.conn
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                     "(version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
        done = {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}
        applied = []
        for version, name, sql in MIGRATIONS:
            if version in done:
                continue
            with self.tx() as c:
                # Asked again inside the write transaction: another process (or an earlier, cut-short
                # open) may have applied it since `done` was read.
                if c.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (version,)).fetchone():
                    continue
                if callable(sql):
                    sql(c)
                else:
                    for statement in filter(str.strip, sql.split(";")):
                        c.execute(statement)
                c.execute("INSERT INTO schema_migrations VALUES (?, ?, datetime('now'))", (version, name))
            applied.append(version)
        if applied:  # the migrations' pages go into the database file now: a fresh WAL stays small
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return applied

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT: all or nothing, even on kill -9."""
        with self._lock, self._translated():
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:  # SQLite may have rolled back already (disk full)
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    async def clear_projections(self) -> None:
        """Empty the projection tables (reconcile's shadow database starts each run empty)."""
        with self.tx() as conn:
            for table in ("user_stats", "user_affinities", "trend_facts"):
                conn.execute(f"DELETE FROM {table}")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A read, on this thread's reader (an in-memory database has one connection: the writer's)."""
        if self.path == ":memory:":
            with self._lock, self._translated():
                return self.conn.execute(sql, params).fetchall()
        with self._translated():
            return self._reader().execute(sql, params).fetchall()

    def _reader(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "generation", -1) != self._generation or local.conn is None:
            with self._lock:
                self.open()  # the file exists, is migrated and locked before anyone reads it
                reader = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
                reader.execute("PRAGMA query_only=ON")
                reader.execute("PRAGMA busy_timeout=5000")
                reader.execute("PRAGMA cache_size=-16384")
                self._readers.append(reader)
                local.conn, local.generation = reader, self._generation
        conn: sqlite3.Connection = local.conn
        return conn

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
