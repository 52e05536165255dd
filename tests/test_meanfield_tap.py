"""Naive mean field and TAP over the unit priors: the reductions to the textbook equations,
the Plefka orders of the free entropy against exact enumeration, marginals against exact,
the Gaussian case against linear algebra, and the paramagnetic instability of SK at T = 1.

References: Thouless, Anderson & Palmer 1977 (Phil. Mag. 35, 593); Plefka 1982 (J. Phys. A 15,
1971); Opper & Saad (eds.) 2001, "Advanced Mean Field Methods", ch. 2-3."""

import warnings

import numpy as np
import pytest
from scipy.sparse.linalg import eigsh
from scipy.special import expit

from statmech_learn.errors import ConvergenceError, ConvergenceWarning
from statmech_learn.meanfield.measures import SK, Ising
from statmech_learn.meanfield.replica_sk import replica_sk
from statmech_learn.meanfield.tap import naive_mean_field, tap, tap_free_entropy, tap_hessian, tap_stability


def _brute(measure):
    """log Z (prior-weighted) and means by explicit enumeration of all 2^n states."""
    n = measure.n
    bits = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(float)
    if measure.units == "binary":
        S, logp = 2 * bits - 1, np.full(2**n, -n * np.log(2.0))
    else:
        p = measure.prior.p
        S, logp = bits, bits.sum(1) * np.log(p) + (n - bits.sum(1)) * np.log1p(-p)
    logw = -measure.beta * measure.energy(S) + logp
    top = logw.max()
    w = np.exp(logw - top)
    Z = w.sum()
    return top + np.log(Z), (w @ S) / Z


def test_binary_units_give_the_tanh_tap_equations():
    sk = SK(n=800, beta=0.6, field=0.3, rng=0)
    r = tap(sk)
    assert r.converged and r.residual < 1e-10
    m, b, J = r.m, sk.beta, sk.J
    rhs = np.tanh(b * (sk.h + J @ m) - b**2 * m * ((J**2) @ (1 - m**2)))
    assert np.max(np.abs(rhs - m)) < 1e-9
    assert np.allclose(r.v, 1 - m**2, atol=1e-9)
    nmf = naive_mean_field(sk)
    assert nmf.converged and np.max(np.abs(np.tanh(b * (sk.h + J @ nmf.m)) - nmf.m)) < 1e-9
    assert np.all(nmf.Lam == 0)


def test_bernoulli_units_give_the_seeds_sigmoid_tap_equations():
    """{0, 1} units: m_i = sigma(beta (h_i + sum_j J_ij m_j) - beta^2 (m_i - 1/2) sum_j J_ij^2 m_j (1 - m_j))."""
    sk = SK(n=600, beta=0.8, field=0.1, rng=1, units="bernoulli")
    r = tap(sk)
    assert r.converged
    m, b, J = r.m, sk.beta, sk.J
    rhs = expit(b * (sk.h + J @ m) - b**2 * (m - 0.5) * ((J**2) @ (m * (1 - m))))
    assert np.max(np.abs(rhs - m)) < 1e-9
    assert np.allclose(r.v, m * (1 - m), atol=1e-9)


def test_gaussian_units_exact_means_and_cavity_variances():
    """Gaussian N(0, 1) units: the measure is Gaussian with precision I - beta J.  Naive mean field
    and TAP both give the exact means (I - beta J)^-1 beta h; TAP's variances are the cavity
    approximation of diag((I - beta J)^-1), exact as n -> infinity: their relative error is set by
    the O(n^-1/2) fluctuations of sum_j J_ij^2 G_jj, times beta^2 (0.09 here), so a mean below
    0.005 and a maximum below 0.02 over n = 1000 sites; naive mean field's variances are 1."""
    n, beta = 1000, 0.3
    sk = SK(n=n, beta=beta, field=0.5, rng=2, units="gaussian")
    P = np.eye(n) - beta * sk.J
    m_exact = np.linalg.solve(P, beta * sk.h)
    diag = np.diag(np.linalg.inv(P))
    r, nmf = tap(sk), naive_mean_field(sk)
    assert r.converged and nmf.converged
    assert np.max(np.abs(r.m - m_exact)) < 1e-8 and np.max(np.abs(nmf.m - m_exact)) < 1e-8
    rel = np.abs(r.v / diag - 1)
    assert rel.mean() < 0.005 and rel.max() < 0.02
    assert np.abs(nmf.v / diag - 1).mean() > 5 * rel.mean()


def test_free_entropy_plefka_orders_against_enumeration():
    """log Z - Phi is O(beta^2) for naive mean field and O(beta^3) for TAP (Plefka 1982): halving
    beta divides the errors by about 4 and 8 (ratios within 30%, averaged over 5 instances of an
    n = 10 SK model with field 0.3); naive mean field is a lower bound (Gibbs-Bogoliubov)."""
    ratios_n, ratios_t = [], []
    for seed in range(5):
        errs = {}
        for beta in (0.1, 0.05):
            sk = SK(n=10, beta=beta, field=0.3, rng=seed)
            logz, _ = _brute(sk)
            t, nm = tap(sk, tol=1e-13), naive_mean_field(sk, tol=1e-13)
            assert nm.free_entropy <= logz + 1e-12
            errs[beta] = (abs(logz - nm.free_entropy), abs(logz - t.free_entropy))
        ratios_n.append(errs[0.1][0] / errs[0.05][0])
        ratios_t.append(errs[0.1][1] / errs[0.05][1])
    assert np.mean(ratios_n) == pytest.approx(4.0, rel=0.3)
    assert np.mean(ratios_t) == pytest.approx(8.0, rel=0.3)


def test_tap_marginals_beat_naive_mean_field_at_high_temperature():
    """beta = 0.5, field 0.2, n = 18, 20 SK instances: the mean |m - m_exact| of TAP is below that of
    naive mean field on average (and on most instances), against exact enumeration."""
    d_tap, d_nmf = [], []
    for seed in range(20):
        sk = SK(n=18, beta=0.5, field=0.2, rng=100 + seed)
        _, m_exact = _brute(sk)
        d_tap.append(np.mean(np.abs(tap(sk).m - m_exact)))
        d_nmf.append(np.mean(np.abs(naive_mean_field(sk).m - m_exact)))
    d_tap, d_nmf = np.array(d_tap), np.array(d_nmf)
    assert d_tap.mean() < 0.5 * d_nmf.mean()
    assert np.mean(d_tap < d_nmf) >= 0.8


def test_free_entropy_is_stationary_at_the_fixed_point():
    """dPhi/dm_i = 0 at the TAP fixed point (±1 units, v = 1 - m^2 tied to m), by central differences."""
    sk = SK(n=60, beta=0.7, field=0.4, rng=5)
    r = tap(sk, tol=1e-13)
    h = 1e-6
    for i in (0, 17, 59):
        e = np.zeros(sk.n)
        e[i] = h
        up = tap_free_entropy(sk, r.m + e, 1 - (r.m + e) ** 2)
        down = tap_free_entropy(sk, r.m - e, 1 - (r.m - e) ** 2)
        assert abs(up - down) / (2 * h) < 1e-6


@pytest.mark.parametrize("beta", [0.5, 1.0, 1.5])
def test_paramagnet_marginal_at_t_equal_one(beta):
    """At m = 0 without a field the largest eigenvalue of the TAP Hessian is 2 beta - 1 - beta^2
    = -(1 - beta)^2 in the large-n limit (the semicircle edge of J at 2): it reaches 0 at T = 1.
    Finite n = 1500 moves the edge by O(n^-2/3) and the row sums of J^2 by O(n^-1/2): tolerance 0.05."""
    sk = SK(n=1500, beta=beta, field=0.0, rng=3)
    lam = eigsh(tap_hessian(sk, np.zeros(sk.n)), k=1, which="LA")[0][0]
    assert lam == pytest.approx(-((1 - beta) ** 2), abs=0.05)


def test_paramagnet_plefka_eigenvalue_crosses_zero_at_t_equal_one():
    """Plefka's stability eigenvalue of the paramagnet (v = 1) is 1 - beta^2 rho(J^2), with
    rho(J^2) -> 1 for SK (the row sums of J_ij^2 are 1 + O(n^-1/2)): positive above T = 1,
    negative below, zero at T = 1 (Plefka 1982, eq. 20).  The Hessian above only touches zero."""
    lam = [tap_stability(SK(n=1500, beta=b, field=0.0, rng=3), np.ones(1500)) for b in (0.8, 1.0, 1.2)]
    assert lam[0] == pytest.approx(1 - 0.8**2, abs=0.01) and lam[0] > 0.3
    assert lam[1] == pytest.approx(0.0, abs=0.01)
    assert lam[2] == pytest.approx(1 - 1.2**2, abs=0.01) and lam[2] < -0.4


@pytest.mark.parametrize("beta, field, tol", [(0.6, 0.3, 0.01), (1.2, 0.5, 0.03)])
def test_plefka_eigenvalue_at_the_fixed_point_is_the_replicon(beta, field, tol):
    """At the TAP fixed point of SK the Plefka eigenvalue is 1 - beta^2 mean((1 - m_i^2)^2), the
    replicon eigenvalue 1 - beta^2 E sech^4 of the RS solution (de Almeida & Thouless 1978).
    Instance-to-instance spread of mean(v^2) at n = 2000: about 0.005 at beta = 0.6 and 0.02 at
    beta = 1.2 (measured over seeds); four instances are averaged, tolerance about 2.5 standard errors."""
    rs = replica_sk(beta=beta, field=field)
    vals = []
    for seed in range(4):
        sk = SK(n=2000, beta=beta, field=field, rng=seed)
        r = tap(sk)
        assert r.converged
        lam = tap_stability(sk, r.v)
        assert lam == pytest.approx(1 - beta**2 * np.mean(r.v**2), abs=0.01)
        vals.append(lam)
    assert np.mean(vals) == pytest.approx(rs.at_eigenvalue, abs=tol)


def test_non_convergence_is_reported_and_strict_raises():
    """Below the AT line (beta = 1.5, no field) TAP has no stable replica-symmetric fixed point."""
    sk = SK(n=400, beta=1.5, field=0.0, rng=0)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        r = tap(sk, max_iter=300)
    assert not r.converged and r.n_iter == 300 and r.residual > 1e-10
    with pytest.raises(ConvergenceError):
        tap(sk, max_iter=300, strict=True)


def test_annealing_reaches_the_same_fixed_point():
    sk = SK(n=300, beta=0.8, field=0.2, rng=4)
    a, b = tap(sk), tap(sk, anneal=4)
    assert a.converged and b.converged and b.n_iter > a.n_iter
    assert np.max(np.abs(a.m - b.m)) < 1e-8


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(damping=1.0), "^damping must"),
        (dict(damping=-0.1), "^damping must"),
        (dict(tol=0.0), "^tol must"),
        (dict(max_iter=0), "^max_iter must"),
        (dict(init=np.zeros(3)), "^init must"),
        (dict(anneal=0), "^anneal must"),
    ],
)
def test_solver_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tap(SK(n=10, beta=0.5, rng=0), **kwargs)


def test_measure_bad_input():
    J = np.array([[0.0, 1.0], [1.0, 0.0]])
    for bad, match in [
        (np.ones((2, 3)), "^J must be a square"),
        (np.array([[0.0, 1.0], [0.5, 0.0]]), "symmetric"),
        (np.array([[0.0, np.nan], [np.nan, 0.0]]), "^J must"),
        (np.eye(2), "zero diagonal"),
    ]:
        with pytest.raises(ValueError, match=match):
            Ising(bad)
    with pytest.raises(ValueError, match="^h must"):
        Ising(J, h=np.ones(3))
    for beta in (0.0, -1.0, np.inf):
        with pytest.raises(ValueError, match="^beta must"):
            Ising(J, beta=beta)
    with pytest.raises(ValueError, match="'binary', 'bernoulli', 'gaussian'"):
        Ising(J, units="potts")
    for n in (0, 1, 10**6):
        with pytest.raises(ValueError, match="^n must"):
            SK(n=n)
    with pytest.raises(ValueError, match="measure must"):
        tap("sk")
    with pytest.raises(ValueError, match="binary"):
        tap_hessian(SK(n=5, units="bernoulli", rng=0), np.zeros(5))
    with pytest.raises(ValueError, match="v must have shape"):
        tap_stability(SK(n=5, rng=0), np.ones(4))
    with pytest.raises(ValueError, match="v must have shape"):
        tap_stability(SK(n=5, rng=0), -np.ones(5))
    with pytest.raises(ValueError, match="v"):
        tap_stability(SK(n=5, rng=0), np.full(5, np.nan))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Ising(J, h=0.3, beta=2.0, units="bernoulli")  # valid input raises nothing


def test_tap_at_n2000_against_the_replica_symmetric_solution():
    """beta = 0.6, field 0.3 (above the AT line): over 4 SK instances of n = 2000 the TAP self-overlap
    q = mean(m^2) and free entropy per spin agree with the RS solution (Sherrington & Kirkpatrick
    1975; de Almeida & Thouless 1978) within 4 standard errors over instances plus 1/n: the
    instance-to-instance fluctuations are O(n^-1/2) (estimated by the spread), the finite-n bias of
    the mean O(1/n)."""
    from statmech_learn.meanfield.replica_sk import replica_sk

    rs = replica_sk(0.6, 0.3)
    assert rs.converged and rs.rs_stable
    q, phi = [], []
    for seed in range(4):
        sk = SK(n=2000, beta=0.6, field=0.3, rng=seed)
        r = tap(sk)
        assert r.converged
        q.append(np.mean(r.m**2))
        phi.append(r.free_entropy / sk.n)
    for vals, ref in ((q, rs.q), (phi, rs.free_entropy)):
        vals = np.array(vals)
        se = vals.std(ddof=1) / np.sqrt(vals.size)
        assert abs(vals.mean() - ref) < 4 * se + 1 / 2000, (vals, ref)
