"""Write -> visible latency on the embedded profile: POST a diary entry, then poll
/api/me/stats until it shows up. Starts a real `cinematch serve` on a free port.

    python bench/freshness.py [--writes 300]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--writes", type=int, default=300)
    args = ap.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "CINEMATCH_DATA_DIR": data}
        server = subprocess.Popen([sys.executable, "-m", "cinematch", "serve", "--port", str(port),
                                   "--log-level", "warning"], env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=10) as http:
                for _ in range(200):
                    try:
                        if http.get("/health").status_code == 200:
                            break
                    except httpx.TransportError:
                        time.sleep(0.05)
                http.post("/api/auth/register", json={"username": "bench", "password": "correct-horse-42"})
                tok = http.post("/api/auth/token", json={"username": "bench", "password": "correct-horse-42"}).json()
                h = {"Authorization": f"Bearer {tok['access_token']}"}
                latencies = []
                for i in range(args.writes):
                    t0 = time.perf_counter()
                    r = http.post("/api/movies", json={"name": f"Film {i % 50}", "rating": 1 + i % 5,
                                                       "genres": ["Drama"], "director": "Someone"}, headers=h)
                    assert r.status_code == 201, r.text
                    while http.get("/api/me/stats", headers=h).json()["total_watched"] < i + 1:
                        pass
                    latencies.append((time.perf_counter() - t0) * 1000)
        finally:
            server.terminate()
            server.wait(10)
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    print(f"embedded profile, {len(latencies)} writes: write->visible p50 {p(0.5):.1f} ms, "
          f"p99 {p(0.99):.1f} ms, max {latencies[-1]:.1f} ms, mean {statistics.mean(latencies):.1f} ms")


if __name__ == "__main__":
    main()
