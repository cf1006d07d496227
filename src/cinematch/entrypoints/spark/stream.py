"""The Spark jobs, driver side: `cinematch spark stream` and `cinematch spark reconcile`.

Stream 1 (user statistics and affinities) hands each micro-batch's Kafka partitions to the
executors as they are: the producer keys every event by user_id, so one Spark partition
holds all of a user's events of the batch, in order (do not set the source's
`minPartitions`, which would split a Kafka partition between tasks). The executors fold
them with the core and write one guarded update per document; a micro-batch replayed
after a crash (foreachBatch is at-least-once) changes nothing, thanks to the seq marks.

Stream 2 (global trends) has its own trigger and an event-time watermark on the time each
entry was added, with a delay of the trends window: what it discards as late is an entry
that has already aged out of every trend. Inside the watermark it drops the outbox relay's
re-sends (same user, same seq) with `dropDuplicatesWithinWatermark`; the trend facts are
last-writer-wins by seq anyway, so nothing depends on that state for correctness.

Stream 3 (feedback on recommendations) reads the feedback topic and inserts each signal when
absent (services/feedback.py): a replayed micro-batch adds nothing.

Every query reads its topic from the earliest offset on a fresh checkpoint (the seeds'
`latest` lost every event published before the job started). On the first start of the
trends query its facts are first bootstrapped from the diaries.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec

from ...settings import Settings
from . import executors
from .session import (
    FEEDBACK_QUERY, KAFKA_FETCH_MAX_WAIT_MS, STATS_QUERY, TRENDS_DELAY_CONF, TRENDS_QUERY, _feedback_batch,
    _stats_batch, _trends_batch,
    build_session, in_pool, on_driver, over_users, stats_parallelism, trends_parallelism,
)

if TYPE_CHECKING:
    from ...adapters.observability import Metrics

log = logging.getLogger(__name__)


class StreamJob:
    """`cinematch spark stream`. The constructor only stores configuration; `run` connects."""

    def __init__(self, settings: Settings, *, master: str | None = None, once: bool = False,
                 conf: dict[str, str] | None = None, max_failures: int | None = None) -> None:
        self.settings = settings
        self.master = master
        self.once = once
        self.conf = conf or {}
        # --once gives up after a few failed attempts; the long-running job never does.
        self.max_failures = max_failures if max_failures is not None else (5 if once else None)
        self.spark: Any = None  # the SparkSession, once `run` connects (pyspark loads only then)
        self._next_prune = 0.0
        self.metrics: Metrics | None = None  # with CINEMATCH_METRICS_PORT: batch durations and lag on /metrics
        # every finished batch's progress (`progress_listener`)
        self._progress: queue.SimpleQueue[dict[str, Any]] | None = None
        self._triggers = {STATS_QUERY: settings.spark_trigger_seconds,
                          TRENDS_QUERY: settings.spark_trends_trigger_seconds,
                          FEEDBACK_QUERY: settings.spark_trigger_seconds}

    def prune_trends_if_due(self) -> int:
        """After a trends batch, on the driver: delete the facts that left the window,
        at most once every `trends_prune_every_seconds` (services/projection/retention.py). The driver
        builds a container per prune, so the period is kept here, not in `TrendRetention`."""
        every = self.settings.trends_prune_every_seconds
        if every <= 0 or time.monotonic() < self._next_prune:
            return 0
        self._next_prune = time.monotonic() + every
        pruned: int = on_driver(self.settings, lambda c: c.services.trend_retention().prune_after_batch())
        return pruned

    @property
    def checkpoint(self) -> str:
        return self.settings.spark_checkpoint_dir.rstrip("/")

    def _exists(self, path: str) -> bool:
        jvm = self.spark._jvm
        hpath = jvm.org.apache.hadoop.fs.Path(path)
        found: bool = hpath.getFileSystem(self.spark._jsc.hadoopConfiguration()).exists(hpath)
        return found

    def _prepare(self) -> None:
        from ...adapters.kafka.bus import ensure_topic
        s = self.settings
        for topic in (s.kafka_topic, s.kafka_feedback_topic):
            asyncio.run(ensure_topic(s.kafka_bootstrap_servers, topic, s.kafka_partitions))
        from ...runtime import Runtime
        on_driver(s, lambda c: Runtime(c).prepare())  # MongoDB's migrations, when this process applies them

    def bootstrap_trends(self) -> int:
        """Trend facts of every diary, at each diary's version (first start of the trends query)."""
        users = on_driver(self.settings, lambda c: c.storage.diary().user_ids())
        if not users:
            return 0
        return sum(over_users(self.spark, users,
                              partial(executors.bootstrap_trends, msgspec.to_builtins(self.settings))))

    def _source(self, topic: str | None = None) -> Any:  # a streaming DataFrame
        s = self.settings
        return (self.spark.readStream.format("kafka")
                .option("kafka.bootstrap.servers", s.kafka_bootstrap_servers)
                .option("subscribe", topic or s.kafka_topic)
                .option("startingOffsets", "earliest")
                # A task reads an offset range it knows is there, but a range that ends at the
                # log's end (a single new write) waited the consumer's fetch.max.wait.ms (500 ms
                # by default) before its task began: half a second on every light batch.
                .option("kafka.fetch.max.wait.ms", str(KAFKA_FETCH_MAX_WAIT_MS))
                .option("maxOffsetsPerTrigger", str(s.spark_max_offsets_per_trigger))
                .load())

    def _trigger(self, seconds: float) -> dict[str, Any]:
        return {"availableNow": True} if self.once else {"processingTime": f"{seconds:g} seconds"}

    def start_queries(self) -> list[Any]:
        from pyspark.sql import functions as F

        from .schema import event_schema
        s = self.settings
        conf = msgspec.to_builtins(s)
        conf["trends_task_delay_seconds"] = float(self.spark.conf.get(TRENDS_DELAY_CONF, "0"))
        in_pool(self.spark, STATS_QUERY)
        slots = self.spark.sparkContext.defaultParallelism
        stats = (self._source().select("value", "partition", "offset").writeStream
                 .queryName(STATS_QUERY)
                 .foreachBatch(partial(_stats_batch, conf, stats_parallelism(s, slots)))
                 .option("checkpointLocation", f"{self.checkpoint}/{STATS_QUERY}")
                 .trigger(**self._trigger(s.spark_trigger_seconds))
                 .start())

        in_pool(self.spark, TRENDS_QUERY)  # the bootstrap and the trends query: the trends pool
        if not self._exists(f"{self.checkpoint}/{TRENDS_QUERY}/offsets"):
            started = time.monotonic()
            n = self.bootstrap_trends()
            log.info("trends bootstrapped from %d diaries in %.1f s", n, time.monotonic() - started)
        e = F.from_json(F.col("value").cast("string"), event_schema())
        added = F.coalesce(*(F.try_to_timestamp(F.col(c)) for c in ("e.movie.added_at", "e.previous.added_at",
                                                                      "e.timestamp")), F.current_timestamp())
        event_key = F.when(F.col("e.seq").isNotNull(), F.concat_ws("\x00", "e.user_id", F.col("e.seq").cast("string"))
                           ).otherwise(F.coalesce(F.col("e.event_id"), F.sha2(F.col("value"), 256)))
        events = (self._source().select("value", "partition", "offset", e.alias("e"))
                  .where(F.col("e.user_id").isNotNull())
                  .select("value", "partition", "offset", F.col("e.user_id").alias("user_id"),
                          F.col("e.seq").alias("seq"), added.alias("added_at"), event_key.alias("event_key"))
                  .withWatermark("added_at", f"{s.trends_window_days + 1} days")
                  .dropDuplicatesWithinWatermark(["event_key"]))
        partitions = trends_parallelism(s, slots)
        trends = (events.writeStream
                  .queryName(TRENDS_QUERY)
                  .foreachBatch(partial(_trends_batch, conf, partitions, self.prune_trends_if_due))
                  .option("checkpointLocation", f"{self.checkpoint}/{TRENDS_QUERY}")
                  .trigger(**self._trigger(s.spark_trends_trigger_seconds))
                  .start())
        in_pool(self.spark, FEEDBACK_QUERY)
        feedback = (self._source(s.kafka_feedback_topic).select("value", "partition", "offset").writeStream
                    .queryName(FEEDBACK_QUERY)
                    .foreachBatch(partial(_feedback_batch, conf))
                    .option("checkpointLocation", f"{self.checkpoint}/{FEEDBACK_QUERY}")
                    .trigger(**self._trigger(s.spark_trigger_seconds))
                    .start())
        self.spark.sparkContext.setLocalProperty("spark.scheduler.pool", None)
        log.info("queries started: %s, %s, %s (checkpoints in %s; trends sink on %d task slots)", STATS_QUERY,
                 TRENDS_QUERY, FEEDBACK_QUERY, self.checkpoint, partitions)
        return [stats, trends, feedback]

    def run(self, stop: threading.Event) -> int:
        """Run until `stop` is set (or, with --once, until the backlog is done). A failed
        query restarts from its checkpoint: the batch is replayed, the guards skip what
        was already written."""
        self._prepare()
        self.spark = build_session(self.settings, "CineMatch-StatsProcessor", self.master, self.conf)
        self._progress = queue.SimpleQueue()
        self.spark.streams.addListener(progress_listener(self._progress))
        if self.settings.metrics_port:
            from ...adapters.observability import Metrics
            metrics = self.metrics = Metrics()
            metrics.serve(self.settings.metrics_port)
        failures = 0
        try:
            while not stop.is_set():
                queries = self.start_queries()
                while not stop.is_set():
                    stop.wait(0.5)
                    self.observe(queries)
                    failed = [q for q in queries if not q.isActive and q.exception() is not None]
                    if failed or all(not q.isActive for q in queries):
                        break
                if stop.is_set():
                    self.finish_batches(queries)
                for q in queries:
                    if q.isActive:
                        q.stop()
                if stop.is_set():
                    return 0
                if not failed:
                    return 0  # --once: every query has caught up
                failures += 1
                log.warning("query %s failed (%s); restarting from the checkpoint", failed[0].name,
                            str(failed[0].exception()).splitlines()[0])
                if self.max_failures is not None and failures >= self.max_failures:
                    return 1
                stop.wait(1)
            return 0
        finally:
            self.spark.stop()


    def finish_batches(self, queries: list[Any], wait: float = 30.0) -> None:
        """On SIGTERM: let a batch in flight finish (its writes and its checkpoint commit) before
        the queries stop, for at most `wait` seconds; one cut short is replayed at the next start."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(q.isActive and q.status.get("isTriggerActive") for q in queries):
            time.sleep(0.2)

    def observe(self, queries: list[Any]) -> None:
        """Each query's batches finished since the last look: into the metrics (when served),
        and a log line with the phases of each that outran its trigger; the lag per partition."""
        while self._progress is not None and not self._progress.empty():
            progress = self._progress.get()
            name = progress["name"]
            phases = progress["durationMs"]
            seconds = phases.get("triggerExecution", 0) / 1000
            if seconds > self._triggers.get(name, float("inf")):
                log.info("%s batch %s took %.0f ms: %s", name, progress["batchId"], seconds * 1000,
                         {k: v for k, v in phases.items() if k != "triggerExecution"})
            if self.metrics is not None:
                self.metrics.spark_batches.labels(name).observe(seconds)
                self.metrics.spark_batch_rows.labels(name).inc(progress.get("numInputRows", 0))
        lag = []
        for q in queries:
            name = q.name
            progress = q.lastProgress
            for source in (progress or {}).get("sources", []):
                for partition, end in _offsets(source.get("latestOffset")).items():
                    done = _offsets(source.get("endOffset")).get(partition, 0)
                    lag.append(([name, partition], max(0, end - done)))
        if self.metrics is not None:
            from prometheus_client.core import GaugeMetricFamily
            family = GaugeMetricFamily("cinematch_spark_lag_offsets", "offsets between the topic's end and the "
                                       "query's last batch", labels=["query", "partition"])
            for labels, value in lag:
                family.add_metric(labels, value)
            self.metrics.set_sampled([family])


def progress_listener(into: queue.SimpleQueue[dict[str, Any]]) -> Any:
    """A listener that puts each finished batch's progress in `into` (called on Spark's
    listener thread; observe() drains it, so no batch is missed between two looks)."""
    from pyspark.sql.streaming.listener import StreamingQueryListener

    class Progress(StreamingQueryListener):
        def onQueryStarted(self, event: Any) -> None: ...

        def onQueryProgress(self, event: Any) -> None:
            into.put(event.progress)

        def onQueryIdle(self, event: Any) -> None: ...

        def onQueryTerminated(self, event: Any) -> None: ...

    return Progress()


def _offsets(value: Any) -> dict[str, int]:
    """A Kafka source's offsets in a query's progress ({"topic": {"0": 12, ...}}, maybe as JSON text)."""
    import json
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    out: dict[str, int] = {}
    for partitions in (value or {}).values():
        if isinstance(partitions, dict):
            out.update({str(p): int(n) for p, n in partitions.items()})
    return out
