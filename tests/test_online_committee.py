"""Overlap ODEs of online SGD for two-layer networks against Monte Carlo and against simulations.

References: Saad & Solla 1995, Phys. Rev. E 52, 4225 (soft committee machine); Goldt, Advani,
Saxe, Krzakala & Zdeborova 2019, NeurIPS (both layers learned, output noise).
"""

import numpy as np
import pytest

from statmech_learn.online.committee import OverlapState, SoftCommittee, TwoLayer
from statmech_learn.online.plateau import plateau
from statmech_learn.online.simulation import simulate


def _random_state(model, rng, scale=0.6):
    """A valid (Q, R, T) from random weights in 50 dimensions, and a random second layer."""
    W = rng.standard_normal((model.K + model.M, 50)) * scale
    W[model.K :] /= np.linalg.norm(W[model.K :], axis=1, keepdims=True) / np.sqrt(50) / 1.0
    G = W @ W.T / 50
    K = model.K
    return OverlapState(Q=G[:K, :K], R=G[:K, K:], T=G[K:, K:], v=0.5 + rng.random(K), v_star=model.v_star)


def _fields(state, n, rng):
    omega = state.gram()
    L = np.linalg.cholesky(omega + 1e-14 * np.eye(omega.shape[0]))
    return rng.standard_normal((n, omega.shape[0])) @ L.T


@pytest.mark.parametrize("activation", ["erf", "relu"])
def test_generalisation_error_functional_against_monte_carlo(activation):
    """eps_g(Q, R, T, v) = E (phi - phi*)^2 / 2 on 10^6 fresh Gaussian inputs (their local
    fields), within 3 standard errors."""
    rng = np.random.default_rng(1)
    model = TwoLayer(3, 2, activation, lr=0.5, lr_second=0.1, v_star=np.array([1.0, -0.7]))
    s = _random_state(model, rng)
    z = _fields(s, 10**6, rng)
    g = model.activation.g
    err = 0.5 * (g(z[:, :3]) @ s.v - g(z[:, 3:]) @ s.v_star) ** 2
    se = err.std() / np.sqrt(err.size)
    assert abs(model.eps_g(s.Q, s.R, s.T, s.v) - err.mean()) <= 3 * se


def test_ode_right_hand_side_against_monte_carlo():
    """dQ/dt, dR/dt, dv/dt are the expectations of one SGD step (times N), here by Monte Carlo
    over 10^6 samples of the local fields and the output noise (K = 2, M = 3, erf, noise 0.3,
    both layers learned); each entry within 4 standard errors."""
    rng = np.random.default_rng(2)
    model = TwoLayer(2, 3, "erf", lr=0.7, lr_second=0.4, noise=0.3, v_star=np.array([1.0, 0.5, -0.8]))
    s = _random_state(model, rng)
    dQ, dR, dv = model.rhs(s)
    n = 10**6
    z = _fields(s, n, rng)
    lam, nu = z[:, :2], z[:, 2:]
    act = model.activation
    delta = act.g(lam) @ s.v - act.g(nu) @ s.v_star - 0.3 * rng.standard_normal(n)
    grad = s.v * act.dg(lam) * delta[:, None]  # (n, K): the update of w_k is -lr/sqrt(N) grad_k x
    samp_R = -model.lr * grad[:, :, None] * nu[:, None, :]
    samp_Q = (
        -model.lr * (grad[:, :, None] * lam[:, None, :] + grad[:, None, :] * lam[:, :, None])
        + model.lr**2 * grad[:, :, None] * grad[:, None, :]
    )
    samp_v = -model.lr_second * delta[:, None] * act.g(lam)
    for exact, samples in ((dR, samp_R), (dQ, samp_Q), (dv, samp_v)):
        mean = samples.mean(axis=0)
        se = samples.std(axis=0) / np.sqrt(n)
        assert np.all(np.abs(exact - mean) <= 4 * se + 1e-12), (exact, mean, se)


def test_linear_activation_has_the_closed_form_of_linear_regression():
    """g(x) = x, K = M = 1, v = v* = 1: eps_g = (Q - 2R + T)/2 and dR/dt = lr (T - R),
    dQ/dt = 2 lr (R - Q) + lr^2 (Q - 2R + T + sigma^2) (the online least-squares recursion)."""
    model = TwoLayer(1, 1, "linear", lr=0.3, noise=0.2)
    s = OverlapState(Q=np.array([[0.5]]), R=np.array([[0.2]]), T=np.array([[1.0]]), v=np.ones(1), v_star=np.ones(1))
    dQ, dR, _ = model.rhs(s)
    assert model.eps_g(s.Q, s.R, s.T, s.v) == pytest.approx(0.5 * (0.5 - 0.4 + 1.0), rel=1e-12)
    assert dR[0, 0] == pytest.approx(0.3 * (1.0 - 0.2), rel=1e-12)
    assert dQ[0, 0] == pytest.approx(2 * 0.3 * (0.2 - 0.5) + 0.09 * (0.5 - 0.4 + 1.0 + 0.04), rel=1e-12)


def test_ode_against_simulation_k2():
    """K = M = 2 (erf, lr = 0.5): simulated online SGD at N = 500 over 6 seeds against the ODE
    started from the same overlaps; within 4 standard errors over seeds plus an O(1/sqrt(N))
    allowance of 3 eps_g / sqrt(N) for the finite-N corrections."""
    model = SoftCommittee(2, 2, "erf", lr=0.5)
    init = model.initial_state(overlap=0.05, rng=3)
    grid = np.linspace(0, 20, 5)
    sim = simulate(model, N=500, t_max=20, n_seeds=6, rng=4, init=init, t=grid)
    ode = model.integrate(init, t_max=20, t=sim.t)
    assert not ode.blew_up
    tol = 4 * sim.eps_g_stderr + 3 * ode.eps_g / np.sqrt(500)
    assert np.all(np.abs(sim.eps_g - ode.eps_g) <= tol), (sim.eps_g, ode.eps_g, tol)


def test_soft_committee_reaches_a_plateau_then_specialises():
    """K = M = 3, erf, small lr from a tiny random start: the error stalls on the symmetric
    plateau, whose overlaps are symmetric (all R equal), then specialises and decays to 0."""
    model = SoftCommittee(3, 3, "erf", lr=0.1)
    init = model.initial_state(overlap=1e-3, rng=0)
    traj = model.integrate(init, t_max=3000, t=np.geomspace(1e-2, 3000, 200), method="LSODA", rtol=1e-7)
    p = plateau(traj)
    assert p.found and p.entry < p.exit and np.isfinite(p.specialisation_time)
    mid = np.argmin(np.abs(traj.t - 0.5 * (p.entry + p.exit)))
    R = traj.R[mid]
    assert R.max() - R.min() < 0.05 * np.abs(R).mean()  # symmetric on the plateau
    assert traj.eps_g[-1] < 1e-3 * p.height


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(K=0, M=2), "K"),
        (dict(K=2, M=-1), "M"),
        (dict(K=2, M=2, lr=0.0), "lr"),
        (dict(K=2, M=2, lr=float("nan")), "lr"),
        (dict(K=2, M=2, activation="tanhh"), "activation"),
        (dict(K=2, M=2, noise=-1.0), "noise"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        TwoLayer(**kwargs)


def test_initial_overlaps_must_be_a_gram_matrix():
    model = SoftCommittee(2, 1)
    with pytest.raises(ValueError, match="positive semi-definite"):
        model.initial_state(Q=np.eye(2) * 0.01, R=np.array([[1.0], [0.0]]), T=np.eye(1))
    with pytest.raises(ValueError, match="^t_max must"):
        model.integrate(model.initial_state(rng=0), t_max=0)


def test_blow_up_is_reported_not_returned_as_nan():
    """Linear network, lr = 3 > 2 (beyond the stability limit of online least squares): Q grows
    like exp((lr^2 - 2 lr) t) = exp(3 t) and crosses 1e6 near t = log(1e6)/3 = 4.6; the
    trajectory says so and when, and holds no NaN."""
    model = TwoLayer(1, 1, "linear", lr=3.0)
    init = OverlapState(Q=np.array([[0.5]]), R=np.array([[0.1]]), T=np.array([[1.0]]), v=np.ones(1), v_star=np.ones(1))
    traj = model.integrate(init, t_max=50)
    assert traj.blew_up and 3.0 < traj.blowup_time < 6.0
    assert np.all(np.isfinite(traj.eps_g)) and traj.t[-1] <= traj.blowup_time


def _fixed_point(model, start):
    """The stationary overlaps near ``start`` by root finding on the full right-hand side."""
    from scipy.optimize import root

    K, M = model.K, model.M
    iu = np.triu_indices(K)
    nq = iu[0].size

    def unpack(y):
        Q = np.zeros((K, K))
        Q[iu] = y[:nq]
        Q = Q + np.triu(Q, 1).T
        return Q, y[nq : nq + K * M].reshape(K, M), y[nq + K * M :]

    def f(y):
        dQ, dR, dv = model._rhs(*unpack(y)[:2], np.eye(M), unpack(y)[2])
        return np.concatenate([dQ[iu], dR.ravel(), dv])

    sol = root(f, np.concatenate([start.Q[iu], start.R.ravel(), start.v]), tol=1e-14)
    assert np.max(np.abs(f(sol.x))) < 1e-14
    Q, R, v = unpack(sol.x)
    return float(model.eps_g(Q, R, np.eye(M), v)), (Q, R, v)


def test_noisy_linear_student_asymptote_closed_form():
    """Linear K = M = 1 with output noise: e = Q - 2R + T obeys de/dt = -2 lr e + lr^2 (e + sigma^2),
    so eps_g(inf) = lr sigma^2 / (2 (2 - lr)) exactly: linear in lr at small lr."""
    for lr in (0.01, 0.1, 0.5):
        model = TwoLayer(1, 1, "linear", lr=lr, noise=0.5)
        teacher = OverlapState(Q=np.eye(1), R=np.eye(1), T=np.eye(1), v=np.ones(1), v_star=np.ones(1))
        eps, _ = _fixed_point(model, teacher)
        assert eps == pytest.approx(lr * 0.25 / (2 * (2 - lr)), rel=1e-10)
        traj = model.integrate(model.initial_state(Q=[[0.3]], R=[[0.1]], T=[[1.0]]), t_max=60 / lr, t=[0, 60 / lr])
        assert traj.eps_g[-1] == pytest.approx(eps, rel=1e-4)


@pytest.mark.parametrize("learned", [False, True])
def test_two_layer_noise_asymptotic_error_is_linear_in_lr(learned):
    """Goldt et al. 2019: with output noise sigma the asymptotic error of online SGD is
    proportional to lr at small lr (K = M = 2, erf, sigma = 0.5): eps(lr)/lr at lr = 1e-3, 2e-3,
    4e-3 within 5 lr (relative) of its lr -> 0 limit, and the fixed point is the long-time limit."""

    def model(lr):
        return TwoLayer(2, 2, "erf", lr=lr, lr_second=lr if learned else 0.0, noise=0.5)

    teacher = OverlapState(Q=np.eye(2), R=np.eye(2), T=np.eye(2), v=np.ones(2), v_star=np.ones(2))
    lrs = np.array([1e-3, 2e-3, 4e-3])
    ratios = np.array([_fixed_point(model(lr), teacher)[0] / lr for lr in lrs])
    slope0 = 2 * ratios[0] - ratios[1]  # Richardson: eps / lr at lr -> 0
    assert slope0 > 0.03  # O(sigma^2 lr), not a round-off zero
    assert np.all(np.abs(ratios / slope0 - 1) < 5 * lrs)  # eps = slope0 lr (1 + O(lr))
    # at lr = 0.2 the root is where the dynamics goes: integrate from near the teacher
    m = model(0.2)
    eps, _ = _fixed_point(m, teacher)
    start = m.initial_state(Q=np.eye(2) * 0.9, R=np.eye(2) * 0.9, T=np.eye(2), v=np.ones(2) * (0.9 if learned else 1.0))
    traj = m.integrate(start, t_max=4000, t=[0, 4000])  # a slow mode when v is learned
    assert traj.eps_g[-1] == pytest.approx(eps, rel=1e-4)


def test_overlap_chain_agrees_with_weights_simulation():
    """simulate(method='overlaps') is the Markov chain of the Gram matrix of online SGD: at
    N = 200 its mean error, the spread over seeds and the test error on fresh inputs agree with
    SGD on explicit weights (K = 2, M = 3, both layers learned, noise 0.3), within 4 combined
    standard errors at every recorded time (independent seeds)."""
    model = TwoLayer(2, 3, "erf", lr=0.6, lr_second=0.3, noise=0.3)
    init = model.initial_state(overlap=0.2, rng=5)
    grid = np.linspace(0, 8, 5)
    kw = dict(N=200, t_max=8, n_seeds=64, init=init, t=grid, n_test=400, progress=False)
    a = simulate(model, rng=6, method="weights", **kw)
    b = simulate(model, rng=7, method="overlaps", **kw)
    assert np.array_equal(a.t, b.t)
    se = np.hypot(a.eps_g_stderr, b.eps_g_stderr)[1:]
    assert np.all(np.abs(a.eps_g - b.eps_g)[1:] <= 4 * se)
    se_t = np.hypot(a.eps_g_test_stderr, b.eps_g_test_stderr)
    assert np.all(np.abs(a.eps_g_test - b.eps_g_test) <= 4 * se_t)
    # the seed-to-seed spread, a finite-N effect, too (ratio of standard deviations of 64 runs)
    ratio = a.eps_g_stderr[1:] / b.eps_g_stderr[1:]
    assert np.all((ratio > 0.6) & (ratio < 1.6))
    # same seed, same numbers
    c = simulate(model, rng=7, method="overlaps", **kw)
    assert np.array_equal(b.Q, c.Q) and np.array_equal(b.eps_g_test, c.eps_g_test)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(N=0), "^N must"),
        (dict(N=3), "^N must be >= K"),
        (dict(t_max=-1.0), "^t_max must"),
        (dict(t_max=float("inf")), "^t_max must"),
        (dict(n_seeds=0), "^n_seeds must"),
        (dict(method="fast"), "^method must"),
        (dict(t=[0.0, 99.0]), "^t must"),
        (dict(t=[[0.0]]), "^t must"),
        (dict(n_test=-1), "^n_test must"),
        (dict(N=10, t_max=0.01), "at least one step"),
        (dict(N=10**7, t_max=10**6), "too large"),
    ],
)
def test_simulation_bad_input_names_the_parameter(kwargs, match):
    model = SoftCommittee(2, 2)
    args = dict(N=50, t_max=1.0, n_seeds=2, rng=0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        simulate(model, **args)


@pytest.mark.slow
def test_ode_against_simulation_through_the_plateau_n5000():
    """K = M = 2 (erf, lr = 0.5) at N = 5000: the mean error of 32 runs stays within 4 standard
    errors (over runs) of the ODE at every recorded time from t = 5 to 200, through the plateau
    (entry ~15, exit ~90) and the specialisation (Saad & Solla 1995; Goldt et al. 2019: the ODEs
    are exact as N -> infinity).  The runs are the overlap chain, exact in law at this N (checked
    against SGD on explicit weights in test_overlap_chain_agrees_with_weights_simulation)."""
    model = SoftCommittee(2, 2, "erf", lr=0.5)
    init = model.initial_state(overlap=0.2, rng=3)
    grid = np.linspace(0, 200, 41)
    ode = model.integrate(init, t_max=200, t=grid)
    p = plateau(ode)
    assert p.found and p.entry < 30 and 60 < p.exit < 150
    sim = simulate(model, N=5000, t_max=200, n_seeds=32, rng=11, init=init, t=grid, method="overlaps", progress=False)
    later = grid >= 5
    assert np.all(np.abs(sim.eps_g - ode.eps_g)[later] <= 4 * sim.eps_g_stderr[later])


def test_overparametrisation_hurts_with_the_second_layer_fixed_not_learned():
    """Goldt, Advani, Saxe, Krzakala & Zdeborova 2019 (NeurIPS): a teacher with M = 2 erf units and
    output noise sigma = 0.05, students with K = M and K = 2M trained by online SGD (lr = 0.5) to
    t = 2000.  Second layer fixed: the final error of K = 4 is several times that of K = 2; second
    layer learned: it is not larger (the surplus units share the teacher's units and average the
    noise).  Both final errors are of order lr sigma^2 and settled (last 10% of time within 5%)."""
    finals = {}
    for learned in (False, True):
        for K in (2, 4):
            model = TwoLayer(K, 2, "erf", lr=0.5, lr_second=0.5 if learned else 0.0, noise=0.05)
            traj = model.integrate(
                model.initial_state(overlap=1e-3, rng=0), t_max=2000, t=np.linspace(0, 2000, 201), rtol=1e-8, atol=1e-12
            )
            assert not traj.blew_up
            tail = traj.eps_g[traj.t >= 1800]
            assert abs(tail[-1] - tail[0]) <= 0.05 * tail[-1]
            finals[learned, K] = tail[-1]
            assert 0.02 < tail[-1] / (0.5 * 0.05**2) < 2.0
    assert finals[False, 4] > 2 * finals[False, 2]
    assert finals[True, 4] <= finals[True, 2]
