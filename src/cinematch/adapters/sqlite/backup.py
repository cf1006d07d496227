"""`cinematch backup FILE` and `cinematch restore FILE` for the embedded store.

A backup is SQLite's online backup of the database (diary, statistics, users, catalog,
imports, watchlist) into one self-contained file, read in a single read transaction: a
consistent snapshot taken while the server goes on writing (WAL readers block no writer).

A restore replaces the data directory's database with a backup, and only when no process
has the store open: every process that opens it holds a shared lock on `cinematch.db.lock`
(`Database.open`), and the restore takes that lock exclusively or refuses. The database it
replaces is kept beside it (`cinematch.db.before-restore`); a backup made by an older version
is migrated when it is next opened.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from ...domain.ports import StoreUnavailable
from ...paths import private_dir
from .db import MIGRATIONS, Database


class BackupError(ValueError):
    """A backup or restore that cannot be done, with the reason (bad input: exit code 2)."""


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(source: sqlite3.Connection, target: Path) -> None:
    """The whole database of `source` into a new file `target`, durable when this returns."""
    target.unlink(missing_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # private from the first byte
    os.close(fd)
    dest = sqlite3.connect(target)
    try:
        # One step (pages=-1): the copy reads under one read lock, so it is a consistent
        # snapshot; in WAL mode that lock holds no writer back.
        source.backup(dest, pages=-1)
        dest.execute("PRAGMA journal_mode=DELETE")  # a single file: no -wal beside it
    finally:
        dest.close()
    _fsync(target)


def backup(db_path: Path, target: Path) -> dict[str, Any]:
    """Copies the store at `db_path` to `target` (written aside, then renamed into place)."""
    if not db_path.is_file():
        raise BackupError(f"{db_path}: no database to back up (is CINEMATCH_DATA_DIR right?)")
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give a file name")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent}: no such folder")
    started = time.monotonic()
    tmp = target.with_name(target.name + ".partial")
    source = sqlite3.connect(db_path, isolation_level=None)  # reads only
    try:
        _copy(source, tmp)
    finally:
        source.close()
    tmp.replace(target)
    return {"backup": str(target), "bytes": target.stat().st_size, "seconds": round(time.monotonic() - started, 2),
            **summary(target)}


def summary(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    try:
        return {"users": conn.execute("SELECT count(*) FROM users").fetchone()[0],
                "entries": conn.execute("SELECT count(*) FROM diary").fetchone()[0],
                "schema_version": conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]}
    finally:
        conn.close()


def check_backup(path: Path) -> None:
    """A restorable file: a whole SQLite database of CineMatch, of this version or older."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        conn = sqlite3.connect(path)  # (a live database in WAL mode opens read-only only with its -shm)
        try:
            verdict = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] \
                if "schema_migrations" in tables else None
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not a CineMatch backup ({exc})") from None
    if verdict != "ok":
        raise BackupError(f"{path}: the file is damaged ({verdict})")
    if version is None or not {"diary", "users", "events"} <= tables:
        raise BackupError(f"{path}: not a CineMatch backup (no CineMatch tables)")
    newest = max(v for v, *_ in MIGRATIONS)
    if version > newest:
        raise BackupError(f"{path}: made by a newer CineMatch (schema {version}; this one knows up to {newest})")


def restore(db_path: Path, source: Path) -> dict[str, Any]:
    check_backup(source)
    private_dir(db_path.parent)
    lock = os.fdopen(os.open(Database.lock_path(db_path), os.O_RDWR | os.O_CREAT, 0o600), "r+")
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreUnavailable(f"{db_path.parent} is in use by a running cinematch (serve, worker or another "
                                   "command): stop it, then restore") from None
        incoming = db_path.with_name(db_path.name + ".restoring")
        backed_up = summary(source)["schema_version"]
        conn = sqlite3.connect(source, isolation_level=None)
        try:
            _copy(conn, incoming)
        finally:
            conn.close()
        previous = None
        if db_path.exists():
            old = sqlite3.connect(db_path)  # nobody else has it open: fold its WAL into the file first
            try:
                old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                old.close()
            previous = db_path.with_name(db_path.name + ".before-restore")
            db_path.replace(previous)
        for side in ("-wal", "-shm"):
            Path(str(db_path) + side).unlink(missing_ok=True)
        incoming.replace(db_path)
        db = Database(db_path, shared_lock=False)  # (this process holds the lock exclusively)
        try:
            db.open()  # a backup of an older version is migrated now
        finally:
            db.close()
        return {"restored": str(source), "database": str(db_path), "previous": str(previous) if previous else None,
                "backup_schema_version": backed_up, **summary(db_path)}
    finally:
        lock.close()
