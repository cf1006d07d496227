"""What the Spark executors run: the projector of the core on MongoDB, one partition at a time.

The streaming queries hand each partition over with `mapInArrow`: the Kafka rows arrive as
Arrow record batches (columns, not one pickled row at a time) and the report goes back as one.
Each Python worker keeps one event loop and one wired container (and so one MongoDB client)
per configuration, reused across tasks and micro-batches. The stores are the async ones
every other runtime uses; a second, synchronous copy of them would be code to keep in step.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from ...domain.ports import Record
from ...services.projection.projector import Report
from ...services.projection.reconcile import Window
from ...settings import Settings

if TYPE_CHECKING:  # the container (and the ML stack behind it) loads in a worker only when a task needs it
    from ...container import Application

T = TypeVar("T")

_runtimes: dict[str, tuple[asyncio.AbstractEventLoop, Application]] = {}
RECONCILE_CONCURRENCY = 8  # users checked at once per task


def _run(conf: dict[str, Any], work: Callable[[Application], Awaitable[T]]) -> T:
    """Run `work(container)` on this worker's loop and container for `conf`."""
    key = json.dumps(conf, sort_keys=True)
    hit = _runtimes.get(key)
    if hit is None:
        from ...container import build_container
        hit = _runtimes[key] = (asyncio.new_event_loop(), build_container(msgspec.convert(conf, Settings)))
    loop, container = hit
    return loop.run_until_complete(work(container))


# The Arrow schema of what a projection task returns (entrypoints.spark.REPORT_DDL on the driver).
REPORT_FIELDS = ("events", "applied", "dead_letters", "users", "task_ms")


def _records(batches: Iterable[Any]) -> list[Record]:  # pyarrow RecordBatches
    """Kafka rows (value, partition, offset) from Arrow record batches."""
    out: list[Record] = []
    for batch in batches:
        values, partitions, offsets = (batch.column(name).to_pylist() for name in ("value", "partition", "offset"))
        out += [Record(payload=v, position=o, partition=p) for v, p, o in zip(values, partitions, offsets)]
    return out


def _report(report: Any, started: float) -> Iterator[Any]:
    """The task's report, with its time (from its first row read to the report: what the
    batch's addBatch spends in Python, the rest being Spark's)."""
    import pyarrow as pa
    row = {**msgspec.to_builtins(report), "task_ms": round((time.monotonic() - started) * 1000)}
    yield pa.RecordBatch.from_pylist([row],
                                     schema=pa.schema([(f, pa.int64()) for f in REPORT_FIELDS]))


def project_stats(conf: dict[str, Any], batches: Iterable[Any]) -> Iterator[Any]:
    """Stream 1: statistics and affinities of the users in this partition, guarded by seq;
    malformed messages go to the dead letters."""
    started = time.monotonic()
    records = _records(batches)
    if records:
        yield from _report(_run(conf, lambda c: c.services.stats_projector().apply_records(records)), started)


def project_feedback(conf: dict[str, Any], batches: Iterable[Any]) -> Iterator[Any]:
    """The feedback query: signals inserted when absent (a replayed batch adds nothing)."""
    started = time.monotonic()
    records = _records(batches)
    if records:
        yield from _report(_run(conf, lambda c: c.services.feedback_projector().apply_records(records)), started)


def project_trends(conf: dict[str, Any], batches: Iterable[Any]) -> Iterator[Any]:
    """Stream 2: trend facts (last writer by seq wins). Malformed messages are skipped here:
    stream 1 records them as dead letters, once."""
    started = time.monotonic()
    records = _records(batches)

    async def work(c: Application) -> Report | None:
        projector = c.services.trends_projector()
        decoded, _ = projector.decode(records)
        if not decoded.events:
            return None
        if conf.get("trends_task_delay_seconds"):  # fault injection (tests): a slow trends sink
            time.sleep(float(conf["trends_task_delay_seconds"]))
        report: Report = await projector.apply_events(decoded.events, decoded.columns)
        return report

    if records:
        report = _run(conf, work)
        if report is not None:
            yield from _report(report, started)


def bootstrap_trends(conf: dict[str, Any], user_ids: Iterable[str]) -> Iterator[int]:
    """The trend facts of these users recomputed from their diaries, at each diary's version."""
    users = list(user_ids)

    async def work(c: Application) -> int:
        projector = c.services.trends_projector()
        for user_id in users:
            await projector.recalculate(user_id)
        return len(users)

    if users:
        yield _run(conf, work)


def reconcile_users(conf: dict[str, Any], repair: bool, since: str, user_ids: Iterable[str]) -> Iterator[dict[str,
                    Any]]:
    """Reconcile these users, a few at a time (each check is a handful of round trips to the
    database; one user after the other leaves the server idle). Yields each user's check,
    then the partition's trend window as `{"window": ...}`."""
    users = list(user_ids)
    if users:
        window = Window()

        async def work(c: Application) -> list[Any]:
            reconciler = c.services.reconciler()
            sem = asyncio.Semaphore(RECONCILE_CONCURRENCY)

            async def one(user_id: str) -> Any:
                async with sem:
                    return await reconciler.check_user(user_id, repair, since, window)
            return await asyncio.gather(*(one(u) for u in users))
        yield from (msgspec.to_builtins(check) for check in _run(conf, work))
        yield {"window": msgspec.to_builtins(window)}
