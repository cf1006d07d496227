"""Recommendation latency: top-10 from a model trained on MovieLens-100k (goal p99 ≤ 10 ms).

    .venv/bin/cinematch data fetch ml-100k
    .venv/bin/python bench/recommend_latency.py [--data-dir .cinematch] [--requests 2000]

Trains the served hybrid once (as POST /api/admin/ml/train does), then answers top-10
requests for random MovieLens users from their full diaries, cache off, and prints
p50/p99/max of two layers: the model alone (fold-in, five signals, MMR, explanations)
and the service path (diary entries -> item keys, exclusions, JSON-ready answer).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from cinematch.data.movielens import dataset_dir
from cinematch.domain.diary import DiaryEntry
from cinematch.ml.hybrid import Rated
from cinematch.ml.training import TrainingSet, add_movielens, train
from cinematch.services.recommendations import Recommendations


def percentiles(samples: list[float]) -> str:
    ms = np.array(samples) * 1000
    return f"p50={np.percentile(ms, 50):.2f} ms  p99={np.percentile(ms, 99):.2f} ms  max={ms.max():.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=".cinematch")
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    ts = add_movielens(TrainingSet(), dataset_dir(args.data_dir))
    t0 = time.perf_counter()
    trained = train(ts, k_svd=10, k_cluster=4, evaluate=False)
    print(f"trained on {len(ts)} ratings in {time.perf_counter() - t0:.1f} s")
    model, keys = trained.model, trained.item_keys
    index = {k: i for i, k in enumerate(keys)}
    diaries: dict[str, list[tuple[str, float]]] = {}
    for u, k, r in zip(ts.users, ts.items, ts.ratings):
        diaries.setdefault(u, []).append((k, r))
    users = sorted(diaries)
    rng = np.random.default_rng(0)
    picks = rng.choice(len(users), args.requests)
    sizes = [len(diaries[users[p]]) for p in picks]

    model_times = []
    for p in picks:
        rated = [Rated(index[k], r, (), ts.meta[k].title) for k, r in diaries[users[p]]]
        t = time.perf_counter()
        _, recs = model.recommend(rated, 10)
        model_times.append(time.perf_counter() - t)
        assert len(recs) == 10

    from cinematch.adapters.memory import MemoryLimitStore
    service = Recommendations(diary=None, data_dir=args.data_dir, limits=MemoryLimitStore())
    served = ("bench", model, trained.meta, keys)
    service_times = []
    for n, p in enumerate(picks):
        entries = [DiaryEntry(id=str(j), user_id="u", name=ts.meta[k].title, rating=int(r), date="2024-01-01",
                              added_at="", title=ts.meta[k].title, year=ts.meta[k].year, genres=list(ts.meta[k].genres))
                   for j, (k, r) in enumerate(diaries[users[p]])]
        t = time.perf_counter()
        answer = service._recommend(served, entries, 10, ())
        service_times.append(time.perf_counter() - t)
        assert len(answer["items"]) == 10
    print(f"{args.requests} top-10 requests, diaries of {min(sizes)}-{max(sizes)} films (mean {np.mean(sizes):.0f}), "
          f"{model.n_items} items")
    print(f"model:   {percentiles(model_times)}")
    print(f"service: {percentiles(service_times)}   (goal p99 ≤ 10 ms)")


if __name__ == "__main__":
    main()
