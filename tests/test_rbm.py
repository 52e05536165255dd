"""Restricted Boltzmann machines: exact log-likelihoods, gradients, AIS, mean-field gradients, the estimator.

Independent references: enumeration of every (v, h) of tiny machines; the Gaussian integral over
real visible units; central finite differences; AIS against exact log Z within its error
(Salakhutdinov & Murray 2008); the mean-field gradient formula of Gabrie, Tramel & Krzakala 2015
(eq. 10) against finite differences of the re-solved TAP free entropy.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from scipy.special import expit, logsumexp

from statmech_learn.errors import ConvergenceWarning
from statmech_learn.meanfield.measures import Bipartite
from statmech_learn.meanfield.partition import (
    MAX_EXACT_LAYER,
    ais,
    exact_log_partition,
    log_marginal_visible,
    model_moments,
)
from statmech_learn.meanfield.rbm import RBM, mean_field_gradient
from statmech_learn.meanfield.tap import tap, tap_free_entropy


def _cube(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def _fitted(nv=6, nh=4, seed=0, scale=0.8, visible="bernoulli", X=None):
    """An RBM with given random parameters (one tiny epoch, then parameters overwritten)."""
    rng = np.random.default_rng(seed)
    if X is None:
        X = _cube(nv)[rng.integers(0, 2**nv, 30)] if visible == "bernoulli" else rng.standard_normal((30, nv))
    r = RBM(nh, method="cd", n_iter=1, batch_size=10, visible=visible, learning_curve="none", random_state=seed)
    r.fit(X)
    r.components_ = scale * rng.standard_normal((nh, nv))
    r.intercept_visible_ = 0.5 * rng.standard_normal(nv)
    r.intercept_hidden_ = 0.5 * rng.standard_normal(nh)
    return r, X


def test_exact_log_likelihood_against_full_enumeration():
    r, X = _fitted()
    V, H = _cube(6), _cube(4)
    W, b, c = r.components_.T, r.intercept_visible_, r.intercept_hidden_
    neg_e = V @ W @ H.T + (V @ b)[:, None] + (H @ c)[None, :]
    log_z = logsumexp(neg_e)
    log_p = logsumexp(neg_e, axis=1) - log_z
    idx = (X @ (2 ** np.arange(6)[::-1])).astype(int)
    np.testing.assert_allclose(r.score_samples(X), log_p[idx], atol=1e-12)
    assert r.log_partition("exact").value == pytest.approx(log_z, abs=1e-12)
    assert np.exp(log_p).sum() == pytest.approx(1.0, abs=1e-12)


def test_gaussian_visible_log_likelihood_against_the_gaussian_integral():
    """p(v) = sum_h exp(-|v|^2/2 + b.v + c.h + v.W h) / Z with Z = sum_h e^{c.h} (2 pi)^{n/2} e^{|b + W h|^2/2}."""
    r, X = _fitted(nv=5, nh=3, visible="gaussian", scale=0.4)
    W, b, c = r.components_.T, r.intercept_visible_, r.intercept_hidden_
    H = _cube(3)
    log_z = logsumexp(H @ c + 0.5 * np.sum((b + H @ W.T) ** 2, axis=1)) + 2.5 * math.log(2 * math.pi)
    log_num = logsumexp(-0.5 * np.sum(X**2, axis=1)[:, None] + (X @ b)[:, None] + H @ c + X @ W @ H.T, axis=1)
    np.testing.assert_allclose(r.score_samples(X), log_num - log_z, atol=1e-11)


def test_model_moments_against_enumeration_both_orientations():
    rng = np.random.default_rng(3)
    for nv, nh in ((7, 4), (3, 6)):
        W, b, c = rng.standard_normal((nv, nh)), rng.standard_normal(nv), rng.standard_normal(nh)
        V, H = _cube(nv), _cube(nh)
        neg_e = V @ W @ H.T + (V @ b)[:, None] + (H @ c)[None, :]
        P = np.exp(neg_e - logsumexp(neg_e))
        ev, eh, evh, log_z = model_moments(Bipartite(W, b, c))
        np.testing.assert_allclose(ev, P.sum(1) @ V, atol=1e-13)
        np.testing.assert_allclose(eh, P.sum(0) @ H, atol=1e-13)
        np.testing.assert_allclose(evh, V.T @ P @ H, atol=1e-13)
        assert log_z + (nv + nh) * math.log(2) == pytest.approx(logsumexp(neg_e), abs=1e-12)


def test_exact_gradient_against_finite_differences():
    r, X = _fitted(nv=6, nh=4, seed=2)
    dW, db, dc = r.log_likelihood_gradient(X)
    h = 1e-6
    for which, index in (
        ("components_", (1, 2)),
        ("components_", (3, 5)),
        ("intercept_visible_", 4),
        ("intercept_hidden_", 0),
    ):
        arr = getattr(r, which)
        old = arr[index]
        arr[index] = old + h
        up = r.score(X)
        arr[index] = old - h
        down = r.score(X)
        arr[index] = old
        fd = (up - down) / (2 * h)
        analytic = {"components_": dW.T, "intercept_visible_": db, "intercept_hidden_": dc}[which][index]
        assert fd == pytest.approx(analytic, abs=1e-7)


@pytest.mark.parametrize("onsager", [True, False])
def test_mean_field_gradient_is_the_derivative_of_the_free_entropy(onsager):
    """dPhi/dW_{i mu} = m_i m_mu + W_{i mu} v_i v_mu at the fixed point (TAP; without the last term for naive
    mean field): the fixed point is re-solved at W +- h and Phi differenced."""
    rng = np.random.default_rng(4)
    nv, nh = 8, 5
    W, b, c = 0.6 * rng.standard_normal((nv, nh)), 0.3 * rng.standard_normal(nv), 0.3 * rng.standard_normal(nh)
    from statmech_learn.meanfield.tap import naive_mean_field

    solve = tap if onsager else naive_mean_field
    r = solve(Bipartite(W, b, c), tol=1e-14, max_iter=100000)
    assert r.converged
    dW, db, dc = mean_field_gradient(Bipartite(W, b, c), r.m, r.v, onsager=onsager)
    h = 1e-5

    def phi(W_, b_, c_):
        s = solve(Bipartite(W_, b_, c_), init=r.m, tol=1e-14, max_iter=100000)
        assert s.converged
        return s.free_entropy

    for i, mu in ((0, 0), (3, 2), (7, 4)):
        E = np.zeros_like(W)
        E[i, mu] = h
        assert (phi(W + E, b, c) - phi(W - E, b, c)) / (2 * h) == pytest.approx(dW[i, mu], abs=1e-7)
    e = np.zeros(nv)
    e[2] = h
    assert (phi(W, b + e, c) - phi(W, b - e, c)) / (2 * h) == pytest.approx(db[2], abs=1e-7)
    e = np.zeros(nh)
    e[1] = h
    assert (phi(W, b, c + e) - phi(W, b, c - e)) / (2 * h) == pytest.approx(dc[1], abs=1e-7)
    # and it is what the free entropy at the fixed point evaluates to (the solver and the formula agree)
    assert tap_free_entropy(Bipartite(W, b, c), r.m, r.v, onsager=onsager) == pytest.approx(r.free_entropy, abs=1e-12)


def test_ais_matches_exact_log_z_on_a_twenty_hidden_unit_machine():
    """AIS estimate within 4 of its own standard errors (plus its known downward bias ~ err^2/2) of the exact
    value obtained by summing the 2^20 hidden configurations."""
    rng = np.random.default_rng(5)
    nv, nh = 24, 20
    measure = Bipartite(
        0.3 * rng.standard_normal((nv, nh)), 0.2 * rng.standard_normal(nv), 0.2 * rng.standard_normal(nh)
    )
    exact = exact_log_partition(measure, counting=True)
    est = ais(measure, n_runs=200, n_betas=3000, rng=0, counting=True)
    assert est.converged and 0 < est.error < 0.05
    assert abs(est.value - exact.value) < 4 * est.error + est.error**2
    # fewer temperatures: a larger error bar that still covers the truth
    rough = ais(measure, n_runs=200, n_betas=100, rng=1, counting=True)
    assert rough.error > est.error and abs(rough.value - exact.value) < 4 * rough.error + rough.error**2


def test_log_marginal_is_log_z_consistent():
    """sum_v exp(log p*(v)) = Z over the whole visible cube (counting)."""
    rng = np.random.default_rng(6)
    m = Bipartite(rng.standard_normal((5, 7)), rng.standard_normal(5), rng.standard_normal(7))
    total = logsumexp(log_marginal_visible(m, _cube(5), counting=True))
    assert total == pytest.approx(exact_log_partition(m, counting=True).value, abs=1e-12)


def test_training_increases_the_likelihood_for_every_method():
    """Three noisy prototypes: every trainer learns the correlations, i.e. beats the best independent-unit model
    (log-likelihood sum_i p_i log p_i + (1 - p_i) log(1 - p_i), the machine's starting point) by more than
    0.5 nat per sample (measured gains 0.88-1.25 after 20 epochs), and the curve's last exact value is score(X)."""
    rng = np.random.default_rng(7)
    protos = _cube(10)[rng.integers(0, 1024, 3)]
    X = np.where(rng.random((300, 10)) < 0.1, 1 - protos[rng.integers(0, 3, 300)], protos[rng.integers(0, 3, 300)])
    p = X.mean(axis=0)
    independent = float(np.sum(p * np.log(p) + (1 - p) * np.log1p(-p)))
    for method in ("exact", "cd", "pcd", "naive", "tap"):
        r = RBM(4, method=method, learning_rate=0.1, n_iter=20, batch_size=20, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            r.fit(X)
        curve = r.learning_curve_
        assert curve.method == "exact" and len(curve.epoch) == 20
        assert curve.log_likelihood[-1] == pytest.approx(r.score(X), abs=1e-10)
        assert curve.log_likelihood[0] == pytest.approx(independent, abs=0.05)
        assert curve.log_likelihood[-1] > independent + 0.5, method
        assert np.all(np.isfinite(curve.log_likelihood_tap))


def test_tap_fixed_points_satisfy_the_tap_equations():
    rng = np.random.default_rng(8)
    protos = _cube(12)[rng.integers(0, 4096, 2)]
    X = np.repeat(protos, 100, axis=0)
    r = RBM(3, method="tap", learning_rate=0.1, n_iter=10, batch_size=20, random_state=0).fit(X)
    fp = r.tap_fixed_points(n_starts=15, rng=0)
    assert fp.visible.shape == (15, 12) and fp.hidden.shape == (15, 3)
    assert np.all(fp.converged) and fp.counts.sum() == 15
    W, b, c = r.components_.T, r.intercept_visible_, r.intercept_hidden_
    for k in fp.unique:
        mv, mh = fp.visible[k], fp.hidden[k]
        np.testing.assert_allclose(mh, expit(c + W.T @ mv - (mh - 0.5) * ((W**2).T @ (mv - mv**2))), atol=1e-7)
        np.testing.assert_allclose(mv, expit(b + W @ mh - (mv - 0.5) * ((W**2) @ (mh - mh**2))), atol=1e-7)
    assert np.all(np.diff(fp.free_entropy[fp.unique]) <= 0)


def test_estimator_protocol():
    r = RBM(5, method="pcd", learning_rate=0.02)
    params = r.get_params()
    assert params["n_hidden"] == 5 and params["method"] == "pcd" and params["learning_rate"] == 0.02
    clone = RBM(**params)
    assert clone.get_params() == params
    assert r.set_params(n_iter=3) is r and r.n_iter == 3
    with pytest.raises(ValueError, match="invalid parameter 'hidden'"):
        r.set_params(hidden=3)
    with pytest.raises(ValueError, match="not fitted"):
        r.transform(np.zeros((2, 4)))
    X = _cube(4)
    a = RBM(3, method="cd", n_iter=2, batch_size=4, random_state=1).fit(X)
    b = RBM(3, method="cd", n_iter=2, batch_size=4, random_state=1).fit(X)
    np.testing.assert_array_equal(a.components_, b.components_)  # same seed, same numbers
    assert a.components_.shape == (3, 4) and a.n_features_in_ == 4
    assert a.transform(X).shape == (16, 3)
    assert "n_hidden=3" in repr(a)


def test_works_in_a_scikit_learn_pipeline():
    pytest.importorskip("sklearn")
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    rng = np.random.default_rng(9)
    X = (rng.random((200, 12)) < 0.3).astype(float)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    pipe = Pipeline(
        [("rbm", RBM(6, method="pcd", n_iter=3, learning_curve="none", random_state=0)), ("clf", LogisticRegression())]
    )
    pipe.fit(X, y)
    assert 0.0 <= pipe.score(X, y) <= 1.0
    c = clone(pipe)
    assert c.get_params()["rbm__n_hidden"] == 6


def test_bad_input():
    X = _cube(4)
    for kwargs, match in (
        ({"n_hidden": 0}, "n_hidden"),
        ({"n_iter": 0}, "n_iter"),
        ({"batch_size": -1}, "batch_size"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"method": "sgd"}, "method"),
        ({"visible": "potts"}, "visible"),
        ({"k": 0}, "k"),
        ({"tap_tol": 0.0}, "tap_tol"),
        ({"tap_damping": 1.0}, "tap_damping"),
        ({"l2": -1}, "l2"),
    ):
        with pytest.raises(ValueError, match=match):
            RBM(**kwargs).fit(X)
    with pytest.raises(ValueError, match="binary"):
        RBM(2).fit(X * 0.5)
    with pytest.raises(ValueError, match="2-D"):
        RBM(2).fit(np.zeros(4))
    with pytest.raises(ValueError, match="non-empty"):
        RBM(2).fit(np.zeros((0, 4)))
    with pytest.raises(ValueError, match="finite"):
        RBM(2, visible="gaussian").fit(np.full((3, 4), np.nan))
    r = RBM(2, n_iter=1, learning_curve="none").fit(X)
    with pytest.raises(ValueError, match="4"):
        r.transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="method"):
        r.log_partition("magic")
    big = Bipartite(np.zeros((30, 30)))
    with pytest.raises(ValueError, match=f"at most {MAX_EXACT_LAYER}.*ais"):
        exact_log_partition(big)
    with pytest.raises(ValueError, match="n_runs"):
        ais(big, n_runs=1)


def _digits_table(n_train: int, epochs: int, lr: float) -> dict[str, float]:
    """Exact held-out log-likelihood per image of each trainer (16 hidden units, batch 20, same epochs and learning
    rate) and of scikit-learn's BernoulliRBM (its parameters evaluated exactly by the same code)."""
    from sklearn.neural_network import BernoulliRBM

    from statmech_learn.meanfield.datasets import digits

    X, _ = digits(binarize=True)
    idx = np.random.default_rng(0).permutation(len(X))
    train, test = X[idx[:n_train]], X[idx[1500:]]
    table = {}
    for method in ("cd", "pcd", "naive", "tap"):
        r = RBM(
            16, method=method, learning_rate=lr, n_iter=epochs, batch_size=20, learning_curve="none", random_state=0
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            r.fit(train)
        table[method] = r.score(test)
    sk = BernoulliRBM(n_components=16, learning_rate=lr, batch_size=20, n_iter=epochs, random_state=0).fit(train)
    r.components_, r.intercept_hidden_ = sk.components_, sk.intercept_hidden_
    r.intercept_visible_ = sk.intercept_visible_
    table["sklearn"] = r.score(test)
    return table


def test_digits_tap_training_is_within_one_nat_of_the_best_trainer():
    """Gabrie, Tramel & Krzakala 2015 (NeurIPS) report TAP training on a par with persistent contrastive
    divergence.  A reduced run (1000 training images, 10 epochs, learning rate 0.1; held-out: the last 297 of a
    fixed permutation): TAP's exact held-out log-likelihood is within 1 nat per image of the best trainer, and every
    trainer beats the independent-pixel model fitted on the training images by more than 1 nat.  Measured: naive
    -21.21, CD-1 -21.71, PCD -21.69, TAP -21.81, scikit-learn -23.24, independent pixels -25.23."""
    pytest.importorskip("sklearn")
    table = _digits_table(1000, 10, 0.1)
    assert table["tap"] >= max(table.values()) - 1.0, table
    from statmech_learn.meanfield.datasets import digits

    X, _ = digits(binarize=True)
    idx = np.random.default_rng(0).permutation(len(X))
    p = np.clip(X[idx[:1000]].mean(axis=0), 1e-3, 1 - 1e-3)
    test = X[idx[1500:]]
    independent = float(np.mean(test @ np.log(p) + (1 - test) @ np.log1p(-p)))
    assert min(table.values()) > independent + 1.0, (table, independent)


@pytest.mark.slow
def test_digits_full_comparison():
    """The issue's setting: 1500 training images, 30 epochs.  Measured (held-out, nats per image): naive -19.58,
    CD-1 -19.96, TAP -20.15, scikit-learn -20.25, PCD -21.52; TAP within 1 nat of the best."""
    pytest.importorskip("sklearn")
    table = _digits_table(1500, 30, 0.05)
    assert table["tap"] >= max(table.values()) - 1.0, table


def test_scikit_learn_parameters_mean_the_same_machine():
    """scikit-learn's BernoulliRBM stores W^T, c, b under the same names: copied into an RBM, the hidden means equal
    its ``transform`` and log p*(v) equals minus its free energy (scikit-learn's ``_free_energy``)."""
    pytest.importorskip("sklearn")
    from sklearn.neural_network import BernoulliRBM

    rng = np.random.default_rng(10)
    X = (rng.random((100, 9)) < 0.4).astype(float)
    sk = BernoulliRBM(n_components=5, n_iter=3, random_state=0).fit(X)
    r = RBM(5, n_iter=1, learning_curve="none").fit(X)
    r.components_, r.intercept_hidden_ = sk.components_, sk.intercept_hidden_
    r.intercept_visible_ = sk.intercept_visible_
    np.testing.assert_allclose(r.transform(X), sk.transform(X), atol=1e-14)
    log_z = r.log_partition("exact").value
    np.testing.assert_allclose(r.score_samples(X) + log_z, -sk._free_energy(X), atol=1e-12)


def _issue_snippet(n_iter: int, **ais_options):
    import statmech_learn  # noqa: F401
    from statmech_learn import meanfield

    X, _ = meanfield.datasets.digits(binarize=True)
    rbm = meanfield.RBM(n_hidden=16, method="tap", learning_rate=0.05, n_iter=n_iter, batch_size=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        rbm.fit(X)
    scores = rbm.score_samples(X)
    est = {m: rbm.log_partition(method=m, **(ais_options if m == "ais" else {})) for m in ("exact", "tap", "ais")}
    fp = rbm.tap_fixed_points(n_starts=20, rng=0)
    return X, rbm, scores, est, fp


def test_the_documented_snippet_runs():
    """The usage of the documentation, with 2 epochs and a shorter AIS run: exact scores equal log p*(v) - log Z;
    AIS agrees with the exact log Z within 4 of its errors; 20 fixed points from 20 starts."""
    pytest.importorskip("sklearn")
    X, rbm, scores, est, fp = _issue_snippet(2, n_runs=50, n_betas=1000)
    assert X.shape == (1797, 64) and scores.shape == (1797,)
    assert abs(est["ais"].value - est["exact"].value) < 4 * est["ais"].error + est["ais"].error ** 2
    assert est["tap"].converged and np.isnan(est["tap"].error)
    assert fp.visible.shape == (20, 64) and fp.counts.sum() == int(np.count_nonzero(fp.converged))
    assert rbm.learning_curve_.log_likelihood[-1] == pytest.approx(float(np.mean(scores)), abs=1e-10)


@pytest.mark.slow
def test_the_documented_snippet_as_written():
    """30 epochs as in the documentation (about a minute): the likelihood rises above the independent-pixel model
    by more than 4 nats per image."""
    pytest.importorskip("sklearn")
    X, _rbm, scores, est, _fp = _issue_snippet(30)
    p = np.clip(X.mean(axis=0), 1e-3, 1 - 1e-3)
    independent = float(np.mean(X @ np.log(p) + (1 - X) @ np.log1p(-p)))
    assert float(np.mean(scores)) > independent + 4.0
    assert abs(est["ais"].value - est["exact"].value) < 4 * est["ais"].error + est["ais"].error ** 2


def test_gaussian_visible_units_train_and_mean_field_failures_are_counted():
    """Three Gaussian clusters of unit variance in 8 dimensions: exact-gradient and PCD training of a
    Gaussian-Bernoulli RBM beat the best single unit-variance Gaussian by more than 3 nats per sample (measured
    5.9 and 5.6).  TAP for Gaussian units breaks down once sum_mu W^2 v_h exceeds the unit precision (the
    tilted Gaussian is not normalisable): those starts are counted, never used, and the parameters stay finite."""
    rng = np.random.default_rng(0)
    protos = rng.normal(0.0, 2.0, (3, 8))
    X = protos[rng.integers(0, 3, 600)] + rng.standard_normal((600, 8))
    mu = X.mean(axis=0)
    single = float(np.mean(-0.5 * np.sum((X - mu) ** 2, axis=1)) - 4 * math.log(2 * math.pi))
    for method in ("exact", "pcd"):
        r = RBM(
            3,
            method=method,
            visible="gaussian",
            learning_rate=0.02,
            n_iter=30,
            batch_size=20,
            learning_curve="none",
            random_state=0,
        ).fit(X)
        assert r.score(X) > single + 3.0, method
    r = RBM(
        3,
        method="tap",
        visible="gaussian",
        learning_rate=0.02,
        n_iter=10,
        batch_size=20,
        tap_max_iter=30,
        learning_curve="none",
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        r.fit(X)
    assert r.n_tap_failures_ > 0 and r.n_tap_failures_ == int(np.sum(r.learning_curve_.tap_failures))
    assert np.all(np.isfinite(r.components_)) and np.isfinite(r.score(X))


def test_sample_weights_equal_repeated_samples_and_batches_are_honoured():
    """Integer sample weights k_j act as k_j copies of sample j: full-batch exact-gradient training on weighted
    data and on the repeated data set follow the same trajectory (to rounding).  A batch iterable is used as
    given, every epoch."""
    rng = np.random.default_rng(11)
    X = (rng.random((12, 5)) < 0.5).astype(float)
    k = rng.integers(1, 4, 12)
    weighted = RBM(
        3, method="exact", n_iter=20, batch_size=12, learning_rate=0.2, learning_curve="none", random_state=0
    ).fit(X, sample_weight=k.astype(float))
    repeated = RBM(
        3, method="exact", n_iter=20, batch_size=int(k.sum()), learning_rate=0.2, learning_curve="none", random_state=0
    ).fit(np.repeat(X, k, axis=0))
    np.testing.assert_allclose(weighted.components_, repeated.components_, atol=1e-10)
    np.testing.assert_allclose(weighted.intercept_visible_, repeated.intercept_visible_, atol=1e-10)

    class Halves:
        calls = 0

        def __iter__(self):
            Halves.calls += 1
            return iter([np.arange(6), np.arange(6, 12)])

    r = RBM(3, method="cd", n_iter=3, learning_curve="none", random_state=0).fit(X, batches=Halves())
    assert Halves.calls == 3 and np.all(np.isfinite(r.components_))
    with pytest.raises(ValueError, match="sample_weight"):
        RBM(3).fit(X, sample_weight=np.ones(5))
    with pytest.raises(ValueError, match="sample_weight"):
        RBM(3).fit(X, sample_weight=-np.ones(12))
    with pytest.raises(ValueError, match="batches"):
        RBM(3).fit(X, batches=[np.array([0, 99])])
