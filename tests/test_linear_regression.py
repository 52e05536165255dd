"""Linear regression as minimisation: normal equations, gradient flow, gradient descent, learning curve.

References and independent checks used here:

- 1-D least squares: the seed, J. Pallister, "Machine Learning for the eager theorist" (December 2023),
  eqs. (14)-(15): beta1 = (<xy> - <x><y>) / (<x^2> - <x>^2), beta0 = <y> - beta1 <x>, written out in
  the test.
- d-dimensional least squares and ridge: numpy's lstsq on [1, X] and a direct solve of the normal
  equations (X_c^T X_c + n l2 I) beta = X_c^T y_c; the minimum-norm solution is np.linalg.pinv.
- Gradient flow: scipy.linalg.expm of the Hessian (w(t) = w* + expm(-tH)(w0 - w*)) and a centred
  finite difference of dw/dt = -grad S.
- Gradient descent: the closed form (I - lr H)^k of the error recursion, whose components along the
  eigenvectors are (1 - lr h_i)^k; its O(lr) distance to the flow follows from
  (1 - lr h)^(t/lr) = exp(-h t) (1 - h^2 t lr / 2 + O(lr^2)).
- Proportional-limit learning curve of gradient flow: Marchenko & Pastur 1967 (Math. USSR Sb. 1, 457)
  for the spectrum; Hastie, Montanari, Rosset & Tibshirani 2022 (Ann. Stat. 50, 949) for the
  asymptotic risk of least squares / min-norm interpolation; the t -> infinity limit is compared with
  the library's replica engine (square-loss ERM at l2 = 0); the integrals are re-done with
  scipy.integrate.quad on the MP density; and a finite-size simulation (d = 400) is compared with
  the formula within 3 standard errors.
"""

import numpy as np
import pytest
from scipy import integrate, linalg

import statmech_learn as sml
from statmech_learn.dynamics import (
    GradientDescentRun,
    GradientFlow,
    LeastSquaresFit,
    gradient_descent,
    gradient_flow,
    gradient_flow_test_error,
    least_squares,
    stability_bound,
)


def make_data(n=40, d=4, noise=0.5, offset=1.5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) + rng.standard_normal(d)  # non-centred inputs
    y = offset + X @ rng.standard_normal(d) + noise * rng.standard_normal(n)
    return X, y


def hessian(X, l2=0.0, intercept=False):
    """H = (2/n) Z^T Z + 2 l2 P written out independently of the module."""
    n = X.shape[0]
    Z = np.hstack([np.ones((n, 1)), X]) if intercept else X
    P = np.eye(Z.shape[1])
    if intercept:
        P[0, 0] = 0.0
    return 2.0 * Z.T @ Z / n + 2.0 * l2 * P, Z


# ------------------------------------------------------------------------------------- least squares


def test_one_dimensional_fit_is_the_seed_formula():
    # seed, eqs. (14)-(15)
    rng = np.random.default_rng(1)
    x = 3.0 + 2.0 * rng.standard_normal(30)
    y = -1.0 + 0.7 * x + 0.3 * rng.standard_normal(30)
    beta1 = (np.mean(x * y) - np.mean(x) * np.mean(y)) / (np.mean(x * x) - np.mean(x) ** 2)
    beta0 = np.mean(y) - beta1 * np.mean(x)
    fit = least_squares(x[:, None], y)
    assert isinstance(fit, LeastSquaresFit)
    np.testing.assert_allclose(fit.coef, [beta1], rtol=1e-12)
    np.testing.assert_allclose(fit.intercept, beta0, rtol=1e-12)
    r = y - beta0 - beta1 * x
    np.testing.assert_allclose(fit.cost, np.mean(r * r), rtol=1e-12)  # seed eq. (6)
    np.testing.assert_allclose(fit.residual_variance, np.var(r), rtol=1e-12)
    assert fit.rank == 1 and fit.condition_number == 1.0
    assert set(fit.to_dict()) >= {"coef", "intercept", "cost", "residual_variance", "rank", "condition_number"}
    assert "LeastSquaresFit(" in repr(fit)


def test_least_squares_matches_lstsq_and_ridge_normal_equations():
    X, y = make_data()
    n, d = X.shape
    Z = np.hstack([np.ones((n, 1)), X])
    sol = np.linalg.lstsq(Z, y, rcond=None)[0]
    fit = least_squares(X, y)
    np.testing.assert_allclose(fit.coef, sol[1:], rtol=1e-11)
    np.testing.assert_allclose(fit.intercept, sol[0], rtol=1e-11)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    np.testing.assert_allclose(fit.condition_number, np.linalg.cond(Xc.T @ Xc), rtol=1e-8)
    assert fit.rank == d
    # ridge: (X_c^T X_c + n l2 I) beta = X_c^T y_c, intercept unpenalised
    l2 = 0.3
    beta = np.linalg.solve(Xc.T @ Xc + n * l2 * np.eye(d), Xc.T @ yc)
    ridge = least_squares(X, y, l2=l2)
    np.testing.assert_allclose(ridge.coef, beta, rtol=1e-11)
    np.testing.assert_allclose(ridge.intercept, y.mean() - X.mean(axis=0) @ beta, rtol=1e-11)
    r = y - ridge.intercept - X @ beta
    np.testing.assert_allclose(ridge.cost, np.mean(r * r) + l2 * beta @ beta, rtol=1e-12)
    np.testing.assert_allclose(ridge.condition_number, np.linalg.cond(Xc.T @ Xc + n * l2 * np.eye(d)), rtol=1e-8)
    # no intercept: plain normal equations X^T X beta = X^T y
    plain = least_squares(X, y, intercept=False)
    np.testing.assert_allclose(plain.coef, np.linalg.solve(X.T @ X, X.T @ y), rtol=1e-10)
    assert plain.intercept == 0.0


def test_least_squares_singular_gives_min_norm():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((6, 10))  # d > n: X^T X singular
    y = rng.standard_normal(6)
    fit = least_squares(X, y, intercept=False)
    np.testing.assert_allclose(fit.coef, np.linalg.pinv(X) @ y, rtol=1e-10, atol=1e-12)
    assert fit.rank == 6 and fit.condition_number == np.inf
    assert fit.cost < 1e-25  # interpolates
    # a duplicated column (rank-deficient, n > d)
    X2 = rng.standard_normal((20, 3))
    X2 = np.hstack([X2, X2[:, :1]])
    y2 = rng.standard_normal(20)
    fit2 = least_squares(X2, y2)
    Xc = X2 - X2.mean(axis=0)
    np.testing.assert_allclose(fit2.coef, np.linalg.pinv(Xc) @ (y2 - y2.mean()), rtol=1e-10)
    assert fit2.rank == 3 and fit2.condition_number == np.inf


# ------------------------------------------------------------------------------------- gradient flow


@pytest.mark.parametrize("intercept", [False, True])
def test_gradient_flow_against_expm_and_ode(intercept):
    X, y = make_data()
    l2 = 0.05
    H, Z = hessian(X, l2, intercept)
    g = 2.0 * Z.T @ y / X.shape[0]
    w_star = np.linalg.solve(H, g)
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal(X.shape[1])
    start = np.concatenate([[0.7], w0]) if intercept else w0
    times = np.array([0.0, 0.1, 0.5, 2.0])
    flow = gradient_flow(X, y, times, w0=w0, l2=l2, intercept=intercept, intercept0=0.7)
    assert isinstance(flow, GradientFlow) and flow.coef.shape == (4, X.shape[1])
    for k, t in enumerate(times):
        w_t = w_star + linalg.expm(-t * H) @ (start - w_star)
        got = np.concatenate([[flow.intercept[k]], flow.coef[k]]) if intercept else flow.coef[k]
        np.testing.assert_allclose(got, w_t, rtol=1e-10, atol=1e-12)
    # dw/dt = -grad S (descent, not the seed's eq. (8) sign): centred finite difference at t = 0.5
    h = 1e-5
    f = gradient_flow(X, y, [0.5 - h, 0.5, 0.5 + h], w0=w0, l2=l2, intercept=intercept, intercept0=0.7)
    W = np.hstack([f.intercept[:, None], f.coef]) if intercept else f.coef
    np.testing.assert_allclose((W[2] - W[0]) / (2 * h), -(H @ W[1] - g), rtol=1e-7, atol=1e-8)
    assert np.all(np.diff(flow.cost) < 0)  # the cost decreases along the flow
    # t -> infinity: the least-squares solution
    ls = least_squares(X, y, l2=l2, intercept=intercept)
    np.testing.assert_allclose(flow.coef_limit, ls.coef, rtol=1e-10)
    np.testing.assert_allclose(gradient_flow(X, y, 1e6, l2=l2, intercept=intercept).coef[0], ls.coef, rtol=1e-10)
    if intercept:
        np.testing.assert_allclose(flow.intercept_limit, ls.intercept, rtol=1e-10)


def test_gradient_flow_null_space_keeps_initial_component():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((5, 12))
    y = rng.standard_normal(5)
    w0 = rng.standard_normal(12)
    P_null = np.eye(12) - np.linalg.pinv(X) @ X
    flow = gradient_flow(X, y, [0.0, 0.3, 1e8], w0=w0)
    np.testing.assert_allclose(flow.coef[0], w0, rtol=1e-12, atol=1e-13)
    for row in flow.coef:  # the null-space component never moves
        np.testing.assert_allclose(P_null @ row, P_null @ w0, atol=1e-11)
    np.testing.assert_allclose(flow.coef[-1], np.linalg.pinv(X) @ y + P_null @ w0, atol=1e-10)
    # from w0 = 0: the min-norm least-squares solution
    np.testing.assert_allclose(gradient_flow(X, y, 1e8).coef[0], least_squares(X, y, intercept=False).coef, atol=1e-10)


# ------------------------------------------------------------------------------------ gradient descent


def test_stability_bound():
    X, _ = make_data()
    for l2, icpt in ((0.0, False), (0.2, False), (0.1, True)):
        H, _ = hessian(X, l2, icpt)
        np.testing.assert_allclose(stability_bound(X, l2, intercept=icpt), 2.0 / np.linalg.eigvalsh(H)[-1], rtol=1e-12)
    assert stability_bound(np.zeros((3, 2))) == np.inf


def test_gradient_descent_converges_below_the_bound_and_diverges_above():
    X, y = make_data()
    lr_max = stability_bound(X)
    run = gradient_descent(X, y, 0.9 * lr_max, 3000, record_every=100)
    assert isinstance(run, GradientDescentRun)
    assert run.converged and not run.diverged and run.n_steps == 3000
    np.testing.assert_allclose(run.lr_max, lr_max, rtol=1e-14)
    np.testing.assert_allclose(run.coef[-1], least_squares(X, y, intercept=False).coef, rtol=1e-9)
    np.testing.assert_array_equal(run.steps, np.arange(0, 3001, 100))
    assert np.all(np.diff(run.cost) <= 1e-15)
    # with the intercept (the seed's theta = (beta0, beta1) of eq. (16)) and a ridge term
    run = gradient_descent(X, y, 0.5 * stability_bound(X, 0.1, intercept=True), 5000, l2=0.1, intercept=True)
    ls = least_squares(X, y, l2=0.1)
    assert run.converged
    np.testing.assert_allclose(run.coef[-1], ls.coef, rtol=1e-9)
    np.testing.assert_allclose(run.intercept[-1], ls.intercept, rtol=1e-9)
    # 5 % above the bound: diverges, stops early, reports it, returns no NaN
    bad = gradient_descent(X, y, 1.05 * lr_max, 100_000)
    assert bad.diverged and not bad.converged and bad.n_steps < 100_000
    assert np.all(np.isfinite(bad.coef)) and np.all(np.isfinite(bad.cost))
    assert bad.cost[-1] > 1e6 * bad.cost[0]
    # absurd rate: overflow handled without RuntimeWarning (warnings are errors here)
    huge = gradient_descent(X, y, 1e200, 10)
    assert huge.diverged and huge.n_steps == 1 and np.all(np.isfinite(huge.coef))


def test_gradient_descent_eigenvector_closed_form():
    X, y = make_data(n=30, d=5, seed=5)
    l2 = 0.02
    H, Z = hessian(X, l2)
    w_star = np.linalg.solve(H, 2.0 * Z.T @ y / X.shape[0])
    h, U = np.linalg.eigh(H)
    lr = 0.7 * 2.0 / h[-1]
    w0 = np.random.default_rng(6).standard_normal(5)
    run = gradient_descent(X, y, lr, 60, w0=w0, l2=l2)
    e0 = U.T @ (w0 - w_star)
    for k, w in zip(run.steps, run.coef):
        np.testing.assert_allclose(U.T @ (w - w_star), (1.0 - lr * h) ** k * e0, rtol=0, atol=1e-10)


def test_gradient_descent_approaches_the_flow_at_order_lr():
    X, y = make_data(seed=7)
    t = 1.0
    flow = gradient_flow(X, y, t).coef[0]
    diffs = []
    for lr in (0.02, 0.01, 0.005):
        k = int(round(t / lr))
        run = gradient_descent(X, y, lr, k, record_every=k)
        assert run.steps[-1] == k
        diffs.append(np.linalg.norm(run.coef[-1] - flow))
    ratios = np.array(diffs[1:]) / np.array(diffs[:-1])
    assert diffs[0] < 0.05 * np.linalg.norm(flow)
    np.testing.assert_allclose(ratios, 0.5, atol=0.05)  # halving lr halves the difference: O(lr)


# --------------------------------------------------------------- proportional-limit learning curve


def replica_error(alpha, delta, prior="gaussian"):
    # replica engine: square-loss ERM at l2 = 0 (least squares for alpha > 1, min-norm for alpha < 1)
    m = sml.TeacherStudent(prior, sml.channels.GaussianNoise(delta), sml.ERM("square", 0.0))
    return sml.replica.solve(m, alpha).generalization_error


@pytest.mark.parametrize("alpha", [0.5, 2.0, 4.0])
def test_learning_curve_long_time_limit_is_the_replica_erm(alpha):
    delta = 0.3
    got = float(gradient_flow_test_error(alpha, 1e8, noise_variance=delta))
    np.testing.assert_allclose(got, replica_error(alpha, delta), rtol=1e-8)
    got2 = float(gradient_flow_test_error(alpha, 1e8, noise_variance=delta, rho=2.0))
    np.testing.assert_allclose(got2, replica_error(alpha, delta, sml.priors.GaussianPrior(2.0)), rtol=1e-8)
    # t = 0: nothing learned, Delta + rho
    np.testing.assert_allclose(gradient_flow_test_error(alpha, 0.0, delta, rho=2.0), delta + 2.0, rtol=1e-13)


def test_learning_curve_against_direct_quadrature_and_broadcast():
    # MP density sqrt((b-s)(s-a)) / (2 pi c s), c = 1/alpha, atom 1 - alpha at 0 (Marchenko & Pastur 1967)
    delta, rho = 0.2, 1.3
    for alpha in (0.5, 3.0):
        c = 1.0 / alpha
        a, b = (1 - np.sqrt(c)) ** 2, (1 + np.sqrt(c)) ** 2
        dens = lambda s: np.sqrt((b - s) * (s - a)) / (2 * np.pi * c * s)  # noqa: E731
        for t in (0.3, 4.0):
            bias = integrate.quad(lambda s: np.exp(-2 * t * s) * dens(s), a, b, epsabs=1e-14, epsrel=1e-13)[0]
            var = integrate.quad(lambda s: (1 - np.exp(-t * s)) ** 2 / s * dens(s), a, b, epsabs=1e-14, epsrel=1e-13)[0]
            expected = delta + rho * (bias + max(0.0, 1 - alpha)) + delta / alpha * var
            np.testing.assert_allclose(gradient_flow_test_error(alpha, t, delta, rho), expected, rtol=1e-10)
    alphas, times = np.array([0.5, 2.0]), np.array([0.0, 1.0, 10.0])
    grid = gradient_flow_test_error(alphas[:, None], times[None, :], delta, rho)
    assert grid.shape == (2, 3)
    for i, al in enumerate(alphas):
        for j, tt in enumerate(times):
            np.testing.assert_allclose(grid[i, j], gradient_flow_test_error(al, tt, delta, rho), rtol=1e-14)
    assert np.all(np.diff(grid[1]) < 0)  # alpha = 2: the error decreases with t here


def test_learning_curve_against_finite_size_simulation():
    # finite instances, d = 400: eps = Delta + |theta(t) - theta*|^2 computed exactly on each one;
    # gradient_flow descends S = 2 L, so it reaches the L-flow's theta(t) at time t/2
    d, delta, rho, n_inst = 400, 0.3, 1.0, 16
    times = np.array([0.5, 2.0, 10.0])
    rng = np.random.default_rng(2024)
    worst = 0.0
    for alpha in (0.5, 2.0):
        n = int(alpha * d)
        errs = np.empty((n_inst, times.size))
        for k in range(n_inst):
            theta = rng.standard_normal(d) * np.sqrt(rho / d)
            X = rng.standard_normal((n, d))
            y = X @ theta + np.sqrt(delta) * rng.standard_normal(n)
            coef = gradient_flow(X, y, times / 2.0).coef
            errs[k] = delta + np.sum((coef - theta) ** 2, axis=1)
        mean, se = errs.mean(axis=0), errs.std(axis=0, ddof=1) / np.sqrt(n_inst)
        theory = gradient_flow_test_error(alpha, times, delta, rho)
        z = (mean - theory) / se
        worst = max(worst, float(np.max(np.abs(z))))
        assert np.all(np.abs(z) < 3.0), (alpha, mean, theory, z)
    assert worst < 3.0


# --------------------------------------------------------------------------------------- bad input


def test_bad_input_raises_naming_the_parameter():
    X, y = make_data()
    Xnan = X.copy()
    Xnan[2, 1] = np.nan
    with pytest.raises(ValueError, match="X must be finite"):
        least_squares(Xnan, y)
    with pytest.raises(ValueError, match="X must be finite"):
        gradient_descent(Xnan, y, 0.1, 10)
    with pytest.raises(ValueError, match="y must be finite"):
        gradient_flow(X, np.full_like(y, np.inf), 1.0)
    with pytest.raises(ValueError, match=r"X must be a 2-d"):
        least_squares(X[:, 0], y)
    with pytest.raises(ValueError, match=r"y must be a 1-d"):
        least_squares(X, y[:, None])
    with pytest.raises(ValueError, match=r"X and y .*X with 40 rows and y with 39"):
        least_squares(X, y[:-1])
    with pytest.raises(ValueError, match=r"X and y .*rows"):
        gradient_descent(X, y[:-1], 0.1, 10)
    with pytest.raises(ValueError, match="lr must be > 0, got -1"):
        gradient_descent(X, y, -1, 10)
    with pytest.raises(ValueError, match="lr must be > 0, got 0"):
        gradient_descent(X, y, 0.0, 10)
    with pytest.raises(ValueError, match="n_steps must be >= 1, got 0"):
        gradient_descent(X, y, 0.1, 0)
    with pytest.raises(ValueError, match=r"n_steps must be <= 100000000, got 1000000000000"):
        gradient_descent(X, y, 0.1, 1e12)
    with pytest.raises(ValueError, match="n_steps must be an integer"):
        gradient_descent(X, y, 0.1, 2.5)
    with pytest.raises(ValueError, match="record_every must be >= 1"):
        gradient_descent(X, y, 0.1, 10, record_every=0)
    with pytest.raises(ValueError, match="l2 must be >= 0, got -0.1"):
        least_squares(X, y, l2=-0.1)
    with pytest.raises(ValueError, match="l2 must be >= 0"):
        gradient_flow(X, y, 1.0, l2=-1.0)
    with pytest.raises(ValueError, match="l2 must be >= 0"):
        stability_bound(X, l2=-1.0)
    with pytest.raises(ValueError, match="t must be >= 0, got -1"):
        gradient_flow(X, y, [0.0, -1.0])
    with pytest.raises(ValueError, match="t must be >= 0, got -2"):
        gradient_flow_test_error(2.0, -2.0)
    with pytest.raises(ValueError, match="t must be finite"):
        gradient_flow_test_error(2.0, np.inf)
    with pytest.raises(ValueError, match="alpha must be > 0, got 0"):
        gradient_flow_test_error(0.0, 1.0)
    with pytest.raises(ValueError, match="noise_variance must be >= 0"):
        gradient_flow_test_error(2.0, 1.0, noise_variance=-0.1)
    with pytest.raises(ValueError, match="rho must be >= 0"):
        gradient_flow_test_error(2.0, 1.0, rho=-1.0)
    with pytest.raises(ValueError, match=r"w0 must have shape \(4,\)"):
        gradient_flow(X, y, 1.0, w0=np.zeros(3))
    with pytest.raises(ValueError, match="w0 must be finite"):
        gradient_descent(X, y, 0.1, 5, w0=np.array([0, 0, np.nan, 0]))
    with pytest.raises(ValueError, match="intercept must be True or False"):
        least_squares(X, y, intercept="yes")
    with pytest.raises(ValueError, match="tol must be"):
        gradient_descent(X, y, 0.1, 5, tol=0.0)
