"""Bayes-optimal GAMP on finite instances against its state evolution, closed-form
fixed points and the published phase diagram of the binary perceptron."""

import dataclasses
import json
import warnings

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import brentq

from statmech_learn.errors import ConvergenceError, ConvergenceWarning
from statmech_learn.gaussian import log_H
from statmech_learn.gibbs import GaussianNoise, GaussianPrior, Sign
from statmech_learn.replica import ERM, AMPRun, Gibbs, TeacherStudent, amp, solve, state_evolution

# Binary prior, sign teacher (noiseless Ising perceptron): information-theoretic
# transition alpha_IT = 1.245 (Gyorgyi 1990, Phys. Rev. A 41, 7097) and the
# algorithmic (AMP) spinodal alpha_sp = 1.493 (Barbier, Krzakala, Macris, Miolane &
# Zdeborova 2019, PNAS 116, 5451).
ALPHA_IT_BINARY = 1.245
ALPHA_SP_BINARY = 1.493

GAUSS_SIGN = TeacherStudent(prior="gaussian", channel="sign")
BINARY_SIGN = TeacherStudent(prior="binary", channel="sign")
DELTA = 0.5
GAUSS_LINEAR = TeacherStudent(prior=GaussianPrior(1.0), channel=GaussianNoise(DELTA))

N = 2000
# Overlaps of one instance fluctuate by O(1/sqrt(N)) around the state evolution
# (measured standard deviation 0.005-0.02 at N = 2000); 5/sqrt(N) = 0.11 on the mean
# of a few instances is a bound of well over 5 standard deviations, and still far
# below the O(1) gaps between branches that the tests below tell apart.
TOL_N = 5.0 / np.sqrt(N)


def _runs(model, alpha, seeds, n=N, **kw):
    return [amp(model, n=n, alpha=alpha, rng=s, tol=1e-6, **kw) for s in seeds]


def _linear_mmse(alpha, delta):
    """MMSE of Bayesian linear regression with a N(0, 1) prior and i.i.d. Gaussian
    inputs: the positive root of V^2 + (delta + alpha - 1) V - delta = 0, fixed point of
    V = 1/(1 + alpha/(delta + V)) (e.g. Krzakala et al. 2012, J. Stat. Mech. P08009;
    Tulino & Verdu 2004, random-matrix MMSE)."""
    b = delta + alpha - 1.0
    return 0.5 * (-b + np.sqrt(b * b + 4.0 * delta))


def _bayes_sign_overlap(alpha):
    """Bayes-optimal overlap of the Gaussian-prior sign perceptron,
    q / sqrt(1 - q) = (alpha/pi) int Dt exp(-q t^2/2) / H(-sqrt(q) t)
    (Opper & Haussler 1991; Engel & Van den Broeck 2001, ch. 3), by direct quadrature."""

    def f(q):
        integrand = lambda t: np.exp(-0.5 * (1 + q) * t * t - log_H(-np.sqrt(q) * t)) / np.sqrt(2 * np.pi)  # noqa: E731
        return q / np.sqrt(1 - q) - alpha / np.pi * quad(integrand, -40, 40, epsabs=1e-13, epsrel=1e-12)[0]

    return brentq(f, 1e-9, 1 - 1e-12, xtol=1e-14)


# --- state evolution ------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.5, 2.0, 5.0])
def test_state_evolution_of_linear_regression_is_the_scalar_recursion(alpha):
    """Gaussian prior and channel: V_{t+1} = 1/(1 + alpha/(Delta + V_t)) step by step
    (Bayati & Montanari 2011), and the fixed point is the closed-form MMSE."""
    se = state_evolution(GAUSS_LINEAR, alpha, n_iter=60)
    V = [1.0]
    for _ in range(60):
        V.append(1.0 / (1.0 + alpha / (DELTA + V[-1])))
    # the channel average is a 40-node Gauss-Hermite rule, exact for this quadratic
    # integrand; the trajectory stops once a step changes V by less than tol = 1e-10
    # (relative), which bounds the difference from the unstopped recursion by ~1e-10
    np.testing.assert_allclose(se.V_history, V, rtol=1e-9)
    np.testing.assert_allclose(se.q_history, 1.0 - np.array(V), rtol=1e-9, atol=1e-12)
    assert se.converged
    assert 1.0 - se.q == pytest.approx(_linear_mmse(alpha, DELTA), rel=1e-9)


@pytest.mark.parametrize("alpha", [1.0, 3.0])
def test_state_evolution_fixed_point_of_gaussian_sign_perceptron(alpha):
    """Fixed point = the Bayes-optimal overlap equation of Opper & Haussler, solved
    here by adaptive quadrature.  Tolerance 1e-9: the stopping rule (relative change of
    V below 1e-10) and the composite quadrature of the replica code (measured 1e-11)."""
    se = state_evolution(GAUSS_SIGN, alpha, n_iter=300)
    assert se.converged
    assert se.q == pytest.approx(_bayes_sign_overlap(alpha), abs=1e-9)
    assert np.all(np.diff(se.q_history) >= -1e-12)  # the uninformed trajectory only gains information


def test_state_evolution_brackets_the_binary_spinodal():
    """From the uninformed start the state evolution stays on the uninformed branch
    below alpha_sp = 1.493 and reaches perfect recovery above it (Barbier et al. 2019)."""
    alphas = np.array([ALPHA_SP_BINARY - 0.02, ALPHA_SP_BINARY + 0.02])
    se = state_evolution(BINARY_SIGN, alphas, n_iter=1000)
    assert np.all(se.converged)
    assert se.q[0] < 0.9
    assert se.q[1] == 1.0


def test_state_evolution_is_vectorised_and_agrees_with_the_replica_solver():
    alphas = [0.7, 1.0, 1.35]
    se = state_evolution(BINARY_SIGN, alphas, n_iter=200)
    assert se.q_history.shape == (3, 201) and se.V_history.shape == (3, 201)
    for k, a in enumerate(alphas):
        one = state_evolution(BINARY_SIGN, a, n_iter=200)
        np.testing.assert_allclose(se.q_history[k], one.q_history, rtol=1e-13, atol=1e-15)
        np.testing.assert_array_equal(se.m_history[k], se.q_history[k])
    # same fixed point as the damped solver from its uninformed start
    curve = solve(BINARY_SIGN, alphas, init="uninformed", tol=1e-12)
    np.testing.assert_allclose(se.q, curve.q, atol=1e-8)


def test_state_evolution_from_an_informed_start_finds_perfect_recovery():
    """Between alpha_IT and alpha_sp both branches are stable: the hard phase."""
    alpha = 0.5 * (ALPHA_IT_BINARY + ALPHA_SP_BINARY)
    assert state_evolution(BINARY_SIGN, alpha, n_iter=200).q < 0.9
    assert state_evolution(BINARY_SIGN, alpha, n_iter=200, V0=1e-3).q == 1.0


# --- GAMP against the state evolution --------------------------------------------


@pytest.mark.parametrize(
    "model, alpha",
    [
        pytest.param(GAUSS_SIGN, 1.0, id="gaussian-sign-1"),
        pytest.param(GAUSS_SIGN, 3.0, id="gaussian-sign-3"),
        pytest.param(BINARY_SIGN, 1.0, id="binary-sign-1"),
    ],
)
def test_amp_overlaps_follow_state_evolution(model, alpha):
    runs = _runs(model, alpha, seeds=[11, 12, 13])
    assert all(r.converged for r in runs)
    se = state_evolution(model, alpha, n_iter=300)
    m = np.mean([r.m for r in runs])
    q = np.mean([r.q for r in runs])
    assert abs(m - se.q) < TOL_N
    assert abs(q - se.q) < TOL_N
    # one state-evolution step is one GAMP iteration: the first few iterates follow the trajectory
    early = np.mean([r.m_history[1:6] for r in runs], axis=0)
    np.testing.assert_allclose(early, se.q_history[1:6], atol=TOL_N)
    eg = np.mean([r.generalization_error for r in runs])
    assert eg == pytest.approx(np.arccos(np.sqrt(se.q)) / np.pi, abs=TOL_N)


def test_amp_mse_of_linear_regression():
    """MSE of GAMP = the MMSE of the closed form; test error adds the noise Delta."""
    alpha = 2.0
    runs = _runs(GAUSS_LINEAR, alpha, seeds=[21, 22, 23])
    mmse = _linear_mmse(alpha, DELTA)
    assert np.mean([r.mse for r in runs]) == pytest.approx(mmse, abs=TOL_N)
    assert np.mean([r.generalization_error for r in runs]) == pytest.approx(mmse + DELTA, abs=TOL_N)
    # for a Gaussian posterior the mean variance is the expected squared error (Nishimori)
    for r in runs:
        assert r.v_history[-1] == pytest.approx(r.mse, abs=TOL_N)


def test_binary_perceptron_hard_phase_and_perfect_recovery():
    """Between alpha_IT = 1.245 and alpha_sp = 1.493 GAMP stays on the uninformed
    branch (m ~ 0.76, far from 1); above alpha_sp it recovers the teacher
    (Barbier et al. 2019).  Two instances each, N = 4000 (about 6 s with one BLAS thread)."""
    n = 4000
    se = state_evolution(BINARY_SIGN, 1.35, n_iter=300).q
    for r in _runs(BINARY_SIGN, 1.35, seeds=[0, 1], n=n):
        assert r.converged and r.m < 0.9
        assert abs(r.m - se) < 5.0 / np.sqrt(n)
    for r in _runs(BINARY_SIGN, 1.6, seeds=[0, 1], n=n):
        assert r.converged and r.m > 0.99
        assert r.generalization_error < 0.01


def test_binary_perceptron_informed_start_stays_on_the_informed_branch():
    """At alpha = 1.35 the perfect-recovery fixed point exists but is not reached from
    the prior: started next to the teacher, GAMP stays there."""
    run = amp(BINARY_SIGN, n=N, alpha=1.35, rng=3, init="informed")
    assert run.converged and run.m > 0.999
    assert run.m_history[0] > 0.999  # starts at w* + 1e-3 noise


def test_damped_amp_with_label_noise_reaches_the_state_evolution_fixed_point():
    """Binary prior, labels flipped with probability 0.1: damped GAMP ends at the
    uninformed fixed point of the state evolution (damping changes the path, not the end)."""
    model = TeacherStudent(prior="binary", channel="noisy-sign")
    runs = _runs(model, 2.0, seeds=[31, 32, 33], damping=0.3)
    assert all(r.converged for r in runs)
    se = state_evolution(model, 2.0, n_iter=500)
    assert se.converged
    assert abs(np.mean([r.m for r in runs]) - se.q) < TOL_N
    assert abs(np.mean([r.q for r in runs]) - se.q) < TOL_N


def test_damping_does_not_move_the_fixed_point():
    plain, damped = (amp(GAUSS_SIGN, n=500, alpha=1.5, rng=5, tol=1e-10, damping=d) for d in (0.0, 0.5))
    assert plain.converged and damped.converged
    assert damped.n_iter > plain.n_iter
    assert damped.m == pytest.approx(plain.m, abs=1e-8)
    assert damped.q == pytest.approx(plain.q, abs=1e-8)


# --- instance, reproducibility, failures -------------------------------------------


def test_same_seed_same_history_and_instance_order():
    a = amp(BINARY_SIGN, n=300, alpha=1.2, rng=7)
    b = amp(BINARY_SIGN, n=300, alpha=1.2, rng=np.random.default_rng(7))
    c = amp(BINARY_SIGN, n=300, alpha=1.2, rng=8)
    np.testing.assert_array_equal(a.m_history, b.m_history)
    assert not np.array_equal(a.m_history[:5], c.m_history[:5])
    # documented draw order: w*, then X, then y
    g = np.random.default_rng(7)
    w = BINARY_SIGN.prior.sample(300, g)
    X = g.standard_normal((360, 300))
    y = np.where(X @ w >= 0, 1.0, -1.0)
    d = amp(BINARY_SIGN, n=300, alpha=1.2, X=X, y=y, w_star=w)
    np.testing.assert_array_equal(a.m_history, d.m_history)
    # without the teacher the estimate is the same, its overlap with w* unknown
    e = amp(BINARY_SIGN, n=300, alpha=1.2, X=X, y=y)
    np.testing.assert_array_equal(a.q_history, e.q_history)
    assert np.isnan(e.m) and np.isnan(e.mse) and np.isnan(e.generalization_error)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(alpha=0.0), "alpha"),
        (dict(alpha=-1.0), "alpha"),
        (dict(n=0), "n"),
        (dict(n=2.5), "n"),
        (dict(damping=1.0), "damping"),
        (dict(init="warm"), "init"),
        (dict(n_iter=0), "n_iter"),
        (dict(X=np.zeros((10, 10))), "X"),
        (dict(X=np.zeros((60, 50)), y=np.zeros(59)), "y"),
        (dict(y=np.zeros(60)), "y"),
        (dict(w_star=np.zeros(49)), "w_star"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, name):
    args = dict(model=BINARY_SIGN, n=50, alpha=1.2, rng=0) | kwargs
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        amp(**args)


@pytest.mark.parametrize(
    "model",
    [
        TeacherStudent("binary", "sign", student=Gibbs(0.5)),
        TeacherStudent("gaussian", "sign", student=ERM("logistic", 0.1)),
        TeacherStudent("binary", "sign", student_prior="gaussian"),
        "binary",
    ],
    ids=["gibbs", "erm", "mismatched", "not-a-model"],
)
def test_non_bayes_optimal_model_is_rejected(model):
    with pytest.raises(ValueError, match="model"):
        amp(model, n=50, alpha=1.0)
    with pytest.raises(ValueError, match="model"):
        state_evolution(model, 1.0)


def test_state_evolution_bad_input():
    with pytest.raises(ValueError, match="alpha"):
        state_evolution(BINARY_SIGN, [1.0, 0.0])
    with pytest.raises(ValueError, match="V0"):
        state_evolution(BINARY_SIGN, 1.0, V0=2.0)
    with pytest.raises(ValueError, match="n_iter"):
        state_evolution(BINARY_SIGN, 1.0, n_iter=0)


def test_non_convergence_is_reported():
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        run = amp(GAUSS_SIGN, n=200, alpha=1.0, rng=0, n_iter=3)
    assert not run.converged and run.n_iter == 3 and len(run.m_history) == 4
    assert run.residual > 1e-8
    with pytest.raises(ConvergenceError) as info:
        amp(GAUSS_SIGN, n=200, alpha=1.0, rng=0, n_iter=3, strict=True)
    assert isinstance(info.value.result, AMPRun)
    np.testing.assert_array_equal(info.value.result.m_history, run.m_history)


class _BrokenSign(Sign):
    """A sign channel whose g_out turns to NaN from the third call on."""

    def __init__(self):
        super().__init__()
        object.__setattr__(self, "_calls", [0])

    def g_out(self, y, omega, V):
        self._calls[0] += 1
        g = super().g_out(y, omega, V)
        return g if self._calls[0] < 3 else np.full_like(g, np.nan)

    def __eq__(self, other):
        return other is self

    __hash__ = object.__hash__


def test_nan_is_caught_and_the_last_finite_iterate_kept():
    channel = _BrokenSign()
    model = TeacherStudent(prior="gaussian", channel=channel)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        run = amp(model, n=200, alpha=1.0, rng=0)
    assert not run.converged and "non-finite" in run.message
    assert run.n_iter == 2 and np.isnan(run.residual)
    assert np.all(np.isfinite(run.m_history)) and np.isfinite(run.m)


def test_result_is_frozen_and_serialisable():
    run = amp(GAUSS_SIGN, n=100, alpha=1.0, rng=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.m = 0.0
    d = json.loads(json.dumps(run.to_dict()))
    assert d["n"] == 100 and len(d["m_history"]) == run.n_iter + 1
    assert "AMPRun(" in repr(run)
    se = state_evolution(GAUSS_SIGN, [1.0, 2.0], n_iter=10)
    assert json.loads(json.dumps(se.to_dict()))["n_iter"] == 10


def test_amp_generalization_error_uses_the_instance_teacher_norm():
    """Regression: n = 300, alpha = 8 once reported exactly 0 (m = 0.991 > sqrt(rho q) with the
    prior's rho = 1).  The error of the estimate is arccos(m / sqrt(rho_N q)) / pi with the
    instance's |w*|^2 / N, computed here from the returned estimate's overlaps."""
    rng = np.random.default_rng(0)
    w_star = rng.standard_normal(300)
    run = amp(GAUSS_SIGN, n=300, alpha=8.0, rng=1, w_star=w_star, tol=1e-6)
    rho_n = w_star @ w_star / 300
    assert run.m <= np.sqrt(rho_n * run.q)
    assert run.generalization_error == pytest.approx(np.arccos(run.m / np.sqrt(rho_n * run.q)) / np.pi, rel=1e-12)
    assert run.generalization_error > 0
    # regression: the test MSE on a fresh noisy label is mse + Delta
    w_lin = rng.standard_normal(400)
    lin = amp(GAUSS_LINEAR, n=400, alpha=2.0, rng=2, w_star=w_lin, tol=1e-8)
    assert lin.generalization_error == pytest.approx(lin.mse + DELTA, rel=1e-10)


def test_amp_generalization_error_mean_matches_theory_within_its_error_bar():
    """Over 8 instances (n = 500, alpha = 3) the mean error is the Bayes-optimal replica value
    within 3 standard errors plus an O(1/n) finite-size allowance."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        eg = np.array([amp(GAUSS_SIGN, n=500, alpha=3.0, rng=s, tol=1e-6).generalization_error for s in range(8)])
    theory = solve(GAUSS_SIGN, 3.0).generalization_error
    se = eg.std(ddof=1) / np.sqrt(eg.size)
    assert abs(eg.mean() - theory) <= 3 * se + 1.0 / 500
    assert np.all(eg > 0)
