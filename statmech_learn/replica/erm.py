r"""Empirical risk minimisation: finite-size simulations and the ridge closed form.

:func:`erm_simulation` draws teacher-student instances at finite N and fits
the ERM estimator of a :class:`~statmech_learn.replica.models.ERM` student with a
real optimiser, to be compared with the replica prediction of
:func:`statmech_learn.replica.solve` (Aubin et al. 2020, NeurIPS,
"Generalization error in high-dimensional perceptrons: approaching Bayes error
with convex optimization").

:func:`ridge_test_error` is the random-matrix closed form of the test error of
ridge regression, an independent check of the replica equations for the
square loss.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize

from .._validation import (
    as_rng,
    check_bool,
    check_choice,
    check_finite,
    check_int,
    check_nonnegative,
    check_positive,
    check_tol,
)
from ..citations import _cites
from ..errors import ConvergenceWarning
from ..gibbs.losses import HingeLoss, Loss, SquareLoss
from ..results import Result
from .amp import MAX_WEIGHTS, check_patterns
from .glm import _generalization
from .models import ERM, TeacherStudent

#: largest number of instances and of test samples per instance accepted
MAX_INSTANCES = 10**6
MAX_TEST = 10**8

__all__ = ["ERMSimulation", "erm_simulation", "ridge_test_error", "DataSimulation", "data_simulation"]


@_cites
def ridge_test_error(alpha: ArrayLike, l2: ArrayLike, noise_variance: ArrayLike, rho: float = 1.0):
    r"""Asymptotic test error of ridge regression on a Gaussian teacher (random-matrix theory).

    Model: :math:`y = \mathbf x\cdot\mathbf w^*/\sqrt N + \sqrt\Delta\,\xi`,
    :math:`w^*_i` i.i.d. of variance :math:`\rho`, estimator
    :math:`\hat{\mathbf w} = \arg\min \tfrac12\sum_\mu(y_\mu - z_\mu)^2 + \tfrac\lambda2|\mathbf w|^2`,
    N, P -> infinity at :math:`\alpha = P/N`.  The error is the mean squared
    error on a fresh noisy label, :math:`\rho - 2m + q + \Delta` (the convention of
    :func:`statmech_learn.replica.solve`):

    .. math::
        \varepsilon = \Delta + \rho\lambda^2 g'(-\lambda) + \Delta\,[g(-\lambda) - \lambda g'(-\lambda)]
        = \Delta + \frac{\rho\,(\lambda + (1-\alpha)\lambda g) + \Delta\,(1 - \lambda g)}{D},

    with g the Stieltjes transform of the Marchenko-Pastur law of
    :math:`X^\top X/N`, at :math:`z = -\lambda` the positive root of
    :math:`\lambda g^2 - (1-\alpha-\lambda)g - 1 = 0`, i.e.
    :math:`\lambda g = (b + D)/2`, :math:`b = 1-\alpha-\lambda`,
    :math:`D = \sqrt{b^2 + 4\lambda}`, and :math:`g' = g(1+g)/D` (bias and variance
    terms of Hastie, Montanari, Rosset & Tibshirani 2022, Ann. Stat. 50, 949,
    Thm. 5 with isotropic features; Dobriban & Wager 2018, Ann. Stat. 46, 247).
    The form above has no cancellation and holds at :math:`\lambda = 0`:
    :math:`\Delta\alpha/(\alpha-1)` for :math:`\alpha > 1`,
    :math:`\Delta + \rho(1-\alpha) + \Delta\alpha/(1-\alpha)` for :math:`\alpha < 1`,
    and infinite at :math:`\alpha = 1` (the interpolation peak), where for small
    :math:`\lambda` it grows like :math:`\Delta/(2\sqrt\lambda)`.

    Parameters
    ----------
    alpha : float or array_like, > 0
    l2 : float or array_like, >= 0
        Ridge penalty :math:`\lambda` (broadcast with alpha).
    noise_variance : float or array_like, >= 0
        :math:`\Delta`.
    rho : float, > 0
        Teacher's second moment.
    """
    alpha = np.asarray(check_positive("alpha", alpha), dtype=float)
    lam = np.asarray(check_nonnegative("l2", l2), dtype=float)
    delta = np.asarray(check_nonnegative("noise_variance", noise_variance), dtype=float)
    rho = check_positive("rho", rho, scalar=True)
    alpha, lam, delta = np.broadcast_arrays(alpha, lam, delta)
    b = 1.0 - alpha - lam
    D = np.hypot(b, 2.0 * np.sqrt(lam))  # sqrt(b^2 + 4 lam) without overflow of b^2 at huge loads
    with np.errstate(divide="ignore", invalid="ignore"):
        lam_g = np.where(b >= 0, 0.5 * (b + D), 2.0 * lam / np.where(D - b > 0, D - b, 1.0))
        # each term divided by D before the products: no overflow at huge alpha, l2 or rho
        err = delta + rho * ((lam + (1.0 - alpha) * lam_g) / D) + delta * ((1.0 - lam_g) / D)
    err = np.where(D > 0, err, np.inf)
    return err if err.ndim else float(err)


@dataclass(frozen=True, repr=False)
class ERMSimulation(Result):
    """ERM fitted on finite teacher-student instances: means and standard errors over instances.

    Attributes
    ----------
    alpha, n, n_patterns, n_samples : load, number of weights N, of training
        patterns P = round(alpha N), of instances.
    m, q : overlaps :math:`\\hat w\\cdot w^*/N`, :math:`\\hat w\\cdot\\hat w/N`.
    generalization_error : for labels ±1 the probability that the estimator's
        sign disagrees with the teacher's noiseless sign, from each instance's
        overlaps, :math:`\\arccos(m/\\sqrt{\\rho_N q})/\\pi` with :math:`\\rho_N = |w^*|^2/N`
        (exact for Gaussian inputs: no test-sample noise); for real labels the
        test mean squared error on a fresh noisy label, :math:`\\rho_N - 2m + q + \\Delta`.
    generalization_error_test : the same measured on ``n_test`` fresh samples
        per instance.
    train_loss : mean loss per training sample.
    train_error : fraction of training samples with :math:`y z \\le 0` (labels ±1; NaN otherwise).
    objective : minimum of the regularised training loss per weight,
        :math:`(\\sum_\\mu \\ell + \\lambda|\\hat w|^2/2)/N`; the replica
        prediction is minus ``free_entropy``.
    *_stderr : standard errors of the means over instances (NaN for one instance).
    optimality : per instance, a certified bound on the root-mean-square
        distance per coordinate to the exact minimiser,
        :math:`|\\hat w - w_{opt}|/\\sqrt N` (strong convexity: gradient norm / lambda,
        or the duality gap for the hinge loss).
    converged : per instance, ``optimality <= tol``.
    converged_all : every instance converged.
    tol : the requested bound.
    model : repr of the model.
    features_ratio : P/D of a random-features simulation (NaN otherwise); with several
        ratios every other field is an array over them.

    With structured inputs, m and q are :math:`\\mathbb E[z^*\\hat z]` and :math:`\\mathbb E\\hat z^2`
    estimated on the test samples, and n is the student's dimension (random features: the
    input dimension D, with P = ratio D features).
    """

    alpha: float
    n: int
    n_patterns: int
    n_samples: int
    m: float
    m_stderr: float
    q: float
    q_stderr: float
    generalization_error: float
    generalization_error_stderr: float
    generalization_error_test: float
    generalization_error_test_stderr: float
    n_test: int
    train_loss: float
    train_loss_stderr: float
    train_error: float
    train_error_stderr: float
    objective: float
    objective_stderr: float
    optimality: np.ndarray
    converged: np.ndarray
    converged_all: bool
    tol: float
    model: str
    features_ratio: object = float("nan")


# Optimisers ---------------------------------------------------------------------
#
# Inside the optimisers' loops the matrix-vector products go through np.einsum
# (a single-threaded C loop) rather than BLAS: each call is small, and waking
# a multithreaded BLAS for it costs more than the arithmetic when the machine
# is busy (measured: 10x slower L-BFGS-B at N = 400 on two loaded cores).


def _mv(M: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.einsum("ij,j->i", M, v)


def _mtv(M: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.einsum("ij,i->j", M, v)


def _fit_square(A: np.ndarray, y: np.ndarray, lam: float):
    """Ridge: (A^T A + lam) w = A^T y with A = X/sqrt(N); least-norm least squares at lam = 0.

    Certificate: for lam > 0 the gradient norm over lam; at lam = 0 the
    gradient norm over the smallest nonzero squared singular value of A
    (the curvature of the objective on the row space, where the least-norm
    solution lives).
    """
    n = A.shape[1]
    if lam > 0:
        G = A.T @ A
        G[np.diag_indices(n)] += lam
        w = np.linalg.solve(G, A.T @ y)
        curvature = lam
    else:
        w, _, rank, s = np.linalg.lstsq(A, y, rcond=None)
        curvature = float(s[rank - 1] ** 2) if rank > 0 else 0.0
    grad = A.T @ (A @ w - y) + lam * w
    return w, np.linalg.norm(grad) / (max(curvature, 1e-300) * np.sqrt(n))


def _fit_smooth(A: np.ndarray, y: np.ndarray, lam: float, loss: Loss, tol: float):
    """L-BFGS-B on sum_mu loss(y, A w) + lam |w|^2 / 2 with the analytic gradient.

    Stopping: projected gradient (sup norm) <= tol * lam / 10, and the returned certificate
    |w - w_opt| / sqrt(N) <= |grad|_2 / (lam sqrt(N)) <= tol (strong convexity).
    """
    n = A.shape[1]

    def f(w):
        z = _mv(A, w)
        return float(np.sum(loss.value(y, z)) + 0.5 * lam * (w @ w)), _mtv(A, loss.derivative(y, z)) + lam * w

    res = minimize(
        f,
        np.zeros(n),
        jac=True,
        method="L-BFGS-B",
        options=dict(maxiter=20_000, maxfun=40_000, maxcor=20, ftol=0.0, gtol=0.1 * tol * lam),
    )
    w = res.x
    return w, np.linalg.norm(f(w)[1]) / (lam * np.sqrt(n))


def _fit_hinge(A: np.ndarray, y: np.ndarray, lam: float, tol: float):
    r"""Hinge + l2 through its dual, a box-constrained QP.

    Dual: :math:`\max_{0\le c\le1} \sum_\mu c_\mu - \tfrac{\lambda}{2}|w(c)|^2`,
    :math:`w(c) = \sum_\mu c_\mu y_\mu a_\mu/\lambda`, solved by L-BFGS-B.  The
    approximate solution fixes the active set: c = 1 below the margin, 0 above,
    and on the margin (:math:`|y_\mu z_\mu - 1| \le \delta`) the c that solve the
    linear system :math:`y_\mu a_\mu\cdot w(c) = 1`; this is the exact minimiser
    when the set is right, so a few thresholds :math:`\delta` are tried and
    the best kept (L-BFGS-B is resumed with a tighter tolerance if none
    certifies).  Certificate: the duality gap
    :math:`\sum_\mu[\max(0, 1-y_\mu z_\mu) - c_\mu(1-y_\mu z_\mu)] \ge \tfrac\lambda2|w - w_{opt}|^2`
    (a sum of nonnegative terms, free of cancellation), so
    :math:`|w - w_{opt}|/\sqrt N \le \sqrt{2\,\mathrm{gap}/\lambda}/\sqrt N`.
    """
    n = A.shape[1]
    B = A * y[:, None]  # rows y_mu a_mu

    def certify(c):
        w = B.T @ c / lam
        t = 1.0 - B @ w
        return w, np.sqrt(2.0 * max(float(np.sum(np.maximum(t, 0.0) - c * t)), 0.0) / lam) / np.sqrt(n)

    def f(c):
        v = _mtv(B, c)
        return 0.5 * float(v @ v) / lam - float(np.sum(c)), _mv(B, v) / lam - 1.0

    def exact_active_set(w):
        u = B @ w
        best = (None, np.inf)
        for delta in (1e-3, 1e-4, 1e-5, 1e-6, 1e-7):
            free = np.abs(u - 1.0) <= delta
            c = np.where(u < 1.0, 1.0, 0.0)
            c[free] = 0.0
            if np.any(free):
                Bf = B[free]
                rhs = lam - Bf @ (B.T @ c)
                try:
                    c[free] = np.linalg.solve(Bf @ Bf.T, rhs)
                except np.linalg.LinAlgError:
                    continue
                if np.any(c[free] < -1e-9) or np.any(c[free] > 1.0 + 1e-9):
                    continue
                c = np.clip(c, 0.0, 1.0)
            cand = certify(c)
            if cand[1] < best[1]:
                best = cand
            if best[1] <= tol:
                break
        return best

    c = np.full(A.shape[0], 0.5)
    best = (None, np.inf)
    for gtol in (1e-5, 1e-8, 1e-11):
        res = minimize(
            f,
            c,
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, 1.0)] * A.shape[0],
            options=dict(maxiter=20_000, maxfun=40_000, maxcor=10, ftol=0.0, gtol=gtol),
        )
        c = np.clip(res.x, 0.0, 1.0)
        for cand in (certify(c), exact_active_set(B.T @ c / lam)):
            if cand[1] < best[1]:
                best = cand
        if best[1] <= tol:
            break
    return best


def _fit(A, y, student: ERM, tol: float):
    loss, lam = student.loss_, student.l2
    assert not isinstance(lam, str)  # l2="optimal" is refused before any fit
    if isinstance(loss, SquareLoss):
        return _fit_square(A, y, lam)
    if isinstance(loss, HingeLoss):
        return _fit_hinge(A, y, lam, tol)
    return _fit_smooth(A, y, lam, loss, tol)


def _mean_se(x: np.ndarray) -> tuple[float, float]:
    x = np.asarray(x, dtype=float)
    if np.all(np.isnan(x)):
        return float("nan"), float("nan")
    se = float(np.std(x, ddof=1) / np.sqrt(x.size)) if x.size > 1 else float("nan")
    return float(np.mean(x)), se


def _isotropic_instance(model: TeacherStudent, n: int, g):
    """The isotropic instance: w* ~ prior, x ~ N(0, I_N) seen by teacher and student alike."""
    from .covariates import FeatureInstance

    w_star = np.asarray(model.prior.sample(n, g), dtype=float)

    def draw(k, gen):
        X = gen.standard_normal((k, n))
        return X, X

    return FeatureInstance(w_star, n, n, draw)


def _simulate(
    model: TeacherStudent, make_instance, P: int, n_samples: int, seeds, n_test: int, tol: float, exact_overlaps: bool
) -> dict:
    r"""Fit ``n_samples`` instances; per-instance rows of overlaps, errors, losses and certificates.

    With ``exact_overlaps`` (isotropic inputs) m, q are :math:`\hat w\cdot w^*/N`, :math:`|\hat w|^2/N`;
    otherwise they are estimated on the test samples as :math:`\overline{z^*\hat z}`, :math:`\overline{\hat z^2}`
    (and :math:`\rho` as :math:`\overline{z^{*2}}`), unbiased with relative error ~ :math:`n_{test}^{-1/2}`.
    """
    student = model.student
    assert isinstance(student, ERM) and not isinstance(student.l2, str)  # checked by _erm_simulation
    classification = model.task == "classification"
    keys = ("m", "q", "eg", "eg_test", "loss", "err", "obj", "opt")
    rows = {k: np.empty(n_samples) for k in keys}
    for s, seed in enumerate(seeds):
        g = np.random.default_rng(int(seed))
        inst = make_instance(g)
        U, Vf = inst.sample(P, g)
        sp, sd = np.sqrt(inst.p), np.sqrt(inst.d)
        y = np.asarray(model.channel.sample(U @ inst.theta / sp, g), dtype=float)
        A = Vf / sd
        w, opt = _fit(A, y, student, tol)
        z = A @ w
        wrong, zz, zs2, ztz = 0.0, 0.0, 0.0, 0.0
        for start in range(0, n_test, 2000):
            Ut, Vt = inst.sample(min(2000, n_test - start), g)
            zt, zs = Vt @ w / sd, Ut @ inst.theta / sp
            zz, zs2, ztz = zz + zt @ zs, zs2 + zs @ zs, ztz + zt @ zt
            if classification:
                wrong += np.sum(np.where(zt >= 0, 1.0, -1.0) != np.where(zs >= 0, 1.0, -1.0))
            else:
                wrong += np.sum((np.asarray(model.channel.sample(zs, g)) - zt) ** 2)
        if exact_overlaps:
            m, q, rho_n = w @ inst.theta / inst.d, w @ w / inst.d, inst.theta @ inst.theta / inst.p
        else:
            m, q, rho_n = zz / n_test, ztz / n_test, zs2 / n_test
        loss = np.asarray(student.loss_.value(y, z))
        row = dict(
            m=m,
            q=q,
            eg=float(_generalization(model, m, q, 0.0, rho=rho_n)),
            eg_test=wrong / n_test,
            loss=np.mean(loss),
            err=np.mean(y * z <= 0) if classification else np.nan,
            obj=(np.sum(loss) + 0.5 * student.l2 * (w @ w)) / inst.d,
            opt=opt,
        )
        for k in keys:
            rows[k][s] = row[k]
    return rows


@_cites
def erm_simulation(
    model,
    n: int | None = None,
    alpha: float | None = None,
    n_samples: int = 10,
    rng=None,
    *,
    n_test: int = 10_000,
    tol: float = 1e-5,
    d: int | None = None,
    features_ratio: ArrayLike | None = None,
) -> ERMSimulation:
    r"""Fit the ERM estimator on ``n_samples`` finite instances and measure its overlaps and errors.

    Each instance (isotropic inputs): teacher :math:`w^* \sim` ``model.prior`` (N = ``n`` weights),
    inputs :math:`X_{\mu i} \sim N(0, 1)` for P = round(alpha N) patterns, labels
    :math:`y = ` ``model.channel.sample`` :math:`(Xw^*/\sqrt N)`; then

    .. math:: \hat w = \arg\min_w \sum_\mu \ell(y_\mu, x_\mu\cdot w/\sqrt N) + \tfrac\lambda2|w|^2

    by a real optimiser: the square loss by a linear solve (least-norm least
    squares at :math:`\lambda = 0`); the logistic loss (and any other smooth
    :class:`~statmech_learn.gibbs.losses.Loss`) by L-BFGS-B with the analytic
    gradient; the hinge loss through its dual box-constrained QP (L-BFGS-B,
    then the exact active-set solution).  Every fit carries a certificate
    ``optimality`` (see :class:`ERMSimulation`); an instance whose certificate
    exceeds ``tol`` is reported in ``converged`` and a
    :class:`~statmech_learn.errors.ConvergenceWarning` is emitted.

    With ``model.inputs`` (:mod:`statmech_learn.replica.covariates`) each instance is drawn by
    the input model (a block covariance, a random feature map, a Gaussian covariate model):
    teacher features u and student features v, labels from :math:`u\cdot\theta/\sqrt p`, the
    student fitted on :math:`v/\sqrt d`; N = ``n`` (or ``d``) is the student's dimension d.
    For a :class:`~statmech_learn.replica.RandomFeatures` model, ``d`` is the input dimension D,
    P = ratio x D features for each ratio in ``features_ratio`` (default the model's), n = alpha D
    samples, and every field of the result is an array over the ratios.

    Parameters
    ----------
    model : TeacherStudent or RandomFeatures
        Its student must be :class:`~statmech_learn.replica.models.ERM`.  The
        logistic and hinge losses need ``l2 > 0`` (below the separability
        threshold the unregularised minimiser does not exist).
    n, d : int
        Number of weights N (``d`` is an alias; for random features the input dimension D).
    alpha : float
        Load P/N > 0 (random features: n/D).
    n_samples : int
        Number of independent instances.
    rng : None, int, SeedSequence or Generator
        Normalised by ``np.random.default_rng``; the per-instance seeds
        (``rng.integers(2**63, size=n_samples)``) are drawn first, so that
        instance k is the same whatever ``n_samples`` >= k + 1.
    n_test : int
        Fresh samples per instance for ``generalization_error_test`` (and, with inputs, the overlaps).
    tol : float
        Required bound on :math:`|\hat w - w_{opt}|/\sqrt N`.
    features_ratio : float or array_like, optional
        Random features only: the P/D values to simulate.

    Returns
    -------
    ERMSimulation
    """
    from .covariates import GaussianCovariate, RandomFeatures

    if n is not None and d is not None and n != d:
        raise ValueError(f"n and d are the same size (d is an alias): give one, got n = {n} and d = {d}")
    size = n if n is not None else d
    if alpha is None:
        raise ValueError("alpha must be given (the load)")
    if size is None and not (isinstance(model, TeacherStudent) and isinstance(model.inputs, GaussianCovariate)):
        raise ValueError("n (or d) must be given: the dimension of the instances")
    alpha = check_positive("alpha", alpha, scalar=True)
    n_samples = check_int("n_samples", n_samples, minimum=1, maximum=MAX_INSTANCES)
    n_test = check_int("n_test", n_test, minimum=1, maximum=MAX_TEST)
    tol = check_tol("tol", tol, floor=1e-12)
    if isinstance(model, RandomFeatures):
        ratios = model.features_ratio if features_ratio is None else features_ratio
        ratios_arr = np.atleast_1d(check_positive("features_ratio", ratios))
        D = check_int("d", size, minimum=1, maximum=MAX_WEIGHTS)
        seeds_all = as_rng(rng).integers(2**63, size=(ratios_arr.size, n_samples))
        sims = [
            _erm_simulation(
                model.model(r),
                model.feature_map(r),
                D,
                alpha,
                n_samples,
                seeds,
                n_test,
                tol,
                repr_model=repr(model),
                features_ratio=float(r),
            )
            for r, seeds in zip(ratios_arr, seeds_all)
        ]
        if np.ndim(ratios) == 0:
            return sims[0]
        # one array per field over the ratios, stored in the float/int fields (class docstring)
        fields: dict[str, Any] = {
            f: np.array([getattr(x, f) for x in sims])
            for f in ERMSimulation.__dataclass_fields__
            if f not in ("model", "tol", "n_test", "n_samples", "converged_all")
        }
        return ERMSimulation(
            **fields,
            model=repr(model),
            tol=tol,
            n_test=n_test,
            n_samples=n_samples,
            converged_all=bool(all(x.converged_all for x in sims)),
        )
    if not isinstance(model, TeacherStudent) or not isinstance(model.student, ERM):
        raise ValueError(f"model must be a TeacherStudent with an ERM student, got {model!r}")
    seeds = as_rng(rng).integers(2**63, size=n_samples)
    return _erm_simulation(model, model.inputs, size, alpha, n_samples, seeds, n_test, tol)


def _erm_simulation(
    model: TeacherStudent,
    inputs,
    size,
    alpha,
    n_samples,
    seeds,
    n_test,
    tol,
    *,
    repr_model: str | None = None,
    features_ratio: float = float("nan"),
) -> ERMSimulation:
    student = model.student
    if not isinstance(student, ERM) or isinstance(student.l2, str):  # str: l2="optimal"
        raise ValueError(f"model must have an ERM student with a numeric l2, got {student!r}")
    if student.l2 <= 0 and not isinstance(student.loss_, SquareLoss):
        raise ValueError(
            f"l2 must be > 0 for the {student.loss} loss, got {student.l2:g} (on separable data the "
            f"unregularised minimiser does not exist)"
        )
    given = None if size is None else check_int("n", size, minimum=1, maximum=MAX_WEIGHTS)
    # the dimension the load counts: N (isotropic), d (structured inputs), D (random features)
    n = inputs.d if given is None else given

    def make(g):
        return _isotropic_instance(model, n, g) if inputs is None else inputs.instance(given, model.prior, g)

    P = check_patterns(alpha, n)
    rows = _simulate(model, make, P, n_samples, seeds, n_test, tol, exact_overlaps=inputs is None)
    converged = rows["opt"] <= tol
    name = repr(model) if repr_model is None else repr_model
    if not np.all(converged):
        warnings.warn(
            f"ERM optimiser did not reach |w - w_opt|/sqrt(n) <= {tol:g} on {np.sum(~converged)} of "
            f"{n_samples} instances (worst bound {np.max(rows['opt']):.3g}) for {name}",
            ConvergenceWarning,
            stacklevel=3,
        )
    stats = {k: _mean_se(rows[k]) for k in ("m", "q", "eg", "eg_test", "loss", "err", "obj")}
    return ERMSimulation(
        alpha=alpha,
        n=n,
        n_patterns=P,
        n_samples=n_samples,
        m=stats["m"][0],
        m_stderr=stats["m"][1],
        q=stats["q"][0],
        q_stderr=stats["q"][1],
        generalization_error=stats["eg"][0],
        generalization_error_stderr=stats["eg"][1],
        generalization_error_test=stats["eg_test"][0],
        generalization_error_test_stderr=stats["eg_test"][1],
        n_test=n_test,
        train_loss=stats["loss"][0],
        train_loss_stderr=stats["loss"][1],
        train_error=stats["err"][0],
        train_error_stderr=stats["err"][1],
        objective=stats["obj"][0],
        objective_stderr=stats["obj"][1],
        optimality=rows["opt"],
        converged=converged,
        converged_all=bool(np.all(converged)),
        tol=tol,
        model=name,
        features_ratio=features_ratio,
    )


@dataclass(frozen=True, repr=False)
class DataSimulation(Result):
    r"""ERM trained on resamples of a data set, tested on the whole data set.

    The data set is the population: each instance draws ``n`` training rows i.i.d. (with
    replacement) from it, and its test error is the exact population average over every
    row, so there is no finite-population or test-sample error; the spread over instances
    is the finite-sample fluctuation.

    Attributes
    ----------
    n : training-set sizes.
    alpha : n / d.
    d : number of features.
    test_error, test_error_stderr : population mean squared error (regression) or
        misclassification rate (labels ±1 and ``task='classification'``), mean and standard
        error over instances.
    train_loss, train_loss_stderr : mean training loss per sample.
    optimality, converged : per size and instance, the optimiser's certificate (as in
        :class:`ERMSimulation`) and whether it is below ``tol``.
    n_samples : instances per size.
    task : 'regression' or 'classification'.
    student : repr of the student.
    """

    n: np.ndarray
    alpha: np.ndarray
    d: int
    test_error: np.ndarray
    test_error_stderr: np.ndarray
    train_loss: np.ndarray
    train_loss_stderr: np.ndarray
    optimality: np.ndarray
    converged: np.ndarray
    n_samples: int
    task: str
    student: str


@_cites
def data_simulation(
    features,
    labels,
    student: ERM,
    n: ArrayLike,
    n_samples: int = 20,
    rng=None,
    *,
    task: str = "regression",
    center: bool = True,
    tol: float = 1e-5,
) -> DataSimulation:
    r"""Train ``student`` on ``n`` resampled rows of a data set and measure its population error.

    :math:`\hat w = \arg\min_w \sum_{\mu\in S}\ell(y_\mu, v_\mu\cdot w/\sqrt d) + \tfrac\lambda2|w|^2` on a
    training set S of n rows drawn with replacement, by the optimisers of :func:`erm_simulation`;
    test error :math:`\frac1N\sum_{\mu=1}^N (y_\mu - v_\mu\cdot\hat w/\sqrt d)^2` (regression) or
    :math:`\frac1N\sum_\mu [\,y_\mu v_\mu\cdot\hat w \le 0\,]` (classification) over all N rows.
    The Gaussian-covariate prediction is
    ``solve(TeacherStudent(inputs=GaussianCovariate.from_samples(features, labels=labels), student=student), n/d)``
    (Loureiro et al. 2021, NeurIPS, sec. 3.3).

    Parameters
    ----------
    features : (N, d) array
        The student's features of every row.
    labels : (N,) array
        Real labels (regression) or ±1 (classification).
    student : ERM
    n : int or array of int
        Training-set sizes (>= 1).
    n_samples : int
        Instances per size (standard errors are NaN for one).
    rng : seed or Generator
    task : {'regression', 'classification'}
    center : bool
        Subtract the means of the features and (regression) of the labels, as
        :meth:`~statmech_learn.replica.GaussianCovariate.from_samples` does.
    tol : float
        Required optimiser certificate.
    """
    V = np.asarray(check_finite("features", features), dtype=float)
    y = np.asarray(check_finite("labels", labels), dtype=float)
    if V.ndim != 2 or V.shape[0] < 2:
        raise ValueError(f"features must be an (N, d) array with N >= 2, got shape {V.shape}")
    if y.shape != (V.shape[0],):
        raise ValueError(f"labels must have shape ({V.shape[0]},) (one per row of features), got {y.shape}")
    if not isinstance(student, ERM) or isinstance(student.l2, str):  # str: l2="optimal"
        raise ValueError(f"student must be an ERM student with a numeric l2, got {student!r}")
    task = check_choice("task", task, ("regression", "classification"))
    center = check_bool("center", center)
    if task == "classification" and not np.all(np.abs(y) == 1):
        raise ValueError("labels must be ±1 for task='classification'")
    if student.l2 <= 0 and not isinstance(student.loss_, SquareLoss):
        raise ValueError(f"l2 must be > 0 for the {student.loss} loss, got {student.l2:g}")
    sizes = np.atleast_1d(np.asarray(check_finite("n", n)))
    sizes = np.array(
        [check_int("n", int(k) if float(k).is_integer() else k, minimum=1, maximum=MAX_WEIGHTS) for k in sizes]
    )
    n_samples = check_int("n_samples", n_samples, minimum=1, maximum=MAX_INSTANCES)
    tol = check_tol("tol", tol, floor=1e-12)
    if center:
        V = V - V.mean(axis=0)
        if task == "regression":
            y = y - y.mean()
    N, d = V.shape
    A_all = V / np.sqrt(d)
    seeds = as_rng(rng).integers(2**63, size=(sizes.size, n_samples))
    err = np.empty((sizes.size, n_samples))
    loss = np.empty_like(err)
    opt = np.empty_like(err)
    for i, k in enumerate(sizes):
        for s in range(n_samples):
            g = np.random.default_rng(int(seeds[i, s]))
            rows = g.integers(N, size=int(k))
            w, opt[i, s] = _fit(A_all[rows], y[rows], student, tol)
            z_all = A_all @ w
            err[i, s] = np.mean((y - z_all) ** 2) if task == "regression" else np.mean(y * z_all <= 0)
            loss[i, s] = np.mean(student.loss_.value(y[rows], z_all[rows]))
    converged = opt <= tol
    if not np.all(converged):
        warnings.warn(
            f"ERM optimiser did not reach its certificate {tol:g} on {np.sum(~converged)} fits",
            ConvergenceWarning,
            stacklevel=2,
        )

    def stderr(x):  # NaN for one instance
        return x.std(axis=1, ddof=1) / np.sqrt(n_samples) if n_samples > 1 else np.full(sizes.shape, np.nan)

    return DataSimulation(
        n=sizes,
        alpha=sizes / d,
        d=d,
        test_error=err.mean(axis=1),
        test_error_stderr=stderr(err),
        train_loss=loss.mean(axis=1),
        train_loss_stderr=stderr(loss),
        optimality=opt,
        converged=converged,
        n_samples=n_samples,
        task=task,
        student=repr(student),
    )
