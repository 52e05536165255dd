"""Monte Carlo on the Gibbs posterior: the samplers against exact posteriors of small systems,
Gibbs learning's simulation against its replica theory, and the training error of the theory."""

import itertools
import warnings

import numpy as np
import pytest

import statmech_learn as sml
from statmech_learn.errors import ConvergenceError, ConvergenceWarning
from statmech_learn.gibbs import (
    BinaryPrior,
    ErrorCounting,
    GaussianNoise,
    GaussianPrior,
    NoisySign,
    Sign,
    metropolis_within_gibbs,
    sign_channel_weights,
    split_rhat,
    truncated_gaussian_hmc,
)

R = sml.replica

#: standard errors allowed between a Monte Carlo mean and its exact value; with some 40
#: comparisons in this file a 4.5-sigma two-sided band fails by chance with probability ~3e-4
Z = 4.5


def _chain_means(sampler, prior, channel, X, y, n_chains, n_sweeps, burn_in, rng, stats):
    """Run n_chains independent chains on one instance; per chain, time averages of stats(w, z)."""
    B = n_chains
    Xb = np.repeat(X[None], B, axis=0)
    yb = np.repeat(y[None], B, axis=0)
    g = np.random.default_rng(rng)
    w0 = np.asarray(prior.sample((B, X.shape[1]), g), dtype=float)
    if sampler is truncated_gaussian_hmc and sign_channel_weights(channel)[0] == 0.0:
        w0 = np.repeat(_feasible(X, y)[None], B, axis=0)  # the version space needs a point inside it
    sums, count = [], [0]

    def observe(w, z):
        count[0] += 1
        if count[0] > burn_in:
            sums.append(stats(w.copy(), z.copy()))

    sampler(prior, channel, Xb, yb, w0, n_sweeps, g, observe)
    return np.mean(sums, axis=0)  # (B, ...)


def _feasible(X, y):
    """A point of the version space {y x.w > 0} (the teacher's labels are separable)."""
    from scipy.optimize import linprog

    P, N = X.shape
    res = linprog(np.zeros(N), A_ub=-(y[:, None] * X), b_ub=-np.ones(P), bounds=[(None, None)] * N, method="highs")
    assert res.status == 0
    return res.x / np.linalg.norm(res.x) * np.sqrt(N)


def _agree(estimates, exact):
    """Mean over chains within Z standard errors of the exact value (componentwise)."""
    est = np.asarray(estimates)
    mean = est.mean(axis=0)
    se = est.std(axis=0, ddof=1) / np.sqrt(est.shape[0])
    np.testing.assert_array_less(np.abs(mean - exact), Z * se + 1e-12)


# The samplers against exact posteriors -------------------------------------------------


def _two_dimensional_reference(X, y, lam0, lam1, sigma):
    r"""E[w] and E[#errors] for N = 2, Gaussian prior and a homogeneous sign-type likelihood.

    The likelihood depends on the angle theta of w only, so theta has density
    prod_mu (lam0 + lam1 theta(y_mu x_mu . u(theta))) on the circle and |w| is an independent
    Rayleigh variable of mean sigma sqrt(pi/2): E[w] = sigma sqrt(pi/2) E[u(theta)].
    """
    theta = (np.arange(2_000_000) + 0.5) * (2 * np.pi / 2_000_000)
    u = np.stack([np.cos(theta), np.sin(theta)])
    correct = (y[:, None] * (X @ u)) > 0
    weight = np.prod(lam0 + lam1 * correct, axis=0)
    weight /= weight.sum()
    mean_w = sigma * np.sqrt(np.pi / 2) * (u @ weight)
    errors = np.sum(~correct, axis=0) @ weight
    return mean_w, errors


@pytest.mark.parametrize(
    "channel", [ErrorCounting(1.5), NoisySign(0.2), Sign()], ids=["error-counting", "noisy-sign", "version-space"]
)
def test_hmc_samples_the_exact_two_dimensional_posterior(channel):
    g = np.random.default_rng(11)
    X = g.standard_normal((6, 2))
    y = np.sign(X @ np.array([1.0, 0.4]))
    y[0] = -y[0]  # one label the teacher would not give: the version space excludes more
    if isinstance(channel, Sign):
        y[0] = -y[0]
    lam0, lam1 = sign_channel_weights(channel)
    sigma = 1.3
    prior = GaussianPrior(sigma**2)
    mean_w, errors = _two_dimensional_reference(X / np.sqrt(2), y, lam0, lam1, sigma)

    def stats(w, z):
        return np.concatenate([w, np.sum(y * z <= 0, axis=1, keepdims=True)], axis=1)

    est = _chain_means(truncated_gaussian_hmc, prior, channel, X, y, 400, 40, 5, 3, stats)
    _agree(est, np.concatenate([mean_w, [errors]]))
    if isinstance(channel, Sign):
        assert np.all(est[:, 2] == 0)  # never leaves the version space


def test_metropolis_samples_the_exact_binary_posterior():
    """N = 6 weights ±1, error-counting energy: posterior means and energy by enumeration of 64 states."""
    g = np.random.default_rng(5)
    N, P, beta = 6, 10, 1.0
    X = g.standard_normal((P, N))
    y = np.sign(X @ np.array([1, -1, 1, 1, -1, 1.0]))
    y[:2] = -y[:2]
    states = np.array(list(itertools.product([-1.0, 1.0], repeat=N)))
    E = np.sum(y[None] * (states @ X.T) / np.sqrt(N) <= 0, axis=1)
    p = np.exp(-beta * E)
    p /= p.sum()

    def stats(w, z):
        return np.concatenate([w, np.sum(y * z <= 0, axis=1, keepdims=True)], axis=1)

    est = _chain_means(metropolis_within_gibbs, BinaryPrior(), ErrorCounting(beta), X, y, 300, 60, 10, 4, stats)
    _agree(est, np.concatenate([p @ states, [p @ E]]))


def test_metropolis_samples_the_exact_gaussian_posterior():
    """Gaussian prior and Gaussian noise: the posterior is Gaussian with mean
    (I/sigma^2 + X^T X/(N Delta))^{-1} X^T y/(sqrt(N) Delta) and that covariance."""
    g = np.random.default_rng(6)
    N, P, delta, var = 4, 7, 0.5, 2.0
    X = g.standard_normal((P, N))
    y = X @ g.standard_normal(N) / np.sqrt(N) + np.sqrt(delta) * g.standard_normal(P)
    precision = np.eye(N) / var + X.T @ X / (N * delta)
    cov = np.linalg.inv(precision)
    mean = cov @ X.T @ y / (np.sqrt(N) * delta)

    def stats(w, z):
        return np.concatenate([w, w**2], axis=1)

    est = _chain_means(metropolis_within_gibbs, GaussianPrior(var), GaussianNoise(delta), X, y, 300, 80, 10, 7, stats)
    _agree(est, np.concatenate([mean, np.diag(cov) + mean**2]))


def test_sign_channel_weights_are_the_likelihoods_two_levels():
    for channel in (ErrorCounting(0.7), NoisySign(0.15), Sign()):
        lam0, lam1 = sign_channel_weights(channel)
        z = np.array([-2.0, -0.1, 0.3, 4.0])
        for label in (-1.0, 1.0):
            with np.errstate(divide="ignore"):
                expected = np.log(lam0 + lam1 * (label * z > 0))
            np.testing.assert_allclose(channel.log_likelihood(label, z), expected, rtol=1e-12)
    assert sign_channel_weights(GaussianNoise(1.0)) is None


# Split R-hat -----------------------------------------------------------------------


def test_split_rhat_limits():
    g = np.random.default_rng(0)
    assert split_rhat(np.ones((3, 10))) == 1.0  # every draw equal
    assert split_rhat(np.array([[0.0] * 8, [1.0] * 8])) == np.inf  # constant but different
    iid = g.standard_normal((50, 4, 2000))
    # independent chains of one law: R-hat - 1 = O(1/T); 50 sets of 4 x 2000 draws
    assert np.all(np.abs(split_rhat(iid) - 1.0) < 0.01)
    apart = iid + np.array([0.0, 0.0, 0.0, 3.0])[:, None]
    assert np.all(split_rhat(apart) > 1.3)  # one chain elsewhere
    drift = g.standard_normal((2, 400)) + np.linspace(0, 4, 400)
    assert split_rhat(drift) > 1.3  # the halves of a drifting chain disagree


def test_split_rhat_matches_its_definition():
    g = np.random.default_rng(1)
    x = g.standard_normal((3, 11))
    n = 5
    halves = np.concatenate([x[:, :n], x[:, -n:]])
    W = np.mean([np.var(h, ddof=1) for h in halves])
    B = n * np.var([h.mean() for h in halves], ddof=1)
    assert split_rhat(x) == pytest.approx(np.sqrt(((n - 1) / n * W + B / n) / W), rel=1e-12)


# The replica theory's training error of Gibbs learning ---------------------------------------


@pytest.mark.parametrize("temperature", [0.1, 0.5, 2.0])
def test_gibbs_training_error_is_the_energy_of_the_free_entropy(temperature):
    """epsilon_t = -(1/alpha) d phi / d beta: the derivative of the solver's free entropy
    (central differences) against the node average of ErrorCounting.rs_train_error."""
    alpha = np.array([0.5, 1.5, 4.0])
    beta, h = 1.0 / temperature, 1e-4

    def curve(b):
        return R.solve(sml.TeacherStudent("gaussian", "sign", student=R.Gibbs(1.0 / b)), alpha=alpha)

    derivative = (curve(beta + h).free_entropy - curve(beta - h).free_entropy) / (2 * h)
    np.testing.assert_allclose(curve(beta).train_error, -derivative / alpha, rtol=1e-5, atol=1e-9)


def test_gibbs_training_error_limits():
    alpha = np.array([0.5, 2.0, 8.0])
    cold = R.solve(sml.TeacherStudent("gaussian", "sign", student=R.Gibbs(1e-3)), alpha=alpha)
    assert np.all(cold.train_error < 1e-12)  # T -> 0: the version space, no training error
    hot = R.solve(sml.TeacherStudent("gaussian", "sign", student=R.Gibbs(1e3)), alpha=alpha)
    # T -> infinity: students drawn from the prior, half the labels wrong; below the Gibbs error
    assert np.all((hot.train_error < 0.5) & (hot.train_error > 0.5 - 1e-2))
    assert np.all(hot.train_error <= hot.generalization_error)
    bo = R.solve(sml.TeacherStudent("gaussian", "sign"), alpha=alpha)
    assert np.all(np.isnan(bo.train_error))  # defined for Gibbs and ERM students only


# Gibbs learning: simulation against the replica theory ----------------------------------


def _compare(model, sim, fields=("m", "q", "Q", "generalization_error", "train_error")):
    """Replica prediction within Z standard errors over instances plus 1.5/n for the O(1/N) corrections."""
    theory = R.solve(model, alpha=sim.alpha)
    assert sim.converged_all, sim.rhat
    for f in fields:
        th, mc, se = getattr(theory, f), getattr(sim, f), getattr(sim, f + "_stderr")
        assert abs(mc - th) <= Z * se + 1.5 / sim.n, (f, mc, se, th)
    return theory


def test_gibbs_learning_simulation_matches_the_replica_theory():
    """Gibbs learning at T = 0.5 of a sign teacher, Gaussian weights (exact HMC), alpha = 2:
    overlaps, Gibbs error and training error (Engel & Van den Broeck 2001, ch. 4)."""
    model = sml.TeacherStudent("gaussian", "sign", student=R.Gibbs(0.5))
    sim = R.gibbs_simulation(model, n=80, alpha=2.0, n_samples=6, rng=0, n_sweeps=160)
    assert sim.sampler == "hmc" and sim.acceptance == 1.0 and sim.bounces > 0
    _compare(model, sim)


def test_version_space_simulation_obeys_nishimori():
    """T -> 0 samples the version space, the Bayes-optimal posterior of the noiseless sign
    teacher with Gaussian weights: m = q (Nishimori) on the simulation, no training error."""
    model = sml.TeacherStudent("gaussian", "sign")
    sim = R.gibbs_simulation(model, n=80, alpha=3.0, n_samples=6, rng=1, n_sweeps=100)
    _compare(model, sim, fields=("m", "q", "Q", "generalization_error"))
    assert abs(sim.m - sim.q) <= Z * np.hypot(sim.m_stderr, sim.q_stderr)
    assert np.isnan(sim.train_error)  # not a Gibbs student's field
    cold = sml.TeacherStudent("gaussian", "sign", student=R.Gibbs(1e-3))
    same = R.gibbs_simulation(cold, n=80, alpha=3.0, n_samples=6, rng=1, n_sweeps=100)
    assert same.train_error == 0.0 and same.m == sim.m  # e^-1000 = 0: the same chains


def test_gibbs_simulation_reports_unconverged_chains():
    """±1 weights at T = 0.05 (Metropolis): the chain started at the teacher and the one started at
    random do not meet in 8 sweeps; that is reported, and raised in strict mode."""
    model = sml.TeacherStudent("binary", "sign", student=R.Gibbs(0.05))
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        sim = R.gibbs_simulation(model, n=60, alpha=1.5, n_samples=2, rng=2, n_sweeps=8)
    assert sim.sampler == "metropolis" and not sim.converged_all and np.all(sim.rhat > sim.rhat_tol)
    with pytest.raises(ConvergenceError, match="R-hat"):
        R.gibbs_simulation(model, n=60, alpha=1.5, n_samples=2, rng=2, n_sweeps=8, strict=True)


def test_gibbs_simulation_is_reproducible_and_validates():
    model = sml.TeacherStudent("gaussian", "sign", student=R.Gibbs(1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 10 sweeps: the point is the seed
        a = R.gibbs_simulation(model, n=20, alpha=1.0, n_samples=2, rng=3, n_sweeps=10)
        b = R.gibbs_simulation(model, n=20, alpha=1.0, n_samples=2, rng=3, n_sweeps=10)
    assert a.to_dict() == b.to_dict()
    for kwargs, name in [
        (dict(n_sweeps=7), "n_sweeps"),
        (dict(burn_in=7), "burn_in"),
        (dict(rhat_tol=0.9), "rhat_tol"),
        (dict(alpha=-1.0), "alpha"),
        (dict(n=1), "n"),
        (dict(n_samples=0), "n_samples"),
        (dict(strict="yes"), "strict"),
    ]:
        args = dict(model=model, n=20, alpha=1.0, n_samples=2, rng=0, n_sweeps=10) | kwargs
        with pytest.raises(ValueError, match=name):
            R.gibbs_simulation(**args)
    for bad in (
        sml.TeacherStudent("gaussian", "gaussian", student=sml.ERM("square", 0.1)),
        sml.TeacherStudent("spherical", "sign", student=R.Gibbs(1.0)),
        sml.TeacherStudent("binary", "sign"),  # a hard constraint for the Metropolis sampler
    ):
        with pytest.raises(ValueError, match="model|prior|channel"):
            R.gibbs_simulation(bad, n=20, alpha=1.0, n_sweeps=10)
    with pytest.raises(ValueError, match="X"):
        truncated_gaussian_hmc(GaussianPrior(), Sign(), np.full((1, 2, 3), np.nan), np.ones((1, 2)), np.ones((1, 3)), 1)
    with pytest.raises(ValueError, match="y"):
        truncated_gaussian_hmc(GaussianPrior(), Sign(), np.ones((1, 2, 3)), np.full((1, 2), 0.5), np.ones((1, 3)), 1)
    with pytest.raises(ValueError, match="shapes"):
        metropolis_within_gibbs(GaussianPrior(), ErrorCounting(1.0), np.ones((1, 2, 3)), np.ones((2,)), np.ones(3), 1)


@pytest.mark.slow
@pytest.mark.parametrize(
    "student, alpha",
    [(R.Gibbs(0.5), 1.0), (R.Gibbs(0.5), 4.0), (R.Gibbs(0.1), 3.0), (R.Gibbs(5.0), 2.0), (R.Gibbs(1e-3), 5.0)],
    ids=["T0.5-a1", "T0.5-a4", "T0.1-a3", "T5-a2", "T0.001-a5"],
)
def test_gibbs_learning_simulation_across_temperatures_and_loads(student, alpha):
    model = sml.TeacherStudent("gaussian", "sign", student=student)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        sim = R.gibbs_simulation(model, n=200, alpha=alpha, n_samples=8, rng=10, n_sweeps=200)
    _compare(model, sim)


@pytest.mark.slow
def test_bayes_optimal_noisy_sign_simulation():
    """The posterior of a teacher whose labels flip with probability 0.1: Nishimori m = q and the
    Bayes-optimal error of the posterior mean."""
    model = sml.TeacherStudent("gaussian", NoisySign(0.1))
    sim = R.gibbs_simulation(model, n=200, alpha=3.0, n_samples=8, rng=12, n_sweeps=300)
    _compare(model, sim, fields=("m", "q", "Q", "generalization_error"))
    assert abs(sim.m - sim.q) <= Z * np.hypot(sim.m_stderr, sim.q_stderr)


@pytest.mark.slow
def test_binary_gibbs_learning_at_high_temperature():
    """±1 weights, T = 2 (Metropolis within Gibbs): away from the first-order transition the chains mix."""
    model = sml.TeacherStudent("binary", "sign", student=R.Gibbs(2.0))
    sim = R.gibbs_simulation(model, n=200, alpha=1.0, n_samples=8, rng=13, n_sweeps=200)
    _compare(model, sim)


# Gibbs learning with ±1 weights: perfect learning and the first-order transition -------------


def test_gibbs_at_zero_temperature_is_the_bayes_optimal_binary_perceptron():
    """T -> 0 samples the version space, the Bayes-optimal posterior of the noiseless teacher: the
    overlaps and the free entropy of the thermodynamic branch equal those of the Bayes-optimal
    solver (a separate one-dimensional code on the Nishimori line) on both sides of Gyorgyi's
    transition alpha = 1.245, including loads where the Gibbs equations also have a fixed point
    off the Nishimori line (alpha = 1.7, 2)."""
    alpha = np.array([0.3, 1.0, 1.2, 1.3, 1.5, 1.7, 2.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning escapes near perfect learning
        gibbs = R.solve(sml.TeacherStudent("binary", "sign", student=R.Gibbs(1e-3)), alpha=alpha)
    bo = R.solve(sml.TeacherStudent("binary", "sign"), alpha=alpha)
    for f in ("m", "q", "free_entropy"):
        np.testing.assert_allclose(getattr(gibbs, f), getattr(bo, f), rtol=0, atol=1e-9, err_msg=f)
    assert np.all(gibbs.V[alpha > 1.245] == 0.0) and np.all(gibbs.converged)
    assert np.all(gibbs.train_error == 0.0)


def test_perfect_learning_of_a_noisy_teacher_in_closed_form():
    """±1 weights, labels flipped with probability eps, Gibbs student at beta: the student equal to the
    teacher has m = q = 1, V = 0, no generalisation error, training error eps, and free entropy
    -log 2 (the prior's entropy) - alpha beta eps (the energy of the flipped labels)."""
    alpha, beta, eps = np.array([0.5, 2.0, 5.0]), 2.0, 0.1
    model = sml.TeacherStudent("binary", NoisySign(eps), student=R.Gibbs(1.0 / beta))
    perfect = R.solve(model, alpha=alpha, init="informed")
    np.testing.assert_array_equal(perfect.m, 1.0)
    np.testing.assert_array_equal(perfect.V, 0.0)
    np.testing.assert_allclose(perfect.free_entropy, -np.log(2.0) - alpha * beta * eps, rtol=0, atol=1e-12)
    np.testing.assert_allclose(perfect.train_error, eps, rtol=1e-10)
    np.testing.assert_allclose(perfect.generalization_error, 0.0, atol=1e-12)


def test_gibbs_learning_transition_to_perfect_generalisation():
    """The poor-generalisation branch meets the free entropy of perfect learning (-log 2) at
    alpha_c(T): 1.245 as T -> 0 (Gyorgyi 1990, Phys. Rev. A 41, 7097) and later at higher
    temperature (Seung, Sompolinsky & Tishby 1992, Phys. Rev. A 45, 6056); 'auto'
    returns the thermodynamic branch on either side."""
    from scipy.optimize import brentq

    def alpha_c(T):
        model = sml.TeacherStudent("binary", "sign", student=R.Gibbs(T))

        def gap(a):
            return float(R.solve(model, alpha=a, init="uninformed").free_entropy) + np.log(2.0)

        return brentq(gap, 1.0, 1.45, xtol=1e-6)

    cold, warm = alpha_c(1e-3), alpha_c(0.3)
    assert cold == pytest.approx(1.245, abs=5e-4)
    assert 1.25 < warm < 1.45
    model = sml.TeacherStudent("binary", "sign", student=R.Gibbs(0.3))
    curve = R.solve(model, alpha=np.array([warm - 0.01, warm + 0.01]))
    assert curve.m[0] < 0.8 and curve.m[1] == 1.0
    assert list(curve.branch) == ["uninformed", "informed"]
