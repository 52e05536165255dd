"""Committee machines: K-dimensional priors and channel, their integrals, and the K x K replica equations.

References
----------
Aubin, Maillard, Barbier, Krzakala, Macris & Zdeborova (2018), NeurIPS, "The committee machine: computational
to statistical gaps in learning a two-layers neural network" (eqs. (6)-(8): the replica equations).
Owen (1956), Ann. Math. Stat. 27, 1075 (bivariate normal through T); Sheppard's orthant formula.
"""

import mpmath as mp
import numpy as np
import pytest
from scipy.stats import multivariate_normal

import statmech_learn as sml
from statmech_learn.gibbs.committee import (BinaryVectorPrior, Committee, GaussianVectorPrior, bivariate_normal_cdf,
                                            omega_rule)


def test_bivariate_normal_cdf_against_mpmath_and_scipy():
    rng = np.random.default_rng(0)
    h, k, r = rng.normal(0, 2, 300), rng.normal(0, 2, 300), rng.uniform(-0.99, 0.99, 300)
    ref = np.array([multivariate_normal(mean=[0, 0], cov=[[1, c], [c, 1]]).cdf([a, b]) for a, b, c in zip(h, k, r)])
    assert np.max(np.abs(bivariate_normal_cdf(h, k, r) - ref)) < 1e-8  # scipy's own accuracy
    mp.mp.dps = 30
    for a, b, c in [(0.0, 0.0, -0.4), (0.0, 1.3, 0.5), (-2.0, 0.0, 0.9), (1.5, -0.7, -0.95), (-3.0, -2.5, 0.3)]:
        # P(X < a, Y < b) = int_{-inf}^a phi(x) Phi((b - c x) / sqrt(1 - c^2)) dx
        ref = mp.quad(lambda x, b=b, c=c: mp.npdf(x) * mp.ncdf((b - c * x) / mp.sqrt(1 - c * c)), [-mp.inf, a])
        assert abs(bivariate_normal_cdf(a, b, c) - float(ref)) < 1e-14


@pytest.mark.parametrize("K", [1, 2, 3])
def test_label_probabilities_against_monte_carlo(K):
    """Z_out(y | omega, V) of the sign committee against 10^6 samples of z ~ N(omega, V), within 3 standard errors,
    and its gradient against central differences."""
    rng = np.random.default_rng(K)
    c = Committee(K)
    A = rng.normal(size=(K, K))
    V = A @ A.T / K + 0.3 * np.eye(K)
    om = rng.normal(size=K)
    P, dP = c.probabilities(om, V)
    z = rng.multivariate_normal(om, V, size=1_000_000)
    y = c.sample(z)
    for j, lab in enumerate(c.labels):
        p_mc = np.mean(y == lab)
        assert abs(P[j] - p_mc) <= 3 * np.sqrt(p_mc * (1 - p_mc) / len(y)) + 1e-12
    assert abs(P.sum() - 1.0) < 1e-12
    eps = 1e-6
    for k in range(K):
        e = np.zeros(K)
        e[k] = eps
        num = (c.probabilities(om + e, V)[0] - c.probabilities(om - e, V)[0]) / (2 * eps)
        assert np.allclose(num, dP[:, k], atol=1e-8)


@pytest.mark.parametrize("K", [2])
def test_channel_map_against_monte_carlo(K):
    """qhat, psi and the Bayes error of the K-dimensional rule against 10^6 samples of (omega, z*) (K = 3: 10^5,
    each sample's label probabilities being a one-dimensional integral)."""
    rng = np.random.default_rng(10 + K)
    c = Committee(K)
    q = 0.3 * np.eye(K) + 0.2 * np.ones((K, K)) / K
    V = np.eye(K) - q
    out = c.rs_bayes(q)
    n = 1_000_000 if K == 2 else 100_000
    om = rng.multivariate_normal(np.zeros(K), q, size=n)
    zs = om + rng.multivariate_normal(np.zeros(K), V, size=n)
    y = c.sample(zs)
    P = np.empty((n, len(c.labels)))
    dP = np.empty((n, len(c.labels), K))
    for start in range(0, n, 20_000):
        P[start:start + 20_000], dP[start:start + 20_000] = c.probabilities(om[start:start + 20_000], V)
    j = np.searchsorted(c.labels, y)
    g = dP[np.arange(n), j] / P[np.arange(n), j][:, None]
    ggt = g[:, :, None] * g[:, None, :]
    mean, se = ggt.mean(axis=0), ggt.std(axis=0) / np.sqrt(n)
    assert np.all(np.abs(out["qhat"] - mean) <= 3 * se)
    lp = np.log(P[np.arange(n), j])
    assert abs(out["psi"] - lp.mean()) <= 3 * lp.std() / np.sqrt(n)
    wrong = (c.labels[np.argmax(P, axis=1)] != y)
    assert abs(out["error"] - wrong.mean()) <= 3 * wrong.std() / np.sqrt(n)


def test_omega_rule_is_exact_for_gaussian_moments_and_handles_singular_q():
    q = np.array([[0.7, 0.7], [0.7, 0.7]])  # rank one: the non-specialised fixed point
    om, w = omega_rule(q, np.eye(2) - 0.5 * q)
    assert abs(w.sum() - 1) < 1e-9 and np.allclose(om[:, 0], om[:, 1])  # panel order 6: ~1e-10
    assert np.allclose(np.einsum("n,nk,nl->kl", w, om, om), q, atol=1e-9)
    q = np.array([[0.5, 0.2], [0.2, 0.4]])
    om, w = omega_rule(q, np.eye(2) - q, panel_order=10)
    assert abs(w.sum() - 1) < 1e-13
    assert np.allclose(np.einsum("n,nk,nl->kl", w, om, om), q, atol=1e-13)


def test_vector_priors_reduce_to_the_scalar_ones_and_match_sampling():
    for name, vp, sp in (("gaussian", GaussianVectorPrior(1), sml.priors.GaussianPrior()),
                         ("binary", BinaryVectorPrior(1), sml.priors.BinaryPrior())):
        for qh in (0.3, 2.0, 15.0):
            a = vp.rs_bayes(np.array([[qh]]))
            b = sp.rs_teacher_student(qh, qh, qh, sp)
            assert abs(a["q"][0, 0] - b["q"]) < 1e-12 and abs(a["psi"] - b["psi"]) < 1e-12, name
        B, L = np.array([0.3]), np.array([[0.8]])
        assert abs(vp.log_partition(B, L) - sp.log_partition(0.3, 0.8)) < 1e-12
        assert abs(vp.mean(B, L)[0] - sp.mean(0.3, 0.8)) < 1e-12
        assert abs(vp.covariance(B, L)[0, 0] - sp.variance(0.3, 0.8)) < 1e-12
    # K = 2 binary: the map by quadrature against sampling the teacher and the noise
    rng = np.random.default_rng(3)
    vp = BinaryVectorPrior(2)
    qh = np.array([[1.5, 0.4], [0.4, 0.9]])
    out = vp.rs_bayes(qh)
    n = 400_000
    ws = vp.sample(n, rng)
    B = ws @ qh + rng.multivariate_normal(np.zeros(2), qh, size=n)
    fa = vp.mean(B, qh)
    ffT = fa[:, :, None] * fa[:, None, :]
    assert np.all(np.abs(out["q"] - ffT.mean(0)) <= 3 * ffT.std(0) / np.sqrt(n))


def test_gaussian_vector_prior_closed_form():
    vp = GaussianVectorPrior(3)
    qh = np.array([[2.0, 0.5, 0.1], [0.5, 1.0, 0.3], [0.1, 0.3, 0.7]])
    out = vp.rs_bayes(qh)
    assert np.allclose(out["q"], qh @ np.linalg.inv(np.eye(3) + qh))
    B, L = np.array([0.2, -0.4, 1.0]), qh
    # log-partition against numerical integration of the definition in one dimension per axis (diagonal Lambda)
    Ld = np.diag([0.5, 1.5, 2.0])
    direct = sum(float(mp.log(mp.quad(lambda w, b=b, lam=lam: mp.npdf(w) * mp.exp(b * w - lam * w * w / 2),
                                      [-mp.inf, mp.inf]))) for b, lam in zip(B, np.diag(Ld)))
    assert abs(vp.log_partition(B, Ld) - direct) < 1e-12
    assert np.allclose(vp.covariance(B, L), np.linalg.inv(np.eye(3) + L))


def test_committee_bad_input():
    with pytest.raises(ValueError, match="K must be >= 1"):
        Committee(0)
    with pytest.raises(ValueError, match="K must be <= 3"):
        Committee(4)
    with pytest.raises(ValueError, match="activation must be one of"):
        Committee(2, activation="tanh")
    with pytest.raises(ValueError, match="output must be one of"):
        Committee(3, output="parity")
    with pytest.raises(ValueError, match="tie must be 'zero' for an even K"):
        Committee(2, tie=None)
    with pytest.raises(ValueError, match="tie must be None for an odd K"):
        Committee(3, tie="zero")
    assert list(Committee(2).labels) == [-1.0, 0.0, 1.0] and list(Committee(3).labels) == [-1.0, 1.0]


def test_committee_of_one_unit_is_the_perceptron():
    """K = 1: the committee fixed points equal the scalar Bayes-optimal perceptron's (Gaussian and ±1 weights, sign
    channel) to 1e-10: q, generalisation error and free entropy."""
    from statmech_learn.replica.committee import solve_committee

    alpha = np.array([0.5, 1.0, 1.2])
    for prior in ("gaussian", "binary"):
        ref = sml.replica.solve(sml.TeacherStudent(prior, "sign"), alpha, init="uninformed")
        model = sml.TeacherStudent(prior, sml.channels.Committee(1))
        c = solve_committee(model, alpha, init="non-specialized", tol=1e-13)
        assert np.allclose(c.q[:, 0, 0], ref.q, atol=1e-10, rtol=0)
        assert np.allclose(c.generalization_error, ref.generalization_error, atol=1e-10, rtol=0)
        assert np.allclose(c.free_entropy, ref.free_entropy, atol=1e-10, rtol=0)


def test_committee_symmetric_solver_against_the_general_matrix_iteration():
    """K = 2, Gaussian weights: the committee-symmetric ansatz (two parameters, the non-specialised branch on its
    invariant line, the specialised one by continuation) against the iteration of the full 2 x 2 matrix (three
    parameters, no symmetry imposed), on both sides of the specialisation."""
    from statmech_learn.replica.committee import solve_committee

    model = sml.TeacherStudent("gaussian", sml.channels.Committee(2))
    for a, init in ((1.0, "non-specialized"), (4.0, "specialized")):
        sym = solve_committee(model, a, init=init, tol=1e-10)
        gen = solve_committee(model, a, init=init, symmetric=False, tol=1e-10)
        assert sym.converged and gen.converged
        assert np.allclose(sym.q, gen.q, atol=1e-8)
        assert abs(sym.free_entropy - gen.free_entropy) < 1e-8
        assert abs(sym.generalization_error - gen.generalization_error) < 1e-8
    assert sym.specialized and not solve_committee(model, 1.0).specialized


def test_committee_api_and_bad_input():
    cm = sml.TeacherStudent(prior="gaussian", channel=sml.channels.Committee(K=2, activation="sign"))
    assert cm.K == 2 and cm.bayes_optimal
    with pytest.raises(ValueError, match="Bayes-optimal students only"):
        sml.TeacherStudent("gaussian", sml.channels.Committee(2), student=sml.ERM("square", 0.1))
    with pytest.raises(ValueError, match="prior must be 'gaussian' or 'binary'"):
        sml.TeacherStudent("spherical", sml.channels.Committee(2))
    with pytest.raises(ValueError, match="not implemented yet for committee"):
        sml.replica.amp(cm, n=100, alpha=1.0, rng=0)
