"""In-memory adapters: for the fast tests and for tests of code that uses the ports.

They keep the same rules as the real stores (guards, tombstones, atomic outbox)
but claim to be nothing else: no persistence, one process.
"""

from .bus import MemoryEventLog, MemoryEventSource
from .clock import FixedClock
from .limits import MemoryLimitStore
from .stores import (
    MemoryAffinityStore,
    MemoryCatalogStore,
    MemoryDeadLetterStore,
    MemoryDiaryStore,
    MemoryItemStore,
    MemoryStatsStore,
    MemoryTrendStore,
    MemoryUserStore,
)

__all__ = [
    "FixedClock", "MemoryAffinityStore", "MemoryCatalogStore", "MemoryDeadLetterStore", "MemoryLimitStore",
    "MemoryDiaryStore", "MemoryEventLog", "MemoryItemStore", "MemoryEventSource", "MemoryStatsStore",
    "MemoryTrendStore", "MemoryUserStore",
]
