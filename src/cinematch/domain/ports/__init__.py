"""Ports: the small abstract interfaces the services need from the outside world.

Adapters (memory, embedded SQLite, MongoDB, Kafka, Spark) implement them; the
contract tests in tests/contract run one suite per port against every adapter.
"""

from ..writes import AffinityWrite, StaleWrite, StatsWrite
from .stores import CatalogStore, Clock, DiaryStore, ItemStore, LimitStore, UserStore
from .streams import (
    AffinityStore, DeadLetterStore, EventPublisher, EventRelayTarget, EventSource, Outbox, StatsStore, TrendStore,
)
from .values import Conflict, DeadLetter, DiaryChange, Record, StoreUnavailable, User

__all__ = [
    "AffinityStore", "AffinityWrite", "CatalogStore", "Clock", "Conflict", "DeadLetter", "DeadLetterStore",
    "DiaryChange", "DiaryStore", "EventPublisher", "EventRelayTarget", "EventSource", "ItemStore", "LimitStore",
    "Outbox", "Record", "StaleWrite", "StatsStore", "StatsWrite", "StoreUnavailable", "TrendStore",
    "User", "UserStore",
]
