"""MongoDB adapters (pymongo's async client; real MongoDB in production, FerretDB in the tests)."""

from .client import Mongo
from .migrations import migrate
from .relay import OutboxRelay
from .stores import (
    MongoAffinityStore, MongoCatalogStore, MongoDeadLetterStore, MongoDiaryStore, MongoItemStore, MongoLimitStore,
    MongoStatsStore, MongoTrendStore, MongoUserStore,
)

__all__ = ["Mongo", "MongoItemStore", "MongoLimitStore", "MongoAffinityStore", "MongoCatalogStore",
           "MongoDeadLetterStore", "MongoDiaryStore",
           "MongoStatsStore", "MongoTrendStore", "MongoUserStore", "OutboxRelay", "migrate"]
