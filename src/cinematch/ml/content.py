"""Content signals: a film as a bag of features (genres, director, actors, decade) and a
taste profile as the rating-weighted sum of the features of what a user rated.

Features are named ("g:drama", "d:christopher nolan", "a:tom hanks", "y:1990s"), so a
profile can be built from diary entries the model has never seen (a film logged after
the last training still says something about taste), and genre picks at onboarding are
just a profile over "g:" features.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse

from ..domain.text import normalize_title, split_people

# How much each kind of feature counts, before the IDF weighting.
KIND_WEIGHTS = {"g": 1.0, "d": 0.8, "a": 0.4, "y": 0.3}
MAX_ACTORS = 5


def item_features(genres: Iterable[str], director: str | list[str] = "", actors: str | list[str] = "",
                  year: int | None = None) -> list[str]:
    feats = [f"g:{normalize_title(g)}" for g in genres if g]
    feats += [f"d:{normalize_title(p)}" for p in split_people(director)]
    feats += [f"a:{normalize_title(p)}" for p in split_people(actors, MAX_ACTORS)]
    if year:
        feats.append(f"y:{year // 10 * 10}s")
    return [f for f in dict.fromkeys(feats) if len(f) > 2]


class ContentIndex:
    """Item × feature matrix, IDF-weighted and L2-normalised per item (cosine similarity)."""

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray, matrix: sparse.csr_matrix) -> None:
        self.vocabulary = vocabulary
        self.idf = idf
        self.matrix = matrix

    @classmethod
    def build(cls, features: Sequence[Sequence[str]]) -> "ContentIndex":
        vocabulary: dict[str, int] = {}
        rows, cols = [], []
        for i, feats in enumerate(features):
            for f in feats:
                rows.append(i)
                cols.append(vocabulary.setdefault(f, len(vocabulary)))
        n_items, n_feats = len(features), len(vocabulary)
        df = np.bincount(cols, minlength=n_feats).astype(np.float64)
        idf = np.log((1 + n_items) / (1 + df)) + 1.0
        kinds = np.array([KIND_WEIGHTS.get(f[0], 0.5) for f in vocabulary]) if vocabulary else np.zeros(0)
        weights = (idf * kinds)[cols] if cols else np.zeros(0)
        matrix = sparse.csr_matrix((weights, (rows, cols)), shape=(n_items, n_feats))
        return cls(vocabulary, idf * kinds, _l2_rows(matrix))

    def profile(self, items: np.ndarray, weights: np.ndarray,
                extra: Iterable[tuple[Sequence[str], float]] = ()) -> np.ndarray:
        """A taste vector: the weighted sum of the rows of `items`, plus (features, weight)
        pairs for films the index doesn't hold (and genre picks); weights may be negative."""
        out = np.asarray(self.matrix[items].T @ weights).ravel() if len(items) else np.zeros(len(self.vocabulary))
        for feats, w in extra:
            idx = [self.vocabulary[f] for f in feats if f in self.vocabulary]
            if idx:
                vec = self.idf[idx]
                out[idx] += w * vec / np.linalg.norm(vec)
        norm = np.linalg.norm(out)
        return out / norm if norm > 0 else out

    def scores(self, profile: np.ndarray) -> np.ndarray:
        """Cosine similarity of every item with the profile."""
        scores: np.ndarray = self.matrix @ profile if profile.any() else np.zeros(self.matrix.shape[0])
        return scores

    def similarity(self, items: np.ndarray) -> np.ndarray:
        """Pairwise cosine similarity of `items` (for diversity re-ranking)."""
        sub = self.matrix[items]
        pairs: np.ndarray = (sub @ sub.T).toarray()
        return pairs


def _l2_rows(m: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ m)
