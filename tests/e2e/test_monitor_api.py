"""The model monitor of docs/contract.md §5 end to end: its figures, the seed's alerts on a scripted
drift (ratings that contradict the model) and the retraining it starts, the schedule of
CINEMATCH_RETRAIN_EVERY, and one step back to the previous model."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools

import pytest
from litestar.testing import TestClient

from cinematch.adapters.memory.clock import FixedClock
from cinematch.entrypoints.web import create_app
from tests.support import synthetic_platform, wired

from .test_api import login


@contextlib.contextmanager
def platform(tmp, **settings):
    clock = FixedClock(dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.timezone.utc))
    c = wired("sqlite", data_dir=tmp, clock=clock, admin_username="admin", admin_password="adminpass1",
              ml_train_on_start=False, **settings)
    with TestClient(create_app(c)) as cl:
        admin = login(cl, "admin", "adminpass1")
        users, _ = synthetic_platform(cl, admin, films=60, users=25, min_ratings=10, max_ratings=20, seed=5,
                                      year=2026)
        # the first model outside the training limit, so the monitor's own retraining may use it
        cl.blocking_portal.call(functools.partial(c.services.recommendations().train, limited=False))
        yield cl, admin, users, clock, c


def monitor(cl, admin) -> dict:
    r = cl.get("/api/admin/ml/monitor", headers=admin)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_monitor_reads_the_model_the_lists_and_the_clicks(tmp_path):
    with platform(tmp_path) as (cl, admin, users, clock, c):
        h = next(iter(users.values()))
        assert cl.get("/api/admin/ml/monitor", headers=h).status_code == 403
        m = monitor(cl, admin)
        status = cl.get("/api/recommendations/status", headers=admin).json()
        assert m["model_version"] == status["model_version"] and m["rmse_training"] == status["metrics"]["rmse"]
        assert m["rmse_live"] is None and m["live_ratings"] == 0  # nothing rated since training
        assert m["ctr_7d"] is None and m["next_retrain"] is None  # no list shown yet; no schedule
        assert m["cold_start_coverage"] == 1.0 and 0 < m["diversity"] <= 1
        assert not [a for a in m["alerts"] if a["rule"].startswith("rmse")]
        shown = 0
        for k, h in enumerate(list(users.values())[:5]):
            items = cl.get("/api/recommendations/me", headers=h).json()["items"]
            shown += len(items)
            if k < 2:
                cl.post("/api/recommendations/feedback", json={"movie_id": items[0]["movie_id"], "action": "click"},
                        headers=h)
        m = monitor(cl, admin)
        assert m["impressions_7d"] == shown and m["ctr_7d"] == pytest.approx(2 / shown, abs=1e-6)
        assert m["latency_p99_ms"] is not None and m["error_rate"] == 0
        clock.advance(days=8)  # a week on, those impressions are the week before
        m = monitor(cl, admin)
        assert m["impressions_7d"] == 0 and m["ctr_7d"] is None and m["ctr_previous_7d"] == pytest.approx(2 / shown)


def test_a_scripted_drift_raises_the_alerts_and_retrains(tmp_path):
    with platform(tmp_path) as (cl, admin, users, clock, c):
        before = monitor(cl, admin)["model_version"]
        clock.advance(hours=1)
        logged = 0
        for h in users.values():  # each rates its recommended films the opposite of what the model predicts
            for item in cl.get("/api/recommendations/me?top_n=4", headers=h).json()["items"]:
                rating = 0.5 if item["predicted_rating"] >= 3 else 5
                assert cl.post("/api/movies", json={"name": item["title"], "year": item["year"], "rating": rating},
                               headers=h).status_code == 201
                logged += 1
        m = monitor(cl, admin)
        assert m["live_ratings"] == logged
        assert m["rmse_live"] > 1.1 * m["rmse_training"] and m["rmse_live"] > 1.0
        rules = {a["rule"]: a for a in m["alerts"]}
        assert {"rmse_drift", "rmse_high", "rmse_degraded"} <= set(rules)
        assert rules["rmse_drift"]["level"] == "critical" and rules["rmse_drift"]["value"] == m["rmse_live"]
        done = cl.blocking_portal.call(c.services.monitor().check)
        assert done["reason"] == "drift" and done["model_version"] != before
        after = monitor(cl, admin)
        assert after["model_version"] == done["model_version"] and after["rmse_live"] is None
        assert after["last_retrain"]["reason"] == "drift"
        assert cl.blocking_portal.call(c.services.monitor().check) is None  # no drift left: nothing to do
        # one step back: the model before the retraining is served again
        r = cl.post("/api/admin/ml/rollback", headers=admin)
        assert r.status_code == 200 and r.json()["model_version"] == before
        assert cl.get("/api/recommendations/status", headers=admin).json()["model_version"] == before


def test_the_schedule_retrains_when_due(tmp_path):
    with platform(tmp_path, retrain_every="6h") as (cl, admin, users, clock, c):
        m = monitor(cl, admin)
        assert m["retrain_every_seconds"] == 6 * 3600
        due = dt.datetime.fromisoformat(m["next_retrain"])
        assert due - dt.datetime.fromisoformat(m["trained_at"]) == dt.timedelta(hours=6)
        clock.advance(hours=5)
        assert cl.blocking_portal.call(c.services.monitor().check) is None  # not yet
        clock.advance(hours=1, seconds=1)
        done = cl.blocking_portal.call(c.services.monitor().check)
        assert done["reason"] == "schedule" and done["model_version"] != m["model_version"]
        assert dt.datetime.fromisoformat(monitor(cl, admin)["next_retrain"]) == clock.now() + dt.timedelta(hours=6)
        assert cl.post("/api/admin/ml/rollback", headers=admin).json()["model_version"] == m["model_version"]
        assert cl.post("/api/admin/ml/rollback", headers=admin).status_code == 409  # none older kept
