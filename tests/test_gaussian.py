"""Gaussian tails and quadrature against mpmath and closed forms."""

import mpmath as mp
import numpy as np
import pytest

from statmech_learn.gaussian import (
    H,
    expect_normal,
    expect_normal_2d,
    gauss_hermite,
    hazard,
    log_H,
    normal_expectation,
)

mp.mp.dps = 50


def _mp_log_H(x):
    x = mp.mpf(x)
    if x < 0:  # log(1 - H(-x)) without losing the tiny H(-x)
        return mp.log1p(-mp.erfc(-x / mp.sqrt(2)) / 2)
    return mp.log(mp.erfc(x / mp.sqrt(2)) / 2)


@pytest.mark.parametrize("x", [-37.0, -20.0, -5.0, -1.0, -1e-8, 0.0, 1e-8, 0.5, 3.0, 10.0, 25.0, 40.0])
def test_log_H_matches_mpmath(x):
    ref = _mp_log_H(x)
    got = log_H(x)
    assert np.isfinite(got)
    # relative accuracy ~1e-13 (scipy's erfc/erfcx are accurate to a few ulp)
    assert abs(got - float(ref)) <= 1e-13 * abs(float(ref)) + 1e-300


def test_log_H_finite_deep_tail():
    x = np.array([40.0, 100.0, 1e3])
    out = log_H(x)
    assert np.all(np.isfinite(out))
    # asymptotics log H(x) = -x^2/2 - log(x sqrt(2 pi)) + O(1/x^2)
    asym = -0.5 * x**2 - np.log(x * np.sqrt(2 * np.pi))
    assert np.all(np.abs(out - asym) < 1.01 / x**2)


@pytest.mark.parametrize("x", [-30.0, -3.0, 0.0, 2.0, 15.0, 40.0])
def test_hazard_is_minus_derivative_of_log_H(x):
    mpx = mp.mpf(x)
    ref = mp.npdf(mpx) / (mp.erfc(mpx / mp.sqrt(2)) / 2)
    assert hazard(x) == pytest.approx(float(ref), rel=1e-13)
    # and the derivative identity through central differences of log_H
    h = 1e-5
    fd = -(log_H(x + h) - log_H(x - h)) / (2 * h)
    assert hazard(x) == pytest.approx(fd, rel=1e-7, abs=1e-12)


def test_H_symmetry_and_values():
    x = np.linspace(-8, 8, 33)
    np.testing.assert_allclose(H(x) + H(-x), 1.0, rtol=0, atol=1e-15)
    assert H(0.0) == 0.5


def test_gauss_hermite_exact_on_polynomials():
    # E z^{2k} = (2k-1)!!, exact for degree <= 2*order - 1
    order = 10
    z, w = gauss_hermite(order)
    for k in range(order):
        expected = float(np.prod(np.arange(2 * k - 1, 0, -2))) if k else 1.0
        assert np.sum(w * z ** (2 * k)) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="order"):
        gauss_hermite(0)


@pytest.mark.parametrize("a,b", [(0.0, 1.0), (1.5, 0.7), (-2.0, 2.0), (4.0, 0.3)])
def test_expect_normal_closed_forms(a, b):
    # E H(a + b z) = H(a / sqrt(1 + b^2))  (Gaussian convolution of a Gaussian tail)
    got = expect_normal(lambda z: H(a + b * z), order=64)
    assert got == pytest.approx(H(a / np.sqrt(1 + b * b)), abs=1e-13)
    # E exp(s z) = exp(s^2 / 2)
    assert expect_normal(lambda z: np.exp(b * z), order=64) == pytest.approx(np.exp(b * b / 2), rel=1e-13)


def test_expect_normal_log_H_against_mpmath():
    a, b = 1.0, 1.5
    ref = mp.quad(lambda t: mp.npdf(t) * _mp_log_H(a + b * t), [-mp.inf, -a / b, mp.inf])
    got = expect_normal(lambda z: log_H(a + b * z), order=64)
    assert got == pytest.approx(float(ref), abs=1e-12)


def test_expect_normal_vectorised_over_parameters():
    a = np.array([0.0, 1.0, 2.0])
    got = expect_normal(lambda z: H(a[:, None] + z), order=48)
    np.testing.assert_allclose(got, H(a / np.sqrt(2)), atol=1e-13)


@pytest.mark.parametrize("rho", [0.0, 0.3, -0.8, 0.99])
def test_expect_normal_2d_orthant_probability(rho):
    # P(u > 0, v > 0) = 1/4 + arcsin(rho)/(2 pi) (Sheppard); smooth version: E H(-u)H(-v)
    # E[H(-u) H(-v)] = P(u + e1 > 0, v + e2 > 0) with unit-variance noise: correlation rho/2
    cov = [[1.0, rho], [rho, 1.0]]
    got = expect_normal_2d(lambda u, v: H(-u) * H(-v), cov, order=40)
    assert got == pytest.approx(0.25 + np.arcsin(rho / 2) / (2 * np.pi), abs=1e-12)
    # second moments exactly
    assert expect_normal_2d(lambda u, v: u * v, cov, order=4) == pytest.approx(rho, abs=1e-14)


def test_expect_normal_2d_rejects_bad_cov():
    with pytest.raises(ValueError, match="cov"):
        expect_normal_2d(lambda u, v: u, [[1.0, 2.0], [2.0, 1.0]])


@pytest.mark.parametrize("one_minus_q", [0.5, 1e-3, 1e-6, 1e-10])
@pytest.mark.parametrize("kappa", [0.0, 0.5])
def test_normal_expectation_sharp_channel_integral(one_minus_q, kappa):
    """E_t log H((kappa - sqrt(q) t)/sqrt(1-q)) against mpmath with the same breakpoint."""
    q = 1 - one_minus_q
    sq, sv = mp.sqrt(mp.mpf(q)), mp.sqrt(mp.mpf(one_minus_q))
    t0 = kappa / sq
    f = lambda t: mp.npdf(t) * _mp_log_H((kappa - sq * t) / sv)  # noqa: E731
    ref = mp.quad(f, [-mp.inf, t0 - 50 * sv, t0 - sv, t0, t0 + sv, t0 + 50 * sv, mp.inf])
    got = normal_expectation(
        lambda t: log_H((kappa - np.sqrt(q) * t) / np.sqrt(one_minus_q)),
        center=kappa / np.sqrt(q),
        width=np.sqrt(one_minus_q / q),
    )
    assert got == pytest.approx(float(ref), rel=1e-12)


@pytest.mark.parametrize("qhat", [0.1, 10.0, 1e4, 1e8, 1e12])
def test_normal_expectation_sharp_tanh(qhat):
    s = mp.sqrt(mp.mpf(qhat))
    ref = mp.quad(lambda t: mp.npdf(t) * mp.sech(s * t) ** 2, [-mp.inf, -10 / s, 0, 10 / s, mp.inf])
    sech2 = lambda t: 1.0 / np.cosh(np.minimum(np.abs(np.sqrt(qhat) * t), 300.0)) ** 2  # noqa: E731
    got = normal_expectation(sech2, 0.0, min(1.0, 1 / np.sqrt(qhat)))
    assert got == pytest.approx(float(ref), rel=1e-12)
