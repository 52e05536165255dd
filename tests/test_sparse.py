"""Compressed sensing: the Gauss-Bernoulli prior with a Gaussian channel, its MMSE, the
first-order transition and AMP across it.

Independent references: the scalar MMSE and free entropy of the sparse prior by
mpmath quadrature (20 digits, spike and slab integrated separately); the I-MMSE
relation (Guo, Shamai & Verdu 2005, IEEE Trans. Inf. Theory 51, 1261) between the
free entropy and the MMSE; Maxwell's equal-area rule on the curve of fixed points;
finite-size GAMP runs (Krzakala, Mezard, Sausset, Sun & Zdeborova 2012, J. Stat.
Mech. P08009, the phase diagram of Bayes-optimal compressed sensing).
"""

import warnings

import mpmath as mp
import numpy as np
import pytest
from scipy import integrate

import statmech_learn as sml
from statmech_learn.gibbs import BinaryPrior, GaussBernoulliPrior, GaussianNoise, GaussianPrior

RHO, DELTA = 0.1, 1e-4


def model(rho=RHO, delta=DELTA):
    return sml.TeacherStudent(GaussBernoulliPrior(rho), GaussianNoise(delta))


def scalar_reference(rho: float, snr: float):
    """MMSE and E log Z of y = sqrt(snr) w + xi, w ~ (1 - rho) delta_0 + rho N(0, 1), by mpmath.

    The observation's density is a two-component mixture; each component is
    integrated on its own, with breakpoints at the spike/slab switch of the
    posterior (where its log-odds vanish), so that the quadrature sees smooth pieces.
    Returns (mmse, E_y log Z) with Z(y) = int P0(w) exp(B w - snr w^2 / 2), B = sqrt(snr) y.
    """
    mp.mp.dps = 20
    r, g = mp.mpf(rho), mp.mpf(snr)
    s = 1 + g

    def log_odds(y):  # log of slab over spike posterior weight
        return mp.log(r) - mp.log(s) / 2 + g * y * y / (2 * s) - mp.log(1 - r)

    def var_post(y):
        pi = 1 / (1 + mp.exp(-log_odds(y)))
        mean = pi * mp.sqrt(g) * y / s
        return pi * (1 / s + g * y * y / s**2) - mean**2

    def log_z(y):  # log[(1 - r) + r / sqrt(s) exp(B^2 / (2 s))]
        return mp.log(1 - r) + mp.log(1 + mp.exp(log_odds(y)))

    pts = [-mp.inf, 0, mp.inf]
    arg = 2 * s / g * (mp.log((1 - r) / r) + mp.log(s) / 2)
    if arg > 0:
        ys = mp.sqrt(arg)
        pts = [-mp.inf, -ys - 1, -ys, -ys + 1, 0, ys - 1, ys, ys + 1, mp.inf]
        pts = sorted(set(pts))
    out = []
    for f in (var_post, log_z):
        spike = mp.quad(lambda y: mp.npdf(y) * f(y), pts)
        slab = mp.quad(lambda y: mp.npdf(y, 0, mp.sqrt(s)) * f(y), pts)
        out.append(float((1 - r) * spike + r * slab))
    return out


@pytest.mark.parametrize("rho", [0.01, 0.1, pytest.param(0.5, marks=pytest.mark.slow)])
def test_gauss_bernoulli_scalar_mmse_and_free_entropy_match_mpmath(rho):
    """m, q, V and psi of the Bayes-optimal scalar channel at SNR from 1e-2 to 1e4, to 1e-9 relative
    (the Bayes solver's 10-point panels and the default 16)."""
    prior = GaussBernoulliPrior(rho)
    for snr in np.geomspace(1e-2, 1e4, 7):
        mmse, elogz = scalar_reference(rho, snr)
        for order in (10, 16):
            out = prior.rs_teacher_student(snr, snr, snr, prior, panel_order=order)
            assert out["V"] == pytest.approx(mmse, rel=1e-9), (snr, order)
            # Nishimori: m = q = rho - mmse
            assert out["m"] == pytest.approx(rho - mmse, rel=1e-9, abs=1e-15)
            assert out["q"] == pytest.approx(rho - mmse, rel=1e-9, abs=1e-15)
            # psi = -mhat m + Vhat (q + V)/2 - qhat V / 2 + E A = -snr q / 2 + E A
            assert out["psi"] == pytest.approx(-0.5 * snr * (rho - mmse) + elogz, rel=1e-9, abs=1e-14)


def test_mismatched_student_against_two_dimensional_quadrature():
    """Ising student, Gaussian teacher: m = E w* tanh(B), q = E tanh^2 B, B = mhat w* + sqrt(qhat) xi,
    by scipy's adaptive 2-d quadrature over (w*, xi)."""
    mhat, qhat, vhat = 3.0, 2.0, 1.0
    out = BinaryPrior().rs_teacher_student(mhat, qhat, vhat, GaussianPrior())

    def expect(f):
        def g(xi, w):
            return f(w, np.tanh(mhat * w + np.sqrt(qhat) * xi)) * np.exp(-(w * w + xi * xi) / 2) / (2 * np.pi)

        return integrate.dblquad(g, -12, 12, -12, 12, epsabs=1e-12, epsrel=1e-12)[0]

    assert out["m"] == pytest.approx(expect(lambda w, t: w * t), rel=1e-9)
    assert out["q"] == pytest.approx(expect(lambda w, t: t * t), rel=1e-9)
    assert out["V"] == pytest.approx(expect(lambda w, t: 1 - t * t), rel=1e-9)


def test_solve_sparse_small_alpha_converges_without_warning():
    """Regression: alpha = 0.05, 0.1 were flagged unconverged (V = rho gave NaN at the grid end).
    A single fixed point there: both starts agree, the label says so."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        curve = sml.replica.solve(model(), np.array([1e-6, 0.05, 0.1]))
    assert np.all(curve.converged)
    assert list(curve.branch) == ["unique"] * 3
    # alpha -> 0: the MMSE tends to the prior variance rho
    assert curve.V[0] == pytest.approx(RHO, rel=1e-5)


@pytest.fixture(scope="module")
def sparse_transitions():
    return sml.replica.transitions(model(), (0.05, 1.0))


def test_sparse_transitions_are_ordered_and_bracket_coexistence(sparse_transitions):
    tr = sparse_transitions
    assert tr.first_order and tr.converged
    assert tr.alpha_spinodal_informed < tr.alpha_it < tr.alpha_spinodal
    # noiseless limit: the informed branch cannot exist below alpha = rho (fewer equations than
    # nonzero unknowns), and the algorithmic threshold is below 1 (Krzakala et al. 2012)
    assert tr.alpha_spinodal_informed > RHO and tr.alpha_spinodal < 1.0
    eps = 1e-3
    inside = sml.replica.solve_branches(model(), np.array([tr.alpha_spinodal_informed + eps, tr.alpha_spinodal - eps]))
    outside = sml.replica.solve_branches(model(), np.array([tr.alpha_spinodal_informed - eps, tr.alpha_spinodal + eps]))
    assert np.all(inside["informed"].V < 0.1 * inside["uninformed"].V)  # two branches
    np.testing.assert_allclose(outside["informed"].V, outside["uninformed"].V, rtol=1e-8)  # one


def test_equal_area_rule_at_alpha_it(sparse_transitions):
    r"""Maxwell's construction, with no free entropy computed: on the curve of fixed points
    parametrised by V, alpha(V) = qhat*(V) (V + Delta) with V_prior(qhat*) = V and the Gaussian
    channel's closed forms G(V) = 1/(V + Delta), d psi_out = -dV / (2 (V + Delta)); the two
    lobes cut by alpha = alpha_it have equal areas,
    :math:`\int_{V_i}^{V_u} (\alpha(V) - \alpha_{it})\, dV/(V + \Delta) = 0`."""
    from scipy.optimize import brentq

    tr = sparse_transitions
    prior = GaussBernoulliPrior(RHO)
    br = sml.replica.solve_branches(model(), tr.alpha_it)
    v_i, v_u = br["informed"].V, br["uninformed"].V

    def qhat_star(V):
        return np.exp(
            brentq(
                lambda lq: np.log(prior.rs_teacher_student(np.exp(lq), np.exp(lq), np.exp(lq), prior)["V"]) - np.log(V),
                -20,
                40,
                xtol=1e-14,
            )
        )

    def integrand(lv):  # in log V: dV / (V + Delta) = V dlv / (V + Delta)
        V = np.exp(lv)
        return (qhat_star(V) * (V + DELTA) - tr.alpha_it) * V / (V + DELTA)

    # composite Gauss-Legendre in log V: 8 panels of 12 nodes (the integrand is smooth there)
    x, w = np.polynomial.legendre.leggauss(12)
    edges = np.linspace(np.log(v_i), np.log(v_u), 9)
    nodes = (0.5 * (edges[1:, None] + edges[:-1, None]) + 0.5 * np.diff(edges)[:, None] * x).ravel()
    weights = (0.5 * np.diff(edges)[:, None] * w).ravel()
    vals = np.array([integrand(lv) for lv in nodes])
    area, scale = float(vals @ weights), float(np.abs(vals) @ weights)
    # the root is located to xtol in alpha; the areas then agree to ~ xtol * log(V_u / V_i)
    assert abs(area) <= 10 * tr.xtol * np.log(v_u / v_i) + 1e-9 * scale


@pytest.mark.parametrize("alpha", [0.2, pytest.param(0.3, marks=pytest.mark.slow)])
def test_i_mmse_relation_along_the_sparse_curve(alpha):
    r"""dPhi/dDelta = -alpha / (2 (V + Delta)) on every branch: the I-MMSE relation
    dI/dsnr = (alpha/2) mmse_z with the per-measurement MMSE V Delta/(V + Delta) and
    I = -Phi - (alpha/2) log(2 pi e Delta).  Central differences, relative step 1e-3."""
    eps = 1e-3
    lo = sml.replica.solve_branches(model(delta=DELTA * (1 - eps)), alpha)
    hi = sml.replica.solve_branches(model(delta=DELTA * (1 + eps)), alpha)
    mid = sml.replica.solve_branches(model(), alpha)
    for b in ("informed", "uninformed"):
        slope = (hi[b].free_entropy - lo[b].free_entropy) / (2 * eps * DELTA)
        assert slope == pytest.approx(-alpha / (2 * (mid[b].V + DELTA)), rel=2e-5), b
        # regression test error: rho - 2m + q + Delta = V + Delta on the Nishimori line
        assert mid[b].generalization_error == pytest.approx(mid[b].V + DELTA, rel=1e-12)


def test_gaussian_model_has_no_first_order_transition():
    tr = sml.replica.transitions(sml.TeacherStudent("gaussian", "gaussian"), (0.05, 5.0))
    assert not tr.first_order and np.isnan(tr.alpha_it) and np.isnan(tr.alpha_spinodal)
    assert "no first-order transition" in tr.message


def test_binary_perceptron_transitions_with_continuous_search():
    """Gyorgyi 1990 (alpha_it = 1.245) and Barbier et al. 2019 (alpha_alg = 1.493); perfect
    recovery is stable at every load, so there is no informed spinodal."""
    tr = sml.replica.transitions(sml.TeacherStudent("binary", "sign"), (0.5, 3.0))
    assert tr.alpha_it == pytest.approx(1.245, abs=5e-4)
    assert tr.alpha_spinodal == pytest.approx(1.493, abs=5e-4)
    assert np.isnan(tr.alpha_spinodal_informed) and tr.converged


def _amp_mse(alpha, n, seeds):
    out = []
    for s in seeds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sml.ConvergenceWarning)
            out.append(sml.replica.amp(model(), n=n, alpha=alpha, rng=s, n_iter=400).mse)
    return np.array(out)


@pytest.mark.parametrize(
    "n, n_instances",
    [(1000, 2), pytest.param(2000, 3, marks=pytest.mark.slow), pytest.param(4000, 4, marks=pytest.mark.slow)],
)
def test_amp_follows_state_evolution_across_the_sparse_transition(sparse_transitions, n, n_instances):
    """Between alpha_it and the algorithmic spinodal AMP stays near the uninformed MSE, far above
    the informed one; above the spinodal it reaches the informed MSE (n = 1000 by default; 2000
    and 4000 in the slow run).

    Tolerances: the MSE of one instance fluctuates by O(1/sqrt(n rho)) relative; the
    uninformed MSE at finite n is biased upwards near the spinodal (critical slowing down),
    so it is required within a factor 1 + 30/sqrt(n rho) of the state evolution (4 at n = 1000,
    2.5 at n = 4000), and 50x above the informed MSE."""
    tr = sparse_transitions
    a_hard = 0.5 * (tr.alpha_it + tr.alpha_spinodal) - 0.005
    a_easy = 0.3
    hard = sml.replica.solve_branches(model(), a_hard)
    easy = sml.replica.state_evolution(model(), a_easy, n_iter=500)
    mse_hard = _amp_mse(a_hard, n, range(n_instances))
    se_hard = sml.replica.state_evolution(model(), a_hard, n_iter=2000).V_history[-1]
    assert se_hard == pytest.approx(hard["uninformed"].V, rel=1e-6)
    assert np.all(mse_hard > 50 * hard["informed"].V)
    # near a spinodal the finite-n MSE relaxes slowly and scatters widely: a band that narrows
    # as 1/sqrt(n rho), the number of nonzero weights
    band = 1.0 + 30.0 / np.sqrt(n * RHO)
    assert np.all((mse_hard > se_hard / band) & (mse_hard < band * se_hard))
    mse_easy = _amp_mse(a_easy, n, range(n_instances))
    v_easy = easy.V_history[-1]
    assert abs(np.mean(mse_easy) - v_easy) <= 4 * v_easy / np.sqrt(n * RHO) + 3 * np.std(mse_easy)


def test_both_branches_are_found_next_to_the_spinodals(sparse_transitions):
    """Within 1e-5 of each spinodal the table of h misses the narrow bump or dip; it is resolved
    exactly.  Each branch is checked with the state-evolution map itself: one step leaves it in
    place and pulls a 1% perturbation back (a stable fixed point, not a root of the solver alone)."""
    tr = sparse_transitions
    a = np.array([tr.alpha_spinodal_informed + 1e-5, tr.alpha_spinodal - 1e-5])
    br = sml.replica.solve_branches(model(), a)
    assert np.all(br["informed"].converged & br["uninformed"].converged)
    for b in ("informed", "uninformed"):
        V = br[b].V
        # one step of the state-evolution map leaves V in place (a fixed point) ...
        step = sml.replica.state_evolution(model(), a, n_iter=1, V0=V).V_history[..., -1]
        np.testing.assert_allclose(step, V, rtol=1e-9)
        # ... and moves a 1% perturbation back towards it on both sides (a stable one)
        for f in (0.99, 1.01):
            moved = sml.replica.state_evolution(model(), a, n_iter=1, V0=f * V).V_history[..., -1]
            assert np.all(np.abs(moved - V) < np.abs(f * V - V)), (b, f)
    assert np.all(br["uninformed"].V > 10 * br["informed"].V)
