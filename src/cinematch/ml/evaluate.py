"""The evaluation protocols of docs/contract.md §5, shared by `cinematch ml evaluate`, the API and bench/.

- kfold5: shuffled 5-fold cross-validation (seed 0) of the rating model: RMSE, MAE, fit time.
- topn: per-user random 75/25 split (seed 42), every test item relevant, candidates = every
  item not in the user's training part, k = 10.
- train/test: fit on one ratings file, score another.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
from scipy import sparse

from . import metrics
from .data import Interactions, kfold, per_user_split
from .implicit import FlippedBayesianMF
from .topn import EASEWithALS, top_k


class RatingModel(Protocol):
    """What the rating protocols need of a model (scikit-learn style)."""

    def fit(self, X: Any, y: Any, n_users: int | None = ..., n_items: int | None = ...) -> Any: ...

    def predict(self, X: Any) -> np.ndarray: ...


class Ranker(Protocol):
    """What the top-N protocol needs of a ranker: scores of every item, and what each user saw."""

    seen_: sparse.csr_matrix

    def fit(self, X: Any, n_users: int | None = ..., n_items: int | None = ...) -> Any: ...

    def score(self, users: np.ndarray) -> np.ndarray: ...


RatingModelFactory = Callable[[], RatingModel]


def default_rating_model(random_state: int = 0, **overrides: Any) -> FlippedBayesianMF:
    """The rating model the protocols score (docs/recommendations.md: each candidate's figures)."""
    return FlippedBayesianMF(**{"n_factors": 10, "n_samples": 60, "burn_in": 15, "noise_precision": 1.5,
                                "random_state": random_state, **overrides})


def default_ranker(**overrides: Any) -> EASEWithALS:
    return EASEWithALS(**overrides)


def evaluate_kfold(data: Interactions, make_model: RatingModelFactory = default_rating_model,
                   n_splits: int = 5, random_state: int = 0,
                   on_fold: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    rmses, maes, fits = [], [], []
    for f, (tr, te) in enumerate(kfold(len(data), n_splits, random_state=random_state)):
        model = make_model()
        t0 = time.perf_counter()
        model.fit(data.X[tr], data.y[tr], data.n_users, data.n_items)
        fits.append(time.perf_counter() - t0)
        pred = model.predict(data.X[te])
        rmses.append(metrics.rmse(data.y[te], pred))
        maes.append(metrics.mae(data.y[te], pred))
        if on_fold:
            on_fold({"fold": f, "rmse": rmses[-1], "mae": maes[-1], "fit_seconds": fits[-1]})
    return {"protocol": f"kfold{n_splits}", "rmse": float(np.mean(rmses)), "mae": float(np.mean(maes)),
            "fit_seconds": float(np.mean(fits))}


def evaluate_topn(data: Interactions, make_ranker: Callable[[], Ranker] = default_ranker, k: int = 10,
                  item_features: np.ndarray | None = None, random_state: int = 42) -> dict[str, Any]:
    tr, te = per_user_split(data.X[:, 0], 0.25, random_state=random_state)
    ranker = make_ranker()
    t0 = time.perf_counter()
    ranker.fit(data.X[tr], data.n_users, data.n_items)
    fit_seconds = time.perf_counter() - t0
    users = np.arange(data.n_users)
    recs = np.vstack([top_k(ranker.score(users[a:a + 512]), ranker.seen_[a:a + 512], k)
                      for a in range(0, data.n_users, 512)])
    relevant: list[set[int]] = [set() for _ in users]
    for u, i in data.X[te]:
        relevant[u].add(int(i))
    out = {"protocol": "topn", **metrics.ranking_metrics(recs, relevant, k)}
    popularity = np.bincount(data.X[tr, 1], minlength=data.n_items)
    out["coverage"] = metrics.coverage(recs, data.n_items)
    features = item_features if item_features is not None else np.eye(data.n_items)
    out["diversity"] = metrics.intra_list_diversity(recs, features)
    out["novelty"] = metrics.novelty(recs, popularity, data.n_users)
    out["fit_seconds"] = fit_seconds
    return out


def evaluate_train_test(train: Interactions, test_users: np.ndarray, test_items: np.ndarray, test_y: np.ndarray,
                        make_model: RatingModelFactory = default_rating_model) -> dict[str, Any]:
    model = make_model()
    t0 = time.perf_counter()
    model.fit(train.X, train.y, train.n_users, train.n_items)
    fit_seconds = time.perf_counter() - t0
    pred = model.predict(np.c_[test_users, test_items])
    return {"rmse": metrics.rmse(test_y, pred), "mae": metrics.mae(test_y, pred), "fit_seconds": fit_seconds}
