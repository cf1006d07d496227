"""Typed settings, loaded once: defaults < config/<profile>.toml (or CINEMATCH_CONFIG) < environment."""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path

import msgspec

from .domain.monitoring import period_seconds
from .paths import private_dir

PROFILES = ("embedded", "kafka", "spark")


class Settings(msgspec.Struct, kw_only=True):
    profile: str = "embedded"  # CINEMATCH_PROFILE: embedded | kafka | spark
    storage: str = ""  # CINEMATCH_STORAGE: sqlite | memory | mongo (default: by profile)
    data_dir: str = ".cinematch"  # CINEMATCH_DATA_DIR
    timezone: str = "Europe/Rome"  # CINEMATCH_TIMEZONE
    trends_window_days: int = 30  # CINEMATCH_TRENDS_WINDOW_DAYS
    trends_min_users: int = 3  # CINEMATCH_TRENDS_MIN_USERS: distinct users before a film is listed in the public trends
    trends_prune_every_seconds: float = 3600.0  # CINEMATCH_TRENDS_PRUNE_EVERY_SECONDS: 0 never deletes aged-out facts
    jwt_secret: str = ""  # CINEMATCH_JWT_SECRET (default: generated once into data_dir)
    token_ttl_seconds: int = 86400  # CINEMATCH_TOKEN_TTL_SECONDS
    admin_username: str = ""  # CINEMATCH_ADMIN_USERNAME
    admin_password: str = ""  # CINEMATCH_ADMIN_PASSWORD
    host: str = "127.0.0.1"  # CINEMATCH_HOST
    port: int = 8000  # CINEMATCH_PORT
    # CINEMATCH_HTTP_HEADER_TIMEOUT_SECONDS: a request's headers must arrive in this time
    http_header_timeout_seconds: float = 10.0
    projection_batch_size: int = 5000  # CINEMATCH_PROJECTION_BATCH_SIZE
    # CINEMATCH_FOLD_CACHE_LIMIT: distinct films' credits (and dates) a projector remembers, then starts over;
    # 0 = the fold's own bound (services.projection.caches.LIMIT)
    fold_cache_limit: int = 0
    # CINEMATCH_FOLD: vectorised | reference (event by event, slower: the vectorised fold's definition, to rule
    # it out when the statistics look wrong)
    fold: str = "vectorised"
    kafka_bootstrap_servers: str = "localhost:9092"  # KAFKA_BOOTSTRAP_SERVERS
    kafka_topic: str = "user-movie-events"  # CINEMATCH_KAFKA_TOPIC
    mongodb_url: str = "mongodb://localhost:27017/cinematch"  # MONGODB_URL
    spark_checkpoint_dir: str = "/tmp/cinematch-spark-checkpoints"  # CINEMATCH_SPARK_CHECKPOINT_DIR
    spark_master: str = "local[2]"  # CINEMATCH_SPARK_MASTER (`--master`; ignored under spark-submit)
    # CINEMATCH_SPARK_JARS: the Kafka connector jars (a directory or a comma list)
    spark_jars: str = "devservices/state/spark/jars"
    spark_trigger_seconds: float = 0.5  # CINEMATCH_SPARK_TRIGGER_SECONDS: statistics + affinities query
    spark_trends_trigger_seconds: float = 30.0  # CINEMATCH_SPARK_TRENDS_TRIGGER_SECONDS: trends query
    spark_max_offsets_per_trigger: int = 200_000  # CINEMATCH_SPARK_MAX_OFFSETS_PER_TRIGGER: batch size cap
    # CINEMATCH_SPARK_TRENDS_PARALLELISM: trends sink tasks at once (0: the slots but one)
    spark_trends_parallelism: int = 0
    # CINEMATCH_SPARK_STATS_PARALLELISM: tasks per statistics batch (0: the slots the trends leave)
    spark_stats_parallelism: int = 0
    bus: str = ""  # CINEMATCH_BUS: memory | sqlite | kafka (default: kafka for kafka/spark, else the storage's own log)
    kafka_partitions: int = 4  # CINEMATCH_KAFKA_PARTITIONS: partitions when the topic is created
    kafka_group: str = "cinematch-projections"  # CINEMATCH_KAFKA_GROUP: the worker's consumer group
    kafka_trends_group: str = "cinematch-projections-trends"  # CINEMATCH_KAFKA_TRENDS_GROUP: `worker --part trends`
    # CINEMATCH_KAFKA_FEEDBACK_TOPIC: what people do with their recommendations (impressions, clicks, dismissals)
    kafka_feedback_topic: str = "user-feedback-events"
    kafka_feedback_group: str = "cinematch-feedback"  # CINEMATCH_KAFKA_FEEDBACK_GROUP: the worker's feedback runner
    # CINEMATCH_PROJECT_IN_SERVE: serve folds events itself (embedded); off: `cinematch worker --profile embedded` does
    project_in_serve: bool = True
    relay_in_serve: bool = True  # CINEMATCH_RELAY_IN_SERVE: serve runs the outbox relay (kafka profile)
    migrate_on_start: bool = True  # CINEMATCH_MIGRATE_ON_START: serve/worker apply migrations first
    ml_use_movielens: bool = True  # CINEMATCH_ML_USE_MOVIELENS: train on MovieLens too when it was fetched
    imdb_datasets_url: str = "https://datasets.imdbws.com/"  # CINEMATCH_IMDB_DATASETS_URL: `catalog fetch imdb`
    catalog_refresh: str = "off"  # CINEMATCH_CATALOG_REFRESH: off | daily | weekly (serve fetches IMDb's files)
    tmdb_api_key: str = ""  # CINEMATCH_TMDB_API_KEY: with it, films the catalog lacks are looked up on TMDB
    tmdb_url: str = "https://api.themoviedb.org/3"  # CINEMATCH_TMDB_URL
    tmdb_image_url: str = "https://image.tmdb.org/t/p/w342"  # CINEMATCH_TMDB_IMAGE_URL: posters, fetched once
    tmdb_requests_per_second: float = 10.0  # CINEMATCH_TMDB_REQUESTS_PER_SECOND
    ml_train_on_start: bool = True  # CINEMATCH_ML_TRAIN_ON_START: serve trains a first model when none exists
    retrain_every: str = "off"  # CINEMATCH_RETRAIN_EVERY: off | a period (24h, 30m, 7d): serve retrains on schedule
    # CINEMATCH_ML_MONITOR_SECONDS: how often serve measures the model (a live RMSE 1.1x the training one retrains)
    ml_monitor_seconds: float = 600.0
    log_format: str = "text"  # CINEMATCH_LOG_FORMAT: text | json (one object per line, with the request id)
    # CINEMATCH_METRICS_PORT: worker and Spark driver serve /metrics here (0: none); serve has its own /metrics
    metrics_port: int = 0

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"CINEMATCH_PROFILE must be one of {', '.join(PROFILES)}, got {self.profile!r}")
        if not self.storage:
            self.storage = "sqlite" if self.profile == "embedded" else "mongo"
        if not self.bus:
            self.bus = "kafka" if self.profile in ("kafka", "spark") else self.storage
        if self.bus not in ("memory", "sqlite", "kafka"):
            raise ValueError(f"CINEMATCH_BUS must be memory, sqlite or kafka, got {self.bus!r}")
        if self.catalog_refresh not in ("off", "daily", "weekly"):  # said at start, not when the loop begins
            raise ValueError(f"CINEMATCH_CATALOG_REFRESH must be off, daily or weekly, got {self.catalog_refresh!r}")
        if self.storage not in ("memory", "sqlite", "mongo"):
            raise ValueError(f"CINEMATCH_STORAGE must be memory, sqlite or mongo, got {self.storage!r}")
        if self.trends_window_days < 1:
            raise ValueError("trends_window_days must be at least 1")
        if self.fold not in ("vectorised", "reference"):
            raise ValueError(f"CINEMATCH_FOLD must be vectorised or reference, got {self.fold!r}")
        if self.log_format not in ("text", "json"):
            raise ValueError(f"CINEMATCH_LOG_FORMAT must be text or json, got {self.log_format!r}")
        if self.trends_min_users < 1:
            raise ValueError("CINEMATCH_TRENDS_MIN_USERS must be at least 1")
        period_seconds(self.retrain_every)  # said at start: a bad period is refused here
        if self.ml_monitor_seconds <= 0:
            raise ValueError("CINEMATCH_ML_MONITOR_SECONDS must be above 0")

    @property
    def db_path(self) -> Path:
        return Path(self.data_dir) / "cinematch.db"

    @property
    def shadow_db_path(self) -> Path:
        return Path(self.data_dir) / "reconcile-shadow.db"


# Environment names that differ from CINEMATCH_<FIELD> (the seeds' names are kept).
ENV_NAMES = {
    "kafka_bootstrap_servers": "KAFKA_BOOTSTRAP_SERVERS",
    "mongodb_url": "MONGODB_URL",
}


def env_name(field: str) -> str:
    return ENV_NAMES.get(field, f"CINEMATCH_{field.upper()}")


def load_settings(env: dict[str, str] | None = None, /, **overrides: object) -> Settings:
    env = dict(os.environ if env is None else env)
    values: dict[str, object] = {}
    profile = str(overrides.get("profile") or env.get("CINEMATCH_PROFILE") or "embedded")
    config_file = env.get("CINEMATCH_CONFIG") or str(Path("config") / f"{profile}.toml")
    if Path(config_file).is_file():
        with open(config_file, "rb") as fh:
            values.update(tomllib.load(fh))
    for field in msgspec.structs.fields(Settings):
        name = env_name(field.name)
        if name in env and env[name] != "":
            values[field.name] = env[name]
    values.update({k: v for k, v in overrides.items() if v is not None})
    return msgspec.convert(values, Settings, strict=False)


def resolve_secret(settings: Settings) -> str:
    """The JWT secret: configured, or generated once and kept in the data dir."""
    if settings.jwt_secret:
        return settings.jwt_secret
    if settings.storage == "memory":
        settings.jwt_secret = secrets.token_urlsafe(32)
        return settings.jwt_secret
    path = Path(settings.data_dir) / "jwt_secret"
    secret = path.read_text().strip() if path.exists() else ""
    if len(secret) < 32:  # missing, or empty or cut short by a crash or a full disk: a new one
        private_dir(path.parent)
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # 0600 from the first byte
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
        secret = path.read_text().strip()
    settings.jwt_secret = secret
    return settings.jwt_secret
