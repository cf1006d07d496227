"""User segments: K-means on the users' latent factors (scikit-learn), scored as in seed 004,
labelled by the genres their members rate above their own average, and projected to 2-D
(PCA) for the clustering view of the API."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score


def _kmeans(factors: np.ndarray, k: int, random_state: int) -> KMeans:
    return KMeans(n_clusters=k, n_init=4, random_state=random_state).fit(factors)


def score_clusterings(factors: np.ndarray, ks: Iterable[int], random_state: int = 0) -> Iterator[dict[str, Any]]:
    """Seed 004's composite: 0.5 silhouette + 0.3 balance + 0.2 interpretability (1/k)."""
    sample = min(len(factors), 2000)  # silhouette is O(n²): score a fixed sample on big data
    for k in ks:
        if not 2 <= k < len(factors):
            continue
        km = _kmeans(factors, k, random_state)
        sil = float(silhouette_score(factors, km.labels_, sample_size=sample, random_state=random_state))
        sizes = np.bincount(km.labels_, minlength=k)
        balance = max(0.0, 1.0 - float(np.std(sizes) / np.mean(sizes)))
        yield {"k": k, "silhouette_score": sil, "balance": balance, "interpretability": 1.0 / k,
               "composite_score": 0.5 * sil + 0.3 * balance + 0.2 / k}


class UserSegments:
    """K-means segments of users; `labels_[u]` is user u's segment."""

    def __init__(self, *, n_clusters: int = 4, random_state: int | None = 0) -> None:
        self.n_clusters = n_clusters
        self.random_state = random_state

    def fit(self, user_factors: np.ndarray) -> "UserSegments":
        f = np.asarray(user_factors, dtype=np.float64)
        if f.ndim != 2 or len(f) <= self.n_clusters:
            raise ValueError(f"need more than n_clusters={self.n_clusters} users with factors")
        km = _kmeans(f, self.n_clusters, self.random_state or 0)
        self.labels_ = km.labels_
        self.centers_ = km.cluster_centers_
        self.silhouette_ = float(silhouette_score(f, km.labels_, sample_size=min(len(f), 2000),
                                                  random_state=self.random_state or 0))
        dims = min(2, f.shape[1])
        pts = (PCA(n_components=dims, random_state=self.random_state or 0).fit_transform(f) if dims
               else np.zeros((len(f), 0)))
        self.points_ = np.hstack([pts, np.zeros((len(f), 2 - dims))])
        return self

    def describe(self, X: np.ndarray, y: np.ndarray, item_genres: list[tuple[str, ...]],
                 top: int = 3) -> list[dict[str, Any]]:
        """Per segment: size, top genres and a label made of them. A segment's genres are
        those its members like (rate 4-5) more often than everybody does: the lift of the
        genre's share of the segment's liked ratings over its share overall, among genres
        with at least 3% of the segment's liked ratings (so a rare genre with three fans
        does not name a segment)."""
        X = np.asarray(X)
        liked = np.asarray(y) >= 4
        names = sorted({g for gs in item_genres for g in gs})
        col = {g: j for j, g in enumerate(names)}
        item_g = np.zeros((len(item_genres), len(names)))
        for i, gs in enumerate(item_genres):
            for g in gs:
                item_g[i, col[g]] = 1.0
        seg = self.labels_[X[liked, 0]]
        per_rating = item_g[X[liked, 1]] if len(names) else np.zeros((int(liked.sum()), 0))
        overall = per_rating.sum(axis=0) / max(per_rating.sum(), 1.0)
        out = []
        for c in range(self.n_clusters):
            counts = per_rating[seg == c].sum(axis=0)
            share = counts / max(counts.sum(), 1.0)
            lift = np.where((share >= 0.03) & (overall > 0), share / np.maximum(overall, 1e-12), 0.0)
            genres = [names[j] for j in np.argsort(-lift, kind="stable")[:top] if lift[j] > 0]
            out.append({"id": c, "size": int((self.labels_ == c).sum()), "top_genres": genres,
                        "label": " & ".join(genres) + " fans" if genres else f"segment {c}"})
        return out
