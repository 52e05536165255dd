"""The smooth committee: linear output with Gaussian noise over relu, sign or linear hidden units.

References
----------
Saad & Solla (1995), Phys. Rev. E 52, 4225 (the soft committee machine); Aubin et al. (2018), NeurIPS
(the Bayes-optimal replica equations over K x K overlaps, eqs. (6)-(8)); Cho & Saul (2009), NeurIPS
(the arc-cosine kernel: E relu(u) relu(v) for correlated Gaussians).
"""

import numpy as np
import pytest
from scipy import integrate

import statmech_learn as sml
from statmech_learn.gibbs.soft_committee import SoftCommittee

DELTA = 0.1


def _brute_force(ch, y, omega, V):
    """Z_out and its gradient by adaptive quadrature over z ~ N(omega, V), split at the kinks z_k = 0; the gradient
    through Stein's identity, grad Z = E[N(y; f(z), Delta) V^{-1}(z - omega)]."""
    K = ch.K
    Vi, det = np.linalg.inv(V), np.linalg.det(V)

    def f(z, j):
        d = z - omega
        dens = np.exp(-0.5 * d @ Vi @ d) / np.sqrt((2 * np.pi) ** K * det)
        val = dens * np.exp(-((y - ch.activate(z)) ** 2) / (2 * ch.noise)) / np.sqrt(2 * np.pi * ch.noise)
        return val if j < 0 else val * (Vi @ d)[j]

    halves = [(-12.0, 0.0), (0.0, 12.0)]
    out = []
    for j in range(-1, K):
        if K == 1:
            out.append(
                sum(
                    integrate.quad(lambda z: f(np.array([z]), j), a, b, epsabs=1e-13, epsrel=1e-12)[0]
                    for a, b in halves
                )
            )
        else:
            out.append(
                sum(
                    integrate.dblquad(lambda z2, z1: f(np.array([z1, z2]), j), a, b, c, d, epsabs=1e-11, epsrel=1e-9)[0]
                    for a, b in halves
                    for c, d in halves
                )
            )
    return out[0], np.array(out[1:])


@pytest.mark.parametrize(
    "K, activation",
    [(1, "relu"), (1, "sign"), (1, "linear"), (2, "relu"), pytest.param(2, "sign", marks=pytest.mark.slow)],
)
def test_output_partition_function_against_adaptive_quadrature(K, activation):
    """The closed form of Z_out and g_out (completing the square on each orthant) against adaptive quadrature
    over z."""
    ch = SoftCommittee(K, activation, DELTA)
    omega = np.array([0.3, -0.5])[:K]
    V = np.array([[0.5, 0.2], [0.2, 0.4]])[:K, :K]
    y = 0.4
    logz, g = ch.log_partition(y, omega, V)
    Z, dZ = _brute_force(ch, y, omega, V)
    assert abs(np.exp(logz) - Z) < 1e-9 * Z
    assert np.max(np.abs(g - dZ / Z)) < 1e-8
    assert np.allclose(ch.g_out(y, omega, V), g)


def test_three_units_against_monte_carlo():
    """K = 3 (the trivariate orthants): Z_out and its gradient against 10^6 draws of z, within 4 standard errors."""
    rng = np.random.default_rng(3)
    ch = SoftCommittee(3, "relu", DELTA)
    A = rng.normal(size=(3, 3))
    V = A @ A.T / 3 + 0.3 * np.eye(3)
    omega, y = rng.normal(size=3), 0.5
    z = rng.multivariate_normal(omega, V, size=1_000_000)
    dens = np.exp(-((y - ch.activate(z)) ** 2) / (2 * DELTA)) / np.sqrt(2 * np.pi * DELTA)
    logz, g = ch.log_partition(y, omega, V)
    assert abs(np.exp(logz) - dens.mean()) < 4 * dens.std() / 1e3
    # grad Z = E[dens * V^{-1}(z - omega)] (Stein), so grad Z - Z g has mean zero
    score = np.linalg.solve(V, (z - omega).T).T
    resid = dens[:, None] * score - np.exp(logz) * g
    assert np.all(np.abs(resid.mean(0)) < 4 * resid.std(0) / 1e3)


def test_one_linear_unit_is_the_gaussian_noise_channel():
    """K = 1 with a linear unit is the scalar Gaussian-noise channel: the committee solver's fixed points and free
    entropy equal the perceptron's to 1e-9 (the error is half the scalar mean squared error, Aubin et al.'s
    convention)."""
    alpha = np.array([0.5, 2.0, 4.0])
    scalar = sml.replica.solve(sml.TeacherStudent(prior="gaussian", channel=sml.channels.GaussianNoise(DELTA)), alpha)
    vec = sml.replica.solve(sml.TeacherStudent(prior="gaussian", channel=SoftCommittee(1, "linear", DELTA)), alpha)
    assert np.max(np.abs(vec.q[:, 0, 0] - scalar.q)) < 1e-9
    assert np.max(np.abs(vec.free_entropy - scalar.free_entropy)) < 1e-9
    assert np.max(np.abs(vec.generalization_error - 0.5 * scalar.generalization_error)) < 1e-9


def test_channel_map_against_teacher_sampling():
    """The replica channel map at a specialised overlap (omega and y quadratures) against plain Monte Carlo over
    the teacher: omega ~ N(0, q), z ~ N(omega, 1 - q), y = f(z) + noise, with the exact g_out; 4 standard errors."""
    rng = np.random.default_rng(7)
    ch = SoftCommittee(2, "relu", DELTA)
    q = np.array([[0.5, 0.2], [0.2, 0.5]])
    V = np.eye(2) - q
    out = ch.rs_bayes(q)
    n = 400_000
    omega = rng.multivariate_normal(np.zeros(2), q, size=n)
    y = ch.sample(omega + rng.multivariate_normal(np.zeros(2), V, size=n), rng)
    logz, g = ch.log_partition(y, omega, V)
    gg = np.einsum("nk,nl->nkl", g, g).reshape(n, 4)
    assert np.all(np.abs(out["qhat"].ravel() - gg.mean(0)) < 4 * gg.std(0) / np.sqrt(n))
    assert abs(out["psi"] - logz.mean()) < 4 * logz.std() / np.sqrt(n)
    sq = 0.5 * (y - ch.prediction(omega, V)) ** 2
    assert abs(out["error"] - sq.mean()) < 4 * sq.std() / np.sqrt(n)


@pytest.mark.slow
def test_quadrature_error_of_the_default_rules():
    """The default omega rule (panel order 4) and label rule (16 Gauss-Hermite nodes per orthant) against
    finer ones (panel order 5, 24 nodes; they agree with order 6, 48 nodes to 5e-9), at a nearly recovered
    overlap, where the omega integrand is sharpest (V = 0.05): 5e-7 (measured 2.6e-7 on qhat, 2.4e-7 on the
    error; 3.6e-7 and 1.5e-7 at q = [[0.5, 0.2], [0.2, 0.5]])."""
    ch = SoftCommittee(2, "relu", DELTA)
    for q in (np.array([[0.95, 0.01], [0.01, 0.95]]),):
        base, fine = ch.rs_bayes(q), ch.rs_bayes(q, order=5, y_order=24)
        for key in ("qhat", "psi", "error"):
            assert np.max(np.abs(base[key] - fine[key])) < 5e-7, key


@pytest.mark.parametrize("activation", ["relu", "sign", "linear"])
def test_error_limits_and_label_moments(activation):
    """alpha = 0 (q = 0): error 1/2 (Var f + Delta), Var f = 1/2 - 1/(2 pi) for relu units (E relu = 1/sqrt(2 pi)),
    1 for sign and linear units; perfect recovery (q -> I): Delta / 2.  Labels drawn by ``sample`` have the same
    mean and variance (4 standard errors)."""
    K = 2
    ch = SoftCommittee(K, activation, DELTA)
    mean_f = np.sqrt(K / (2 * np.pi)) if activation == "relu" else 0.0
    var_f = 0.5 - 1 / (2 * np.pi) if activation == "relu" else 1.0
    assert abs(ch.rs_bayes(1e-12 * np.eye(K))["error"] - 0.5 * (var_f + DELTA)) < 1e-8
    assert abs(ch.rs_bayes((1 - 1e-9) * np.eye(K))["error"] - 0.5 * DELTA) < 1e-3
    rng = np.random.default_rng(1)
    n = 200_000
    y = ch.sample(rng.standard_normal((n, K)), rng)
    assert abs(y.mean() - mean_f) < 4 * np.sqrt((var_f + DELTA) / n)
    assert abs(y.var() - (var_f + DELTA)) < 4 * y.var() * np.sqrt(2 / n) * 1.5


def test_same_seed_same_labels():
    ch = SoftCommittee(2, "relu", DELTA)
    z = np.random.default_rng(0).standard_normal((5, 2))
    assert np.array_equal(ch.sample(z, 3), ch.sample(z, 3))


def test_amp_against_state_evolution_on_the_non_specialised_line():
    """Committee AMP with relu units (n = 1000) against state evolution at alpha = 1, where both stay on the
    non-specialised line (q_d = 0): the overlap within 4/sqrt(n) of the prediction."""
    cm = sml.TeacherStudent(prior="gaussian", channel=sml.channels.Committee(2, "relu", "linear", noise=DELTA))
    se = sml.replica.state_evolution(cm, alpha=1.0, n_iter=60)
    assert se.converged and abs(se.q_diagonal) < 1e-6
    for seed in range(1):
        run = sml.replica.amp(cm, n=1000, alpha=1.0, rng=seed)
        assert run.converged
        assert abs(run.q_offdiagonal - se.q_offdiagonal) < 4 / np.sqrt(1000)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(K=0), "K must"),
        (dict(K=4), "K must"),
        (dict(activation="erf"), "activation must"),
        (dict(noise=0.0), "noise must"),
        (dict(noise=-1.0), "noise must"),
        (dict(noise=np.nan), "noise"),
        (dict(noise=np.inf), "noise"),
        (dict(noise=1e9), "noise must"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SoftCommittee(**kwargs)


def test_committee_with_a_linear_output_is_the_soft_committee():
    ch = sml.channels.Committee(2, activation="relu", output="linear", noise=0.2)
    assert ch == SoftCommittee(2, "relu", 0.2)
    with pytest.raises(ValueError, match="activation must"):
        sml.channels.Committee(2, activation="relu")
    with pytest.raises(ValueError, match="noise must"):
        sml.channels.Committee(2, noise=0.1)
    with pytest.raises(ValueError, match="y_order must"):
        ch.rs_bayes(0.5 * np.eye(2), y_order=1)
