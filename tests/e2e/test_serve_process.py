"""A real `cinematch serve` process on a free port: write, see it, restart, still there."""

import os
import socket
import subprocess
import sys
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data_dir, port):
    env = {**os.environ, "CINEMATCH_DATA_DIR": str(data_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "cinematch", "serve", "--port", str(port),
                             "--log-level", "warning"], env=env)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("server did not start")


def test_serve_writes_survive_a_kill(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(tmp_path, port)
    try:
        assert httpx.post(f"{base}/api/auth/register", json={"username": "zoe", "password": "correct-horse-42"}).status_code == 201
        tok = httpx.post(f"{base}/api/auth/token", json={"username": "zoe", "password": "correct-horse-42"}).json()
        h = {"Authorization": f"Bearer {tok['access_token']}"}
        for i in range(20):
            assert httpx.post(f"{base}/api/movies", json={"name": f"F{i}", "rating": 1 + i % 5}, headers=h).status_code == 201
    finally:
        proc.kill()  # kill -9: no graceful shutdown
        proc.wait(10)
    proc = start(tmp_path, port)
    try:
        deadline = time.monotonic() + 10
        while True:
            stats = httpx.get(f"{base}/api/me/stats", headers=h).json()
            if stats["sync"]["status"] == "synced" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert stats["total_watched"] == 20 and stats["sum_ratings"] == 60
        assert httpx.get(f"{base}/api/movies", headers=h).json()["total"] == 20
    finally:
        proc.terminate()
        proc.wait(10)


def test_sigterm_ends_open_event_streams_and_the_server_quickly(tmp_path):
    import threading
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(tmp_path, port)
    try:
        httpx.post(f"{base}/api/auth/register", json={"username": "sig", "password": "correct-horse-42"})
        tok = httpx.post(f"{base}/api/auth/token", json={"username": "sig", "password": "correct-horse-42"}).json()
        h = {"Authorization": f"Bearer {tok['access_token']}"}
        got, ended = [], threading.Event()

        def listen():
            try:
                with httpx.stream("GET", f"{base}/stats/events", headers=h, timeout=30) as r:
                    for line in r.iter_lines():
                        got.append(line)
            except httpx.HTTPError:
                pass
            ended.set()
        threading.Thread(target=listen, daemon=True).start()
        for _ in range(100):
            if any(line.startswith("data") for line in got):
                break
            time.sleep(0.05)
        assert any(line.startswith("data") for line in got)
        started = time.monotonic()
        proc.terminate()
        # uvicorn re-raises the signal once it has shut down gracefully: exit status -SIGTERM
        assert proc.wait(8) in (0, -15) and time.monotonic() - started < 5  # not the 10 s graceful cap
        assert ended.wait(5)
    finally:
        if proc.poll() is None:
            proc.kill()
