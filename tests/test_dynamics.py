"""Stationary law of SGD, its Gibbs (temperature) reading, and Langevin sampling of Gibbs densities.

References and independent checks used here:

- The discrete recursion x' = a x + eta xi (a = 1 - eta h) is an AR(1) process:
  Var x = eta^2 sigma^2 / (1 - a^2) = eta sigma^2 / (h (2 - eta h)), and the time
  average of x^2 over n steps has variance 2 v^2 (1 + a^2) / ((1 - a^2) n) for
  Gaussian noise (the autocorrelation of x^2 at lag k is a^(2k); Brockwell & Davis,
  "Time Series: Theory and Methods", 1991, sec. 3.3 and 7.2).
- Lyapunov equations are re-solved here by a plain Kronecker-product linear solve
  (vec(A X B) = (B^T kron A) vec X), independent of scipy's solvers.
- The small-lr covariance H C + C H = eta Sigma is the stationary covariance of the
  Ornstein-Uhlenbeck process (Gardiner, "Stochastic Methods", 4th ed., sec. 4.5.6;
  Mandt, Hoffman & Blei 2017, JMLR 18(134), eq. 9).
- MALA / ULA: Roberts & Tweedie 1996, Bernoulli 2, 341.  ULA on a Gaussian is again
  an AR(1) recursion whose covariance T A^-1 (I - h A / 2)^-1 follows from the discrete
  Lyapunov equation (derived in the test).
- The replica solution of a Gaussian-prior, Gaussian-channel student is compared with
  the exact finite-N posterior (a Gaussian, closed form in the test).
"""

import math

import numpy as np
import pytest
import sympy as sp
from scipy import stats

from statmech_learn.dynamics import (
    SEED_FACTOR,
    GaussianEnergy,
    LinearRegression,
    QuadraticProblem,
    TeacherStudentEnergy,
    gibbs_learning_rates,
    hessian_normalised,
    langevin,
    sgd_stationary,
    simulate_sgd,
)
from statmech_learn.replica import solve

#: per-entry z threshold when a whole (symmetric) matrix is compared: with up to 6 distinct entries,
#: 3.5 standard errors keep the family-wise false-alarm probability near 6 x 4.7e-4 = 0.3 %,
#: the level of a single 3-se test
Z_MATRIX = 3.5


def kron_lyapunov_continuous(A, Q):
    """Solve A X + X A^T = Q by vectorisation (row-major vec: vec(A X) = (A kron I) vec X)."""
    d = A.shape[0]
    eye = np.eye(d)
    M = np.kron(A, eye) + np.kron(eye, A)
    return np.linalg.solve(M, Q.reshape(-1)).reshape(d, d)


def kron_lyapunov_discrete(A, Q):
    """Solve X = A X A^T + Q by vectorisation (row-major vec: vec(A X A^T) = (A kron A) vec X)."""
    d = A.shape[0]
    return np.linalg.solve(np.eye(d * d) - np.kron(A, A), Q.reshape(-1)).reshape(d, d)


# ---------------------------------------------------------------------------------------------
# 1-D: closed form and simulation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lr_h", [0.1, 0.5, 1.0, 1.6])
def test_1d_stationary_variance_matches_ar1_within_3_stderr(lr_h):
    h, sigma2 = 2.0, 0.7
    lr = lr_h / h
    v = lr * sigma2 / (h * (2.0 - lr * h))  # AR(1): v = a^2 v + lr^2 sigma^2
    pred = sgd_stationary(h, sigma2, lr)
    assert pred.covariance[0, 0] == pytest.approx(v, rel=1e-12)
    assert pred.covariance_small_lr[0, 0] == pytest.approx(lr * sigma2 / (2 * h), rel=1e-12)
    assert pred.temperature == pytest.approx(lr * sigma2 / (2.0 - lr * h), rel=1e-12)
    assert pred.is_gibbs  # one dimension: always one temperature

    K, n = 200, 10_000
    sim = simulate_sgd(QuadraticProblem(h, sigma2), lr, n, n_chains=K, rng=1000 + int(10 * lr_h))
    a = 1.0 - lr * h
    se_ar1 = v * math.sqrt(2.0 * (1 + a * a) / ((1 - a * a) * n * K))
    # the error bar from the spread over independent chains agrees with the AR(1) formula
    assert sim.covariance_stderr[0, 0] == pytest.approx(se_ar1, rel=0.25)
    assert abs(sim.covariance[0, 0] - v) < 3 * se_ar1
    # integrated autocorrelation time of x: (1 + a) / (1 - a), within its ~10 % estimation error
    assert sim.autocorr_time[0] == pytest.approx((1 + a) / (1 - a), rel=0.35)
    assert abs(sim.mean[0]) < 4 * sim.mean_stderr[0]


def test_1d_stationary_histogram_is_gibbs_ks():
    """KS test of the simulated law against exp(-L/T) with the exact T = lr sigma^2 / (2 - lr h).

    With a = 1 - lr h = 0.5 and thin = 7 the lag correlation of kept samples is
    a^7 = 0.008, and samples of different chains are independent: the KS p-value is
    that of (nearly) independent draws.  The small-lr Gibbs law (T = lr sigma^2 / 2, whose
    variance lr sigma^2 / (2 h) = 1/4 is 3/4 of the true 1/3 at lr h = 1/2) is rejected.
    """
    h, sigma2, lr = 1.0, 1.0, 0.5
    a = 1 - lr * h
    thin = math.ceil(math.log(0.01) / math.log(a))
    assert a**thin < 0.01
    sim = simulate_sgd(QuadraticProblem(h, sigma2), lr, 60 * thin, n_chains=150, rng=7, burn_in=200, thin=thin)
    x = sim.samples.ravel()
    assert x.size == 9000
    T = sim.prediction.temperature
    assert pytest.approx(lr * sigma2 / (2 - lr * h)) == T
    p_exact = stats.kstest(x, "norm", args=(0.0, math.sqrt(T / h))).pvalue
    p_small = stats.kstest(x, "norm", args=(0.0, math.sqrt(lr * sigma2 / 2 / h))).pvalue
    assert p_exact > 0.01
    assert p_small < 1e-4


# ---------------------------------------------------------------------------------------------
# d dimensions: Lyapunov equations
# ---------------------------------------------------------------------------------------------

H2 = np.array([[2.0, 0.6], [0.6, 1.0]])
S2 = np.array([[1.0, -0.5], [-0.5, 0.8]])


def test_lyapunov_solutions_match_kronecker_solves():
    assert np.max(np.abs(H2 @ S2 - S2 @ H2)) > 0.1  # non-commuting
    for lr in (0.05, 0.4, 0.8):
        pred = sgd_stationary(H2, S2, lr)
        A = np.eye(2) - lr * H2
        np.testing.assert_allclose(pred.covariance, kron_lyapunov_discrete(A, lr**2 * S2), rtol=1e-10)
        np.testing.assert_allclose(pred.covariance_small_lr, kron_lyapunov_continuous(H2, lr * S2), rtol=1e-10)
        assert not pred.commuting
    # per-parameter rates and a full preconditioner
    for P in (np.diag([0.1, 0.3]), np.array([[0.2, 0.05], [0.05, 0.1]])):
        lr = np.diag(P) if np.count_nonzero(P - np.diag(np.diag(P))) == 0 else P
        pred = sgd_stationary(H2, S2, lr)
        np.testing.assert_allclose(pred.covariance, kron_lyapunov_discrete(np.eye(2) - P @ H2, P @ S2 @ P), rtol=1e-10)
        np.testing.assert_allclose(pred.covariance_small_lr, kron_lyapunov_continuous(P @ H2, P @ S2 @ P), rtol=1e-10)


def test_small_lr_limit_is_continuous_lyapunov_with_first_order_correction():
    """C = lr X0 + lr^2 X1 + O(lr^3): X0 from H X0 + X0 H = Sigma, and dividing
    H X + X H - lr H X H = Sigma (the discrete equation over lr^2, C = lr X) gives
    H X1 + X1 H = H X0 H."""
    X0 = kron_lyapunov_continuous(H2, S2)
    X1 = kron_lyapunov_continuous(H2, H2 @ X0 @ H2)
    errs = []
    for lr in (1e-2, 1e-3, 1e-4):
        pred = sgd_stationary(H2, S2, lr)
        np.testing.assert_allclose(pred.covariance_small_lr, lr * X0, rtol=1e-10)
        errs.append(np.max(np.abs((pred.covariance - pred.covariance_small_lr) / lr**2 - X1)))
    assert errs[0] < 0.05 * np.max(np.abs(X1))
    assert errs[1] / errs[0] == pytest.approx(0.1, rel=0.1)  # the remainder is O(lr)
    assert errs[2] / errs[1] == pytest.approx(0.1, rel=0.3)


def test_2d_noncommuting_discrete_lyapunov_vs_simulation():
    lr = 0.4  # lr * lambda_max(H) = 0.91: far from the small-lr regime
    sim = simulate_sgd(QuadraticProblem(H2, S2), lr, 20_000, n_chains=200, rng=3)
    z = sim.zscores()
    assert np.all(np.abs(z) < Z_MATRIX), z
    # the small-lr (continuous Lyapunov) covariance is clearly rejected at this lr
    z0 = sim.zscores(sim.prediction.covariance_small_lr)
    assert np.max(np.abs(z0)) > 10


# ---------------------------------------------------------------------------------------------
# temperatures
# ---------------------------------------------------------------------------------------------


def test_temperatures_commuting_case_and_gibbs_condition():
    h = np.array([1.0, 3.0])
    s2 = np.array([4.0, 1.0])
    lr = 0.05
    pred = sgd_stationary(np.diag(h), np.diag(s2), lr)
    assert pred.commuting
    np.testing.assert_allclose(np.sort(pred.temperatures_small_lr), np.sort(lr * s2 / 2), rtol=1e-12)
    np.testing.assert_allclose(np.sort(pred.temperatures), np.sort(lr * s2 / (2 - lr * h)), rtol=1e-12)
    assert not pred.is_gibbs and not pred.is_gibbs_small_lr
    assert math.isnan(pred.temperature)
    # isotropic noise Sigma = s I: one temperature T = lr s / 2 at small lr, for any H
    # (H C + C H = 2 T I for C = T H^-1); the exact law has T_i = lr s / (2 - lr h_i)
    g = sgd_stationary(H2, 3.0 * np.eye(2), 0.01)
    assert g.is_gibbs_small_lr and g.temperature_small_lr == pytest.approx(0.015)
    np.testing.assert_allclose(g.covariance_small_lr, g.temperature_small_lr * np.linalg.inv(H2), rtol=1e-10)
    np.testing.assert_allclose(g.temperatures, 0.03 / (2 - 0.01 * np.linalg.eigvalsh(H2)), rtol=1e-10)
    assert not g.is_gibbs
    # noise proportional to the Hessian (Fisher ~ Hessian): C = (lr c / 2) I, T_i = lr c h_i / 2
    f = sgd_stationary(H2, 3.0 * H2, 0.01)
    assert not f.is_gibbs_small_lr
    np.testing.assert_allclose(f.covariance_small_lr, 0.015 * np.eye(2), atol=1e-15)
    np.testing.assert_allclose(f.temperatures_small_lr, 0.015 * np.linalg.eigvalsh(H2), rtol=1e-10)


def test_gibbs_learning_rates_give_one_temperature_for_any_hessian():
    rates = gibbs_learning_rates([4.0, 1.0], 0.02)
    np.testing.assert_allclose(rates, [0.005, 0.02])
    # diagonal noise, non-diagonal Hessian: still Gibbs at small lr (P = 2 T Sigma^-1)
    pred = sgd_stationary(H2, np.diag([4.0, 1.0]), rates)
    assert pred.is_gibbs_small_lr and pred.temperature_small_lr == pytest.approx(0.01)
    # correlated noise needs the matrix form
    P = gibbs_learning_rates(S2, 0.02)
    np.testing.assert_allclose(P, 0.02 * np.linalg.inv(S2))
    pred = sgd_stationary(H2, S2, P)
    assert pred.is_gibbs_small_lr and pred.temperature_small_lr == pytest.approx(0.01)
    assert not pred.is_gibbs  # the exact law deviates at O(lr) ...
    assert pred.temperatures[-1] / pred.temperatures[0] - 1 < 0.05  # ... and only a little
    # per-parameter rates from the diagonal of correlated noise do not give one temperature
    assert not sgd_stationary(H2, S2, gibbs_learning_rates(np.diag(S2), 0.02)).is_gibbs_small_lr


def test_2d_two_temperatures_vs_rescaled_rates_simulation():
    """Separable loss, sigma_x^2 = 4 sigma_y^2.  T_i = h_i Var(w_i) measured.

    Plain SGD: T_x / T_y = (sigma_x^2 / sigma_y^2) (2 - lr h_y) / (2 - lr h_x) = 3.7, two temperatures.
    Rates eta_i = eta' / sigma_i^2: T_x / T_y = (2 - eta_y h_y) / (2 - eta_x h_x) = 0.972, one
    temperature up to the O(eta') discrete correction.  Tolerance: the measured ratio must
    equal the exact ratio within 3 standard errors (propagated from the two variances), and
    differ from 1 by less than eta' max_i(h_i / sigma_i^2) = 0.06 (the size of the correction).
    """
    h, s2 = np.array([1.0, 3.0]), np.array([4.0, 1.0])
    prob = QuadraticProblem(np.diag(h), np.diag(s2))

    def ratio(sim):
        Tm = h * np.diag(sim.covariance)
        rel = np.diag(sim.covariance_stderr) / np.diag(sim.covariance)
        r = Tm[0] / Tm[1]
        return r, r * math.hypot(*rel)

    lr = 0.05
    sim = simulate_sgd(prob, lr, 10_000, n_chains=200, rng=11)
    r, se = ratio(sim)
    exact = (s2[0] / s2[1]) * (2 - lr * h[1]) / (2 - lr * h[0])
    assert abs(r - exact) < 3 * se
    assert abs(r - 1) > 50 * se  # two temperatures, beyond doubt

    base = 0.02
    rates = gibbs_learning_rates(s2, base)
    sim = simulate_sgd(prob, rates, 20_000, n_chains=200, rng=12)
    r, se = ratio(sim)
    exact = (2 - rates[1] * h[1]) / (2 - rates[0] * h[0])
    assert abs(r - exact) < 3 * se
    assert abs(r - 1) < base * np.max(h / s2) + 3 * se
    T = h * np.diag(sim.covariance)
    assert pytest.approx([base / 2, base / 2], rel=0.05) == T  # the Gibbs temperature eta'/2


# ---------------------------------------------------------------------------------------------
# Hessian-normalised coordinates: the factor in exp(-sum_i c Phi_i^2 / (eta sigma_i^2))
# ---------------------------------------------------------------------------------------------


def test_hessian_normalised_factor_sympy():
    """Symbolic: diagonal Hessian diag(h1, h2), general symmetric noise [[a, b], [b, c]] in w.

    In Phi = H^(1/2) w the Hessian is I and the noise is Sigma_Phi = H^(-1/2) Sigma H^(-1/2).
    SGD in Phi: continuous Lyapunov C + C = eta Sigma_Phi; discrete C = (1 - eta)^2 C + eta^2 Sigma_Phi.
    The density exp(-Phi^T C^-1 Phi / 2) equals exp(-sum_i c (v_i.Phi)^2 / (eta sigma_i^2)), with
    (v_i, sigma_i^2) the eigenpairs of Sigma_Phi, iff C^-1 / 2 = (c / eta) Sigma_Phi^-1, i.e.
    c I = (eta / 2) C^-1 Sigma_Phi.
    """
    eta, h1, h2, a, c = sp.symbols("eta h1 h2 a c", positive=True)
    b = sp.Symbol("b", real=True)
    Sigma = sp.Matrix([[a, b], [b, c]])
    Hm = sp.diag(1 / sp.sqrt(h1), 1 / sp.sqrt(h2))
    S_phi = Hm * Sigma * Hm
    c11, c12, c22 = sp.symbols("c11 c12 c22")
    C = sp.Matrix([[c11, c12], [c12, c22]])

    def solve_sym(residual):
        e = list(residual)
        sol = sp.solve([e[0], e[1], e[3]], [c11, c12, c22], dict=True)[0]
        return C.subs(sol)

    C0 = solve_sym(C * sp.eye(2) + sp.eye(2) * C - eta * S_phi)
    factor_small = sp.simplify(eta / 2 * C0.inv() * S_phi)
    assert sp.simplify(factor_small - sp.eye(2)) == sp.zeros(2, 2)  # c = 1
    Ce = solve_sym((1 - eta) ** 2 * C + eta**2 * S_phi - C)
    factor_exact = sp.simplify(eta / 2 * Ce.inv() * S_phi)
    assert sp.simplify(factor_exact - (1 - eta / 2) * sp.eye(2)) == sp.zeros(2, 2)  # c = 1 - eta/2

    # explicit density for diagonal noise (b = 0): sigma_i^2 = s_i / h_i
    p1, p2 = sp.symbols("Phi1 Phi2", real=True)
    phi = sp.Matrix([p1, p2])
    expo = sp.simplify((-(phi.T * C0.inv() * phi)[0] / 2).subs(b, 0))
    sig1, sig2 = a / h1, c / h2
    assert sp.simplify(expo - (-(p1**2) / (eta * sig1) - p2**2 / (eta * sig2))) == 0
    seed = -SEED_FACTOR * (p1**2 / (eta * sig1) + p2**2 / (eta * sig2))
    assert sp.simplify(expo - seed) != 0  # the printed factor 2 is not the stationary law

    # and the 1-D rule p ~ exp(-2 L / (eta sigma^2)) with L = Phi^2 / 2 gives c = 1 directly
    P, s = sp.symbols("Phi sigma2", positive=True)
    assert sp.simplify(-2 * (P**2 / 2) / (eta * s) - (-(P**2) / (eta * s))) == 0


def test_hessian_normalised_factor_simulation():
    """SGD in Phi coordinates (Hessian I, correlated noise Sigma_Phi): along the noise
    eigenvectors v_i, the measured c_i = eta sigma_i^2 / (2 Var(v_i.Phi)) is 1 - eta/2 (exact),
    i.e. about 1 at small eta, and not 2."""
    H = H2
    Sigma = S2
    eta = 0.05
    hn = hessian_normalised(H, Sigma, eta)
    assert hn.factor == 1.0 and hn.seed_factor == 2.0 and hn.factor_exact == pytest.approx(1 - eta / 2)
    # Sigma_Phi is H^-1/2 Sigma H^-1/2 (a similarity of Sigma H^-1)
    np.testing.assert_allclose(np.sort(hn.noise_variances), np.sort(np.linalg.eigvals(Sigma @ np.linalg.inv(H)).real))
    # the same law from the general solver on the quadratic with Hessian I
    np.testing.assert_allclose(hn.covariance, sgd_stationary(np.eye(2), hn.noise_cov_phi, eta).covariance, rtol=1e-10)

    sim = simulate_sgd(QuadraticProblem(np.eye(2), hn.noise_cov_phi), eta, 20_000, n_chains=200, rng=5)
    V = hn.noise_directions
    var = np.einsum("ij,jk,ki->i", V.T, sim.covariance, V)
    # standard error of v^T C v: AR(1) with a = 1 - eta on each uncorrelated projection
    a = 1 - eta
    se = var * math.sqrt(2 * (1 + a * a) / ((1 - a * a) * sim.steps * sim.n_chains))
    c_meas = eta * hn.noise_variances / (2 * var)
    c_se = c_meas * se / var
    assert np.all(np.abs(c_meas - hn.factor_exact) < 3 * c_se), (c_meas, c_se)
    assert np.all(np.abs(c_meas - 1.0) < 0.05)
    assert np.all(np.abs(c_meas - SEED_FACTOR) > 0.9)
    # log_density is the Gaussian exponent of the measured law
    x = sim.samples[:, -1]
    lp = hn.log_density(x)
    ref = -0.5 * np.einsum("ni,ij,nj->n", x, np.linalg.inv(hn.covariance), x)
    np.testing.assert_allclose(lp, ref, rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# real minibatch SGD on linear regression
# ---------------------------------------------------------------------------------------------


def test_linear_regression_noise_at_minimum_is_gradient_covariance():
    prob = LinearRegression.random(n=300, d=3, noise=0.5, rng=0)
    G = prob.X * (prob.X @ prob.minimum - prob.y)[:, None]  # per-sample gradients at w*
    np.testing.assert_allclose(G.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(prob.noise_at_minimum(4), np.cov(G.T, bias=True) / 4, rtol=1e-10)
    np.testing.assert_allclose(prob.hessian, prob.X.T @ prob.X / 300)


def test_minibatch_sgd_vs_exact_multiplicative_noise_equation():
    """Simulated covariance vs the exact closed equation (noise covariance averaged over the
    stationary law), at a lr where the noise-at-the-minimum prediction is 10 % off."""
    prob = LinearRegression.random(n=200, d=3, noise=0.5, rng=0)
    sim = simulate_sgd(prob, 0.1, 20_000, batch_size=2, n_chains=100, rng=2)
    assert np.all(np.abs(sim.zscores(sim.covariance_exact)) < Z_MATRIX)
    assert np.max(np.abs(sim.zscores())) > 10
    # per-parameter learning rates
    sim = simulate_sgd(prob, np.array([0.05, 0.1, 0.15]), 10_000, batch_size=2, n_chains=100, rng=4)
    assert np.all(np.abs(sim.zscores(sim.covariance_exact)) < Z_MATRIX)


def first_order_correction(prob, C, lr, B):
    """C1 = O(lr) correction to the noise-at-the-minimum covariance C: the extra noise
    M(C) = (1/n) sum_j (x_j^T C x_j) x_j x_j^T - H C H propagated by the discrete Lyapunov equation
    (written here from the per-sample gradients x_j x_j^T delta, independently of the module)."""
    X, H = prob.X, prob.hessian
    M = np.einsum("j,ja,jb->ab", np.einsum("ja,ab,jb->j", X, C, X), X, X) / X.shape[0] - H @ C @ H
    return kron_lyapunov_discrete(np.eye(H.shape[0]) - lr * H, lr * lr * M / B)


def test_minibatch_sgd_vs_lyapunov_prediction_small_lr():
    """Noise at the minimum: exact up to O(lr).

    The stationary noise covariance is Sigma* + M(C) with M(C) = O(C) = O(lr), so the prediction
    C_pred = sgd_stationary(H, Sigma*/B, lr) misses a relative eps = |C1| / |C_pred| (C1 from
    ``first_order_correction``; for x ~ N(0, I), M(C) ~ (d + 1) c I and eps ~ lr (d + 1) / (2B)).
    At lr = 0.01, B = 4 (eps ~ 0.005): every entry within 3.5 se + 2 eps max|C_pred|.  At
    lr = 0.05, B = 1 (eps ~ 0.1) the deviation is visible and equals eps to second order:
    |measured - eps| < 2 eps^2 + 3 se on the trace.
    """
    prob = LinearRegression.random(n=200, d=3, noise=0.5, rng=0)
    lr, B = 0.01, 4
    sim = simulate_sgd(prob, lr, 20_000, batch_size=B, n_chains=100, rng=6)
    C = sim.prediction.covariance
    eps = np.trace(first_order_correction(prob, C, lr, B)) / np.trace(C)
    assert 0.003 < eps < 0.008
    tol = 3.5 * sim.covariance_stderr + 2 * eps * np.max(np.abs(np.diag(C)))
    assert np.all(np.abs(sim.covariance - C) < tol)

    lr, B = 0.05, 1
    sim = simulate_sgd(prob, lr, 20_000, batch_size=B, n_chains=100, rng=8)
    C = sim.prediction.covariance
    eps = np.trace(first_order_correction(prob, C, lr, B)) / np.trace(C)
    rel = np.trace(sim.covariance) / np.trace(C) - 1
    se = np.sqrt(np.sum(np.diag(sim.covariance_stderr) ** 2)) / np.trace(C)
    assert rel > 10 * se  # the noise-at-the-minimum prediction is off ...
    assert abs(rel - eps) < 2 * eps**2 + 3 * se  # ... by its first-order correction


# ---------------------------------------------------------------------------------------------
# Langevin
# ---------------------------------------------------------------------------------------------

A2 = np.array([[2.0, 0.8], [0.8, 1.0]])


def test_mala_samples_gaussian():
    model = GaussianEnergy(A2, [1.0, -1.0])
    T = 0.5
    run = langevin(model, T, 4000, rng=21, n_chains=200, burn_in=1000)
    assert 0.45 < run.acceptance_rate < 0.7  # adapted towards 0.574
    assert np.all(np.abs((run.covariance - model.covariance(T)) / run.covariance_stderr) < Z_MATRIX)
    assert np.all(np.abs((run.mean - model.mean) / run.mean_stderr) < Z_MATRIX)
    # a fixed large step: more rejections, still exact
    run = langevin(model, T, 3000, rng=22, step=1.0, n_chains=200, burn_in=300)  # h lambda_max = 2.4
    assert run.acceptance_rate < 0.5 and run.step == 1.0
    assert np.all(np.abs((run.covariance - model.covariance(T)) / run.covariance_stderr) < Z_MATRIX)


def test_ula_bias_is_order_step():
    """ULA on E = w^T A w / 2: C = (I - hA) C (I - hA) + 2 h T I, whose solution (A and C commute)
    is T A^-1 (I - h A / 2)^-1: exact for the simulation, biased by O(h) w.r.t. T A^-1."""
    model = GaussianEnergy(A2)
    T = 0.5
    target = model.covariance(T)
    for h, biased_visible in ((0.01, False), (0.5 / model.curvature, True)):
        run = langevin(model, T, 4000, rng=23, method="ula", step=h, n_chains=200, burn_in=2000)
        assert run.acceptance_rate == 1.0
        C_ula = target @ np.linalg.inv(np.eye(2) - h * A2 / 2)
        np.testing.assert_allclose(C_ula, kron_lyapunov_discrete(np.eye(2) - h * A2, 2 * h * T * np.eye(2)), rtol=1e-10)
        assert np.all(np.abs((run.covariance - C_ula) / run.covariance_stderr) < Z_MATRIX)
        z_target = np.abs((run.covariance - target) / run.covariance_stderr)
        assert (np.max(z_target) > 5) == biased_visible


def _exact_square_loss_posterior(inst, T):
    """exp(-E/T), E = |y - Xw/sqrt N|^2 / 2 + l2 |w|^2 / 2: Gaussian with precision A / T."""
    N = inst.dim
    A = inst.X.T @ inst.X / N + inst.l2 * np.eye(N)
    mu = np.linalg.solve(A, inst.X.T @ inst.y / math.sqrt(N))
    return mu, T * np.linalg.inv(A)


def _teacher_student_run(N, n_inst, T, loss, rng, n_steps=1000, **kw):
    rows = []
    for _ in range(n_inst):
        inst = TeacherStudentEnergy.random(N, 2.0, channel="sign", loss=loss, rng=rng, **kw)
        run = langevin(inst, T, n_steps, rng=rng, n_chains=16, burn_in=300, thin=10)
        S = run.samples.reshape(-1, N)
        o = inst.overlaps(S)
        m_chain = o["m"].reshape(16, -1).mean(axis=1)
        rows.append(
            dict(
                inst=inst,
                run=run,
                m=o["m"].mean(),
                Q=o["Q"].mean(),
                m_se=m_chain.std(ddof=1) / 4,
                eps=inst.generalization_error(S).mean(),
            )
        )
    return rows


def _check_against_replica(rows, curve, N):
    """Instance averages of m, Q and eps_g of Gibbs samples vs the replica values.

    Tolerance t * se + 0.2 / N: se the standard error over the instances, t the Student quantile
    (n_inst - 1 degrees of freedom) of a two-sided 0.27 % test (the analogue of 3 se with an
    estimated se), and 0.2 / N a bound on the finite-size bias, measured on the exact Gaussian
    posterior of the square loss over 400 instances at N = 25, 50, 100, 200 (|bias| N <= 0.18
    for m, Q and eps_g).
    """
    eps_rep = math.acos(curve.m / math.sqrt(curve.Q)) / math.pi  # rho = 1 for the Gaussian teacher
    t = stats.t.ppf(1 - 0.00135, len(rows) - 1)
    for key, ref in (("m", curve.m), ("Q", curve.Q), ("eps", eps_rep)):
        vals = np.array([r[key] for r in rows])
        se = vals.std(ddof=1) / math.sqrt(len(vals))
        assert abs(vals.mean() - ref) < t * se + 0.2 / N, (key, vals.mean(), ref, se)


def test_teacher_student_gibbs_square_loss_vs_exact_and_replica():
    """Square loss at T = 0.5, l2 = 1, sign teacher, alpha = 2, N = 40, 10 instances.

    (i) MALA thermal averages of m per instance equal the exact Gaussian posterior ones within
    4 thermal standard errors (spread of 16 chain means).
    (ii) Averaged over instances, m, Q and eps_g of a Gibbs sample equal the replica values
    (``replica_model``: Gaussian prior of variance T / l2, Gaussian channel of variance T;
    Q = q + V), see ``_check_against_replica``.
    """
    T, N = 0.5, 40
    rows = _teacher_student_run(N, 10, T, "square", np.random.default_rng(31))
    for r in rows:
        mu, _ = _exact_square_loss_posterior(r["inst"], T)
        assert abs(r["m"] - mu @ r["inst"].teacher / N) < 4 * r["m_se"]
        assert 0.4 < r["run"].acceptance_rate < 0.75
    _check_against_replica(rows, solve(rows[0]["inst"].replica_model(T), 2.0), N)


@pytest.mark.slow
def test_teacher_student_gibbs_replica_large_n():
    """As above at N = 200 with 12 instances (finite-size allowance 0.2 / N = 0.001)."""
    T, N = 0.5, 200
    rows = _teacher_student_run(N, 12, T, "square", np.random.default_rng(32), n_steps=2000)
    _check_against_replica(rows, solve(rows[0]["inst"].replica_model(T), 2.0), N)


@pytest.mark.slow
def test_teacher_student_probit_gibbs_vs_replica():
    """Probit loss (a smooth error-counting surrogate, Delta = 0.5) at T = 1: a non-Gaussian
    posterior, the Bayesian student with the probit channel in the replica engine.
    N = 100, 10 instances; same tolerance as the square loss (the 0.2 / N bias bound was measured
    for the square loss only; the probit posterior is also log-concave and smooth)."""
    T, N = 1.0, 100
    rows = _teacher_student_run(N, 10, T, "probit", np.random.default_rng(33), n_steps=2000, probit_variance=0.5)
    _check_against_replica(rows, solve(rows[0]["inst"].replica_model(T), 2.0), N)


def test_teacher_student_energy_gradient_and_replica_model():
    rng = np.random.default_rng(40)
    for loss in ("square", "probit"):
        inst = TeacherStudentEnergy.random(12, 1.5, loss=loss, l2=0.7, probit_variance=0.3, rng=rng)
        W = rng.standard_normal((3, 12))
        g = inst.gradient(W)
        eps = 1e-6
        num = np.stack([(inst.energy(W + eps * e) - inst.energy(W - eps * e)) / (2 * eps) for e in np.eye(12)], -1)
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-7)
        E2, g2 = inst.energy_and_gradient(W)
        np.testing.assert_allclose(E2, inst.energy(W))
        np.testing.assert_allclose(g2, g)
    # exp(-E/T) = prior N(0, T/l2) x Gaussian channel of variance T (square loss)
    inst = TeacherStudentEnergy.random(8, 2.0, loss="square", l2=0.7, rng=rng)
    model = inst.replica_model(0.3)
    assert model.student_prior.variance_ == pytest.approx(0.3 / 0.7)
    assert model.student_channel.variance == pytest.approx(0.3)
    with pytest.raises(ValueError, match="temperature"):
        TeacherStudentEnergy.random(8, 2.0, loss="probit", rng=rng).replica_model(0.5)


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------


def test_bad_inputs_raise_value_error_naming_parameter():
    with pytest.raises(ValueError, match=r"lr must satisfy 0 < lr < 2/lambda_max\(hessian\) = 0.876799 .*got 0.9"):
        sgd_stationary(H2, S2, 0.9)
    with pytest.raises(ValueError, match="lr must be > 0"):
        sgd_stationary(H2, S2, -0.1)
    with pytest.raises(ValueError, match="lr must satisfy lambda_max"):
        sgd_stationary(H2, S2, [0.1, 2.5])
    with pytest.raises(ValueError, match="hessian must be positive definite, got smallest eigenvalue -1"):
        sgd_stationary(np.diag([1.0, -1.0]), S2, 0.1)
    with pytest.raises(ValueError, match="noise_cov must be positive definite, got smallest eigenvalue 0"):
        sgd_stationary(H2, np.zeros((2, 2)), 0.1)
    with pytest.raises(ValueError, match="hessian must be symmetric"):
        sgd_stationary(np.array([[1.0, 0.5], [0.0, 1.0]]), S2, 0.1)
    with pytest.raises(ValueError, match="hessian must be finite"):
        sgd_stationary(np.array([[np.nan, 0.0], [0.0, 1.0]]), S2, 0.1)
    with pytest.raises(ValueError, match="lr must be finite"):
        sgd_stationary(H2, S2, float("nan"))
    with pytest.raises(ValueError, match=r"noise_cov must have shape \(2, 2\)"):
        sgd_stationary(H2, np.eye(3), 0.1)
    with pytest.raises(ValueError, match="hessian must be a (non-empty )?square matrix"):
        sgd_stationary(np.ones((2, 3)), S2, 0.1)
    with pytest.raises(ValueError, match="lr must be a scalar"):
        sgd_stationary(H2, S2, [0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="lr must satisfy 0 < lr < 2"):
        hessian_normalised(H2, S2, 2.0)
    with pytest.raises(ValueError, match="noise_var must be > 0"):
        gibbs_learning_rates([1.0, 0.0], 0.1)
    with pytest.raises(ValueError, match="base_lr"):
        gibbs_learning_rates([1.0, 0.01], 0.1, hessian=H2)
    prob = LinearRegression.random(n=50, d=2, rng=0)
    with pytest.raises(ValueError, match="lr must satisfy 0 < lr < 2/lambda_max"):
        simulate_sgd(prob, 5.0, 10)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        simulate_sgd(prob, 0.1, 10, batch_size=0)
    with pytest.raises(ValueError, match="problem must be"):
        simulate_sgd("data", 0.1, 10)
    with pytest.raises(ValueError, match=r"y must have shape \(3,\)"):
        LinearRegression(np.ones((3, 2)), np.ones(4))
    with pytest.raises(ValueError, match="X must be finite"):
        LinearRegression(np.array([[1.0, np.nan], [0.0, 1.0]]), np.ones(2))
    with pytest.raises(ValueError, match="temperature must be > 0"):
        langevin(GaussianEnergy(A2), 0.0, 10)
    with pytest.raises(ValueError, match="method must be one of"):
        langevin(GaussianEnergy(A2), 1.0, 10, method="hmc")
    with pytest.raises(ValueError, match="step must be < 2/curvature"):
        langevin(GaussianEnergy(A2), 1.0, 10, method="ula", step=1.0)
    with pytest.raises(ValueError, match="model must expose"):
        langevin(object(), 1.0, 10)
    with pytest.raises(ValueError, match="precision must be positive definite"):
        GaussianEnergy(-np.eye(2))
    with pytest.raises(ValueError, match="loss must be one of"):
        TeacherStudentEnergy.random(5, 1.0, loss="hinge")


def test_results_repr_and_to_dict():
    pred = sgd_stationary(H2, S2, 0.1)
    assert "SGDStationary(" in repr(pred) and pred.to_dict()["is_gibbs"] is False
    hn = hessian_normalised(H2, S2, 0.1)
    assert hn.to_dict()["factor"] == 1.0
    run = langevin(GaussianEnergy(A2), 1.0, 50, rng=0, n_chains=4)
    assert isinstance(run.to_dict()["acceptance_rate"], float)
    sim = simulate_sgd(QuadraticProblem(H2, S2), 0.1, 50, n_chains=4, rng=0)
    assert sim.to_dict()["prediction"]["lr"] == 0.1
