"""Replica-symmetric teacher-student equations: published values, closed forms and limits."""

import warnings

import numpy as np
import pytest
from scipy.integrate import quad

import statmech_learn as sml
from statmech_learn.errors import ConvergenceError, ConvergenceWarning
from statmech_learn.gibbs import GaussianNoise, NoisySign, Probit
from tests.reference import published as ref

R = sml.replica


def test_bayes_optimal_spherical_perceptron_large_alpha():
    """alpha * eps_g -> 0.442 (Bayes) and 0.625 (Gibbs, T -> 0): Opper & Haussler 1991."""
    alpha = np.array([200.0, 1000.0])
    bo = R.solve(sml.TeacherStudent(prior="gaussian", channel="sign"), alpha)
    assert np.all(bo.converged)
    # the 1/alpha^2 correction is below 1e-3 at alpha = 200
    np.testing.assert_allclose(alpha * bo.generalization_error, ref.BAYES_EPS_ALPHA, atol=1.5e-3)
    # Gibbs learning through its own (mismatched-channel) equations; the finite-alpha
    # correction to alpha * eps_g is -5e-4 at alpha = 100 (0.6223 at 20, 0.6243 at 50)
    gibbs = R.solve(sml.TeacherStudent(prior="gaussian", channel="sign", student=sml.Gibbs(1e-3)), 100.0)
    assert gibbs.converged
    assert 100.0 * gibbs.generalization_error == pytest.approx(ref.GIBBS_EPS_ALPHA, abs=1e-3)


def test_gibbs_zero_temperature_samples_the_posterior():
    """T -> 0 Gibbs learning is a posterior sample of the Bayes-optimal problem (Nishimori: m_Gibbs = q_BO)."""
    alpha = np.array([0.5, 2.0, 6.0])
    bo = R.solve(sml.TeacherStudent(prior="gaussian", channel="sign"), alpha)
    gibbs = R.solve(sml.TeacherStudent(prior="gaussian", channel="sign", student=sml.Gibbs(1e-3)), alpha)
    np.testing.assert_allclose(gibbs.m, bo.q, rtol=1e-6)
    np.testing.assert_allclose(gibbs.Q, 1.0, rtol=1e-9)  # error counting is scale invariant: the norm is the prior's
    assert np.all(gibbs.generalization_error >= bo.generalization_error)


def test_gibbs_error_increases_with_temperature_and_tends_to_half():
    alpha = 3.0
    eps = [
        R.solve(sml.TeacherStudent(channel="sign", student=sml.Gibbs(T)), alpha).generalization_error
        for T in (0.05, 0.5, 2.0, 50.0)
    ]
    assert all(a < b for a, b in zip(eps, eps[1:]))
    assert eps[-1] == pytest.approx(0.5, abs=0.02)


def test_binary_perceptron_transitions():
    """Gyorgyi's first-order transition at 1.245 and the AMP spinodal at 1.493, to 3 decimals."""
    pt = R.transitions(sml.TeacherStudent(prior="binary", channel="sign"), (1.0, 2.0))
    assert pt.converged
    assert pt.alpha_it == pytest.approx(ref.ALPHA_IT_BINARY_PERCEPTRON, abs=5e-4)
    assert pt.alpha_spinodal == pytest.approx(ref.ALPHA_SPINODAL_BINARY_PERCEPTRON, abs=5e-4)


def test_binary_perceptron_branches():
    bo = sml.TeacherStudent(prior="binary", channel="sign")
    br = R.solve_branches(bo, np.array([1.0, 1.3, 1.6]))
    u, i = br["uninformed"], br["informed"]
    # informed branch: perfect recovery, free entropy -log 2 (Z -> P0(w*) = 2^-N)
    np.testing.assert_allclose(i.q, 1.0)
    np.testing.assert_allclose(i.free_entropy, -np.log(2.0), rtol=1e-12)
    # uninformed branch exists below the spinodal only, with larger free entropy below alpha_it
    assert u.q[0] < 0.8 and u.q[1] < 0.9 and u.q[2] == 1.0
    assert u.free_entropy[0] > -np.log(2.0) > u.free_entropy[1]
    curve = R.solve(bo, np.array([1.0, 1.3, 1.6]))
    # above the spinodal both starts reach perfect recovery: one fixed point
    assert list(curve.branch) == ["uninformed", "informed", "unique"]
    assert curve.generalization_error[1] == 0.0


def _mp_logdet(alpha, delta):
    """E (1/N) log det(I + X^T X/(N delta)), X of shape (alpha N, N): Marchenko-Pastur integral."""
    y = 1.0 / alpha  # eigenvalues of X^T X / P follow MP with ratio y = N/P, scaled by alpha for X^T X / N
    lo, hi = (1 - np.sqrt(y)) ** 2, (1 + np.sqrt(y)) ** 2

    def density(lam):
        return np.sqrt(max((hi - lam) * (lam - lo), 0.0)) / (2 * np.pi * y * lam)

    bulk = quad(
        lambda lam: density(lam) * np.log1p(alpha * lam / delta), lo, hi, epsabs=1e-13, epsrel=1e-12, limit=200
    )[0]
    weight = min(1.0, alpha)  # the atom at 0 (mass 1 - alpha for alpha < 1) contributes log 1 = 0
    return weight * bulk / quad(density, lo, hi, epsabs=1e-14, limit=200)[0]


@pytest.mark.parametrize("alpha,delta", [(0.5, 0.1), (1.0, 0.5), (2.5, 0.2), (4.0, 1.0)])
def test_gaussian_linear_free_entropy_is_minus_mutual_information(alpha, delta):
    """Phi = (1/N) E log p(y|X) = -I(w; y|X)/N - (alpha/2) log(2 pi e delta), with
    I/N = (1/2) E (1/N) log det(I + X^T X/(N delta)) (Gaussian channel capacity; Verdu & Shamai 1999)."""
    model = sml.TeacherStudent(prior="gaussian", channel=GaussianNoise(delta))
    curve = R.solve(model, alpha)
    mutual_info = 0.5 * _mp_logdet(alpha, delta)
    expected = -mutual_info - 0.5 * alpha * np.log(2 * np.pi * np.e * delta)
    assert curve.converged
    assert curve.free_entropy == pytest.approx(expected, rel=1e-8, abs=1e-10)
    # MMSE: V^2 + V (delta + alpha - 1) - delta = 0 (closed form of the scalar fixed point)
    b = delta + alpha - 1
    mmse = 0.5 * (-b + np.sqrt(b * b + 4 * delta))
    assert pytest.approx(mmse, rel=1e-9) == curve.V


def test_noisy_channels_are_harder():
    alpha = np.array([1.0, 4.0])
    clean = R.solve(sml.TeacherStudent(channel="sign"), alpha).generalization_error
    flip = R.solve(sml.TeacherStudent(channel=NoisySign(0.1)), alpha).generalization_error
    probit = R.solve(sml.TeacherStudent(channel=Probit(0.3)), alpha).generalization_error
    assert np.all(flip > clean) and np.all(probit > clean)
    # no information in the labels at flip = 1/2 - tiny: the error stays at 1/2
    assert R.solve(sml.TeacherStudent(channel=NoisySign(0.4999999)), 3.0).generalization_error == pytest.approx(
        0.5, abs=1e-3
    )


def test_gauss_bernoulli_limits():
    model = sml.TeacherStudent(prior=sml.priors.GaussBernoulliPrior(0.2), channel=GaussianNoise(1e-2))
    curve = R.solve(model, np.array([1e-3, 0.5, 2.0]))
    assert np.all(curve.converged)
    assert curve.V[0] == pytest.approx(0.2, rel=1e-2)  # no data: MMSE = prior variance rho
    assert curve.V[2] < 2e-2  # many measurements: small error


def test_vectorised_equals_scalar_and_iteration():
    model = sml.TeacherStudent(prior="binary", channel="sign")
    alphas = np.array([0.3, 0.9, 1.2])
    vec = R.solve(model, alphas)
    for k, a in enumerate(alphas):
        one = R.solve(model, a)
        assert one.q == pytest.approx(vec.q[k], rel=1e-10)
    it = R.solve(model, alphas, method="iterate", init="uninformed", tol=1e-12)
    np.testing.assert_allclose(it.q, vec.q, rtol=1e-8)
    cont = R.solve(sml.TeacherStudent(channel="sign", student=sml.Gibbs(0.3)), alphas, continuation=True)
    plain = R.solve(sml.TeacherStudent(channel="sign", student=sml.Gibbs(0.3)), alphas)
    np.testing.assert_allclose(cont.m, plain.m, rtol=1e-8)
    d = vec.to_dict()
    assert len(d["q"]) == 3 and "ReplicaCurve(" in repr(vec)


def test_non_convergence_reported_and_strict_raises():
    model = sml.TeacherStudent(channel="sign", student=sml.Gibbs(0.5))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        curve = R.solve(model, np.array([1.0, 2.0]), max_iter=2)
    assert not np.any(curve.converged)
    assert any(issubclass(w.category, ConvergenceWarning) and "alpha = [1. 2.]" in str(w.message) for w in caught)
    with pytest.raises(ConvergenceError) as err:
        R.solve(model, 1.0, max_iter=2, strict=True)
    assert err.value.result is not None


@pytest.mark.parametrize(
    "build,match",
    [
        (lambda: R.solve(sml.TeacherStudent(), -1.0), "alpha must be > 0, got -1"),
        (lambda: sml.Gibbs(temperature=0.0), "temperature must be > 0, got 0"),
        (lambda: sml.ERM(loss="logistic", l2=-0.1), "l2 must be >= 0, got -0.1"),
        (lambda: sml.ERM(loss="cauchy"), "loss must be .*'square'.*'logistic'.*'hinge'.*got 'cauchy'"),
        (lambda: NoisySign(0.5), r"flip must be in \[0, 0.5\), got 0.5"),
        (lambda: NoisySign(-0.1), r"flip must be in \[0, 0.5\)"),
        (lambda: sml.TeacherStudent(prior="laplace"), "prior must be .*'gauss-bernoulli'.*got 'laplace'"),
        (lambda: sml.TeacherStudent(channel="relu"), "channel must be .*'probit'.*got 'relu'"),
        (lambda: sml.TeacherStudent(student="bayes"), "student must be"),
        (lambda: sml.TeacherStudent(channel=GaussianNoise(0.5), student=sml.Gibbs(1.0)), "labels ±1"),
        (lambda: R.transitions(sml.TeacherStudent(student=sml.Gibbs(1.0))), "Bayes-optimal"),
    ],
)
def test_bad_input(build, match):
    with pytest.raises(ValueError, match=match):
        build()
