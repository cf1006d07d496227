"""Shared set-up of the security and abuse suite: the embedded app through Litestar's test
client, a real `cinematch serve` process, and a tmpfs of a given size (root: CI is)."""

import contextlib
import os
import subprocess
import sys

import pytest
from litestar.testing import TestClient

from cinematch.entrypoints.web import create_app
from tests.support import serving, wait_synced, wired  # noqa: F401 - the suite's helpers, in one place

PASSWORD = "correct-horse-42"


@pytest.fixture
def app_client(tmp_path):
    container = wired("sqlite", data_dir=tmp_path / "data", admin_username="admin", admin_password="adminpass1")
    with TestClient(create_app(container)) as client:
        yield container, client
    container.storage.db().close()


def sign_up(client, name="alice", password=PASSWORD) -> dict:
    assert client.post("/api/auth/register", json={"username": name, "password": password}).status_code == 201
    token = client.post("/api/auth/token", json={"username": name, "password": password}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def admin(client) -> dict:
    token = client.post("/api/auth/token", json={"username": "admin", "password": "adminpass1"}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def cinematch(*args, env=None, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cinematch", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


@contextlib.contextmanager
def tmpfs(path, size="4m"):
    """A small filesystem of our own at `path`, to fill up or make read-only for real."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True,
                          text=True)
    assert done.returncode == 0, f"mounting a tmpfs needs root (CI runs as root): {done.stderr.strip()}"
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def remount(path, mode: str) -> None:
    done = subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
