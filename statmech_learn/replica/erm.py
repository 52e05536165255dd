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

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize

from .._validation import as_rng, check_int, check_nonnegative, check_positive, check_tol
from ..errors import ConvergenceWarning
from ..gibbs.losses import HingeLoss, Loss, SquareLoss
from ..results import Result
from .amp import MAX_WEIGHTS, check_patterns
from .glm import _generalization
from .models import ERM, TeacherStudent

#: largest number of instances and of test samples per instance accepted
MAX_INSTANCES = 10**6
MAX_TEST = 10**8

__all__ = ["ERMSimulation", "erm_simulation", "ridge_test_error"]


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
    rho = float(check_positive("rho", rho))
    alpha, lam, delta = np.broadcast_arrays(alpha, lam, delta)
    b = 1.0 - alpha - lam
    D = np.sqrt(b * b + 4.0 * lam)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam_g = np.where(b >= 0, 0.5 * (b + D), 2.0 * lam / np.where(D - b > 0, D - b, 1.0))
        err = delta + (rho * (lam + (1.0 - alpha) * lam_g) + delta * (1.0 - lam_g)) / D
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

    res = minimize(f, np.zeros(n), jac=True, method="L-BFGS-B",
                   options=dict(maxiter=20_000, maxfun=40_000, maxcor=20, ftol=0.0, gtol=0.1 * tol * lam))
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
        res = minimize(f, c, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * A.shape[0],
                       options=dict(maxiter=20_000, maxfun=40_000, maxcor=10, ftol=0.0, gtol=gtol))
        c = np.clip(res.x, 0.0, 1.0)
        for cand in (certify(c), exact_active_set(B.T @ c / lam)):
            if cand[1] < best[1]:
                best = cand
        if best[1] <= tol:
            break
    return best


def _fit(A, y, student: ERM, tol: float):
    loss, lam = student.loss_, student.l2
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


def erm_simulation(model: TeacherStudent, n: int, alpha: float, n_samples: int = 10, rng=None, *,
                   n_test: int = 10_000, tol: float = 1e-5) -> ERMSimulation:
    r"""Fit the ERM estimator on ``n_samples`` finite instances and measure its overlaps and errors.

    Each instance: teacher :math:`w^* \sim` ``model.prior`` (N = ``n`` weights),
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

    Parameters
    ----------
    model : TeacherStudent
        Its student must be :class:`~statmech_learn.replica.models.ERM`.  The
        logistic and hinge losses need ``l2 > 0`` (below the separability
        threshold the unregularised minimiser does not exist).
    n : int
        Number of weights N.
    alpha : float
        Load P/N > 0.
    n_samples : int
        Number of independent instances.
    rng : None, int, SeedSequence or Generator
        Normalised by ``np.random.default_rng``; the per-instance seeds
        (``rng.integers(2**63, size=n_samples)``) are drawn first, so that
        instance k is the same whatever ``n_samples`` >= k + 1.
    n_test : int
        Fresh samples per instance for ``generalization_error_test``.
    tol : float
        Required bound on :math:`|\hat w - w_{opt}|/\sqrt N`.

    Returns
    -------
    ERMSimulation
    """
    if not isinstance(model, TeacherStudent) or not isinstance(model.student, ERM):
        raise ValueError(f"model must be a TeacherStudent with an ERM student, got {model!r}")
    n = check_int("n", n, minimum=1, maximum=MAX_WEIGHTS)
    alpha = float(check_positive("alpha", alpha))
    n_samples = check_int("n_samples", n_samples, minimum=1, maximum=MAX_INSTANCES)
    n_test = check_int("n_test", n_test, minimum=1, maximum=MAX_TEST)
    tol = check_tol("tol", tol, floor=1e-12)
    student = model.student
    if student.l2 <= 0 and not isinstance(student.loss_, SquareLoss):
        raise ValueError(f"l2 must be > 0 for the {student.loss} loss, got {student.l2:g} (on separable data the "
                         f"unregularised minimiser does not exist)")
    P = check_patterns(alpha, n)
    classification = model.task == "classification"
    seeds = as_rng(rng).integers(2**63, size=n_samples)
    keys = ("m", "q", "eg", "eg_test", "loss", "err", "obj", "opt")
    rows = {k: np.empty(n_samples) for k in keys}
    sqn = np.sqrt(n)
    for s, seed in enumerate(seeds):
        g = np.random.default_rng(int(seed))
        w_star = np.asarray(model.prior.sample(n, g), dtype=float)
        X = g.standard_normal((P, n))
        y = np.asarray(model.channel.sample(X @ w_star / sqn, g), dtype=float)
        A = X / sqn
        w, opt = _fit(A, y, student, tol)
        z = A @ w
        m, q, rho_n = w @ w_star / n, w @ w / n, w_star @ w_star / n
        eg = float(_generalization(model, m, q, 0.0, rho=rho_n))
        wrong = 0.0
        for start in range(0, n_test, 2000):
            Xt = g.standard_normal((min(2000, n_test - start), n))
            zt, zs = Xt @ w / sqn, Xt @ w_star / sqn
            if classification:
                wrong += np.sum(np.where(zt >= 0, 1.0, -1.0) != np.where(zs >= 0, 1.0, -1.0))
            else:
                wrong += np.sum((np.asarray(model.channel.sample(zs, g)) - zt) ** 2)
        loss = np.asarray(student.loss_.value(y, z))
        row = dict(m=m, q=q, eg=eg, eg_test=wrong / n_test, loss=np.mean(loss),
                   err=np.mean(y * z <= 0) if classification else np.nan,
                   obj=(np.sum(loss) + 0.5 * student.l2 * (w @ w)) / n, opt=opt)
        for k in keys:
            rows[k][s] = row[k]
    converged = rows["opt"] <= tol
    if not np.all(converged):
        warnings.warn(f"ERM optimiser did not reach |w - w_opt|/sqrt(n) <= {tol:g} on {np.sum(~converged)} of "
                      f"{n_samples} instances (worst bound {np.max(rows['opt']):.3g}) for {model!r}",
                      ConvergenceWarning, stacklevel=2)
    stats = {k: _mean_se(rows[k]) for k in keys[:-1]}
    return ERMSimulation(
        alpha=alpha, n=n, n_patterns=P, n_samples=n_samples,
        m=stats["m"][0], m_stderr=stats["m"][1], q=stats["q"][0], q_stderr=stats["q"][1],
        generalization_error=stats["eg"][0], generalization_error_stderr=stats["eg"][1],
        generalization_error_test=stats["eg_test"][0], generalization_error_test_stderr=stats["eg_test"][1],
        n_test=n_test, train_loss=stats["loss"][0], train_loss_stderr=stats["loss"][1],
        train_error=stats["err"][0], train_error_stderr=stats["err"][1],
        objective=stats["obj"][0], objective_stderr=stats["obj"][1],
        optimality=rows["opt"], converged=converged, converged_all=bool(np.all(converged)), tol=tol,
        model=repr(model),
    )
