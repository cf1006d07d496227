"""The synthetic-user generator of seed 004, for scale tests and demos.

A profile has 2-6 favourite genres, a rating tendency ~ N(3.5, 0.8), a consistency
(noise σ ~ U(0.5, 1.5)) and a popularity bias in [-0.5, 1]. Which films a user rates is
drawn with probability growing with popularity (Zipf-like, as in real logs; the seed drew
uniformly, which no real catalogue looks like). A rating is
    tendency + 0.3·(favourite genres of the film) + bias·popularity + 0.2·(quality − 5) + noise,
rounded and clamped to the platform's 1-5 stars.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Film:
    title: str
    year: int
    genres: tuple[str, ...]
    popularity: float  # 0-100
    quality: float  # 0-10, the seed's TMDB vote average


@dataclass(frozen=True)
class SyntheticRating:
    user: str
    film: Film
    rating: int


GENRES = ("Action", "Adventure", "Animation", "Comedy", "Crime", "Documentary", "Drama", "Fantasy", "Horror",
          "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western")


def synthetic_catalog(n_films: int, *, random_state: int = 0) -> list[Film]:
    rng = np.random.default_rng(random_state)
    popularity = 100.0 / np.arange(1, n_films + 1) ** 0.8  # rank-popularity, heavy head
    films = []
    for i in range(n_films):
        genres = tuple(sorted(rng.choice(GENRES, size=rng.integers(1, 4), replace=False)))
        films.append(Film(f"Synthetic Film {i:05d}", int(rng.integers(1950, 2026)), genres, float(popularity[i]),
                          float(np.clip(rng.normal(6.5, 1.0), 1, 10))))
    return films


def synthetic_ratings(films: Sequence[Film], n_users: int, *, min_ratings: int = 10, max_ratings: int = 50,
                      random_state: int = 0, prefix: str = "synth") -> list[SyntheticRating]:
    if not films or n_users < 0 or not 1 <= min_ratings <= max_ratings:
        raise ValueError("need films, n_users ≥ 0 and 1 ≤ min_ratings ≤ max_ratings")
    rng = np.random.default_rng(random_state)
    pop = np.array([f.popularity for f in films])
    draw = pop / pop.sum()
    out = []
    for u in range(n_users):
        favourite = set(rng.choice(GENRES, size=rng.integers(2, 7), replace=False))
        tendency, sigma, bias = rng.normal(3.5, 0.8), rng.uniform(0.5, 1.5), rng.uniform(-0.5, 1.0)
        n = min(int(rng.integers(min_ratings, max_ratings + 1)), len(films))
        for i in rng.choice(len(films), size=n, replace=False, p=draw):
            f = films[i]
            r = (tendency + 0.3 * len(favourite & set(f.genres)) + bias * f.popularity / 100
                 + 0.2 * (f.quality - 5.0) + rng.normal(0, sigma))
            out.append(SyntheticRating(f"{prefix}{u}", f, int(np.clip(np.floor(r + 0.5), 1, 5))))
    return out
