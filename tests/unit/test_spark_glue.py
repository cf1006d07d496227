"""The Spark runtime's glue that runs without Spark: the executor functions (on the memory
backend, fed Arrow record batches as mapInArrow hands them over) and the driver's jar lookup."""

import asyncio
import datetime as dt
from collections import namedtuple

import msgspec
import pyarrow as pa

from cinematch.entrypoints.spark import executors
from cinematch.domain import Event, Movie, encode_event
from cinematch.domain.deltas import TrendFact
from cinematch.entrypoints.spark import StreamJob, jar_paths
from cinematch.settings import load_settings
from tests.support import wired

Row = namedtuple("Row", "value partition offset")


def rows(user: str, n: int, start: int = 1) -> list[Row]:
    out = []
    for seq in range(start, start + n):
        movie = Movie(name=f"Film {seq}", rating=1 + seq % 5, genres=["Drama"], director="Ann $Lee",
                      date="2025-02-01", added_at="2025-02-01T10:00:00+01:00")
        out.append(Row(bytearray(encode_event(Event(event_type="ADD", user_id=user, entry_id=f"e{seq}",
                                                    movie=movie, seq=seq))), 0, seq))
    return out


def arrow(rows: list[Row], size: int = 4) -> list[pa.RecordBatch]:
    """The rows as mapInArrow hands them to a task: record batches of at most `size` rows."""
    return [pa.RecordBatch.from_pydict({"value": [bytes(r.value) for r in rows[i:i + size]],
                                        "partition": [r.partition for r in rows[i:i + size]],
                                        "offset": [r.offset for r in rows[i:i + size]]})
            for i in range(0, len(rows), size)]


def reports(batches) -> list[dict]:
    return [row for b in batches for row in b.to_pylist()]


def conf(**overrides) -> dict:
    return msgspec.to_builtins(load_settings({}, storage="memory", profile="spark", **overrides))


def test_a_replayed_micro_batch_changes_nothing_in_the_worker():
    c = conf(data_dir="replay")
    batch = rows("ann", 5) + [Row(bytearray(b"not json"), 0, 99)]
    first = reports(executors.project_stats(c, iter(arrow(batch))))
    assert first[0].pop("task_ms") >= 0  # the task's own time, for the driver's batch log
    assert first == [{"events": 6, "applied": 5, "dead_letters": 1, "users": 1}]
    # foreachBatch is at-least-once: the same batch again, then a longer one overlapping it.
    again = reports(executors.project_stats(c, iter(arrow(batch))))
    assert again[0]["applied"] == 0
    later = reports(executors.project_stats(c, iter(arrow(rows("ann", 8)))))
    assert later[0]["applied"] == 3
    _, container = next(v for k, v in executors._runtimes.items() if '"replay"' in k)
    stats = container.storage.stats().docs["ann"]
    assert (stats.total_watched, stats.hwm) == (8, 8)
    assert [d.reason[:17] for d in container.storage.dead_letters().letters] == ["undecodable event"]  # once


def test_the_trends_worker_writes_only_facts_and_skips_malformed_messages():
    c = conf(data_dir="trends")
    out = reports(executors.project_trends(c, iter(arrow(rows("bo", 3) + [Row(bytearray(b"{}"), 0, 9)]))))
    assert out[0].pop("task_ms") >= 0
    assert out == [{"events": 3, "applied": 3, "dead_letters": 0, "users": 1}]
    _, container = next(v for k, v in executors._runtimes.items() if '"trends"' in k)
    assert len(container.storage.trends().docs) == 3
    assert container.storage.stats().docs == {} and container.storage.affinities().docs == {}


def test_empty_partitions_yield_nothing():
    assert list(executors.project_stats(conf(), iter([]))) == []
    assert list(executors.project_trends(conf(), iter([]))) == []


def test_jar_paths_from_a_directory_or_a_list(tmp_path):
    (tmp_path / "b.jar").write_bytes(b"")
    (tmp_path / "a.jar").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("")
    assert jar_paths(str(tmp_path)) == [str(tmp_path / "a.jar"), str(tmp_path / "b.jar")]
    assert jar_paths("/x/one.jar, /y/two.jar") == ["/x/one.jar", "/y/two.jar"]


async def test_the_stream_driver_prunes_aged_out_trend_facts_once_per_period(tmp_path):
    # The driver builds its own container (system clock) on the embedded store.
    today = dt.date.today()
    store = wired("sqlite", data_dir=tmp_path).storage.trends()
    await store.apply([TrendFact("u", k, d.isoformat(), "Film", ("Drama",), True, 1)
                       for k, d in (("old", today - dt.timedelta(days=90)), ("new", today))])
    job = StreamJob(load_settings({}, profile="spark", storage="sqlite", data_dir=str(tmp_path)))
    assert await asyncio.to_thread(job.prune_trends_if_due) == 1
    assert [f.entry_key for f in await store.facts()] == ["new"]
    await store.apply([TrendFact("u", "old2", (today - dt.timedelta(days=90)).isoformat(), "Film", (), True, 1)])
    assert await asyncio.to_thread(job.prune_trends_if_due) == 0  # not due for another hour
