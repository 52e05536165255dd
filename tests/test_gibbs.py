"""Identities of the Gibbs-posterior core: derivatives of the log-partitions,
direct integration, vectorised calls against scalar loops, exact enumeration."""

import itertools

import numpy as np
import pytest
from scipy.integrate import quad

from statmech_learn.gibbs import (
    BinaryPrior,
    GaussianNoise,
    GaussianPrior,
    GibbsPosterior,
    Margin,
    Sign,
    SphericalPrior,
    make_channel,
    make_prior,
)

PRIORS = [GaussianPrior(1.0), GaussianPrior(0.3), BinaryPrior(), SphericalPrior()]
CHANNELS = [Sign(), Margin(0.7), GaussianNoise(0.5)]
B_GRID = np.array([-4.0, -1.3, -0.2, 0.0, 0.5, 2.0, 6.0])
LAM_GRID = np.array([0.0, 0.4, 3.0])


@pytest.mark.parametrize("prior", PRIORS, ids=repr)
def test_prior_mean_and_variance_are_derivatives_of_log_partition(prior):
    B, L = np.meshgrid(B_GRID, LAM_GRID)
    h = 1e-5
    d1 = (prior.log_partition(B + h, L) - prior.log_partition(B - h, L)) / (2 * h)
    d2 = (prior.mean(B + h, L) - prior.mean(B - h, L)) / (2 * h)
    np.testing.assert_allclose(prior.mean(B, L), d1, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(prior.variance(B, L), d2, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("prior", [GaussianPrior(1.0), GaussianPrior(2.5)], ids=repr)
def test_gaussian_prior_log_partition_by_quadrature(prior):
    for B, L in [(0.3, 0.0), (-1.2, 0.8), (2.0, 5.0)]:
        f = lambda w: np.exp(prior.log_density(w) + B * w - L * w * w / 2)  # noqa: E731
        assert prior.log_partition(B, L) == pytest.approx(np.log(quad(f, -np.inf, np.inf)[0]), rel=1e-10)


def test_binary_prior_log_partition_by_sum():
    prior = BinaryPrior()
    for B, L in [(0.3, 0.0), (-1.2, 0.8), (30.0, 1.0)]:
        direct = np.log(0.5 * np.exp(B - L / 2) + 0.5 * np.exp(-B - L / 2))
        assert prior.log_partition(B, L) == pytest.approx(direct, rel=1e-13)
    assert np.isfinite(prior.log_partition(800.0, 0.0))  # no overflow


@pytest.mark.parametrize("channel", CHANNELS, ids=repr)
def test_channel_derivatives(channel):
    labels = [1.0, -1.0] if isinstance(channel, Margin) else [1.0, -1.0, 0.4]
    y = np.array(labels)[:, None]
    omega = np.array([-2.0, -0.3, 0.0, 0.8, 2.5])[None, :]
    for V in (0.05, 0.7, 2.0):
        h = 1e-5
        lz = channel.log_partition
        g_fd = (lz(y, omega + h, V) - lz(y, omega - h, V)) / (2 * h)
        dg_fd = (channel.g_out(y, omega + h, V) - channel.g_out(y, omega - h, V)) / (2 * h)
        np.testing.assert_allclose(channel.g_out(y, omega, V), g_fd, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(channel.dg_out(y, omega, V), dg_fd, rtol=1e-6, atol=1e-8)
        # heat equation: d/dV log Z = (dg + g^2)/2, independent of the channel
        dv_fd = (lz(y, omega, V + h) - lz(y, omega, V - h)) / (2 * h)
        g = channel.g_out(y, omega, V)
        np.testing.assert_allclose(dv_fd, 0.5 * (channel.dg_out(y, omega, V) + g * g), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("channel", CHANNELS, ids=repr)
def test_channel_log_partition_by_quadrature(channel):
    for y, omega, V in [(1.0, 0.3, 0.5), (-1.0, 1.2, 1.5), (1.0, -2.0, 0.2)]:

        def integrand(z):
            return np.exp(-z * z / 2) / np.sqrt(2 * np.pi) * np.exp(channel.log_likelihood(y, omega + np.sqrt(V) * z))

        points = None
        if isinstance(channel, Margin):
            points = [(channel.kappa / y - omega) / np.sqrt(V)]
        val = quad(integrand, -12, 12, points=points, epsabs=1e-14, epsrel=1e-12, limit=200)[0]
        assert channel.log_partition(y, omega, V) == pytest.approx(np.log(val), rel=1e-9)


@pytest.mark.parametrize("obj", PRIORS + CHANNELS, ids=repr)
def test_vectorised_call_equals_scalar_loop(obj):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=20), rng.uniform(0.1, 2, size=20)
    if hasattr(obj, "g_out"):
        y = np.sign(rng.normal(size=20))
        fns = [obj.log_partition, obj.g_out, obj.dg_out]
        for fn in fns:
            vec = fn(y, a, b)
            loop = np.array([fn(y[i], a[i], b[i]) for i in range(20)])
            np.testing.assert_array_equal(vec, loop)
    else:
        for fn in [obj.log_partition, obj.mean, obj.variance]:
            vec = fn(a, b)
            loop = np.array([fn(a[i], b[i]) for i in range(20)])
            np.testing.assert_array_equal(vec, loop)


def test_storage_terms_vectorised_equals_scalar():
    q = np.array([0.1, 0.5, 0.9, 1 - 1e-6])
    for ch in (Sign(), Margin(0.4)):
        g2, psi = ch.rs_storage(q)
        for i, qi in enumerate(q):
            g2i, psii = ch.rs_storage(qi)
            assert g2i == pytest.approx(g2[i], rel=1e-14)
            assert psii == pytest.approx(psi[i], rel=1e-14)
    qhat = np.array([0.1, 3.0, 1e4])
    q_b, v_b = BinaryPrior().rs_overlap(qhat)
    np.testing.assert_allclose(q_b + v_b, 1.0, rtol=1e-13)
    q_s, v_s = SphericalPrior().rs_overlap(qhat)
    np.testing.assert_allclose(q_s + v_s, 1.0, rtol=1e-13)


def test_spherical_storage_potential_at_saddle_is_gardner_form():
    """At the Lagrange-multiplier saddle the spherical potential is
    (1/2) log(1-q) + q/(2(1-q)) (Gardner 1988, eq. 13)."""
    prior = SphericalPrior()
    for q in (0.1, 0.5, 0.99):
        qhat = q / (1 - q) ** 2  # conjugate at the saddle
        q_back, _ = prior.rs_overlap(qhat)
        assert q_back == pytest.approx(q, rel=1e-12)
        assert prior.rs_potential(qhat, q) == pytest.approx(0.5 * np.log(1 - q) + q / (2 * (1 - q)), rel=1e-12)


def test_exact_enumeration_against_itertools():
    rng = np.random.default_rng(0)
    n, p = 6, 5
    X = rng.normal(size=(p, n))
    y = np.sign(rng.normal(size=p))
    post = GibbsPosterior("binary", Margin(0.2))
    count = sum(
        all(y[m] * X[m] @ np.array(w) / np.sqrt(n) >= 0.2 for m in range(p))
        for w in itertools.product([-1.0, 1.0], repeat=n)
    )
    expected = np.log(count / 2**n) if count else -np.inf
    assert post.log_partition_enumerate(X, y, chunk=7) == pytest.approx(expected, rel=1e-12)


def test_make_prior_and_channel_errors_list_valid_names():
    assert isinstance(make_prior("binary"), BinaryPrior)
    assert isinstance(make_channel("sign"), Sign)
    with pytest.raises(ValueError, match="prior must be .*'gaussian'.*got 'laplace'"):
        make_prior("laplace")
    with pytest.raises(ValueError, match="channel must be .*'sign'.*got 'relu'"):
        make_channel("relu")
    with pytest.raises(ValueError, match="kappa must be >= 0, got -1.*replica-symmetry breaking"):
        Margin(-1)
    with pytest.raises(ValueError, match="variance must be > 0"):
        GaussianNoise(0.0)
