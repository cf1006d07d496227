"""Where a runtime is chosen: the one place that wires adapters to services.

Containers are split by concern; `providers.Selector` picks each backend from
the settings (`storage`: memory | sqlite | mongo). Services receive plain
objects and never import dependency_injector.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from dependency_injector import containers, providers

from .adapters import memory
from .adapters.clock import SystemClock
from .adapters.kafka import KafkaEventPublisher, KafkaEventSource, KafkaGroupLag
from .adapters.memory.stores import clear_stores
from .adapters.mongo import (
    Mongo,
    MongoAffinityStore,
    MongoCatalogStore,
    MongoDeadLetterStore,
    MongoDiaryStore,
    MongoItemStore,
    MongoLimitStore,
    MongoStatsStore,
    MongoTrendStore,
    MongoUserStore,
    OutboxRelay,
)
from .adapters.mongo.projections import clear_shadow
from .adapters.observability import Metrics
from .adapters.sqlite import (
    Database,
    SqliteAffinityStore,
    SqliteCatalogStore,
    SqliteDeadLetterStore,
    SqliteDiaryStore,
    SqliteEventSource,
    SqliteItemStore,
    SqliteStatsStore,
    SqliteTrendStore,
    SqliteUserStore,
)
from .adapters.tmdb import TmdbClient
from .domain.experiments import Experiment
from .domain.feedback import Signal
from .domain.library import ImportBatch, WatchItem
from .domain.lists import FilmList
from .domain.ports import Clock
from .domain.shares import Share
from .services.accounts import Accounts
from .services.diary import DiaryService
from .services.enrichment import CatalogEnrichment
from .services.feedback import Feedback, FeedbackProjector, InProcessFeedback, StreamedFeedback
from .services.catalog_refresh import CatalogRefresh
from .services.catalog_search import CatalogSearch
from .services.films import FilmService
from .services.people import PersonService
from .adapters.posters import PosterStore
from .services.import_jobs import ImportJobs
from .services.imports import ImportService
from .services.limits import LoginThrottle
from .services.lists import ListService
from .services.projection import (
    FoldCache,
    ProjectionRunner,
    Projector,
    Reconciler,
    Shadow,
    TrendRetention,
    fold_batch,
    reference_fold,
)
from .services.purge import AccountPurge
from .services.shares import ShareService
from .services.queries import StatsQueries
from .services.watchlist import WatchlistService
from .settings import Settings, resolve_secret

if TYPE_CHECKING:  # the ML stack loads when the recommender is first used (`_recommendations`)
    from .services.experiments import Experiments
    from .services.monitor import ModelMonitor
    from .services.picks import Picks
    from .services.recommendations import Recommendations


async def _always_ready() -> None:
    return None


def _sqlite_check(db: Database) -> Callable[[], Awaitable[None]]:
    async def check() -> None:
        await asyncio.to_thread(db.check)  # a durable write: off the event loop
    return check


def _mongo_check(mongo: Mongo) -> Callable[[], Awaitable[None]]:
    return mongo.check


def _per_storage(config: Any, db: Any, mongo: Any, in_memory: Callable[..., Any], on_sqlite: Callable[..., Any],
                 on_mongo: Callable[..., Any], *args: Any, **on_mongo_only: Any) -> providers.Selector[Any]:
    """One store port for the backend `storage` selects, each given `args` (the SQLite store
    after its database, the MongoDB store after its client, with `on_mongo_only` too)."""
    return providers.Selector(
        config.storage, memory=providers.Singleton(in_memory, *args), sqlite=providers.Singleton(on_sqlite, db, *args),
        mongo=providers.Singleton(on_mongo, mongo, *args, **on_mongo_only))


class Storage(containers.DeclarativeContainer):
    """Every store port, for the selected backend."""

    config = providers.Configuration()
    clock: providers.Dependency[Clock] = providers.Dependency()

    db = providers.Singleton(Database, path=config.db_path)
    log = providers.Singleton(memory.MemoryEventLog)

    mongo = providers.Singleton(Mongo, url=config.mongodb_url)

    users = _per_storage(config, db, mongo, memory.MemoryUserStore, SqliteUserStore, MongoUserStore)
    diary = providers.Selector(
        config.storage, memory=providers.Singleton(memory.MemoryDiaryStore, log),
        sqlite=providers.Singleton(SqliteDiaryStore, db), mongo=providers.Singleton(MongoDiaryStore, mongo))
    catalog = _per_storage(config, db, mongo, memory.MemoryCatalogStore, SqliteCatalogStore, MongoCatalogStore)
    stats = _per_storage(config, db, mongo, memory.MemoryStatsStore, SqliteStatsStore, MongoStatsStore)
    affinities = _per_storage(config, db, mongo, memory.MemoryAffinityStore, SqliteAffinityStore, MongoAffinityStore)
    trends = _per_storage(config, db, mongo, memory.MemoryTrendStore, SqliteTrendStore, MongoTrendStore)
    # Reconcile's shadow stores: the recompute goes here, beside the live projections
    # (mongo: collections `*_shadow`; sqlite: a database file of its own; memory: new stores).
    shadow_db = providers.Singleton(Database, path=config.shadow_db_path)
    shadow_stats = _per_storage(config, shadow_db, mongo, memory.MemoryStatsStore, SqliteStatsStore, MongoStatsStore,
                                collection="user_stats_shadow")
    shadow_affinities = _per_storage(config, shadow_db, mongo, memory.MemoryAffinityStore, SqliteAffinityStore,
                                     MongoAffinityStore, collection="user_affinities_shadow")
    shadow_trends = _per_storage(config, shadow_db, mongo, memory.MemoryTrendStore, SqliteTrendStore, MongoTrendStore,
                                 collection="trend_facts_shadow")
    clear_shadow = providers.Selector(
        config.storage, memory=providers.Factory(partial, clear_stores, shadow_stats, shadow_affinities, shadow_trends),
        sqlite=providers.Factory(lambda db: db.open().clear_projections, shadow_db),
        mongo=providers.Factory(partial, clear_shadow, mongo))
    # /ready: an async callable that raises StoreUnavailable unless the store takes a write now.
    check = providers.Selector(
        config.storage, memory=providers.Object(_always_ready), sqlite=providers.Factory(_sqlite_check, db),
        mongo=providers.Factory(_mongo_check, mongo))
    imports = _per_storage(config, db, mongo, memory.MemoryItemStore, SqliteItemStore, MongoItemStore,
                           "imports", ImportBatch)
    watchlist = _per_storage(config, db, mongo, memory.MemoryItemStore, SqliteItemStore, MongoItemStore,
                             "watchlist", WatchItem)
    lists = _per_storage(config, db, mongo, memory.MemoryItemStore, SqliteItemStore, MongoItemStore, "lists", FilmList)
    shares = _per_storage(config, db, mongo, memory.MemoryItemStore, SqliteItemStore, MongoItemStore, "shares", Share)
    # What people do with their recommendations (services/feedback.py), and the experiments.
    signals = _per_storage(config, db, mongo, memory.MemoryItemStore, SqliteItemStore, MongoItemStore, "signals",
                           Signal)
    dismissed = _per_storage(config, db, mongo, memory.MemoryItemStore, SqliteItemStore, MongoItemStore, "dismissed",
                             Signal)
    experiments = _per_storage(config, db, mongo, memory.MemoryItemStore, SqliteItemStore, MongoItemStore,
                               "experiments", Experiment)
    # Rate limits and the sign-in throttle: per process on the embedded profile (one process
    # serves), in MongoDB where several app processes serve one address.
    limits = providers.Selector(
        config.storage, memory=providers.Singleton(memory.MemoryLimitStore),
        sqlite=providers.Singleton(memory.MemoryLimitStore), mongo=providers.Singleton(MongoLimitStore, mongo))
    dead_letters = _per_storage(config, db, mongo, memory.MemoryDeadLetterStore, SqliteDeadLetterStore,
                                MongoDeadLetterStore)
    # What a process closes on its way out (`close_resources`), for the backend it uses.
    resources = providers.Selector(config.storage, memory=providers.List(),
                                   sqlite=providers.List(db, shadow_db), mongo=providers.List(mongo))


def _no_outbox(storage: str) -> NoReturn:
    raise ValueError(f"the outbox relay needs MongoDB storage (CINEMATCH_STORAGE=mongo); {storage!r} has no outbox: "
                     "its events go to the projection directly")


class Bus(containers.DeclarativeContainer):
    """Where the diary's events travel: the storage's own log (embedded) or Kafka."""

    config = providers.Configuration()
    storage = providers.DependenciesContainer()

    # The projection's source of events.
    events = providers.Selector(
        config.bus, memory=providers.Singleton(lambda log: log.subscribe("projections"), storage.log),
        sqlite=providers.Singleton(SqliteEventSource, storage.db, "projections"),
        kafka=providers.Singleton(KafkaEventSource, bootstrap=config.kafka_bootstrap_servers, topic=config.kafka_topic,
                                  group=config.kafka_group, partitions=config.kafka_partitions))
    # `cinematch worker --part trends`: the trends on a subscription of their own, so that a slow
    # trends write never holds back the statistics (`--part stats` folds those on `events`).
    trends_events = providers.Selector(
        config.bus, memory=providers.Singleton(lambda log: log.subscribe("projections-trends"), storage.log),
        sqlite=providers.Singleton(SqliteEventSource, storage.db, "projections-trends"),
        kafka=providers.Singleton(KafkaEventSource, bootstrap=config.kafka_bootstrap_servers, topic=config.kafka_topic,
                                  group=config.kafka_trends_group, partitions=config.kafka_partitions))
    publisher = providers.Singleton(KafkaEventPublisher, bootstrap=config.kafka_bootstrap_servers,
                                    topic=config.kafka_topic, partitions=config.kafka_partitions)
    # Feedback on recommendations: its own topic (services/feedback.py); none on the embedded buses,
    # where the fold runs in the request.
    feedback_events = providers.Singleton(
        KafkaEventSource, bootstrap=config.kafka_bootstrap_servers, topic=config.kafka_feedback_topic,
        group=config.kafka_feedback_group, partitions=config.kafka_partitions)
    feedback_publisher = providers.Singleton(KafkaEventPublisher, bootstrap=config.kafka_bootstrap_servers,
                                             topic=config.kafka_feedback_topic, partitions=config.kafka_partitions)
    # The outbox relay: only where the diary keeps an outbox (MongoDB storage; the embedded
    # stores log their events themselves and have none to relay).
    relay = providers.Selector(
        config.storage, mongo=providers.Singleton(OutboxRelay, diary=storage.diary, publisher=publisher),
        memory=providers.Callable(_no_outbox, config.storage), sqlite=providers.Callable(_no_outbox, config.storage))
    # The worker group's lag as serve sees it (kafka bus): for serve's /metrics.
    group_lag = providers.Singleton(KafkaGroupLag, bootstrap=config.kafka_bootstrap_servers, topic=config.kafka_topic,
                                    group=config.kafka_group)


def _lookup(*, api_key: str, url: str, rate: float, image_url: str) -> TmdbClient | None:
    """TMDB (the `FilmLookup` port) when an API key is set; else None."""
    if not api_key:
        return None
    return TmdbClient(api_key=api_key, base_url=url, requests_per_second=rate, image_url=image_url)


def _enrichment(*, lookup: TmdbClient | None, catalog: Any, diary: Any) -> CatalogEnrichment | None:
    """The TMDB enricher, attached to the diary service, when TMDB is configured; else None."""
    if lookup is None:
        return None
    enricher = CatalogEnrichment(client=lookup, catalog=catalog, diary=diary)
    diary.enricher = enricher
    return enricher


def _recommendations(**kwargs: Any) -> Recommendations:
    # Imported when first used: the ML stack (numpy, scipy, scikit-learn) is slow to import
    # and most commands (worker, relay, migrate) never need it.
    from .services.recommendations import Recommendations
    return Recommendations(**kwargs)


def _experiments(**kwargs: Any) -> Experiments:
    from .services.experiments import Experiments  # the ML stack, when first used (as above)
    return Experiments(**kwargs)


def _monitor(**kwargs: Any) -> ModelMonitor:
    from .services.monitor import ModelMonitor
    return ModelMonitor(**kwargs)


def _picks(**kwargs: Any) -> Picks:
    from .services.picks import Picks
    return Picks(**kwargs)


class Services(containers.DeclarativeContainer):
    config = providers.Configuration()
    storage = providers.DependenciesContainer()
    bus = providers.DependenciesContainer()
    clock: providers.Dependency[Clock] = providers.Dependency()
    metrics: providers.Dependency[Metrics] = providers.Dependency()

    accounts = providers.Singleton(Accounts, users=storage.users,
                                   throttle=providers.Singleton(LoginThrottle, storage.limits))
    shares = providers.Singleton(ShareService, store=storage.shares, diary=storage.diary, users=storage.users,
                                 clock=clock, tz=config.timezone)
    purge = providers.Singleton(
        AccountPurge, users=storage.users, clock=clock,
        stores=providers.List(shares, storage.signals, storage.dismissed, storage.diary, storage.stats,
                              storage.affinities, storage.trends,
                              storage.imports, storage.watchlist, storage.lists))
    diary = providers.Singleton(DiaryService, diary=storage.diary, catalog=storage.catalog, clock=clock,
                                watchlist=storage.watchlist, tz=config.timezone)
    watchlist = providers.Singleton(WatchlistService, store=storage.watchlist, entries=diary)
    lists = providers.Singleton(ListService, store=storage.lists, watchlist=watchlist)
    imports = providers.Singleton(ImportService, entries=diary, imports=storage.imports, watchlist=watchlist,
                                  lists=lists)
    import_jobs = providers.Singleton(ImportJobs, imports=imports)
    catalog_refresh = providers.Singleton(
        lambda data_dir, **kw: CatalogRefresh(Path(data_dir) / "imdb", **kw), data_dir=config.data_dir,
        base_url=config.imdb_datasets_url, catalog=storage.catalog, every=config.catalog_refresh)
    lookup = providers.Singleton(_lookup, api_key=config.tmdb_api_key, url=config.tmdb_url,
                                 rate=config.tmdb_requests_per_second, image_url=config.tmdb_image_url)
    enrichment = providers.Singleton(_enrichment, lookup=lookup, catalog=storage.catalog, diary=diary)
    catalog_search = providers.Singleton(CatalogSearch, catalog=storage.catalog, lookup=lookup)
    people = providers.Singleton(PersonService, catalog=storage.catalog, diary=storage.diary)
    posters = providers.Singleton(
        lambda data_dir, **kw: PosterStore(Path(data_dir) / "posters", **kw), data_dir=config.data_dir)
    # Each projector owns the fold's memory (one bounded registry each: two projectors in
    # one process, the worker's two parts, never clear each other's mid-batch).
    fold_cache = providers.Factory(FoldCache, limit=config.fold_cache_limit)
    fold = providers.Selector(config.fold, vectorised=providers.Object(fold_batch),
                              reference=providers.Object(reference_fold))
    projector = providers.Singleton(
        Projector, cache=fold_cache, fold=fold, diary=storage.diary, stats=storage.stats, affinities=storage.affinities,
        trends=storage.trends, dead_letters=storage.dead_letters, clock=clock, tz=config.timezone, users=storage.users)
    # The Spark runtime's two streaming queries own one part each: statistics and
    # affinities (trigger 0.5 s), trends (its own trigger and event-time watermark).
    stats_projector = providers.Singleton(
        Projector, cache=fold_cache, fold=fold, diary=storage.diary, stats=storage.stats, affinities=storage.affinities,
        trends=None, dead_letters=storage.dead_letters, clock=clock, tz=config.timezone, users=storage.users)
    trends_projector = providers.Singleton(
        Projector, cache=fold_cache, fold=fold, diary=storage.diary, stats=None, affinities=None, trends=storage.trends,
        dead_letters=storage.dead_letters, clock=clock, tz=config.timezone, users=storage.users)
    reconciler = providers.Singleton(
        Reconciler, diary=storage.diary, stats=storage.stats, affinities=storage.affinities, trends=storage.trends,
        shadow=providers.Factory(Shadow, storage.shadow_stats, storage.shadow_affinities, storage.shadow_trends),
        projector=projector, clear_shadow=storage.clear_shadow, clock=clock, tz=config.timezone,
        window_days=config.trends_window_days)
    trend_retention = providers.Singleton(
        TrendRetention, trends=storage.trends, clock=clock, tz=config.timezone, window_days=config.trends_window_days,
        every_seconds=config.trends_prune_every_seconds)
    runner = providers.Singleton(
        ProjectionRunner, source=bus.events, projector=projector, batch_size=config.projection_batch_size,
        poll_timeout=0.5, retention=trend_retention)
    # The worker in two parts (`cinematch worker --part stats|trends`), each its own subscription.
    stats_runner = providers.Singleton(
        ProjectionRunner, source=bus.events, projector=stats_projector, batch_size=config.projection_batch_size,
        poll_timeout=0.5)
    trends_runner = providers.Singleton(
        ProjectionRunner, source=bus.trends_events, projector=trends_projector,
        batch_size=config.projection_batch_size, poll_timeout=0.5, retention=trend_retention)
    recommendations = providers.Singleton(
        _recommendations, diary=storage.diary, data_dir=config.data_dir, use_movielens=config.ml_use_movielens,
        watchlist=storage.watchlist, limits=storage.limits, clock=clock)
    feedback_projector = providers.Singleton(
        FeedbackProjector, store=storage.signals, dismissed=storage.dismissed, dead_letters=storage.dead_letters,
        clock=clock, tz=config.timezone)
    feedback_runner = providers.Singleton(ProjectionRunner, source=bus.feedback_events, projector=feedback_projector,
                                          batch_size=config.projection_batch_size, poll_timeout=0.5)
    feedback_sink = providers.Selector(
        config.bus, memory=providers.Singleton(InProcessFeedback, feedback_projector),
        sqlite=providers.Singleton(InProcessFeedback, feedback_projector),
        kafka=providers.Singleton(StreamedFeedback, bus.feedback_publisher))
    feedback = providers.Singleton(Feedback, sink=feedback_sink, projector=feedback_projector, clock=clock)
    experiments = providers.Singleton(
        _experiments, store=storage.experiments, feedback=storage.signals, diary=storage.diary,
        watchlist=storage.watchlist, recommendations=recommendations, clock=clock, tz=config.timezone)
    picks = providers.Singleton(_picks, recommendations=recommendations, feedback=feedback, experiments=experiments)
    monitor = providers.Singleton(
        _monitor, recommendations=recommendations, signals=storage.signals, diary=storage.diary,
        watchlist=storage.watchlist, clock=clock, tz=config.timezone, retrain_every=config.retrain_every,
        every_seconds=config.ml_monitor_seconds, serving=providers.Callable(lambda m: m.serving, metrics))
    films = providers.Singleton(FilmService, catalog=storage.catalog, diary=storage.diary,
                                recommendations=recommendations, min_users=config.trends_min_users)
    queries = providers.Singleton(
        StatsQueries, diary=storage.diary, stats=storage.stats, affinities=storage.affinities, trends=storage.trends,
        catalog=storage.catalog, clock=clock, window_days=config.trends_window_days,
        min_users=config.trends_min_users, tz=config.timezone)


class Application(containers.DeclarativeContainer):
    config = providers.Configuration()
    clock = providers.Singleton(SystemClock, tz=config.timezone)
    metrics = providers.Singleton(Metrics)  # this process's Prometheus registry (adapters/observability.py)
    storage = providers.Container(Storage, config=config, clock=clock)
    bus = providers.Container(Bus, config=config, storage=storage)
    services = providers.Container(Services, config=config, storage=storage, bus=bus, clock=clock, metrics=metrics)


def build_container(settings: Settings, clock: Clock | None = None) -> Application:
    resolve_secret(settings)
    container = Application()
    container.config.from_dict({
        **{f: getattr(settings, f) for f in settings.__struct_fields__},
        "db_path": str(settings.db_path),
        "shadow_db_path": str(settings.shadow_db_path),
    })
    if clock is not None:
        container.clock.override(providers.Object(clock))
    return container


async def close_resources(container: Application) -> None:
    """Close what the container's stores opened (`Storage.resources`: the SQLite files, and their
    shared lock which `cinematch restore` waits for, or the MongoDB client). The one place a
    runtime's stop goes through; a store opened again after it reopens lazily."""
    for resource in container.storage.resources():
        closed = resource.close()
        if inspect.isawaitable(closed):
            await closed
