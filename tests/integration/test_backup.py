"""`cinematch backup` and `cinematch restore` on the embedded store: a backup taken while writes
go on is a consistent snapshot whose statistics equal the recompute of its diary; a restore
is refused while a server has the store open, and otherwise replaces it, keeping the old one."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys

import httpx

from cinematch.adapters.sqlite.backup import backup
from cinematch.services.diary import NewEntry
from tests.support import recompute_matches, serving, wired

PASSWORD = "correct-horse-42"
USERS = [f"user{i}" for i in range(8)]


def cli(*args: str, data_dir) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cinematch", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CINEMATCH_DATA_DIR": str(data_dir)})


async def test_a_backup_under_write_load_restores_to_statistics_equal_to_the_recompute(tmp_path):
    live = wired("sqlite", data_dir=tmp_path / "live")
    diary, runner = live.services.diary(), live.services.runner()
    for u in USERS:
        await diary.add_many(u, [NewEntry(name=f"Film {i}", rating=1 + i % 5, director=f"D{i % 3}") for i in range(50)])
    await runner.drain()
    writing = True

    async def writer() -> int:
        n = 0
        while writing:
            u = USERS[n % len(USERS)]
            await diary.add(u, NewEntry(name=f"New {n}", rating=2.5, genres=["Drama"]))
            if n % 3 == 0:
                await runner.run_once(timeout=0)  # the projection keeps folding meanwhile
            n += 1
            await asyncio.sleep(0)
        return n

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.3)
    report = await asyncio.to_thread(backup, tmp_path / "live" / "cinematch.db", tmp_path / "snapshot.db")
    writing = False
    written = await task
    assert written > 0 and 400 <= report["entries"] <= 400 + written  # some of the writes made it, not torn
    assert report["bytes"] > 0

    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    shutil.copy(tmp_path / "snapshot.db", restored_dir / "cinematch.db")
    restored = wired("sqlite", data_dir=restored_dir)
    await restored.services.runner().drain()  # the events the snapshot holds beyond its projection
    assert await recompute_matches(restored, USERS) == []
    entries = sum([(await restored.storage.diary().snapshot(u))[0] for u in USERS], [])
    assert len(entries) == report["entries"]
    restored.storage.db().close()
    live.storage.db().close()


def test_restore_is_refused_while_serving_then_replaces_the_store_and_keeps_the_old_one(tmp_path):
    data = tmp_path / "data"
    with serving(data) as base:
        with httpx.Client(base_url=base) as client:
            assert client.post("/api/auth/register", json={"username": "ada", "password": PASSWORD}).status_code == 201
            token = client.post("/api/auth/token", json={"username": "ada", "password": PASSWORD}).json()
            h = {"Authorization": f"Bearer {token['access_token']}"}
            for i in range(5):
                assert client.post("/api/movies", json={"name": f"Film {i}", "rating": 4}, headers=h).status_code == 201
            made = cli("backup", str(tmp_path / "five.db"), data_dir=data)  # while serving
            assert made.returncode == 0, made.stderr
            assert json.loads(made.stdout)["entries"] == 5 and json.loads(made.stdout)["users"] == 1
            for i in range(3):
                assert client.post("/api/movies", json={"name": f"Later {i}", "rating": 2}, headers=h).status_code == 201
            refused = cli("restore", str(tmp_path / "five.db"), data_dir=data)
    assert refused.returncode == 1 and "in use by a running cinematch" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr

    done = cli("restore", str(tmp_path / "five.db"), data_dir=data)  # the server stopped
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["entries"] == 5 and report["previous"].endswith("cinematch.db.before-restore")
    with serving(data) as base:
        with httpx.Client(base_url=base) as client:
            token = client.post("/api/auth/token", json={"username": "ada", "password": PASSWORD}).json()
            h = {"Authorization": f"Bearer {token['access_token']}"}
            assert client.get("/api/movies", headers=h).json()["total"] == 5
            stats = client.get("/api/me/stats", headers=h).json()
            assert (stats["total_watched"], stats["sum_ratings"]) == (5, 20)


def test_restore_refuses_a_file_that_is_not_a_backup_in_one_line(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 100)
    for args, reason in ((["restore", str(junk)], "not a CineMatch backup"),
                         (["restore", str(tmp_path / "missing.db")], "no such file"),
                         (["backup", str(tmp_path / "b.db")], "no database to back up")):
        run = cli(*args, data_dir=tmp_path / "data")
        assert run.returncode == 2 and reason in run.stderr, (args, run.stderr)
        assert len(run.stderr.strip().splitlines()) == 1
