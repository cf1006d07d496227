"""The request path under load: concurrent diarists on a realistic mix against a real
`cinematch serve` (embedded profile), driven by a real load generator: vegeta (Go, from the Go
module proxy, pinned; installed into bench/.bin on first use).

Each diarist is a signed-in person with a 200-entry diary, a model is trained, then every
worker of vegeta loops over the mix, closed-loop (a worker sends its next request when the
last one answered, as a person's browser does):

    log a film (POST /api/movies)                1
    their statistics (GET /api/me/stats)         3
    the diary page (GET /diary, HTML)            2
    their recommendations (GET /api/recommendations/me) 1
    a page of the diary (GET /api/movies)        1

    python bench/load.py [--users 20 100] [--seconds 20]

It prints requests/s, the latency percentiles and the status codes per level of concurrency.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the repository: tests.support
from tests.support import serving  # noqa: E402

VEGETA = "github.com/tsenart/vegeta/v12@v12.13.0"
BIN = HERE / ".bin"
PASSWORD = "correct-horse-42"
ADMIN = ("admin", "admin-secret-42")
GENRES = ["Drama", "Comedy", "Crime", "Sci-Fi", "Horror", "Romance", "War", "Western"]
MIX = (("log", 1), ("stats", 3), ("diary_page", 2), ("recommendations", 1), ("diary_api", 1))


def vegeta() -> str:
    path = BIN / "vegeta"
    if not path.exists():
        subprocess.run(["go", "install", VEGETA], check=True, env={**os.environ, "GOBIN": str(BIN)})
    return str(path)


def prepare(base: str, people: int, films: int = 400, entries: int = 200) -> list[dict]:
    """A catalog, `people` diarists with their diaries, a trained model; each diarist's token
    and session cookie."""
    rnd = random.Random(31)
    out = []
    with httpx.Client(base_url=base, timeout=120) as http:
        token = http.post("/api/auth/token", json={"username": ADMIN[0], "password": ADMIN[1]}).json()
        admin = {"Authorization": f"Bearer {token['access_token']}"}
        catalog = [{"title": f"Film {i}", "year": 1950 + i % 70, "genres": rnd.sample(GENRES, 2),
                    "director": f"Director {i % 40}", "actors": f"Actor {i % 90}, Actor {(i * 7) % 90}",
                    "duration": 80 + i % 70, "votes": rnd.randint(0, 5000)} for i in range(films)]
        assert http.post("/api/admin/catalog", json=catalog, headers=admin).status_code == 200
        for n in range(people):
            name = f"diarist{n}"
            http.post("/api/auth/register", json={"username": name, "password": PASSWORD})
            bearer = http.post("/api/auth/token", json={"username": name, "password": PASSWORD}).json()
            headers = {"Authorization": f"Bearer {bearer['access_token']}"}
            taste = rnd.sample(range(films), 60)
            rows = "".join(f"Film {rnd.choice(taste)},,{rnd.randint(1, 10) / 2},"
                           f"{rnd.choice([2025, 2026])}-{rnd.randint(1, 11):02d}-{rnd.randint(1, 28):02d}\n"
                           for _ in range(entries))
            r = http.post("/api/movies/import", content="name,year,rating,date\n" + rows,
                          headers={**headers, "content-type": "text/csv"})
            assert r.status_code == 200, r.text
            out.append({"headers": headers, "cookie": f'cinematch_session="Bearer {bearer["access_token"]}"'})
        trained = http.post("/api/admin/ml/train", headers=admin)
        assert trained.status_code == 200, trained.text
        for p in out:  # caught up before the clock starts
            while http.get("/api/me/stats", headers=p["headers"]).json()["sync"]["status"] != "synced":
                pass
    return out


def targets(base: str, people: list[dict], folder: Path) -> Path:
    """vegeta's HTTP target format: every diarist's mix, one after another."""
    lines, rnd = [], random.Random(7)
    for i, p in enumerate(people):
        auth = f"Authorization: {p['headers']['Authorization']}"
        for kind, times in MIX:
            for k in range(times):
                if kind == "log":
                    body = folder / f"log-{i}-{k}.json"
                    body.write_text(json.dumps({"name": f"Film {rnd.randrange(400)}", "rating": rnd.randint(1, 10) / 2,
                                                "date": f"2026-{rnd.randint(1, 11):02d}-{rnd.randint(1, 28):02d}"}))
                    lines += [f"POST {base}/api/movies", auth, "Content-Type: application/json", f"@{body}", ""]
                elif kind == "stats":
                    lines += [f"GET {base}/api/me/stats", auth, ""]
                elif kind == "diary_page":
                    lines += [f"GET {base}/diary", f"Cookie: {p['cookie']}", "Accept-Encoding: gzip", ""]
                elif kind == "recommendations":
                    lines += [f"GET {base}/api/recommendations/me?top_n=10", auth, ""]
                else:
                    lines += [f"GET {base}/api/movies?limit=20", auth, ""]
    path = folder / "targets.txt"
    path.write_text("\n".join(lines))
    return path


def attack(tool: str, target_file: Path, workers: int, seconds: int) -> dict:
    attack = subprocess.run([tool, "attack", f"-targets={target_file}", "-rate=0", f"-workers={workers}",
                             f"-max-workers={workers}", f"-duration={seconds}s", "-timeout=30s", "-keepalive"],
                            capture_output=True, check=True)
    report = subprocess.run([tool, "report", "-type=json"], input=attack.stdout, capture_output=True, check=True)
    return json.loads(report.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[20, 100])
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    tool = vegeta()
    with tempfile.TemporaryDirectory() as data, serving(
            Path(data) / "data", CINEMATCH_ADMIN_USERNAME=ADMIN[0], CINEMATCH_ADMIN_PASSWORD=ADMIN[1]) as base:
        people = prepare(base, max(args.users))
        print(f"{'diarists':>8} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses")
        for users in args.users:
            folder = Path(tempfile.mkdtemp(prefix="cinematch-load-"))
            r = attack(tool, targets(base, people[:users], folder), users, args.seconds)
            ms = {k: r["latencies"][k] / 1e6 for k in ("50th", "90th", "99th", "max")}
            print(f"{users:>8} {r['throughput']:>8.0f} {ms['50th']:>8.1f} {ms['90th']:>8.1f} {ms['99th']:>8.1f} "
                  f"{ms['max']:>8.1f}  {r['status_codes']}", flush=True)
            bad = {code: n for code, n in r["status_codes"].items() if not re.match(r"^[23]", code)}
            if bad:
                print(f"         errors: {r.get('errors', [])[:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
