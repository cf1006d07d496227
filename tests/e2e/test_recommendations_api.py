"""The recommendation endpoints of docs/contract.md §5, end to end on the embedded profile: a
platform of synthetic users (seed 004's generator) logs films through the API, the admin
trains, users get lists that never repeat their diary, the K sweep streams."""

from __future__ import annotations

import json

import pytest
from litestar.testing import TestClient

from cinematch.entrypoints.web import create_app
from tests.support import synthetic_platform, wired

from .test_api import login

N_USERS = 40


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    """A client on a platform of N_USERS diaries (no MovieLens: the test data dir has none)."""
    tmp = tmp_path_factory.mktemp("reco")
    c = wired("sqlite", data_dir=tmp, admin_username="admin", admin_password="adminpass1", ml_train_on_start=False)
    with TestClient(create_app(c)) as cl:
        admin = login(cl, "admin", "adminpass1")
        users, _ = synthetic_platform(cl, admin, films=80, users=N_USERS, min_ratings=8, max_ratings=25, seed=1)
        yield cl, admin, users, c
    c.storage.db().close()


def diary_titles(cl, h) -> set[str]:
    return {e["title"] for e in cl.get("/api/movies?limit=500", headers=h).json()["items"]}


def test_before_training_popularity_and_a_full_list_for_a_new_user(platform):
    cl, admin, users, c = platform
    status = cl.get("/api/recommendations/status", headers=admin).json()
    assert not status["is_trained"] and status["model_version"] is None  # this file's tests run in order
    newbie = login(cl, "newbie0")
    out = cl.get("/api/recommendations/me", headers=newbie).json()
    assert out["strategy"] == "popularity" and len(out["items"]) == 10
    counts = [i["score"] for i in out["items"]]
    assert counts == sorted(counts, reverse=True)
    h = next(iter(users.values()))
    mine = diary_titles(cl, h)
    assert not mine & {i["title"] for i in cl.get("/api/recommendations/me", headers=h).json()["items"]}
    r = cl.get("/api/recommendations/evaluation", headers=admin)
    assert r.status_code == 409 and "train" in r.json()["detail"]


def test_train_is_admin_only_and_rate_limited(platform):
    cl, admin, users, c = platform
    alice = next(iter(users.values()))
    assert cl.post("/api/admin/ml/train", headers=alice).status_code == 403
    r = cl.post("/api/admin/ml/train", headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model_version"] == "v000001" and body["k_svd"] >= 2 and body["seconds"] > 0
    assert 0 < body["metrics"]["rmse"] < 2
    again = cl.post("/api/admin/ml/train", headers=admin)
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > 0 and again.json()["detail"]
    status = cl.get("/api/recommendations/status", headers=alice).json()
    assert status["is_trained"] and status["model_version"] == "v000001"
    assert status["training_source"] == "platform" and set(status["metrics"]) == {"rmse", "mae"}


def test_hybrid_lists_never_repeat_the_diary_and_explain_themselves(platform):
    cl, admin, users, c = platform
    for h in list(users.values())[:10]:
        out = cl.get("/api/recommendations/me?top_n=10", headers=h).json()
        assert out["strategy"] == "hybrid" and out["model_version"] == "v000001"
        assert len(out["items"]) == 10
        assert not diary_titles(cl, h) & {i["title"] for i in out["items"]}
        for item in out["items"]:
            assert set(item) == {"movie_id", "title", "year", "genres", "score", "predicted_rating", "explanation"}
            assert 1 <= item["predicted_rating"] <= 5 and item["explanation"]


def test_cold_start_from_nothing_and_from_genre_picks(platform):
    cl, _, _, _ = platform
    h = login(cl, "newbie1")
    out = cl.get("/api/recommendations/me", headers=h).json()
    assert out["strategy"] == "cold_start" and len(out["items"]) == 10
    picked = cl.get("/api/recommendations/me?genres=Horror", headers=h).json()
    horror = sum("Horror" in i["genres"] for i in picked["items"])
    assert horror > sum("Horror" in i["genres"] for i in out["items"]) and horror >= 3
    assert any(i["explanation"].startswith("matches your pick") for i in picked["items"])


def test_rating_a_recommended_film_invalidates_the_cached_list(platform):
    cl, _, users, _ = platform
    h = list(users.values())[3]
    first = cl.get("/api/recommendations/me", headers=h).json()["items"]
    top = first[0]
    assert cl.get("/api/recommendations/me", headers=h).json()["items"] == first  # cached, same answer
    assert cl.post("/api/movies", json={"name": top["title"], "year": top["year"], "rating": 5},
                   headers=h).status_code == 201
    after = cl.get("/api/recommendations/me", headers=h).json()["items"]
    assert top["title"] not in {i["title"] for i in after}


def test_a_film_logged_under_another_of_its_titles_is_not_recommended(platform):
    cl, _, users, _ = platform
    h = list(users.values())[5]
    top = cl.get("/api/recommendations/me", headers=h).json()["items"][0]
    other_form = f"{top['title']}, The" if not top["title"].startswith("The ") else top["title"][4:]
    assert cl.post("/api/movies", json={"name": other_form, "rating": 4}, headers=h).status_code == 201
    after = cl.get("/api/recommendations/me", headers=h).json()["items"]
    assert top["title"] not in {i["title"] for i in after}


def test_a_recommended_film_on_the_watchlist_says_so(platform):
    cl, _, users, _ = platform
    h = list(users.values())[4]
    first = cl.get("/api/recommendations/me", headers=h).json()["items"]
    pick = first[1]
    assert "watchlist" not in pick["explanation"]
    assert cl.post("/api/me/watchlist", json={"name": pick["title"], "year": pick["year"]}, headers=h).status_code == 201
    again = cl.get("/api/recommendations/me", headers=h).json()["items"]
    assert [i["title"] for i in again] == [i["title"] for i in first]  # the same list (cached) ...
    assert again[1]["explanation"].endswith("on your watchlist")  # ... that says it
    assert not any("watchlist" in i["explanation"] for k, i in enumerate(again) if k != 1)


def test_bad_parameters_are_400(platform):
    cl, _, users, _ = platform
    h = next(iter(users.values()))
    for q in ("top_n=0", "top_n=101", "top_n=ten", "genres=" + "x" * 1001):
        r = cl.get(f"/api/recommendations/me?{q}", headers=h)
        assert r.status_code == 400 and r.json()["detail"], q
    assert cl.get("/api/recommendations/me").status_code == 401


def test_evaluation_and_clustering_of_the_current_model(platform):
    cl, admin, _, _ = platform
    ev = cl.get("/api/recommendations/evaluation", headers=admin).json()
    assert set(ev) == {"protocol", "rmse", "mae", "ndcg_at_10", "precision_at_10", "recall_at_10", "coverage",
                       "diversity", "novelty"}
    assert 0 <= ev["ndcg_at_10"] <= 1 and 0 < ev["coverage"] <= 1
    cluster = cl.get("/api/recommendations/clustering", headers=admin).json()
    assert cluster["n_clusters"] == len(cluster["clusters"]) >= 2
    assert sum(c["size"] for c in cluster["clusters"]) == N_USERS
    assert all({"x", "y", "cluster"} == set(p) for p in cluster["points"])
    assert {p["cluster"] for p in cluster["points"]} <= {c["id"] for c in cluster["clusters"]}


def sse_events(cl, h) -> list[dict]:
    with cl.stream("GET", "/api/admin/ml/k-optimization/stream", headers=h) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        return [json.loads(line[5:]) for line in r.iter_lines() if line.startswith("data:")]


def test_k_optimization_streams_seed_events_and_is_limited_to_3_an_hour(platform):
    cl, admin, users, c = platform
    assert cl.get("/api/admin/ml/k-optimization/stream", headers=next(iter(users.values()))).status_code == 403
    events = sse_events(cl, admin)
    types = [e["type"] for e in events]
    assert types[0] == "status" and types[-1] == "completed"
    assert {"matrix_info", "phase", "k_svd_result", "k_svd_optimal", "k_cluster_result", "k_cluster_optimal"} <= set(types)
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress) and progress[-1] == 100
    chosen = events[-1]
    for _ in range(2):
        sse_events(cl, admin)
    r = cl.get("/api/admin/ml/k-optimization/stream", headers=admin)
    assert r.status_code == 429 and r.json()["detail"]
    # The next training uses the K the sweep chose.
    store = c.services.recommendations().store
    assert store.k_choice() == {"k_svd": chosen["final_k_svd"], "k_cluster": chosen["final_k_cluster"]}
