"""Low-level kernels outside their domain (issue 7, item 11).

Priors: A = +inf (never a finite number, never a spurious NaN) where the integral
diverges, f_a and f_v NaN there.  Channels: V < 0 gives NaN, V = 0 the V -> 0+
limit, a tiny V stays finite (and accurate) where the limit is finite.  NaN in,
NaN out.  :func:`hazard_gap` against mpmath and its series against sympy.

Every expected value is independent of the code under test: closed forms,
mpmath at high precision, or sympy.
"""

from __future__ import annotations

import itertools
import warnings

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from scipy.special import expit, log_ndtr

from statmech_learn.gaussian import _GAP_SERIES, hazard_gap
from statmech_learn.gibbs.channels import ErrorCounting, GaussianNoise, Margin, NoisySign, Probit, Sign
from statmech_learn.gibbs.losses import Loss, LossChannel
from statmech_learn.gibbs.priors import (
    BernoulliPrior,
    BinaryPrior,
    GaussBernoulliPrior,
    GaussianPrior,
    L2Penalty,
    SphericalPrior,
)

INF, NAN = np.inf, np.nan
SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)


# mpmath references --------------------------------------------------------------


def _mills(x):
    """x R(x) and x^2 (1 - x R(x)) for x > 0, R = H/phi the Mills ratio, from
    x R(x) = int_0^inf e^(-s - c s^2) ds, c = 1/(2x^2): no cancellation, valid for huge x
    (where mpmath's erfc is not)."""
    c = 1 / (2 * x * x)

    def f(u):  # (1 - e^-u)/u
        return -mp.expm1(-u) / u if u > 0 else mp.mpf(1)

    xR = mp.quad(lambda s: mp.exp(-s - c * s * s), [0, 1, 10, mp.inf])
    rest = mp.quad(lambda s: s * s * mp.exp(-s) * f(c * s * s), [0, 1, 10, mp.inf]) / 2
    return xR, rest


def mp_gap(x, quadrature=None) -> mp.mpf:
    """r(x) (r(x) - x), r = phi/H, to 30 digits: with erfc and guard digits for the
    cancellation (2 log10 x) and for mpmath's erfc at large arguments (20) up to x = 1e8,
    beyond (or if ``quadrature``) as x^2 (1 - xR)/(xR)^2."""
    x = mp.mpf(x)
    if quadrature or (quadrature is None and x > 1e8):
        with mp.workdps(40):
            xR, rest = _mills(x)
            return +(rest / (xR * xR))
    with mp.workdps(50 + 2 * int(mp.log10(1 + abs(x)))):
        r = mp.npdf(x) / (mp.erfc(x / mp.sqrt(2)) / 2)
        return +(r * (r - x))


def mp_log_H(x) -> float:
    x = mp.mpf(x)
    with mp.workdps(40):
        if x > 1e8:  # log H = log phi + log R
            return float(-x * x / 2 - mp.log(mp.sqrt(2 * mp.pi) * x) + mp.log(_mills(x)[0]))
        return float(mp.log(mp.erfc(x / mp.sqrt(2)) / 2))


def test_the_two_mpmath_references_agree():
    for x in (1.5, 40.0, 1e6):
        a, b = mp_gap(x, quadrature=False), mp_gap(x, quadrature=True)
        with mp.workdps(40):
            assert abs(a - b) < mp.mpf(10) ** -28 * abs(b)


def mp_mixed(a, b, y, omega, V):
    """log Z, g, dg of Z = a + b H(-y omega / sqrt V) (labels +-1), at 60 digits."""
    with mp.workdps(60):
        a, b, y, omega, V = (mp.mpf(v) for v in (a, b, y, omega, V))
        sv = mp.sqrt(V)
        x = -y * omega / sv
        Z = a + b * mp.erfc(x / mp.sqrt(2)) / 2
        g = b * y * mp.npdf(x) / (sv * Z)
        dg = g * (x * y / sv - g)
        if x < 0:  # Z = (a + b) - b H(-x): log1p keeps a tiny log Z
            log_Z = mp.log(a + b) + mp.log1p(-b * mp.erfc(-x / mp.sqrt(2)) / 2 / (a + b))
        else:
            log_Z = mp.log(Z)
        return float(log_Z), float(g), float(dg)


# hazard_gap -----------------------------------------------------------------------


def test_hazard_gap_matches_mpmath():
    """Relative error below 1e-13 over [-37, 1e6] (normal numbers), including both sides of
    the switch to the asymptotic series at x = 12; the underflowing tail below -37.5 is ~0."""
    xs = np.concatenate(
        [np.linspace(-37.0, 40.0, 309), np.geomspace(1.0, 1e6, 121), [11.999999, 12.0, 12.000001, 1e3 + 0.5]]
    )
    ref = np.array([float(mp_gap(x)) for x in xs])
    np.testing.assert_allclose(hazard_gap(xs), ref, rtol=1e-13, atol=0)
    tail = np.linspace(-40.0, -37.5, 11)
    ref_tail = np.array([float(mp_gap(x)) for x in tail])
    np.testing.assert_allclose(hazard_gap(tail), ref_tail, rtol=0, atol=1e-300)


def test_hazard_gap_is_one_minus_truncated_variance():
    """1 - Var(z | z > x) by mpmath quadrature of the truncated normal, at a few points."""
    for x in (-3.0, -0.5, 0.0, 1.7, 6.0):
        with mp.workdps(30):
            H = mp.quad(mp.npdf, [x, mp.inf])
            m1 = mp.quad(lambda t: t * mp.npdf(t), [x, mp.inf]) / H
            m2 = mp.quad(lambda t: t * t * mp.npdf(t), [x, mp.inf]) / H
            ref = float(1 - (m2 - m1 * m1))
        assert float(hazard_gap(x)) == pytest.approx(ref, rel=1e-13)


def test_hazard_gap_series_coefficients_from_sympy():
    """The coefficients c_k of hazard_gap ~ sum_k c_k x^(-2k), rederived from sympy's asymptotic
    expansion of erfc: with S(t) = x H(x)/phi(x) as a series in t = 1/x^2,
    r = x/S and r (r - x) = (1 - S)/(t S^2)."""
    n = len(_GAP_SERIES)
    m = n + 1  # one more, to bound the truncation
    x = sp.symbols("x", positive=True)
    erfcx = sp.series(sp.exp(x**2) * sp.erfc(x), x, sp.oo, 2 * m + 4).removeO()
    S = sp.expand(sp.sqrt(sp.pi / 2) * x * erfcx.subs(x, x / sp.sqrt(2)))  # x H/phi
    s = [sp.nsimplify(S.coeff(x, -2 * k)) for k in range(m + 1)]
    assert s[:4] == [1, -1, 3, -15]  # (-1)^k (2k-1)!!
    num = [-c for c in s[1:]]  # (1 - S)/t
    S2 = [sum(s[i] * s[k - i] for i in range(k + 1)) for k in range(m)]
    inv = [sp.Integer(1)]  # 1/S^2 (S2[0] = 1)
    for k in range(1, m):
        inv.append(-sum(S2[j] * inv[k - j] for j in range(1, k + 1)))
    coeffs = [sum(num[i] * inv[k - i] for i in range(k + 1)) for k in range(m)]
    assert coeffs[:5] == [1, -1, 6, -50, 518]
    assert all(c.is_integer for c in coeffs)
    assert [float(c) for c in coeffs[:n]] == [float(c) for c in _GAP_SERIES]
    # the first omitted term at the switch to the series (x = 12) is below double precision
    assert abs(float(coeffs[n])) / 12.0 ** (2 * n) < 1e-17


def test_hazard_gap_special_values():
    assert np.isnan(hazard_gap(NAN))
    assert hazard_gap(INF) == 1.0
    assert hazard_gap(-INF) == 0.0
    assert np.shape(hazard_gap(3.0)) == ()
    assert np.shape(hazard_gap(30.0)) == ()
    out = hazard_gap(np.array([[1e300, NAN], [-1.0, 50.0]]))
    assert out.shape == (2, 2) and np.isnan(out[0, 1]) and out[0, 0] == 1.0


# Priors -----------------------------------------------------------------------------


DIVERGENT = [
    (GaussianPrior(1.0), 0.5, -1.0),
    (GaussianPrior(1.0), 0.0, -1.0),  # was 0/0 + inf = NaN
    (GaussianPrior(1.0), 1.0, -2.0),  # was a NaN from log1p(-1 - 1)
    (GaussianPrior(2.0), 1.0, -0.5),  # Lambda + 1/sigma^2 = 0
    (SphericalPrior(), 0.3, -1.5),
    (GaussBernoulliPrior(0.3), 0.0, -1.0),
    (GaussBernoulliPrior(0.3), 2.0, -1.5),
    (GaussBernoulliPrior(1.0), 0.5, -3.0),
    (L2Penalty(0.1), 0.5, -1.0),  # the reported case: was -0.139
    (L2Penalty(0.1), 0.0, -1.0),
    (L2Penalty(0.1), 1.0, -0.1),  # Lambda + l2 = 0, B != 0: max_w B w is unbounded
    (L2Penalty(0.0), -1.0, 0.0),
]


@pytest.mark.parametrize("prior,B,Lam", DIVERGENT, ids=lambda v: repr(v))
def test_divergent_log_partition_is_plus_inf(prior, B, Lam):
    assert prior.log_partition(B, Lam) == INF
    assert np.isnan(prior.mean(B, Lam))
    assert np.isnan(prior.variance(B, Lam))


def test_l2_penalty_flat_maximum():
    """max_w [0 w - 0 w^2/2] = 0, attained everywhere: A = 0, no unique maximiser (NaN)."""
    p = L2Penalty(0.1)
    assert p.log_partition(0.0, -0.1) == 0.0
    assert np.isnan(p.mean(0.0, -0.1)) and np.isnan(p.variance(0.0, -0.1))


def _mp_prior_A(density, B, Lam):
    with mp.workdps(30):
        return float(mp.log(mp.quad(lambda w: density(w) * mp.exp(B * w - Lam * w * w / 2), [-mp.inf, 0, mp.inf])))


@pytest.mark.parametrize(
    "prior,density",
    [
        (GaussianPrior(1.0), lambda w: mp.npdf(w)),
        (GaussianPrior(2.0), lambda w: mp.npdf(w, 0, mp.sqrt(2))),
    ],
)
def test_gaussian_prior_across_the_boundary(prior, density):
    """A vector of Lambda crossing the boundary: +inf beyond it, the defining integral
    (mpmath quadrature) inside it, even close to it."""
    edge = -1.0 / prior.variance_
    Lam = np.array([edge - 1.0, edge, edge + 0.05, edge + 0.5, 0.3])
    B = 0.7
    got = prior.log_partition(B, Lam)
    assert got[0] == INF and got[1] == INF
    ref = [_mp_prior_A(density, B, lam) for lam in Lam[2:]]
    np.testing.assert_allclose(got[2:], ref, rtol=1e-12)
    assert np.isnan(prior.mean(B, Lam)[:2]).all() and np.isfinite(prior.mean(B, Lam)[2:]).all()


def test_gauss_bernoulli_across_the_boundary():
    rho, B = 0.3, -0.4
    prior = GaussBernoulliPrior(rho)
    Lam = np.array([-2.0, -1.0, -0.9, 0.0, 2.0])
    got = prior.log_partition(B, Lam)
    assert got[0] == INF and got[1] == INF
    for lam, val in zip(Lam[2:], got[2:]):
        with mp.workdps(30):
            slab = mp.quad(lambda w: mp.npdf(w) * mp.exp(B * w - lam * w * w / 2), [-mp.inf, 0, mp.inf])
            ref = float(mp.log((1 - rho) + rho * slab))
        assert val == pytest.approx(ref, rel=1e-12)


def test_l2_penalty_across_the_boundary():
    """max_w [B w - (Lambda + l2) w^2/2] = B^2 / (2 (Lambda + l2)) where Lambda + l2 > 0."""
    p = L2Penalty(0.25)
    Lam = np.array([-1.0, -0.25, 0.0, 1.0])
    got = p.log_partition(np.array([[2.0], [0.0]]), Lam)
    np.testing.assert_array_equal(got, [[INF, INF, 8.0, 1.6], [INF, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(p.mean(2.0, Lam), [NAN, NAN, 8.0, 1.6])
    np.testing.assert_array_equal(p.variance(2.0, Lam), [NAN, NAN, 4.0, 0.8])


def test_binary_prior_is_defined_for_every_lambda():
    B, Lam = 0.7, -5.0
    assert BinaryPrior().log_partition(B, Lam) == pytest.approx(np.log(np.cosh(B)) - Lam / 2, rel=1e-15)


PRIORS = [
    GaussianPrior(1.5),
    SphericalPrior(),
    GaussBernoulliPrior(0.2),
    L2Penalty(0.1),
    BinaryPrior(),
    BernoulliPrior(0.3),
]


@pytest.mark.parametrize("prior", PRIORS, ids=repr)
def test_priors_nan_in_nan_out(prior):
    for Lam in (0.5, -5.0):  # inside and (except for the binary prior) outside the domain
        assert np.isnan(prior.log_partition(NAN, Lam))
        assert np.isnan(prior.mean(NAN, Lam))
    for fn in (prior.log_partition, prior.mean, prior.variance):
        if isinstance(prior, BinaryPrior) and fn != prior.log_partition:
            continue  # tanh B and 1 - tanh^2 B do not depend on Lambda
        assert np.isnan(fn(0.5, NAN))
    if isinstance(prior, (GaussBernoulliPrior, BinaryPrior, BernoulliPrior)):
        assert np.isnan(prior.variance(NAN, 0.5))


# Channels: V < 0, NaN ------------------------------------------------------------------


CHANNELS = [
    Sign(),
    Margin(0.5),
    NoisySign(0.2),
    NoisySign(0.0),
    ErrorCounting(2.0),
    Probit(0.2),
    GaussianNoise(0.5),
    LossChannel("square"),
    LossChannel("logistic"),
    LossChannel("hinge"),
]
METHODS = ("log_partition", "g_out", "dg_out")


@pytest.mark.parametrize("channel", CHANNELS, ids=repr)
def test_negative_variance_is_nan(channel):
    for method in METHODS:
        fn = getattr(channel, method)
        assert np.isnan(fn(1.0, 0.3, -1.0))
        assert np.isnan(fn(-1.0, -0.3, -1e-300))
        got = fn(np.array([1.0, 1.0, -1.0]), 0.3, np.array([-0.5, 0.5, -2.0]))
        assert np.isnan(got[[0, 2]]).all() and np.isfinite(got[1])


def test_reported_cases():
    assert np.isnan(LossChannel("logistic").log_partition(1, 0.3, V=-1))  # was -0.67
    assert Sign().g_out(1, 0.3, 0) == 0.0  # was NaN
    assert np.isnan(Probit(0.2).log_partition(1, 0.3, -0.1))  # V + Delta > 0, still V < 0


@pytest.mark.parametrize("channel", CHANNELS, ids=repr)
def test_channels_nan_in_nan_out(channel):
    for method, V in itertools.product(METHODS, (0.7, 0.0)):
        fn = getattr(channel, method)
        if not (isinstance(channel, GaussianNoise) and method == "dg_out"):  # -1/(V + Delta) only
            assert np.isnan(fn(NAN, 0.3, V)), (method, V)
            assert np.isnan(fn(1.0, NAN, V)), (method, V)
        assert np.isnan(fn(1.0, 0.3, NAN)), method


@pytest.mark.parametrize("channel", CHANNELS, ids=repr)
def test_extreme_arguments_raise_no_warning_and_give_no_spurious_nan(channel):
    """V from 0 and the smallest subnormal to 1e300, omega up to +-1e300 (+-10 for the
    losses and channels that square omega), vectorised equal to scalar calls."""
    big = isinstance(channel, GaussianNoise) or repr(channel) == "LossChannel(SquareLoss())"
    oms = [-10.0, -1.0, 0.0, 0.5, 10.0] if big else [-1e300, -1.0, 0.0, 0.5, 1e300]
    Y, O, V = np.meshgrid([1.0, -1.0], oms, [0.0, 5e-324, 1e-300, 1e-12, 1.0, 1e300], indexing="ij")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in METHODS:
            fn = getattr(channel, method)
            vec = fn(Y, O, V)
            assert not np.isnan(vec).any(), method
            loop = np.array([fn(*args) for args in zip(Y.ravel(), O.ravel(), V.ravel())]).reshape(Y.shape)
            np.testing.assert_array_equal(vec, loop)


# Channels: V = 0 and its approach ------------------------------------------------------------


# (y, omega) with a = y omega - kappa > 0, < 0, = 0 for kappa = 0.5
MARGIN_POINTS = [(1.0, 1.2), (-1.0, -0.9), (1.0, 0.1), (-1.0, 0.4), (1.0, 0.5), (-1.0, -0.5)]


@pytest.mark.parametrize("y,omega", MARGIN_POINTS)
def test_margin_limit_at_zero_variance(y, omega):
    """log Z -> log theta(a) (log 1/2 at a = 0), g -> 0 or +inf y, dg -> 0 or -inf; at V = 1e-12
    the values approach it (against mpmath and the leading behaviour)."""
    kappa = 0.5
    ch = Margin(kappa)
    a = y * omega - kappa
    lz0, g0, dg0 = ch.log_partition(y, omega, 0.0), ch.g_out(y, omega, 0.0), ch.dg_out(y, omega, 0.0)
    if a > 0:
        assert (lz0, g0, dg0) == (0.0, 0.0, 0.0)
    elif a < 0:
        assert (lz0, g0, dg0) == (-INF, y * INF, -INF)
    else:
        assert lz0 == pytest.approx(np.log(0.5), rel=1e-15)
        assert (g0, dg0) == (y * INF, -INF)
    V = 1e-12
    x = -a / np.sqrt(V)
    lz, g, dg = ch.log_partition(y, omega, V), ch.g_out(y, omega, V), ch.dg_out(y, omega, V)
    if a > 0:  # everything exponentially small, e^(-x^2/2) with x^2 ~ 1e11
        assert abs(lz) == 0.0 and abs(g) == 0.0 and abs(dg) == 0.0
    elif a < 0:  # log H(x) ~ -a^2/(2V), g ~ y |a|/V, dg ~ -1/V
        assert lz == pytest.approx(mp_log_H(x), rel=1e-13)
        assert lz == pytest.approx(-a * a / (2 * V), rel=1e-9)
        assert g == pytest.approx(y * abs(a) / V, rel=1e-10)
        assert dg == pytest.approx(-float(mp_gap(x)) / V, rel=1e-13)
    else:
        assert lz == pytest.approx(np.log(0.5), rel=1e-15)
        assert g == pytest.approx(y * SQRT_2_OVER_PI / np.sqrt(V), rel=1e-14)
        assert dg == pytest.approx(-(2 / np.pi) / V, rel=1e-14)


def test_margin_tiny_variance_is_finite_and_accurate():
    """The reported dg_out(1, -1, 1e-300) (was inf: r - x cancels completely at x = 1.5e150)
    and the other kernels at V = 1e-300."""
    ch, V = Margin(0.5), 1e-300
    x = 1.5e150  # (kappa - y omega)/sqrt(V)
    assert ch.dg_out(1, -1, V) == pytest.approx(-float(mp_gap(x)) / V, rel=1e-14)
    assert ch.g_out(1, -1, V) == pytest.approx(x / 1e-150 * (1 + 1 / x**2), rel=1e-14)  # r(x) = x + 1/x + ...
    assert ch.log_partition(1, -1, V) == pytest.approx(mp_log_H(x), rel=1e-14)
    # a > 0: finite limit 0
    assert (ch.log_partition(1, 1, V), ch.g_out(1, 1, V), ch.dg_out(1, 1, V)) == (0.0, 0.0, 0.0)
    assert (ch.g_out(-1, -1, V), ch.dg_out(-1, -1, V)) == (0.0, 0.0)


@pytest.mark.parametrize("x", [3.0, 15.0, 40.0, 1e3, 1e5])
def test_margin_dg_out_for_large_x_against_mpmath(x):
    ch, V = Margin(0.2), 0.3
    omega = 0.2 - x * np.sqrt(V)  # y = 1
    xx = (0.2 - omega) / np.sqrt(V)
    assert ch.dg_out(1.0, omega, V) == pytest.approx(-float(mp_gap(xx)) / V, rel=1e-12)


def _mixed_ab(ch):
    if isinstance(ch, NoisySign):
        return ch.flip, 1.0 - 2.0 * ch.flip
    return float(mp.exp(-ch.beta)), float(1 - mp.exp(-ch.beta))


MIXED = [NoisySign(0.2), NoisySign(0.0), ErrorCounting(2.0), ErrorCounting(40.0)]


@pytest.mark.parametrize("channel", MIXED, ids=repr)
@pytest.mark.parametrize("y,omega", [(1.0, 0.8), (-1.0, 0.3), (1.0, -0.6), (-1.0, -0.2), (1.0, 0.0), (-1.0, 0.0)])
def test_mixed_sign_limit_at_zero_variance(channel, y, omega):
    """Z -> a + b theta(y omega) (theta(0) = 1/2): log Z there; g and dg vanish off the jump
    and are +inf y, -inf on it (for a = 0: wherever y omega <= 0, as for Sign)."""
    a, b = _mixed_ab(channel)
    s = y * omega
    theta = 1.0 if s > 0 else (0.0 if s < 0 else 0.5)
    with np.errstate(divide="ignore"):
        lz_ref = np.log(a + b * theta)
    assert channel.log_partition(y, omega, 0.0) == pytest.approx(lz_ref, rel=1e-15, abs=1e-300)
    jump = s == 0 or (a == 0 and s < 0)
    g0, dg0 = channel.g_out(y, omega, 0.0), channel.dg_out(y, omega, 0.0)
    assert (g0, dg0) == ((y * INF, -INF) if jump else (0.0, 0.0))
    # approach: V = 1e-12 against mpmath
    V = 1e-12
    lz, g, dg = channel.log_partition(y, omega, V), channel.g_out(y, omega, V), channel.dg_out(y, omega, V)
    ref = mp_mixed(a, b, y, omega, V)
    if a > 0 or s >= 0:  # abs: a + b = 1 + 4e-18 in floats for beta = 40
        assert lz == pytest.approx(lz_ref, rel=1e-13, abs=1e-16)
    for got, want in zip((lz, g, dg), ref):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-300)
    if not jump:
        assert abs(g) < 1e-300 and abs(dg) < 1e-300
    elif s == 0:
        assert g == pytest.approx(y * b * SQRT_2_OVER_PI / 2 / np.sqrt(V) / (a + b / 2), rel=1e-14)


@pytest.mark.parametrize("channel", MIXED, ids=repr)
def test_mixed_sign_kernels_against_mpmath(channel):
    """Including x = -y omega / sqrt(V) far in the tail (for a = 0 and small a the old
    g (x y/sqrt V - g) cancelled there)."""
    a, b = _mixed_ab(channel)
    xs = [-30.0, -3.0, -0.5, 0.3, 1.5, 2.5, 4.0, 6.0, 8.0, 9.5, 12.0, 30.0, 200.0, 1e4]
    for x, V, y in itertools.product(xs, (1e-3, 0.4, 5.0), (1.0, -1.0)):
        omega = -y * x * np.sqrt(V)
        got = [getattr(channel, m)(y, omega, V) for m in METHODS]
        ref = mp_mixed(a, b, y, omega, V)
        for g, r in zip(got, ref):
            if abs(r) > 1e-290:
                assert g == pytest.approx(r, rel=1e-12), (x, V, y)
            else:
                assert abs(g) < 1e-280


def test_mixed_sign_tiny_variance():
    ch, V = NoisySign(0.1), 1e-300
    assert ch.log_partition(1.0, 0.5, V) == pytest.approx(np.log(0.9), rel=1e-15)
    assert ch.log_partition(1.0, -0.5, V) == pytest.approx(np.log(0.1), rel=1e-15)
    for omega in (0.5, -0.5):
        assert ch.g_out(1.0, omega, V) == 0.0 and ch.dg_out(1.0, omega, V) == 0.0


@pytest.mark.parametrize("delta", [0.2, 1.5])
def test_probit_at_zero_variance_is_the_likelihood(delta):
    """Z_out(V = 0) = P_out(y | omega) = Phi(y omega / sqrt(Delta)) (scipy's log_ndtr; mpmath)."""
    ch = Probit(delta)
    for y, omega in [(1.0, 0.3), (-1.0, 0.3), (1.0, -2.0), (-1.0, 5.0)]:
        u = y * omega / np.sqrt(delta)
        assert ch.log_partition(y, omega, 0.0) == pytest.approx(log_ndtr(u), rel=1e-14)
        with mp.workdps(40):
            r = mp.npdf(u) / mp.ncdf(u)
            g = float(y * r / mp.sqrt(delta))
            dg = float(-r * (r + u) / delta)
        assert ch.g_out(y, omega, 0.0) == pytest.approx(g, rel=1e-13)
        assert ch.dg_out(y, omega, 0.0) == pytest.approx(dg, rel=1e-13)


def test_gaussian_noise_at_zero_variance_is_the_likelihood():
    delta, y, omega = 0.5, 1.3, -0.4
    ch = GaussianNoise(delta)
    assert ch.log_partition(y, omega, 0.0) == pytest.approx(
        -((y - omega) ** 2) / (2 * delta) - 0.5 * np.log(2 * np.pi * delta), rel=1e-15
    )
    assert ch.g_out(y, omega, 0.0) == pytest.approx((y - omega) / delta, rel=1e-15)
    assert ch.dg_out(y, omega, 0.0) == pytest.approx(-1 / delta, rel=1e-15)


# Losses ---------------------------------------------------------------------------------


def _loss_closed_forms(name, y, z):
    """l, l', l'' (l'' = 0 for the hinge, also at its kink, where the subgradient convention is 0)."""
    a = y * z
    if name == "square":
        return 0.5 * (y - z) ** 2, z - y, 1.0
    if name == "logistic":
        return np.log1p(np.exp(-a)), -y * expit(-a), expit(a) * expit(-a)
    return max(0.0, 1.0 - a), (-y if a < 1 else 0.0), 0.0


@pytest.mark.parametrize("name", ["square", "logistic", "hinge"])
@pytest.mark.parametrize("y,omega", [(1.0, 0.3), (-1.0, 0.3), (1.0, 1.0), (1.0, 2.0), (-1.0, -4.0), (-1.0, 2.5)])
def test_loss_channel_limit_at_zero_variance(name, y, omega):
    """log Z -> -l(y, omega) (minus the Moreau envelope as V -> 0), g -> -l', dg -> -l'';
    V = 1e-12 and V = 1e-300 are that close (O(V) corrections)."""
    ch = LossChannel(name)
    l0, dl, d2l = _loss_closed_forms(name, y, omega)
    for V, tol in [(0.0, 1e-15), (1e-12, 1e-10), (1e-300, 1e-15)]:
        assert ch.log_partition(y, omega, V) == pytest.approx(-l0, rel=tol, abs=tol)
        assert ch.g_out(y, omega, V) == pytest.approx(-dl, rel=tol, abs=tol)
        assert ch.dg_out(y, omega, V) == pytest.approx(-d2l, rel=tol, abs=tol)


def test_loss_channel_limits_vectorised_with_mixed_domains():
    ch = LossChannel("logistic")
    y = np.array([1.0, -1.0, 1.0, 1.0])
    omega = np.array([0.3, 0.3, -1.0, 2.0])
    V = np.array([-1.0, 0.0, 0.5, NAN])
    g = ch.g_out(y, omega, V)
    assert np.isnan(g[0]) and np.isnan(g[3])
    assert g[1] == pytest.approx(-_loss_closed_forms("logistic", -1.0, 0.3)[1], rel=1e-15)
    # V = 0.5, y omega = -1: the proximal point u = y p solves u = -1 + V sigma(-u); g = y sigma(-u)
    with mp.workdps(30):
        u = mp.findroot(lambda u: u + 1 - mp.mpf(0.5) / (1 + mp.exp(u)), 0)
        assert g[2] == pytest.approx(float(1 / (1 + mp.exp(u))), rel=1e-13)


class _ScaledSquare(Loss):
    """c (y - z)^2 / 2 with c = 2, a loss the channel knows only through its public methods."""

    c = 2.0

    def value(self, y, z):
        return 0.5 * self.c * (np.asarray(y, float) - np.asarray(z, float)) ** 2

    def derivative(self, y, z):
        return self.c * (np.asarray(z, float) - np.asarray(y, float))

    def prox(self, y, omega, V):
        y, omega, V = np.broadcast_arrays(*(np.asarray(v, float) for v in (y, omega, V)))
        return (omega + V * self.c * y) / (1 + V * self.c), 1 / (1 + V * self.c)


def test_loss_channel_limits_for_a_user_defined_loss():
    """The generic path: l'' at V = 0 from the proximal map (extrapolated in V), -l and -l' directly."""
    ch = LossChannel(_ScaledSquare())
    y, omega = 1.0, -0.3
    assert ch.log_partition(y, omega, 0.0) == pytest.approx(-((y - omega) ** 2), rel=1e-15)
    assert ch.g_out(y, omega, 0.0) == pytest.approx(2.0 * (y - omega), rel=1e-15)
    assert ch.dg_out(y, omega, 0.0) == pytest.approx(-2.0, rel=1e-8)
    assert np.isnan(ch.dg_out(y, omega, -0.1)) and np.isnan(ch.g_out(y, NAN, 0.0))
