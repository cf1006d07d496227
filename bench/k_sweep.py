"""The full K-optimization sweep of seed 004 on MovieLens-100k (goal: ≤ 10 s).

    .venv/bin/cinematch data fetch ml-100k
    .venv/bin/python bench/k_sweep.py [--data-dir .cinematch]

Runs `cinematch.ml.koptim.optimize` to the end (K-SVD over 2..50, K-cluster over 2..8),
exactly what GET /api/admin/ml/k-optimization/stream streams, and prints the wall time
of each step and of the whole sweep.
"""

from __future__ import annotations

import argparse
import time

from cinematch.data.movielens import dataset_dir, load_ratings
from cinematch.ml.data import Interactions
from cinematch.ml.koptim import optimize


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=".cinematch")
    args = ap.parse_args()
    data = Interactions.from_ratings(load_ratings(dataset_dir(args.data_dir)))
    t0 = last = time.perf_counter()
    for event in optimize(data):
        now = time.perf_counter()
        detail = {k: event[k] for k in ("k", "optimal_k", "rmse", "silhouette_score") if k in event}
        print(f"{now - last:6.2f}s  {event['progress']:3d}%  {event['type']:18s} {detail}", flush=True)
        last = now
    print(f"\nK-optimization sweep on ml-100k ({data.n_users}x{data.n_items}, {len(data)} ratings): "
          f"{time.perf_counter() - t0:.2f} s (goal ≤ 10 s)")


if __name__ == "__main__":
    main()
