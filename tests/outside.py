"""The outside check: random diary edits through the HTTP API only, then every statistic and
affinity compared with a recompute from the diary listing (GET /api/movies), and every entry's
link compared with what docs/contract.md §2 says it must be. Nothing here imports the product:
the recompute and the matching rule are written again from the contract's words, so a rule the
product gets wrong cannot agree with itself.

Used on every runtime: embedded (tests/e2e), kafka and spark (tests/integration), with the same
`drive` and `mismatches`; a client is Litestar's test client or an httpx client."""

from __future__ import annotations

import datetime as dt
import json
import random
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A catalog that makes renames matter: one title at two years (Heat), titles typed in another
# case, people whose names need escaping, films without a year, and typed names nowhere in it.
FILMS: list[dict[str, Any]] = [
    {"title": "Garden", "year": 1990, "genres": ["Drama"], "director": "Ann Lee", "actors": "Bo Dot, Cy Ray",
     "duration": 100, "votes": 5, "writers": "Ann Lee, Bo Dot, Third Writer", "countries": ["IT", "FR"],
     "languages": ["it"]},
    {"title": "Red Harbor", "year": 2012, "genres": ["Crime", "Drama"], "director": "J.J. Abrams",
     "actors": "Ann $Lee|Dee Fox", "duration": 95, "votes": 4, "writers": "J.J. Abrams", "countries": ["US"],
     "languages": ["en", "es"]},
    {"title": "Heat", "year": 1995, "genres": ["Crime", "Thriller"], "director": "Michael Mann",
     "actors": "Al Pacino, Robert De Niro, Val Kilmer, Jon Voight, Tom Sizemore, Ashley Judd", "duration": 170,
     "votes": 9, "writers": "Michael Mann", "countries": ["US"], "languages": ["en"]},
    {"title": "Heat", "year": 1986, "genres": ["Action"], "director": "Dick Richards, Jerry Jameson",
     "actors": "Burt Reynolds", "duration": 101, "votes": 2},
    {"title": "Alien", "year": 1979, "genres": ["Horror", "Sci-Fi"], "director": "Ridley Scott",
     "actors": "Sigourney Weaver, Tom Skerritt", "duration": 117, "votes": 8},
    {"title": "Aliens", "year": 1986, "genres": ["Action", "Sci-Fi"], "director": "James Cameron",
     "actors": "Sigourney Weaver, Michael Biehn", "duration": 137, "votes": 7},
    {"title": "Città d'Ombra", "year": 2001, "genres": ["Drama"], "director": "Zoë Wu",
     "actors": "Éva Nagy", "duration": 88, "votes": 1},
    {"title": "Quiet Days", "year": None, "genres": ["Comedy"], "director": "Ann Lee", "votes": 0},
    {"title": "Night Shift", "year": 1982, "genres": ["Comedy"], "director": "Ron Howard, Ann Lee, Extra Person",
     "actors": "Henry Winkler", "duration": 105, "votes": 3},
    {"title": "Night Shift", "year": 1983, "genres": ["Horror"], "director": "Nobody Known", "duration": 90,
     "votes": 3},
]
# The films of our TMDB stand-in (tests/fixtures/tmdb/films.json, in TMDB's shape) as the catalog
# holds them once picked (docs/contract.md §4: title, year, genres, runtime): a run with the
# stand-in picks them too (their catalog ids are `tmdb:<id>` until then). No typed name is theirs.
TMDB_FIXTURE = Path(__file__).parent / "fixtures" / "tmdb" / "films.json"
TMDB_FILMS = [{"title": f["title"], "year": int(f["release_date"][:4]), "genres": [g["name"] for g in f["genres"]],
               "duration": f["runtime"], "tmdb": f"tmdb:{f['id']}"} for f in json.loads(TMDB_FIXTURE.read_text())]
# Films the experiment's fans log (tests/outside_recs.py), so that lists have films the driven people
# have not seen: no credits, so no person page moves; no typed name is theirs.
EXTRA_FILMS = [{"title": f"Second Look {i}", "year": 2000 + i, "genres": [["Drama"], ["Comedy"], ["Horror"]][i % 3],
                "duration": 90 + i, "votes": 1} for i in range(24)]
# docs/contract.md §2's affinity types, each compared whole.
AFFINITY_TYPES = ("director", "actor", "genre", "writer", "country", "language", "decade", "release_year", "weekday")
TYPED = ["Home Movie", "Our Holiday 2019", "Untitled Short", "garden party"]  # in no catalog title


def norm(title: str) -> str:
    """docs/contract.md §2 title normalization, for the titles above (no ø/æ/ß forms among them)."""
    text = "".join(c for c in unicodedata.normalize("NFD", title) if not unicodedata.combining(c)).lower()
    return " ".join("".join(c if c.isalnum() or c == "_" else " " for c in text).split())


def expected_film(name: str, year: int | None) -> dict | None:
    """The contract's matching: exact title first, then the normalized title; a year admits only
    films within ±1 of it; among a tier's admitted films the nearest year, then the most votes."""
    admitted = [f for f in FILMS if year is None or (f["year"] is not None and abs(f["year"] - year) <= 1)]
    for hit in (lambda f: f["title"] == name, lambda f: norm(f["title"]) == norm(name)):
        found = [f for f in admitted if hit(f)]
        if found:
            return min(found, key=lambda f: (abs(f["year"] - year) if year is not None else 0, -f["votes"],
                                             f"{norm(f['title'])}|{f['year'] or ''}"))
    return None


def people(value: str | None, first: int) -> list[str]:
    names = [p.strip() for p in (value or "").replace("|", ",").split(",")]
    return [n for n in names if n][:first]


# --- the driver -------------------------------------------------------------------------------


@dataclass
class Typed:
    """What the person asked for last: the name and the year hint of that request, or a film picked."""
    name: str
    year: int | None = None
    picked: tuple[str, int | None] | None = None  # (title, year) of a film chosen by catalog_id


@dataclass
class Person:
    headers: dict[str, str]
    typed: dict[str, Typed] = field(default_factory=dict)  # entry id -> what was typed
    imports: int = 0
    private: set[str] = field(default_factory=set)  # the entries made private
    today: str | None = None  # the server's day, once an entry logged without a date said it
    user_id: str = ""
    # Recommendations (tests/outside_recs.py), once the experiment runs: the server's day each entry
    # was added, the films shown in the experiment (movie id -> title, year and the days shown), the
    # clicks in it (movie id, day), and the films waved away.
    added: dict[str, str] = field(default_factory=dict)
    shown: dict[str, tuple[str, int | None, set[str]]] = field(default_factory=dict)
    clicks: set[tuple[str, str]] = field(default_factory=set)
    hidden: set[str] = field(default_factory=set)
    recs: bool = False
    problems: list[str] = field(default_factory=list)


def load_catalog(client, admin: dict[str, str]) -> None:
    r = client.post("/api/admin/catalog", json=FILMS, headers=admin)
    assert r.status_code in (200, 201), r.text


def sign_up(client, name: str, password: str = "correct-horse-42") -> Person:
    made = client.post("/api/auth/register", json={"username": name, "password": password})
    r = client.post("/api/auth/token", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return Person({"Authorization": f"Bearer {r.json()['access_token']}"},
                  user_id=made.json()["user_id"] if made.status_code == 201 else "")


def _a_name(rnd: random.Random) -> tuple[str, int | None]:
    """A title as a person types it: a catalog title (as written, in lower case, or with
    accents dropped), or a name the catalog does not know; with a year hint or none."""
    if rnd.random() < 0.25:
        return rnd.choice(TYPED), rnd.choice([None, None, 2003, 1990])
    film = rnd.choice(FILMS)
    name = rnd.choice([film["title"], film["title"].lower(), norm(film["title"])])
    hint = None
    if rnd.random() < 0.5 and film["year"] is not None:
        hint = film["year"] + rnd.choice([-2, -1, 0, 0, 1, 2])  # ±2 admits no film: links nothing
    return name, hint


def _rating(rnd: random.Random) -> float | None:
    return rnd.choice([None, rnd.randint(1, 10) / 2, rnd.randint(1, 5)])


def _date(rnd: random.Random) -> str:
    return f"{rnd.choice([2023, 2024, 2025])}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"


def _ids(client, p: Person) -> list[str]:
    return [e["id"] for e in listing(client, p)]


def step(client, p: Person, rnd: random.Random, catalog_ids: dict[tuple[str, int | None], str]) -> str:
    """One random edit through the API; returns its kind."""
    if p.recs and rnd.random() < 0.12:
        from .outside_recs import recs_step
        return recs_step(client, p, rnd)
    roll = rnd.random()
    if not p.typed or roll < 0.3:
        name, hint = _a_name(rnd)
        body: dict[str, Any] = {"name": name, "rating": _rating(rnd), "date": _date(rnd), "rewatch": rnd.random() < 0.1}
        if hint is not None:
            body["year"] = hint
        if rnd.random() < 0.05:  # logged today (the server's day): the calendar's current streak
            del body["date"]
        r = client.post("/api/movies", json=body, headers=p.headers)
        assert r.status_code == 201, r.text
        if "date" not in body:
            p.today = r.json()["date"]
        p.typed[r.json()["id"]] = Typed(name, hint)
        p.added[r.json()["id"]] = server_day(r)
        return "add"
    entry_id = rnd.choice(sorted(p.typed))
    if roll < 0.45:
        name, hint = _a_name(rnd)
        while name == p.typed[entry_id].name:  # a rename: the same words would be no change
            name, hint = _a_name(rnd)
        body = {"name": name} if hint is None else {"name": name, "year": hint}
        kind = "rename"
    elif roll < 0.55:
        body, kind = {"date": _date(rnd)}, "redate"
    elif roll < 0.67:
        body, kind = {"rating": _rating(rnd)}, "rating"
    elif roll < 0.72:  # privacy changes only the public trends; a review and a like change nothing counted
        hidden = entry_id not in p.private
        body, kind = {"private": hidden, "review": rnd.choice(["", "Again.", "<i>Not</i> again"]),
                      "liked": rnd.random() < 0.5, "rewatch": rnd.random() < 0.5}, "private"
        (p.private.add if hidden else p.private.discard)(entry_id)
    elif roll < 0.77:  # (TMDB's films among them when the run has the stand-in: catalog_ids names them)
        film = rnd.choice([f for f in FILMS + TMDB_FILMS if (f["title"], f["year"]) in catalog_ids])
        body, kind = {"catalog_id": catalog_ids[(film["title"], film["year"])]}, "pick"
    elif roll < 0.9:
        r = client.delete(f"/api/movies/{entry_id}", headers=p.headers)
        assert r.status_code == 204, r.text
        del p.typed[entry_id]
        p.private.discard(entry_id)
        return "delete"
    else:
        return _import(client, p, rnd)
    r = client.patch(f"/api/movies/{entry_id}", json=body, headers=p.headers)
    assert r.status_code == 200, r.text
    if kind == "rename":
        p.typed[entry_id] = Typed(body["name"].strip(), body.get("year"))
    elif kind == "pick":  # picking another film names the entry after it (what was typed described the old one)
        p.typed[entry_id] = Typed(r.json()["name"], None, (film["title"], film["year"]))
        return "tmdb pick" if film in TMDB_FILMS else kind
    return kind


def _import(client, p: Person, rnd: random.Random) -> str:
    """A `name,year,rating,date` file: rows on days no other row of it has (so each new entry
    is known by its name and day)."""
    p.imports += 1
    rows, seen = [], set()
    for _ in range(rnd.randint(2, 6)):
        name, hint = _a_name(rnd)
        day = _date(rnd)
        if (norm(name), day) in seen or "," in name:
            continue
        seen.add((norm(name), day))
        rating = _rating(rnd)
        rows.append((name, hint, day, rating))
    before = set(_ids(client, p))
    text = "name,year,rating,date\n" + "".join(
        f"{n},{'' if h is None else h},{'' if r is None else r},{d}\n" for n, h, d, r in rows)
    r = client.post("/api/movies/import", content=text.encode(), headers={**p.headers, "Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    by_row = {(n.strip(), d): h for n, h, d, _ in rows}
    for e in listing(client, p):
        if e["id"] not in before:
            p.typed[e["id"]] = Typed(e["name"], by_row[(e["name"], e["date"])])
            p.added[e["id"]] = server_day(r)
    return "import"


def drive(client, people_: list[Person], rnd: random.Random, steps: int, catalog_ids) -> Counter:
    kinds: Counter = Counter()
    for _ in range(steps):
        kinds[step(client, rnd.choice(people_), rnd, catalog_ids)] += 1
    return kinds


FIXED_DAY: list[str] = []  # the embedded test's day (its fixed clock): its test client sends no Date


def server_day(response) -> str:
    """The server's day (Europe/Rome, the product's zone) when it answered: its Date header."""
    import email.utils
    import zoneinfo
    if FIXED_DAY:
        return FIXED_DAY[0]
    at = email.utils.parsedate_to_datetime(response.headers["date"])
    return at.astimezone(zoneinfo.ZoneInfo("Europe/Rome")).date().isoformat()


def catalog_ids_of(client) -> dict[tuple[str, int | None], str]:
    """Each film's catalog id, as the public search answers it."""
    ids = {}
    for film in FILMS:
        items = client.get("/api/catalog/search", params={"q": film["title"], "limit": 20}).json()["items"]
        [hit] = [m for m in items if m["title"] == film["title"] and m.get("year") == film["year"]]
        ids[(film["title"], film["year"])] = hit["id"]
    return ids


# --- the recompute ------------------------------------------------------------------------------


def listing(client, p: Person) -> list[dict]:
    items, offset = [], 0
    while True:
        page = client.get("/api/movies", params={"limit": 200, "offset": offset}, headers=p.headers).json()
        items += page["items"]
        offset += 200
        if offset >= page["total"]:
            return items


def recompute(entries: list[dict]) -> tuple[dict, dict[str, dict[str, tuple]]]:
    """docs/contract.md §2 from the entries alone: the per-user figures and the affinities."""
    rated = [e["rating"] for e in entries if e["rating"] is not None]
    timed = [e["duration"] for e in entries if e["duration"]]
    dist = {k: 0 for k in ("0.5", "1", "1.5", "2", "2.5", "3", "3.5", "4", "4.5", "5")}
    for r in rated:
        dist[f"{r:g}"] += 1
    months: dict[str, dict[str, int]] = defaultdict(dict)
    for e in entries:
        y, m = e["date"][:4], e["date"][5:7]
        months[y][m] = months[y].get(m, 0) + 1
    stats = {"total_watched": len(entries), "rated_count": len(rated), "sum_ratings": sum(rated),
             "avg_rating": sum(rated) / len(rated) if rated else 0, "watch_time_minutes": sum(timed),
             "avg_duration": round(sum(timed) / len(timed), 1) if timed else 0, "rating_distribution": dist,
             "monthly_counts": dict(months)}
    films: Counter = Counter()
    named_by: dict[str, tuple] = {}  # film -> (date, title, year, catalog id) of its latest watch
    for e in entries:
        film = e["catalog_id"] or f"{norm(e['name'])}|{e['year'] or ''}"
        films[film] += 1
        seen = named_by.get(film)
        if seen is None or e["date"] > seen[0] or (e["date"] == seen[0] and e["title"] < seen[1]):
            named_by[film] = (e["date"], e["title"], e["year"], e["catalog_id"])
    again = [{"title": named_by[f][1], "year": named_by[f][2], "count": n, "catalog_id": named_by[f][3]}
             for f, n in films.items() if n >= 2]
    stats.update({"rewatch_count": sum(1 for e in entries if e["rewatch"]), "distinct_films": len(films),
                  "most_rewatched": sorted(again, key=lambda f: (-f["count"], f["title"], f["year"] or 0))[:10]})
    aff: dict[str, dict[str, list]] = {kind: {} for kind in AFFINITY_TYPES}
    for e in entries:
        year = e["year"]
        named = {"director": people(e["director"], 2), "actor": people(e["actors"], 5), "genre": e["genres"],
                 "writer": people(e["writers"], 2), "country": e["countries"], "language": e["languages"],
                 "decade": [f"{year // 10 * 10}s"] if year else [], "release_year": [str(year)] if year else [],
                 "weekday": [str(dt.date.fromisoformat(e["date"]).isoweekday())]}
        for kind, names in named.items():
            for n in names:
                a = aff[kind].setdefault(n, [0, 0, 0.0])
                a[0] += 1
                if e["rating"] is not None:
                    a[1] += 1
                    a[2] += e["rating"]
    return stats, {k: {n: tuple(v) for n, v in d.items()} for k, d in aff.items()}


def expected_calendar(entries: list[dict], today_text: str | None = None) -> dict:
    """docs/contract.md §2 Calendar from the listing (newest first: reversed, it is the watched
    order, ties in the order the entries were added)."""
    days = Counter(e["date"] for e in entries)
    runs: list[list[dt.date]] = []
    for day in sorted(dt.date.fromisoformat(d) for d in days):
        if runs and day - runs[-1][-1] == dt.timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    today = dt.date.fromisoformat(today_text) if today_text else None
    longest = max(runs, key=len, default=[])  # the first of the longest
    current = runs[-1] if runs and today and runs[-1][-1] >= today - dt.timedelta(days=1) else []

    def streak(run: list[dt.date]) -> dict:
        return {"days": len(run), "start": run[0].isoformat() if run else None,
                "end": run[-1].isoformat() if run else None}
    marks = {1, 50, 100, 250, 500} | set(range(1000, len(entries) + 1, 500))
    ordered = entries[::-1]
    return {"days": dict(sorted(days.items())), "longest_streak": streak(longest), "current_streak": streak(current),
            "milestones": [{"n": n, "date": ordered[n - 1]["date"], "title": ordered[n - 1]["title"],
                            "entry_id": ordered[n - 1]["id"]} for n in sorted(marks) if n <= len(ordered)]}


def link_problems(entries: list[dict], typed: dict[str, Typed]) -> list[str]:
    """Each entry's link, title and year against the contract's rule for what was typed."""
    problems = []
    for e in entries:
        t = typed.get(e["id"])
        if t is None:
            problems.append(f"{e['id']}: an entry nobody made ({e['name']})")
            continue
        film = (next(f for f in FILMS + TMDB_FILMS + EXTRA_FILMS if (f["title"], f["year"]) == t.picked) if t.picked
                else expected_film(t.name, t.year))
        if film is None:
            want = (None, t.name, t.year, [], 0)
        else:
            want = ("linked", film["title"], film["year"], film["genres"], film.get("duration") or 0)
        got = ("linked" if e["catalog_id"] else None, e["title"], e["year"], e["genres"], e["duration"])
        if got != want:
            problems.append(f"{e['id']} typed {t}: {got} != {want}")
    return problems


def mismatches(client, p: Person, label: str) -> list[str]:
    """Every difference between what the API says and the outside recompute, for one person."""
    entries = listing(client, p)
    problems = [f"{label} {x}" for x in link_problems(entries, p.typed)]
    if {e["id"] for e in entries} != set(p.typed):
        problems.append(f"{label}: the listing has {len(entries)} entries, the driver made {len(p.typed)}")
    stats, aff = recompute(entries)
    got = client.get("/api/me/stats", headers=p.headers).json()
    for key, want in stats.items():
        have = got[key]
        same = abs(have - want) < 1e-9 if isinstance(want, float) else have == want
        if not same:
            problems.append(f"{label} stats {key}: {have} != {want}")
    cal = client.get("/api/me/calendar", headers=p.headers).json()
    want_cal = expected_calendar(entries, p.today)
    if p.today is None:  # the server's day unknown: its current streak is not judged
        want_cal["current_streak"] = cal.get("current_streak")
    if want_cal != cal:
        problems.append(f"{label} calendar: {cal} != {want_cal}")
    for kind, want_names in aff.items():
        items = client.get("/api/me/affinities", params={"type": kind, "limit": 1000},
                           headers=p.headers).json()["items"]
        have_names = {a["name"]: (a["count"], a["rated_count"], a["sum_ratings"]) for a in items}
        if have_names != want_names:
            diff = set(have_names.items()) ^ set(want_names.items())
            problems.append(f"{label} {kind} affinities differ: {sorted(diff, key=str)[:6]}")
    return problems


def expected_trends(listings: list[list[dict]], min_users: int = 3) -> tuple[list, list]:
    """docs/contract.md §2 global trends from every person's listing: catalog films only, no
    private entry, each (person, film) once; (top_movies, trending_genres) as tuples."""
    users: dict[tuple[str, int | None], set[int]] = defaultdict(set)
    for who, entries in enumerate(listings):
        for e in entries:
            if e["catalog_id"] and not e["private"]:
                users[(e["title"], e["year"])].add(who)
    counts = {film: len(u) for film, u in users.items()}
    top = sorted(((t, y, n) for (t, y), n in counts.items() if n >= min_users), key=lambda f: (-f[2], f[0], f[1] or 0))
    genres: Counter = Counter()
    for (t, y), n in counts.items():
        film = next(f for f in FILMS + TMDB_FILMS + EXTRA_FILMS if (f["title"], f["year"]) == (t, y))
        for g in set(film["genres"]):
            genres[g] += n
    total = sum(genres.values())
    ranked = sorted(genres.items(), key=lambda gc: (-gc[1], gc[0]))[:10]
    return ([(t, n) for t, _, n in top[:10]],
            [(g, c, round(100 * c / total, 1)) for g, c in ranked])


def trend_problems(client, people_: list[Person], timeout: float = 120.0) -> list[str]:
    """The public trends against the recompute from every listing (asked again until they agree
    or `timeout`: the trends answer is cached briefly, and a runtime may apply them later)."""
    import time
    want = expected_trends([listing(client, p) for p in people_])
    end = time.monotonic() + timeout
    while True:
        got = client.get("/api/trends/global").json()
        have = ([(m["title"], m["count"]) for m in got["top_movies"]],
                [(g["genre"], g["count"], g["percentage"]) for g in got["trending_genres"]])
        if have == want:
            return []
        if time.monotonic() > end:
            return [f"trends: {have} != {want}"]
        time.sleep(0.1)


def expected_instance(listings: list[list[dict]], catalog_id: str, min_users: int = 3) -> dict | None:
    """docs/contract.md §3 a film's instance line from every listing: the people with an entry
    linked to it that is not private, and the mean of those entries' ratings; from `min_users`."""
    counted = [(who, e) for who, entries in enumerate(listings) for e in entries
               if e["catalog_id"] == catalog_id and not e["private"]]
    users = {who for who, _ in counted}
    rated = [round(e["rating"] * 2) for _, e in counted if e["rating"] is not None]
    if len(users) < min_users:
        return None
    return {"users": len(users), "avg_rating": round(sum(rated) / len(rated) / 2, 2) if rated else None}


PEOPLE_ASKED = ("Ann Lee", "Sigourney Weaver", "Michael Mann", "J.J. Abrams", "Bo Dot", "Henry Winkler")


def film_problems(client, people_: list[Person], catalog_ids: dict[tuple[str, int | None], str]) -> list[str]:
    """Every film page's instance line and each person's own watches of it, and each person
    page's `you`, against the recompute from the listings (read from the diaries: no waiting)."""
    listings = [listing(client, p) for p in people_]
    problems = []
    # The catalog's films, and those that joined it from TMDB (known by the entries linked to them).
    films = {catalog_ids[(f["title"], f["year"])] for f in FILMS}
    films |= {e["catalog_id"] for entries in listings for e in entries if e["catalog_id"]}
    for film_id in sorted(films):
        want = expected_instance(listings, film_id)
        for who, p in enumerate(people_):
            got = client.get(f"/api/films/{film_id}", headers=p.headers).json()
            if got["instance"] != want:
                problems.append(f"film {film_id} instance: {got['instance']} != {want}")
            mine = sorted(e["id"] for e in listings[who] if e["catalog_id"] == film_id)
            if sorted(e["id"] for e in got["your_entries"]) != mine:
                problems.append(f"film {film_id} person{who} entries: {got['your_entries']} != {mine}")
    for name in PEOPLE_ASKED:
        # (a name is looked up as a title is: normalized, so "Ann $Lee" is found as "Ann Lee")
        ids = {catalog_ids[(f["title"], f["year"])] for f in FILMS
               if norm(name) in map(norm, people(f.get("director"), 99) + people(f.get("actors"), 99)
                                    + people(f.get("writers"), 99))}
        for who, p in enumerate(people_):
            mine = [e for e in listings[who] if e["catalog_id"] in ids]
            rated = [e["rating"] for e in mine if e["rating"] is not None]
            want = {"count": len(mine), "rated_count": len(rated),
                    "avg_rating": round(sum(rated) / len(rated), 2) if rated else 0}
            got = client.get(f"/api/people/{name}", headers=p.headers).json()["you"]
            if got != want:
                problems.append(f"person {name} person{who} you: {got} != {want}")
    return problems


def wait_synced(client, p: Person, timeout: float = 120.0) -> None:
    import time
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if client.get("/api/me/stats", headers=p.headers).json()["sync"]["status"] == "synced":
            return
        time.sleep(0.05)
    raise AssertionError("the statistics never caught up")
