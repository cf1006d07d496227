"""Resources are opened and closed in one place: every entrypoint's shutdown closes the stores."""

import fcntl
import subprocess
import sys

from litestar.testing import TestClient

from cinematch.adapters.sqlite import Database
from cinematch.entrypoints.web.app import create_app
from tests.support import wired


def restore_blocked_by(db_path: str) -> bool:
    """Whether some process holds the store's shared lock (what `cinematch restore` waits for)."""
    with open(Database.lock_path(db_path), "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
        return False


def test_serve_shutdown_closes_the_store_and_releases_its_lock(tmp_path):
    container = wired("sqlite", data_dir=tmp_path, ml_train_on_start=False)
    with TestClient(create_app(container)) as client:
        assert client.get("/ready").status_code == 200
        db = container.storage.db()
        assert db._conn is not None and restore_blocked_by(db.path)  # serving: the shared lock is held
    assert db._conn is None and not restore_blocked_by(db.path)  # shut down: closed, restore may run


def test_a_cli_command_leaves_no_lock_behind(tmp_path):
    env = {"CINEMATCH_DATA_DIR": str(tmp_path), "CINEMATCH_STORAGE": "sqlite", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "cinematch", "migrate"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not restore_blocked_by(str(tmp_path / "cinematch.db"))
