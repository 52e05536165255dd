"""Online perceptron learning: closed-form ODEs vs quadrature, Monte Carlo, asymptotics and simulation.

References: Biehl & Schwarze 1995, J. Phys. A 28, 643; Engel & Van den Broeck
2001, "Statistical Mechanics of Learning", ch. 9 (Hebb eps ~ alpha^(-1/2),
perceptron rule eps ~ alpha^(-1/3), AdaTron eps ~ alpha^(-1), optimal AdaTron
rate 3/2 with eps ~ 4/(3 alpha)).
"""

import math

import numpy as np
import pytest
from scipy import integrate, optimize

from statmech_learn.online.perceptron import (
    Perceptron,
    PerceptronSimulation,
    PerceptronTrajectory,
    simulate_perceptron,
)

RULES = ("hebb", "perceptron", "adatron")


def f_rule(rule, h, b):
    """The modulation written from the update rules themselves (independent of the module)."""
    sigma = np.sign(b)
    if rule == "hebb":
        return sigma * np.ones_like(h)
    error = np.heaviside(-h * sigma, 1.0)
    if rule == "perceptron":
        return error * sigma
    return np.abs(h) * error * sigma


def quad_average(rule, g, R, Q, n=160):
    """E[g(f, h, b)] over (h, b) ~ N(0, [[Q, R], [R, 1]]) by 2-d Gauss-Legendre quadrature.

    h = R b + s z with b, z iid standard and s = sqrt(Q - R^2).  The plane is cut
    along b = 0 and along the discontinuity h = 0 (z = -R b / s) into four pieces on
    which the integrand is smooth; each is a tensor rule of n x n nodes on
    [-12, 12] (Gaussian mass beyond: 4e-33), with the z-limits following b.
    """
    s = math.sqrt(Q - R * R)
    L = 12.0
    x, w = np.polynomial.legendre.leggauss(n)
    total = 0.0
    for lo, hi in ((-L, 0.0), (0.0, L)):
        b = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
        wb = 0.5 * (hi - lo) * w
        cut = np.clip(-R * b / s, -L, L)
        for zlo, zhi in ((np.full_like(b, -L), cut), (cut, np.full_like(b, L))):
            z = 0.5 * (zhi - zlo)[:, None] * x + 0.5 * (zhi + zlo)[:, None]
            wz = 0.5 * (zhi - zlo)[:, None] * w
            bb = np.broadcast_to(b[:, None], z.shape)
            h = R * bb + s * z
            f = f_rule(rule, h, bb)
            dens = np.exp(-0.5 * (bb * bb + z * z)) / (2 * math.pi)
            total += np.sum(wb[:, None] * wz * g(f, h, bb) * dens)
    return total


STATES = [(0.3, 0.5), (-0.4, 2.0), (0.95, 1.0), (0.0, 0.04)]


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("R, Q", STATES)
def test_closed_form_averages_match_quadrature(rule, R, Q):
    fb, fh, f2 = Perceptron(rule=rule, lr=1.0).averages(R, Q)
    assert fb == pytest.approx(quad_average(rule, lambda f, h, b: f * b, R, Q), abs=1e-8)
    assert fh == pytest.approx(quad_average(rule, lambda f, h, b: f * h, R, Q), abs=1e-8)
    assert f2 == pytest.approx(quad_average(rule, lambda f, h, b: f * f, R, Q), abs=1e-8)


@pytest.mark.parametrize("rule, lr", [("hebb", 0.7), ("perceptron", 1.3), ("adatron", 1.5)])
def test_rhs_matches_monte_carlo(rule, lr):
    """dR = lr <f b>, dQ = 2 lr <f h> + lr^2 <f^2>: sample means within 5 standard errors."""
    rng = np.random.default_rng(123)
    n = 400_000
    for R, Q in STATES:
        b = rng.standard_normal(n)
        h = R * b + math.sqrt(Q - R * R) * rng.standard_normal(n)
        f = f_rule(rule, h, b)
        dR_samples = lr * f * b
        dQ_samples = 2 * lr * f * h + lr**2 * f * f
        dR, dQ = Perceptron(rule=rule, lr=lr).rhs(R, Q)
        for got, samples in ((dR, dR_samples), (dQ, dQ_samples)):
            se = samples.std() / math.sqrt(n)
            assert abs(got - samples.mean()) < 5 * se + 1e-12


def test_hebb_rhs_closed_form_of_the_brief():
    R, Q, lr = 0.4, 0.9, 0.8
    dR, dQ = Perceptron("hebb", lr).rhs(R, Q)
    assert dR == pytest.approx(lr * math.sqrt(2 / math.pi), rel=1e-14)
    assert dQ == pytest.approx(2 * lr * R * math.sqrt(2 / math.pi) + lr**2, rel=1e-14)


def hebb_exact(alpha, lr, R0, Q0):
    """Exact solution of the Hebb ODEs (polynomial in alpha)."""
    c = math.sqrt(2 / math.pi)
    R = R0 + lr * c * alpha
    Q = Q0 + 2 * lr * c * R0 * alpha + (lr * c * alpha) ** 2 + lr**2 * alpha
    return R, Q


@pytest.mark.parametrize("lr, R0, Q0", [(1.0, 0.0, 1e-2), (0.3, -0.5, 1.0), (2.0, 0.0, 1e-12)])
def test_hebb_trajectory_matches_exact_solution(lr, R0, Q0):
    alpha = np.concatenate(([0.0], np.geomspace(1e-3, 1e6, 60)))
    traj = Perceptron("hebb", lr).integrate(R0=R0, Q0=Q0, alpha=alpha)
    assert isinstance(traj, PerceptronTrajectory) and traj.converged
    R, Q = hebb_exact(alpha, lr, R0, Q0)
    np.testing.assert_allclose(traj.Q, Q, rtol=1e-7)
    assert np.all(np.abs(traj.R - R) <= 1e-7 * np.sqrt(Q))
    # eps_g to relative accuracy even where 1 - rho ~ 1e-7: Q - R^2 = Q0 - R0^2 + lr^2 alpha exactly
    eps = np.arctan2(np.sqrt(Q0 - R0**2 + lr**2 * alpha), R) / np.pi
    np.testing.assert_allclose(traj.eps_g, eps, rtol=1e-6)


@pytest.mark.parametrize("rule, lr", [("perceptron", 1.0), ("adatron", 1.5), ("adatron", 0.5)])
def test_angle_formulation_matches_naive_R_Q_integration(rule, lr):
    """The module integrates (phi, log Q); integrating dR, dQ of rhs() directly must agree."""
    perc = Perceptron(rule, lr)
    alpha = np.linspace(0.0, 20.0, 41)

    def fun(a, y):
        return list(perc.rhs(y[0], y[1]))

    ref = integrate.solve_ivp(fun, (0, 20.0), [0.1, 0.5], t_eval=alpha, rtol=1e-11, atol=1e-13, method="DOP853")
    traj = perc.integrate(R0=0.1, Q0=0.5, alpha=alpha)
    np.testing.assert_allclose(traj.R, ref.y[0], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(traj.Q, ref.y[1], rtol=1e-6)
    np.testing.assert_allclose(traj.eps_g, np.arccos(ref.y[0] / np.sqrt(ref.y[1])) / np.pi, rtol=1e-6)


# exponent (Engel & Van den Broeck 2001, sec. 9.2) and prefactor (derived by hand from the closed-form
# ODEs, see the module docstring) of eps_g(alpha) at large alpha:
# Hebb: 1/sqrt(2 pi alpha) (from the exact solution, rho^2 -> 1/(1 + pi/(2 alpha)));
# perceptron: (2/3)^(1/3) alpha^(-1/3) / pi; AdaTron: 3 / (lr (3 - lr) alpha), 4/(3 alpha) at lr = 3/2.
ASYMPTOTICS = [
    ("hebb", 1.0, -0.5, lambda a, lr: 1 / np.sqrt(2 * np.pi * a)),
    ("hebb", 0.3, -0.5, lambda a, lr: 1 / np.sqrt(2 * np.pi * a)),
    ("perceptron", 1.0, -1 / 3, lambda a, lr: (2 / 3) ** (1 / 3) / np.pi * a ** (-1 / 3)),
    ("perceptron", 2.5, -1 / 3, lambda a, lr: (2 / 3) ** (1 / 3) / np.pi * a ** (-1 / 3)),
    ("adatron", 1.5, -1.0, lambda a, lr: 4 / (3 * a)),
    ("adatron", 1.0, -1.0, lambda a, lr: 3 / (lr * (3 - lr) * a)),
]


@pytest.mark.parametrize("rule, lr, exponent, leading", ASYMPTOTICS)
def test_asymptotic_decay_exponent_and_prefactor(rule, lr, exponent, leading):
    alpha = np.geomspace(1e3, 1e5, 21)
    traj = Perceptron(rule, lr).integrate(R0=0.0, Q0=1e-2, alpha=np.concatenate(([0.0], alpha)))
    assert traj.converged
    slope = np.polyfit(np.log(alpha), np.log(traj.eps_g[1:]), 1)[0]
    assert abs(slope - exponent) < 0.02
    # prefactor: corrections are relative O(alpha^(-1/3)) at worst; at 1e5 well below 1e-3
    assert traj.eps_g[-1] / leading(alpha[-1], lr) == pytest.approx(1.0, abs=1e-3)


def test_adatron_above_critical_rate_stalls_at_the_fixed_angle():
    """For lr > 3 the AdaTron angle tends to phi* > 0 solving 2 A(phi) = (lr - 2) cos(phi) B(phi)."""
    lr = 3.5

    def g(phi):
        A = math.sin(phi) - phi * math.cos(phi)
        B = phi - math.sin(phi) * math.cos(phi)
        return 2 * A - (lr - 2) * math.cos(phi) * B

    phi_star = optimize.brentq(g, 0.05, 1.5)
    perc = Perceptron("adatron", lr)
    traj = perc.integrate(R0=0.5, Q0=1.0, alpha_max=1e3)
    assert traj.eps_g[-1] == pytest.approx(phi_star / np.pi, rel=1e-6)
    assert np.isnan(perc.asymptotic_eps_g(10.0))


# ODE vs finite-N simulation: N = 2000, 8 seeds.  Tolerance: 4 standard errors over seeds plus an
# allowance 0.05 max(1, |theory|) / sqrt(N) (~1e-3) for the O(1/N) finite-size bias of the means
# and for the noise of an 8-seed standard error.
@pytest.mark.parametrize("rule, lr", [("hebb", 1.0), ("perceptron", 1.0), ("adatron", 1.5)])
def test_ode_matches_simulation(rule, lr):
    N, seeds = 2000, 8
    perc = Perceptron(rule, lr)
    sim = simulate_perceptron(
        perc, N=N, alpha_max=1.0, n_seeds=seeds, rng=2024, R0=0.0, Q0=1.0, alpha=[0.0, 0.25, 0.5, 1.0]
    )
    assert isinstance(sim, PerceptronSimulation)
    np.testing.assert_allclose(sim.alpha, [0.0, 0.25, 0.5, 1.0])
    # the initial state is realised exactly
    assert sim.R[0] == pytest.approx(0.0, abs=1e-12) and sim.Q[0] == pytest.approx(1.0, rel=1e-12)
    traj = perc.integrate(R0=0.0, Q0=1.0, alpha=sim.alpha)
    for name in ("R", "Q", "eps_g"):
        mean, se, theory = getattr(sim, name)[1:], getattr(sim, name + "_stderr")[1:], getattr(traj, name)[1:]
        tol = 4 * se + 0.05 * np.maximum(1.0, np.abs(theory)) / math.sqrt(N)
        assert np.all(np.abs(mean - theory) < tol), (name, mean, theory, se)
        # and the theory actually moved: the check is not trivially about the initial state
    assert traj.R[-1] > 0.3


@pytest.mark.slow
@pytest.mark.parametrize("rule, lr", [("hebb", 1.0), ("perceptron", 1.0), ("adatron", 1.5)])
def test_ode_matches_simulation_long(rule, lr):
    N, seeds = 1000, 8
    perc = Perceptron(rule, lr)
    sim = simulate_perceptron(perc, N=N, alpha_max=20.0, n_seeds=seeds, rng=7, alpha=[2.0, 5.0, 20.0])
    traj = perc.integrate(alpha=sim.alpha)
    for name in ("R", "Q", "eps_g"):
        mean, se, theory = getattr(sim, name), getattr(sim, name + "_stderr"), getattr(traj, name)
        tol = 4 * se + 0.05 * np.maximum(1.0, np.abs(theory)) / math.sqrt(N)
        assert np.all(np.abs(mean - theory) < tol), (name, mean, theory, se)


def test_simulation_seed_reproducible_and_single_seed():
    perc = Perceptron("perceptron", 1.0)
    a = simulate_perceptron(perc, N=50, alpha_max=2.0, n_seeds=3, rng=5)
    b = simulate_perceptron(perc, N=50, alpha_max=2.0, n_seeds=3, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a.R_seeds, b.R_seeds)
    one = simulate_perceptron(perc, N=50, alpha_max=1.0, n_seeds=1, rng=0)
    assert np.all(np.isnan(one.R_stderr))
    d = one.to_dict()
    assert d["rule"] == "perceptron" and isinstance(d["R"], list)
    assert "PerceptronSimulation(" in repr(one)


def test_default_grid_is_log_spaced_and_starts_at_zero():
    traj = Perceptron("adatron", 1.0).integrate()
    assert traj.alpha[0] == 0.0 and traj.alpha[-1] == pytest.approx(1000.0)
    ratios = traj.alpha[2:] / traj.alpha[1:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-10)
    assert traj.eps_g[0] == pytest.approx(0.5)  # R0 = 0: a random guess
    assert "PerceptronTrajectory(" in repr(traj) and traj.to_dict()["converged"] is True


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(rule="oja"), r"rule must be one of 'hebb', 'perceptron', 'adatron', got 'oja'"),
        (dict(rule="hebb", lr=0.0), r"lr must be > 0, got 0"),
        (dict(rule="hebb", lr=-1.0), r"lr must be > 0, got -1"),
        (dict(rule="hebb", lr=float("nan")), r"lr must be finite"),
        (dict(rule="hebb", lr=True), r"lr must be a number"),
    ],
)
def test_bad_model_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Perceptron(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(alpha_max=-1.0), r"alpha_max must be > 0, got -1"),
        (dict(Q0=0.0), r"Q0 must be > 0, got 0"),
        (dict(R0=1.0, Q0=1.0), r"R0 must satisfy R0\*\*2 < Q0"),
        (dict(R0=float("inf")), r"R0 must be finite"),
        (dict(alpha=[0.0, 2.0, 1.0]), r"alpha must be a strictly increasing"),
        (dict(alpha=[0.0, 5.0], alpha_max=1.0), r"alpha must lie in \[0, alpha_max"),
        (dict(rtol=0.0), r"rtol must be finite and > 0"),
    ],
)
def test_bad_integration_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Perceptron("adatron").integrate(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(N=1), r"N must be >= 2, got 1"),
        (dict(N=2.5), r"N must be an integer"),
        (dict(N=10**8), r"N must be <= 10000000"),
        (dict(n_seeds=0), r"n_seeds must be >= 1, got 0"),
        (dict(n_seeds=10**6), r"n_seeds must be <= 100000"),
        (dict(alpha_max=0.0), r"alpha_max must be > 0, got 0"),
        (dict(N=10**6, alpha_max=1e4), r"operations is too large"),
    ],
)
def test_bad_simulation_input(kwargs, match):
    args = dict(N=10, alpha_max=1.0, n_seeds=2) | kwargs
    with pytest.raises(ValueError, match=match):
        simulate_perceptron(Perceptron("hebb"), **args)
    with pytest.raises(ValueError, match=r"perc must be a Perceptron"):
        simulate_perceptron("hebb", N=10)
