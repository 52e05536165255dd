"""RS solution of the SK model against closed forms, published limits, thermodynamic identities
and 30-digit mpmath computations.

Conventions: prior-weighted free entropy (usual one minus log 2), J_ij ~ N(0, 1/n), see
statmech_learn/meanfield/replica_sk.py.
"""

import json
import math
import warnings

import mpmath as mp
import numpy as np
import pytest

from statmech_learn.errors import ConvergenceError, ConvergenceWarning
from statmech_learn.meanfield.replica_sk import AT_FIELD_MAX, SKReplica, at_line, replica_sk

C0 = math.sqrt(2.0 / math.pi)  # |e_0| of the RS ground state at h = 0
PHI0 = 1.0 / math.sqrt(2.0 * math.pi)  # standard normal density at 0


# 30-digit references ---------------------------------------------------------------------------

_DPS = 30
_Z_CUT = 15  # 2 H(15) = 7e-51: the Gaussian mass left out is below the 30 digits


def _mp_gauss(f, center, width):
    """E_z f(z), z ~ N(0, 1), by mpmath Gauss-Legendre on [-15, 15], split at c and c +- (2, 8, 32) w
    around a feature of width w at c."""
    c, w = mp.mpf(center), mp.mpf(width)
    near = [c] + [c + sign * k * w for k in (2, 8, 32) for sign in (-1, 1)]
    pts = sorted({mp.mpf(-_Z_CUT), mp.mpf(_Z_CUT)} | {p for p in near if -_Z_CUT < p < _Z_CUT})
    val, err = mp.quad(lambda z: f(z) * mp.exp(-z * z / 2), pts, method="gauss-legendre", error=True)
    assert err < mp.mpf(10) ** (-25)  # quadrature error estimate well beyond double precision
    return val / mp.sqrt(2 * mp.pi)


def _mp_rs(beta, h, q0):
    """q, m and phi_RS at (beta, h): findroot on q = E tanh^2(beta(h + sqrt(q) z)) from q0."""
    beta, h = mp.mpf(beta), mp.mpf(h)

    def avg(f, q):
        sq = mp.sqrt(q)
        return _mp_gauss(lambda z: f(beta * (h + sq * z)), -h / sq, 1 / (beta * sq))

    q = mp.findroot(lambda q: avg(lambda y: mp.tanh(y) ** 2, q) - q, mp.mpf(q0))
    m = avg(mp.tanh, q)
    phi = beta**2 * (1 - q) ** 2 / 4 + avg(lambda y: mp.log(mp.cosh(y)), q)
    return q, m, phi


def _mp_at_point(a, b0):
    """A point (h, T) of the AT line in the parametrisation a = beta h, b = beta sqrt(q).

    With y = a + b z, the RS equation q = E tanh^2 y and lambda_AT = 1 - beta^2 E sech^4 y = 0 read
    E tanh^2 y = b^2 E sech^4 y (solved for b by findroot from b0), then T = sqrt(E sech^4 y) and
    h = a T (de Almeida & Thouless 1978).
    """
    a = mp.mpf(a)

    def avg(f, b):
        return _mp_gauss(lambda z: f(a + b * z), -a / b, 1 / b)

    def gap(b):
        def f(y):
            t2 = mp.tanh(y) ** 2
            return t2 - b * b * (1 - t2) ** 2

        return avg(f, b)

    b = mp.findroot(gap, mp.mpf(b0))
    T = mp.sqrt(avg(lambda y: mp.sech(y) ** 4, b))
    return a * T, T


# Closed forms and published limits --------------------------------------------------------------


@pytest.mark.parametrize("beta", [0.05, 0.5, 0.9, 1.0])
def test_paramagnet_closed_form(beta):
    """h = 0, beta <= 1: q = 0 exactly and phi = beta^2/4, the annealed value
    (1/n) log E Z = beta^2/4 of the prior-weighted sum (Sherrington & Kirkpatrick 1975); then
    e = -beta/2, s = log 2 - beta^2/4 and lambda_AT = 1 - beta^2 (de Almeida & Thouless 1978)."""
    sol = replica_sk(beta)
    assert sol.q == 0.0 and sol.m == 0.0 and sol.converged and sol.residual == 0.0
    assert sol.free_entropy == pytest.approx(beta**2 / 4, rel=1e-14)
    assert sol.energy == pytest.approx(-beta / 2, rel=1e-14)
    assert sol.entropy == pytest.approx(math.log(2.0) - beta**2 / 4, rel=1e-14)
    assert sol.at_eigenvalue == pytest.approx(1.0 - beta**2, abs=1e-15)
    assert sol.rs_stable == (beta < 1.0)


def test_zero_temperature_limits():
    """h = 0, T -> 0: e -> -sqrt(2/pi) = -0.7979 and s -> -1/(2 pi) = -0.159 (Sherrington &
    Kirkpatrick 1975; the negative entropy is the RS failure).

    Tolerances from the low-temperature expansion of the RS equations, with c = sqrt(2/pi):
    E sech^2(bz) = 2 phi(0)/b - pi^2 phi(0)/(12 b^3) + ... and E log cosh(bz) = c b - log 2 +
    pi^2 phi(0)/(12 b) + ... give 1 - q = c T + c^2 T^2/2 + O(T^3) and
    s = -1/(2 pi) + s1 T + O(T^2), s1 = pi^2 phi(0)/6 - c^3/4 = 0.529; de = T ds then gives
    e = -c + s1 T^2/2 + O(T^3) (no O(T) term).
    """
    s1 = math.pi**2 * PHI0 / 6 - C0**3 / 4
    for beta in (200.0, 400.0):
        T = 1.0 / beta
        sol = replica_sk(beta)
        assert sol.converged
        assert abs(sol.energy + C0) < T**2
        assert abs(sol.entropy + 1 / (2 * math.pi)) < T
        # the next orders, with O(1) coefficients bounded by 1
        assert abs(sol.energy + C0 - s1 * T**2 / 2) < T**3
        assert abs(sol.entropy + 1 / (2 * math.pi) - s1 * T) < T**2
        assert 1.0 - sol.q == pytest.approx(C0 * T + C0**2 * T**2 / 2, abs=T**3)


@pytest.mark.parametrize("h", [0.5, 1.0, 2.0])
def test_zero_temperature_limits_with_field(h):
    """T -> 0 at h != 0: beta (1 - q) -> 2 phi(h), m -> erf(h/sqrt 2), so e -> -E|h + z| =
    -(h erf(h/sqrt 2) + 2 phi(h)) and s -> -phi(h)^2 (the values above at h = 0).  At
    T = 1e-4 the corrections are O(T^2) for e (de = T ds) and O(T) for s."""
    beta = 1e4
    sol = replica_sk(beta, h)
    density = math.exp(-h * h / 2) / math.sqrt(2 * math.pi)
    # m = E tanh(beta sqrt(q) (z + h/sqrt(q))) = erf(h/sqrt(2q)) + O(T^2) (odd in the step)
    assert sol.m == pytest.approx(math.erf(h / math.sqrt(2 * sol.q)), abs=1e-6)
    assert sol.energy == pytest.approx(-(h * math.erf(h / math.sqrt(2)) + 2 * density), abs=1e-6)
    assert sol.entropy == pytest.approx(-(density**2), abs=1e-3)


def test_overlap_near_critical_temperature():
    """h = 0, tau = 1 - T -> 0+: q = tau + O(tau^2) (Mezard, Parisi & Virasoro 1987, ch. III).
    Expanding E tanh^2(beta sqrt(q) z) = beta^2 q - 2 beta^4 q^2 + (17/3) beta^6 q^3 + ... gives
    the next term, q = tau + tau^2/3 + O(tau^3)."""
    for tau in (1e-2, 1e-3, 1e-4):
        sol = replica_sk(1.0 / (1.0 - tau))
        assert sol.converged and not sol.rs_stable
        assert abs(sol.q / tau - 1.0) < tau
        assert abs((sol.q - tau) / tau**2 - 1.0 / 3.0) < 2 * tau
    # very close to beta = 1 the same expansion, q = (beta^2 - 1)/(2 beta^4) (1 + O(q)), checks
    # that q keeps its relative precision (an absolute 1e-16 would show at beta - 1 = 1e-12)
    for eps in (1e-8, 1e-12):
        beta = 1.0 + eps
        q = replica_sk(beta).q
        assert q * 2 * beta**4 / ((beta - 1) * (beta + 1)) == pytest.approx(1.0, rel=10 * eps)


# Thermodynamic identities ----------------------------------------------------------------------


@pytest.mark.parametrize("beta,h", [(0.6, 0.0), (1.7, 0.0), (2.5, 0.4), (0.9, -0.8), (5.0, 1.2)])
def test_energy_is_minus_beta_derivative_of_free_entropy(beta, h):
    """e = -d phi/d beta at fixed h, by a centred difference with step 1e-4 (truncation
    ~1e-9 phi''', rounding ~1e-12), and s = log 2 + phi + beta e (computed differently)."""
    d = 1e-4
    up, down = replica_sk(beta + d, h), replica_sk(beta - d, h)
    sol = replica_sk(beta, h)
    assert sol.energy == pytest.approx(-(up.free_entropy - down.free_entropy) / (2 * d), abs=1e-7)
    assert sol.entropy == pytest.approx(math.log(2.0) + sol.free_entropy + beta * sol.energy, abs=1e-13)


def test_field_symmetry_and_vectorisation():
    """q and phi are even in h, m is odd; an array call equals the scalar calls entry by entry."""
    betas = np.array([[0.7], [1.3], [6.0]])
    fields = np.array([-0.9, 0.0, 0.2, 0.9])
    sol = replica_sk(betas, fields)
    assert isinstance(sol, SKReplica) and sol.q.shape == (3, 4) and sol.n_iter > 0
    for i, b in enumerate(betas[:, 0]):
        for j, h in enumerate(fields):
            one = replica_sk(float(b), float(h))
            for name in ("q", "m", "free_entropy", "energy", "entropy", "at_eigenvalue"):
                # the array bisection runs until every entry converged: q agrees to ~tol, the
                # rest to ~1e-13 absolute (lambda_AT = 1 - beta^2 E sech^4 cancels at beta = 6)
                assert getattr(sol, name)[i, j] == pytest.approx(getattr(one, name), rel=1e-12, abs=1e-13)
            assert sol.residual[i, j] < 1e-13 and one.residual < 1e-13
    np.testing.assert_allclose(sol.q[:, 0], sol.q[:, 3], rtol=1e-12)
    np.testing.assert_allclose(sol.m[:, 0], -sol.m[:, 3], rtol=1e-12)
    np.testing.assert_allclose(sol.free_entropy[:, 0], sol.free_entropy[:, 3], rtol=1e-14)
    json.dumps(sol.to_dict())


# mpmath references -----------------------------------------------------------------------------


@pytest.mark.parametrize("beta,h,q0", [("1.5", "0.3", 0.5), ("20", "0.7", 0.9)])
def test_overlap_and_free_entropy_against_mpmath(beta, h, q0):
    """q, m and phi against findroot + 30-digit quadrature (at beta = 20 the tanh step has width
    0.05 around z = -0.71, which tests the refined quadrature); relative error on q bounded by
    tol * max(1, |logit q|) = 1e-13 (bisection), on m and phi by the quadrature (~1e-15) plus
    the q error times their O(1) derivatives (phi is stationary in q)."""
    with mp.workdps(_DPS):
        q, m, phi = _mp_rs(beta, h, q0)
    sol = replica_sk(float(beta), float(h))
    assert sol.converged and sol.residual < 1e-13
    assert sol.q == pytest.approx(float(q), rel=1e-12)
    assert sol.m == pytest.approx(float(m), rel=1e-12)
    assert sol.free_entropy == pytest.approx(float(phi), rel=1e-14)


@pytest.mark.parametrize("a,b0", [("0.2", 0.5), ("1", 1.5), ("3", 3.0)])
def test_at_line_against_mpmath(a, b0):
    """T_AT at three fields (h = 0.153, 0.523, 0.982) against the parametric 30-digit
    computation of :func:`_mp_at_point`; double precision and the 1e-15 root tolerance leave
    ~1e-15 relative."""
    with mp.workdps(_DPS):
        h, T = _mp_at_point(a, b0)
    assert at_line(float(h)) == pytest.approx(float(T), rel=1e-12)
    assert at_line(-float(h)) == at_line(float(h))


def test_at_line_small_field_asymptote():
    """1 - T_AT = (3/4)^(1/3) h^(2/3) (1 + O(h^(2/3))) as h -> 0 (de Almeida & Thouless 1978);
    the O(1) coefficient of the correction is bounded by 1."""
    fields = np.array([1e-9, 1e-6, 1e-4])
    tau = 1.0 - at_line(fields)
    predicted = 0.75 ** (1 / 3) * fields ** (2 / 3)
    assert np.all(np.abs(tau / predicted - 1.0) < fields ** (2 / 3))
    assert at_line(0.0) == 1.0


@pytest.mark.parametrize("h,rel", [(5.0, 1e-8), (8.0, 1e-12)])
def test_at_line_large_field_asymptote(h, rel):
    """T_AT = 4/(3 sqrt(2 pi)) exp(-h^2/2) (1 + o(1)) as h -> inf (de Almeida & Thouless 1978);
    the correction falls off roughly like exp(-h^2/2) more (2.8e-7 at h = 4), so the
    tolerances are ~100 times the expected corrections at h = 5 and the double-precision
    floor at h = 8 (beta_AT = 1.5e14, a tanh step of width 7e-15 at z = -8)."""
    assert at_line(h) == pytest.approx(4 / (3 * math.sqrt(2 * math.pi)) * math.exp(-h * h / 2), rel=rel)


def test_at_line_is_where_the_replicon_vanishes():
    """The RS solution is stable above T_AT(h) and unstable below; at h = 0 the RS spin-glass
    solution is unstable at every T < 1 (de Almeida & Thouless 1978)."""
    fields = np.array([[0.3, 1.5]])
    temps = at_line(fields)
    assert temps.shape == (1, 2)
    for h, T in zip(fields.ravel(), temps.ravel()):
        assert abs(replica_sk(1.0 / T, h).at_eigenvalue) < 1e-12
        assert replica_sk(0.999 / T, h).rs_stable
        assert not replica_sk(1.001 / T, h).rs_stable
    assert not np.any(replica_sk(np.array([1.01, 2.0, 10.0, 100.0])).rs_stable)


# Convergence reporting and validation -----------------------------------------------------------


def test_non_convergence_is_reported():
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        sol = replica_sk(2.0, 0.1, max_iter=3)
    assert not sol.converged and sol.n_iter == 3
    with pytest.raises(ConvergenceError) as info:
        replica_sk(2.0, 0.1, max_iter=3, strict=True)
    assert isinstance(info.value.result, SKReplica) and not info.value.result.converged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert replica_sk(2.0, 0.1, strict=True).converged


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"beta": 0.0}, "beta"),
        ({"beta": -1.0}, "beta"),
        ({"beta": float("nan")}, "beta"),
        ({"beta": float("inf")}, "beta"),
        ({"beta": True}, "beta"),
        ({"beta": np.array([1.0, -2.0])}, "beta"),
        ({"beta": 1.0, "field": float("nan")}, "field"),
        ({"beta": 1.0, "field": float("inf")}, "field"),
        ({"beta": 1.0, "tol": 0.0}, "tol"),
        ({"beta": 1.0, "tol": 1.0}, "tol"),
        ({"beta": 1.0, "max_iter": 0}, "max_iter"),
        ({"beta": 1.0, "max_iter": 2.5}, "max_iter"),
    ],
)
def test_bad_inputs_raise_value_error(kwargs, name):
    with pytest.raises(ValueError, match=name):
        replica_sk(**kwargs)


@pytest.mark.parametrize("field", [float("nan"), float("inf"), AT_FIELD_MAX + 1.0, "0.5", True])
def test_at_line_bad_field(field):
    with pytest.raises(ValueError, match="field"):
        at_line(field)
