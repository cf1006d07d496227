"""The fold of another commit and this checkout's, side by side in one process, with the seed.

    python bench/fold_side_by_side.py --base 7184acc [--events 1000000] [--batch 50000]

`projection_throughput.py` run against run swings by ±5% on a shared machine, more than a
change to the fold moves it. Here the seed's per-event algorithm, the base commit's core and
this checkout's core fold the same batches in one process, each in turn (the order rotates
batch by batch), so the machine's drift lands on all three. Printed: each side's time and its
ratio to the seed (the whole fold, as in `projection_throughput.py`), then the fold alone
(`fold_batch`, the batches decoded outside the timing) in ns per event for both cores.

The two cores are imported under two package names (`cm_base`, `cm_new`): the base commit's
`src/cinematch` comes from `git archive`, this checkout's is copied as it is in the work tree.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

from seed_algorithm import process_partition_incremental  # noqa: E402
from synthetic import catalog, events  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def packages(base: str, into: Path) -> None:
    """`into/cm_base`: the base commit's package; `into/cm_new`: this checkout's."""
    blob = subprocess.run(["git", "-C", str(ROOT), "archive", base, "src/cinematch"], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(into / "archive", filter="data")
    (into / "archive" / "src" / "cinematch").rename(into / "cm_base")
    shutil.copytree(ROOT / "src" / "cinematch", into / "cm_new", ignore=shutil.ignore_patterns("__pycache__"))


def core_of(name: str):
    """(fold of records, decode of records, fold of decoded, Record) of one package."""
    proj = importlib.import_module(f"{name}.services.projection")
    if hasattr(proj, "fold_batch"):  # the engine as one package (since #31)
        col, cache = proj, proj.FoldCache()
    else:  # an older commit: services/columnar.py, services/caches.py, services/projection.py
        col = importlib.import_module(f"{name}.services.columnar")
        cache = importlib.import_module(f"{name}.services.caches").FoldCache()
    record = importlib.import_module(f"{name}.domain.ports").Record

    def decode(records):
        return proj.decode_records(records, "", cache)[0]

    def fold(decoded):
        return col.fold_batch(decoded.events, cache=cache, columns=decoded.columns).documents

    return (lambda records: fold(decode(records))), decode, fold, record


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="the commit to compare with (any git revision)")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=50_000)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="fold-side-by-side-")
    try:
        packages(args.base, Path(tmp))
        sys.path.insert(0, tmp)
        compare(args, {"base": core_of("cm_base"), "this": core_of("cm_new")})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def compare(args: argparse.Namespace, cores: dict) -> None:
    films = catalog()
    catalog_map = {f["title"]: f for f in films}
    raw = events(args.events, films=films)
    batches = [raw[i:i + args.batch] for i in range(0, len(raw), args.batch)]
    records = {side: [[c[3](payload=p, partition=0, position=i) for i, p in enumerate(b)] for b in batches]
               for side, c in cores.items()}
    gc.collect()
    gc.freeze()

    def seed(k: int) -> None:
        stats, affinities = process_partition_incremental(batches[k], catalog_map)
        del stats, affinities

    run = {"seed": seed, **{side: (lambda k, side=side: cores[side][0](records[side][k])) for side in cores}}
    took = dict.fromkeys(run, 0.0)
    names = list(run)
    for k in range(len(batches)):
        for name in names[k % 3:] + names[:k % 3]:
            t = time.perf_counter()
            run[name](k)
            took[name] += time.perf_counter() - t
    print(f"{len(raw):,} events in batches of {args.batch:,}, each side in turn")
    for name in names:
        ratio = "" if name == "seed" else f"  ratio {took['seed'] / took[name]:.2f}x"
        print(f"{name:>5} ({args.base if name == 'base' else 'work tree' if name == 'this' else 'seed'}): "
              f"{took[name]:.2f}s{ratio}")

    fold_took = dict.fromkeys(cores, 0.0)
    for k in range(len(batches)):
        decoded = {side: cores[side][1](records[side][k]) for side in cores}
        for side in (list(cores) if k % 2 == 0 else list(cores)[::-1]):
            t = time.perf_counter()
            cores[side][2](decoded[side])
            fold_took[side] += time.perf_counter() - t
        del decoded
    print("the fold alone, ns per event: " + ", ".join(
        f"{side} {fold_took[side] / len(raw) * 1e9:.0f}" for side in cores))


if __name__ == "__main__":
    main()
