"""What an operator sees: /metrics after real traffic, JSON log lines that carry the request id
the answer carries, and a SIGTERM that lets a request in flight finish."""

import json
import re
import signal
import threading
import time

import httpx
from litestar.testing import TestClient

from cinematch.entrypoints.web import create_app
from tests.support import server_pid, serving, wait_synced, wired

PASSWORD = "correct-horse-42"


def samples(text: str) -> dict[str, float]:
    """`name{labels}` -> value, from the Prometheus text format."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def signed_in(client) -> dict:
    assert client.post("/api/auth/register", json={"username": "mia", "password": PASSWORD}).status_code == 201
    token = client.post("/api/auth/token", json={"username": "mia", "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_metrics_after_traffic_name_routes_count_requests_and_show_the_projection(tmp_path):
    app = create_app(wired("sqlite", data_dir=tmp_path, ml_train_on_start=False))
    with TestClient(app) as client:
        h = signed_in(client)
        ids = [client.post("/api/movies", json={"name": f"Film {i}", "rating": 4}, headers=h).json()["id"]
               for i in range(3)]
        assert client.patch(f"/api/movies/{ids[0]}", json={"rating": 2.5}, headers=h).status_code == 200
        assert client.get("/api/movies/nope", headers=h).status_code == 405  # no GET there: a router answer
        wait_synced(client, h)
        answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    m = samples(answer.text)
    assert m['cinematch_http_requests_total{method="POST",route="/api/movies",status="201"}'] == 3
    # the route is the template: no entry id becomes a label
    assert m['cinematch_http_requests_total{method="PATCH",route="/api/movies/{entry_id}",status="200"}'] == 1
    assert m['cinematch_http_requests_total{method="GET",route="(none)",status="405"}'] == 1
    assert m['cinematch_http_request_duration_seconds_count{method="POST",route="/api/movies"}'] == 3
    assert 0 < m['cinematch_http_request_duration_seconds_sum{method="POST",route="/api/movies"}'] < 30
    assert m['cinematch_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/api/movies"}'] == 3
    assert m["cinematch_events_projected_total"] == 4  # three adds and a rating change, folded in this process
    assert m['cinematch_projection_lag_events{partition="0"}'] == 0  # synced
    assert m["cinematch_dead_letters_total"] == 0
    assert m["cinematch_model_version"] == 0  # none trained
    assert not any(re.search(r"[0-9a-f]{32}", key) for key in m)  # no entry or user id in any series


def test_json_log_lines_carry_the_request_id_of_the_answer(tmp_path):
    log = tmp_path / "serve.log"
    with serving(tmp_path / "data", log=log, log_level="info", CINEMATCH_LOG_FORMAT="json") as base:
        given = httpx.get(f"{base}/health", headers={"X-Request-ID": "probe-123"})
        made = httpx.get(f"{base}/api/genres")
    assert given.headers["x-request-id"] == "probe-123"
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    access = {line.get("request_id"): line for line in lines if line["logger"] == "cinematch.access"}
    assert access["probe-123"]["route"] == "/health" and access["probe-123"]["status"] == 200
    assert access[made.headers["x-request-id"]]["path"] == "/api/genres"
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # the server's own lines are JSON too


def test_sigterm_lets_a_request_in_flight_finish(tmp_path):
    rows = "name,year,rating,date\n" + "".join(f"Film {i},{1950 + i % 70},{1 + i % 5},2024-01-{1 + i % 28:02d}\n"
                                                for i in range(30_000))
    with serving(tmp_path) as base:
        with httpx.Client(base_url=base, timeout=60) as client:
            h = signed_in(client)
            answer = {}

            def send():
                answer["r"] = client.post("/api/movies/import", content=rows, headers={**h, "Content-Type": "text/csv"})
            sender = threading.Thread(target=send)
            sender.start()
            time.sleep(0.5)  # the import is under way
            import os
            os.kill(server_pid(base), signal.SIGTERM)
            sender.join(60)
    assert answer["r"].status_code == 200 and answer["r"].json()["imported"] == 30_000
    with serving(tmp_path) as base:  # and it was all kept
        with httpx.Client(base_url=base) as client:
            token = client.post("/api/auth/token", json={"username": "mia", "password": PASSWORD}).json()["access_token"]
            h = {"Authorization": f"Bearer {token}"}
            assert client.get("/api/movies?limit=1", headers=h).json()["total"] == 30_000
            assert wait_synced(client, h, timeout=60)["total_watched"] == 30_000


def test_an_answer_made_outside_the_route_is_counted_with_its_own_status(tmp_path):
    """A 401 from the auth middleware (and a page's redirect to sign in) are what the client got:
    counted and logged as such, never as a 500 that anyone could inflate."""
    app = create_app(wired("sqlite", data_dir=tmp_path, ml_train_on_start=False))
    with TestClient(app) as client:
        assert client.get("/api/movies").status_code == 401
        assert client.get("/api/movies", headers={"Authorization": "Bearer nonsense"}).status_code == 401
        assert client.get("/diary", follow_redirects=False).status_code == 303
        m = samples(client.get("/metrics").text)
    statuses = {k: v for k, v in m.items() if k.startswith("cinematch_http_requests_total{")}
    assert not any('status="500"' in k for k in statuses), statuses
    assert sum(v for k, v in statuses.items() if 'status="401"' in k and "/api/movies" in k) == 2, statuses
    assert sum(v for k, v in statuses.items() if 'status="303"' in k and "/diary" in k) == 1, statuses
