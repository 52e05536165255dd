"""The Gaussian covariate model: spectra, Gaussian equivalence, random features, structured inputs.

References
----------
Mei & Montanari (2022), "The generalization error of random features regression: precise
asymptotics and the double descent curve", CPAM 75, 667 (arXiv:1908.05355), Definition 1 and
Theorem 2: the closed-form test error written out in :func:`mei_montanari` below.
Loureiro et al. (2021), NeurIPS, "Learning curves of generic features maps ...", eq. (2.8).
Dobriban & Wager (2018), Ann. Stat. 46, 247: the optimal ridge penalty of isotropic data is
Delta / rho (in the normalisation z = x.w/sqrt(N), penalty l2 |w|^2 / 2).
Marchenko & Pastur (1967), Math. USSR-Sb. 1, 457: the spectral law.
"""

import math

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from scipy.optimize import fsolve

import statmech_learn as sml
from statmech_learn.gaussian import ACTIVATIONS, activation_moments
from statmech_learn.gibbs.spectra import SpectralPrior, Spectrum, marchenko_pastur
from statmech_learn.replica.covariates import GaussianCovariate, RandomFeatureMap, StructuredInputs

FIELDS = ("m", "q", "V", "free_entropy", "generalization_error", "train_loss", "train_error")


# --- spectra --------------------------------------------------------------------------------


@pytest.mark.parametrize("c", [0.3, 0.99, 1.0, 1.01, 3.0])
def test_marchenko_pastur_quadrature_against_mpmath(c):
    """Resolvent moments of the MP law (density and atom written out here) by mpmath to 1e-12."""
    s, w, zero = marchenko_pastur(c)
    mp.mp.dps = 30
    a, b = (1 - mp.sqrt(c)) ** 2, (1 + mp.sqrt(c)) ** 2

    def dens(x):
        return mp.sqrt((b - x) * (x - a)) / (2 * mp.pi * c * x)

    for z in (-0.05, -1.0):
        for k in (1, 2):
            ours = np.sum(w * s ** (k - 1) / (s - z) ** k) + (zero * 0.0 ** (k - 1) / (-z) ** k if k == 1 else 0.0)
            ref = mp.quad(lambda x: dens(x) * x ** (k - 1) / (x - z) ** k, [a, (a + b) / 2, b])
            if k == 1:
                ref += max(0.0, 1 - 1 / c) / (0 - z)
            assert abs(ours - float(ref)) <= 1e-12 * abs(float(ref))
    assert abs(np.sum(w) + zero - 1.0) < 1e-13


def test_spectrum_validation():
    with pytest.raises(ValueError, match="omega must be > 0"):
        Spectrum(np.array([0.0]), np.array([1.0]), np.array([1.0]), 1.0, "x")
    with pytest.raises(ValueError, match="weight"):
        Spectrum(np.array([1.0]), np.array([1.5]), np.array([1.0]), 1.0, "x")
    with pytest.raises(ValueError, match="positive semi-definite"):  # the student sees more than the teacher has
        Spectrum(np.array([1.0]), np.array([1.0]), np.array([2.0]), 1.0, "x")
    with pytest.raises(ValueError, match="one length"):
        Spectrum(np.array([1.0, 2.0]), np.array([1.0]), np.array([1.0]), 1.0, "x")


# --- Gaussian equivalence constants -----------------------------------------------------------


def test_activation_moments_closed_forms():
    g = sp.symbols("g", real=True)
    density = sp.exp(-(g**2) / 2) / sp.sqrt(2 * sp.pi)
    relu = [sp.integrate(f * density, (g, 0, sp.oo)) for f in (g, g * g, g**2)]  # E relu, E g relu, E relu^2
    mu0, mu1, m2 = (float(v) for v in relu)
    expected = {
        "relu": (mu0, mu1, math.sqrt(m2 - mu0**2 - mu1**2)),  # sympy: 1/sqrt(2 pi), 1/2, sqrt(1/4 - 1/(2 pi))
        "erf": (0.0, 2 / math.sqrt(3 * math.pi), math.sqrt(2 / math.pi * math.asin(2 / 3) - 4 / (3 * math.pi))),
        "sign": (0.0, math.sqrt(2 / math.pi), math.sqrt(1 - 2 / math.pi)),
        "linear": (0.0, 1.0, 0.0),
    }
    mp.mp.dps = 30
    t1 = mp.quad(lambda x: x * mp.tanh(x) * mp.npdf(x), [-mp.inf, 0, mp.inf])
    t2 = mp.quad(lambda x: mp.tanh(x) ** 2 * mp.npdf(x), [-mp.inf, 0, mp.inf])
    expected["tanh"] = (0.0, float(t1), float(mp.sqrt(t2 - t1**2)))
    assert set(expected) == set(ACTIVATIONS)
    for name, ref in expected.items():
        assert np.allclose(activation_moments(name), ref, rtol=1e-13, atol=1e-14), name


def test_activation_errors():
    with pytest.raises(ValueError, match="relu"):  # the valid names are listed
        activation_moments("sigmoidal")
    with pytest.raises(ValueError, match="constant"):
        RandomFeatureMap(lambda x: np.ones_like(x), 1.0)


# --- random features: Mei & Montanari ---------------------------------------------------------


def mei_montanari(psi1, psi2, lam_bar, zeta):
    """Bias B and variance V of Mei & Montanari (2022), Definition 1 (E0, E1, E2) at xi = i sqrt(psi1 psi2 lam)."""
    xi = 1j * math.sqrt(psi1 * psi2 * lam_bar)

    def eqs(v):
        n1, n2 = v[0] + 1j * v[1], v[2] + 1j * v[3]
        d = 1 - zeta**2 * n1 * n2
        r1 = n1 - psi1 / (-xi - n2 - zeta**2 * n2 / d)
        r2 = n2 - psi2 / (-xi - n1 - zeta**2 * n1 / d)
        return [r1.real, r1.imag, r2.real, r2.imag]

    v = fsolve(eqs, [0.0, 1.0, 0.0, 1.0], xtol=1e-14)
    assert max(abs(np.array(eqs(v)))) < 1e-12 and v[1] > 0 and v[3] > 0  # the solution in C+
    chi = ((v[0] + 1j * v[1]) * (v[2] + 1j * v[3])).real
    z, p1, p2 = zeta, psi1, psi2
    E0 = (
        -(chi**5) * z**6
        + 3 * chi**4 * z**4
        + (p1 * p2 - p2 - p1 + 1) * chi**3 * z**6
        - 2 * chi**3 * z**4
        - 3 * chi**3 * z**2
        + (p1 + p2 - 3 * p1 * p2 + 1) * chi**2 * z**4
        + 2 * chi**2 * z**2
        + chi**2
        + 3 * p1 * p2 * chi * z**2
        - p1 * p2
    )
    E1 = p2 * chi**3 * z**4 - p2 * chi**2 * z**2 + p1 * p2 * chi * z**2 - p1 * p2
    E2 = (
        chi**5 * z**6
        - 3 * chi**4 * z**4
        + (p1 - 1) * chi**3 * z**6
        + 2 * chi**3 * z**4
        + 3 * chi**3 * z**2
        + (-p1 - 1) * chi**2 * z**4
        - 2 * chi**2 * z**2
        - chi**2
    )
    return E1 / E0, E2 / E0


@pytest.mark.parametrize("activation", ["relu", "erf"])
@pytest.mark.parametrize("psi1, psi2, lam, tau2", [(0.5, 1.0, 0.1, 0.1), (2.0, 1.0, 0.01, 0.1), (3.0, 1.5, 1.0, 0.5)])
def test_random_features_ridge_equals_mei_montanari(activation, psi1, psi2, lam, tau2):
    """Their ridge (1/n) sum (y - f)^2 + (N lam / d)|a|^2 with f = a.sigma is ours with w = sqrt(P) a,
    l2 = psi2 lam; their risk excludes the label noise tau^2; F1 = 1 (teacher of unit norm), F* = 0."""
    _, mu1, mus = activation_moments(activation)
    B, V = mei_montanari(psi1, psi2, lam / mus**2, mu1 / mus)
    rf = sml.RandomFeatures(
        activation, psi1, teacher=sml.channels.GaussianNoise(tau2), student=sml.ERM("square", psi2 * lam)
    )
    ours = sml.replica.solve(rf, psi2)
    assert abs(ours.generalization_error - tau2 - (B + tau2 * V)) < 1e-9
    assert ours.spectrum_size > 100 and ours.features_ratio == psi1 and ours.samples_per_feature == psi2 / psi1


def test_random_features_closed_form_against_generic_iteration():
    """The square-loss closed form (one Newton root) against the generic damped/Anderson iteration."""
    rf = sml.RandomFeatures(
        "tanh", [0.5, 2.0], teacher=sml.channels.GaussianNoise(0.2), student=sml.ERM("square", 0.05)
    )
    for r in (0.5, 2.0):
        model = rf.model(r)
        a = np.array([0.3, 1.0, 3.0])
        c1 = sml.replica.solve(model, a)
        c2 = sml.replica.solve(model, a, method="iterate", tol=1e-13)
        for f in ("m", "q", "V", "free_entropy", "generalization_error", "train_loss"):
            assert np.allclose(getattr(c1, f), getattr(c2, f), rtol=1e-9, atol=1e-12), f


# --- identity inputs are today's perceptron --------------------------------------------------


@pytest.mark.parametrize(
    "student, channel",
    [
        (sml.ERM("square", 1e-3), sml.channels.GaussianNoise(0.1)),
        (sml.ERM("square", 0.5), "sign"),
        (sml.ERM("square", 0.0), sml.channels.GaussianNoise(0.3)),
        (sml.ERM("logistic", 0.01), "sign"),
        (sml.ERM("hinge", 0.1), sml.channels.NoisySign(0.1)),
        (None, "sign"),
        (sml.Gibbs(0.5), "sign"),
    ],
)
def test_identity_inputs_reproduce_isotropic(student, channel):
    alpha = np.array([0.3, 0.8, 1.5, 3.0])
    iso = sml.TeacherStudent("gaussian", channel, student)
    ident = sml.TeacherStudent("gaussian", channel, student, inputs=StructuredInputs([(1.0, 1.0)]))
    a, b = sml.replica.solve(iso, alpha), sml.replica.solve(ident, alpha)
    for f in FIELDS:
        x, y = np.asarray(getattr(a, f), dtype=float), np.asarray(getattr(b, f), dtype=float)
        assert np.array_equal(np.isnan(x), np.isnan(y)), f
        assert np.allclose(x, y, rtol=1e-10, atol=1e-12, equal_nan=True), f


def test_matrix_route_equals_block_route():
    """A block-diagonal GaussianCovariate (eigendecomposition) against StructuredInputs (closed form)."""
    d = 40
    diag = np.r_[np.full(10, 4.0), np.full(30, 1.0)]
    ws = StructuredInputs([(0.25, 4.0), (0.75, 1.0)])
    gcm = GaussianCovariate(np.diag(diag))
    a = np.array([0.5, 2.0])
    for student in (sml.ERM("square", 0.1), sml.ERM("logistic", 0.1), None):
        c1 = sml.replica.solve(sml.TeacherStudent("gaussian", "sign", student, inputs=ws), a)
        c2 = sml.replica.solve(sml.TeacherStudent("gaussian", "sign", student, inputs=gcm), a)
        for f in ("m", "q", "V", "generalization_error", "free_entropy"):
            assert np.allclose(getattr(c1, f), getattr(c2, f), rtol=1e-10), (student, f)
    assert gcm.spectrum(1.0).size == d


# --- structured inputs ------------------------------------------------------------------------


def test_structured_bayes_optimal_nishimori_and_bound():
    """Bayes-optimal with structured inputs: m = q (Nishimori) and its error is below every ERM's."""
    ws = StructuredInputs([(0.3, 5.0), (0.7, 1.0)], teacher_weights=[1.0, 0.2])
    alpha = np.array([0.5, 1.0, 2.0, 4.0])
    bo = sml.replica.solve(sml.TeacherStudent("gaussian", "sign", inputs=ws), alpha)
    assert np.allclose(bo.m, bo.q, rtol=1e-8)
    for loss in ("square", "logistic", "hinge"):
        erm = sml.replica.solve(sml.TeacherStudent("gaussian", "sign", sml.ERM(loss, 0.05), inputs=ws), alpha)
        assert np.all(bo.generalization_error <= erm.generalization_error + 1e-9), loss


def test_structured_spectrum_closed_form():
    ws = StructuredInputs([(0.5, 4.0), (0.5, 1.0)], teacher_weights=[1.0, 0.1])
    s = ws.spectrum(2.0)
    assert np.allclose(s.omega, [4.0, 1.0]) and np.allclose(s.teacher, [32.0, 0.2])
    assert s.rho == pytest.approx(2.0 * (0.5 * 4.0 + 0.5 * 0.1))
    assert s.visible_fraction == pytest.approx(1.0)  # the student sees the teacher's inputs


# --- double descent and the optimal penalty ---------------------------------------------------


def test_optimal_l2_isotropic_is_delta_over_rho():
    for delta, var in ((0.3, 1.0), (0.5, 2.0)):
        m = sml.TeacherStudent(
            sml.priors.GaussianPrior(var), sml.channels.GaussianNoise(delta), sml.ERM("square", "optimal")
        )
        c = sml.replica.solve(m, [0.5, 2.0])
        assert np.allclose(c.l2, delta / var, rtol=1e-3)
        fixed = sml.replica.solve(m.with_l2(delta / var), [0.5, 2.0])
        assert np.all(c.generalization_error <= fixed.generalization_error + 1e-9)


def test_double_descent_peak_and_its_cancellation():
    ratios = np.linspace(0.2, 3.0, 57)  # contains 1.0
    noisy = sml.channels.GaussianNoise(0.2)
    peak = []
    for l2 in (1e-4, 1e-6, 1e-8):
        c = sml.replica.solve(sml.RandomFeatures("relu", ratios, noisy, sml.ERM("square", l2)), 1.0)
        assert ratios[np.argmax(c.generalization_error)] == pytest.approx(1.0)  # the peak sits at P = n
        peak.append(c.generalization_error[np.argmax(c.generalization_error)])
    # and diverges like l2^(-1/2): x10 per factor 100 in l2
    assert 8 < peak[1] / peak[0] < 12 and 9 < peak[2] / peak[1] < 11
    ridgeless = sml.replica.solve(sml.RandomFeatures("relu", [0.5, 1.0, 2.0], noisy, sml.ERM("square", 0.0)), 1.0)
    assert np.isfinite(ridgeless.generalization_error[0]) and np.isinf(ridgeless.generalization_error[1])
    assert np.isfinite(ridgeless.generalization_error[2])
    opt = sml.replica.solve(sml.RandomFeatures("relu", ratios[::4], noisy, sml.ERM("square", "optimal")), 1.0)
    assert np.all(np.diff(opt.generalization_error) < 1e-9)  # monotone: no peak at the optimal penalty


def test_ridgeless_limit_is_continuous():
    """l2 = 0 (least-norm interpolator below P = n, least squares above) is the l2 -> 0 limit."""
    ws = StructuredInputs([(0.4, 3.0), (0.6, 0.5)], teacher_weights=[1.0, 0.5])
    a = np.array([0.4, 0.7, 1.5, 3.0])
    ch = sml.channels.GaussianNoise(0.1)
    c0 = sml.replica.solve(sml.TeacherStudent("gaussian", ch, sml.ERM("square", 0.0), inputs=ws), a)
    c1 = sml.replica.solve(sml.TeacherStudent("gaussian", ch, sml.ERM("square", 1e-9), inputs=ws), a)
    assert np.allclose(c0.generalization_error, c1.generalization_error, rtol=1e-6)
    assert np.allclose(c0.m, c1.m, rtol=1e-6) and np.allclose(c0.q, c1.q, rtol=1e-6)


# --- bad input --------------------------------------------------------------------------------


def test_bad_input():
    with pytest.raises(ValueError, match="sum to 1"):
        StructuredInputs([(0.5, 1.0), (0.4, 2.0)])
    with pytest.raises(ValueError, match="block variances must be > 0"):
        StructuredInputs([(0.5, -1.0), (0.5, 2.0)])
    with pytest.raises(ValueError, match="teacher_weights"):
        StructuredInputs([(0.5, 1.0), (0.5, 2.0)], teacher_weights=[1.0])
    with pytest.raises(ValueError, match="features_ratio must be > 0"):
        sml.RandomFeatures("relu", [1.0, -2.0])
    with pytest.raises(ValueError, match="'erf'"):
        sml.RandomFeatures("swish", 1.0)
    with pytest.raises(ValueError, match="l2 must be a number >= 0 or 'optimal'"):
        sml.ERM("square", "best")
    with pytest.raises(ValueError, match="l2 must be >= 0"):
        sml.ERM("square", -0.1)
    with pytest.raises(ValueError, match="symmetric"):
        GaussianCovariate(np.array([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="positive semi-definite"):
        GaussianCovariate(np.diag([1.0, 1.0]), Phi=np.eye(2) * 3.0, Psi=np.eye(2))
    with pytest.raises(ValueError, match="same number of rows"):
        GaussianCovariate.from_samples(np.ones((10, 3)), np.ones((9, 2)))
    with pytest.raises(ValueError, match="Gaussian teacher prior"):
        sml.TeacherStudent("binary", "sign", inputs=StructuredInputs([(1.0, 1.0)]))
    with pytest.raises(ValueError, match="teacher's features"):
        sml.TeacherStudent("gaussian", "sign", inputs=RandomFeatureMap("relu", 2.0))
    with pytest.raises(ValueError, match="isotropic inputs"):
        sml.replica.state_evolution(sml.TeacherStudent("gaussian", "sign", inputs=StructuredInputs([(1.0, 1.0)])), 1.0)
    with pytest.raises(ValueError, match="l2 must be > 0 for the hinge loss with structured inputs"):
        sml.replica.solve(
            sml.TeacherStudent("gaussian", "sign", sml.ERM("hinge", 0.0), inputs=StructuredInputs([(1.0, 1.0)])), 1.0
        )
    with pytest.raises(ValueError, match="must broadcast together"):
        sml.replica.solve(sml.RandomFeatures("relu", [1.0, 2.0, 3.0]), [1.0, 2.0])
    with pytest.raises(ValueError, match="base must be"):
        SpectralPrior(sml.priors.BinaryPrior(), Spectrum.identity())


# --- theory against simulation ----------------------------------------------------------------


def _z(sim, theory, d):
    """Deviation in standard errors, after a finite-size allowance of 3 x error / d (the relu mean adds one
    direction to the features, an O(1/P) effect the theory leaves out)."""
    dev = np.abs(np.asarray(sim.generalization_error_test) - theory) - 3.0 * np.asarray(theory) / d
    return np.maximum(dev, 0.0) / np.asarray(sim.generalization_error_test_stderr)


def test_random_features_ridge_against_real_regressions():
    """Real relu random features (d = 400, 8 instances) at P/n = 0.5, 1, 2: within 3 standard errors."""
    rf = sml.RandomFeatures(
        "relu", [0.5, 1.0, 2.0], teacher=sml.channels.GaussianNoise(0.1), student=sml.ERM("square", 1e-2)
    )
    sim = sml.replica.erm_simulation(rf, d=400, alpha=1.0, n_samples=8, rng=3, n_test=4000)
    th = sml.replica.solve(rf, 1.0).generalization_error
    assert np.all(_z(sim, th, 400) <= 3.0), (sim.generalization_error_test, th)
    assert np.all(sim.converged_all) and np.allclose(sim.features_ratio, [0.5, 1.0, 2.0])
    # the overlaps estimated on the test samples too (every public number of the result)
    c = sml.replica.solve(rf, 1.0)
    assert np.all(np.abs(sim.m - c.m) <= 3 * sim.m_stderr + 0.05 * c.m)
    assert np.all(np.abs(sim.q - c.q) <= 3 * sim.q_stderr + 0.05 * c.q)


def test_random_features_logistic_against_real_fits():
    rf = sml.RandomFeatures("relu", [0.5, 1.0, 2.0], teacher="sign", student=sml.ERM("logistic", 0.05))
    sim = sml.replica.erm_simulation(rf, d=400, alpha=1.0, n_samples=6, rng=1, n_test=4000)
    th = sml.replica.solve(rf, 1.0).generalization_error
    assert np.all(_z(sim, th, 400) <= 3.0), (sim.generalization_error_test, th)


def test_structured_inputs_against_real_fits():
    """Block covariance, teacher aligned with the salient block, logistic loss; objective = -free entropy."""
    ws = StructuredInputs([(0.5, 4.0), (0.5, 1.0)], teacher_weights=[1.0, 0.1])
    model = sml.TeacherStudent("gaussian", "sign", sml.ERM("logistic", 0.05), inputs=ws)
    sim = sml.replica.erm_simulation(model, d=400, alpha=1.5, n_samples=6, rng=2, n_test=4000)
    c = sml.replica.solve(model, 1.5)
    assert _z(sim, c.generalization_error, 400) <= 3.0
    assert abs(sim.objective + c.free_entropy) <= 3 * sim.objective_stderr + 3 * abs(c.free_entropy) / 400
    assert abs(sim.train_loss - c.train_loss) <= 3 * sim.train_loss_stderr + 3 * c.train_loss / 400


def test_seed_findings_on_structure():
    """Seed 003, 'Effect of data structure' and 'Interplay between data structure and loss function': with the
    teacher aligned with the salient features the ridge error has a minimum before the interpolation peak, below
    the isotropic error there; and the logistic loss gains more from the structure than hinge and square."""
    from statmech_learn.reproduce import structured_data as S

    alphas = np.geomspace(0.05, 5.0, 240)
    aligned = sml.replica.solve(S._model("regression", "square", "aligned"), alphas).generalization_error
    iso = sml.replica.solve(S._model("regression", "square", None), alphas).generalization_error
    a_min, e_min = S._local_minima(alphas, aligned)
    assert a_min[0] < 0.8 and e_min[0] < 0.5 * np.interp(a_min[0], alphas, iso)
    assert abs(alphas[np.argmax(aligned)] - 1.0) < 0.03
    gains = {
        loss: sml.replica.solve(S._model("classification", loss, None), [1.0, 2.0]).generalization_error
        / sml.replica.solve(S._model("classification", loss, "aligned"), [1.0, 2.0]).generalization_error
        for loss in S.LOSSES
    }
    assert np.all(gains["logistic"] > gains["hinge"]) and np.all(gains["hinge"] > gains["square"])
