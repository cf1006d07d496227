"""Feedback and experiments of docs/contract.md §5, end to end on the embedded profile: films waved
away never return; an experiment's users are exactly the md5 rule's, each served by their
variant's own model; impressions, clicks and conversions are counted as the lists shown say."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from litestar.testing import TestClient

from cinematch.adapters.memory.clock import FixedClock
from cinematch.entrypoints.web import create_app
from tests.support import synthetic_platform, wired

from .test_api import login

N_USERS = 30


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("experiments")
    clock = FixedClock(dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    c = wired("sqlite", data_dir=tmp, clock=clock, admin_username="admin", admin_password="adminpass1",
              ml_train_on_start=False)
    with TestClient(create_app(c)) as cl:
        admin = login(cl, "admin", "adminpass1")
        users, ids = synthetic_platform(cl, admin, films=80, users=N_USERS, min_ratings=8, max_ratings=20, seed=3)
        assert cl.post("/api/admin/ml/train", headers=admin).status_code == 200
        yield cl, admin, users, clock, ids
    c.storage.db().close()


def md5_variant(name: str, user_id: str, traffic: float, variants: list[str]) -> str | None:
    """Seed 004's rule as docs/contract.md §5 writes it, computed here on its own."""
    if int(hashlib.md5(f"{name}_traffic_{user_id}".encode()).hexdigest(), 16) % 10000 >= traffic * 10000:
        return None
    return variants[int(hashlib.md5(f"{name}_{user_id}".encode()).hexdigest(), 16) % len(variants)]


def recs(cl, h, n=10) -> dict:
    r = cl.get(f"/api/recommendations/me?top_n={n}", headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_film_marked_not_interested_or_seen_never_comes_back(platform):
    cl, _, users, _, _ = platform
    one, two = sorted(users)[:2]
    h = users[one]
    first = recs(cl, h, 20)["items"]
    away, seen = first[0]["movie_id"], first[1]["movie_id"]
    for movie, action in ((away, "not_interested"), (seen, "seen"), (first[2]["movie_id"], "click")):
        assert cl.post("/api/recommendations/feedback", json={"movie_id": movie, "action": action},
                       headers=h).status_code == 204
    for n in (5, 20, 60):
        shown = {i["movie_id"] for i in recs(cl, h, n)["items"]}
        assert away not in shown and seen not in shown
        assert first[2]["movie_id"] in shown or n == 5  # a click hides nothing
    # another person still gets them
    other = {i["movie_id"] for i in recs(cl, users[two], 60)["items"]}
    assert {away, seen} & other


def test_feedback_refuses_what_it_cannot_keep(platform):
    cl, _, users, _, _ = platform
    h = users[sorted(users)[2]]
    for bad in ({"movie_id": "x", "action": "love"}, {"movie_id": "", "action": "seen"}, {"action": "seen"},
                {"movie_id": "x", "action": "seen", "extra": 1}, {"movie_id": "x" * 601, "action": "seen"}):
        r = cl.post("/api/recommendations/feedback", json=bad, headers=h)
        assert r.status_code == 400 and r.json()["detail"], bad
    assert cl.post("/api/recommendations/feedback", json={"movie_id": "x", "action": "seen"}).status_code == 401


def test_defining_an_experiment_is_the_admins_and_checked(platform):
    cl, admin, users, _, _ = platform
    good = {"name": "k-small", "variants": [{"name": "a", "params": {}}, {"name": "b", "params": {"k_svd": 4}}],
            "traffic": 0.0}
    assert cl.post("/api/admin/experiments", json=good, headers=users[sorted(users)[3]]).status_code == 403
    for bad in ({**good, "variants": good["variants"][:1]}, {**good, "traffic": 1.5}, {**good, "name": "a b"},
                {**good, "variants": [{"name": "a"}, {"name": "a"}]},
                {**good, "variants": [{"name": "a", "params": {"k_svd": 0}}, {"name": "b"}]},
                {**good, "variants": [{"name": "a", "params": {"depth": 3}}, {"name": "b"}]},
                {**good, "variants": [{"name": "a", "params": {"strategy": "magic"}}, {"name": "b"}]}):
        r = cl.post("/api/admin/experiments", json=bad, headers=admin)
        assert r.status_code == 400 and r.json()["detail"], (bad, r.text)
    r = cl.post("/api/admin/experiments", json=good, headers=admin)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["status"] == "running" and [v["name"] for v in out["variants"]] == ["a", "b"]
    assert all(v["model_version"] for v in out["variants"])  # each its own model
    assert cl.post("/api/admin/experiments", json=good, headers=admin).status_code == 409
    assert cl.get("/api/admin/experiments/nope", headers=admin).status_code == 404
    assert "k-small" in [e["name"] for e in cl.get("/api/admin/experiments", headers=admin).json()["items"]]
    stopped = cl.post("/api/admin/experiments/k-small/stop", headers=admin).json()
    assert stopped["status"] == "stopped" and stopped["winner"] is None


def test_an_experiment_assigns_by_md5_counts_what_was_shown_and_what_converted(platform):
    cl, admin, users, clock, ids = platform
    variants = ["control", "popular"]
    body = {"name": "pop-vs-hybrid", "traffic": 0.7,
            "variants": [{"name": "control", "params": {}}, {"name": "popular", "params": {"strategy": "popularity"}}]}
    assert cl.post("/api/admin/experiments", json=body, headers=admin).status_code == 201
    shown: dict[str, dict[str, set[str]]] = {}  # user -> day -> films
    variant_of: dict[str, str] = {}
    lists: dict[str, list[dict]] = {}
    for name, h in users.items():
        uid = ids[name]
        want = md5_variant("pop-vs-hybrid", uid, 0.7, variants)
        for _ in range(2):  # shown twice the same day: counted once
            answer = recs(cl, h)
        assert answer.get("variant") == want and answer.get("experiment") == ("pop-vs-hybrid" if want else None)
        if want == "popular":
            assert answer["strategy"] == "popularity"
        elif want == "control":
            assert answer["model_version"].startswith("pop-vs-hybrid/control/")
        if want:
            variant_of[name] = want
            lists[name] = answer["items"]
            shown.setdefault(name, {})[clock.now().date().isoformat()] = {i["movie_id"] for i in answer["items"]}
    assert set(variant_of.values()) == set(variants)  # both variants have people at this size
    # Next day: the same lists again are new impressions; some people act on what they saw.
    clock.advance(days=1)
    for name in variant_of:
        answer = recs(cl, users[name])
        shown[name][clock.now().date().isoformat()] = {i["movie_id"] for i in answer["items"]}
    people = sorted(variant_of, reverse=True)  # not the people the tests above clicked for
    clicker, logger, watcher, late = people[0], people[1], people[2], people[3]
    item = lists[clicker][0]
    assert cl.post("/api/recommendations/feedback", json={"movie_id": item["movie_id"], "action": "click"},
                   headers=users[clicker]).status_code == 204
    logged = lists[logger][0]
    assert cl.post("/api/movies", json={"name": logged["title"], "year": logged["year"], "rating": 4},
                   headers=users[logger]).status_code == 201
    wanted = lists[watcher][1]
    assert cl.post("/api/me/watchlist", json={"name": wanted["title"], "year": wanted["year"]},
                   headers=users[watcher]).status_code == 201
    clock.advance(days=31)  # past the 30 days of `late`'s first impressions
    too_late = lists[late][0]
    assert cl.post("/api/movies", json={"name": too_late["title"], "year": too_late["year"]},
                   headers=users[late]).status_code == 201
    report = cl.get("/api/admin/experiments/pop-vs-hybrid", headers=admin).json()
    by = {v["name"]: v for v in report["variants"]}
    for v in variants:
        mine = [n for n in variant_of if variant_of[n] == v]
        impressions = sum(len(films) for n in mine for films in shown[n].values())
        pairs = sum(len(set().union(*shown[n].values())) for n in mine)
        conversions = sum(1 for n in (logger, watcher) if variant_of[n] == v)
        clicks = 1 if variant_of[clicker] == v else 0
        assert by[v]["users"] == len(mine) and by[v]["impressions"] == impressions, (v, by[v])
        assert by[v]["clicks"] == clicks and by[v]["conversions"] == conversions, (v, by[v])
        assert by[v]["ctr"] == pytest.approx(clicks / impressions, abs=1e-6)
        assert by[v]["conversion_rate"] == pytest.approx(conversions / pairs, abs=1e-6)
        lo, hi = by[v]["ci95"]
        assert 0 <= lo <= by[v]["conversion_rate"] <= hi <= 1
    assert 0 <= report["p_value"] <= 1 and report["winner"] is None  # two conversions prove nothing
    # Stopped with a promotion: the variant's model is served to everyone, nobody is in it any more.
    before = cl.get("/api/recommendations/status", headers=admin).json()["model_version"]
    out = cl.post("/api/admin/experiments/pop-vs-hybrid/stop", json={"promote": "control"}, headers=admin)
    assert out.status_code == 200 and out.json()["promoted"] == "control"
    assert cl.get("/api/recommendations/status", headers=admin).json()["model_version"] != before
    for name in variant_of:
        assert "experiment" not in recs(cl, users[name])
    assert cl.post("/api/admin/experiments/pop-vs-hybrid/stop", json={"promote": "nobody"},
                   headers=admin).status_code == 400
