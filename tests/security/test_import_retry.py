"""Class 9: an import cut short (the server killed after some chunks were committed) and
sent again ends with exactly the rows of the file, not twice the committed chunks."""

import contextlib
import hashlib

import pytest

from cinematch.domain.imports import parse_import
from tests.support import Crash, FailingWrites, recompute_matches, wired

from .support import PASSWORD, sign_up, wait_synced


class FailingDiary(FailingWrites):
    WRITES = ("write",)


CSV = "name,year,rating,date\n" + "".join(f"Film {i},{1990 + i % 30},{1 + i % 5},2024-01-{1 + i % 28:02d}\n"
                                          for i in range(1000))


async def test_a_retried_import_applies_each_chunk_once(tmp_path):
    app = wired("sqlite", data_dir=tmp_path)
    diary, imports = app.services.diary(), app.services.imports()
    rows = parse_import(CSV).rows
    batch = hashlib.sha256(CSV.encode()).hexdigest()
    failing = FailingDiary(diary.diary, fail_on=3)  # the process "dies" writing the third chunk
    diary.diary = failing
    with pytest.raises(Crash):
        await imports.import_rows("u", rows, batch=batch, chunk=200)
    assert (await failing.snapshot("u"))[1] == 400  # two chunks of 200 were committed
    diary.diary = failing._inner
    imported, duplicates, errors = await imports.import_rows("u", rows, batch=batch, chunk=200)  # sent again
    assert (imported, duplicates, errors) == (600, 400, [])
    assert await imports.import_rows("u", rows, batch=batch) == (0, 1000, [])  # and once more: nothing new
    entries, _ = await diary.diary.snapshot("u")
    assert sorted(e.name for e in entries) == sorted(f"Film {i}" for i in range(1000))
    await app.services.runner().drain()
    assert await recompute_matches(app, ["u"]) == []


def test_the_same_file_sent_twice_over_http_imports_once(app_client):
    from .support import sign_up, wait_synced
    _, client = app_client
    h = {**sign_up(client), "content-type": "text/csv"}
    first = client.post("/api/movies/import", content=CSV, headers=h).json()
    again = client.post("/api/movies/import", content=CSV, headers=h).json()
    assert (first["imported"], first["duplicates"]) == (1000, 0)
    assert (again["imported"], again["duplicates"]) == (0, 1000)
    assert wait_synced(client, h)["total_watched"] == 1000


def test_a_server_killed_mid_import_then_sent_the_file_again_ends_with_exactly_its_rows(tmp_path):
    """kill -9 of a real `cinematch serve` while it imports a 40,000-row diary; after a restart
    the same upload completes it, without a row twice, and the statistics equal the recompute."""
    import os
    import signal
    import sqlite3
    import threading
    import time

    import httpx

    from tests.support import server_pid, serving
    rows = 40_000
    body = ("Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\r\n" + "".join(
        f"2024-01-01,Film {i},{1950 + i % 70},https://boxd.it/{i:x},{(1 + i % 10) / 2},,,2024-{1 + i % 12:02d}-01\r\n"
        for i in range(rows))).encode()
    data = tmp_path / "data"

    def committed() -> int:
        with contextlib.closing(sqlite3.connect(data / "cinematch.db", timeout=5)) as db:
            return db.execute("SELECT count(*) FROM diary").fetchone()[0]

    with serving(data) as base:
        h = {**sign_up(httpx.Client(base_url=base), "killed"), "content-type": "text/csv"}
        upload = threading.Thread(target=lambda: _post_quietly(base, body, h), daemon=True)
        upload.start()
        deadline = time.monotonic() + 60
        while committed() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(server_pid(base), signal.SIGKILL)
        upload.join(30)
    cut = committed()
    assert 0 < cut < rows, cut  # killed part-way
    with serving(data) as base, httpx.Client(base_url=base, timeout=120) as http:
        token = http.post("/api/auth/token", json={"username": "killed", "password": PASSWORD}).json()["access_token"]
        h = {"Authorization": f"Bearer {token}", "content-type": "text/csv"}
        again = http.post("/api/movies/import", content=body, headers=h).json()
        assert (again["imported"], again["duplicates"], again["errors"]) == (rows - cut, cut, [])
        assert http.get("/api/movies?limit=1", headers=h).json()["total"] == rows
        stats = wait_synced(http, h, timeout=60)
        assert (stats["total_watched"], stats["rated_count"]) == (rows, rows)
        assert stats["sum_ratings"] == sum((1 + i % 10) / 2 for i in range(rows))


def _post_quietly(base: str, body: bytes, headers: dict) -> None:
    import httpx
    try:
        httpx.post(f"{base}/api/movies/import", content=body, headers=headers, timeout=120)
    except httpx.TransportError:
        pass  # the server was killed under it
