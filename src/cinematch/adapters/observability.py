"""What an operator watches: Prometheus metrics and log lines (docs/contract.md §3, `GET /metrics`).

One `Metrics` per process, made by the container, with a registry of its own (nothing
registers into prometheus_client's global one). Counters that the code keeps anyway (the
projection runner's totals, the dead letters in the store, the served model) are not copied
into Prometheus objects as they change: *samplers*, async callables given by the entrypoint
that wires them, are read when the metrics are rendered (`render`, on each scrape of serve's
`/metrics`; every few seconds in the worker and the Spark driver, whose HTTP server is a
thread of prometheus_client that cannot await).
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

log = logging.getLogger(__name__)

Sampler = Callable[[], Awaitable[Iterable[Metric]]]
CONTENT_TYPE = "text/plain; version=0.0.4"  # (the web framework adds the charset)
# Latency buckets from 2.5 ms (a page from cache) to 10 s (an import of a large file).
HTTP_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class _Sampled:
    """A collector answering with the metric families of the last `Metrics.refresh`."""

    def __init__(self) -> None:
        self.families: list[Metric] = []

    def collect(self) -> Iterable[Metric]:
        return list(self.families)


RECENT_ANSWERS = 20_000  # the answers `serving` looks back over (at most)
RECENT_SECONDS = 300.0  # the seed's alert windows: 1 to 5 minutes
RECOMMENDATION_ROUTES = frozenset({"/api/recommendations/me", "/recommendations"})


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter("cinematch_http_requests", "HTTP requests answered",
                                     ["method", "route", "status"], registry=self.registry)
        self.http_duration = Histogram("cinematch_http_request_duration_seconds", "time to answer an HTTP request",
                                       ["method", "route"], buckets=HTTP_BUCKETS, registry=self.registry)
        self.spark_batches = Histogram("cinematch_spark_batch_duration_seconds",
                                       "time a Spark micro-batch took (the foreachBatch sink)", ["query"],
                                       buckets=BATCH_BUCKETS, registry=self.registry)
        self.spark_batch_rows = Counter("cinematch_spark_batch_rows", "events the Spark micro-batches read",
                                        ["query"], registry=self.registry)
        self.up = Gauge("cinematch_process_start_time_seconds", "when this process started (Unix time)",
                        registry=self.registry)
        self.up.set(time.time())
        self._samplers: list[Sampler] = []
        self._recent: collections.deque[tuple[float, str, int, float]] = collections.deque(maxlen=RECENT_ANSWERS)
        self._sampled = _Sampled()
        self.registry.register(self._sampled)

    def add_sampler(self, sampler: Sampler) -> None:
        self._samplers.append(sampler)

    async def refresh(self) -> None:
        """Read every sampler; one that fails (a store down) is left out of this scrape and logged."""
        families: list[Metric] = []
        for sampler in self._samplers:
            try:
                families.extend(await sampler())
            except Exception as exc:  # noqa: BLE001 - a scrape never fails for one source
                log.warning("metrics: %s left out: %s", getattr(sampler, "__name__", sampler), exc)
        self.set_sampled(families)

    def set_sampled(self, families: list[Metric]) -> None:
        """What a process that samples by itself (the Spark driver's loop) shows until the next call."""
        self._sampled.families = families

    async def render(self) -> bytes:
        await self.refresh()
        return generate_latest(self.registry)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_duration.labels(method, route).observe(seconds)
        self._recent.append((time.monotonic(), route, status, seconds))

    def serving(self, window: float = RECENT_SECONDS) -> dict[str, float | None]:
        """This process's last `window` seconds of answers, for the model monitor: the p99 time of
        the recommendation lists (API and page) and the share of server errors."""
        since = time.monotonic() - window
        recent = [r for r in list(self._recent) if r[0] >= since]
        lists = sorted(r[3] for r in recent if r[1] in RECOMMENDATION_ROUTES)
        p99 = lists[min(len(lists) - 1, int(0.99 * len(lists)))] * 1000 if lists else None
        return {"latency_p99_ms": round(p99, 3) if p99 is not None else None,
                "error_rate": round(sum(r[2] >= 500 for r in recent) / len(recent), 6) if recent else None}

    async def refresh_forever(self, stop: asyncio.Event, every: float = 5.0) -> None:
        """For a process whose HTTP server is prometheus_client's thread (worker, Spark driver)."""
        while not stop.is_set():
            await self.refresh()
            try:
                await asyncio.wait_for(stop.wait(), every)
            except TimeoutError:
                pass

    def serve(self, port: int, host: str = "0.0.0.0") -> None:
        """prometheus_client's HTTP server (a daemon thread) on `port`, for worker and Spark driver."""
        start_http_server(port, addr=host, registry=self.registry)


# --- samplers ----------------------------------------------------------------------

def projection_sampler(runner: Any) -> Sampler:
    """The in-process projection: events not yet projected per partition, events applied."""
    async def projection() -> list[Metric]:
        lag = GaugeMetricFamily("cinematch_projection_lag_events", "events published and not yet projected",
                                labels=["partition"])
        for partition, n in sorted((await runner.source.lag()).items()):
            lag.add_metric([str(partition)], n)
        return [lag, CounterMetricFamily("cinematch_events_projected", "events this process's projection applied",
                                         value=runner.totals.events)]
    return projection


def group_lag_sampler(lag: Callable[[], Awaitable[dict[int, int]]]) -> Sampler:
    """The projection's lag as another process sees it (serve on the kafka profile: the worker
    group's committed offsets against the topic's end)."""
    async def group_lag() -> list[Metric]:
        family = GaugeMetricFamily("cinematch_projection_lag_events", "events published and not yet projected",
                                   labels=["partition"])
        for partition, n in sorted((await lag()).items()):
            family.add_metric([str(partition)], n)
        return [family]
    return group_lag


def consumer_sampler(source: Any) -> Sampler:
    """A Kafka worker's own partitions: the lag of each assigned partition."""
    async def consumer() -> list[Metric]:
        family = GaugeMetricFamily("cinematch_consumer_lag", "records between this consumer's position and the "
                                   "partition's end", labels=["partition"])
        for partition, n in sorted((await source.lag()).items()):
            family.add_metric([str(partition)], n)
        return [family]
    return consumer


def dead_letter_sampler(dead_letters: Any) -> Sampler:
    async def dead() -> list[Metric]:
        return [CounterMetricFamily("cinematch_dead_letters", "events set aside as dead letters (the store's count)",
                                    value=await dead_letters.count())]
    return dead


def model_sampler(recommendations: Any) -> Sampler:
    """The served recommendation model: its version and how long its training took."""
    async def model() -> list[Metric]:
        status = await recommendations.status()
        version = GaugeMetricFamily("cinematch_model_version", "the served model's version (0: none trained)")
        version.add_metric([], float((status.get("model_version") or "v0").lstrip("v") or 0))  # "v000003" is 3
        seconds = GaugeMetricFamily("cinematch_model_training_seconds", "how long the served model's training took")
        seconds.add_metric([], float(status.get("training_seconds") or 0))
        return [version, seconds]
    return model


# --- logs ----------------------------------------------------------------------------

class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, message, and the request id when the
    record carries one (`extra={"request_id": ...}`), a traceback as `exc`."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
                               "level": record.levelname.lower(), "logger": record.name,
                               "message": record.getMessage()}
        for key in ("request_id", "method", "route", "path", "status", "seconds"):
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


JsonLines.converter = time.gmtime  # UTC, as the Z says


def configure_logging(fmt: str = "text", level: int = logging.INFO) -> None:
    """The process's log lines: `text` (a person reading a terminal) or `json` (one object per
    line, for a log collector). Replaces what an earlier call or basicConfig set."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
