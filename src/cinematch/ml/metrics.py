"""Evaluation metrics: rating error and top-N ranking quality (docs/contract.md §5).

Ranking metrics take, per user, the recommended list (item indices, best first) and the
set of relevant items; gains are binary with a log2 discount.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    d = np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    return float(np.sqrt(np.mean(d * d)))


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    return float(np.mean(np.abs(np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64))))


def ranking_metrics(recommended: Sequence[np.ndarray] | np.ndarray, relevant: list[set[int]], k: int = 10
                    ) -> dict[str, float]:
    """Mean precision/recall/NDCG/MAP@k over users with at least one relevant item."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    p = r = n = m = 0.0
    users = 0
    for recs, rel in zip(recommended, relevant):
        if not rel:
            continue
        users += 1
        hits = np.array([item in rel for item in recs[:k]], dtype=np.float64)
        p += hits.sum() / k
        r += hits.sum() / len(rel)
        ideal = discounts[:min(len(rel), k)].sum()
        n += (hits * discounts[:len(hits)]).sum() / ideal
        precision_at = np.cumsum(hits) / np.arange(1, len(hits) + 1)
        m += (precision_at * hits).sum() / min(len(rel), k)
    users = max(users, 1)
    return {f"ndcg_at_{k}": n / users, f"precision_at_{k}": p / users, f"recall_at_{k}": r / users,
            f"map_at_{k}": m / users}


def coverage(recommended: Sequence[np.ndarray] | np.ndarray, n_items: int) -> float:
    """Share of the catalog that appears in at least one user's list."""
    return float(len(np.unique(np.concatenate([np.asarray(x) for x in recommended]))) / max(n_items, 1))


def intra_list_diversity(recommended: Sequence[np.ndarray] | np.ndarray, item_features: np.ndarray) -> float:
    """Mean pairwise (1 - cosine similarity) of the items in each list, over users."""
    f = np.asarray(item_features, dtype=np.float64)
    norms = np.linalg.norm(f, axis=1, keepdims=True)
    f = np.divide(f, norms, out=np.zeros_like(f), where=norms > 0)
    total = 0.0
    for recs in recommended:
        v = f[np.asarray(recs)]
        sim = v @ v.T
        n = len(recs)
        if n < 2:
            continue
        total += 1.0 - (sim.sum() - np.trace(sim)) / (n * (n - 1))
    return total / max(len(recommended), 1)


def novelty(recommended: Sequence[np.ndarray] | np.ndarray, item_popularity: np.ndarray, n_users: int) -> float:
    """Mean self-information −log2(share of users who rated the item) of recommended items."""
    share = np.maximum(np.asarray(item_popularity, dtype=np.float64), 1.0) / max(n_users, 1)
    info = -np.log2(share)
    return float(np.mean([info[np.asarray(recs)].mean() for recs in recommended if len(recs)]))
