"""Embedded persistent storage: one SQLite file (WAL) under CINEMATCH_DATA_DIR.

The diary and its events are written in one transaction, so the event table is
the outbox and the log the in-process projection tails.
"""

from .db import Database
from .stores import (
    SqliteAffinityStore, SqliteCatalogStore, SqliteDeadLetterStore, SqliteDiaryStore, SqliteEventSource,
    SqliteItemStore, SqliteStatsStore, SqliteTrendStore, SqliteUserStore,
)

__all__ = [
    "Database", "SqliteAffinityStore", "SqliteCatalogStore", "SqliteDeadLetterStore", "SqliteDiaryStore",
    "SqliteEventSource", "SqliteItemStore", "SqliteStatsStore", "SqliteTrendStore", "SqliteUserStore",
]
