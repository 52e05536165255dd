"""Empirical risk minimisation: proximal maps, replica equations, closed forms and finite-size simulations."""

import warnings

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import minimize_scalar
from scipy.special import ndtr

import statmech_learn as sml
from statmech_learn.errors import ConvergenceError, ConvergenceWarning
from statmech_learn.gibbs import GaussianNoise, NoisySign, Sign
from statmech_learn.gibbs.channels import Channel
from statmech_learn.gibbs.losses import HingeLoss, LogisticLoss, LossChannel, SquareLoss
from statmech_learn.replica.saddle import iterate, iterate_warm

R = sml.replica
RNG = np.random.default_rng(20240611)


def _cases(k=60):
    y = RNG.choice([-1.0, 1.0], size=k)
    omega = RNG.normal(scale=8.0, size=k)
    V = np.exp(RNG.uniform(np.log(1e-3), np.log(1e3), size=k))
    return y, omega, V


def _moreau(loss, y, omega, V):
    return lambda z: float(loss.value(y, z) + (z - omega) ** 2 / (2 * V))


# Proximal maps --------------------------------------------------------------------


@pytest.mark.parametrize("loss", [LogisticLoss(), HingeLoss(), SquareLoss()], ids=lambda l: l.name)
def test_prox_minimises_the_moreau_objective(loss):
    """Against scipy's bounded Brent minimisation of l(y, z) + (z - omega)^2/(2V): the prox
    objective is never larger (to rounding), and the minimisers agree to ~sqrt(eps) relative
    (Brent's argmin resolution on a flat minimum)."""
    y, omega, V = _cases()
    p, _ = loss.prox(y, omega, V)
    for yi, oi, vi, pi in zip(y, omega, V, p):
        obj = _moreau(loss, yi, oi, vi)
        # for convex l the minimiser lies between omega and omega - V l'(y, omega)
        step = oi - vi * float(loss.derivative(yi, oi))
        lo, hi = min(oi, step) - 1.0, max(oi, step) + 1.0
        ref = minimize_scalar(obj, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12 * (1 + abs(oi))})
        assert obj(pi) <= ref.fun + 1e-12 * (1.0 + abs(ref.fun))
        assert pi == pytest.approx(ref.x, rel=1e-6, abs=1e-6 * (1.0 + vi))


def test_hinge_and_square_prox_closed_forms():
    """Square: (omega + V y)/(1 + V) (stationarity of a quadratic).  Hinge: brute force on a fine grid."""
    y, omega, V = _cases(20)
    p, dp = SquareLoss().prox(y, omega, V)
    np.testing.assert_allclose(p, (omega + V * y) / (1 + V), rtol=1e-14)
    np.testing.assert_allclose(dp, 1 / (1 + V), rtol=1e-14)
    hinge = HingeLoss()
    y, omega, V = np.array([1.0, 1.0, -1.0, 1.0]), np.array([2.0, 0.3, -0.5, -3.0]), np.array([0.5, 2.0, 0.7, 1.0])
    p, _ = hinge.prox(y, omega, V)
    for yi, oi, vi, pi in zip(y, omega, V, p):
        grid = np.linspace(oi - 5, oi + 5, 200_001)
        vals = hinge.value(yi, grid) + (grid - oi) ** 2 / (2 * vi)
        assert pi == pytest.approx(grid[np.argmin(vals)], abs=1e-4)  # grid step 5e-5
    np.testing.assert_allclose(p, [2.0, 1.0, -1.0, -2.0])  # above, on, on (y = -1), below the hinge


@pytest.mark.parametrize("loss", [LogisticLoss(), HingeLoss(), SquareLoss()], ids=lambda l: l.name)
def test_prox_derivative_is_the_finite_difference(loss):
    y, omega, V = _cases()
    if isinstance(loss, HingeLoss):  # stay away from the kinks at y omega = 1 and 1 - V
        a = y * omega
        keep = (np.abs(a - 1) > 1e-3) & (np.abs(a - 1 + V) > 1e-3)
        y, omega, V = y[keep], omega[keep], V[keep]
    _, dp = loss.prox(y, omega, V)
    h = 1e-6 * (1 + np.abs(omega))
    fd = (loss.prox(y, omega + h, V)[0] - loss.prox(y, omega - h, V)[0]) / (2 * h)
    np.testing.assert_allclose(dp, fd, rtol=1e-6, atol=1e-8)  # central differences: O(h^2) + rounding/h


# Quadrature of the zero-temperature channel ----------------------------------------


def test_logistic_channel_integrals_match_the_generic_rule():
    """The kink-aware rule (10 nodes per panel) against Channel.rs_teacher_student's own composite rule
    at 64 nodes per panel (different breakpoints), over q up to 1e3 and V from 1e-3 to 1e3."""
    k = 40
    q = np.exp(RNG.uniform(np.log(1e-2), np.log(1e3), k))
    V = np.exp(RNG.uniform(np.log(1e-3), np.log(1e3), k))
    m = RNG.uniform(0.05, 0.999, k) * np.sqrt(q)
    ch = LossChannel("logistic")
    fast = ch.rs_teacher_student(m, q, V, Sign(), 1.0)
    ref = Channel.rs_teacher_student(ch, m, q, V, Sign(), 1.0, panel_order=64)
    for key in ("mhat", "qhat", "Vhat", "psi"):
        np.testing.assert_allclose(fast[key], ref[key], rtol=1e-10)


def test_hinge_channel_integrals_match_adaptive_quadrature():
    """Hinge (piecewise integrand): against scipy.integrate.quad with the kinks as breakpoints; sign
    teacher, P(y | xi) = H(-y a xi / sqrt(V*)) and d/d omega* of it in closed form."""
    m, q, V = 1.3, 2.5, 0.8
    sq, a, vs = np.sqrt(q), m / np.sqrt(q), 1.0 - m * m / q
    ch = LossChannel("hinge")
    got = ch.rs_teacher_student(m, q, V, Sign(), 1.0)

    def integrand(xi, what):
        total = 0.0
        for y in (1.0, -1.0):
            om = sq * xi
            p, dp = HingeLoss().prox(y, om, V)
            g, dg = (p - om) / V, (dp - 1) / V
            w = ndtr(y * a * xi / np.sqrt(vs))
            dw = y * np.exp(-0.5 * a * a * xi * xi / vs) / np.sqrt(2 * np.pi * vs)
            lz = -(HingeLoss().value(y, p) + (p - om) ** 2 / (2 * V))
            total += {"mhat": dw * g, "qhat": w * g * g, "Vhat": -w * dg, "psi": w * lz}[what]
        return total * np.exp(-0.5 * xi * xi) / np.sqrt(2 * np.pi)

    kinks = sorted({0.0, 1 / sq, -1 / sq, (1 - V) / sq, -(1 - V) / sq})
    edges = [-12.0, *kinks, 12.0]
    for what in ("mhat", "qhat", "Vhat", "psi"):
        ref = sum(
            quad(integrand, lo, hi, args=(what,), epsabs=0, epsrel=1e-13, limit=200)[0]
            for lo, hi in zip(edges[:-1], edges[1:])
        )
        assert float(got[what]) == pytest.approx(ref, rel=1e-11)


# Ridge regression: random-matrix closed form -----------------------------------------


@pytest.mark.parametrize("alpha,l2", [(0.3, 1e-2), (0.8, 1e-3), (1.0, 1e-4), (1.0, 1e-2), (1.5, 1e-3), (4.0, 0.5)])
def test_ridge_replica_equals_marchenko_pastur_closed_form(alpha, l2):
    delta = 0.5
    model = sml.TeacherStudent(prior="gaussian", channel=GaussianNoise(delta), student=sml.ERM("square", l2))
    for method in ("auto", "iterate"):  # the closed form and the generic quadrature path
        curve = R.solve(model, alpha, tol=1e-13, method=method)
        assert curve.converged
        assert curve.generalization_error == pytest.approx(R.ridge_test_error(alpha, l2, delta), rel=1e-8)


@pytest.mark.parametrize(
    "channel", [Sign(), NoisySign(0.1), sml.gibbs.Probit(0.3), GaussianNoise(0.2)], ids=lambda c: c.name
)
@pytest.mark.parametrize("l2", [0.1, 1e-3])
def test_square_loss_closed_form_equals_the_generic_quadrature_path(channel, l2):
    """Every number of the curve: the closed form of replica/ridge.py against the quadrature
    iteration of the same equations (converged to 1e-12; agreement to 1e-8 relative)."""
    model = sml.TeacherStudent(prior="gaussian", channel=channel, student=sml.ERM("square", l2))
    alpha = np.array([0.3, 0.9, 1.0, 2.5, 6.0])
    fast = R.solve(model, alpha)
    slow = R.solve(model, alpha, method="iterate", tol=1e-12)
    assert np.all(slow.converged) and np.all(fast.converged) and np.all(fast.n_iter == 0)
    for name in (
        "m",
        "q",
        "V",
        "mhat",
        "qhat",
        "Vhat",
        "free_entropy",
        "generalization_error",
        "train_loss",
        "train_error",
    ):
        np.testing.assert_allclose(getattr(fast, name), getattr(slow, name), rtol=1e-8, atol=1e-13, err_msg=name)


def test_ridgeless_square_loss_is_the_least_norm_limit():
    """l2 = 0: least squares above alpha = 1 and the least-norm interpolator below, against the
    random-matrix formula (Hastie et al. 2022, Thm. 1) and a finite-instance fit of the
    least-norm solution (sign teacher; n = 400, 6 instances, 4 standard errors)."""
    delta = 0.5
    gauss = sml.TeacherStudent(prior="gaussian", channel=GaussianNoise(delta), student=sml.ERM("square", 0.0))
    alpha = np.array([0.2, 0.5, 0.8, 1.25, 2.0, 5.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        curve = R.solve(gauss, alpha)
    assert np.all(curve.converged)
    np.testing.assert_allclose(curve.generalization_error, R.ridge_test_error(alpha, 0.0, delta), rtol=1e-12)
    assert np.all(np.isinf(curve.V[alpha < 1])) and np.all(curve.train_loss[alpha < 1] == 0)
    # the interpolation peak itself diverges
    assert np.isinf(R.solve(gauss, 1.0).generalization_error)
    sign = sml.TeacherStudent(prior="gaussian", channel="sign", student=sml.ERM("square", 0.0))
    theory = R.solve(sign, 0.5)
    sim = R.erm_simulation(sign, n=400, alpha=0.5, n_samples=6, rng=3, n_test=100)
    assert abs(sim.m - theory.m) <= 4 * sim.m_stderr + 2 / 400
    assert abs(sim.q - theory.q) <= 4 * sim.q_stderr + 2 / 400
    assert theory.train_error == 0 and sim.train_error == 0


def test_ridge_closed_form_limits_and_interpolation_peak():
    delta, rho = 0.5, 1.3
    # ridgeless limits (least squares: Breiman & Freedman 1983; least-norm: Hastie et al. 2022, Thm 1)
    assert R.ridge_test_error(3.0, 0.0, delta, rho) == pytest.approx(delta * 3.0 / 2.0, rel=1e-14)
    assert R.ridge_test_error(0.4, 0.0, delta, rho) == pytest.approx(delta + rho * 0.6 + delta * 0.4 / 0.6, rel=1e-14)
    assert R.ridge_test_error(1.0, 0.0, delta) == np.inf
    # at alpha = 1 the error grows like delta / (2 sqrt(l2)); its neighbours stay bounded
    l2 = np.array([1e-2, 1e-4, 1e-6, 1e-8])
    peak = R.ridge_test_error(1.0, l2, delta)
    assert np.all(np.diff(peak) > 0)
    np.testing.assert_allclose(peak[-2:] * 2 * np.sqrt(l2[-2:]) / delta, 1.0, rtol=2e-3)
    for side in (0.5, 2.0):
        assert np.all(R.ridge_test_error(side, l2, delta) < 3.0)
    # the replica curve shows the same peak
    model = sml.TeacherStudent(prior="gaussian", channel=GaussianNoise(delta), student=sml.ERM("square", 1e-5))
    curve = R.solve(model, np.array([0.5, 1.0, 2.0]), tol=1e-12)
    assert curve.generalization_error[1] > 50 * max(curve.generalization_error[0], curve.generalization_error[2])


def test_ridge_closed_form_matches_a_finite_instance():
    """Marchenko-Pastur closed form against ridge fitted on n = 1000 (10 instances, 3 standard errors
    plus 1/n for the O(1/n) finite-size bias)."""
    delta, l2, alpha = 0.5, 0.05, 1.5
    model = sml.TeacherStudent(prior="gaussian", channel=GaussianNoise(delta), student=sml.ERM("square", l2))
    sim = R.erm_simulation(model, n=1000, alpha=alpha, n_samples=10, rng=3, n_test=1000)
    assert sim.converged_all
    th = R.ridge_test_error(alpha, l2, delta)
    assert sim.generalization_error == pytest.approx(th, abs=3 * sim.generalization_error_stderr + 1e-3)


# The zero-temperature free entropy --------------------------------------------------


@pytest.mark.parametrize(
    "loss,channel",
    [
        ("square", "sign"),
        ("logistic", "sign"),
        ("hinge", "sign"),
        ("logistic", NoisySign(0.1)),
        ("square", GaussianNoise(0.3)),
    ],
)
def test_free_entropy_is_minus_the_regularised_training_loss(loss, channel):
    """At the RS fixed point, Phi = -(alpha E l(y, p) + l2 q / 2): the minimum of the training
    objective per weight (the zero-temperature free entropy), with the mean loss integrated on its own
    quadrature (rs_train) and Phi from the potentials (Aubin et al. 2020, NeurIPS, sec. 3)."""
    l2 = 0.2
    alpha = np.array([0.5, 2.0, 5.0])
    curve = R.solve(sml.TeacherStudent(prior="gaussian", channel=channel, student=sml.ERM(loss, l2)), alpha, tol=1e-13)
    assert np.all(curve.converged)
    np.testing.assert_allclose(curve.free_entropy, -(alpha * curve.train_loss + 0.5 * l2 * curve.q), rtol=1e-9)


# Convergence of the curve -----------------------------------------------------------


def test_logistic_curve_converges_everywhere_and_agrees_with_continuation():
    model = sml.TeacherStudent(prior="gaussian", channel="sign", student=sml.ERM("logistic", 1e-3))
    alpha = np.linspace(0.2, 10.0, 12)
    vec = R.solve(model, alpha)
    cont = R.solve(model, alpha, continuation=True)
    assert np.all(vec.converged) and np.all(cont.converged)
    assert np.all(vec.residual <= 1e-10)
    # two fixed points to 1e-10 each: the overlaps agree to a few 1e-10
    np.testing.assert_allclose(vec.q, cont.q, rtol=1e-8)
    np.testing.assert_allclose(vec.generalization_error, cont.generalization_error, rtol=1e-8)
    one = R.solve(model, alpha[7])
    assert one.m == pytest.approx(vec.m[7], rel=1e-8)
    assert np.all(np.diff(vec.generalization_error) < 0)


def test_non_convergence_flagged_and_strict_raises():
    model = sml.TeacherStudent(prior="gaussian", channel="sign", student=sml.ERM("hinge", 0.1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        curve = R.solve(model, np.array([1.0, 3.0]), max_iter=2)
    assert not np.any(curve.converged)
    assert np.all(curve.n_iter <= 2) and np.all(curve.residual > 1e-10)
    assert any(issubclass(w.category, ConvergenceWarning) for w in caught)
    with pytest.raises(ConvergenceError) as err:
        R.solve(model, 3.0, max_iter=2, strict=True)
    assert err.value.result is not None and not err.value.result.converged


def test_anderson_iteration_reports_honest_residuals():
    """x = cos(x) elementwise (Dottie number 0.7390851332151607): Anderson converges in far fewer
    steps than damping, every point converged is a fixed point to tol, and a budget too small is flagged."""
    dottie = 0.7390851332151607
    x0 = {"x": np.array([0.1, 1.0, 3.0])}

    def update(x, idx=None):
        return {"x": np.cos(x["x"])}

    def residual(x, fx):
        return np.abs(fx["x"] - x["x"])

    plain = iterate(update, x0, residual, damping=0.0, tol=1e-13, max_iter=1000)
    fast = iterate(update, x0, residual, tol=1e-13, max_iter=1000, acceleration="anderson", subset=True)
    assert np.all(plain.converged) and np.all(fast.converged)
    np.testing.assert_allclose(fast.state["x"], dottie, atol=1e-12)
    assert np.max(fast.n_iter) * 4 < np.min(plain.n_iter)
    short = iterate(update, x0, residual, tol=1e-13, max_iter=3, acceleration="anderson", subset=True)
    assert not np.any(short.converged) and np.all(short.residual > 1e-13)
    warm = iterate_warm(update, x0, residual, np.array([0.0, 1.0, 2.0]), tol=1e-13, max_iter=500)
    np.testing.assert_allclose(warm.state["x"], dottie, atol=1e-12)
    assert np.all(warm.converged) and np.all(warm.n_iter <= 500)


# Finite-size simulations --------------------------------------------------------------

# Finite-size allowance: the instance-averaged errors and losses of convex ERM have a bias of order
# 1/n around their N -> infinity limit.  Measured with 200 instances at n = 100, 200, 400 (logistic
# and hinge, l2 = 0.1, alpha = 3): n * bias in [-0.3, +0.3] (+-0.2 statistical) for eps_g, the train
# loss and the train error, and within +-6 for m and q.  The tests allow 1/n (errors, losses) and 10/n
# (overlaps) on top of 3 standard errors of the mean.


def _check_against_replica(sim, curve, n):
    assert sim.converged_all
    for key, allowance in (
        ("generalization_error", 1.0),
        ("train_loss", 1.0),
        ("train_error", 1.0),
        ("m", 10.0),
        ("q", 10.0),
    ):
        got, se = getattr(sim, key), getattr(sim, key + "_stderr")
        assert got == pytest.approx(getattr(curve, key), abs=3 * se + allowance / n), key
    # the test-set estimate of eps_g: binomial noise of n_test draws per instance on top
    assert sim.generalization_error_test == pytest.approx(
        curve.generalization_error, abs=3 * sim.generalization_error_test_stderr + 1.0 / n
    )
    assert sim.objective == pytest.approx(-curve.free_entropy, abs=3 * sim.objective_stderr + 5.0 / n)


@pytest.mark.parametrize("loss", ["logistic", "hinge"])
def test_simulation_matches_replica_small(loss):
    model = sml.TeacherStudent(prior="gaussian", channel="sign", student=sml.ERM(loss, 0.1))
    curve = R.solve(model, 3.0)
    sim = R.erm_simulation(model, n=400, alpha=3.0, n_samples=10, rng=11, n_test=2000)
    _check_against_replica(sim, curve, 400)


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["logistic", "hinge"])
def test_simulation_matches_replica_n1000(loss):
    model = sml.TeacherStudent(prior="gaussian", channel="sign", student=sml.ERM(loss, 0.1))
    curve = R.solve(model, 3.0)
    sim = R.erm_simulation(model, n=1000, alpha=3.0, n_samples=10, rng=12)
    _check_against_replica(sim, curve, 1000)


def test_simulation_is_reproducible_and_instances_are_prefix_stable():
    model = sml.TeacherStudent(prior="gaussian", channel=NoisySign(0.1), student=sml.ERM("logistic", 0.5))
    a = R.erm_simulation(model, n=60, alpha=2.0, n_samples=3, rng=7, n_test=200)
    b = R.erm_simulation(model, n=60, alpha=2.0, n_samples=3, rng=np.random.default_rng(7), n_test=200)
    assert a.to_dict() == b.to_dict()
    c = R.erm_simulation(model, n=60, alpha=2.0, n_samples=4, rng=7, n_test=200)
    assert c.optimality[:3] == pytest.approx(a.optimality)
    assert "ERMSimulation(" in repr(a) and a.n_patterns == 120


def test_simulation_flags_an_unreachable_tolerance():
    model = sml.TeacherStudent(prior="gaussian", channel="sign", student=sml.ERM("logistic", 0.1))
    # L-BFGS-B stops near 1e-8 in this certificate: 1e-12 (the floor) is flagged, not faked
    with pytest.warns(ConvergenceWarning, match="did not reach"):
        sim = R.erm_simulation(model, n=50, alpha=2.0, n_samples=2, rng=0, n_test=100, tol=1e-12)
    assert not sim.converged_all and not np.any(sim.converged)
    # below the floor the request is refused outright
    with pytest.raises(ValueError, match="^tol must be >= 1e-12"):
        R.erm_simulation(model, n=50, alpha=2.0, n_samples=2, rng=0, n_test=100, tol=1e-30)


# Bad input ------------------------------------------------------------------------------

_LOGISTIC = sml.TeacherStudent(prior="gaussian", channel="sign", student=sml.ERM("logistic", 0.1))


@pytest.mark.parametrize(
    "build,match",
    [
        (lambda: sml.ERM(loss="hinge", l2=-1.0), "l2 must be >= 0, got -1"),
        (lambda: sml.ERM(loss="huber"), "loss must be .*'square', 'logistic', 'hinge', got 'huber'"),
        (lambda: R.solve(_LOGISTIC, 0.0), "alpha must be > 0, got 0"),
        (lambda: R.solve(_LOGISTIC, np.array([1.0, -2.0])), "alpha must be > 0, got -2"),
        (lambda: R.erm_simulation(_LOGISTIC, n=50, alpha=-1.0), "alpha must be > 0, got -1"),
        (lambda: R.erm_simulation(_LOGISTIC, n=0, alpha=1.0), "n must be >= 1, got 0"),
        (lambda: R.erm_simulation(_LOGISTIC, n=50, alpha=1.0, n_samples=0), "n_samples must be >= 1"),
        (
            lambda: R.erm_simulation(sml.TeacherStudent(student=sml.ERM("hinge", 0.0)), n=50, alpha=1.0),
            "l2 must be > 0 for the hinge loss, got 0",
        ),
        (lambda: R.erm_simulation(sml.TeacherStudent(), n=50, alpha=1.0), "ERM student"),
        (lambda: R.ridge_test_error(1.0, -0.1, 0.5), "l2 must be >= 0, got -0.1"),
        (lambda: R.ridge_test_error(0.0, 0.1, 0.5), "alpha must be > 0, got 0"),
        (lambda: R.ridge_test_error(1.0, 0.1, -0.5), "noise_variance must be >= 0, got -0.5"),
    ],
)
def test_bad_input(build, match):
    with pytest.raises(ValueError, match=match):
        build()


@pytest.mark.parametrize("channel", [Sign(), NoisySign(0.1)], ids=["sign", "noisy-sign"])
def test_unregularised_hinge_is_the_max_margin_limit(channel):
    """ERM('hinge', 0): the limit equations of replica/max_margin.py against the full hinge
    equations at l2 = 1e-5, where the minimiser already is the max-margin one (the hinge
    solution is exactly the hard-margin SVM below a finite l2 on separable data)."""
    alpha = np.array([0.5, 1.0, 1.5])  # separable for both teachers (flip 0.1: threshold between 1.5 and 3)
    hard = R.solve(sml.TeacherStudent("gaussian", channel, student=sml.ERM("hinge", 0.0)), alpha)
    soft = R.solve(sml.TeacherStudent("gaussian", channel, student=sml.ERM("hinge", 1e-5)), alpha)
    assert np.all(hard.converged) and np.all(np.isinf(hard.V))
    np.testing.assert_allclose(hard.m, soft.m, rtol=1e-7)
    np.testing.assert_allclose(hard.q, soft.q, rtol=1e-7)
    np.testing.assert_allclose(hard.generalization_error, soft.generalization_error, rtol=1e-7)
    assert np.all(hard.train_error == 0) and np.all(hard.train_loss == 0) and np.all(hard.free_entropy == 0)
    np.testing.assert_allclose(soft.train_error, 0.0, atol=1e-9)


def test_max_margin_against_a_finite_hard_margin_svm():
    """Finite instances (n = 300, 6 instances) of hinge ERM at l2 = 1e-6, whose solution is the
    hard-margin SVM on these separable data: m and q within 4 standard errors plus O(1/n)."""
    theory = R.solve(sml.TeacherStudent("gaussian", "sign", student=sml.ERM("hinge", 0.0)), 2.0)
    sim = R.erm_simulation(
        sml.TeacherStudent("gaussian", "sign", student=sml.ERM("hinge", 1e-6)),
        n=300,
        alpha=2.0,
        n_samples=6,
        rng=5,
        n_test=100,
        tol=1e-3,
    )
    # |w - w_opt|/sqrt(n) <= 1e-3 is far below the overlaps' standard errors (~1e-2)
    assert sim.converged_all and sim.train_error == 0
    assert abs(sim.m - theory.m) <= 4 * sim.m_stderr + 5 / 300
    assert abs(sim.q - theory.q) <= 4 * sim.q_stderr + 5 / 300 * theory.q


def test_max_margin_beyond_separability_is_flagged():
    """A noisy teacher at a load where the data are not separable (alpha = 6, flip 0.1): no
    max-margin solution; the load is unconverged and the warning says so."""
    model = sml.TeacherStudent("gaussian", NoisySign(0.1), student=sml.ERM("hinge", 0.0))
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        curve = R.solve(model, np.array([1.0, 6.0]))
    assert list(curve.converged) == [True, False]
