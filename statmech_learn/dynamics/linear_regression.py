r"""Linear regression as the minimisation of a cost: normal equations, gradient flow and gradient descent.

Following J. Pallister, "Machine Learning for the eager theorist" (December 2023), secs. 3-4, the fit
:math:`\hat y = \beta_0 + X\beta` of targets :math:`y\in\mathbb R^n` from inputs
:math:`X\in\mathbb R^{n\times d}` minimises the cost (the seed's eq. (6), with an optional ridge term)

.. math:: S(\beta_0, \beta) = \frac1n\,|y - \beta_0 - X\beta|^2 + \lambda\,|\beta|^2 ,

whose stationarity conditions (eq. (7)) are the normal equations; for d = 1 they give the seed's
eqs. (14)-(15), :math:`\beta_1 = (\langle xy\rangle - \langle x\rangle\langle y\rangle)/(\langle x^2\rangle
- \langle x\rangle^2)`, :math:`\beta_0 = \langle y\rangle - \beta_1\langle x\rangle`.  S is quadratic with
Hessian :math:`H = \frac2n Z^\top Z + 2\lambda P` (Z = X, or [1, X] with the intercept, P the identity
on the penalised coefficients), so gradient flow :math:`\dot w = -\nabla S(w)` is solved exactly by
:math:`w(t) = w_\infty + e^{-tH}(w_0 - w_\infty)` and gradient descent
:math:`w_{k+1} = w_k - \eta\nabla S(w_k)` contracts the error along the eigenvector of eigenvalue
:math:`h_i` by :math:`(1-\eta h_i)^k`, hence converges iff :math:`0 < \eta < 2/\lambda_{max}(H)`.
The seed's eqs. (8) and (16) (and so (12)-(13)) carry the wrong sign, :math:`\dot\theta = +\nabla S`,
which ascends the cost; this module implements descent, :math:`\dot\theta = -\nabla S`.

least_squares             :func:`least_squares` (normal equations, min-norm when singular)
gradient_flow             :func:`gradient_flow` (exact flow through the eigendecomposition of H)
gradient_descent          :func:`gradient_descent` (iterates, convergence and divergence detection)
stability_bound           :func:`stability_bound` (:math:`2/\lambda_{max}(H)`)
gradient_flow_test_error  :func:`gradient_flow_test_error` (proportional-limit learning curve of
                          gradient flow on isotropic Gaussian data, Marchenko-Pastur integrals)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_bool, check_finite, check_int, check_nonnegative, check_positive, check_tol
from ..citations import _cites
from ..results import Result

__all__ = [
    "LeastSquaresFit",
    "least_squares",
    "GradientFlow",
    "gradient_flow",
    "GradientDescentRun",
    "gradient_descent",
    "stability_bound",
    "gradient_flow_test_error",
]

#: largest number of gradient-descent steps accepted (a Python loop; more would never return)
MAX_STEPS = 10**8
#: gradient descent is declared divergent when the cost exceeds this factor times its reference scale
DIVERGENCE_FACTOR = 1e6
#: Marchenko-Pastur quadrature level (tanh-sinh, ~1e-15 for smooth integrands)
MP_LEVEL = 5


# ----------------------------------------------------------------------------------------- helpers


def _check_data(X, y) -> tuple[np.ndarray, np.ndarray]:
    """X as an (n, d) float array and y as (n,), finite, with matching rows."""
    Xa = np.asarray(check_finite("X", X), dtype=float)
    if Xa.ndim != 2 or Xa.shape[0] < 1 or Xa.shape[1] < 1:
        raise ValueError(f"X must be a 2-d (n, d) array with n, d >= 1, got shape {np.shape(X)}")
    ya = np.asarray(check_finite("y", y), dtype=float)
    if ya.ndim != 1:
        raise ValueError(f"y must be a 1-d array of shape (n,), got shape {np.shape(y)}")
    if ya.shape[0] != Xa.shape[0]:
        raise ValueError(
            f"X and y must have the same number of rows, got X with {Xa.shape[0]} rows and y with {ya.shape[0]}"
        )
    return Xa, ya


def _check_x(X) -> np.ndarray:
    Xa = np.asarray(check_finite("X", X), dtype=float)
    if Xa.ndim != 2 or Xa.shape[0] < 1 or Xa.shape[1] < 1:
        raise ValueError(f"X must be a 2-d (n, d) array with n, d >= 1, got shape {np.shape(X)}")
    return Xa


def _design(X: np.ndarray, intercept: bool) -> tuple[np.ndarray, np.ndarray]:
    """Design matrix Z ([1, X] with the intercept) and the 0/1 mask of penalised parameters."""
    if not intercept:
        return X, np.ones(X.shape[1])
    Z = np.hstack([np.ones((X.shape[0], 1)), X])
    mask = np.ones(Z.shape[1])
    mask[0] = 0.0
    return Z, mask


def _hessian(Z: np.ndarray, mask: np.ndarray, l2: float) -> np.ndarray:
    r""":math:`H = \frac2n Z^\top Z + 2\lambda\,\mathrm{diag}(mask)`, exactly symmetric."""
    H = 2.0 * (Z.T @ Z) / Z.shape[0]
    H = 0.5 * (H + H.T)
    H[np.diag_indices_from(H)] += 2.0 * l2 * mask
    return H


def _null_cut(h: np.ndarray, Z: np.ndarray) -> float:
    """Eigenvalues of H at or below this are numerically zero (null directions)."""
    hmax = float(np.max(np.abs(h))) if h.size else 0.0
    return max(Z.shape) * np.finfo(float).eps * hmax


def _check_w0(w0, d: int) -> np.ndarray:
    if w0 is None:
        return np.zeros(d)
    w = np.atleast_1d(np.asarray(check_finite("w0", w0), dtype=float))
    if w.shape != (d,):
        raise ValueError(f"w0 must have shape ({d},) (one entry per column of X), got shape {np.shape(w0)}")
    return w


def _cost(W: np.ndarray, Z: np.ndarray, y: np.ndarray, mask: np.ndarray, l2: float) -> np.ndarray:
    r""":math:`S = \frac1n|y - Zw|^2 + \lambda|Pw|^2` for parameters W of shape (..., p)."""
    R = y - W @ Z.T
    return np.mean(R * R, axis=-1) + l2 * np.sum(mask * W * W, axis=-1)


# ----------------------------------------------------------------------------------- least squares


@dataclass(frozen=True, repr=False)
class LeastSquaresFit(Result):
    r"""Minimiser of :math:`S = \frac1n|y - \beta_0 - X\beta|^2 + \lambda|\beta|^2` (:func:`least_squares`).

    Attributes
    ----------
    coef : (d,) :math:`\beta` (the minimum-norm minimiser when the normal equations are singular).
    intercept : :math:`\beta_0` (0 when ``intercept=False``).
    cost : S at the solution.
    residual_variance : :math:`\frac1n\sum_i (r_i - \bar r)^2` of the residuals
        :math:`r = y - \beta_0 - X\beta` (their mean is 0 when the intercept is fitted).
    rank : numerical rank of the (centred, with the intercept) design matrix.
    condition_number : :math:`\lambda_{max}/\lambda_{min}` of the normal-equations matrix
        :math:`X_c^\top X_c + n\lambda I` (inf when it is singular).
    l2 : the ridge penalty :math:`\lambda`.
    fit_intercept : whether :math:`\beta_0` was fitted.
    """

    coef: np.ndarray
    intercept: float
    cost: float
    residual_variance: float
    rank: int
    condition_number: float
    l2: float
    fit_intercept: bool


@_cites
def least_squares(X: ArrayLike, y: ArrayLike, l2: float = 0.0, intercept: bool = True) -> LeastSquaresFit:
    r"""Least-squares (ridge) fit by the normal equations.

    Minimises :math:`S(\beta_0,\beta) = \frac1n|y - \beta_0 - X\beta|^2 + \lambda|\beta|^2` (intercept
    unpenalised).  :math:`\partial S/\partial\beta_0 = 0` gives :math:`\beta_0 = \bar y - \bar x\cdot\beta`;
    with the centred data :math:`X_c = X - \bar x`, :math:`y_c = y - \bar y` the remaining conditions are
    the normal equations

    .. math:: (X_c^\top X_c + n\lambda I)\,\beta = X_c^\top y_c .

    They are solved through the SVD :math:`X_c = U\,\mathrm{diag}(\sigma)V^\top`,
    :math:`\beta = V\,\mathrm{diag}(\sigma/(\sigma^2 + n\lambda))\,U^\top y_c` (no squaring of the
    condition number); at :math:`\lambda = 0` singular values below
    :math:`\max(n, d)\,\epsilon\,\sigma_{max}` are dropped, which gives the minimum-norm solution
    :math:`X_c^+ y_c` when :math:`X_c^\top X_c` is singular.  For d = 1 this is the seed's
    eqs. (14)-(15), :math:`\beta_1 = \mathrm{cov}(x,y)/\mathrm{var}(x)`,
    :math:`\beta_0 = \langle y\rangle - \beta_1\langle x\rangle`.

    Parameters
    ----------
    X : (n, d) array_like
        Inputs, one row per sample.
    y : (n,) array_like
        Targets.
    l2 : float, default 0
        Ridge penalty :math:`\lambda \ge 0` on :math:`\beta`.
    intercept : bool, default True
        Fit :math:`\beta_0`; if False, :math:`\beta_0 = 0` and no centring is done.

    Returns
    -------
    LeastSquaresFit

    References
    ----------
    J. Pallister, "Machine Learning for the eager theorist" (2023), eqs. (6), (7), (14), (15);
    A. E. Hoerl & R. W. Kennard, Technometrics 12, 55 (1970) for the ridge term.
    """
    X, y = _check_data(X, y)
    l2 = check_nonnegative("l2", l2, scalar=True)
    intercept = check_bool("intercept", intercept)
    n, d = X.shape
    if intercept:
        x_mean, y_mean = X.mean(axis=0), float(y.mean())
        Xc, yc = X - x_mean, y - y_mean
    else:
        x_mean, y_mean = np.zeros(d), 0.0
        Xc, yc = X, y
    U, sig, Vt = np.linalg.svd(Xc, full_matrices=False)
    smax = float(sig[0]) if sig.size else 0.0
    cut = max(n, d) * np.finfo(float).eps * smax
    keep = sig > cut
    rank = int(np.count_nonzero(keep))
    factor = np.zeros_like(sig)
    with np.errstate(over="ignore", invalid="ignore"):  # checked below: a badly scaled X overflows
        if l2 > 0:
            factor = sig / (sig * sig + n * l2)
        else:
            factor[keep] = 1.0 / sig[keep]
        coef = Vt.T @ (factor * (U.T @ yc))
    if not np.all(np.isfinite(coef)):
        raise ValueError(
            f"X is too badly scaled: the least-squares coefficients overflow (singular values of X from "
            f"{smax:g} down to {float(sig[keep][-1]) if rank else 0.0:g}); rescale X"
        )
    b0 = y_mean - float(x_mean @ coef) if intercept else 0.0
    r = y - b0 - X @ coef
    cost = float(np.mean(r * r) + l2 * coef @ coef)
    # eigenvalues of X_c^T X_c + n l2 I: sigma_i^2 + n l2 on the kept directions, n l2 on the rest
    lam_max = smax * smax + n * l2
    lam_min = (float(sig[-1]) ** 2 if rank == d else 0.0) + n * l2
    cond = lam_max / lam_min if lam_min > 0 else np.inf
    coef.setflags(write=False)
    return LeastSquaresFit(
        coef=coef,
        intercept=float(b0),
        cost=cost,
        residual_variance=float(np.var(r)),
        rank=rank,
        condition_number=float(cond),
        l2=l2,
        fit_intercept=intercept,
    )


# ----------------------------------------------------------------------------------- gradient flow


@dataclass(frozen=True, repr=False)
class GradientFlow(Result):
    r"""Exact gradient flow :math:`\dot w = -\nabla S(w)` of the least-squares cost (:func:`gradient_flow`).

    Attributes
    ----------
    times : (T,) the times t.
    coef : (T, d) :math:`\beta(t)`.
    intercept : (T,) :math:`\beta_0(t)` (zeros when ``intercept=False``).
    cost : (T,) :math:`S(t)`.
    coef_limit, intercept_limit : the :math:`t\to\infty` limit :math:`w_\infty`.
    hessian_eigenvalues : (p,) eigenvalues :math:`h_i` of H (ascending; p = d, or d + 1 with the intercept).
    l2 : the ridge penalty.
    """

    times: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    cost: np.ndarray
    coef_limit: np.ndarray
    intercept_limit: float
    hessian_eigenvalues: np.ndarray
    l2: float


@_cites
def gradient_flow(
    X: ArrayLike,
    y: ArrayLike,
    t: ArrayLike,
    w0: ArrayLike | None = None,
    l2: float = 0.0,
    intercept: bool = False,
    intercept0: float = 0.0,
) -> GradientFlow:
    r"""Exact solution of the gradient flow :math:`\dot w = -\nabla S(w)` at the times ``t``.

    With :math:`S(w) = \frac1n|y - Zw|^2 + \lambda|Pw|^2` (Z = X, or [1, X] with the intercept, whose
    coefficient is not penalised), :math:`\nabla S = Hw - g` with :math:`H = \frac2n Z^\top Z + 2\lambda P`
    and :math:`g = \frac2n Z^\top y`.  In the eigenbasis :math:`H = \sum_i h_i u_iu_i^\top`

    .. math:: w(t) = w_\infty + e^{-tH}(w_0 - w_\infty),\qquad
              u_i\cdot w_\infty = \begin{cases} u_i\cdot g/h_i & h_i > 0\\ u_i\cdot w_0 & h_i = 0 \end{cases}

    (g has no component on the null space of H, which lies in that of Z, so there w does not move:
    :math:`w_\infty` is the minimum-norm minimiser plus the null-space part of :math:`w_0`).
    Eigenvalues below :math:`\max(n, p)\,\epsilon\,h_{max}` count as zero.  This is the flow of the
    seed's eqs. (12)-(13) with the sign corrected (descent).

    Parameters
    ----------
    X : (n, d) array_like
    y : (n,) array_like
    t : float or (T,) array_like
        Times :math:`t \ge 0`.
    w0 : (d,) array_like, optional
        Initial coefficients (default 0).
    l2 : float, default 0
        Ridge penalty :math:`\lambda \ge 0`.
    intercept : bool, default False
        Flow :math:`\beta_0` too (initial value ``intercept0``).
    intercept0 : float, default 0
        Initial intercept (used only with ``intercept=True``).

    Returns
    -------
    GradientFlow

    References
    ----------
    J. Pallister, "Machine Learning for the eager theorist" (2023), eqs. (8), (12), (13) (sign corrected);
    Ali, Kolter & Tibshirani, "A continuous-time view of early stopping for least squares",
    AISTATS 2019.
    """
    X, y = _check_data(X, y)
    times = np.atleast_1d(np.asarray(check_nonnegative("t", t), dtype=float))
    if times.ndim != 1:
        raise ValueError(f"t must be a scalar or a 1-d array of times, got shape {np.shape(t)}")
    l2 = check_nonnegative("l2", l2, scalar=True)
    intercept = check_bool("intercept", intercept)
    b0 = check_finite("intercept0", intercept0, scalar=True)
    d = X.shape[1]
    w_init = _check_w0(w0, d)
    Z, mask = _design(X, intercept)
    start = np.concatenate([[b0], w_init]) if intercept else w_init
    H = _hessian(Z, mask, l2)
    h, U = np.linalg.eigh(H)
    g = U.T @ (2.0 * (Z.T @ y) / Z.shape[0])
    c0 = U.T @ start
    null = h <= _null_cut(h, Z)
    c_inf = np.where(null, c0, g / np.where(null, 1.0, h))
    decay = np.exp(-np.outer(times, np.where(null, 0.0, h)))  # (T, p); underflows to 0 harmlessly
    W = (c_inf + decay * (c0 - c_inf)) @ U.T
    w_inf = U @ c_inf
    cost = _cost(W, Z, y, mask, l2)
    if intercept:
        coef, icpt, coef_inf, icpt_inf = W[:, 1:], W[:, 0], w_inf[1:], float(w_inf[0])
    else:
        coef, icpt, coef_inf, icpt_inf = W, np.zeros(times.size), w_inf, 0.0
    return GradientFlow(
        times=times,
        coef=np.ascontiguousarray(coef),
        intercept=np.ascontiguousarray(icpt),
        cost=cost,
        coef_limit=coef_inf,
        intercept_limit=icpt_inf,
        hessian_eigenvalues=h,
        l2=l2,
    )


# -------------------------------------------------------------------------------- gradient descent


def stability_bound(X: ArrayLike, l2: float = 0.0, intercept: bool = False) -> float:
    r"""Largest stable learning rate of gradient descent on the least-squares cost, :math:`2/\lambda_{max}(H)`.

    Gradient descent :math:`w_{k+1} = w_k - \eta(Hw_k - g)` multiplies the error along the eigenvector
    of eigenvalue :math:`h_i` by :math:`1 - \eta h_i` per step, so it converges iff
    :math:`|1-\eta h_i| < 1` for every :math:`h_i > 0`, i.e.

    .. math:: 0 < \eta < \eta_{max} = \frac{2}{\lambda_{max}(H)},\qquad H = \frac2n Z^\top Z + 2\lambda P .

    Parameters
    ----------
    X : (n, d) array_like
    l2 : float, default 0
        Ridge penalty, in [0, 1e300].
    intercept : bool, default False
        Include the (unpenalised) intercept column of ones in Z.

    Returns
    -------
    float
        :math:`2/\lambda_{max}(H)` (inf if H = 0).

    References
    ----------
    Y. Nesterov, "Lectures on Convex Optimization" (2nd ed., Springer 2018), sec. 1.2.3;
    the seed (J. Pallister 2023, sec. 4) notes that too large a rate "misses the minimum".
    """
    X = _check_x(X)
    l2 = check_nonnegative("l2", l2, scalar=True)
    if l2 > 1e300:  # 2 l2 would overflow the Hessian's diagonal and the bound 1/l2 underflow
        raise ValueError(f"l2 must be <= 1e300, got {l2:g}")
    intercept = check_bool("intercept", intercept)
    Z, mask = _design(X, intercept)
    hmax = float(np.linalg.eigvalsh(_hessian(Z, mask, l2))[-1])
    return 2.0 / hmax if hmax > 0 else float(np.inf)


@dataclass(frozen=True, repr=False)
class GradientDescentRun(Result):
    r"""Trajectory of gradient descent on the least-squares cost (:func:`gradient_descent`).

    Attributes
    ----------
    steps : (R,) step numbers k of the recorded iterates (0, ``record_every``, ..., and the last step).
    coef : (R, d) recorded :math:`\beta_k`.
    intercept : (R,) recorded :math:`\beta_{0,k}` (zeros when ``intercept=False``).
    cost : (R,) :math:`S(w_k)` at the recorded steps.
    grad_norm : :math:`|\nabla S|` at the last finite iterate.
    converged : :math:`|\nabla S(w_k)| \le` ``tol`` times the gradient scale at the end.
    diverged : the cost grew above 1e6 times its scale or stopped being finite; the run stopped there.
    n_steps : number of steps done (fewer than asked when it diverged).
    lr : the learning rate :math:`\eta`.
    lr_max : the stability bound :math:`2/\lambda_{max}(H)`.
    l2 : the ridge penalty.
    """

    steps: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    cost: np.ndarray
    grad_norm: float
    converged: bool
    diverged: bool
    n_steps: int
    lr: float
    lr_max: float
    l2: float


@_cites
def gradient_descent(
    X: ArrayLike,
    y: ArrayLike,
    lr: float,
    n_steps: int,
    w0: ArrayLike | None = None,
    l2: float = 0.0,
    record_every: int = 1,
    intercept: bool = False,
    tol: float = 1e-8,
    intercept0: float = 0.0,
) -> GradientDescentRun:
    r"""Gradient descent :math:`w_{k+1} = w_k - \eta\,\nabla S(w_k)` on the least-squares cost.

    :math:`S(w) = \frac1n|y - Zw|^2 + \lambda|Pw|^2`, :math:`\nabla S(w) = -\frac2n Z^\top(y - Zw)
    + 2\lambda Pw = Hw - g` (the seed's eq. (16) with the descent sign).  With :math:`w^*` a stationary
    point the error obeys :math:`w_k - w^* = (I - \eta H)^k (w_0 - w^*)`: along the eigenvector
    :math:`u_i` of H it is :math:`(1 - \eta h_i)^k` times its initial value, so the iterates converge iff
    :math:`\eta < 2/\lambda_{max}(H)` (:func:`stability_bound`) and for small :math:`\eta` follow the
    gradient flow at :math:`t = k\eta` up to :math:`O(\eta)`.

    Divergence: the run stops as soon as :math:`S(w_k)` is not finite or exceeds
    :math:`10^6\max(S(w_0), S(0))`, with ``diverged=True`` (the last recorded iterate is the last
    finite one).  Convergence (reported, the run is not cut short):
    :math:`|\nabla S(w_k)| \le \mathrm{tol}\,\max(|\nabla S(w_0)|, |\nabla S(0)|)` at the end.

    Parameters
    ----------
    X : (n, d) array_like
    y : (n,) array_like
    lr : float
        Learning rate :math:`\eta > 0` (rates above the stability bound are accepted and diverge).
    n_steps : int
        Number of steps, 1 <= n_steps <= 1e8.
    w0 : (d,) array_like, optional
        Initial coefficients (default 0).
    l2 : float, default 0
        Ridge penalty :math:`\lambda \ge 0`.
    record_every : int, default 1
        Record every ``record_every``-th iterate (step 0 and the last step are always recorded).
    intercept : bool, default False
        Descend on :math:`\beta_0` too (unpenalised; initial value ``intercept0``).
    tol : float, default 1e-8
        Relative gradient norm below which the run counts as converged.
    intercept0 : float, default 0
        Initial intercept (used only with ``intercept=True``).

    Returns
    -------
    GradientDescentRun

    References
    ----------
    J. Pallister, "Machine Learning for the eager theorist" (2023), eq. (16) (sign corrected);
    Y. Nesterov, "Lectures on Convex Optimization" (2nd ed., 2018), sec. 1.2.3.
    """
    X, y = _check_data(X, y)
    lr = check_positive("lr", lr, scalar=True)
    n_steps = check_int("n_steps", n_steps, minimum=1, maximum=MAX_STEPS)
    record_every = check_int("record_every", record_every, minimum=1, maximum=MAX_STEPS)
    l2 = check_nonnegative("l2", l2, scalar=True)
    intercept = check_bool("intercept", intercept)
    tol = check_tol("tol", tol)
    b0 = check_finite("intercept0", intercept0, scalar=True)
    w_init = _check_w0(w0, X.shape[1])
    Z, mask = _design(X, intercept)
    n = Z.shape[0]
    w = np.concatenate([[b0], w_init]) if intercept else w_init.copy()
    lr_max = stability_bound(X, l2, intercept)

    def grad_cost(v: np.ndarray) -> tuple[np.ndarray, float]:
        r = y - Z @ v
        return -2.0 * (Z.T @ r) / n + 2.0 * l2 * mask * v, float(r @ r / n + l2 * np.sum(mask * v * v))

    gradient, cost0 = grad_cost(w)
    scale_g = max(float(np.linalg.norm(gradient)), 2.0 * float(np.linalg.norm(Z.T @ y)) / n)
    limit = DIVERGENCE_FACTOR * max(cost0, float(y @ y) / n)
    steps, coefs, costs = [0], [w.copy()], [cost0]
    cost = cost0
    diverged = False
    done = 0
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, n_steps + 1):
            w_new = w - lr * gradient
            gradient_new, cost_new = grad_cost(w_new)
            done = k
            if not (np.isfinite(cost_new) and np.all(np.isfinite(w_new)) and np.all(np.isfinite(gradient_new))):
                diverged = True
                break
            w, gradient, cost = w_new, gradient_new, cost_new
            if cost > limit:
                diverged = True
                steps.append(k)
                coefs.append(w.copy())
                costs.append(cost)
                break
            if k % record_every == 0 or k == n_steps:
                steps.append(k)
                coefs.append(w.copy())
                costs.append(cost)
    with np.errstate(over="ignore"):  # inf for the last finite gradient of a diverged run
        grad_norm = float(np.linalg.norm(gradient))
    converged = (not diverged) and grad_norm <= tol * scale_g
    W = np.array(coefs)
    if intercept:
        coef, icpt = W[:, 1:], W[:, 0]
    else:
        coef, icpt = W, np.zeros(W.shape[0])
    return GradientDescentRun(
        steps=np.array(steps, dtype=int),
        coef=np.ascontiguousarray(coef),
        intercept=np.ascontiguousarray(icpt),
        cost=np.array(costs),
        grad_norm=grad_norm,
        converged=bool(converged),
        diverged=diverged,
        n_steps=done,
        lr=lr,
        lr_max=lr_max,
        l2=l2,
    )


# ------------------------------------------------------------------- proportional-limit learning curve


@_cites
def gradient_flow_test_error(
    alpha: ArrayLike, t: ArrayLike, noise_variance: float = 0.0, rho: float = 1.0
) -> np.ndarray:
    r"""Test error of gradient flow from :math:`\theta = 0` on isotropic Gaussian data, n, d -> inf, n/d = alpha.

    Model: :math:`x\sim N(0, I_d)`, :math:`y = x\cdot\theta^* + \sqrt\Delta\,\xi`, :math:`|\theta^*|^2 = \rho`
    (:math:`\theta^* = w^*/\sqrt d` in the library's :math:`z = x\cdot w/\sqrt d` convention), training loss
    :math:`L(\theta) = \frac1{2n}\sum_\mu(y_\mu - x_\mu\cdot\theta)^2` with Hessian
    :math:`\hat\Sigma = X^\top X/n`, flow :math:`\dot\theta = -\nabla L`, test error
    :math:`\varepsilon(t) = \mathbb E(y_{new} - x\cdot\theta(t))^2 = \Delta + |\theta(t) - \theta^*|^2`.
    (:func:`gradient_flow` descends :math:`S = 2L`, so it reaches :math:`\theta(t)` at time t/2.)

    Derivation.  With :math:`e = \theta - \theta^*` and :math:`b = \sqrt\Delta X^\top\xi/n`,
    :math:`\dot e = -\hat\Sigma e + b`, :math:`e(0) = -\theta^*`.  In the eigenbasis
    :math:`\hat\Sigma = \sum_i s_iv_iv_i^\top`,

    .. math:: v_i\cdot e(t) = -e^{-ts_i}\,v_i\cdot\theta^* + \frac{1 - e^{-ts_i}}{s_i}\,v_i\cdot b

    (on :math:`s_i = 0`, :math:`v_i\cdot b = 0` and the error stays :math:`-v_i\cdot\theta^*`).  Averaging
    over the noise (:math:`\mathbb E\,bb^\top = \Delta\hat\Sigma/n`, cross term zero) and over the
    direction of :math:`\theta^*` (:math:`\mathbb E(v_i\cdot\theta^*)^2 = \rho/d`), and letting the
    empirical spectrum of :math:`\hat\Sigma` tend to the Marchenko-Pastur law :math:`\mu_c` of ratio
    :math:`c = d/n = 1/\alpha` (density :math:`\sqrt{(b-s)(s-a)}/(2\pi cs)` on
    :math:`[(1-\sqrt c)^2, (1+\sqrt c)^2]`, plus an atom of mass :math:`1-\alpha` at s = 0 when
    :math:`\alpha < 1`):

    .. math::
        \varepsilon(t) = \Delta + \rho\int e^{-2ts}\,d\mu_c(s)
                         + \frac{\Delta}{\alpha}\int \frac{(1 - e^{-ts})^2}{s}\,d\mu_c(s),

    where the bias integral includes the atom (it contributes :math:`\rho(1-\alpha)` at every t: the
    part of :math:`\theta^*` outside the row space is never learned) and the variance integrand vanishes
    at s = 0 (the atom contributes nothing).  Checks: :math:`\varepsilon(0) = \Delta + \rho`; as
    :math:`t\to\infty`, :math:`\varepsilon = \Delta\alpha/(\alpha-1)` for :math:`\alpha > 1` (least
    squares, :math:`\int s^{-1}d\mu_c = \alpha/(\alpha-1)`) and
    :math:`\Delta + \rho(1-\alpha) + \Delta\alpha/(1-\alpha)` for :math:`\alpha < 1` (the min-norm
    interpolator).  The integrals use the tanh-sinh quadrature of
    :func:`statmech_learn.gibbs.spectra.marchenko_pastur` (level 5, ~1e-15).

    Parameters
    ----------
    alpha : float or array_like
        Samples per dimension :math:`\alpha = n/d > 0`.
    t : float or array_like
        Times :math:`t \ge 0` (finite), broadcast with ``alpha``.
    noise_variance : float, default 0
        Label-noise variance :math:`\Delta \ge 0`.
    rho : float, default 1
        Teacher norm :math:`|\theta^*|^2 \ge 0` (the teacher prior's variance).

    Returns
    -------
    ndarray
        :math:`\varepsilon(\alpha, t)`, of the broadcast shape of ``alpha`` and ``t``.

    References
    ----------
    V. A. Marchenko & L. A. Pastur, Math. USSR Sb. 1, 457 (1967);
    T. Hastie, A. Montanari, S. Rosset & R. J. Tibshirani, Ann. Stat. 50, 949 (2022), secs. 3-4;
    A. Ali, J. Z. Kolter & R. J. Tibshirani, AISTATS 2019 (gradient flow as early-stopped ridge);
    M. S. Advani, A. M. Saxe & H. Sompolinsky, Neural Networks 132, 428 (2020).
    """
    from ..gibbs.spectra import marchenko_pastur

    a = check_positive("alpha", alpha)
    if np.any(np.asarray(a) < 1e-300):  # the Marchenko-Pastur ratio 1 / alpha must be a double
        raise ValueError(f"alpha must be >= 1e-300, got {float(np.min(a)):g}")
    tt = check_nonnegative("t", t)
    delta = check_nonnegative("noise_variance", noise_variance, scalar=True)
    rho = check_nonnegative("rho", rho, scalar=True)
    try:
        A, T = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(tt, dtype=float))
    except ValueError:
        raise ValueError(f"alpha and t must broadcast together, got shapes {np.shape(a)} and {np.shape(tt)}") from None
    out = np.empty(A.shape)
    flat_a, flat_t, flat_o = A.ravel(), T.ravel(), out.reshape(-1)
    values, inverse = np.unique(flat_a, return_inverse=True)
    for j, av in enumerate(values):
        sel = inverse.ravel() == j
        s, w, atom = marchenko_pastur(1.0 / av, level=MP_LEVEL)
        with np.errstate(over="ignore"):  # t s = inf: the t -> inf limits exp(-2ts) = 0, 1 - exp(-ts) = 1
            ts = flat_t[sel][:, None] * s[None, :]
        one_minus = -np.expm1(-ts)
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below
            bias = rho * (np.exp(-2.0 * ts) @ w + atom)
            variance = delta / av * ((one_minus * one_minus / s) @ w)
            flat_o[sel] = delta + bias + variance
    if not np.all(np.isfinite(out)):
        raise ValueError(
            f"the test error overflows double precision: noise_variance = {delta:g} and rho = {rho:g} are too large"
        )
    return out
