"""`cinematch ml evaluate` on MovieLens-100k (docs/contract.md §5), through the real command line.

The figures the issues ask for are asserted here: kfold5 RMSE ≤ 0.885 (Surprise SVD 0.934, SVD++
0.919, GLocal-K 0.8889 on the u1 split) and topn NDCG@10 ≥ 0.48 (Microsoft Recommenders' BiVAE
0.4751, BPR 0.442)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

# One download per machine: the fetched dataset is reused by later runs.
DATA_DIR = os.environ.get("CINEMATCH_TEST_DATA_DIR", str(Path.home() / ".cache" / "cinematch-test"))


def run(*args: str) -> dict:
    env = {**os.environ, "CINEMATCH_DATA_DIR": DATA_DIR}
    out = subprocess.run([sys.executable, "-m", "cinematch", "ml", "evaluate", *args, "--json"],
                         env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_kfold5_rmse_beats_surprise_and_glocal_k():
    result = run("--dataset", "ml-100k", "--protocol", "kfold5")
    assert result["protocol"] == "kfold5"
    assert result["rmse"] <= 0.885
    assert 0.6 < result["mae"] < result["rmse"]
    assert result["fit_seconds"] > 0


def test_topn_ndcg_beats_bivae():
    result = run("--dataset", "ml-100k", "--protocol", "topn")
    assert result["protocol"] == "topn"
    assert result["ndcg_at_10"] >= 0.48
    assert 0 < result["precision_at_10"] <= 1 and 0 < result["recall_at_10"] <= 1 and 0 < result["map_at_10"] <= 1
    assert 0 < result["coverage"] <= 1 and 0 < result["diversity"] <= 1 and result["novelty"] > 0


def test_train_test_files(tmp_path):
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    rows = [(u, i, 1 + (u * 7 + i * 3) % 5) for u in range(40) for i in range(30) if (u + i) % 3]
    train.write_text("user_id,item_id,rating\n" + "".join(f"{u},{i},{r}\n" for u, i, r in rows[::2]))
    test.write_text("user_id,item_id,rating\n" + "".join(f"{u},{i},{r}\n" for u, i, r in rows[1::2]) + "999,0,3\n")
    result = run("--train", str(train), "--test", str(test))
    assert set(result) == {"rmse", "mae", "fit_seconds"}
    assert 0 < result["rmse"] < 2


async def test_training_hybrid_merges_movielens_and_platform_diaries(tmp_path):
    """MovieLens and the platform's own users train one model; a catalog film MovieLens
    doesn't know becomes an item too, a name a user typed does not (items are shown to
    everyone); the platform user's list skips their whole diary."""
    from cinematch.data.movielens import dataset_dir, fetch_ml100k
    from cinematch.domain import catalog_movie
    from cinematch.domain.catalog import catalog_id_for
    from cinematch.services.diary import NewEntry
    from tests.support import wired

    source = fetch_ml100k(DATA_DIR)
    dataset_dir(tmp_path).parent.mkdir(parents=True)
    os.symlink(source, dataset_dir(tmp_path))
    c = wired("sqlite", data_dir=tmp_path)
    films = [("Usual Suspects, The", 1995), ("Toy Story", 1995), ("Star Wars", 1977), ("Fargo", 1996),
             ("Godfather, The", 1972), ("Oppenheimer", 2023)]
    await c.storage.catalog().upsert([catalog_movie(id=catalog_id_for(t, y), title=t, year=y) for t, y in films])
    diary = c.services.diary()
    await diary.add_many("u1", [NewEntry(name=t, year=y, rating=5, genres=["Drama"]) for t, y in films])
    await diary.add_many("u2", [NewEntry(name="therapy session with Dr. Rossi", rating=4)])
    reco = c.services.recommendations()
    trained = await reco.train(limited=False)
    status = await reco.status()
    assert status["training_source"] == "movielens+platform" and status["model_version"] == trained["model_version"]
    meta = (await reco._model())[2]
    assert meta["n_users"] == 944 and meta["n_items"] == 1664 + 1  # + Oppenheimer
    out = await reco.for_user("u1", 20)
    assert out["strategy"] == "hybrid" and len(out["items"]) == 20
    from cinematch.ml.training import display_title
    titles = {i["title"] for i in out["items"]}
    assert not titles & {display_title(t) for t, _ in films}
    assert not any("Rossi" in t for t in (await reco._model())[1].titles)
    c.storage.db().close()
