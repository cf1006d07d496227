"""MongoDB adapters (pymongo's async client; real MongoDB in production, FerretDB in the tests)."""

from .catalog import MongoCatalogStore
from .client import Mongo
from .diary import MongoDiaryStore
from .items import MongoDeadLetterStore, MongoItemStore, MongoLimitStore
from .migrations import migrate
from .projections import MongoAffinityStore, MongoStatsStore, MongoTrendStore
from .relay import OutboxRelay
from .users import MongoUserStore

__all__ = ["Mongo", "MongoItemStore", "MongoLimitStore", "MongoAffinityStore", "MongoCatalogStore",
           "MongoDeadLetterStore", "MongoDiaryStore",
           "MongoStatsStore", "MongoTrendStore", "MongoUserStore", "OutboxRelay", "migrate"]
