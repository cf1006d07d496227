"""Ratings as index arrays for the models, and the splitters the evaluation protocols use.

`Interactions` maps raw user/item ids to dense indices once; models see only (n, 2) int
arrays of (user index, item index) plus the ratings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..data.movielens import Ratings


@dataclass
class Interactions:
    user_ids: np.ndarray  # raw id of each user index
    item_ids: np.ndarray  # raw id of each item index
    X: np.ndarray  # (n, 2) int64: user index, item index
    y: np.ndarray  # ratings, float64
    timestamps: np.ndarray  # int64 seconds, 0 when unknown

    @classmethod
    def from_ratings(cls, ratings: Ratings) -> "Interactions":
        user_ids, u = np.unique(ratings.users, return_inverse=True)
        item_ids, i = np.unique(ratings.items, return_inverse=True)
        return cls(user_ids, item_ids, np.c_[u, i].astype(np.int64), ratings.ratings.astype(np.float64),
                   ratings.timestamps)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, rows: np.ndarray) -> "Interactions":
        return Interactions(self.user_ids, self.item_ids, self.X[rows], self.y[rows], self.timestamps[rows])

    def encode(self, ratings: Ratings) -> tuple[np.ndarray, np.ndarray]:
        """Index arrays for other ratings (a test file) in this encoding; unseen ids get an
        index past the end, which the models answer with what they know (biases, μ)."""
        return _lookup(self.user_ids, ratings.users), _lookup(self.item_ids, ratings.items)


def _lookup(known: np.ndarray, raw: np.ndarray) -> np.ndarray:
    pos = np.searchsorted(known, raw)
    pos_clipped = np.minimum(pos, len(known) - 1)
    found = (pos < len(known)) & (known[pos_clipped] == raw)
    return np.where(found, pos_clipped, len(known)).astype(np.int64)


def kfold(n: int, n_splits: int = 5, *, random_state: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Shuffled k-fold: yields (train rows, test rows); every rating is tested exactly once."""
    if not 2 <= n_splits <= n:
        raise ValueError(f"n_splits must be between 2 and {n}")
    perm = np.random.default_rng(random_state).permutation(n)
    folds = np.array_split(perm, n_splits)
    for f in range(n_splits):
        yield np.concatenate([folds[g] for g in range(n_splits) if g != f]), folds[f]


def per_user_split(users: np.ndarray, test_size: float = 0.25, *, random_state: int = 42
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per-user stratified random split: each user keeps ≈(1 - test_size) of their ratings in
    train (at least one), the rest in test. Returns (train rows, test rows)."""
    if not 0 < test_size < 1:
        raise ValueError("test_size must be in (0, 1)")
    rng = np.random.default_rng(random_state)
    order = np.lexsort((rng.random(len(users)), users))  # shuffled within each user
    sorted_users = users[order]
    starts = np.r_[0, np.flatnonzero(sorted_users[1:] != sorted_users[:-1]) + 1]
    counts = np.diff(np.r_[starts, len(users)])
    n_test = np.minimum(np.round(counts * test_size).astype(np.int64), counts - 1)
    rank = np.arange(len(users)) - np.repeat(starts, counts)
    is_test = rank < np.repeat(n_test, counts)
    return np.sort(order[~is_test]), np.sort(order[is_test])


def temporal_split(users: np.ndarray, timestamps: np.ndarray, test_size: float = 0.2
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per-user temporal split: each user's latest ratings go to test."""
    if not 0 < test_size < 1:
        raise ValueError("test_size must be in (0, 1)")
    order = np.lexsort((timestamps, users))
    sorted_users = users[order]
    starts = np.r_[0, np.flatnonzero(sorted_users[1:] != sorted_users[:-1]) + 1]
    counts = np.diff(np.r_[starts, len(users)])
    n_test = np.minimum(np.round(counts * test_size).astype(np.int64), counts - 1)
    rank_from_end = np.repeat(starts + counts, counts) - 1 - np.arange(len(users))
    is_test = rank_from_end < np.repeat(n_test, counts)
    return np.sort(order[~is_test]), np.sort(order[is_test])
