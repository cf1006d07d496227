"""Synthetic diary events shared by the benchmarks: skewed users, a 10k-film catalog."""

from __future__ import annotations

import random

from cinematch.domain import Event, Movie, encode_event

GENRES = ["Drama", "Comedy", "Action", "Thriller", "Sci-Fi", "Romance", "Horror", "Animation", "Crime", "War",
          "Documentary", "Fantasy", "Adventure", "Mystery", "Family"]


COUNTRIES = ["US", "GB", "FR", "IT", "DE", "JP", "KR", "IN", "ES", "CA"]
LANGUAGES = ["en", "fr", "it", "de", "ja", "ko", "hi", "es"]


def catalog(n_films: int = 10_000, seed: int = 1) -> list[dict]:
    rnd = random.Random(seed)
    people = [f"Person {i}" for i in range(4000)]
    films = [
        {"title": f"Film {i}", "year": 1950 + i % 75, "genres": rnd.sample(GENRES, rnd.randint(1, 3)),
         "director": ", ".join(rnd.sample(people, rnd.choice((1, 1, 1, 2)))),
         "actors": ", ".join(rnd.sample(people, rnd.randint(3, 7))), "duration": rnd.randint(80, 180),
         "id": f"tt{i:07d}", "writers": ", ".join(rnd.sample(people, rnd.choice((1, 1, 2, 3))))}
        for i in range(n_films)
    ]
    for film in films[::2]:  # half of them known to TMDB too: where they were made, in which language
        film["countries"] = rnd.sample(COUNTRIES, rnd.choice((1, 1, 2)))
        film["languages"] = [rnd.choice(LANGUAGES)]
    return films


def events(n_events: int, n_users: int = 20_000, films: list[dict] | None = None, seed: int = 2) -> list[bytes]:
    """ADD 80%, UPDATE_RATING 10%, DELETE 10%; users and films Zipf-skewed."""
    rnd = random.Random(seed)
    films = films or catalog()
    user_w = [1 / (i + 1) ** 1.1 for i in range(n_users)]
    film_w = [1 / (i + 1) ** 0.8 for i in range(len(films))]
    users = rnd.choices(range(n_users), user_w, k=n_events)
    picks = rnd.choices(range(len(films)), film_w, k=n_events)
    seqs: dict[int, int] = {}
    live: dict[int, list[tuple[str, dict, int, str]]] = {}
    out = []
    for i in range(n_events):
        u, f = users[i], films[picks[i]]
        seq = seqs[u] = seqs.get(u, 0) + 1
        mine = live.setdefault(u, [])
        roll = rnd.random()
        if mine and roll < 0.1:
            eid, film, rating, date = mine.pop(rnd.randrange(len(mine)))
            kind, extra, r = "DELETE", {}, rating
        elif mine and roll < 0.2:
            idx = rnd.randrange(len(mine))
            eid, film, old, date = mine[idx]
            r = rnd.randint(1, 5)
            mine[idx] = (eid, film, r, date)
            kind, extra = "UPDATE_RATING", {"old_rating": old, "new_rating": r}
        else:
            date = f"2025-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
            eid, film, r = f"e{i}", f, rnd.randint(1, 5)
            mine.append((eid, film, r, date))
            kind, extra = "ADD", {}
        movie = Movie(name=film["title"], title=film["title"], year=film["year"], rating=r, genres=film["genres"],
                      duration=film["duration"], director=film["director"], actors=film["actors"], date=date,
                      added_at="2025-06-01T10:00:00+02:00", catalog_id=film["id"], writers=film["writers"],
                      countries=tuple(film.get("countries", ())) or None,
                      languages=tuple(film.get("languages", ())) or None, **extra)
        out.append(encode_event(Event(event_type=kind, user_id=f"user{u}", entry_id=eid, movie=movie, seq=seq,
                                      timestamp="2025-06-01T10:00:00+02:00")))
    return out
