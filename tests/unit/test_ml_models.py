"""The recommendation models on synthetic data with a known low-rank structure."""

from __future__ import annotations

import numpy as np
import pytest

from cinematch.ml import metrics
from cinematch.ml.data import Interactions, kfold, per_user_split, temporal_split
from cinematch.ml.factorization import BayesianMF, BiasedMF
from cinematch.ml.implicit import FlippedBayesianMF
from cinematch.ml.koptim import optimize
from cinematch.ml.segments import UserSegments
from cinematch.ml.topn import EASE, EASEWithALS, ImplicitALS, Popularity, TunedEASE, top_k


def low_rank(n_users=300, n_items=200, k=3, density=0.15, seed=0):
    rng = np.random.default_rng(seed)
    P, Q = rng.normal(0, 0.7, (n_users, k)), rng.normal(0, 0.7, (n_items, k))
    bu, bi = rng.normal(0, 0.4, n_users), rng.normal(0, 0.4, n_items)
    mask = rng.random((n_users, n_items)) < density
    u, i = np.nonzero(mask)
    y = np.clip(np.round(3.5 + bu[u] + bi[i] + np.einsum("nk,nk->n", P[u], Q[i]) + rng.normal(0, 0.3, len(u))), 1, 5)
    return np.c_[u, i], y


@pytest.mark.parametrize("model", [BiasedMF(n_factors=3, random_state=0),
                                   BayesianMF(n_factors=3, n_samples=30, burn_in=10, random_state=0),
                                   FlippedBayesianMF(n_factors=3, n_samples=30, burn_in=10, random_state=0)])
def test_factorisation_beats_the_bias_only_baseline(model):
    X, y = low_rank()
    tr, te = next(kfold(len(y), 5, random_state=0))
    baseline = BiasedMF(n_factors=0, random_state=0).fit(X[tr], y[tr])
    assert model.fit(X[tr], y[tr]) is model
    err = metrics.rmse(y[te], model.predict(X[te]))
    assert err < metrics.rmse(y[te], baseline.predict(X[te])) - 0.05
    assert err < metrics.rmse(y[te], np.full(len(te), y[tr].mean())) - 0.2
    pred = model.predict(X[te])
    assert pred.min() >= 1 and pred.max() <= 5


def test_estimators_keep_hyperparameters_and_are_reproducible():
    X, y = low_rank(n_users=80, n_items=60)
    m = BayesianMF(n_factors=2, n_samples=5, burn_in=2, random_state=7)
    a = m.fit(X, y).predict(X[:50])
    assert (m.n_factors, m.n_samples, m.burn_in, m.random_state) == (2, 5, 2, 7)  # untouched by fit
    b = BayesianMF(n_factors=2, n_samples=5, burn_in=2, random_state=7).fit(X, y).predict(X[:50])
    assert np.array_equal(a, b)
    assert not hasattr(BiasedMF(), "user_factors_")


def test_unknown_users_and_items_get_what_the_model_knows():
    X, y = low_rank(n_users=50, n_items=40)
    m = BiasedMF(n_factors=2, random_state=0).fit(X, y)
    p = m.predict(np.array([[500, 0], [0, 500], [500, 500]]))
    assert p[2] == pytest.approx(np.clip(m.global_mean_, 1, 5))
    assert p[0] == pytest.approx(np.clip(m.global_mean_ + m.item_bias_[0], 1, 5))


@pytest.mark.parametrize("bad", [dict(X=np.zeros((3, 3)), y=np.ones(3)), dict(X=np.zeros((3, 2)), y=np.ones(2)),
                                 dict(X=-np.ones((3, 2)), y=np.ones(3)),
                                 dict(X=np.zeros((1, 2)), y=np.array([np.nan]))])
def test_fit_rejects_malformed_input_with_a_reason(bad):
    with pytest.raises(ValueError):
        BiasedMF().fit(bad["X"], bad["y"])


def test_splits_partition_the_data():
    users = np.repeat(np.arange(30), np.arange(2, 32))
    seen = np.zeros(len(users), int)
    for tr, te in kfold(len(users), 5, random_state=0):
        assert not set(tr) & set(te)
        seen[te] += 1
    assert (seen == 1).all()
    tr, te = per_user_split(users, 0.25, random_state=42)
    assert sorted(np.r_[tr, te]) == list(range(len(users)))
    assert set(users[tr]) == set(users)  # every user keeps training data
    ts = np.arange(len(users))
    tr, te = temporal_split(users, ts, 0.2)
    for u in set(users[te]):
        assert ts[te][users[te] == u].min() > ts[tr][users[tr] == u].max()


def test_ranking_metrics_on_a_hand_example():
    recs = np.array([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]])
    m = metrics.ranking_metrics(recs, [{1, 3, 42}], k=10)
    ideal = 1 + 1 / np.log2(3) + 1 / np.log2(4)
    assert m["ndcg_at_10"] == pytest.approx((1 + 1 / np.log2(4)) / ideal)
    assert m["precision_at_10"] == pytest.approx(0.2)
    assert m["recall_at_10"] == pytest.approx(2 / 3)
    assert m["map_at_10"] == pytest.approx((1 + 2 / 3) / 3)


def blocks(n_users=300, n_items=200, groups=4, seed=0):
    """Who watched what: each user group mostly watches its own block of films."""
    rng = np.random.default_rng(seed)
    g_user, g_item = np.arange(n_users) % groups, np.arange(n_items) % groups
    p = np.where(g_user[:, None] == g_item[None, :], 0.25, 0.03)
    u, i = np.nonzero(rng.random((n_users, n_items)) < p)
    return np.c_[u, i], np.ones(len(u))


def test_rankers_never_recommend_what_the_user_has_and_beat_popularity():
    X, y = blocks()
    tr, te = per_user_split(X[:, 0], 0.25, random_state=42)
    users = np.arange(300)
    relevant = [set() for _ in users]
    for u, i in X[te]:
        relevant[u].add(i)
    scores = {}
    for name, model in {"ease": EASE(reg=50.0), "pop": Popularity()}.items():
        model.fit(X[tr], 300, 200)
        recs = top_k(model.score(users), model.seen_, 10)
        for u, r in enumerate(recs):
            assert not set(r) & set(X[tr][X[tr, 0] == u, 1])
        scores[name] = metrics.ranking_metrics(recs, relevant)["ndcg_at_10"]
    assert scores["ease"] > scores["pop"]


def test_tuned_ease_picks_lambda_on_its_own_training_data():
    X, _ = blocks()
    tr, te = per_user_split(X[:, 0], 0.25, random_state=42)
    model = TunedEASE(regs=(1.0, 50.0, 5000.0), random_state=0).fit(X[tr], 300, 200)
    assert set(model.validation_ndcg_) == {1.0, 50.0, 5000.0}
    assert model.reg_ == max(model.validation_ndcg_, key=model.validation_ndcg_.get)
    # refitted on all the training rows with the chosen λ: the same as a plain EASE
    plain = EASE(reg=model.reg_).fit(X[tr], 300, 200)
    assert np.allclose(model.weights_, plain.weights_)
    with pytest.raises(ValueError):
        TunedEASE(regs=()).fit(X[tr], 300, 200)


def test_implicit_als_and_the_blend_rank_better_than_popularity_and_choose_on_their_own_data():
    X, _ = blocks()
    tr, te = per_user_split(X[:, 0], 0.25, random_state=42)
    relevant: list[set[int]] = [set() for _ in range(300)]
    for u, i in X[te]:
        relevant[u].add(int(i))
    users = np.arange(300)
    pop = Popularity().fit(X[tr], 300, 200)
    floor = metrics.ranking_metrics(top_k(pop.score(users), pop.seen_, 10), relevant)["ndcg_at_10"]
    als = ImplicitALS(n_factors=8, reg=5.0, random_state=0).fit(X[tr], 300, 200)
    assert metrics.ranking_metrics(top_k(als.score(users), als.seen_, 10), relevant)["ndcg_at_10"] > floor
    blend = EASEWithALS(ease_regs=(50.0, 5000.0), als_regs=(5.0,), weights=(0.5, 2.0), random_state=0)
    blend.fit(X[tr], 300, 200)
    assert len(blend.validation_ndcg_) == 4
    assert (blend.ease_reg_, blend.als_reg_, blend.weight_) == max(blend.validation_ndcg_,
                                                                   key=blend.validation_ndcg_.get)
    recs = top_k(blend.score(users), blend.seen_, 10)
    for u, r in enumerate(recs):
        assert not set(r) & set(X[tr][X[tr, 0] == u, 1])
    assert metrics.ranking_metrics(recs, relevant)["ndcg_at_10"] > floor


def test_the_flipped_model_is_reproducible_and_averages_its_samples():
    X, y = low_rank(n_users=120, n_items=50)
    m = FlippedBayesianMF(n_factors=3, n_samples=20, burn_in=5, random_state=1).fit(X, y)
    a = FlippedBayesianMF(n_factors=3, n_samples=20, burn_in=5, random_state=1).fit(X, y)
    assert np.array_equal(m.predict(X[:40]), a.predict(X[:40]))  # reproducible given random_state
    assert m.user_factors_.shape == (120, 3 * 20) and m.item_factors_.shape == (50, 3 * 20)
    with pytest.raises(ValueError):
        FlippedBayesianMF(noise_precision=0).fit(X, y)


def test_segment_labels_name_what_members_like_more_than_everybody():
    rng = np.random.default_rng(0)
    # two tastes: users 0-49 love items 0-9 (Horror), users 50-99 love items 10-19 (Romance)
    X = np.array([(u, i) for u in range(100) for i in rng.choice(20, 12, replace=False)])
    fan = (X[:, 0] < 50) == (X[:, 1] < 10)
    y = np.where(fan, 5.0, 2.0)
    factors = np.c_[np.where(np.arange(100) < 50, 1.0, -1.0), rng.normal(0, 0.05, 100)]
    seg = UserSegments(n_clusters=2, random_state=0).fit(factors)
    genres = [("Horror",)] * 10 + [("Romance",)] * 10
    described = {d["id"]: d for d in seg.describe(X, y, genres, top=1)}
    assert described[seg.labels_[0]]["top_genres"] == ["Horror"]
    assert described[seg.labels_[99]]["top_genres"] == ["Romance"]
    assert described[seg.labels_[0]]["label"] == "Horror fans" and described[seg.labels_[0]]["size"] == 50


def test_k_optimization_streams_seed_events_and_picks_from_the_range():
    X, y = low_rank(n_users=150, n_items=100, k=3, density=0.3)
    data = Interactions(np.arange(150).astype(str), np.arange(100).astype(str), X, y, np.zeros(len(y), np.int64))
    events = list(optimize(data, ks=(1, 3, 10), k_clusters=(2, 3, 4)))
    types = [e["type"] for e in events]
    assert types[0] == "status" and types[-1] == "completed"
    assert types.count("k_svd_result") == 3 and types.count("k_cluster_result") == 3
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress) and progress[-1] == 100
    done = events[-1]
    assert done["final_k_svd"] in (1, 3, 10) and done["final_k_cluster"] in (2, 3, 4)
    rmse = {e["k"]: e["rmse"] for e in events if e["type"] == "k_svd_result"}
    assert rmse[3] < rmse[1]  # the true rank fits better than too few factors
