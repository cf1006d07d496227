"""CineMatch's rating model next to scikit-surprise's SVD and SVD++ on the same folds, same run.

    .venv/bin/pip install -e ".[bench]"        # scikit-surprise (a manylinux wheel)
    .venv/bin/cinematch data fetch ml-100k
    .venv/bin/python bench/surprise_side_by_side.py [--data-dir .cinematch] [--algos ours,svd,svdpp,biasedmf]
    .venv/bin/python bench/surprise_side_by_side.py --temporal     # each user's latest 20% held out

Folds: `cinematch.ml.data.kfold(random_state=0)`, the folds of `cinematch ml evaluate
--protocol kfold5`. With `--temporal`, one split instead: each user's latest 20% of ratings (by
timestamp) are the test (`cinematch.ml.data.temporal_split`), the future a model must predict.
Surprise gets the very same train/test rows through a Trainset built from our encoding, with
its default hyperparameters (those of its published table). Prints one line per fold and
algorithm, then the means, and each model's RMSE as a multiple of Surprise SVD's.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np

from cinematch.data.movielens import dataset_dir, load_ratings
from cinematch.ml import metrics
from cinematch.ml.data import Interactions, kfold, temporal_split
from cinematch.ml.evaluate import default_rating_model
from cinematch.ml.factorization import BiasedMF


def surprise_trainset(data: Interactions, rows: np.ndarray):
    from surprise import Trainset
    # Surprise's inner ids must be 0..n-1 over the users/items present in this fold.
    users: dict[str, int] = {}
    items: dict[str, int] = {}
    ur, ir = defaultdict(list), defaultdict(list)
    for (u, i), r in zip(data.X[rows], data.y[rows]):
        iu = users.setdefault(str(u), len(users))
        ii = items.setdefault(str(i), len(items))
        ur[iu].append((ii, float(r)))
        ir[ii].append((iu, float(r)))
    return Trainset(ur, ir, len(users), len(items), len(rows), (1, 5), users, items)


def fit_predict(name: str, data: Interactions, tr: np.ndarray, te: np.ndarray) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    if name in ("ours", "biasedmf"):
        model = default_rating_model() if name == "ours" else BiasedMF(n_factors=10, random_state=0)
        model.fit(data.X[tr], data.y[tr], data.n_users, data.n_items)
        fit = time.perf_counter() - t0
        return model.predict(data.X[te]), fit
    import surprise
    algo = {"svd": surprise.SVD, "svdpp": surprise.SVDpp}[name](random_state=0)
    algo.fit(surprise_trainset(data, tr))
    fit = time.perf_counter() - t0
    pred = np.array([algo.predict(str(u), str(i)).est for u, i in data.X[te]])
    return pred, fit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=".cinematch")
    ap.add_argument("--algos", default="ours,biasedmf,svd,svdpp")
    ap.add_argument("--folds", type=int, default=5, help="run only the first N of the 5 folds")
    ap.add_argument("--temporal", action="store_true", help="each user's latest 20%% of ratings held out")
    args = ap.parse_args()
    data = Interactions.from_ratings(load_ratings(dataset_dir(args.data_dir)))
    algos = args.algos.split(",")
    results: dict[str, list[tuple[float, float, float]]] = {a: [] for a in algos}
    splits = ([temporal_split(data.X[:, 0], data.timestamps, 0.2)] if args.temporal
              else list(kfold(len(data), 5, random_state=0))[:args.folds])
    for f, (tr, te) in enumerate(splits):
        for name in algos:
            pred, fit = fit_predict(name, data, tr, te)
            results[name].append((metrics.rmse(data.y[te], pred), metrics.mae(data.y[te], pred), fit))
            print(f"fold {f} {name:9s} rmse={results[name][-1][0]:.4f} mae={results[name][-1][1]:.4f} "
                  f"fit={fit:.1f}s", flush=True)
    print("\nml-100k, " + ("each user's latest 20% held out" if args.temporal
                           else f"{min(args.folds, 5)} of 5 folds (seed 0), mean") + ":")
    print(f"{'model':10s} {'RMSE':>7s} {'MAE':>7s} {'fit s/fold':>11s}")
    labels = {"ours": "CineMatch FlippedBayesianMF (ml evaluate's model)", "biasedmf": "CineMatch BiasedMF (ALS, k=10)",
              "svd": "Surprise SVD", "svdpp": "Surprise SVD++"}
    svd = np.array(results["svd"])[:, 0].mean() if "svd" in results else None
    for name in algos:
        r = np.array(results[name])
        ratio = f"  {r[:, 0].mean() / svd:.3f}x Surprise SVD" if svd else ""
        print(f"{name:10s} {r[:, 0].mean():7.4f} {r[:, 1].mean():7.4f} {r[:, 2].mean():11.1f}   {labels[name]}{ratio}")


if __name__ == "__main__":
    main()
