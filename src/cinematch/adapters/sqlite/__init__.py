"""Embedded persistent storage: one SQLite file (WAL) under CINEMATCH_DATA_DIR.

The diary and its events are written in one transaction, so the event table is
the outbox and the log the in-process projection tails.
"""

from .catalog import SqliteCatalogStore
from .db import Database
from .diary import SqliteDiaryStore
from .events import SqliteEventSource
from .items import SqliteDeadLetterStore, SqliteItemStore
from .projections import SqliteAffinityStore, SqliteStatsStore, SqliteTrendStore
from .users import SqliteUserStore

__all__ = [
    "Database", "SqliteAffinityStore", "SqliteCatalogStore", "SqliteDeadLetterStore", "SqliteDiaryStore",
    "SqliteEventSource", "SqliteItemStore", "SqliteStatsStore", "SqliteTrendStore", "SqliteUserStore",
]
