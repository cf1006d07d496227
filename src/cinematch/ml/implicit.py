"""Bayesian factorisation with implicit feedback on both sides: which films a person rated says
something about them, and who rated a film says something about it, whatever the ratings were.

    r̂_ui = μ + b_u + b_i + (p_u + |N(u)|^-½ Σ_{j∈N(u)} y_j) · (q_i + |N(i)|^-½ Σ_{v∈N(i)} z_v)

N(u) are the films u rated, N(i) the people who rated i (in the training data only). The user side
is Koren's SVD++; the item side is its "flipped" twin (Rendle et al., "On the difficulty of
evaluating baselines", 2019, where the Bayesian flipped variants lead on MovieLens). Every vector
has a Gaussian prior whose mean and precision are learned (Normal-Wishart hyperpriors, as in
`factorization.BayesianMF`), and the model is sampled by Gibbs: the biases and factors of each side
at once in closed form, then each implicit vector in turn, exactly (its conditional given the
others), keeping per person (per film) the sums its conditional needs, so no rating is revisited.
Predictions average the sampled models.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from .factorization import BayesianMF, _Grouped, _sample_normal_wishart


class FlippedBayesianMF(BayesianMF):
    """BayesianMF's hyperparameters (`ml evaluate` runs it with noise precision 1.5 and 60 samples
    after 15 burn-in sweeps: `evaluate.default_rating_model`), and the implicit sides."""

    def fit(self, X: Any, y: Any, n_users: int | None = None, n_items: int | None = None) -> FlippedBayesianMF:
        self._check()
        nu, ni, by_user, by_item = self._prepare(X, y, n_users, n_items)
        rng = np.random.default_rng(self.random_state)
        k, alpha = self.n_factors, self.noise_precision
        u, i = by_item.cols, np.repeat(np.arange(ni), by_item.counts)  # every rating, grouped by film
        r = by_item.values
        rated = sparse.csr_matrix((np.ones(len(u)), (u, i)), shape=(nu, ni))
        norm_u = 1 / np.sqrt(np.maximum(by_user.counts, 1))
        norm_i = 1 / np.sqrt(np.maximum(by_item.counts, 1))
        mean_y = sparse.diags(norm_u) @ rated  # ȳ = mean_y @ Y (people × films)
        mean_z = (rated @ sparse.diags(norm_i)).T.tocsr()  # z̄ = mean_z @ Z (films × people)
        U, V = np.zeros((nu, k + 1)), rng.normal(0, 0.1, (ni, k + 1))  # [bias, factors]
        Y, Z = np.zeros((ni, k)), np.zeros((nu, k))
        bias_u, bias_i = np.zeros(nu), np.zeros(ni)
        samples: list[tuple[np.ndarray, np.ndarray]] = []
        user_rows = np.repeat(np.arange(nu), by_user.counts)
        for sweep in range(self.burn_in + self.n_samples):
            ybar, zbar = mean_y @ Y, mean_z @ Z
            q = V[:, 1:] + zbar
            # people: [b_u, p_u] on the design [1, q̃_i], the film's bias and ȳ_u·q̃_i moved into the target
            target = by_user.values - V[by_user.cols, 0] - np.einsum("nk,nk->n", ybar[user_rows], q[by_user.cols])
            U = _draw_rows(by_user, U, np.hstack([np.ones((ni, 1)), q]), target, alpha, rng)
            p = U[:, 1:] + ybar
            # films: [b_i, q_i] on the design [1, p̃_u], the person's bias and p̃_u·z̄_i moved into the target
            target = r - U[u, 0] - np.einsum("nk,nk->n", p[u], zbar[i])
            V = _draw_rows(by_item, V, np.hstack([np.ones((nu, 1)), p]), target, alpha, rng)
            q = V[:, 1:] + zbar
            # the implicit vectors of the films (in ȳ), then of the people (in z̄)
            residual = r - U[u, 0] - V[i, 0] - np.einsum("nk,nk->n", p[u], q[i])
            grams = by_user.systems(q, by_user.values)[0]
            sums = sparse.csr_matrix((residual, (u, i)), shape=(nu, ni)) @ q
            _implicit_sweep(Y, mean_y.T.tocsr(), grams, sums, alpha, rng)
            p = U[:, 1:] + mean_y @ Y
            residual = r - U[u, 0] - V[i, 0] - np.einsum("nk,nk->n", p[u], q[i])
            grams = by_item.systems(p, by_item.values)[0]
            sums = sparse.csr_matrix((residual, (i, u)), shape=(ni, nu)) @ p
            _implicit_sweep(Z, mean_z.T.tocsr(), grams, sums, alpha, rng)
            q = V[:, 1:] + mean_z @ Z
            if sweep >= self.burn_in:
                bias_u += U[:, 0]
                bias_i += V[:, 0]
                samples.append((p.astype(np.float32), q.astype(np.float32)))
        kept = len(samples)
        self.user_bias_, self.item_bias_ = bias_u / kept, bias_i / kept
        scale = 1.0 / np.sqrt(kept)  # stacked side by side, q·p is the mean of the samples' q·p
        self.user_factors_ = np.hstack([s for s, _ in samples]) * scale
        self.item_factors_ = np.hstack([s for _, s in samples]) * scale
        return self


def _draw_rows(g: _Grouped, current: np.ndarray, design: np.ndarray, target: np.ndarray, alpha: float,
               rng: np.random.Generator) -> np.ndarray:
    """Every row of one side at once from its conditional, under the prior drawn from its rows."""
    mu0, Lambda = _sample_normal_wishart(current, rng)
    grams, rhs = g.systems(design, target)
    return _gaussian(Lambda + alpha * grams, Lambda @ mu0 + alpha * rhs, rng)


def _gaussian(precision: np.ndarray, linear: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draws of N(precision⁻¹ linear, precision⁻¹), one per leading index."""
    chol = np.linalg.cholesky(precision)
    mean = np.linalg.solve(precision, linear[..., None])[..., 0]
    z = rng.standard_normal(mean.shape + (1,))
    drawn: np.ndarray = mean + np.linalg.solve(np.swapaxes(chol, -1, -2), z)[..., 0]
    return drawn


def _implicit_sweep(W: np.ndarray, owners: sparse.csr_matrix, grams: np.ndarray, sums: np.ndarray,
                    alpha: float, rng: np.random.Generator) -> None:
    """Gibbs over the rows of W in place. Row j enters the effective vector of each of its owners
    o with weight c (`owners`: row j's owners and weights). Per owner, `grams` is Σ x xᵀ and `sums`
    Σ x e over its ratings (x the other side's vectors, e the residuals), kept current as W moves,
    so each row's conditional needs only its owners' sums."""
    mu, Lambda = _sample_normal_wishart(W, rng)
    prior = Lambda @ mu
    k = W.shape[1]
    flat = grams.reshape(len(grams), k * k)
    noise = rng.standard_normal(W.shape)
    empty = np.linalg.cholesky(Lambda)
    ptr, idx, val = owners.indptr, owners.indices, owners.data
    for j in range(len(W)):
        of, c = idx[ptr[j]:ptr[j + 1]], val[ptr[j]:ptr[j + 1]]
        if len(of) == 0:  # nobody: the prior
            W[j] = mu + np.linalg.solve(empty.T, noise[j])
            continue
        weighted = ((c * c) @ flat[of]).reshape(k, k)
        precision = Lambda + alpha * weighted
        linear = prior + alpha * (c @ sums[of] + weighted @ W[j])
        chol = np.linalg.cholesky(precision)
        new = np.linalg.solve(precision, linear) + np.linalg.solve(chol.T, noise[j])
        sums[of] -= c[:, None] * (grams[of] @ (new - W[j]))  # the residuals move with W[j]
        W[j] = new
