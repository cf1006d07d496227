"""Class 9: an import cut short (the server killed after some chunks were committed) and
sent again ends with exactly the rows of the file, not twice the committed chunks."""

import hashlib

import pytest

from cinematch.domain.imports import parse_import
from cinematch.testing import Crash, FailingWrites, recompute_matches, wired

class FailingDiary(FailingWrites):
    WRITES = ("write",)


CSV = "name,year,rating,date\n" + "".join(f"Film {i},{1990 + i % 30},{1 + i % 5},2024-01-{1 + i % 28:02d}\n"
                                          for i in range(1000))


async def test_a_retried_import_applies_each_chunk_once(tmp_path):
    app = wired("sqlite", data_dir=tmp_path)
    diary = app.services.diary()
    rows = parse_import(CSV).rows
    batch = hashlib.sha256(CSV.encode()).hexdigest()
    failing = FailingDiary(diary.diary, fail_on=3)  # the process "dies" writing the third chunk
    diary.diary = failing
    with pytest.raises(Crash):
        await diary.import_rows("u", rows, batch=batch)
    assert (await failing.snapshot("u"))[1] == 400  # two chunks of 200 were committed
    diary.diary = failing._inner
    imported, duplicates, errors = await diary.import_rows("u", rows, batch=batch)  # the client sends it again
    assert (imported, duplicates, errors) == (600, 400, [])
    assert await diary.import_rows("u", rows, batch=batch) == (0, 1000, [])  # and once more: nothing new
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
