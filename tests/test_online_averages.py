"""Gaussian averages of the online (ODE) theory: closed forms, quadrature, sympy, Monte Carlo."""

import numpy as np
import pytest
import sympy as sp
from scipy import special

from statmech_learn.online.averages import Activation, gaussian_expectation, make_activation


def _covs(rng, n, d, vmax=1.5):
    """Random valid covariances: random Gram correlations scaled by variances in (0.05, vmax)."""
    X = rng.normal(size=(n, d, d + 2))
    C = X @ np.swapaxes(X, -1, -2)
    s = np.sqrt(np.diagonal(C, axis1=-2, axis2=-1))
    C = C / s[..., :, None] / s[..., None, :]
    v = np.sqrt(rng.uniform(0.05, vmax, size=(n, d)))
    return C * v[..., :, None] * v[..., None, :]


def _erf(x):
    return special.erf(x / np.sqrt(2.0))


def _derf(x):
    return np.sqrt(2.0 / np.pi) * np.exp(-0.5 * x * x)


def _relu(x):
    return np.maximum(x, 0.0)


def _drelu(x):
    return (x > 0).astype(float)


ERF = Activation("erf")
ERF_QUAD = Activation(_erf, _derf, name="erf_quadrature")


# --- erf closed forms vs quadrature ---------------------------------------------------------------


# measured max errors at variances <= 1.5 (default orders 40/24/16): I2, J2 ~1e-13,
# I3 ~1e-9, I4 ~1e-5; tolerances leave a factor ~10 of margin.
@pytest.mark.parametrize(
    "method, d, n, tol",
    [
        ("I2", 2, 200, 1e-11),
        ("J2", 2, 200, 1e-11),
        ("I3", 3, 60, 1e-8),
        ("I4", 4, 12, 2e-5),
    ],
)
def test_erf_closed_forms_match_quadrature(method, d, n, tol):
    C = _covs(np.random.default_rng(d * 10 + len(method)), n, d)
    exact = getattr(ERF, method)(C)
    quad = getattr(ERF_QUAD, method)(C)
    assert exact.shape == (n,)
    np.testing.assert_allclose(quad, exact, rtol=0, atol=tol)


def test_erf_I4_monte_carlo():
    rng = np.random.default_rng(2024)
    C = _covs(rng, 1, 4, vmax=2.0)[0]
    x = rng.multivariate_normal(np.zeros(4), C, size=1_000_000)
    vals = _derf(x[:, 0]) * _derf(x[:, 1]) * _erf(x[:, 2]) * _erf(x[:, 3])
    se = vals.std() / np.sqrt(vals.size)
    assert abs(vals.mean() - float(ERF.I4(C))) < 4 * se


def test_batch_axes_and_scalars():
    rng = np.random.default_rng(3)
    C = _covs(rng, 6, 4).reshape(2, 3, 4, 4)
    for act in (ERF, Activation("sigmoid"), Activation("relu"), Activation("linear")):
        out = act.I4(C)
        assert out.shape == (2, 3)
        np.testing.assert_allclose(out[1, 2], act.I4(C[1, 2]), rtol=1e-13, atol=1e-15)
        assert np.ndim(act.I2(np.eye(2))) == 0


def test_quadrature_chunking_matches_unchunked(monkeypatch):
    import statmech_learn.online.averages as avg

    C = _covs(np.random.default_rng(4), 7, 4)
    full = ERF_QUAD.I4(C)
    monkeypatch.setattr(avg, "_CHUNK_FLOATS", 1)  # one matrix per chunk
    np.testing.assert_allclose(ERF_QUAD.I4(C), full, rtol=1e-14, atol=1e-16)


def test_quadrature_exact_for_polynomials_and_singular_covariance():
    # E[x1^2 x2 x3] = C11 C23 + 2 C12 C13 (Isserlis) for a rank-1 and a rank-2 covariance
    v = np.array([[1.0, -0.5, 2.0], [0.3, 1.0, 0.0]])
    for C in (np.outer(v[0], v[0]), v.T @ v):
        got = gaussian_expectation((np.square, lambda x: x, lambda x: x), C, 6)
        want = C[0, 0] * C[1, 2] + 2 * C[0, 1] * C[0, 2]
        assert abs(got - want) < 1e-12
    # a student equal to a teacher: I2 of a singular covariance
    C = np.array([[1.0, 1.0], [1.0, 1.0]])
    assert abs(ERF_QUAD.I2(C) - ERF.I2(C)) < 1e-13
    assert abs(ERF.I2(C) - 2 / np.pi * np.arcsin(0.5)) < 1e-15


# --- sympy: the closed forms satisfy Price's theorem, Stein's lemma and the tilting identities ----


def _sym_cov(d):
    c = {}
    for i in range(1, d + 1):
        for j in range(i, d + 1):
            c[i, j] = c[j, i] = sp.Symbol(f"C{i}{j}", real=True)
    return sp.Matrix(d, d, lambda i, j: c[i + 1, j + 1]), c


def _sym_erf_forms():
    M, c = _sym_cov(4)
    a1, a2 = 1 + c[1, 1], 1 + c[2, 2]
    I2 = 2 / sp.pi * sp.asin(c[1, 2] / sp.sqrt((1 + c[1, 1]) * (1 + c[2, 2])))
    J2 = 2 / sp.pi / sp.sqrt((1 + c[1, 1]) * (1 + c[2, 2]) - c[1, 2] ** 2)
    L3 = (1 + c[1, 1]) * (1 + c[3, 3]) - c[1, 3] ** 2
    I3 = 2 / sp.pi * (c[2, 3] * (1 + c[1, 1]) - c[1, 2] * c[1, 3]) / ((1 + c[1, 1]) * sp.sqrt(L3))
    L4 = a1 * a2 - c[1, 2] ** 2
    L0 = (
        L4 * c[3, 4]
        - c[2, 3] * c[2, 4] * a1
        - c[1, 3] * c[1, 4] * a2
        + c[1, 2] * c[1, 3] * c[2, 4]
        + c[1, 2] * c[1, 4] * c[2, 3]
    )
    L1 = L4 * (1 + c[3, 3]) - c[2, 3] ** 2 * a1 - c[1, 3] ** 2 * a2 + 2 * c[1, 2] * c[1, 3] * c[2, 3]
    L2 = L4 * (1 + c[4, 4]) - c[2, 4] ** 2 * a1 - c[1, 4] ** 2 * a2 + 2 * c[1, 2] * c[1, 4] * c[2, 4]
    I4 = 4 / sp.pi**2 / sp.sqrt(L4) * sp.asin(L0 / sp.sqrt(L1 * L2))
    return M, c, dict(I2=I2, J2=J2, I3=I3, I4=I4, L0=L0, L1=L1, L2=L2, L3=L3, L4=L4)


SYM = _sym_erf_forms()


def _numeric_check(expr, c, rng, n=20):
    """Evaluate expr at random valid covariances (a guard on top of the symbolic simplification)."""
    keys = [k for k in sorted(c) if k[0] <= k[1]]
    fn = sp.lambdify([c[k] for k in keys], expr, "numpy")
    C = _covs(rng, n, 4)
    vals = fn(*[C[:, i - 1, j - 1] for (i, j) in keys])
    assert np.max(np.abs(vals)) < 1e-10


def test_sympy_price_theorem_I2_to_J2():
    # Price: dI2/dC12 = E[g'(u) g'(v)] = J2; and I2 = 0 at C12 = 0 (g odd) fixes the constant.
    _, c, f = SYM
    d = sp.diff(f["I2"], c[1, 2])
    a, b = sp.symbols("a b", positive=True)  # a = 1 + C11, b = 1 + C22
    d_ab = d.subs({c[1, 1]: a - 1, c[2, 2]: b - 1})
    J2_ab = f["J2"].subs({c[1, 1]: a - 1, c[2, 2]: b - 1})
    # both sides are positive, so comparing their squares (a rational identity) is a proof
    assert sp.simplify(d_ab**2 - J2_ab**2) == 0
    assert f["I2"].subs(c[1, 2], 0) == 0
    _numeric_check(d - f["J2"], c, np.random.default_rng(10))


def test_sympy_J2_is_the_tilted_gaussian_normalisation():
    # E[g'(u) g'(v)] = (2/pi) E[exp(-(u^2+v^2)/2)] = (2/pi) det(I + C)^(-1/2)
    M, c, f = SYM
    det = (sp.eye(2) + M[:2, :2]).det()
    assert sp.expand(det - ((1 + c[1, 1]) * (1 + c[2, 2]) - c[1, 2] ** 2)) == 0
    assert sp.simplify(f["J2"] - 2 / sp.pi / sp.sqrt(det)) == 0


def test_sympy_stein_lemma_I3_from_I2():
    # Stein: E[g'(u) v g(w)] = C12 E[g''(u) g(w)] + C23 E[g'(u) g'(w)], and by Price
    # E[g''(u) g(w)] = 2 dI2/dC11 and E[g'(u) g'(w)] = dI2/dC12, both for the (u, w) block.
    _, c, f = SYM
    s11, s12, s22 = sp.symbols("s11 s12 s22", real=True)
    I2_uw = f["I2"].subs({c[1, 1]: s11, c[1, 2]: s12, c[2, 2]: s22}, simultaneous=True)
    dgg = (2 * sp.diff(I2_uw, s11)).subs({s11: c[1, 1], s12: c[1, 3], s22: c[3, 3]})
    dgdg = sp.diff(I2_uw, s12).subs({s11: c[1, 1], s12: c[1, 3], s22: c[3, 3]})
    stein = c[1, 2] * dgg + c[2, 3] * dgdg
    # substitute 1 + C11 = a^2 > 0 and Lambda_3 via positive symbols so the radicals simplify
    a, lam = sp.symbols("a lam", positive=True)
    c33 = sp.solve(sp.Eq(f["L3"].subs(c[1, 1], a**2 - 1), lam**2), c[3, 3])[0]
    sub = {c[1, 1]: a**2 - 1, c[3, 3]: c33}
    diff = sp.simplify(sp.radsimp(sp.simplify(stein.subs(sub) - f["I3"].subs(sub))))
    assert diff == 0
    _numeric_check(stein - f["I3"], c, np.random.default_rng(11))


def test_sympy_I4_tilting_and_price():
    # g'(u) g'(v) = (2/pi) exp(-(u^2+v^2)/2) tilts N(0, C) to N(0, C') with
    # C' = C - C[:, :2] (I + C[:2, :2])^-1 C[:2, :], weight det(I + C[:2, :2])^(-1/2) = L4^(-1/2);
    # then I4 = (2/pi) L4^(-1/2) * I2(C'[2:, 2:]).  Check L4 C'34 = L0, L4 (1 + C'33) = L1, ...
    M, c, f = SYM
    B = sp.eye(2) + M[:2, :2]
    Cp = M - M[:, :2] * B.inv() * M[:2, :]
    L4 = f["L4"]
    assert sp.expand(B.det() - L4) == 0
    assert sp.cancel(L4 * Cp[2, 3] - f["L0"]) == 0
    assert sp.cancel(L4 * (1 + Cp[2, 2]) - f["L1"]) == 0
    assert sp.cancel(L4 * (1 + Cp[3, 3]) - f["L2"]) == 0
    # Price in C34: dI4/dC34 = E[g'g'g'g'] = (4/pi^2) det(I + C)^(-1/2)  <=>  L1 L2 - L0^2 = L4 det(I + C)
    det4 = (sp.eye(4) + M).det(method="berkowitz")
    assert sp.expand(f["L1"] * f["L2"] - f["L0"] ** 2 - L4 * det4) == 0
    dI4 = sp.diff(f["I4"], c[3, 4])
    _numeric_check(dI4 - 4 / sp.pi**2 / sp.sqrt(det4), c, np.random.default_rng(12))


# --- linear and relu -------------------------------------------------------------------------------


def test_linear_closed_forms():
    lin = Activation("linear")
    rng = np.random.default_rng(5)
    quad = Activation(lambda x: x, np.ones_like, name="lin_quad", orders={2: 4, 3: 4, 4: 4})
    for d, m, want in [
        (2, "I2", lambda C: C[..., 0, 1]),
        (2, "J2", lambda C: np.ones(C.shape[:-2])),
        (3, "I3", lambda C: C[..., 1, 2]),
        (4, "I4", lambda C: C[..., 2, 3]),
    ]:
        C = _covs(rng, 10, d)
        np.testing.assert_allclose(getattr(lin, m)(C), want(C), rtol=1e-15)
        np.testing.assert_allclose(getattr(quad, m)(C), want(C), rtol=1e-12, atol=1e-14)


def test_relu_arccos_kernel_vs_quadrature():
    relu = Activation("relu")
    quad = Activation(_relu, _drelu, name="relu_quad", orders={2: 200})
    C = _covs(np.random.default_rng(6), 50, 2)
    # kink-limited quadrature, measured max error at 200 points: I2 ~2e-4, J2 ~1e-2
    np.testing.assert_allclose(quad.I2(C), relu.I2(C), atol=1e-3)
    np.testing.assert_allclose(quad.J2(C), relu.J2(C), atol=2e-2)
    # exact special cases: independent -> (E relu)^2 = C11^0.5 C22^0.5 / (2 pi); identical -> C11/2
    assert abs(relu.I2(np.diag([2.0, 3.0])) - np.sqrt(6.0) / (2 * np.pi)) < 1e-15
    assert abs(relu.I2(np.full((2, 2), 2.0)) - 1.0) < 1e-15
    assert abs(relu.J2(np.diag([2.0, 3.0])) - 0.25) < 1e-15
    assert relu.J2(np.diag([0.0, 1.0])) == 0.0 and relu.I2(np.diag([0.0, 1.0])) == 0.0


def test_relu_I3_closed_form_vs_quadrature_and_monte_carlo():
    relu = Activation("relu")
    quad = Activation(_relu, _drelu, name="relu_quad", orders={3: 48})
    C = _covs(np.random.default_rng(7), 20, 3)
    np.testing.assert_allclose(quad.I3(C), relu.I3(C), atol=8e-3)  # measured ~4e-3 (kink)
    rng = np.random.default_rng(8)
    C0 = C[0]
    x = rng.multivariate_normal(np.zeros(3), C0, size=1_000_000)
    vals = _drelu(x[:, 0]) * x[:, 1] * _relu(x[:, 2])
    assert abs(vals.mean() - float(relu.I3(C0))) < 4 * vals.std() / np.sqrt(vals.size)


def test_sigmoid_quadrature_converged():
    sig = Activation("sigmoid")
    fine = Activation(special.expit, lambda x: special.expit(x) * (1 - special.expit(x)), orders={2: 80, 3: 40, 4: 24})
    rng = np.random.default_rng(9)
    for d, m, n, tol in [(2, "I2", 20, 1e-12), (2, "J2", 20, 1e-12), (3, "I3", 10, 1e-9), (4, "I4", 4, 1e-7)]:
        C = _covs(rng, n, d)
        np.testing.assert_allclose(getattr(sig, m)(C), getattr(fine, m)(C), atol=tol)
    assert sig.g(0.0) == 0.5 and sig.dg(0.0) == 0.25
    assert np.all(np.isfinite(sig.g(np.array([-1e4, 1e4]))))


# --- API -------------------------------------------------------------------------------------------


def test_names_repr_eq_and_make_activation():
    for name in ("erf", "linear", "relu", "sigmoid"):
        a = Activation(name)
        assert a.name == name and repr(a) == f"Activation({name!r})"
        assert make_activation(name) == a and make_activation(a) is a
        assert hash(make_activation(name)) == hash(a)
    assert Activation("erf") != Activation("relu")
    assert Activation("erf") != ERF_QUAD and ERF_QUAD.name == "erf_quadrature"
    assert Activation(_erf, _derf) == Activation(_erf, _derf) and Activation(_erf, _derf).name == "_erf"
    assert "erf_quadrature" in repr(ERF_QUAD)
    np.testing.assert_allclose(ERF.g([0.3, -1.0]), ERF_QUAD.g([0.3, -1.0]), rtol=1e-15)


@pytest.mark.parametrize("bad", ["tanh", 3, None, np.tanh])
def test_make_activation_rejects(bad):
    with pytest.raises(
        ValueError,
        match=r"activation must be one of 'erf', 'linear', 'relu', "
        r"'sigmoid' or an Activation, got",
    ):
        make_activation(bad)


def test_activation_constructor_errors():
    with pytest.raises(ValueError, match="activation must be one of"):
        Activation("tanh")
    with pytest.raises(ValueError, match="derivative"):
        Activation(np.tanh)
    with pytest.raises(ValueError, match="derivative"):
        Activation("erf", _derf)
    with pytest.raises(ValueError, match="orders"):
        Activation("relu", orders={5: 10})


@pytest.mark.parametrize(
    "C, match",
    [
        (np.eye(3), r"C must have shape \(\.\.\., 2, 2\)"),
        (np.ones(2), r"C must have shape"),
        (np.array([[1.0, np.nan], [np.nan, 1.0]]), "C must be finite"),
        (np.array([[1.0, 0.5], [0.4, 1.0]]), "C must be symmetric"),
        (np.array([[1.0, 2.0], [2.0, 1.0]]), "C must be positive semi-definite"),
        (np.array([[-1.0, 0.0], [0.0, 1.0]]), "C must be positive semi-definite"),
        ("abc", "C must be"),
    ],
)
def test_bad_covariances(C, match):
    for act in (ERF, Activation("relu"), ERF_QUAD):
        with pytest.raises(ValueError, match=match):
            act.I2(C)


def test_bad_covariance_shapes_for_higher_averages():
    with pytest.raises(ValueError, match=r"C must have shape \(\.\.\., 3, 3\)"):
        ERF.I3(np.eye(2))
    with pytest.raises(ValueError, match=r"C must have shape \(\.\.\., 4, 4\)"):
        Activation("sigmoid").I4(np.eye(3))
    # symmetric within round-off is accepted
    C = np.array([[1.0, 0.3], [0.3 * (1 + 1e-14), 1.0]])
    assert np.isfinite(ERF.I2(C))


@pytest.mark.parametrize("name", ["erf", "relu", "linear"])
def test_tables_and_contractions_equal_the_scalar_averages(name):
    """``table`` and the contractions the ODEs use (erf's I4 through the tilted covariance, a
    rank-2 update) against the scalar averages on explicitly gathered submatrices, batched."""
    act = Activation(name, orders={4: 10}) if name == "relu" else Activation(name)
    rng = np.random.default_rng(3)
    n, K = 5, 3
    omegas = []
    for _ in range(2):
        A = rng.standard_normal((n, n + 2))
        omegas.append(A @ A.T / n)
    omega = np.stack(omegas)  # (2, n, n)
    u = rng.standard_normal((2, n))
    i, k = np.triu_indices(K)
    S = np.zeros((2, i.size))
    D = np.zeros((2, K, n))
    for s in range(2):
        for p in range(i.size):
            for a in range(n):
                for b in range(n):
                    idx = [i[p], k[p], a, b]
                    S[s, p] += u[s, a] * u[s, b] * act.I4(omega[s][np.ix_(idx, idx)])
        for ii in range(K):
            for a in range(n):
                for b in range(n):
                    idx = [ii, a, b]
                    D[s, ii, a] += u[s, b] * act.I3(omega[s][np.ix_(idx, idx)])
    assert np.allclose(act.contract_I4(omega, i, k, u), S, rtol=1e-12, atol=1e-12)
    assert np.allclose(act.contract_I3(omega, np.arange(K), u), D, rtol=1e-12, atol=1e-12)
    a = np.arange(n)
    t2 = act.table("I2", omega, a[:, None], a[None, :])
    ref2 = np.array([[[act.I2(om[np.ix_([x, y], [x, y])]) for y in a] for x in a] for om in omega])
    assert np.allclose(t2, ref2, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="kind must be"):
        act.table("I5", omega, a, a)
    with pytest.raises(ValueError, match="I3 takes 3 index arrays"):
        act.table("I3", omega, a, a)
