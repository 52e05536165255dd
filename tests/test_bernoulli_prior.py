"""The {0, 1} Bernoulli prior: A, f_a, f_v against direct sums and symbolic derivatives."""

import numpy as np
import pytest
import sympy as sp

from statmech_learn.gibbs import BernoulliPrior, make_prior


@pytest.mark.parametrize("p", [0.5, 0.1, 0.9])
def test_against_the_two_term_sum(p):
    """A = log sum_{w in {0,1}} P0(w) exp(Bw - Lam w^2/2); f_a and f_v its tilted mean and variance."""
    prior = BernoulliPrior(p)
    B = np.array([-3.0, -0.4, 0.0, 0.7, 5.0])
    Lam = np.array([0.0, 1.3, -2.0, 0.5, 4.0])
    w = np.array([0.0, 1.0])
    P0 = np.array([1 - p, p])
    weights = P0 * np.exp(B[:, None] * w - 0.5 * Lam[:, None] * w**2)
    Z = weights.sum(1)
    mean = (weights * w).sum(1) / Z
    assert np.allclose(prior.log_partition(B, Lam), np.log(Z), rtol=1e-14, atol=1e-15)
    assert np.allclose(prior.mean(B, Lam), mean, rtol=1e-14)
    assert np.allclose(prior.variance(B, Lam), mean - mean**2, rtol=1e-12)


def test_derivatives_symbolically():
    """f_a = dA/dB and f_v = d^2A/dB^2 with sympy, at rational points."""
    b, lam, p = sp.symbols("B Lambda p", real=True)
    A = sp.log((1 - p) + p * sp.exp(b - lam / 2))
    prior = BernoulliPrior(0.3)
    for bv, lv in [(0.25, -1.5), (-2.0, 0.5), (1.0, 3.0)]:
        subs = {b: sp.Rational(str(bv)), lam: sp.Rational(str(lv)), p: sp.Rational(3, 10)}
        assert float(A.subs(subs)) == pytest.approx(float(prior.log_partition(bv, lv)), rel=1e-14)
        assert float(sp.diff(A, b).subs(subs)) == pytest.approx(float(prior.mean(bv, lv)), rel=1e-14)
        assert float(sp.diff(A, b, 2).subs(subs)) == pytest.approx(float(prior.variance(bv, lv)), rel=1e-12)


def test_extremes_are_finite_and_teacher_side():
    prior = make_prior("bernoulli")
    assert prior.log_partition(800.0, 0.0) == pytest.approx(800.0 - np.log(2.0), rel=1e-15)
    assert prior.log_partition(-800.0, 0.0) == pytest.approx(-np.log(2.0), rel=1e-15)
    assert prior.mean(800.0, 0.0) == 1.0 and prior.mean(-800.0, 0.0) == 0.0
    assert prior.variance(800.0, 0.0) >= 0.0
    assert prior.second_moment == 0.5 and prior.entropy == pytest.approx(np.log(2.0))
    x = BernoulliPrior(0.2).sample(100_000, rng=0)
    assert set(np.unique(x)) == {0.0, 1.0} and abs(x.mean() - 0.2) < 4 * np.sqrt(0.16 / 1e5)
    for bad in (0.0, 1.0, -0.1, float("nan")):
        with pytest.raises(ValueError, match="^p must"):
            BernoulliPrior(bad)
