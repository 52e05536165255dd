"""The large-K limit of the Bayes-optimal sign committee machine (statmech_learn/replica/large_committee.py).

References
----------
Aubin, Maillard, Barbier, Krzakala, Macris & Zdeborova (2018), NeurIPS, arXiv:1806.05451, "The committee machine:
computational to statistical gaps in learning a two-layers neural network" (section on a large number of hidden
units: alpha = alpha_tilde K, committee-symmetric order parameters, first-order specialisation, AMP gap).
Schwarze & Hertz (1993), Europhys. Lett. 21, 785 (the large-K committee; Gibbs student).

Every reference value below is computed independently of the module: mpmath quadrature of the defining integrals,
closed forms, or direct sampling of the finite-K committee.
"""

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
from scipy.special import erf

import statmech_learn as sml
from statmech_learn.errors import ConvergenceError, ConvergenceWarning
from statmech_learn.replica.large_committee import (
    effective_overlap,
    large_committee_channel,
    large_committee_prior,
    large_committee_transition,
    solve_large_committee,
)

mp.mp.dps = 25


def _H(x):
    return mp.erfc(x / mp.sqrt(2)) / 2


def _mp_channel(Q):
    """Sign perceptron at overlap Q by mpmath: p = E sum_y (dZ)^2 / Z (per example), psi = E sum_y Z log Z."""
    Q = mp.mpf(Q)
    s = mp.sqrt(Q / (1 - Q))
    pts = [-mp.inf, -8 / s, -1 / s, 0, 1 / s, 8 / s, mp.inf]
    p = mp.quad(lambda t: mp.npdf(t) * mp.npdf(s * t) ** 2 * (1 / _H(s * t) + 1 / _H(-s * t)), pts) / (1 - Q)
    psi = mp.quad(lambda t: mp.npdf(t) * 2 * _H(s * t) * mp.log(_H(s * t)), pts)
    return p, psi


@pytest.mark.parametrize("Q", [0.05, 2 / math.pi, 0.9, 1 - 1e-6, 1 - 1e-12])
def test_channel_quadrature_against_mpmath(Q):
    p_ref, psi_ref = _mp_channel(Q)
    out = large_committee_channel(Q)
    assert abs(out["qhat"] / float(p_ref) - 1) < 1e-11
    assert abs(out["psi"] - float(psi_ref)) < 1e-12 * max(1.0, abs(float(psi_ref)))
    # the Bayes classifier's error, 1 - E max_y Z_out, against arccos(sqrt Q) / pi
    s = mp.sqrt(mp.mpf(Q) / (1 - mp.mpf(Q)))
    err = 2 * mp.quad(lambda t: mp.npdf(t) * _H(s * t), [0, 1 / s, 8 / s, mp.inf])
    assert abs(out["error"] - float(err)) < 1e-13


@pytest.mark.parametrize("qhat", [0.0, 0.3, 2.0, 30.0, 400.0])
def test_prior_maps_against_mpmath(qhat):
    g = large_committee_prior("gaussian", qhat)
    assert abs(g["q"] - qhat / (1 + qhat)) < 1e-15
    b = large_committee_prior("binary", qhat)
    qh = mp.mpf(qhat)
    if qhat == 0:
        assert b["q"] == 0 and abs(b["phi"]) < 1e-15
        return
    h = lambda t: qh + mp.sqrt(qh) * t  # noqa: E731
    pts = [-mp.inf, -mp.sqrt(qh) - 1, -mp.sqrt(qh), -mp.sqrt(qh) + 1, mp.inf]
    one_minus_q = mp.quad(lambda t: mp.npdf(t) * (1 - mp.tanh(h(t))), pts)
    logz = mp.quad(lambda t: mp.npdf(t) * mp.log(mp.cosh(h(t))), pts) - qh / 2
    # relative 1e-10 while the Gaussian mass beyond the rule's cut (|xi| > 12, 3.6e-33) is negligible
    assert abs(b["one_minus_q"] - float(one_minus_q)) <= 1e-10 * float(one_minus_q) + 1e-30
    assert abs(b["phi"] - float(logz - (1 - one_minus_q) * qh / 2)) < 1e-10


def test_effective_channel_against_sampling_the_committee_at_K_51():
    """The large-K reduction: for z ~ N(0, I_K) with omega ~ N(0, q), q = q_d I + q_a 11^T / K, the finite-K committee
    label y = sign(sum_k sign z_k) given omega has P(y = 1 | omega) -> H(-mu / sqrt(1 - Q)) with
    mu = sqrt(2/pi) sum_k omega_k / sqrt K + sum_k m(omega_k - mean omega) / sqrt K, m(t) = erf(t / sqrt(2(1 - q_d)))
    - sqrt(2/pi) t, Q = (2/pi)(q_a + arcsin q_d).  Checked by nested sampling at K = 51 (odd: no ties): the mean of
    (p_hat - p)^2 minus the binomial variance of p_hat must vanish up to O(1/K) (measured 4e-5 at K = 51, 1.2e-5 at
    K = 201 for q_d = 0.5, q_a = 0.4), and the Bayes error E min(p_hat, 1 - p_hat) must match arccos(sqrt Q)/pi
    within 4 standard errors plus the binomial bias ~ 1/sqrt(n) of the min; a wrong effective overlap (no arcsin:
    Q' = (2/pi)(q_a + q_d)) fails."""
    K, qd, qa, M, n = 51, 0.8, 0.15, 300, 1000
    rng = np.random.default_rng(2018)
    g = rng.standard_normal((M, K))
    eta = rng.standard_normal(M)
    om = np.sqrt(qd) * g + np.sqrt(qa / K) * eta[:, None]
    perp = om - om.mean(axis=1, keepdims=True)
    mu = np.sqrt(2 / np.pi) * om.sum(axis=1) / np.sqrt(K) + np.sum(
        erf(perp / np.sqrt(2 * (1 - qd))) - np.sqrt(2 / np.pi) * perp, axis=1
    ) / np.sqrt(K)
    Q = float(effective_overlap(qd, qa))
    assert abs(Q - 2 / np.pi * (qa + np.arcsin(qd))) < 1e-15
    p_hat = np.empty(M)
    for i in range(M):  # z | omega ~ N(omega, (1 - q_d) I - q_a 11^T / K), sampled exactly
        zeta = rng.standard_normal((n, K))
        nu = rng.standard_normal(n)
        u = np.sqrt(1 - qd) * (zeta - zeta.mean(axis=1, keepdims=True)) + np.sqrt(1 - qd - qa) * nu[:, None] / np.sqrt(
            K
        )
        p_hat[i] = np.mean(np.sum(np.sign(om[i] + u), axis=1) > 0)
    from statmech_learn.gaussian import H

    def excess(Qx):
        p = H(-mu / np.sqrt(1 - Qx))
        d = (p_hat - p) ** 2 - p * (1 - p) / n
        return d.mean(), d.std() / np.sqrt(M)

    d, se = excess(Q)
    assert abs(d) <= 5 * se + 5e-3 / K
    d_wrong, _ = excess(2 / np.pi * (qa + qd))
    assert d_wrong > 2 * (5 * se + 5e-3 / K)
    m = np.minimum(p_hat, 1 - p_hat)
    err = large_committee_channel(Q)["error"]
    assert abs(m.mean() - err) <= 4 * m.std() / np.sqrt(M) + 1 / np.sqrt(n)
    assert abs(err - np.arccos(np.sqrt(Q)) / np.pi) < 1e-14


def test_binary_transition_is_the_entropy_crossing():
    """Binary weights: perfect learning (q_d = 1, free entropy -log 2 per weight) against the non-specialised state
    (q_d = 0, Q = 2/pi, free entropy alpha_tilde * Psi_out(2/pi)): alpha_tilde_spec = log 2 / (-Psi_out(2/pi)),
    Psi_out by mpmath."""
    _, psi = _mp_channel(2 / mp.pi)
    ref = float(mp.log(2) / -psi)
    tr = large_committee_transition("binary")
    assert tr.converged and abs(tr.alpha_tilde_spec - ref) < 1e-11
    assert math.isnan(tr.alpha_tilde_spinodal) and tr.alpha_tilde_amp == math.inf
    assert tr.error_specialized == 0 and abs(tr.free_entropy_spec + math.log(2)) < 1e-14
    c = solve_large_committee("binary", [ref * (1 - 1e-4), ref * (1 + 1e-4)])
    assert list(c.branch) == ["non-specialized", "specialized"] and np.all(c.converged)
    assert c.q_diagonal[0] == 0 and c.q_diagonal[1] == 1 and c.generalization_error[1] == 0


def _quad_channel(Q):
    """The sign-perceptron channel by scipy.integrate.quad (adaptive; independent of the module's fixed rule)."""
    from scipy.integrate import quad
    from scipy.special import log_ndtr, ndtr

    s = math.sqrt(Q / (1 - Q))
    pts = [-8 / s, -1 / s, 0.0, 1 / s, 8 / s]

    def E(f):
        return sum(
            quad(
                lambda t: math.exp(-t * t / 2) / math.sqrt(2 * math.pi) * f(s * t),
                lo,
                hi,
                epsabs=0,
                epsrel=1e-13,
                limit=200,
            )[0]
            for lo, hi in zip([-12.0] + pts, pts + [12.0])
        )

    def d2h(x):  # phi(x)^2 / Phi(x) in log space
        return math.exp(-x * x - math.log(2 * math.pi) - log_ndtr(x))

    p = E(lambda x: d2h(x) + d2h(-x)) / (1 - Q)
    psi = E(lambda x: ndtr(x) * log_ndtr(x) + ndtr(-x) * log_ndtr(-x))
    return p, psi


def test_gaussian_transition_against_independent_quadrature():
    """Gaussian weights: the specialised branch parametrised by q_d, alpha(q_d) = [q_d/(1 - q_d)] /
    [(2/pi) p(Q) ((1 - q_d^2)^(-1/2) - 1)], Q = (2/pi)(1 - q_d + arcsin q_d); spinodal = min alpha(q_d);
    alpha_spec where 1/2 [qh/(1 + qh) - log(1 + qh)] + alpha (Psi(Q) - Psi(2/pi)) = 0, by adaptive quadrature
    (scipy.integrate.quad) and scipy's root finder / minimiser.  The solver's branch choice switches there, the
    specialised start fails below the spinodal and converges above it."""
    from scipy.optimize import brentq, minimize_scalar

    psi0 = _quad_channel(2 / math.pi)[1]

    def alpha_and_dphi(q):
        Q = 2 / math.pi * (1 - q + math.asin(q))
        p, psi = _quad_channel(Q)
        qh = q / (1 - q)
        a = qh / (2 / math.pi * p * (1 / math.sqrt(1 - q * q) - 1))
        return a, (qh / (1 + qh) - math.log1p(qh)) / 2 + a * (psi - psi0)

    q_star = brentq(lambda q: alpha_and_dphi(q)[1], 0.9, 0.97, xtol=1e-14)
    a_ref = alpha_and_dphi(q_star)[0]
    m = minimize_scalar(lambda q: alpha_and_dphi(q)[0], bounds=(0.7, 0.9), method="bounded", options={"xatol": 1e-9})
    a_sp_ref = m.fun
    tr = large_committee_transition("gaussian")
    assert tr.converged and tr.alpha_tilde_amp == math.inf
    assert abs(tr.alpha_tilde_spec - a_ref) < 1e-9 and abs(tr.q_diagonal_spec - q_star) < 1e-9
    assert abs(tr.alpha_tilde_spinodal - a_sp_ref) < 1e-9
    assert tr.alpha_tilde_spinodal < tr.alpha_tilde_spec
    a = tr.alpha_tilde_spec
    c = solve_large_committee("gaussian", [a - 1e-3, a + 1e-3], tol=1e-12)
    assert list(c.branch) == ["non-specialized", "specialized"] and np.all(c.converged)
    assert abs(c.q_diagonal[1] - tr.q_diagonal_spec) < 1e-3
    with pytest.warns(ConvergenceWarning, match="alpha_tilde"):
        below = solve_large_committee("gaussian", tr.alpha_tilde_spinodal - 0.01, init="specialized")
    assert not below.converged
    above = solve_large_committee("gaussian", tr.alpha_tilde_spinodal + 0.01, init="specialized")
    assert above.converged and above.q_diagonal > 0.5


def test_limits():
    """Non-specialised plateau: q_d = 0, q_a = 1 (the mean direction is learnt: alpha = alpha_tilde K -> inf),
    Q = 2/pi, error arccos(sqrt(2/pi))/pi, free entropy alpha_tilde Psi_out(2/pi), at every load below the
    transition (and as the metastable branch above it).  Specialised Gaussian branch: alpha_tilde * error ->
    sqrt(2/pi) / I0, I0 = int phi^2 / H (from 1 - q_d ~ alpha_tilde^-4; mpmath)."""
    _, psi0 = _mp_channel(2 / mp.pi)
    a = np.array([1e-6, 0.1, 1.0, 1.5])
    for prior in ("gaussian", "binary"):
        c = solve_large_committee(prior, a)
        assert np.all(c.converged) and np.all(c.q_diagonal == 0) and np.all(c.q_offdiagonal == 1)
        assert np.allclose(c.generalization_error, math.acos(math.sqrt(2 / math.pi)) / math.pi, atol=1e-14, rtol=0)
        assert np.allclose(c.free_entropy, a * float(psi0), atol=1e-13, rtol=1e-13)
        if prior == "gaussian":
            assert not np.any(c.specialized)
    n = solve_large_committee("gaussian", 50.0, init="non-specialized")
    assert n.q_diagonal == 0 and n.converged
    I0 = mp.quad(lambda x: mp.npdf(x) ** 2 / _H(x), [-mp.inf, 0, mp.inf])
    lim = float(mp.sqrt(2 / mp.pi) / I0)
    s = solve_large_committee("gaussian", [1e2, 1e4, 1e6], tol=1e-12)
    assert np.all(s.specialized) and np.all(s.converged)
    prod = s.alpha_tilde * s.generalization_error
    assert abs(prod[2] / lim - 1) < 1e-4 and abs(prod[1] / lim - 1) < 1e-3
    assert np.all(np.diff(s.generalization_error) < 0)


def test_bad_input():
    with pytest.raises(ValueError, match="alpha_tilde must be > 0, got -1"):
        solve_large_committee("gaussian", -1.0)
    with pytest.raises(ValueError, match="alpha_tilde must be > 0"):
        solve_large_committee("gaussian", [1.0, 0.0])
    with pytest.raises(ValueError, match="alpha_tilde must be finite, got nan"):
        solve_large_committee("gaussian", float("nan"))
    with pytest.raises(ValueError, match="alpha_tilde must be in"):
        solve_large_committee("binary", 1e12)
    with pytest.raises(ValueError, match="prior must be one of 'gaussian', 'binary', got 'spherical'"):
        solve_large_committee("spherical", 1.0)
    with pytest.raises(ValueError, match="prior must be one of"):
        large_committee_transition("relu")
    with pytest.raises(ValueError, match="tol must be finite and > 0, got 0"):
        solve_large_committee("gaussian", 1.0, tol=0)
    with pytest.raises(ValueError, match="tol must be >= 1e-14"):
        solve_large_committee("gaussian", 1.0, tol=1e-20)
    with pytest.raises(ValueError, match="max_iter must be >= 1, got 0"):
        solve_large_committee("gaussian", 1.0, max_iter=0)
    with pytest.raises(ValueError, match="max_iter must be an integer"):
        solve_large_committee("gaussian", 1.0, max_iter=2.5)
    with pytest.raises(ValueError, match="damping must be a number in \\[0, 1\\), got 1"):
        solve_large_committee("gaussian", 1.0, damping=1)
    with pytest.raises(ValueError, match="init must be one of"):
        solve_large_committee("gaussian", 1.0, init="informed")
    with pytest.raises(ValueError, match="strict must be True or False"):
        solve_large_committee("gaussian", 1.0, strict="yes")
    with pytest.raises(ValueError, match="Q must be in \\[0, 1\\]"):
        large_committee_channel(1.5)
    with pytest.raises(ValueError, match="q_diagonal must be in \\[0, 1\\]"):
        effective_overlap(-0.1)
    with pytest.raises(ValueError, match="qhat must be >= 0"):
        large_committee_prior("binary", -1.0)


def test_non_convergence_is_reported():
    with pytest.warns(ConvergenceWarning, match="did not converge .*max_iter 1"):
        c = solve_large_committee("gaussian", [8.0, 10.0], init="specialized", max_iter=1)
    assert not np.any(c.converged) and np.all(c.n_iter == 1) and np.all(c.residual > 0)
    with pytest.raises(ConvergenceError) as info:
        solve_large_committee("gaussian", 8.0, init="specialized", max_iter=1, strict=True)
    assert info.value.result is not None and not info.value.result.converged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok = solve_large_committee("gaussian", 8.0)
    assert ok.converged and ok.branch == "specialized" and ok.prior == "gaussian"
    assert set(ok.to_dict()) >= {
        "alpha_tilde",
        "q_diagonal",
        "q_offdiagonal",
        "free_entropy",
        "generalization_error",
        "specialized",
        "branch",
        "converged",
        "n_iter",
        "residual",
        "prior",
        "model",
    }


def test_squared_error_against_mpmath():
    """The squared error of the posterior-mean label, 1/2 E (y - yhat)^2 = 2 E H(x) H(-x), x = sqrt(Q/(1-Q)) xi
    (Aubin et al.'s convention), against mpmath at three overlaps, and at K = 1 against the finite-K committee's
    error at the same overlap (both are the sign perceptron's)."""
    mp.mp.dps = 25
    for Q in (2 / np.pi, 0.3, 0.99):
        t = mp.sqrt(mp.mpf(Q) / (1 - mp.mpf(Q)))
        ref = 2 * mp.quad(lambda x: mp.npdf(x) * mp.ncdf(-t * x) * mp.ncdf(t * x), [-mp.inf, 0, mp.inf])
        assert abs(large_committee_channel(Q)["squared_error"] - float(ref)) < 1e-12
        q = np.array([[Q]])
        finite = sml.channels.Committee(1).rs_bayes(q)["error"]
        assert abs(finite - float(ref)) < 1e-10
