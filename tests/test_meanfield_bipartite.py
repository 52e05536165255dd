"""Bipartite (RBM) measures through the same TAP and naive mean-field code as the Ising measures.

References: the TAP equations of a Bernoulli-Bernoulli RBM, Gabrie, Tramel & Krzakala 2015,
"Training restricted Boltzmann machines via the Thouless-Anderson-Palmer free energy",
NeurIPS 28, eqs. (8)-(9); a Gaussian-visible RBM marginalises exactly over v.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.special import expit, logsumexp

from statmech_learn.errors import ConvergenceError, ConvergenceWarning
from statmech_learn.meanfield.exact import exact
from statmech_learn.meanfield.measures import Bipartite, Ising
from statmech_learn.meanfield.tap import naive_mean_field, tap, tap_free_entropy


def _rbm(nv=12, nh=5, scale=0.3, seed=0, **kw):
    rng = np.random.default_rng(seed)
    return Bipartite(
        scale * rng.standard_normal((nv, nh)), 0.5 * rng.standard_normal(nv), 0.5 * rng.standard_normal(nh), **kw
    )


@pytest.mark.parametrize("onsager", [True, False])
def test_same_fixed_point_and_free_entropy_as_the_dense_ising_measure(onsager):
    """Updating the layers in turn or all units in parallel must reach the same fixed point of the same
    equations, with the same free entropy (the dense measure J = [[0, W], [W^T, 0]])."""
    bp = _rbm()
    solve = tap if onsager else naive_mean_field
    a, b = solve(bp, tol=1e-13), solve(bp.as_ising(), tol=1e-13)
    assert a.converged and b.converged
    np.testing.assert_allclose(a.m, b.m, atol=1e-10)
    np.testing.assert_allclose(a.v, b.v, atol=1e-10)
    assert a.free_entropy == pytest.approx(b.free_entropy, abs=1e-10)


def test_bernoulli_rbm_gives_the_sigmoid_tap_equations():
    """At the fixed point: m_h = sigm(c + W^T m_v - (m_h - 1/2) (W^2)^T (m_v - m_v^2)) and
    m_v = sigm(b + W m_h - (m_v - 1/2) W^2 (m_h - m_h^2)) (Gabrie et al. 2015, eqs. 8-9, beta = 1)."""
    bp = _rbm(nv=30, nh=8, scale=0.4, seed=3)
    r = tap(bp, tol=1e-13)
    mv, mh = r.m[:30], r.m[30:]
    W, W2 = bp.W, bp.W**2
    np.testing.assert_allclose(mh, expit(bp.c + W.T @ mv - (mh - 0.5) * (W2.T @ (mv - mv**2))), atol=1e-11)
    np.testing.assert_allclose(mv, expit(bp.b + W @ mh - (mv - 0.5) * (W2 @ (mh - mh**2))), atol=1e-11)
    np.testing.assert_allclose(r.v, r.m * (1 - r.m), atol=1e-12)


def test_tap_log_z_is_close_to_exact_for_weak_couplings():
    """log Z - Phi_TAP = O(W^3) (the third Plefka order) and log Z - Phi_naive = O(W^2) (exact enumeration of
    all 2^17 (v, h)): halving the couplings divides the naive gap by about 4 and the TAP gap by at least 8
    up to the fourth-order correction (measured 8.0 and 11.5 on two instances at W ~ 0.1 -> 0.05; bound 6)."""
    for seed in (1, 2):
        gaps = {}
        for scale in (0.1, 0.05):
            bp = _rbm(nv=12, nh=5, scale=scale, seed=seed)
            log_z = exact(bp).log_partition
            gaps[scale] = (
                abs(log_z - tap(bp, tol=1e-14).free_entropy),
                log_z - naive_mean_field(bp, tol=1e-14).free_entropy,
            )
        assert gaps[0.1][0] / gaps[0.05][0] > 6.0
        assert 3.5 < gaps[0.1][1] / gaps[0.05][1] < 4.5
        assert gaps[0.05][1] > 0  # Gibbs-Bogoliubov-Feynman: naive mean field is a lower bound
        assert gaps[0.05][0] < 1e-3 * gaps[0.05][1]


def test_gaussian_visible_units_marginalise_exactly():
    """Gaussian visible N(0, 1): summing v out, log Z = log sum_h P_h(h) exp(c.h + |b + W h|^2 / 2), by
    enumeration of the hidden layer; TAP's error is O(W^3) as above (here below 2e-3 at W ~ 0.15/sqrt)."""
    rng = np.random.default_rng(2)
    nv, nh = 10, 4
    W = 0.15 * rng.standard_normal((nv, nh))
    b, c = 0.3 * rng.standard_normal(nv), 0.3 * rng.standard_normal(nh)
    bp = Bipartite(W, b, c, visible="gaussian", hidden="bernoulli")
    H = np.array(list(itertools.product([0.0, 1.0], repeat=nh)))
    field = b + H @ W.T
    log_z = logsumexp(H @ c + 0.5 * np.sum(field**2, axis=1)) - nh * np.log(2)
    r = tap(bp, tol=1e-13)
    assert r.converged
    assert abs(log_z - r.free_entropy) < 2e-3
    # the visible means are the exact conditional means given the hidden means, in mean field
    np.testing.assert_allclose(r.m[:nv], b + W @ r.m[nv:], atol=1e-10)


def test_many_starts_at_once_equal_the_single_solves():
    bp = _rbm(nv=20, nh=6, scale=1.5, seed=4)
    starts = np.random.default_rng(5).random((7, bp.n))
    batch = tap(bp, init=starts, tol=1e-12, max_iter=20000)
    assert batch.m.shape == (7, bp.n) and batch.converged.shape == (7,) and batch.free_entropy.shape == (7,)
    for k in range(7):
        single = tap(bp, init=starts[k], tol=1e-12, max_iter=20000)
        assert single.converged == batch.converged[k]
        if single.converged:
            np.testing.assert_allclose(batch.m[k], single.m, atol=1e-9)
            assert batch.free_entropy[k] == pytest.approx(single.free_entropy, abs=1e-9)
    phi = tap_free_entropy(bp, batch.m, batch.v)
    np.testing.assert_allclose(phi, batch.free_entropy, atol=1e-12)


def test_non_convergence_of_some_starts_is_reported():
    bp = _rbm(nv=20, nh=6, scale=1.5, seed=4)
    starts = np.random.default_rng(5).random((3, bp.n))
    with pytest.warns(ConvergenceWarning, match="of 3 starts"):
        r = tap(bp, init=starts, max_iter=2)
    assert not np.all(r.converged) and r.n_iter == 2
    with pytest.raises(ConvergenceError):
        tap(bp, init=starts, max_iter=2, strict=True)


def test_bad_input():
    W = np.ones((3, 2))
    with pytest.raises(ValueError, match="W must be"):
        Bipartite(np.ones(3))
    with pytest.raises(ValueError, match="W"):
        Bipartite(np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match="b must"):
        Bipartite(W, b=np.ones(2))
    with pytest.raises(ValueError, match="c must"):
        Bipartite(W, c=np.ones(3))
    with pytest.raises(ValueError, match="hidden must be one of"):
        Bipartite(W, hidden="potts")
    with pytest.raises(ValueError, match="beta"):
        Bipartite(W, beta=0.0)
    with pytest.raises(ValueError, match="same prior"):
        Bipartite(W, visible="gaussian").as_ising()
    with pytest.raises(ValueError, match="init must"):
        tap(Bipartite(W), init=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="order=3"):
        tap(Bipartite(W, visible="binary", hidden="binary"), order=3)
    assert isinstance(Bipartite(W).as_ising(), Ising)
