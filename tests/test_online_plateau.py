"""The symmetric plateau of soft committee machines (Saad & Solla 1995, Phys. Rev. E 52, 4225;
Phys. Rev. Lett. 74, 4337): the reduced fixed point against the full ODE, its lr -> 0 limit,
its escape rate, and the plateau diagnostics."""

import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from statmech_learn import online
from statmech_learn.errors import ConvergenceError


def _identical_start(model, q0=0.01, r0=1e-3, asym=1e-12, seed=0):
    """Student units identical up to ``asym`` (the manifold the plateau lies on)."""
    K, M = model.K, model.M
    rng = np.random.default_rng(seed)
    Q = q0 * np.ones((K, K)) + 1e-10 * np.eye(K)
    R = r0 + asym * rng.standard_normal((K, M))
    return model.initial_state(Q=Q, R=R, T=np.eye(M))


def test_full_ode_plateau_is_the_reduced_fixed_point():
    """K = M = 3, erf, lr = 0.1: the full ODE from a nearly symmetric start passes within 1e-6
    of the reduced fixed point, and the detected plateau's height equals its error to 1e-6."""
    m = online.SoftCommittee(K=3, M=3, lr=0.1)
    p = online.symmetric_plateau(m)
    assert p.converged and p.residual < 1e-12 and p.n_iter > 0
    assert p.C == p.Q  # identical student units
    tr = m.integrate(_identical_start(m), t_max=2000, t=np.linspace(0, 2000, 801))
    dist = np.maximum(np.abs(tr.Q - p.Q).max(axis=(1, 2)), np.abs(tr.R - p.R).max(axis=(1, 2)))
    assert dist.min() < 1e-6
    pl = online.plateau(tr)
    assert pl.found and abs(pl.height - p.eps_g) < 1e-6
    assert pl.entry < tr.t[np.argmin(dist)] < pl.exit
    # the error functional at the fixed point, recomputed from the definition by Monte Carlo
    rng = np.random.default_rng(1)
    omega = np.block([[p.Q * np.ones((3, 3)), p.R * np.ones((3, 3))], [p.R * np.ones((3, 3)), np.eye(3)]])
    L = np.linalg.cholesky(omega + 1e-12 * np.eye(6))
    f = rng.standard_normal((10**6, 6)) @ L.T
    g = m.activation.g
    err = 0.5 * (g(f[:, :3]).sum(1) - g(f[:, 3:]).sum(1)) ** 2
    assert abs(err.mean() - p.eps_g) < 4 * err.std() / 1e3


@pytest.mark.parametrize("K", [2, 3, 5])
def test_small_lr_closed_form_is_the_minimum_over_identical_units(K):
    """Saad & Solla (1995, PRL 74, 4337): as lr -> 0 the plateau is the best network of identical
    units, eps = (K/pi)[pi/6 - K arcsin(1/2K)] at R = 1/sqrt(K(2K-1)); checked here by minimising
    the error of w_i = c sum_n w*_n over c with the erf I2 (Q = K c^2, R = c)."""
    act = online.Activation("erf")

    def eps(c):
        q = K * c * c
        ss = act.I2(np.array([[q, q], [q, q]]))
        st = act.I2(np.array([[q, c], [c, 1.0]]))
        tt = act.I2(np.eye(2))  # distinct orthonormal teacher units
        diag = act.I2(np.ones((2, 2)))
        return 0.5 * (K * K * ss - 2 * K * K * st + K * diag + K * (K - 1) * tt)

    best = minimize_scalar(eps, bounds=(1e-3, 2.0), method="bounded", options={"xatol": 1e-12})
    assert best.fun == pytest.approx(online.small_lr_plateau_height(K), abs=1e-12)
    assert best.x == pytest.approx(1 / math.sqrt(K * (2 * K - 1)), abs=1e-6)


def test_plateau_height_tends_to_saad_solla_linearly_in_lr():
    """The fixed point's height -> (K/pi)[pi/6 - K arcsin(1/2K)] as lr -> 0 with a correction
    linear in lr; Q = C -> 1/(2K-1) and R -> 1/sqrt(K(2K-1)) (K = M = 3)."""
    h0 = online.small_lr_plateau_height(3)
    assert h0 == pytest.approx(3 / math.pi * (math.pi / 6 - 3 * math.asin(1 / 6)), rel=1e-15)
    ps = {lr: online.symmetric_plateau(online.SoftCommittee(K=3, M=3, lr=lr)) for lr in (1e-3, 1e-2)}
    assert all(p.small_lr_height == h0 for p in ps.values())
    assert abs(ps[1e-3].eps_g - h0) < 2e-5
    assert abs(ps[1e-3].Q - 0.2) < 2e-5 and abs(ps[1e-3].R - 1 / math.sqrt(15)) < 2e-5
    ratio = (ps[1e-2].eps_g - h0) / (ps[1e-3].eps_g - h0)
    assert ratio == pytest.approx(10.0, rel=0.02)


def test_escape_rate_is_the_growth_rate_of_the_asymmetry():
    """On the plateau an asymmetry grows as exp(escape_rate * t): measured on the full ODE
    from a start with asymmetry 1e-12 against the Jacobian's eigenvalue (K = M = 3, lr = 0.5)."""
    m = online.SoftCommittee(K=3, M=3, lr=0.5)
    p = online.symmetric_plateau(m)
    assert p.escape_rate > 0 and 0 < p.symmetric_drift < p.escape_rate
    t = np.linspace(0, 400, 401)
    tr = m.integrate(_identical_start(m), t_max=400, t=t)
    spread = tr.R.max(axis=(1, 2)) - tr.R.min(axis=(1, 2))
    window = (spread > 1e-9) & (spread < 1e-5)
    slope = np.polyfit(t[window], np.log(spread[window]), 1)[0]
    assert window.sum() > 50
    assert slope == pytest.approx(p.escape_rate, rel=0.03)


def test_single_unit_has_no_plateau():
    """K = M = 1: the fixed point is the teacher (eps = 0), stable; the closed form gives 0."""
    p = online.symmetric_plateau(online.SoftCommittee(K=1, M=1, lr=0.5))
    assert p.eps_g < 1e-12 and p.escape_rate < 0 and math.isnan(p.C)
    assert pytest.approx(1.0, abs=1e-9) == p.Q and pytest.approx(1.0, abs=1e-9) == p.R
    assert online.small_lr_plateau_height(1) == 0.0


def test_symmetric_plateau_bad_input():
    with pytest.raises(ValueError, match="second layers fixed"):
        online.symmetric_plateau(online.TwoLayer(K=2, M=2, lr=0.5, lr_second=0.1))
    with pytest.raises(ValueError, match="model must be"):
        online.symmetric_plateau("scm")
    with pytest.raises(ValueError, match="tol must be"):
        online.symmetric_plateau(online.SoftCommittee(K=2, M=2), tol=0.0)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="K must be"):
            online.small_lr_plateau_height(bad)
    # beyond stability the reduced flow blows up: reported, and raised in strict mode
    big = online.SoftCommittee(K=2, M=2, lr=50.0)
    p = online.symmetric_plateau(big)
    assert not p.converged
    with pytest.raises(ConvergenceError):
        online.symmetric_plateau(big, strict=True)


@pytest.mark.slow
def test_plateau_exit_time_grows_like_log_n_in_simulations():
    """Online SGD of K = M = 3 (erf, lr = 0.8) started on the plateau with exactly symmetric
    teacher overlaps: only the finite-N noise, of order N^(-1/2), breaks the symmetry, so the
    exit time (first time eps_g < half the plateau height) grows linearly in log N.  64 runs at
    each of N = 500, 2000, 8000 (the overlap chain, exact in law): the middle point lies on the
    line through the outer two within 3 standard errors, and the slope agrees with the ODE's,
    (1/2) dt_exit/dlog(1/a) for an initial asymmetry a = N^(-1/2) scaled by 10^-1 .. 10^-3
    (tolerance: 3 standard errors plus 10% for its variation over that range)."""
    m = online.SoftCommittee(K=3, M=3, lr=0.8)
    p = online.symmetric_plateau(m)
    Q0 = p.Q * np.ones((3, 3)) + 0.01 * np.eye(3)
    init = m.initial_state(Q=Q0, R=p.R * np.ones((3, 3)), T=np.eye(3))
    t_max = 320.0
    grid = np.linspace(0, t_max, 641)
    Ns = np.array([500, 2000, 8000])
    means, ses = [], []
    for N in Ns:
        sim = online.simulate(
            m, N=int(N), t_max=t_max, n_seeds=64, rng=int(N), init=init, t=grid, method="overlaps", progress=False
        )
        eps = m.eps_g(sim.Q, sim.R, np.eye(3), sim.v)  # (seeds, n_t)
        below = eps < 0.5 * p.eps_g
        assert below.any(axis=1).mean() >= 0.95, f"N = {N}: runs still on the plateau at t = {t_max}"
        t_exit = sim.t[np.argmax(below, axis=1)][below.any(axis=1)]
        means.append(t_exit.mean())
        ses.append(t_exit.std(ddof=1) / np.sqrt(t_exit.size))
    means, ses = np.array(means), np.array(ses)
    logn = np.log(Ns)
    # linear in log N: the middle point against the chord of the outer two
    w = (logn[1] - logn[0]) / (logn[2] - logn[0])
    chord = means[0] + w * (means[2] - means[0])
    se_chord = np.hypot(ses[1], np.hypot((1 - w) * ses[0], w * ses[2]))
    assert abs(means[1] - chord) < 3 * se_chord, (means, ses)
    slope = (means[2] - means[0]) / (logn[2] - logn[0])
    se_slope = np.hypot(ses[2], ses[0]) / (logn[2] - logn[0])
    assert slope > 5 * se_slope
    # the ODE's slope from a deterministic asymmetry a in the teacher overlaps
    A = np.random.default_rng(0).standard_normal((3, 3))
    A -= A.mean()
    t_ode = []
    for a in (1e-2, 1e-3, 1e-4):
        start = m.initial_state(Q=Q0, R=p.R * np.ones((3, 3)) + a * A, T=np.eye(3))
        tr = m.integrate(start, t_max=600, t=np.linspace(0, 600, 6001))
        t_ode.append(tr.t[np.argmax(tr.eps_g < 0.5 * p.eps_g)])
    slope_ode = 0.5 * (t_ode[2] - t_ode[0]) / np.log(100.0)
    assert abs(slope - slope_ode) < 3 * se_slope + 0.1 * slope_ode, (slope, se_slope, slope_ode)
