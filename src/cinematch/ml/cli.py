"""`cinematch ml evaluate`: runs a docs/contract.md §5 protocol and prints the result."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..data.movielens import load_csv_ratings, load_items, load_ratings
from .data import Interactions
from .evaluate import evaluate_kfold, evaluate_topn, evaluate_train_test


def _print(args: argparse.Namespace, record: dict[str, Any]) -> None:
    if args.json:
        print(json.dumps(record), flush=True)
    else:
        print("  ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()), flush=True)


def genre_matrix(data: Interactions, dataset: Path) -> np.ndarray:
    items = load_items(dataset)
    genres = sorted({g for it in items.values() for g in it.genres})
    col = {g: j for j, g in enumerate(genres)}
    out = np.zeros((data.n_items, len(genres)))
    for idx, raw in enumerate(data.item_ids):
        for g in items[str(raw)].genres if str(raw) in items else ():
            out[idx, col[g]] = 1.0
    return out


def evaluate(args: argparse.Namespace, dataset: Path | None,
             progress: Callable[[str, int, int], None] | None = None) -> int:
    """`progress(step, done, total)` hears each fold (kfold5) or the one run (topn, train/test)."""
    def step(name: str, done: int, total: int) -> None:
        if progress:
            progress(name, done, total)
    if dataset is None:
        train = Interactions.from_ratings(load_csv_ratings(args.train))
        test = load_csv_ratings(args.test)
        users, items = train.encode(test)
        step("evaluation", 0, 1)
        _print(args, evaluate_train_test(train, users, items, test.ratings))
        step("evaluation", 1, 1)
        return 0
    data = Interactions.from_ratings(load_ratings(dataset))
    if args.protocol == "kfold5":
        step("folds", 0, 5)

        def on_fold(record: dict[str, Any]) -> None:
            _print(args, record)
            step("folds", record["fold"] + 1, 5)
        result = evaluate_kfold(data, on_fold=on_fold)
    else:
        step("evaluation", 0, 1)
        result = evaluate_topn(data, item_features=genre_matrix(data, dataset))
        step("evaluation", 1, 1)
    _print(args, result)
    return 0
