"""The outside check of recommendations (docs/contract.md §5), through the HTTP API only: once an
experiment runs, the driver asks for lists, clicks, waves films away, logs and watchlists what it
was shown; then the experiment's report is compared with a recompute from what the driver saw, the
diary listing and the watchlist. Nothing here imports the product: the md5 rule, the impression
and the conversion are written again from the contract's words.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time

from .outside import EXTRA_FILMS, FILMS, TMDB_FILMS, Person, Typed, listing, server_day

EXPERIMENT, VARIANTS, TRAFFIC = "outside", ("hybrid", "popular"), 0.7


def variant_of(user_id: str) -> str | None:
    """docs/contract.md §5: who takes part, and in which variant (seed 004's md5)."""
    if int(hashlib.md5((EXPERIMENT + "_traffic_" + user_id).encode()).hexdigest(), 16) % 10000 >= TRAFFIC * 10000:
        return None
    return VARIANTS[int(hashlib.md5((EXPERIMENT + "_" + user_id).encode()).hexdigest(), 16) % len(VARIANTS)]


def start_experiment(client, admin: dict[str, str], people: list[Person], rnd: random.Random) -> list[Person]:
    """Fans who log films the driven people have not seen (so that their lists have something to
    show), a model trained on the diaries so far, then the experiment: its hybrid variant's own
    model, and the platform's most logged films. Returns the fans: their diaries count in the
    public trends and the film pages, which the checks then recompute with them."""
    from .outside import sign_up
    r = client.post("/api/admin/catalog", json=EXTRA_FILMS, headers=admin)
    assert r.status_code in (200, 201), r.text
    fans = []
    for n in range(4):
        fan = sign_up(client, f"fan{n}-{rnd.randrange(10**6)}")
        rows = "".join(f"{f['title']},{f['year']},{rnd.randint(2, 10) / 2},2025-06-{1 + k:02d}\n"
                       for k, f in enumerate(rnd.sample(EXTRA_FILMS, 14)))
        r = client.post("/api/movies/import", content=("name,year,rating,date\n" + rows).encode(),
                        headers={**fan.headers, "Content-Type": "text/csv"})
        assert r.status_code == 200 and r.json()["imported"] == 14, r.text
        fans.append(fan)
    r = client.post("/api/admin/ml/train", headers=admin)
    assert r.status_code in (200, 429), r.text  # 429: another test's training a moment ago is no matter
    r = client.post("/api/admin/experiments", headers=admin, json={
        "name": EXPERIMENT, "traffic": TRAFFIC,
        "variants": [{"name": VARIANTS[0]}, {"name": VARIANTS[1], "params": {"strategy": "popularity"}}]})
    assert r.status_code == 201, r.text
    for p in people:
        p.recs = True
    return fans


def recs_step(client, p: Person, rnd: random.Random) -> str:
    """A list shown; then maybe a click, a dismissal, a log or a watchlist of one of its films."""
    r = client.get("/api/recommendations/me", params={"top_n": 5}, headers=p.headers)
    assert r.status_code == 200, r.text
    answer, day = r.json(), server_day(r)
    want = variant_of(p.user_id)
    if answer.get("variant") != want or answer.get("experiment") != (EXPERIMENT if want else None):
        p.problems.append(f"variant {answer.get('variant')} for {p.user_id}, the md5 rule says {want}")
    items = answer["items"]
    back = {i["movie_id"] for i in items} & p.hidden
    if back:
        p.problems.append(f"films waved away came back: {sorted(back)}")
    if want:
        for i in items:
            p.shown.setdefault(i["movie_id"], (i["title"], i["year"], set()))[2].add(day)
    if not items or rnd.random() < 0.2:
        return "recs"
    item = rnd.choice(items)
    roll = rnd.random()
    if roll < 0.5:
        action = rnd.choice(["click", "click", "not_interested", "seen"])
        r = client.post("/api/recommendations/feedback", json={"movie_id": item["movie_id"], "action": action},
                        headers=p.headers)
        assert r.status_code == 204, r.text
        if action == "click" and want:
            p.clicks.add((item["movie_id"], server_day(r)))
        elif action != "click":
            p.hidden.add(item["movie_id"])
        return action
    if roll < 0.8:
        r = client.post("/api/movies", json={"name": item["title"], "year": item["year"], "rating": 4},
                        headers=p.headers)
        assert r.status_code == 201, r.text
        # a shown film is a catalog film: its exact title and year link it (TMDB's among them, once picked)
        known = {(f["title"], f["year"]) for f in FILMS + TMDB_FILMS + EXTRA_FILMS}
        film = (item["title"], item["year"])
        p.typed[r.json()["id"]] = Typed(item["title"], item["year"], film if film in known else None)
        p.added[r.json()["id"]] = server_day(r)
        return "log a shown film"
    r = client.post("/api/me/watchlist", json={"name": item["title"], "year": item["year"]}, headers=p.headers)
    assert r.status_code == 201, r.text
    return "watchlist a shown film"


def expected_report(client, people: list[Person]) -> dict[str, dict[str, int]]:
    """Per variant: people shown a list of it, impressions (user, film, day), clicks (user, film,
    day) while in it, conversions (user, film: logged, or on the watchlist, within 30 days of the
    first day it was shown)."""
    out = {v: {"users": 0, "impressions": 0, "clicks": 0, "conversions": 0} for v in VARIANTS}
    for p in people:
        v = variant_of(p.user_id)
        if v is None or not p.shown:
            continue
        row = out[v]
        row["users"] += 1
        row["impressions"] += sum(len(days) for _, _, days in p.shown.values())
        row["clicks"] += len(p.clicks)
        acted: dict[tuple[str, int | None], list[str]] = {}
        for e in listing(client, p):
            acted.setdefault((e["title"], e["year"]), []).append(p.added[e["id"]])
        for w in client.get("/api/me/watchlist", headers=p.headers).json()["items"]:
            acted.setdefault((w["title"], w["year"]), []).append(w["added"][:10])
        for title, year, days in p.shown.values():
            first = dt.date.fromisoformat(min(days))
            end = (first + dt.timedelta(days=30)).isoformat()
            if any(first.isoformat() <= d <= end for d in acted.get((title, year), ())):
                row["conversions"] += 1
    return out


def experiment_problems(client, admin: dict[str, str], people: list[Person], timeout: float = 120.0) -> list[str]:
    """The report against the recompute (waiting for a stream's lag: the feedback travels through
    Kafka on the kafka and spark runtimes), and what the driver saw on the way."""
    problems = [x for p in people for x in p.problems]
    want = expected_report(client, people)
    end = time.monotonic() + timeout
    while True:
        report = client.get(f"/api/admin/experiments/{EXPERIMENT}", headers=admin).json()
        have = {v["name"]: {k: v[k] for k in ("users", "impressions", "clicks", "conversions")}
                for v in report["variants"]}
        if have == want or time.monotonic() > end:
            break
        time.sleep(0.5)
    if have != want:
        problems.append(f"experiment report {have} != {want}")
    return problems
