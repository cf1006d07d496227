"""Training the served model: data from MovieLens and/or the platform's diaries, one
held-out evaluation, then the final fit on everything.

A film is identified across sources by its canonical title and year ("the usual
suspects|1995"), so a MovieLens film and the same film logged on the platform are one item.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..data.movielens import Ratings, load_items, load_ratings
from ..domain.text import normalize_title
from . import metrics
from .content import ContentIndex, item_features
from .data import Interactions, per_user_split
from .factorization import BiasedMF
from .hybrid import ImplicitFactors, Model, Rated, Weights
from .segments import UserSegments
from .topn import EASE, ImplicitALS

EASE_MAX_ITEMS = 6000  # EASE keeps an items×items matrix: 6000² float32 = 144 MB
POPULARITY_HALF_LIFE_DAYS = 180.0
MAX_POINTS = 1000  # users shown in the clustering view
EVAL_USERS = 300  # users whose top-10 the held-out ranking evaluation scores

_ARTICLE = re.compile(r"^(.*), (the|a|an|il|la|le|les|l'|el|der|die|das)$", re.IGNORECASE)


def display_title(title: str) -> str:
    """MovieLens writes 'Usual Suspects, The': put the article back in front."""
    m = _ARTICLE.match(title.strip())
    if not m:
        return title.strip()
    article = m.group(2)
    return f"{article}{'' if article.endswith(chr(39)) else ' '}{m.group(1)}"


def item_key(title: str, year: int | None) -> str:
    return f"{normalize_title(display_title(title))}|{year or ''}"


@dataclass
class ItemMeta:
    title: str
    year: int | None = None
    genres: tuple[str, ...] = ()
    director: str = ""
    actors: str = ""

    def features(self) -> list[str]:
        return item_features(self.genres, self.director, self.actors, self.year)


@dataclass
class TrainingSet:
    users: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # item keys
    ratings: list[float] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)
    meta: dict[str, ItemMeta] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ratings)

    def interactions(self) -> Interactions:
        return Interactions.from_ratings(Ratings(np.array(self.users), np.array(self.items), np.array(self.ratings),
                                                 np.array(self.timestamps, dtype=np.int64)))

    def add(self, user: str, meta: ItemMeta, rating: float, timestamp: int = 0) -> None:
        key = item_key(meta.title, meta.year)
        known = self.meta.get(key)
        if known is None or (not known.genres and meta.genres) or (not known.director and meta.director):
            self.meta[key] = meta  # keep the richest description of a film
        self.users.append(user)
        self.items.append(key)
        self.ratings.append(float(rating))
        self.timestamps.append(int(timestamp))


def add_movielens(ts: TrainingSet, dataset: Path) -> TrainingSet:
    ratings, items = load_ratings(dataset), load_items(dataset)
    metas = {i: ItemMeta(display_title(it.title), it.year, tuple(it.genres)) for i, it in items.items()}
    for u, i, r, t in zip(ratings.users, ratings.items, ratings.ratings, ratings.timestamps):
        meta = metas.get(str(i))
        if meta is not None:
            ts.add(f"ml:{u}", meta, r, t)
    ts.sources.append("movielens")
    return ts


def add_diaries(ts: TrainingSet, diaries: Iterable[tuple[str, Sequence[Any]]]) -> TrainingSet:
    """Platform users' diary entries (objects with title/name, year, genres, director,
    actors, rating, date, catalog_id). Only entries matched to the catalog become items: a
    model's items are shown to everyone, and a name a user typed stays that user's. An
    unrated watch says nothing about taste the model could fit: it is left out (the
    recommender still never proposes a film already in the diary)."""
    n = 0
    for user_id, entries in diaries:
        for e in entries:
            if not getattr(e, "catalog_id", None) or e.rating is None:
                continue
            ts.add(f"p:{user_id}", entry_meta(e), e.rating, _epoch(e.date))
            n += 1
    if n:
        ts.sources.append("platform")
    return ts


def entry_meta(e: Any) -> ItemMeta:
    return ItemMeta(e.title or e.name, e.year, tuple(e.genres), e.director, e.actors)


def _epoch(date: str) -> int:
    try:
        return int(dt.datetime.fromisoformat(date).replace(tzinfo=dt.timezone.utc).timestamp())
    except ValueError:
        return 0


@dataclass
class Trained:
    model: Model
    item_keys: list[str]
    meta: dict[str, Any]  # status, metrics and clustering of docs/contract.md §5


def train(ts: TrainingSet, *, k_svd: int = 10, k_cluster: int = 4, weights: Weights | None = None,
          random_state: int = 0, evaluate: bool = True,
          progress: Callable[[str, int, int], None] | None = None, now: dt.datetime | None = None) -> Trained:
    """The served model; `progress(step, done, total)` hears its phases (held-out evaluation,
    the models on all data, the segments' description)."""
    if len(ts) == 0:
        raise ValueError("nothing to train on: no MovieLens data and no diary entries")
    def phase(done: int) -> None:
        if progress:
            progress("training phases", done, 3)
    t0 = time.perf_counter()
    data = ts.interactions()
    keys = [str(k) for k in data.item_ids]
    metas = [ts.meta[k] for k in keys]
    weights = weights or Weights()
    phase(0)
    report = evaluate_holdout(data, metas, k_svd, k_cluster, weights, random_state) if evaluate else {}
    phase(1)
    model, mf, segments = _build(data, metas, k_svd, k_cluster, weights, random_state)
    phase(2)
    clusters = segments.describe(data.X, data.y, [m.genres for m in metas]) if segments else []
    rng = np.random.default_rng(random_state)
    shown: list[int] = (rng.choice(data.n_users, min(MAX_POINTS, data.n_users), replace=False).tolist()
                        if segments else [])
    variance = float(np.var(data.y))
    explained = max(0.0, 1 - metrics.rmse(data.y, mf.predict(data.X)) ** 2 / variance) if variance > 0 else 0.0
    meta = {
        "trained_at": (now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds"),
        "k_svd": k_svd, "k_cluster": len(model.centroids), "explained_variance": explained,
        "training_source": "+".join(ts.sources), "n_users": data.n_users, "n_items": data.n_items,
        "n_ratings": len(data), "metrics": report,
        "clustering": {
            "n_clusters": len(model.centroids), "silhouette": segments.silhouette_ if segments else 0.0,
            "clusters": clusters,
            "points": [{"x": float(segments.points_[u, 0]), "y": float(segments.points_[u, 1]),
                        "cluster": int(segments.labels_[u])} for u in shown] if segments else []},
    }
    meta["seconds"] = time.perf_counter() - t0
    phase(3)
    return Trained(model, keys, meta)


def _build(data: Interactions, metas: list[ItemMeta], k_svd: int, k_cluster: int, weights: Weights,
           random_state: int) -> tuple[Model, BiasedMF, UserSegments | None]:
    mf = BiasedMF(n_factors=k_svd, random_state=random_state).fit(data.X, data.y, data.n_users, data.n_items)
    ease = EASE(reg=500.0).fit(data.X, data.n_users, data.n_items).weights_ if data.n_items <= EASE_MAX_ITEMS else None
    als = None
    if ease is not None and len(data) and data.n_items > ImplicitALS().n_factors:
        fitted = ImplicitALS(random_state=random_state).fit(data.X, data.n_users, data.n_items)
        als = ImplicitFactors(fitted.item_factors_.astype(np.float32), fitted.alpha, fitted.reg)
    ts = data.timestamps
    newest = ts.max() if len(ts) else 0
    age_days = np.where(ts > 0, (newest - ts) / 86400.0, 0.0)
    decayed = np.bincount(data.X[:, 1], weights=0.5 ** (age_days / POPULARITY_HALF_LIFE_DAYS), minlength=data.n_items)
    popularity = _unit(np.log1p(decayed))
    segments = None
    centroids = np.zeros((0, k_svd))
    seg_pop = np.zeros((0, data.n_items))
    labels: list[str] = []
    if data.n_users > max(k_cluster, 1) * 2 and k_cluster >= 2:
        segments = UserSegments(n_clusters=k_cluster, random_state=random_state).fit(mf.user_factors_)
        centroids = segments.centers_
        liked = data.y >= 4
        seg_pop = np.vstack([
            _unit(np.log1p(np.bincount(data.X[liked & (segments.labels_[data.X[:, 0]] == c), 1],
                                       minlength=data.n_items)))
            for c in range(k_cluster)])
        labels = [c["label"] for c in segments.describe(data.X, data.y, [m.genres for m in metas])]
    model = Model(
        titles=[m.title for m in metas], years=[m.year for m in metas], genres=[list(m.genres) for m in metas],
        global_mean=mf.global_mean_, item_bias=mf.item_bias_, item_factors=mf.item_factors_, reg=mf.reg,
        reg_bias=mf.reg_bias, ease=ease, popularity=popularity, centroids=centroids, segment_popularity=seg_pop,
        segment_labels=labels, content=ContentIndex.build([m.features() for m in metas]), weights=weights, als=als)
    return model, mf, segments


def _unit(x: np.ndarray) -> np.ndarray:
    top = float(x.max()) if len(x) else 0.0
    return x / top if top > 0 else x


def evaluate_holdout(data: Interactions, metas: list[ItemMeta], k_svd: int, k_cluster: int, weights: Weights,
                     random_state: int) -> dict[str, Any]:
    """Per-user 90/10 split: rating error of the MF, and the served hybrid's top-10 for up
    to EVAL_USERS users scored against their held-out films."""
    tr, te = per_user_split(data.X[:, 0], 0.1, random_state=random_state)
    part = data.subset(tr)
    model, mf, _ = _build(part, metas, k_svd, k_cluster, weights, random_state)
    pred = mf.predict(data.X[te])
    out = {"protocol": "holdout90", "rmse": metrics.rmse(data.y[te], pred) if len(te) else None,
           "mae": metrics.mae(data.y[te], pred) if len(te) else None}
    held: dict[int, set[int]] = {}
    for u, i in data.X[te]:
        held.setdefault(int(u), set()).add(int(i))
    users = sorted(held)
    rng = np.random.default_rng(random_state)
    if len(users) > EVAL_USERS:
        users = sorted(rng.choice(users, EVAL_USERS, replace=False).tolist())
    order = np.argsort(part.X[:, 0], kind="stable")
    starts = np.searchsorted(part.X[order, 0], np.arange(data.n_users + 1))
    recs, relevant = [], []
    for u in users:
        rows = order[starts[u]:starts[u + 1]]
        # known items: the model describes them by their own rows, no features needed
        rated = [Rated(int(i), float(r), (), metas[i].title) for i, r in zip(part.X[rows, 1], part.y[rows])]
        _, items = model.recommend(rated, 10)
        recs.append(np.array([r.item for r in items], dtype=np.int64))
        relevant.append(held[u])
    if not any(len(r) for r in recs):  # too little data to hold anything out: no ranking figures
        return {**out, **dict.fromkeys(("ndcg_at_10", "precision_at_10", "recall_at_10", "coverage", "diversity",
                                        "novelty"))}
    out.update({k: v for k, v in metrics.ranking_metrics(recs, relevant, 10).items() if not k.startswith("map")})
    out["coverage"] = metrics.coverage(recs, data.n_items)
    lists = [1 - _mean_offdiag(model.content.similarity(r)) for r in recs if len(r) > 1]
    out["diversity"] = float(np.mean(lists)) if lists else None
    out["novelty"] = metrics.novelty(recs, np.bincount(part.X[:, 1], minlength=data.n_items), data.n_users)
    return out


def _mean_offdiag(sim: np.ndarray) -> float:
    n = len(sim)
    return float((sim.sum() - np.trace(sim)) / (n * (n - 1)))
