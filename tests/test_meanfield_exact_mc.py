"""Exact enumeration and Monte Carlo of pairwise measures, each checked against something independent:
a plain double loop over the states, closed forms (independent units, the 1-d Ising chain and ring,
the Gaussian measure, the AR(1) autocorrelation time), and exact enumeration for Monte Carlo."""

import importlib
import itertools
import json
import math

import numpy as np
import pytest

from statmech_learn.gibbs.priors import BernoulliPrior, GaussianPrior
from statmech_learn.meanfield.exact import MAX_UNITS, exact
from statmech_learn.meanfield.measures import SK, Ising
from statmech_learn.meanfield.monte_carlo import integrated_autocorrelation_time, monte_carlo

# the module itself (the package's name ``monte_carlo`` is the function)
mc_module = importlib.import_module("statmech_learn.meanfield.monte_carlo")


def random_couplings(n, rng):
    rng = np.random.default_rng(rng)
    J = np.triu(rng.standard_normal((n, n)), 1) * 0.7
    return J + J.T, rng.standard_normal(n) * 0.5


def brute_force(J, h, beta, values, prior):
    """<.> by a plain double loop over the states: log Z (prior-weighted), m, C, <E>, Var E."""
    n = len(h)
    terms = []
    for s in itertools.product(values, repeat=n):
        energy = -0.5 * sum(J[i][j] * s[i] * s[j] for i in range(n) for j in range(n)) - sum(
            h[i] * s[i] for i in range(n)
        )
        weight = math.prod(prior[v] for v in s) * math.exp(-beta * energy)
        terms.append((weight, s, energy))
    Z = sum(w for w, _, _ in terms)
    m = [sum(w * s[i] for w, s, _ in terms) / Z for i in range(n)]
    ss = [[sum(w * s[i] * s[j] for w, s, _ in terms) / Z for j in range(n)] for i in range(n)]
    e1 = sum(w * e for w, _, e in terms) / Z
    e2 = sum(w * e * e for w, _, e in terms) / Z
    C = [[ss[i][j] - m[i] * m[j] for j in range(n)] for i in range(n)]
    return math.log(Z), np.array(m), np.array(C), e1, e2 - e1 * e1


# -- exact enumeration -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [3, 4, 5])
@pytest.mark.parametrize("units", ["binary", "bernoulli"])
def test_exact_matches_plain_sum_over_states(n, units):
    """Definition of Z and of the averages, summed state by state (itertools.product); for {0, 1}
    units with P0(1) = p = 0.3 the weight of a state is p^(#ones) (1 - p)^(#zeros).
    Tolerance: both are double-precision sums of at most 32 terms."""
    J, h = random_couplings(n, rng=n)
    beta = 0.8
    if units == "binary":
        measure, values, prior = Ising(J, h, beta), (-1, 1), {-1: 0.5, 1: 0.5}
    else:
        measure, values, prior = Ising(J, h, beta, BernoulliPrior(0.3)), (0, 1), {0: 0.7, 1: 0.3}
    log_z, m, C, energy, energy_var = brute_force(J.tolist(), h.tolist(), beta, values, prior)
    res = exact(measure)
    assert res.log_partition == pytest.approx(log_z, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(res.m, m, atol=1e-12)
    np.testing.assert_allclose(res.correlation, C, atol=1e-12)
    assert res.energy == pytest.approx(energy, rel=1e-12, abs=1e-12)
    assert res.energy_var == pytest.approx(energy_var, rel=1e-10)
    assert res.n == n and res.n_states == 2**n


def test_exact_independent_spins_closed_form():
    """J = 0: the measure factorises, Z = prod_i E_{P0} e^{beta h_i s} = prod_i cosh(beta h_i) for ±1 spins
    (prior-weighted), m = tanh(beta h), C = diag(1 - m^2); for {0, 1} units Z = prod_i (1 - p + p e^{beta h_i})."""
    h = np.array([0.3, -1.2, 0.0, 2.5, -0.4, 0.9, 1.7])
    beta = 1.3
    res = exact(Ising(np.zeros((7, 7)), h, beta))
    assert res.log_partition == pytest.approx(np.sum(np.log(np.cosh(beta * h))), rel=1e-13)
    np.testing.assert_allclose(res.m, np.tanh(beta * h), atol=1e-14)
    np.testing.assert_allclose(res.correlation, np.diag(1 - np.tanh(beta * h) ** 2), atol=1e-14)
    assert res.energy == pytest.approx(-np.sum(h * np.tanh(beta * h)), rel=1e-13)

    p = 0.2
    res = exact(Ising(np.zeros((7, 7)), h, beta, BernoulliPrior(p)))
    assert res.log_partition == pytest.approx(np.sum(np.log(1 - p + p * np.exp(beta * h))), rel=1e-13)
    np.testing.assert_allclose(res.m, p * np.exp(beta * h) / (1 - p + p * np.exp(beta * h)), atol=1e-14)


def test_exact_open_chain_transfer_matrix():
    """Open Ising chain of n = 12 spins, uniform coupling K between neighbours, no field (Baxter 1982,
    *Exactly Solved Models*, ch. 2): Z = 2^n cosh(beta K)^(n-1), i.e. log Z_prior-weighted =
    (n - 1) log cosh(beta K); <s_i s_j> = tanh(beta K)^|i-j|; <E> = -(n - 1) K tanh(beta K)."""
    n, K, beta = 12, 0.9, 0.7
    J = np.zeros((n, n))
    idx = np.arange(n - 1)
    J[idx, idx + 1] = J[idx + 1, idx] = K
    res = exact(Ising(J, 0.0, beta))
    t = np.tanh(beta * K)
    assert res.log_partition == pytest.approx((n - 1) * np.log(np.cosh(beta * K)), rel=1e-13)
    dist = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    np.testing.assert_allclose(res.second_moment, t**dist, atol=1e-13)
    np.testing.assert_allclose(res.m, 0.0, atol=1e-14)
    assert res.energy == pytest.approx(-(n - 1) * K * t, rel=1e-12)


def test_exact_ring_with_field_transfer_matrix():
    """Periodic ring of n = 10 spins, coupling K, field H: Z = lambda_+^n + lambda_-^n with
    lambda_pm = e^{bK} cosh(bH) pm sqrt(e^{2bK} sinh^2(bH) + e^{-2bK}) (Kramers & Wannier 1941;
    Baxter 1982, eq. 2.1.17), minus n log 2 in the prior-weighted convention; the magnetisation per
    spin is (1/n) d log Z / d(beta H), taken here by a central difference of the closed form."""
    n, K, H, beta = 10, 0.6, 0.25, 0.9

    def log_z(Hb):
        a = np.exp(beta * K)
        root = np.sqrt(a * a * np.sinh(Hb) ** 2 + 1.0 / (a * a))
        lp, lm = a * np.cosh(Hb) + root, a * np.cosh(Hb) - root
        return n * np.log(lp) + np.log1p((lm / lp) ** n) - n * np.log(2.0)

    J = np.zeros((n, n))
    idx = np.arange(n)
    J[idx, (idx + 1) % n] = J[(idx + 1) % n, idx] = K
    res = exact(Ising(J, H, beta))
    assert res.log_partition == pytest.approx(log_z(beta * H), rel=1e-13)
    d = 1e-5
    m_closed = (log_z(beta * H + d) - log_z(beta * H - d)) / (2 * d) / n
    np.testing.assert_allclose(res.m, m_closed, rtol=1e-8)  # central difference: error ~ d^2


def test_exact_does_not_depend_on_chunk():
    """Blocks of 7 configurations (n = 12) and of 1 (n = 8) against the default: the same sums in
    another order."""
    measure = SK(12, beta=0.9, field=0.3, rng=4)
    small_measure = SK(8, beta=0.9, field=0.3, rng=4, units="bernoulli")
    for chunk, small in ((7, False), (1, True)):
        res = exact(small_measure, chunk=chunk) if small else exact(measure, chunk=chunk)
        ref = exact(small_measure) if small else exact(measure)
        assert res.log_partition == pytest.approx(ref.log_partition, rel=1e-12)
        np.testing.assert_allclose(res.m, ref.m, atol=1e-12)
        np.testing.assert_allclose(res.correlation, ref.correlation, atol=1e-12)
        assert res.energy == pytest.approx(ref.energy, rel=1e-12)
        assert res.energy_var == pytest.approx(ref.energy_var, rel=1e-10)


def test_exact_refuses_large_or_continuous_measures():
    with pytest.raises(ValueError, match=rf"n <= {MAX_UNITS}.*got n=25.*monte_carlo"):
        exact(SK(25, rng=0))
    with pytest.raises(ValueError, match="discrete units.*monte_carlo"):
        exact(SK(5, rng=0, units="gaussian"))
    with pytest.raises(ValueError, match="chunk"):
        exact(SK(5, rng=0), chunk=0)
    with pytest.raises(ValueError, match="measure"):
        exact(np.zeros((3, 3)))


def test_exact_result_repr_and_dict():
    res = exact(SK(6, rng=1))
    assert repr(res).startswith("ExactResult(log_partition=")
    assert json.loads(json.dumps(res.to_dict()))["n_states"] == 64
    assert res.free_entropy == pytest.approx(res.log_partition / 6)


# -- Monte Carlo against exact enumeration ------------------------------------------------------------------------
def assert_honest(mc, m_exact, e_exact):
    """Every m_i and <E> within 4 reported standard errors (12 sites: a 4-sigma criterion keeps the
    family-wise false-alarm rate near 1e-3), and the error bars neither too small nor too large:
    the mean of z_i^2 over the sites is between 0.2 and 3 (chi-square check).  With 64 chains its
    expectation is 1.03 (Student t, 63 degrees of freedom).  The errors of the sites are correlated
    (a collective slow mode: the largest eigenvalue of their 12 x 12 correlation matrix is about 4.5),
    so its spread is wider than that of chi^2_12 / 12: over 120 seeds of the heat-bath case we measured
    mean 0.98 - 1.08, standard deviation 0.6, and 2.5 % of the seeds outside [0.2, 3].  The seed is
    fixed; the chains do not depend on the platform (decisions are thresholds on continuous draws)."""
    z = (mc.m - m_exact) / mc.m_err
    assert np.all(np.abs(z) < 4), z
    assert 0.2 < np.mean(z**2) < 3, np.mean(z**2)
    assert abs(mc.energy - e_exact) < 4 * mc.energy_err, (mc.energy, e_exact, mc.energy_err)


@pytest.mark.parametrize(
    "units, method, order",
    [
        pytest.param("binary", "heat-bath", "sequential", id="ising-heat-bath"),
        pytest.param("binary", "metropolis", "sequential", id="ising-metropolis"),
        pytest.param("binary", "heat-bath", "random", id="ising-heat-bath-random-order"),
        pytest.param("bernoulli", "heat-bath", "sequential", id="bernoulli-heat-bath"),
        pytest.param("bernoulli", "metropolis", "random", id="bernoulli-metropolis-random-order"),
    ],
)
def test_monte_carlo_agrees_with_exact_sk(units, method, order):
    """SK, n = 12, beta = 0.5, field 0.2: Monte Carlo means against exact enumeration.
    The connected correlations agree to 0.03: with 64 x 1800 measured sweeps and tau of order one,
    the standard error of one <s_i s_j> is below 0.005, and 0.03 is 6 of them (66 pairs)."""
    measure = SK(12, beta=0.5, field=0.2, rng=11, units=units)
    ex = exact(measure)
    mc = monte_carlo(measure, n_sweeps=2000, n_chains=64, method=method, order=order, rng=1)
    assert_honest(mc, ex.m, ex.energy)
    np.testing.assert_allclose(mc.correlation, ex.correlation, atol=0.03)
    assert mc.converged, mc.message
    assert mc.n_samples == 64 * 1800 and mc.burn_in == 200
    if method == "metropolis":
        assert 0.2 < mc.acceptance_rate < 1
    else:
        assert mc.acceptance_rate == 1.0


@pytest.mark.parametrize("units", ["binary", "bernoulli"])
def test_block_iteration_reproduces_site_by_site_updates(units, monkeypatch):
    """The fixed-point iteration of a block (module docstring of monte_carlo: the k-th iterate is exact
    on the first k sites) gives the same chain as updating the sites one by one (ITERATIONS = 0), and as
    stopping after two iterations and finishing site by site.  n = 70 spans three blocks; beta = 0.8."""
    measure = SK(70, beta=0.8, field=0.1, rng=0, units=units)
    for method, order in [("heat-bath", "sequential"), ("metropolis", "random")]:
        runs = []
        for iterations in (0, 2, mc_module.ITERATIONS):
            monkeypatch.setattr(mc_module, "ITERATIONS", iterations)
            runs.append(monte_carlo(measure, 40, 8, method=method, order=order, rng=5))
        for other in runs[1:]:
            np.testing.assert_array_equal(other.final_state, runs[0].final_state)
            np.testing.assert_array_equal(other.m, runs[0].m)


def gaussian_exact(measure):
    """N(m, Sigma) with Sigma^-1 = I/sigma^2 - beta J, m = Sigma beta h;
    <E> = -tr(J Sigma)/2 - m.J.m/2 - h.m (Gaussian moments, e.g. Rasmussen & Williams 2006, app. A)."""
    A = np.eye(measure.n) / measure.prior.variance_ - measure.beta * measure.J
    sigma = np.linalg.inv(A)
    m = sigma @ (measure.beta * measure.h)
    J = measure.J
    return m, sigma, -0.5 * np.trace(J @ sigma) - 0.5 * m @ J @ m - measure.h @ m


@pytest.mark.parametrize(
    "n, method",
    [pytest.param(40, "heat-bath", id="heat-bath-n40"), pytest.param(12, "metropolis", id="metropolis-n12")],
)
def test_monte_carlo_gaussian_units_against_closed_form(n, method):
    """Gaussian units N(0, 0.5) on SK couplings at beta = 0.3 (precision I/sigma^2 - beta J positive
    definite): the measure is Gaussian and its mean is (I/sigma^2 - beta J)^-1 beta h.  n = 40 spans
    two blocks of the delayed field update."""
    measure = SK(n, beta=0.3, field=0.4, rng=3, units=GaussianPrior(0.5))
    m, sigma, energy = gaussian_exact(measure)
    mc = monte_carlo(measure, n_sweeps=2000, n_chains=64, method=method, rng=7)
    z = (mc.m - m) / mc.m_err
    assert np.all(np.abs(z) < 4.5), z  # 40 sites: 4.5 sigma keeps the family-wise rate near 3e-4
    assert 0.2 < np.mean(z**2) < 3
    assert abs(mc.energy - energy) < 4 * mc.energy_err
    np.testing.assert_allclose(mc.correlation, sigma, atol=0.03)


def test_monte_carlo_refuses_non_normalisable_gaussian():
    """At beta = 5 the largest eigenvalue of beta J (about 2 beta for SK) exceeds 1/sigma^2 = 1."""
    with pytest.raises(ValueError, match="not normalisable.*smallest eigenvalue"):
        monte_carlo(SK(12, beta=5.0, rng=0, units="gaussian"), n_sweeps=10)


# -- reproducibility and inputs -------------------------------------------------------------------------------
def test_monte_carlo_same_seed_same_numbers():
    measure = SK(10, beta=0.7, field=0.1, rng=0)
    for method in ("heat-bath", "metropolis"):
        a = monte_carlo(measure, 50, 4, method=method, rng=123)
        b = monte_carlo(measure, 50, 4, method=method, rng=np.random.default_rng(123))
        c = monte_carlo(measure, 50, 4, method=method, rng=124)
        np.testing.assert_array_equal(a.m, b.m)
        np.testing.assert_array_equal(a.final_state, b.final_state)
        assert a.energy == b.energy
        assert not np.array_equal(a.final_state, c.final_state)


def test_monte_carlo_init_and_result():
    measure = SK(8, beta=0.4, rng=0, units="bernoulli")
    res = monte_carlo(measure, 20, 3, init=np.ones(8), burn_in=0, rng=0)
    assert res.final_state.shape == (3, 8)
    assert set(np.unique(res.final_state)) <= {0.0, 1.0}
    again = monte_carlo(measure, 20, 3, init=res.final_state, rng=1)
    assert again.n_chains == 3
    assert repr(res).startswith("MonteCarloResult(m=array(shape=(8,)")
    json.dumps(res.to_dict())


def test_monte_carlo_bad_inputs():
    measure = SK(6, rng=0)
    bad = [
        ({"n_sweeps": 0}, "n_sweeps"),
        ({"n_sweeps": 1}, "n_sweeps"),
        ({"n_sweeps": 2.5}, "n_sweeps"),
        ({"n_chains": 0}, "n_chains"),
        ({"n_chains": "8"}, "n_chains"),
        ({"n_sweeps": 10, "burn_in": 9}, "burn_in"),
        ({"burn_in": -1}, "burn_in"),
        ({"method": "gibbs"}, "method"),
        ({"order": "backwards"}, "order"),
        ({"init": np.ones(5)}, "init"),
        ({"init": np.zeros(6)}, "init"),
        ({"init": [np.nan] * 6}, "init"),
    ]
    for kwargs, name in bad:
        with pytest.raises(ValueError, match=name):
            monte_carlo(measure, **{"n_sweeps": 20, **kwargs})
    with pytest.raises(ValueError, match="measure"):
        monte_carlo(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="units"):
        monte_carlo(SK(6, rng=0, units="spherical"))


# -- autocorrelation time ---------------------------------------------------------------------------------------
def test_autocorrelation_time_of_ar1():
    """AR(1), x_{t+1} = phi x_t + noise: rho(t) = phi^t and tau_int = (1 + phi) / (2 (1 - phi)) (Sokal 1997,
    sec. 3).  phi = 0.8: tau = 4.5; with 8 x 20000 samples and a window of about 25 the statistical
    error of tau is about 2.5 % (Madras & Sokal 1988, var tau ~ 2(2M+1) tau^2 / N); tolerance 10 %."""
    rng = np.random.default_rng(0)
    T, chains, phi = 20_000, 8, 0.8
    noise = rng.standard_normal((T, chains))
    x = np.empty((T, chains))
    x[0] = noise[0] / np.sqrt(1 - phi**2)
    for t in range(1, T):
        x[t] = phi * x[t - 1] + noise[t]
    tau, window = integrated_autocorrelation_time(x)
    assert tau == pytest.approx((1 + phi) / (2 * (1 - phi)), rel=0.1)
    assert window >= 5 * tau and window % 2 == 0
    white, _ = integrated_autocorrelation_time(noise)
    assert white == pytest.approx(0.5, abs=0.05)
    assert np.isnan(integrated_autocorrelation_time(np.ones((10, 2)))[0])
    with pytest.raises(ValueError, match="series"):
        integrated_autocorrelation_time([1.0])


@pytest.mark.parametrize("L", [3, 4])
def test_ising2d_exact_against_row_transfer_matrix(L):
    """The periodic L x L Ising model: exact enumeration against the row-to-row transfer matrix,
    Z = Tr T^L with T(a, b) = exp(beta [K a.b + K sum_c a_c a_(c+1) + h sum_c a_c]) over row
    configurations (Kramers & Wannier 1941; prior-weighted: minus n log 2)."""
    from statmech_learn.meanfield import Ising2D

    beta, K, h = 0.4, 1.0, 0.1
    model = Ising2D(L, beta=beta, field=h, coupling=K)
    rows = np.array(list(itertools.product([-1.0, 1.0], repeat=L)))
    inner = K * np.sum(rows * np.roll(rows, -1, axis=1), axis=1) + h * rows.sum(1)
    T = np.exp(beta * (K * rows @ rows.T + inner[:, None]))
    logz = np.log(np.trace(np.linalg.matrix_power(T, L))) - L * L * np.log(2.0)
    assert exact(model).log_partition == pytest.approx(logz, rel=1e-12)
    open_model = Ising2D(L, beta=beta, coupling=K, periodic=False)
    assert open_model.energy(np.ones(L * L)) == pytest.approx(-2 * L * (L - 1) * K)
    with pytest.raises(ValueError, match="^L must"):
        Ising2D(1)
    with pytest.raises(ValueError, match="^periodic must"):
        Ising2D(3, periodic="yes")
