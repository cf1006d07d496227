"""K-optimization of seed 004: pick the factor count (K-SVD) and the number of user segments
(K-cluster), emitting every step as an event (the seed's message types) so the API can
stream it with Server-Sent Events.

K-SVD is scored on held-out RMSE first (the seed scored only explained variance, which
always prefers a bigger K), then explained variance, efficiency (variance per factor) and
overfitting risk (train/held-out gap). K-cluster is scored as in the seed: silhouette,
balance and interpretability (fewer segments read better).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from . import metrics
from .data import Interactions, per_user_split
from .factorization import BiasedMF
from .segments import score_clusterings

K_SVD_RANGE = (2, 5, 10, 20, 30, 50)
K_CLUSTER_RANGE = (2, 3, 4, 5, 6, 7, 8)


def k_svd_results(data: Interactions, ks: Sequence[int] = K_SVD_RANGE, random_state: int = 0
                  ) -> Iterator[dict[str, Any]]:
    """One result per K, trained with ALS on a per-user 80/20 split of the data."""
    tr, va = per_user_split(data.X[:, 0], 0.2, random_state=random_state)
    var_train = float(np.var(data.y[tr]))
    raw = []
    for k in ks:
        t0 = time.perf_counter()
        model = BiasedMF(n_factors=k, n_iter=8, random_state=random_state).fit(
            data.X[tr], data.y[tr], data.n_users, data.n_items)
        rmse_train = metrics.rmse(data.y[tr], model.predict(data.X[tr]))
        rmse_val = metrics.rmse(data.y[va], model.predict(data.X[va]))
        explained = max(0.0, 1.0 - rmse_train ** 2 / var_train)
        raw.append({"k": k, "rmse": rmse_val, "rmse_train": rmse_train, "explained_variance": explained,
                    "efficiency": explained / k, "overfitting_risk": max(0.0, (rmse_val - rmse_train) / rmse_val),
                    "seconds": time.perf_counter() - t0})
        yield _score_k_svd(raw)[-1]


def _score_k_svd(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Composite of seed 004's criteria, each scaled over the range so that it can tell the
    K apart: held-out accuracy (0.5; the seed's raw 1/RMSE ratios differ by ~1% across
    the range and let efficiency alone pick K=2), explained variance (0.2), efficiency
    (0.1) and the overfitting gap (0.2)."""
    rmses = [r["rmse"] for r in raw]
    lo, hi = min(rmses), max(rmses)
    best_eff = max(r["efficiency"] for r in raw) or 1.0
    out = []
    for r in raw:
        accuracy = (hi - r["rmse"]) / (hi - lo) if hi > lo else 1.0
        r = dict(r)
        r["composite_score"] = (0.5 * accuracy + 0.2 * r["explained_variance"]
                                + 0.1 * r["efficiency"] / best_eff + 0.2 * (1 - r["overfitting_risk"]))
        out.append(r)
    return out


def best_k_svd(results: list[dict[str, Any]]) -> int:
    """The K of the best composite score; score `results` with `_score_k_svd` over the whole
    range first (each K's score depends on the best RMSE and efficiency of the range)."""
    best: int = max(results, key=lambda r: r["composite_score"])["k"]
    return best


def optimize(data: Interactions, ks: Sequence[int] = K_SVD_RANGE, k_clusters: Sequence[int] = K_CLUSTER_RANGE,
             random_state: int = 0) -> Iterator[dict[str, Any]]:
    """The whole sweep as seed-004 events with a `progress` figure (0-100)."""
    density = len(data) / max(data.n_users * data.n_items, 1)
    yield {"type": "status", "message": "starting K optimization", "progress": 0}
    yield {"type": "matrix_info", "shape": [data.n_users, data.n_items], "ratings": len(data),
           "density": density, "progress": 5}
    yield {"type": "phase", "phase": "k_svd", "message": "K-SVD sweep", "progress": 10}
    raw: list[dict[str, Any]] = []
    gen = k_svd_results(data, ks, random_state)
    for n, result in enumerate(gen):
        raw.append(result)
        yield {"type": "k_svd_result", **result, "progress": int(10 + 55 * (n + 1) / len(ks))}
    rescored = _score_k_svd(raw)
    k_svd = best_k_svd(rescored)
    yield {"type": "k_svd_optimal", "optimal_k": k_svd,
           "score": next(r["composite_score"] for r in rescored if r["k"] == k_svd), "results": rescored,
           "progress": 65}
    yield {"type": "phase", "phase": "k_cluster", "message": "K-cluster sweep", "progress": 66}
    factors = BiasedMF(n_factors=k_svd, n_iter=8, random_state=random_state).fit(
        data.X, data.y, data.n_users, data.n_items).user_factors_
    cluster_results = []
    for n, result in enumerate(score_clusterings(factors, k_clusters, random_state)):
        cluster_results.append(result)
        yield {"type": "k_cluster_result", **result, "progress": int(66 + 30 * (n + 1) / len(k_clusters))}
    best = max(cluster_results, key=lambda r: r["composite_score"])
    yield {"type": "k_cluster_optimal", "optimal_k": best["k"], "score": best["composite_score"], "progress": 97}
    yield {"type": "completed", "message": "K optimization completed", "final_k_svd": k_svd,
           "final_k_cluster": best["k"], "progress": 100}
