"""`cinematch catalog fetch imdb` and the server's catalog refresh against a local mirror of IMDb's
dataset host (tests/imdb_mirror.py)."""

import json
import os
import subprocess
import sys

import pytest

from cinematch.data.imdb import FILES
from cinematch.data.imdb_fetch import FetchFailed, fetch_datasets
from tests.imdb_mirror import Mirror, imdb_mirror

@pytest.fixture
def mirror():
    with imdb_mirror() as url:
        yield url


def bodies(name=None):
    return sum(sent for n, _, sent, _ in Mirror.seen if name in (None, n))


def test_a_second_fetch_downloads_nothing_and_a_changed_file_comes_again(mirror, tmp_path):
    first = fetch_datasets(tmp_path, mirror)
    assert sorted(first.downloaded) == sorted(f"{n}.tsv.gz" for n in FILES) and first.unchanged == []
    assert (tmp_path / "title.akas.tsv.gz").read_bytes() == Mirror.files["title.akas.tsv.gz"]
    sent = bodies()
    Mirror.seen.clear()
    again = fetch_datasets(tmp_path, mirror)
    assert again.downloaded == [] and len(again.unchanged) == len(FILES)
    assert {status for _, status, _, _ in Mirror.seen} == {304} and bodies() == 0  # not one byte again
    assert all("If-None-Match" in headers for *_, headers in Mirror.seen)
    Mirror.versions["title.ratings.tsv.gz"] = "v2"  # IMDb refreshed one file
    Mirror.seen.clear()
    third = fetch_datasets(tmp_path, mirror)
    assert third.downloaded == ["title.ratings.tsv.gz"] and bodies() == len(Mirror.files["title.ratings.tsv.gz"])
    assert sent > bodies()


def test_a_download_cut_short_resumes_where_it_stopped(mirror, tmp_path):
    size = len(Mirror.files["title.akas.tsv.gz"])
    Mirror.cut_after["title.akas.tsv.gz"] = size // 3
    with pytest.raises(FetchFailed, match="fetch again"):
        fetch_datasets(tmp_path, mirror)
    part = tmp_path / "title.akas.tsv.gz.part"
    kept = part.stat().st_size
    assert 0 < kept <= size // 3 and not (tmp_path / "title.akas.tsv.gz").exists()  # never half a file in use
    Mirror.seen.clear()
    report = fetch_datasets(tmp_path, mirror)
    assert report.resumed == ["title.akas.tsv.gz"] and not part.exists()
    [(_, status, sent, headers)] = [s for s in Mirror.seen if s[0] == "title.akas.tsv.gz"]
    assert (status, sent, headers["Range"]) == (206, size - kept, f"bytes={kept}-")  # only the rest
    assert (tmp_path / "title.akas.tsv.gz").read_bytes() == Mirror.files["title.akas.tsv.gz"]


def test_a_damaged_file_is_refused_and_never_replaces_a_good_one(mirror, tmp_path):
    fetch_datasets(tmp_path, mirror)
    good = (tmp_path / "title.crew.tsv.gz").read_bytes()
    Mirror.files["title.crew.tsv.gz"] = good[:-12] + b"\0" * 12  # its CRC and length broken
    Mirror.versions["title.crew.tsv.gz"] = "v2"
    with pytest.raises(FetchFailed, match="not a whole gzip file"):
        fetch_datasets(tmp_path, mirror)
    assert (tmp_path / "title.crew.tsv.gz").read_bytes() == good


def test_the_command_fetches_imports_and_says_what_it_did(mirror, tmp_path):
    env = {**os.environ, "CINEMATCH_DATA_DIR": str(tmp_path / "data"), "CINEMATCH_IMDB_DATASETS_URL": mirror,
           "CINEMATCH_PROFILE": "embedded"}
    command = [sys.executable, "-m", "cinematch", "catalog", "fetch", "imdb"]
    first = json.loads(subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout)
    assert len(first["downloaded"]) == len(FILES) and first["upserted"] == 9
    second = json.loads(subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout)
    assert second["downloaded"] == [] and second["upserted"] is None  # nothing changed: nothing to import
    Mirror.files.pop("title.basics.tsv.gz")
    (tmp_path / "data" / "imdb" / "fetched.json").unlink()
    failed = subprocess.run(command, env=env, capture_output=True, text=True)
    assert failed.returncode == 1 and len(failed.stderr.strip().splitlines()) == 1 and "404" in failed.stderr


async def test_the_server_refreshes_the_catalog_on_its_own_and_once_at_a_time(mirror, tmp_path):
    import asyncio
    import datetime as dt

    from cinematch.services.catalog_refresh import CatalogRefresh
    from tests.support import wired
    clock = [dt.datetime(2026, 12, 7, tzinfo=dt.UTC)]
    catalog = wired().storage.catalog()
    refresh = CatalogRefresh(tmp_path, mirror, catalog, every="daily", now=lambda: clock[0])
    stop = asyncio.Event()
    loop = asyncio.create_task(refresh.run_forever(stop))
    for _ in range(200):  # due at start: none was ever fetched
        await asyncio.sleep(0.05)
        if refresh.last().get("imported_at"):
            break
    status = await refresh.status()
    assert (status["films"], status["last"]["upserted"], status["running"]) == (9, 9, False)
    assert refresh.start() and not refresh.start()  # a second start follows the running one
    await asyncio.wait([refresh._task])
    assert refresh.last()["downloaded"] == [] and refresh.last()["imported_at"] == clock[0].isoformat()
    stop.set()
    await loop
    with pytest.raises(ValueError, match="off, daily or weekly"):
        CatalogRefresh(tmp_path, mirror, catalog, every="hourly")
