"""Exact separability decisions and Monte Carlo separability probabilities.

Every check compares with something computed independently of the module:
Cover's counting theorem [T. M. Cover, IEEE Trans. Electron. Comput. EC-14, 326
(1965)], an angular test in the plane, brute-force enumeration of binary
weights through the Margin channel, LPs written out in the test, and the
hard-margin SVM solved by SLSQP.
"""

import importlib
import itertools
import math
import pickle

import numpy as np
import pytest
from scipy.optimize import linprog, minimize
from scipy.stats import binom

from statmech_learn.capacity.separable import (
    SeparabilityCurve,
    SeparabilityEstimate,
    is_separable,
    max_separable_prefix,
    separability,
    separability_curve,
    separability_point,
)
from statmech_learn.gibbs import Margin

# the module itself (the package may export a function of the same name)
sep_module = importlib.import_module("statmech_learn.capacity.separable")
# the modules whose globals the monkeypatches below replace (separable imports from them)
lp_module = importlib.import_module("statmech_learn.capacity.linear_programs")
enum_module = importlib.import_module("statmech_learn.capacity.enumeration")


def cover_probability(P, n):
    """Cover (1965): Pr[P symmetric points in general position in R^n are separable]
    = C(P, n) / 2^P = Pr[Binomial(P - 1, 1/2) <= n - 1]."""
    P = np.asarray(P)
    return np.where(n >= P, 1.0, binom.cdf(n - 1, np.maximum(P - 1, 0), 0.5))


def primal_lp(G, method):
    P, n = G.shape
    return linprog(np.zeros(n), A_ub=-G, b_ub=-np.ones(P), bounds=(None, None), method=method)


def lp_separable(X, y):
    """Independent decision: is y_mu x_mu . w >= 1 feasible?

    HiGHS dual simplex on the primal LP; a returned w is checked directly.  Its
    occasional status 4 ("model status unknown") is re-solved by the interior
    point method, which is less reliable close to the separability threshold.
    """
    G = X * y[:, None]
    res = primal_lp(G, "highs-ds")
    if res.status == 4:
        res = primal_lp(G, "highs-ipm")
    assert res.status in (0, 2), res.message
    if res.status == 0:
        assert np.min(G @ res.x) > 0.5
    return res.status == 0


def random_instance(rng, P, n):
    return rng.standard_normal((P, n)), rng.choice([-1.0, 1.0], size=P)


def crossing(alphas, p, level=0.5):
    """Linear interpolation of the first alpha where p falls below ``level``."""
    i = int(np.argmax(p < level))
    a0, a1, p0, p1 = alphas[i - 1], alphas[i], p[i - 1], p[i]
    return a0 + (p0 - level) * (a1 - a0) / (p0 - p1)


def assert_matches_cover(curve):
    """Each point within 3 theoretical binomial standard errors of Cover's fraction.

    The floor 1/n_samples (one instance) keeps the band open where Cover's p is
    0 or 1 to machine precision.
    """
    P = np.rint(curve.alpha * curve.n).astype(int)
    p_th = cover_probability(P, curve.n)
    se = np.sqrt(p_th * (1 - p_th) / curve.n_samples) + 1.0 / curve.n_samples
    bad = np.abs(curve.p - p_th) > 3 * se
    assert not bad.any(), list(zip(curve.alpha[bad], curve.p[bad], p_th[bad]))


# ---------------------------------------------------------------------------
# Cover's theorem
# ---------------------------------------------------------------------------
ALPHAS = np.round(np.arange(1.0, 3.0001, 0.1), 10)


@pytest.mark.parametrize("n, workers", [pytest.param(40, 1, id="n=40"), pytest.param(100, 2, id="n=100")])
def test_nested_curve_follows_cover(n, workers):
    """Nested curve at kappa = 0 against Cover (1965), IEEE Trans. EC-14, 326.

    200 instances: binomial standard error <= 0.035.  Around alpha = 2 Cover's
    p falls with slope ~ 2.4 (n = 100) per unit alpha, so one standard error in p
    is ~0.015 in the crossing, and 0.05 is more than 3 of them.
    """
    curve = separability_curve(ALPHAS, n, n_samples=200, rng=20240611, workers=workers)
    assert isinstance(curve, SeparabilityCurve)
    assert_matches_cover(curve)
    assert np.all(np.diff(curve.p) <= 0)  # nested instances: exactly monotone
    assert abs(crossing(curve.alpha, curve.p) - 2.0) < 0.05


def test_independent_curve_follows_cover():
    """Independent instances per alpha (nested=False) against Cover (1965)."""
    alphas = np.array([1.2, 1.8, 2.0, 2.4, 3.0])
    curve = separability_curve(alphas, 20, n_samples=150, rng=7, nested=False)
    assert_matches_cover(curve)


@pytest.mark.slow
def test_nested_curve_follows_cover_large():
    """n = 200, 1000 instances: Cover (1965) within 3 standard errors (<= 0.016)."""
    curve = separability_curve(ALPHAS, 200, n_samples=1000, rng=11, workers=2)
    assert_matches_cover(curve)
    assert abs(crossing(curve.alpha, curve.p) - 2.0) < 0.02


def test_single_alpha_estimate_follows_cover():
    """separability() at alpha = 1.5, n = 60 against Cover (1965)."""
    est = separability(1.5, 60, n_samples=300, rng=3)
    p_th = float(cover_probability(90, 60))
    assert est.n_patterns == 90
    assert abs(est.p - p_th) <= 3 * math.sqrt(p_th * (1 - p_th) / 300) + 1 / 300


# ---------------------------------------------------------------------------
# Exact decisions, spherical weights
# ---------------------------------------------------------------------------
def separable_in_plane(a):
    """Points a_mu in R^2 are strictly separable by a line through the origin iff
    their directions fit in an open half-circle: some gap between consecutive
    angles exceeds pi."""
    ang = np.sort(np.arctan2(a[:, 1], a[:, 0]))
    gaps = np.diff(np.concatenate([ang, [ang[0] + 2 * np.pi]]))
    return bool(gaps.max() > np.pi)


@pytest.mark.parametrize("P", range(1, 7))
def test_all_labellings_in_the_plane(P):
    """n = 2: every labelling against the angular test; the number of separable
    labellings is Cover's C(P, 2) = 2 sum_{k<2} binom(P-1, k) = 2P (Cover 1965)."""
    rng = np.random.default_rng(P)
    for _ in range(3):
        X = rng.standard_normal((P, 2))
        count = 0
        for labels in itertools.product([-1.0, 1.0], repeat=P):
            y = np.array(labels)
            expected = separable_in_plane(X * y[:, None])
            assert is_separable(X, y) == expected
            count += expected
        assert count == 2 * sum(math.comb(P - 1, k) for k in range(2))


def test_prefix_against_lp_on_every_prefix():
    """max_separable_prefix equals the count of separable prefixes, each decided
    by an LP written in the test (HiGHS interior point on the primal)."""
    rng = np.random.default_rng(5)
    for n, P in [(10, 40), (25, 70), (40, 100)]:
        for _ in range(3):
            X, y = random_instance(rng, P, n)
            decisions = [lp_separable(X[:m], y[:m]) for m in range(1, P + 1)]
            k = sum(decisions)
            assert all(decisions[:k])  # monotone
            assert max_separable_prefix(X, y) == k
            assert is_separable(X, y) == decisions[-1]


def test_lp_bisection_without_ldp_hints(monkeypatch):
    """With the LDP failing, the LP bisection alone gives the same prefix."""
    rng = np.random.default_rng(6)
    instances = [random_instance(rng, 80, 30) for _ in range(4)]
    expected = [max_separable_prefix(X, y) for X, y in instances]

    def failing_ldp(G):
        raise RuntimeError("NNLS did not converge")

    monkeypatch.setattr(lp_module, "_ldp", failing_ldp)
    assert [max_separable_prefix(X, y) for X, y in instances] == expected
    for (X, y), k in zip(instances, expected):
        assert is_separable(X[:k], y[:k]) and not is_separable(X[: k + 1], y[: k + 1])


def test_data_not_in_general_position():
    """Up to n patterns need not be separable without general position: three
    labelled patterns summing to zero in a plane of R^3 have a Gordan certificate."""
    c, s = -0.5, math.sqrt(3) / 2
    X = np.array([[1.0, 0.0, 0.0], [c, s, 0.0], [c, -s, 0.0]])
    y = np.ones(3)
    assert not is_separable(X, y)
    assert max_separable_prefix(X, y) == 2
    # the same point with opposite labels
    X2 = np.array([[1.0, 2.0], [1.0, 2.0]])
    assert max_separable_prefix(X2, np.array([1.0, -1.0])) == 1


def test_lp_status_other_than_feasible_or_infeasible_raises(monkeypatch):
    """HiGHS statuses other than 0/2 are never turned into a decision."""
    X, y = random_instance(np.random.default_rng(0), 250, 100)

    class Res:
        status, message = 4, "numerical difficulties"

    monkeypatch.setattr(lp_module, "linprog", lambda *a, **k: Res())
    with pytest.raises(RuntimeError, match="status 4"):
        sep_module._lp_separable(X * y[:, None])


@pytest.mark.parametrize("P", [150, 250])
def test_unknown_status_on_gordan_lp_falls_back_to_primal(monkeypatch, P):
    """Status 4 on the Gordan LP: the primal LP decides, as the test's own LP does."""
    X, y = random_instance(np.random.default_rng(P), P, 100)
    expected = lp_separable(X, y)

    class Res:
        status, message = 4, "numerical difficulties"

    def gordan_fails(*args, **kwargs):
        return Res() if kwargs.get("A_eq") is not None else linprog(*args, **kwargs)

    monkeypatch.setattr(lp_module, "linprog", gordan_fails)
    assert sep_module._lp_separable(X * y[:, None]) == expected


def max_margin_slsqp(X, y):
    """gamma* = max t subject to y_mu x_mu . u >= t and |u|^2 <= 1 (the hard-margin
    SVM in its max-margin form), by SLSQP started from the LP's separating vector."""
    G = X * y[:, None]
    n = G.shape[1]
    u0 = primal_lp(G, "highs-ds").x
    u0 /= np.linalg.norm(u0)
    x0 = np.append(u0, np.min(G @ u0))  # x = (u, t)
    margin_jac = np.hstack([G, -np.ones((len(G), 1))])
    res = minimize(
        lambda x: -x[-1],
        x0,
        jac=lambda x: np.append(np.zeros(n), -1.0),
        constraints=[
            {"type": "ineq", "fun": lambda x: G @ x[:n] - x[-1], "jac": lambda x: margin_jac},
            {"type": "ineq", "fun": lambda x: 1 - x[:n] @ x[:n], "jac": lambda x: np.append(-2 * x[:n], 0.0)},
        ],
        method="SLSQP",
        options={"ftol": 1e-13, "maxiter": 1000},
    )
    assert res.success, res.message
    u = res.x[:n] / np.linalg.norm(res.x[:n])
    return float(np.min(G @ u))  # margin reached by a unit vector


def test_margin_decision_against_slsqp_max_margin():
    """kappa > 0: separable with margin kappa iff kappa <= gamma*, gamma* from SLSQP.

    Tolerance 1e-4 relative: SLSQP's KKT accuracy with ftol = 1e-14 is far better.
    """
    rng = np.random.default_rng(8)
    checked = 0
    while checked < 8:
        n = int(rng.integers(3, 8))
        X, y = random_instance(rng, int(rng.integers(n, 2 * n)), n)
        if not lp_separable(X, y):
            continue
        gamma = max_margin_slsqp(X, y)
        assert is_separable(X, y, kappa=gamma * (1 - 1e-4))
        assert not is_separable(X, y, kappa=gamma * (1 + 1e-4))
        checked += 1


def test_small_margin_agrees_with_lp():
    """kappa -> 0+: the least-distance route agrees with the LP (kappa = 0) decision."""
    rng = np.random.default_rng(9)
    for _ in range(25):
        X, y = random_instance(rng, 60, 30)
        assert is_separable(X, y, kappa=1e-9) == lp_separable(X, y)


def test_margin_prefix_against_every_prefix():
    """kappa > 0: max_separable_prefix equals the number of stored prefixes."""
    rng = np.random.default_rng(10)
    for kappa in [0.1, 0.4]:
        X, y = random_instance(rng, 50, 20)
        decisions = [is_separable(X[:m], y[:m], kappa=kappa) for m in range(1, 51)]
        k = sum(decisions)
        assert all(decisions[:k])
        assert max_separable_prefix(X, y, kappa=kappa) == k


def test_separability_decreases_with_margin():
    """Same instances (same rng) at growing kappa: the stored sets shrink, so p is
    non-increasing, and kappa = 0 is Cover's value within 3 standard errors."""
    ps = [separability(1.0, 50, n_samples=150, kappa=k, rng=12).p for k in [0.0, 0.2, 0.5, 1.0]]
    assert all(a >= b for a, b in zip(ps, ps[1:]))
    assert ps[0] == 1.0 and ps[-1] < ps[0]
    curve = [separability_curve([0.5, 1.0, 1.5], 40, n_samples=100, kappa=k, rng=1).p for k in [0.0, 0.3, 0.6]]
    assert np.all(np.diff(np.array(curve), axis=0) <= 0)


# ---------------------------------------------------------------------------
# Binary weights
# ---------------------------------------------------------------------------
def binary_brute_force(X, y, kappa):
    """Largest number of leading patterns stored by some w in {-1,+1}^n, by a plain
    loop over all sign vectors and the Margin channel (finite log-likelihood)."""
    n = X.shape[1]
    channel = Margin(kappa)
    best = 0
    for w in itertools.product([-1.0, 1.0], repeat=n):
        z = X @ np.array(w) / np.sqrt(n)
        stored = np.isfinite(channel.log_likelihood(y, z))
        best = max(best, len(y) if stored.all() else int(np.argmin(stored)))
    return best


@pytest.mark.parametrize("kappa", [0.0, 0.3, 0.8])
def test_binary_against_brute_force(kappa):
    """Enumeration (both the public call and a forced split into two small
    tables) against itertools.product over all sign vectors, n <= 8."""
    rng = np.random.default_rng(int(kappa * 10))
    for n in range(1, 9):
        for _ in range(3):
            P = int(rng.integers(1, 2 * n + 3))
            X, y = random_instance(rng, P, n)
            k = binary_brute_force(X, y, kappa)
            assert max_separable_prefix(X, y, kappa=kappa, weights="binary") == k
            assert is_separable(X, y, kappa=kappa, weights="binary") == (k == P)
            assert sep_module._binary_max_prefix(X * y[:, None], kappa, low_bits=2) == k


def test_binary_with_ties():
    """Inputs +-1 with n even give z = 0 exactly: stored at kappa = 0 (y z >= 0)."""
    rng = np.random.default_rng(13)
    for _ in range(10):
        X = rng.choice([-1.0, 1.0], size=(9, 6))
        y = rng.choice([-1.0, 1.0], size=9)
        assert max_separable_prefix(X, y, weights="binary") == binary_brute_force(X, y, 0.0)


def test_binary_two_tables_against_numpy_enumeration():
    """n = 14 uses a high and a low table; compare with all 2^14 vectors at once."""
    rng = np.random.default_rng(14)
    n = 14
    W = 1.0 - 2.0 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)
    for kappa in [0.0, 0.25]:
        X, y = random_instance(rng, 16, n)
        stored = (y * (W @ X.T) / np.sqrt(n)) >= kappa  # (2^n, P)
        lead = np.where(stored.all(axis=1), 16, np.argmin(stored, axis=1))
        assert max_separable_prefix(X, y, kappa=kappa, weights="binary") == lead.max()


def test_binary_rows_past_the_table_cache(monkeypatch):
    """Correlated patterns keep many vectors alive for many rows; with a tiny
    table cache the late rows are recomputed: compare with all 2^12 vectors."""
    monkeypatch.setattr(enum_module, "_BINARY_CACHE", 1)
    rng = np.random.default_rng(15)
    n = 12
    W = 1.0 - 2.0 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)
    for scale in [0.3, 0.6, 1.0]:
        X = rng.standard_normal(n) + scale * rng.standard_normal((60, n))
        y = np.ones(60)
        stored = (W @ X.T) >= 0
        lead = np.where(stored.all(axis=1), 60, np.argmin(stored, axis=1))
        assert max_separable_prefix(X, y, weights="binary") == lead.max()
        assert lead.max() > 16  # the rows past the cache were used


def test_binary_estimate():
    """p for binary weights is below p for spherical weights on the same instances."""
    b = separability(0.7, 12, weights="binary", n_samples=100, rng=0)
    s = separability(0.7, 12, weights="spherical", n_samples=100, rng=0)
    assert b.weights == "binary" and b.n_patterns == 8
    assert b.n_separable <= s.n_separable
    assert 0 < b.p < 1


# ---------------------------------------------------------------------------
# Results, reproducibility, parallelism
# ---------------------------------------------------------------------------
def test_estimate_fields_and_text():
    est = separability(1.5, 30, n_samples=50, rng=1)
    assert isinstance(est, SeparabilityEstimate)
    assert est.p == est.n_separable / 50
    assert est.stderr == pytest.approx(math.sqrt(est.p * (1 - est.p) / 50))
    assert str(est) == f"p = {est.p:.3f} ± {est.stderr:.3f} (alpha=1.5, n=30, 50 samples)"
    d = est.to_dict()
    assert d["n_patterns"] == 45 and d["weights"] == "spherical"
    assert "SeparabilityEstimate(" in repr(est)


def test_wilson_interval_at_the_boundary():
    """Wilson (1927): at p = 0 the interval is [0, z^2/(N + z^2)]."""
    est = SeparabilityEstimate(
        alpha=3.0, n=10, n_patterns=30, kappa=0.0, weights="spherical", p=0.0, stderr=0.0, n_samples=100, n_separable=0
    )
    low, high = est.interval(z=3.0)
    assert low == pytest.approx(0.0, abs=1e-15)
    assert high == pytest.approx(9 / 109)
    est1 = SeparabilityEstimate(
        alpha=3.0,
        n=10,
        n_patterns=30,
        kappa=0.0,
        weights="spherical",
        p=0.5,
        stderr=0.05,
        n_samples=100,
        n_separable=50,
    )
    low, high = est1.interval(z=2.0)
    assert high - 0.5 == pytest.approx(0.5 - low)
    assert high - low == pytest.approx(2 * 2 / (1 + 4 / 100) * math.sqrt(0.25 / 100 + 4 / 40000))


def test_reproducible_and_independent_of_workers():
    a = separability_curve([1.5, 2.0, 2.5], 30, n_samples=40, rng=99, workers=1)
    b = separability_curve([1.5, 2.0, 2.5], 30, n_samples=40, rng=99, workers=2)
    c = separability_curve([1.5, 2.0, 2.5], 30, n_samples=40, rng=np.random.default_rng(99))
    np.testing.assert_array_equal(a.n_separable, b.n_separable)
    np.testing.assert_array_equal(a.n_separable, c.n_separable)
    e1 = separability(2.0, 30, n_samples=30, rng=5, workers=1)
    e2 = separability(2.0, 30, n_samples=30, rng=5, workers=2)
    assert e1 == e2
    f1 = separability_curve([0.5, 1.0], 10, n_samples=20, weights="binary", rng=4, nested=False, workers=2)
    f2 = separability_curve([0.5, 1.0], 10, n_samples=20, weights="binary", rng=4, nested=False)
    np.testing.assert_array_equal(f1.n_separable, f2.n_separable)


def test_single_alpha_is_the_one_point_curve():
    """Both draw the same per-instance seeds, so they decide the same instances."""
    est = separability(1.8, 25, n_samples=60, rng=17)
    curve = separability_curve([1.8], 25, n_samples=60, rng=17)
    assert curve.n_separable[0] == est.n_separable


def test_separability_point_record():
    rec = separability_point(alpha=1.5, n=20, seed=3, n_samples=30, kappa=0.1, weights="spherical")
    assert set(rec) == {"alpha", "n", "kappa", "weights", "n_samples", "p", "stderr", "n_separable"}
    est = separability(1.5, 20, n_samples=30, kappa=0.1, rng=3)
    assert rec["p"] == est.p and rec["n_separable"] == est.n_separable
    assert pickle.loads(pickle.dumps(separability_point)) is separability_point


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(alpha=0.0), "alpha"),
        (dict(alpha=-1.0), "alpha"),
        (dict(n=0), "n must"),
        (dict(n=2.5), "n must"),
        (dict(n_samples=0), "n_samples"),
        (dict(kappa=-0.1), "replica-symmetry breaking"),
        (dict(kappa=float("inf")), "kappa"),
        (dict(kappa=float("nan")), "kappa"),
        (dict(weights="ising"), "weights must be one of 'spherical', 'binary'"),
        (dict(workers=0), "workers"),
        (dict(n=30, weights="binary"), "n must be <= 24"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, match):
    args = dict(alpha=1.0, n=10, n_samples=5) | kwargs
    with pytest.raises(ValueError, match=match):
        separability(**args)


def test_bad_input_for_curves_and_decisions():
    with pytest.raises(ValueError, match="alphas"):
        separability_curve([1.0, -2.0], 10)
    with pytest.raises(ValueError, match="alphas"):
        separability_curve([], 10)
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match="y must contain"):
        is_separable(X, np.array([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="y must have shape"):
        max_separable_prefix(X, np.ones(2))
    with pytest.raises(ValueError, match="X must be"):
        is_separable(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="kappa"):
        is_separable(X, np.ones(3), kappa=-1)


# ---------------------------------------------------------------------------
# half_crossing (capacity.transition)
# ---------------------------------------------------------------------------
def test_half_crossing_linear_curve_closed_form():
    """p = 1 - alpha/4 crosses 1/2 at alpha = 2, midway between grid points 1.5 and 2.5; the error
    is hypot(sigma/2, sigma/2) / |slope| = 2 sqrt(2) sigma.  A scalar stderr (it used to raise
    IndexError) means the same error at every point."""
    from statmech_learn.capacity import half_crossing

    alpha = np.array([1.0, 1.5, 2.5, 3.0])
    p = 1 - alpha / 4
    sigma = 0.01
    x, err = half_crossing(alpha, p, sigma)
    assert x == pytest.approx(2.0, rel=1e-14)
    assert err == pytest.approx(2 * math.sqrt(2) * sigma, rel=1e-12)
    assert half_crossing(alpha, p, np.full(4, sigma)) == (x, err)
    assert half_crossing(list(alpha), list(p), [sigma] * 4) == (x, err)
    # no crossing inside the grid: NaN, not an error
    assert all(math.isnan(v) for v in half_crossing(alpha, np.full(4, 0.9), sigma))


@pytest.mark.parametrize(
    "args,match",
    [
        (
            ([1.0, 2.0, 3.0], [1.0, 0.5, 0.0], [0.1, 0.1]),
            r"stderr must be a scalar or have the same length as alpha \(3\)",
        ),
        (([1.0, 2.0, 3.0], [1.0, 0.5], 0.1), r"p must have the same length as alpha \(3\), got shape \(2,\)"),
        (([1.0, 2.0, 3.0], [1.0, 0.5, 0.0], -0.1), "stderr must be >= 0"),
        (([1.0, 2.0, 3.0], [1.0, 0.5, 0.0], float("nan")), "stderr must be finite"),
        (([1.0, 2.0, 3.0], [1.0, float("nan"), 0.0], 0.1), "p must be finite"),
        (([1.0, 2.0, 3.0], [1.0, 1.5, 0.0], 0.1), "p must be in \\[0, 1\\], got 1.5"),
        (([1.0, 3.0, 2.0], [1.0, 0.5, 0.0], 0.1), "alpha must be strictly increasing"),
        (([1.0], [1.0], 0.1), "alpha must be a 1-D array of at least 2 loads"),
        (([1.0, 2.0, 3.0], [1.0, 0.5, 0.0], 0.1, 1.0), "level must be in \\(0, 1\\), got 1"),
    ],
)
def test_half_crossing_refuses_bad_input(args, match):
    """Mismatched lengths used to return (nan, nan) as if the curve did not cross."""
    from statmech_learn.capacity import half_crossing

    with pytest.raises(ValueError, match=match):
        half_crossing(*args)
