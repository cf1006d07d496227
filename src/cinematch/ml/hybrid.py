"""The hybrid recommender served by the API.

Signals, each scaled to [0, 1] over the candidates and blended with configurable weights:
- `cf`: who-watched-what, as the ranker the top-N protocol scores (`topn.EASEWithALS`): EASE
  item-item scores of the user's history plus, twice weighted, implicit ALS's scores with the
  user folded in from that history (each scaled by its largest score);
- `rating`: the biased-MF predicted rating, the user folded in from their current ratings
  (one small ridge solve, the same step ALS trains with), so a new rating changes the next
  list without retraining;
- `content`: cosine similarity with the user's taste profile (genres, people, decade);
- `popularity`: how many rated a film, decayed with age (trending);
- `segment`: popularity inside the user's K-means segment (user factors).

Cold start (0-4 ratings): content from the few ratings or the genre picks, plus popularity.
The top candidates are re-ranked with MMR (maximal marginal relevance) for diversity, and
each item gets a short explanation from its strongest signal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..domain.messages import N_
from ..domain.ratings import display
from ..domain.text import normalize_title
from .content import ContentIndex

COLD_START_BELOW = 5
CANDIDATES = 100


@dataclass(frozen=True)
class Weights:
    # Chosen on a held-out split of ml-100k: EASE alone ranks best (NDCG), these side
    # signals cost about 1.5% of it and buy diversity, freshness and explanations.
    cf: float = 0.7
    rating: float = 0.1
    content: float = 0.1
    popularity: float = 0.05
    segment: float = 0.05
    # cold start: no collaborative signal worth trusting yet
    cold_content: float = 0.5
    cold_popularity: float = 0.5
    mmr_lambda: float = 0.85  # 1 = pure relevance, 0 = pure diversity


@dataclass
class Rated:
    """One of the user's ratings: the model's item index (-1 if the model doesn't know the
    film), the rating, the film's content features (read only when item is -1: a known film
    is described by its own row) and title (for explanations)."""

    item: int
    rating: float
    features: Sequence[str]
    title: str


@dataclass
class Recommendation:
    item: int
    score: float
    predicted_rating: float
    explanation: str


@dataclass
class Model:
    """Everything serving needs, as plain arrays (saved and loaded by ml.artifacts)."""

    titles: list[str]
    years: list[int | None]
    genres: list[list[str]]
    global_mean: float
    item_bias: np.ndarray  # (n_items,)
    item_factors: np.ndarray  # (n_items, k)
    reg: float  # the ALS regularisation, reused by the fold-in
    reg_bias: float
    ease: np.ndarray | None  # (n_items, n_items) float32, None on catalogues too big for it
    popularity: np.ndarray  # (n_items,) in [0, 1]
    centroids: np.ndarray  # (k_cluster, k)
    segment_popularity: np.ndarray  # (k_cluster, n_items) in [0, 1]
    segment_labels: list[str]
    content: ContentIndex
    weights: Weights = field(default_factory=Weights)
    als: ImplicitFactors | None = None  # implicit ALS's film factors (None: a model saved before them)

    @property
    def n_items(self) -> int:
        return len(self.titles)

    # --- the user side, computed per request --------------------------------------
    def fold_in(self, items: np.ndarray, ratings: np.ndarray) -> tuple[float, np.ndarray]:
        """The user's bias and factors given fixed item factors: one ridge solve on [1, q_j]
        with the weighted-λ of training (λ·n)."""
        k = self.item_factors.shape[1]
        if len(items) == 0:
            return 0.0, np.zeros(k)
        design = np.hstack([np.ones((len(items), 1)), self.item_factors[items]])
        target = ratings - self.global_mean - self.item_bias[items]
        reg = np.full(k + 1, self.reg * len(items))
        reg[0] = self.reg_bias * len(items)
        sol = np.linalg.solve(design.T @ design + np.diag(reg), design.T @ target)
        return float(sol[0]), sol[1:]

    def recommend(self, rated: Sequence[Rated], top_n: int = 10, *, exclude: np.ndarray | None = None,
                  genre_picks: Sequence[str] = ()) -> tuple[str, list[Recommendation]]:
        """(strategy, items): never an item in `rated` or `exclude`."""
        known = [r for r in rated if r.item >= 0]
        items = np.array([r.item for r in known], dtype=np.int64)
        ratings = np.array([r.rating for r in known], dtype=np.float64)
        bias, factors = self.fold_in(items, ratings)
        predicted = np.clip(self.global_mean + bias + self.item_bias + self.item_factors @ factors, 1.0, 5.0)

        mean = float(np.mean([r.rating for r in rated])) if rated else 3.0
        # Taste: films liked above the user's own average pull, the others push.
        extra = [(r.features, r.rating - mean + 0.5) for r in rated if r.item < 0]
        extra += [([f"g:{g}" for g in _norm(genre_picks)], 1.0)] if genre_picks else []
        has_profile = bool(rated) or bool(genre_picks)
        content = self.content.scores(self.content.profile(items, ratings - mean + 0.5, extra))

        allowed = np.ones(self.n_items, dtype=bool)
        allowed[items] = False
        if exclude is not None and len(exclude):
            allowed[exclude] = False
        w = self.weights
        cold = len(rated) < COLD_START_BELOW
        segment = -1
        signals: dict[str, np.ndarray] = {"popularity": self.popularity}
        if cold:
            weights = {"content": w.cold_content if has_profile else 0.0, "popularity": w.cold_popularity}
            signals["content"] = content
        else:
            segment = int(np.argmin(((self.centroids - factors) ** 2).sum(axis=1))) if len(self.centroids) else -1
            signals.update(rating=predicted, content=content)
            weights = {"rating": w.rating, "content": w.content, "popularity": w.popularity}
            if self.ease is not None:
                cf = _maxabs(self.ease[items].sum(axis=0)) if len(items) else np.zeros(self.n_items)
                if self.als is not None and len(items):
                    cf = cf + ALS_WEIGHT * _maxabs(self.als.scores(items))
                signals["cf"] = cf
                weights["cf"] = w.cf
            if segment >= 0:
                signals["segment"] = self.segment_popularity[segment]
                weights["segment"] = w.segment
        candidates = np.flatnonzero(allowed)
        if len(candidates) == 0:
            return ("cold_start" if cold else "hybrid"), []
        scaled = {name: _minmax(s[candidates]) for name, s in signals.items()}
        total = sum(weights.values()) or 1.0
        blended: np.ndarray = sum((weights[n] * scaled[n] for n in weights), np.zeros(len(candidates))) / total
        top = np.argsort(-blended, kind="stable")[:max(CANDIDATES, top_n)]
        chosen = _mmr(top, blended, self.content.similarity(candidates[top]), top_n, w.mmr_lambda)
        out = []
        for pos in chosen:
            item = int(candidates[pos])
            contributions = {n: weights[n] * scaled[n][pos] for n in weights}
            why = self._explain(item, max(contributions, key=lambda n: contributions[n]), known, rated, genre_picks,
                                segment)
            out.append(Recommendation(item, float(blended[pos]), round(float(predicted[item]), 2), why))
        return ("cold_start" if cold else "hybrid"), out

    def _explain(self, item: int, signal: str, known: Sequence[Rated], rated: Sequence[Rated],
                 genre_picks: Sequence[str], segment: int) -> str:
        liked = [r for r in known if r.rating >= 4]
        if signal in ("cf", "rating", "content") and liked:
            rows = np.array([r.item for r in liked])
            if signal == "cf" and self.ease is not None:
                closeness = self.ease[rows, item]
            else:
                closeness = np.asarray(self.content.matrix[rows] @ self.content.matrix[item].T.toarray()).ravel()
            best = liked[int(np.argmax(closeness))]
            return N_("because you rated {title} {stars}").format(title=best.title, stars=display(best.rating))
        if signal == "content" and genre_picks:
            shared = [g for g in genre_picks if _norm([g])[0] in _norm(self.genres[item])]
            if shared:
                return N_("matches your pick: {genre}").format(genre=shared[0])
            return N_("close to the genres you picked")
        if signal == "content" and any(r.rating >= 4 for r in rated):
            return N_("close to films you rated highly")
        if signal == "segment" and segment >= 0:
            return N_("popular in your segment ({segment})").format(segment=self.segment_labels[segment])
        return N_("popular with CineMatch viewers")


ALS_WEIGHT = 2.0  # implicit ALS beside EASE: the weight the top-N protocol's inner split chose


@dataclass
class ImplicitFactors:
    """Implicit ALS's film factors, and what a person's fold-in needs (topn.ImplicitALS)."""

    items: np.ndarray  # (n_items, k)
    alpha: float
    reg: float

    def __post_init__(self) -> None:
        self.gram = self.items.T @ self.items  # YᵀY, the zeros' share of every person's system

    def scores(self, seen: np.ndarray) -> np.ndarray:
        """Every film's score for a person who rated `seen`: their factors solved in closed form."""
        y = self.items[seen]
        k = self.items.shape[1]
        user = np.linalg.solve(self.gram + self.alpha * (y.T @ y) + self.reg * np.eye(k),
                               (1 + self.alpha) * y.sum(axis=0))
        out: np.ndarray = self.items @ user
        return out


def _maxabs(x: np.ndarray) -> np.ndarray:
    top = float(np.abs(x).max()) if len(x) else 0.0
    return x / top if top > 0 else x


def _norm(names: Sequence[str]) -> list[str]:
    return [normalize_title(n) for n in names]


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x, dtype=np.float64)


def _mmr(order: np.ndarray, relevance: np.ndarray, similarity: np.ndarray, k: int, lam: float) -> list[int]:
    """Maximal marginal relevance over the candidates `order` (positions into relevance);
    `similarity` is between the candidates, in the same order. Returns positions."""
    rel = relevance[order]
    picked: list[int] = []
    max_sim = np.zeros(len(order))
    available = np.ones(len(order), dtype=bool)
    for _ in range(min(k, len(order))):
        gain = np.where(available, lam * rel - (1 - lam) * max_sim, -np.inf)
        j = int(np.argmax(gain))
        picked.append(j)
        available[j] = False
        max_sim = np.maximum(max_sim, similarity[j])
    return [int(order[j]) for j in picked]
