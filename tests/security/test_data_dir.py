"""Classes 7 and 8: the data directory is private from the first byte, and a store that
cannot serve (read-only, corrupt, full, a bad path) says why in one line: at start-up
with a non-zero exit, and while serving with 503 and in /ready, never a 500 or a spin."""

import asyncio
import os
import stat

import httpx
import pytest

from cinematch.adapters.sqlite import Database
from cinematch.domain.ports import StoreUnavailable
from tests.support import wired

from .support import PASSWORD, cinematch, remount, serving, sign_up, tmpfs


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_data_dir_is_0700_and_its_files_0600_even_with_a_loose_umask(app_client, tmp_path):
    old = os.umask(0)
    try:
        container = wired("sqlite", data_dir=tmp_path / "loose")
        db = container.storage.db().open()
        db.check()
    finally:
        os.umask(old)
    data = tmp_path / "loose"
    assert mode(data) == 0o700
    for name in ("cinematch.db", "cinematch.db-wal", "cinematch.db-shm", "jwt_secret"):
        assert mode(data / name) == 0o600, name
    db.close()


def test_an_existing_loose_data_dir_is_tightened(tmp_path):
    data = tmp_path / "old"
    data.mkdir(mode=0o755)
    (data / "cinematch.db").touch(mode=0o644)
    os.chmod(data, 0o755)
    os.chmod(data / "cinematch.db", 0o644)
    Database(data / "cinematch.db").open().close()
    assert mode(data) == 0o700 and mode(data / "cinematch.db") == 0o600


def test_an_empty_jwt_secret_is_replaced_and_sign_in_works(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "jwt_secret").write_text("")
    with serving(data) as base:
        assert httpx.post(f"{base}/api/auth/register", json={"username": "eve", "password": PASSWORD}).status_code == 201
        assert httpx.post(f"{base}/api/auth/token", json={"username": "eve", "password": PASSWORD}).status_code == 200
    assert len((data / "jwt_secret").read_text().strip()) >= 32 and mode(data / "jwt_secret") == 0o600


@pytest.mark.parametrize("where", ["file", "unwritable"])
def test_a_bad_data_path_at_start_is_one_line_and_a_non_zero_exit(tmp_path, where):
    if where == "file":
        (tmp_path / "plain").write_text("x")
        data = tmp_path / "plain" / "data"
        ctx = None
    else:
        ctx = tmpfs(tmp_path / "ro", "1m")
        ctx.__enter__()
        remount(tmp_path / "ro", "ro")
        data = tmp_path / "ro" / "data"
    try:
        done = cinematch("serve", "--port", "1", env={"CINEMATCH_DATA_DIR": str(data)})
    finally:
        if ctx is not None:
            ctx.__exit__(None, None, None)
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0 and len(lines) == 1 and lines[0].startswith("cinematch: "), done.stderr
    assert "Traceback" not in done.stderr


def test_a_read_only_database_stops_the_start_with_its_reason(tmp_path):
    with tmpfs(tmp_path / "fs", "8m") as fs:
        data = fs / "data"
        wired("sqlite", data_dir=data).storage.db().open().close()  # the secret and the database exist
        remount(fs, "ro")
        done = cinematch("serve", "--port", "1", env={"CINEMATCH_DATA_DIR": str(data)})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and "read-only" in done.stderr.lower(), done.stderr


def corrupt(path) -> None:
    """Overwrite every page after the first two with garbage (the schema stays readable)."""
    size = os.path.getsize(path)
    with open(path, "r+b") as fh:
        fh.seek(8192)
        fh.write(b"\xa5" * (size - 8192))


def fill(db_path, n=400):
    db = Database(db_path).open()
    with db.tx() as c:
        c.executemany("INSERT INTO catalog (id, title, original_title, normalized_title, normalized_original_title, doc) "
                      "VALUES (?, ?, ?, ?, ?, ?)",
                      [(f"m{i}", f"Film {i}" * 20, None, f"film {i}", "", b"{}") for i in range(n)])
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def test_a_corrupt_database_stops_the_start_with_its_reason(tmp_path):
    data = tmp_path / "data"
    fill(data / "cinematch.db")
    corrupt(data / "cinematch.db")
    done = cinematch("serve", "--port", "1", env={"CINEMATCH_DATA_DIR": str(data)})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "corrupt" in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_a_corrupt_page_met_while_serving_is_a_503_and_ready_says_so(tmp_path):
    from litestar.testing import TestClient

    from cinematch.entrypoints.web import create_app
    data = tmp_path / "data"
    fill(data / "cinematch.db")
    corrupt(data / "cinematch.db")
    container = wired("sqlite", data_dir=data, ml_train_on_start=False)
    with TestClient(create_app(container, run_projections=False)) as client:
        r = client.get("/api/catalog/search?q=film")
        assert r.status_code == 503 and "corrupt" in r.json()["detail"]
        ready = client.get("/ready")
        assert ready.status_code == 503 and "corrupt" in ready.json()["detail"]
    container.storage.db().close()


def test_a_full_disk_is_a_503_and_writes_come_back_with_the_space(tmp_path):
    from litestar.testing import TestClient

    from cinematch.entrypoints.web import create_app
    with tmpfs(tmp_path / "fs", "3m") as fs:
        container = wired("sqlite", data_dir=fs / "data", ml_train_on_start=False)
        with TestClient(create_app(container)) as client:
            h = sign_up(client)
            filler = fs / "filler"
            # take every byte left; unbuffered: what a write could not take is not flushed again at close
            with open(filler, "wb", buffering=0) as fh:
                try:
                    while True:
                        fh.write(b"\0" * 65536)
                except OSError:
                    pass
            codes = [client.post("/api/movies", json={"name": f"Film {i}" * 30, "rating": 3}, headers=h).status_code
                     for i in range(60)]
            assert 503 in codes and 500 not in codes, codes
            full = client.post("/api/movies", json={"name": "Full" * 100, "rating": 3}, headers=h)
            if full.status_code == 503:
                assert "disk is full" in full.json()["detail"] and full.headers["retry-after"]
            assert client.get("/ready").status_code == 503
            filler.unlink()
            assert client.post("/api/movies", json={"name": "Heat", "rating": 3}, headers=h).status_code == 201
            assert client.get("/ready").status_code == 200
        container.storage.db().close()


def test_ready_says_no_while_writes_fail_for_space_even_with_nothing_to_project(tmp_path):
    """The probe's own row fits on a full disk; /ready still answers 503 while writes cannot be
    made, and 200 again once there is room."""
    from litestar.testing import TestClient

    from cinematch.entrypoints.web import create_app
    with tmpfs(tmp_path / "fs", "3m") as fs:
        container = wired("sqlite", data_dir=fs / "data", ml_train_on_start=False)
        with TestClient(create_app(container, run_projections=False)) as client:
            h = sign_up(client)
            filler = fs / "filler"
            with open(filler, "wb", buffering=0) as fh:
                try:
                    while True:
                        fh.write(b"\0" * 4096)
                except OSError:
                    pass
                fh.truncate(fh.tell() - 3 * 4096)  # room for the probe's page, not for an entry's
            codes = [client.post("/api/movies", json={"name": f"Film {i}" * 30, "rating": 3}, headers=h).status_code
                     for i in range(60)]
            assert 503 in codes and 500 not in codes, codes
            ready = client.get("/ready")
            assert ready.status_code == 503 and "disk is full" in ready.json()["detail"]
            filler.unlink()
            assert client.get("/ready").status_code == 200
            assert client.post("/api/movies", json={"name": "Heat", "rating": 3}, headers=h).status_code == 201
        container.storage.db().close()


async def test_a_projection_that_cannot_progress_backs_off_and_says_why(tmp_path, caplog):
    from cinematch.services.diary import NewEntry
    container = wired("sqlite", data_dir=tmp_path)
    runner = container.services.runner()
    await container.services.diary().add(
        "u", NewEntry(name="Heat", rating=4))

    async def broken(writes):
        raise StoreUnavailable("the disk is full: writes are accepted again once space is freed")
    runner.projector.stats.apply = broken
    stop = asyncio.Event()
    attempts = []
    real = runner.run_once

    async def counted(timeout=None):
        attempts.append(asyncio.get_running_loop().time())
        return await real(timeout)
    runner.run_once = counted
    task = asyncio.create_task(runner.run_forever(stop))
    await asyncio.sleep(4)
    stop.set()
    await task
    # 0.5 s, 1 s, 2 s between tries: 4 s hold at most four tries, never a spin.
    assert 2 <= len(attempts) <= 4 and runner.failures == len(attempts)
    assert runner.problem.startswith("the disk is full") and runner.backoff() >= 2
    assert all(b - a >= 0.45 for a, b in zip(attempts, attempts[1:]))
    # an error it understands is one line each time, never a traceback
    failed = [r for r in caplog.records if "projection batch failed" in r.getMessage()]
    assert len(failed) == len(attempts) and not any(r.exc_info for r in failed)
    assert "the disk is full" in failed[0].getMessage()


def test_ready_names_a_projection_that_keeps_failing(app_client):
    import time
    container, client = app_client
    runner = container.services.runner()

    async def broken(writes):
        raise StoreUnavailable("the disk is full: writes are accepted again once space is freed")
    runner.projector.stats.apply = broken
    h = sign_up(client)
    assert client.post("/api/movies", json={"name": "Heat", "rating": 4}, headers=h).status_code == 201
    end = time.monotonic() + 10
    while runner.failures < 3 and time.monotonic() < end:
        time.sleep(0.05)
    ready = client.get("/ready")
    assert ready.status_code == 503 and "projection cannot make progress" in ready.json()["detail"]
    assert "disk is full" in ready.json()["detail"]
    assert client.get("/api/me/stats", headers=h).json()["sync"]["status"] == "syncing"  # said, not hidden
