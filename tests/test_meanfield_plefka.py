"""The Plefka expansion of the ±1 free entropy, symbolically (sympy), and the TAP free entropy of
``meanfield.tap_free_entropy`` against it.

Plefka 1982 (J. Phys. A 15, 1971): at fixed magnetisations the free entropy expands in the coupling
strength alpha; TAP keeps orders 0, 1, 2.  Georges & Yedidia 1991 (J. Phys. A 24, 2173) give the third
order, (2/3) sum_{i<j} J_ij^3 m_i(1-m_i^2) m_j(1-m_j^2) + sum_{i<j<k} J_ij J_jk J_ki (1-m_i^2)(1-m_j^2)(1-m_k^2).
"""

import itertools

import numpy as np
import pytest
import sympy as sp

from statmech_learn.meanfield import Ising, exact, tap_free_entropy

a, d = sp.symbols("alpha delta")
R = sp.Rational
J3 = [[0, R(1, 2), R(-1, 3)], [0, 0, R(1, 4)], [0, 0, 0]]
T3 = [R(1, 3), R(-1, 5), R(1, 7)]  # tanh of the fields


def _plefka_gap(J, t, order=4):
    """Series coefficients of log Z(alpha) - Phi_TAP(m(alpha)) at the exact magnetisations, for the
    prior-weighted ±1 measure with couplings alpha J and fields atanh(t), everything exact in sympy."""
    n = len(t)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    Z, M = 0, [0] * n
    for s in itertools.product([-1, 1], repeat=n):
        x = a * sum(J[i][j] * s[i] * s[j] for i, j in pairs)
        w = sp.prod([(1 + s[i] * t[i]) / 2 for i in range(n)]) * sum(x**k / sp.factorial(k) for k in range(order))
        Z += w
        M = [M[i] + s[i] * w for i in range(n)]
    Z = sp.expand(Z)
    total = sp.series(sp.log(Z), a, 0, order).removeO()  # log Z minus sum_i log cosh(H_i)
    m = [sp.series(M[i] / Z, a, 0, order).removeO() for i in range(n)]

    def G(x):  # the site term A(B) - B m at tanh B = m, ±1 units, prior-weighted
        return -sp.log(1 - x**2) / 2 - x * sp.atanh(x)

    for i in range(n):  # minus (G(m_i) + H_i m_i - log cosh H_i), Taylor-expanded around t_i
        g = sp.series(G(t[i] + d), d, 0, order).removeO()
        total -= g.subs(d, m[i] - t[i]) - G(t[i]) + sp.atanh(t[i]) * (m[i] - t[i])
    total -= a * sum(J[i][j] * m[i] * m[j] for i, j in pairs)
    total -= a**2 / 2 * sum(J[i][j] ** 2 * (1 - m[i] ** 2) * (1 - m[j] ** 2) for i, j in pairs)
    total = sp.expand(sp.series(total, a, 0, order).removeO())
    return [sp.nsimplify(sp.simplify(total.coeff(a, k))) for k in range(order)]


def _georges_yedidia(J, t):
    n, u = len(t), [1 - x**2 for x in t]
    out = R(2, 3) * sum(J[i][j] ** 3 * t[i] * u[i] * t[j] * u[j] for i in range(n) for j in range(i + 1, n))
    for i, j, k in itertools.combinations(range(n), 3):
        out += J[i][j] * J[j][k] * J[i][k] * u[i] * u[j] * u[k]
    return out


def test_tap_is_plefka_to_second_order_and_the_third_order_is_georges_yedidia():
    """Orders 0, 1 and 2 of log Z - Phi_TAP vanish identically (2 and 3 spins, exact rationals);
    the third order equals Georges & Yedidia's term."""
    two = _plefka_gap([[0, R(1, 2)], [0, 0]], [R(1, 3), R(-1, 5)])
    assert (
        two[:3] == [0, 0, 0]
        and sp.simplify(two[3] - _georges_yedidia([[0, R(1, 2)], [0, 0]], [R(1, 3), R(-1, 5)])) == 0
    )
    three = _plefka_gap(J3, T3)
    assert three[:3] == [0, 0, 0]
    assert three[3] != 0 and sp.simplify(three[3] - _georges_yedidia(J3, T3)) == 0


def test_library_tap_free_entropy_follows_the_expansion():
    """``tap_free_entropy`` at the exact magnetisations (from enumeration) misses log Z by
    c3 alpha^3 (1 + O(alpha)) with c3 the symbolic third-order coefficient: at alpha = 0.02 and 0.04
    the ratio to c3 alpha^3 is within 5% and 10% of 1."""
    c3 = float(_georges_yedidia(J3, T3))
    Jn = np.array([[float(x) for x in row] for row in J3])
    Jn = Jn + Jn.T
    h = np.arctanh([float(x) for x in T3])
    for alpha, tol in ((0.02, 0.05), (0.04, 0.10)):
        measure = Ising(alpha * Jn, h, beta=1.0, units="binary")
        ex = exact(measure)
        gap = ex.log_partition - tap_free_entropy(measure, ex.m, 1 - ex.m**2)
        assert gap / (c3 * alpha**3) == pytest.approx(1.0, abs=tol)


def test_third_order_option_closes_the_gap_to_fourth_order():
    """With ``order=3`` the gap log Z - Phi at the exact magnetisations is O(alpha^4): halving alpha
    divides it by about 16 (within 25%), while at order 2 by about 8; and the order-3 fixed point
    satisfies its own stationarity (dPhi_3/dm = 0 by central differences)."""
    Jn = np.array([[float(x) for x in row] for row in J3])
    Jn = Jn + Jn.T
    h = np.arctanh([float(x) for x in T3])
    gaps = {}
    for alpha in (0.04, 0.02):
        measure = Ising(alpha * Jn, h, beta=1.0, units="binary")
        ex = exact(measure)
        gaps[alpha] = [ex.log_partition - tap_free_entropy(measure, ex.m, 1 - ex.m**2, order=k) for k in (2, 3)]
    assert gaps[0.04][0] / gaps[0.02][0] == pytest.approx(8.0, rel=0.15)
    assert gaps[0.04][1] / gaps[0.02][1] == pytest.approx(16.0, rel=0.25)
    from statmech_learn.meanfield import SK, tap

    sk = SK(n=40, beta=0.5, field=0.3, rng=2)
    r = tap(sk, order=3, tol=1e-13)
    assert r.converged
    eps = 1e-6
    for i in (0, 13, 39):
        e = np.zeros(sk.n)
        e[i] = eps
        up = tap_free_entropy(sk, r.m + e, 1 - (r.m + e) ** 2, order=3)
        down = tap_free_entropy(sk, r.m - e, 1 - (r.m - e) ** 2, order=3)
        assert abs(up - down) / (2 * eps) < 1e-6
    with pytest.raises(ValueError, match="^order must"):
        tap(sk, order=4)
    with pytest.raises(ValueError, match="binary"):
        tap(SK(n=10, rng=0, units="bernoulli"), order=3)
