"""The driver's Spark session and what both jobs share: the FAIR pools of the two queries, the
connector jars, work spread over the executors and their reports summed."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from functools import partial
from pathlib import Path
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ...settings import Settings
from . import executors

if TYPE_CHECKING:  # the container module loads only on the driver, when needed
    from ...container import Application

T = TypeVar("T")

log = logging.getLogger(__name__)



STATS_QUERY = "user-stats"
TRENDS_QUERY = "global-trends"
FEEDBACK_QUERY = "recommendation-feedback"  # the feedback topic's signals (services/feedback.py)

# The two queries share the executors' task slots. Each runs its jobs in a FAIR scheduler pool
# of its own, and the statistics pool comes first for a free slot (minShare 1, weight 4): a
# user's own statistics never queue behind the community trends. A task cannot be preempted,
# so the trends sink also runs on one slot fewer than there are (`trends_parallelism`): a slow
# trends batch (its fact writes are the slow part) always leaves a slot to the statistics.
POOLS = {STATS_QUERY: "statistics", TRENDS_QUERY: "trends", FEEDBACK_QUERY: "trends"}
FAIR_POOLS = """<?xml version="1.0"?>
<allocations>
  <pool name="statistics"><schedulingMode>FIFO</schedulingMode><weight>4</weight><minShare>1</minShare></pool>
  <pool name="trends"><schedulingMode>FIFO</schedulingMode><weight>1</weight><minShare>0</minShare></pool>
</allocations>
"""
TRENDS_DELAY_CONF = "spark.cinematch.trendsTaskDelaySeconds"  # fault injection: each trends task waits first


KAFKA_FETCH_MAX_WAIT_MS = 10  # see StreamJob._source


def fair_pools_file() -> str:
    """The pools' allocation file (read by the driver only), written once per content."""
    import hashlib
    import tempfile
    path = Path(tempfile.gettempdir()) / f"cinematch-fair-{hashlib.sha1(FAIR_POOLS.encode()).hexdigest()[:10]}.xml"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(FAIR_POOLS)
        tmp.replace(path)
    return str(path)


def in_pool(spark: Any, query: str) -> None:
    """This thread's Spark jobs go to `query`'s pool (a foreachBatch callback's thread, or the
    thread that starts the query, whose stream thread inherits it)."""
    spark.sparkContext.setLocalProperty("spark.scheduler.pool", POOLS[query])


def trends_parallelism(settings: Settings, slots: int) -> int:
    return settings.spark_trends_parallelism or max(1, slots - 1)


def stats_parallelism(settings: Settings, slots: int) -> int:
    """Tasks per statistics batch: the slots the trends leave (at least 1). Each task pays a
    handful of database round trips whatever its size, so a batch in as many tasks as the
    topic has partitions, queued on the one free slot, pays them again and again."""
    return settings.spark_stats_parallelism or max(1, slots - trends_parallelism(settings, slots))


def jar_paths(spec: str) -> list[str]:
    """`spec`: a directory of jars or a comma-separated list of jar paths."""
    out: list[str] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        path = Path(part)
        out += sorted(str(j.resolve()) for j in path.glob("*.jar")) if path.is_dir() else [part]
    return out


def under_spark_submit() -> bool:
    """spark-submit starts the Python driver with the gateway of its own JVM."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def build_session(settings: Settings, app_name: str, master: str | None = None,
                  conf: dict[str, str] | None = None) -> Any:  # a SparkSession
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors run this interpreter (local mode)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.appName(app_name)
    if not under_spark_submit():  # spark-submit's --master and --jars stand
        builder = builder.master(master or settings.spark_master)
        jars = jar_paths(settings.spark_jars)
        if not any("spark-sql-kafka" in j for j in jars):
            raise ValueError(f"no spark-sql-kafka jar in {settings.spark_jars!r} (CINEMATCH_SPARK_JARS); "
                             "fetch them with: scripts/devservices up spark")
        builder = builder.config("spark.jars", ",".join(jars))
    defaults = {
        "spark.sql.shuffle.partitions": "4",  # state and shuffles sized for a few cores; fixed per checkpoint
        "spark.sql.session.timeZone": settings.timezone,
        "spark.sql.streaming.stateStore.providerClass":
            "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider",
        "spark.scheduler.mode": "FAIR",
        "spark.scheduler.allocation.file": fair_pools_file(),
        "spark.ui.showConsoleProgress": "false",
        "spark.ui.enabled": "false",
        "spark.driver.memory": "2g",
    }
    for key, value in {**defaults, **(conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def on_driver(settings: Settings, work: Callable[[Application], Awaitable[T]]) -> T:
    """Run `work(container)` on the driver, with a container of its own."""
    from ...container import build_container, close_resources

    async def main() -> T:
        container = build_container(settings)
        try:
            return await work(container)
        finally:
            await close_resources(container)
    return asyncio.run(main())


def over_users(spark: Any, users: list[str], work: Callable[[Iterable[str]], Iterator[Any]]) -> list[Any]:
    """Spread `users` over the executors (a few slices per core) and collect what
    `work(user_ids)` yields for each slice."""
    sc = spark.sparkContext
    slices = max(1, min(len(users), sc.defaultParallelism * 4))
    collected: list[Any] = sc.parallelize(users, slices).mapPartitions(work).collect()
    return collected


def _sum_reports(reports: list[dict[str, int]]) -> dict[str, Any]:
    total: dict[str, int] = {}
    for r in reports:
        for k, v in r.items():
            total[k] = total.get(k, 0) + v
    return total


# What a projection task returns: executors.REPORT_FIELDS as a Spark schema.
REPORT_DDL = ", ".join(f"{f} long" for f in executors.REPORT_FIELDS)


def _project(df: Any, work: Callable[..., Any]) -> list[dict[str, int]]:
    """Each partition of `df` to `work(conf, arrow batches)` on the executors (mapInArrow:
    columns, not pickled rows); the tasks' reports."""
    return [r.asDict() for r in df.mapInArrow(work, REPORT_DDL).collect()]


def _stats_batch(conf: dict[str, Any], partitions: int, df: Any, batch_id: int) -> None:
    in_pool(df.sparkSession, STATS_QUERY)
    # A user's events come from one Kafka partition, in order; coalescing keeps that order.
    reports = _project(df.coalesce(partitions), partial(executors.project_stats, conf))
    if reports:
        log.info("user-stats batch %s: %s", batch_id, _sum_reports(reports))


def _feedback_batch(conf: dict[str, Any], df: Any, batch_id: int) -> None:
    in_pool(df.sparkSession, FEEDBACK_QUERY)
    reports = _project(df, partial(executors.project_feedback, conf))
    if reports:
        log.info("feedback batch %s: %s", batch_id, _sum_reports(reports))


def _trends_batch(conf: dict[str, Any], partitions: int, after: Any, df: Any, batch_id: int) -> None:
    in_pool(df.sparkSession, TRENDS_QUERY)
    # All of a user's facts in one task, in seq order: one write per fact document; at most
    # `partitions` tasks (trends_parallelism), so a slot stays free for the statistics.
    rows = (df.repartition(partitions, "user_id").sortWithinPartitions("user_id", "seq", "partition", "offset")
            .select("value", "partition", "offset"))
    reports = _project(rows, partial(executors.project_trends, conf))
    if reports:
        log.info("global-trends batch %s: %s", batch_id, _sum_reports(reports))
    after()
