"""Class 3: CPU work stays off the event loop, and reading the statistics costs the same
whatever the diary's size."""

import asyncio
import threading

from cinematch.domain.imports import ImportRow
from tests.support import wired

from .support import sign_up, wait_synced


class Counting:
    """Wraps a store and counts its calls by name."""

    def __init__(self, inner):
        self.inner, self.calls = inner, {}

    def __getattr__(self, name):
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        async def call(*args, **kwargs):
            self.calls[name] = self.calls.get(name, 0) + 1
            return await attr(*args, **kwargs)
        return call


async def test_a_stats_read_at_an_unchanged_mark_reads_no_diary(tmp_path):
    app = wired("sqlite", data_dir=tmp_path)
    rows = [ImportRow(line=i + 2, name=f"Film {i}", rating=1 + i % 5, date="2024-05-01") for i in range(3000)]
    await app.services.imports().import_rows("u", rows)
    await app.services.runner().drain()
    queries = app.services.queries()
    counting = Counting(queries.diary)
    queries.diary = counting
    first = await queries.user_stats("u")
    reads = dict(counting.calls)
    for _ in range(20):
        assert await queries.user_stats("u") == first
    assert counting.calls.get("snapshot", 0) == reads.get("snapshot", 0) == 1  # built once, then one document
    assert first["total_watched"] == 3000 and first["sync"]["status"] == "synced"


async def test_a_slow_rebuild_serves_the_previous_view_marked_syncing(tmp_path):
    app = wired("memory")
    await app.services.runner().source.start()
    queries = app.services.queries()
    rows = [ImportRow(line=i + 2, name=f"Film {i}", rating=3, date="2024-05-01") for i in range(10)]
    await app.services.imports().import_rows("u", rows)
    await app.services.runner().drain()
    assert (await queries.user_stats("u"))["total_watched"] == 10
    gate = asyncio.Event()
    snapshot = app.storage.diary().snapshot

    async def slow(user_id):
        await gate.wait()
        return await snapshot(user_id)
    await app.services.imports().import_rows("u", [ImportRow(line=2, name="Film 10", rating=3, date="2024-05-02")])
    await app.services.runner().drain()
    queries.diary = Counting(queries.diary)
    queries.diary.inner.snapshot = slow  # the view's rebuild waits at its diary read
    queries.view_wait = 0.01
    stale = await queries.user_stats("u")
    assert stale["total_watched"] == 10 and stale["sync"] == {"status": "syncing", "pending_events": 1}
    gate.set()
    for _ in range(100):
        fresh = await queries.user_stats("u")
        if fresh["sync"]["status"] == "synced":
            break
        await asyncio.sleep(0.01)
    assert fresh["total_watched"] == 11 and fresh["sync"]["status"] == "synced"


async def test_an_import_lets_other_requests_run_between_chunks(tmp_path):
    app = wired("sqlite", data_dir=tmp_path)
    rows = [ImportRow(line=i + 2, name=f"Film {i}", rating=3) for i in range(2000)]
    ticks = []

    async def other_request():
        while not done.is_set():
            ticks.append(1)
            await asyncio.sleep(0)
    done = asyncio.Event()
    other = asyncio.create_task(other_request())
    await asyncio.sleep(0)
    imported, _, _ = await app.services.imports().import_rows("u", rows, chunk=200)
    done.set()
    await other
    assert imported == 2000 and len(ticks) >= 2000 // 200  # the loop came back at least once per chunk


def test_the_embedded_projection_folds_in_its_own_thread(app_client, monkeypatch):
    container, client = app_client
    runner = container.services.runner()
    threads = set()
    apply = runner.projector.apply_records

    async def recording(records):
        threads.add(threading.current_thread().name)
        return await apply(records)
    monkeypatch.setattr(runner.projector, "apply_records", recording)
    h = sign_up(client)
    client.post("/api/movies", json={"name": "Heat", "rating": 4}, headers=h)
    assert wait_synced(client, h)["total_watched"] == 1
    assert threads == {"cinematch-projection"}
