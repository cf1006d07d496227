"""The served hybrid and its artefacts: fold-in, exclusions, cold start, diversity, atomic swap."""

from __future__ import annotations

import dataclasses

import os

import numpy as np
import pytest

from cinematch.ml import artifacts
from cinematch.ml.artifacts import ModelStore
from cinematch.ml.factorization import _als_side, _Grouped
from cinematch.ml.hybrid import Rated, Weights
from cinematch.ml.synthetic import synthetic_catalog, synthetic_ratings
from cinematch.ml.training import ItemMeta, TrainingSet, display_title, item_key, train


@pytest.fixture(scope="module")
def trained():
    films = synthetic_catalog(120, random_state=3)
    ts = TrainingSet()
    for r in synthetic_ratings(films, 150, random_state=4):
        ts.add(r.user, ItemMeta(r.film.title, r.film.year, r.film.genres), r.rating)
    ts.sources.append("platform")
    return ts, train(ts, k_svd=5, k_cluster=3, random_state=0)


def rated_of(ts, tr, user):
    index = {k: i for i, k in enumerate(tr.item_keys)}
    return [Rated(index[k], r, (), ts.meta[k].title)
            for u, k, r in zip(ts.users, ts.items, ts.ratings) if u == user]


def test_fold_in_is_the_als_user_step(trained):
    """Folding a user in from their ratings gives the factors one ALS half-step would."""
    _, tr = trained
    m = tr.model
    rng = np.random.default_rng(0)
    items = rng.choice(m.n_items, 12, replace=False)
    ratings = rng.integers(1, 6, 12).astype(float)
    bias, factors = m.fold_in(items, ratings)
    g = _Grouped(np.zeros(12, dtype=np.int64), items, ratings - m.global_mean, 1)
    b, P = _als_side(g, m.item_factors, m.item_bias, m.reg, m.reg_bias)
    assert bias == pytest.approx(b[0]) and factors == pytest.approx(P[0])


def test_lists_never_hold_rated_or_excluded_items(trained):
    ts, tr = trained
    for user in ("synth0", "synth1", "synth2"):
        rated = rated_of(ts, tr, user)
        exclude = np.array([0, 1, 2])
        strategy, recs = tr.model.recommend(rated, 20, exclude=exclude)
        assert strategy == "hybrid" and len(recs) == 20
        got = {r.item for r in recs}
        assert not got & {r.item for r in rated} and not got & {0, 1, 2}
        assert len(got) == 20  # no duplicates


def test_cold_start_fills_the_list_and_follows_genre_picks(trained):
    _, tr = trained
    strategy, recs = tr.model.recommend([], 10)
    assert strategy == "cold_start" and len(recs) == 10
    _, picked = tr.model.recommend([], 10, genre_picks=["Western"])
    western = sum("Western" in tr.model.genres[r.item] for r in picked)
    assert western > sum("Western" in tr.model.genres[r.item] for r in recs) and western >= 5


def test_a_film_the_model_never_saw_still_shapes_the_taste_profile(trained):
    _, tr = trained
    unseen = Rated(-1, 5.0, ["g:horror"], "A Film Logged After Training")
    _, recs = tr.model.recommend([unseen], 10)
    assert sum("Horror" in tr.model.genres[r.item] for r in recs) >= 5


def test_mmr_trades_relevance_for_diversity(trained):
    ts, tr = trained
    m = tr.model
    rated = rated_of(ts, tr, "synth5")

    def mean_similarity(lam):
        m.weights = Weights(mmr_lambda=lam)
        _, recs = m.recommend(rated, 10)
        sim = m.content.similarity(np.array([r.item for r in recs]))
        return (sim.sum() - np.trace(sim)) / 90

    try:
        assert mean_similarity(0.3) < mean_similarity(1.0)
    finally:
        m.weights = Weights()


def test_explanations_name_a_film_the_user_liked(trained):
    ts, tr = trained
    rated = rated_of(ts, tr, "synth7")
    liked = {r.title for r in rated if r.rating >= 4}
    _, recs = tr.model.recommend(rated, 10)
    because = [r.explanation for r in recs if r.explanation.startswith("because you rated")]
    assert because and all(any(t in e for t in liked) for e in because)


def test_an_explanation_keeps_the_half_star(trained):
    ts, tr = trained
    rated = [r if r.rating < 4 else dataclasses.replace(r, rating=4.5) for r in rated_of(ts, tr, "synth7")]
    _, recs = tr.model.recommend(rated, 10)
    because = [r.explanation for r in recs if r.explanation.startswith("because you rated")]
    assert because and all(e.endswith("★★★★½") for e in because)


def test_training_meta_has_the_contract_fields(trained):
    _, tr = trained
    meta = tr.meta
    assert meta["training_source"] == "platform" and meta["k_svd"] == 5 and meta["k_cluster"] == 3
    assert 0 <= meta["explained_variance"] <= 1
    assert {"rmse", "mae", "ndcg_at_10", "coverage", "diversity", "novelty"} <= set(meta["metrics"])
    c = meta["clustering"]
    assert c["n_clusters"] == 3 and sum(x["size"] for x in c["clusters"]) == 150


def test_movielens_and_platform_titles_meet_on_one_key():
    assert display_title("Usual Suspects, The") == "The Usual Suspects"
    assert display_title("Amelie") == "Amelie"
    assert item_key("Usual Suspects, The", 1995) == item_key("the usual suspects", 1995)
    assert item_key("Heat", 1995) != item_key("Heat", 1986)


def test_a_saved_model_loads_back_and_serves_the_same_lists(trained, tmp_path):
    ts, tr = trained
    store = ModelStore(tmp_path)
    version = store.save(tr.model, tr.item_keys, tr.meta)
    assert store.current() == version == "v000001"
    model, meta = store.load(version)
    rated = rated_of(ts, tr, "synth9")
    assert [r.item for r in model.recommend(rated, 10)[1]] == [r.item for r in tr.model.recommend(rated, 10)[1]]
    assert meta["item_keys"] == tr.item_keys and meta["model_version"] == version


def test_a_crash_while_saving_leaves_the_previous_model_served(trained, tmp_path, monkeypatch):
    _, tr = trained
    store = ModelStore(tmp_path)
    first = store.save(tr.model, tr.item_keys, tr.meta)
    real_write = artifacts._write

    def dies_on_current(path, text):
        if path.name == "CURRENT.tmp":
            raise OSError("killed")  # the new version is on disk, the pointer not yet swapped
        real_write(path, text)

    monkeypatch.setattr(artifacts, "_write", dies_on_current)
    with pytest.raises(OSError):
        store.save(tr.model, tr.item_keys, tr.meta)
    assert store.current() == first
    store.load(first)  # still whole
    monkeypatch.setattr(artifacts, "_write", real_write)
    assert store.save(tr.model, tr.item_keys, tr.meta) == "v000003"  # the orphan version is skipped past


def test_old_versions_are_pruned(trained, tmp_path):
    _, tr = trained
    store = ModelStore(tmp_path)
    for _ in range(5):
        store.save(tr.model, tr.item_keys, tr.meta)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["v000003", "v000004", "v000005"]
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


@pytest.mark.parametrize("ratings", [[("u1", "Heat", 5)], [("u1", "Heat", 5), ("u2", "Alien", 2)],
                                     [("u1", "Heat", 5), ("u1", "Alien", 2), ("u2", "Heat", 4)]])
def test_a_tiny_platform_still_trains_and_serves(ratings, tmp_path):
    """The first users of an installation: nothing to hold out, too few users for segments."""
    ts = TrainingSet()
    for user, title, r in ratings:
        ts.add(user, ItemMeta(title, 1990, ("Drama",)), r)
    tr = train(ts, k_svd=10, k_cluster=4)
    m = tr.meta["metrics"]
    assert all(v is None or np.isfinite(v) for k, v in m.items() if k != "protocol")
    strategy, recs = tr.model.recommend([], 10)
    assert strategy == "cold_start" and len(recs) == tr.model.n_items
    ModelStore(tmp_path).save(tr.model, tr.item_keys, tr.meta)  # JSON-safe: no NaN in the meta
    import json
    json.loads((tmp_path / "v000001" / "meta.json").read_text(), parse_constant=lambda c: pytest.fail(c))
