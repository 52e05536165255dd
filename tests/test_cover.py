"""Cover's counting theorem against brute force and exact rational arithmetic."""

import itertools
from fractions import Fraction
from math import comb

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.stats import norm

from statmech_learn import capacity


def _separable_lp(X, y):
    """Independent check: exists w with y_mu x_mu . w >= 1 (LP feasibility)."""
    A = -(y[:, None] * X)
    res = linprog(np.zeros(X.shape[1]), A_ub=A, b_ub=-np.ones(len(y)), bounds=(None, None), method="highs")
    return res.status == 0


@pytest.mark.parametrize("p,n", [(4, 2), (5, 2), (6, 3), (7, 3), (5, 4), (3, 5), (8, 2)])
def test_cover_count_by_brute_force(p, n):
    """Count separable dichotomies of p Gaussian points (general position a.s.) by
    enumerating all 2^p labellings, each decided by an LP."""
    rng = np.random.default_rng(p * 10 + n)
    X = rng.normal(size=(p, n))
    count = sum(_separable_lp(X, np.array(lab)) for lab in itertools.product([-1.0, 1.0], repeat=p))
    assert capacity.cover_count(p, n) == count


def test_cover_count_small_values():
    assert capacity.cover_count(4, 2) == 8
    assert capacity.cover_count(3, 5) == 8  # p <= n: every dichotomy
    assert capacity.cover_count(1, 1) == 2
    # Cover (1965): C(2n, n) = 2^{2n-1}
    for n in (1, 5, 50):
        assert capacity.cover_count(2 * n, n) == 2 ** (2 * n - 1)


def test_cover_count_is_exact_big_integer():
    p, n = 3001, 1400
    expected = 2 * sum(comb(p - 1, k) for k in range(n))
    assert capacity.cover_count(p, n) == expected


@pytest.mark.parametrize("p,n", [(150, 100), (200, 100), (260, 100), (400, 100), (2100, 1000), (3000, 1000)])
def test_cover_fraction_against_exact_rational(p, n):
    exact = Fraction(capacity.cover_count(p, n), 2**p)
    assert capacity.cover_fraction(p, n) == pytest.approx(float(exact), rel=1e-12)
    assert np.exp(capacity.log_cover_fraction(p, n)) == pytest.approx(float(exact), rel=1e-10)


def test_cover_fraction_exactly_half_at_twice_n():
    for n in (1, 100, 998, 12345, 500_000):
        assert capacity.cover_fraction(2 * n, n) == 0.5


def test_cover_fraction_large_p_no_overflow():
    f = capacity.cover_fraction(10**6, 10)
    assert f == 0.0 or f > 0  # underflows gracefully, never NaN
    lf = capacity.log_cover_fraction(10**6, 10)
    # dominant term: log C(p-1, n-1) + log 2 - p log 2
    from scipy.special import gammaln

    m, k = 10**6 - 1, 9
    lead = gammaln(m + 1) - gammaln(k + 1) - gammaln(m - k + 1) + np.log(2) - 10**6 * np.log(2)
    assert lf == pytest.approx(lead, rel=1e-9)
    near = capacity.cover_fraction(np.array([999_000, 1_000_000, 1_001_000]), 500_000)
    assert np.all(np.isfinite(near)) and near[1] == 0.5 and near[0] > 0.5 > near[2]


def test_cover_fraction_vectorised_and_limits():
    p = np.array([50, 100, 130, 300])
    out = capacity.cover_fraction(p, 100)
    assert out[0] == 1.0 and out[1] == 1.0 and out[2] < 1.0
    np.testing.assert_allclose(out, [capacity.cover_fraction(int(x), 100) for x in p], rtol=1e-15)


def test_transition_width_against_exact_fraction():
    """10%-90% width of the finite-n step from the CLT form, checked on the exact fraction."""
    n = 100_000
    alphas = np.linspace(1.98, 2.02, 4001)
    f = capacity.cover_fraction(np.round(alphas * n).astype(int), n)
    a90 = np.interp(-0.9, -f, alphas)
    a10 = np.interp(-0.1, -f, alphas)
    assert capacity.cover_transition_width(n) == pytest.approx(a10 - a90, rel=0.01)
    assert capacity.cover_transition_width(100) == pytest.approx((norm.ppf(0.9) - norm.ppf(0.1)) * np.sqrt(0.02))


@pytest.mark.parametrize(
    "p,n,match", [(0, 3, "p must be >= 1"), (3, 0, "n must be >= 1"), (2.5, 3, "p must be an integer")]
)
def test_bad_input(p, n, match):
    with pytest.raises(ValueError, match=match):
        capacity.cover_count(p, n)
    with pytest.raises(ValueError, match=match.replace("an integer", "an integer")):
        capacity.cover_fraction(p, n)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(low=0.9, high=0.1), "low must be < high, got low = 0.9 and high = 0.1"),
        (dict(low=0.5, high=0.5), "low must be < high"),
        (dict(low=0.0), "low must be in \\(0, 1\\), got 0"),
        (dict(high=1.0), "high must be in \\(0, 1\\), got 1"),
        (dict(low=-0.1), "low must be in \\(0, 1\\)"),
        (dict(high=1.5), "high must be in \\(0, 1\\)"),
        (dict(low=float("nan")), "low must be finite"),
        (dict(high=float("inf")), "high must be finite"),
    ],
)
def test_transition_width_refuses_bad_levels(kwargs, match):
    """cover_transition_width(50, low=0.9, high=0.1) used to return a negative width."""
    with pytest.raises(ValueError, match=match):
        capacity.cover_transition_width(50, **kwargs)


def test_transition_width_any_levels_positive_and_symmetric():
    """For levels symmetric about 1/2, the width is 2 Phi^{-1}(high) sqrt(2/n) (CLT form)."""
    for low, high in ((0.1, 0.9), (0.25, 0.75), (0.01, 0.99)):
        w = capacity.cover_transition_width(50, low=low, high=high)
        assert w > 0
        assert w == pytest.approx(2 * norm.ppf(high) * np.sqrt(2 / 50), rel=1e-12)
