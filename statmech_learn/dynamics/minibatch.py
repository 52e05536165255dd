r"""Simulated SGD: quadratic losses with Gaussian gradient noise, and real minibatch SGD on linear regression.

Both problems run many independent chains at once (arrays of shape
(n_chains, d)); after a burn-in, the stationary mean and covariance are
estimated with standard errors from the spread over chains
(:mod:`statmech_learn.dynamics._chains`) and compared with the Lyapunov
prediction of :func:`~statmech_learn.dynamics.sgd_stationary`.

**Linear regression.**  Loss :math:`L(w) = \frac{1}{2n}\sum_j (y_j - x_j\cdot w)^2`,
Hessian :math:`H = X^\top X/n`, minimum the least-squares solution :math:`w^*`,
per-sample gradients :math:`g_j(w) = x_j(x_j\cdot w - y_j)`.  A step draws a
minibatch of B indices uniformly **with replacement** (so the B gradients are
i.i.d. and the minibatch noise covariance is exactly :math:`\frac1B\mathrm{Cov}_j g_j`)
and sets :math:`w \leftarrow w - P\,\frac1B\sum_b g_{j_b}(w)`.  Writing
:math:`\delta = w - w^*` and :math:`r_j = x_j\cdot w^* - y_j` (so
:math:`\sum_j x_j r_j = 0`), :math:`g_j = x_jx_j^\top\delta + x_j r_j` and

.. math:: \mathrm{Cov}_j\, g_j(w) = \Sigma^* + \underbrace{\tfrac1n\textstyle\sum_j x_jx_j^\top\delta r_j x_j^\top
          + (\cdot)^\top}_{\text{linear in }\delta}
          + \underbrace{\tfrac1n\textstyle\sum_j (x_j^\top\delta)^2 x_jx_j^\top - H\delta\delta^\top H}_{O(|\delta|^2)},
          \qquad \Sigma^* = \tfrac1n\textstyle\sum_j r_j^2\, x_jx_j^\top .

The prediction :func:`sgd_stationary` (H, :math:`\Sigma^*/B`, lr) uses the noise
at the minimum, :math:`\Sigma^*`.  In the stationary state
:math:`\mathbb E\delta = 0` exactly and :math:`\mathbb E\delta\delta^\top = C`, so
the average noise covariance is :math:`\Sigma^* + M(C)` with
:math:`M(C) = \frac1n\sum_j (x_j^\top C x_j)\,x_jx_j^\top - HCH`, and C obeys the
closed linear equation

.. math:: C = (I-PH)\,C\,(I-PH)^\top + \tfrac1B\,P\,(\Sigma^* + M(C))\,P

(:meth:`LinearRegression.stationary_covariance`, exact for this sampling
scheme).  Since :math:`C = O(\eta)`, the noise-at-the-minimum prediction is off
by a relative :math:`O(\eta\,\mathrm{tr}(H)/B)`; a noiseless (interpolating)
problem has :math:`\Sigma^* = 0` and C = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_rng, check_finite, check_int, check_nonnegative
from ..citations import _cites
from ..results import Result
from ._chains import ChainRecorder
from ._checks import check_lr, check_spd
from .stationary import SGDStationary, sgd_stationary

__all__ = ["QuadraticProblem", "LinearRegression", "SGDSimulation", "simulate_sgd"]

#: largest number of stored sample entries (n_chains x kept steps x d) accepted
MAX_STORED = 200_000_000
#: largest dimension of the exact linear-regression covariance equation (a d^2 x d^2 solve)
MAX_EXACT_DIM = 60


@dataclass(frozen=True, repr=False, eq=False)
class QuadraticProblem:
    r"""Quadratic loss :math:`\tfrac12(w-w^*)^\top H(w-w^*)` whose per-sample gradient has additive
    Gaussian noise of covariance ``noise_cov`` (a minibatch of B samples: :math:`\Sigma/B`).

    Parameters
    ----------
    hessian, noise_cov : (d, d) array_like or float
        Symmetric positive-definite H and :math:`\Sigma`.
    minimum : (d,) array_like, optional
        :math:`w^*` (default 0).
    """

    hessian: np.ndarray
    noise_cov: np.ndarray
    minimum: np.ndarray

    def __init__(self, hessian, noise_cov, minimum=None) -> None:
        H = check_spd("hessian", hessian)
        S = check_spd("noise_cov", noise_cov, H.shape[0])
        w0 = np.zeros(H.shape[0]) if minimum is None else np.atleast_1d(check_finite("minimum", minimum))
        if w0.shape != (H.shape[0],):
            raise ValueError(f"minimum must have shape ({H.shape[0]},), got {np.shape(minimum)}")
        object.__setattr__(self, "hessian", H)
        object.__setattr__(self, "noise_cov", S)
        object.__setattr__(self, "minimum", np.asarray(w0, dtype=float))

    @property
    def dim(self) -> int:
        return self.hessian.shape[0]

    def noise_at_minimum(self, batch_size: int = 1) -> np.ndarray:
        """Gradient-noise covariance of one step, :math:`\\Sigma/B`."""
        return self.noise_cov / batch_size

    def predict(self, lr, batch_size: int = 1) -> SGDStationary:
        """:func:`sgd_stationary` (H, :math:`\\Sigma/B`, lr): exact for this problem."""
        return sgd_stationary(self.hessian, self.noise_at_minimum(batch_size), lr)

    def _sampler(self, batch_size: int, n_chains: int, rng: np.random.Generator):
        L = np.linalg.cholesky(self.noise_cov / batch_size)
        H, w0, d = self.hessian, self.minimum, self.dim
        block = {"z": np.empty((0, n_chains, d)), "i": 0}

        def grad(W):
            if block["i"] == block["z"].shape[0]:
                block["z"] = rng.standard_normal((256, n_chains, d)) @ L.T
                block["i"] = 0
            xi = block["z"][block["i"]]
            block["i"] += 1
            return (W - w0) @ H + xi

        return grad

    def __repr__(self) -> str:
        return f"QuadraticProblem(d={self.dim})"


@dataclass(frozen=True, repr=False, eq=False)
class LinearRegression:
    r"""Least squares :math:`L(w) = \frac{1}{2n}\sum_j (y_j - x_j\cdot w)^2` on data (X, y).

    Parameters
    ----------
    X : (n, d) array_like
        Inputs, rank d (so that H = X^T X / n is positive definite).
    y : (n,) array_like
        Targets.

    Attributes
    ----------
    hessian : :math:`X^\top X/n`.  minimum : the least-squares solution :math:`w^*`.
    residuals : :math:`r_j = x_j\cdot w^* - y_j`.
    """

    X: np.ndarray
    y: np.ndarray
    hessian: np.ndarray
    minimum: np.ndarray
    residuals: np.ndarray

    def __init__(self, X, y) -> None:
        X = np.asarray(check_finite("X", X), dtype=float)
        y = np.asarray(check_finite("y", y), dtype=float)
        if X.ndim != 2 or X.shape[0] < 1:
            raise ValueError(f"X must be an (n, d) array, got shape {X.shape}")
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
        H = X.T @ X / X.shape[0]
        H = check_spd("hessian X^T X / n", H)
        w_star = np.linalg.solve(H, X.T @ y / X.shape[0])
        for name, val in (("X", X), ("y", y), ("hessian", H), ("minimum", w_star), ("residuals", X @ w_star - y)):
            object.__setattr__(self, name, val)

    @classmethod
    def random(cls, n: int, d: int, noise: float = 0.5, rng=None, teacher=None) -> LinearRegression:
        r"""Gaussian data :math:`x_j \sim N(0, I_d)`, :math:`y_j = x_j\cdot w_0 + \text{noise}\,\epsilon_j`,
        :math:`w_0 \sim N(0, I_d/d)` unless ``teacher`` is given."""
        n = check_int("n", n, minimum=2, maximum=10**8)
        d = check_int("d", d, minimum=1, maximum=10**4)
        if n < d:
            raise ValueError(f"n must be >= d = {d} (H = X^T X / n must be positive definite), got {n}")
        noise = check_nonnegative("noise", noise, scalar=True)
        rng = as_rng(rng)
        w0 = rng.standard_normal(d) / np.sqrt(d) if teacher is None else np.asarray(check_finite("teacher", teacher))
        X = rng.standard_normal((n, d))
        return cls(X, X @ w0 + noise * rng.standard_normal(n))

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def dim(self) -> int:
        return self.X.shape[1]

    def loss(self, w: ArrayLike) -> np.ndarray:
        """Training loss at ``w`` of shape (..., d)."""
        res = np.asarray(w, dtype=float) @ self.X.T - self.y
        return 0.5 * np.mean(res * res, axis=-1)

    def noise_at_minimum(self, batch_size: int = 1) -> np.ndarray:
        r""":math:`\Sigma^*/B = \frac{1}{Bn}\sum_j r_j^2 x_jx_j^\top` (the mean gradient vanishes at :math:`w^*`)."""
        X, r = self.X, self.residuals
        return (X * (r * r)[:, None]).T @ X / (self.n * batch_size)

    def predict(self, lr, batch_size: int = 1) -> SGDStationary:
        """:func:`sgd_stationary` (H, :math:`\\Sigma^*/B`, lr): gradient noise evaluated at the minimum."""
        return sgd_stationary(self.hessian, self.noise_at_minimum(batch_size), lr)

    def stationary_covariance(self, lr, batch_size: int = 1) -> np.ndarray:
        r"""Exact stationary covariance of minibatch SGD with replacement (module docstring).

        Solves :math:`C = (I-PH)C(I-PH)^\top + \frac1B P(\Sigma^* + M(C))P` as a
        :math:`d^2\times d^2` linear system.  Raises ValueError (naming ``lr``) when
        the second moments diverge (spectral radius of the linear map >= 1), which
        the multiplicative noise can cause below the bound :math:`2/\lambda_{max}(H)`.
        """
        B = check_int("batch_size", batch_size, minimum=1)
        d = self.dim
        if d > MAX_EXACT_DIM:
            raise ValueError(f"the exact covariance solves a d^2 x d^2 system: d must be <= {MAX_EXACT_DIM}, got {d}")
        P, _, _ = check_lr(lr, self.hessian)
        H, X = self.hessian, self.X
        A = np.eye(d) - P @ H
        Z = np.einsum("ji,jk->jik", X, X).reshape(self.n, d * d)  # rows vec(x x^T)
        K = Z.T @ Z / self.n  # vec(K(C)) = K vec(C)
        PP = np.kron(P, P)
        lin = np.kron(A, A) + PP @ (K - np.kron(H, H)) / B
        rho = float(np.max(np.abs(np.linalg.eigvals(lin))))
        if not rho < 1.0:
            raise ValueError(
                f"lr gives diverging second moments of minibatch SGD (spectral radius {rho:.6g} >= 1 "
                f"with batch_size {B}); got lr = {lr}"
            )
        rhs = PP @ (self.noise_at_minimum(1).reshape(-1)) / B
        C = np.linalg.solve(np.eye(d * d) - lin, rhs).reshape(d, d)
        return 0.5 * (C + C.T)

    def _sampler(self, batch_size: int, n_chains: int, rng: np.random.Generator):
        X, y, n = self.X, self.y, self.n
        block = {"idx": np.empty((0, n_chains, batch_size), dtype=np.intp), "i": 0}

        def grad(W):
            if block["i"] == block["idx"].shape[0]:  # minibatch indices by blocks of steps
                block["idx"] = rng.integers(
                    0, n, size=(max(1, 65536 // (n_chains * batch_size)) + 1, n_chains, batch_size)
                )
                block["i"] = 0
            idx = block["idx"][block["i"]]
            block["i"] += 1
            Xb = np.take(X, idx, axis=0)  # (K, B, d)
            res = np.einsum("kbd,kd->kb", Xb, W) - np.take(y, idx)
            return np.einsum("kbd,kb->kd", Xb, res) / batch_size

        return grad

    def __repr__(self) -> str:
        return f"LinearRegression(n={self.n}, d={self.dim})"


@dataclass(frozen=True, repr=False)
class SGDSimulation(Result):
    r"""Stationary statistics of simulated SGD, with the Lyapunov prediction.

    Attributes
    ----------
    mean, mean_stderr : (d,) stationary mean and its standard error (spread over chains).
    covariance, covariance_stderr : (d, d) stationary covariance (about the pooled mean) and its
        standard error from the spread of the per-chain estimates over the independent chains.
    autocorr_time : (d,) integrated autocorrelation time :math:`1 + 2\sum_k\rho_k` of each coordinate, in steps.
    samples : (n_chains, steps // thin, d) every ``thin``-th state after burn-in.
    prediction : :class:`SGDStationary` with the gradient noise at the minimum.
    covariance_exact : (d, d) exact stationary covariance where known (quadratic problem: the
        prediction's; linear regression: :meth:`LinearRegression.stationary_covariance`, NaN if d is
        too large for it, inf where the multiplicative noise makes the second moments diverge).
    lr, batch_size, steps, burn_in, thin, n_chains : the run's settings.
    problem : repr of the problem.
    """

    mean: np.ndarray
    mean_stderr: np.ndarray
    covariance: np.ndarray
    covariance_stderr: np.ndarray
    autocorr_time: np.ndarray
    samples: np.ndarray
    prediction: SGDStationary
    covariance_exact: np.ndarray
    lr: object
    batch_size: int
    steps: int
    burn_in: int
    thin: int
    n_chains: int
    problem: str

    def zscores(self, reference: ArrayLike | None = None) -> np.ndarray:
        """(covariance - reference) / covariance_stderr; reference defaults to the prediction's covariance."""
        ref = self.prediction.covariance if reference is None else np.asarray(reference, dtype=float)
        return (self.covariance - ref) / self.covariance_stderr


def _default_burn_in(P: np.ndarray, H: np.ndarray) -> int:
    r"""Steps after which the covariance built from a start at the minimum is within 1e-6 of
    stationary: :math:`r^{2t} \le 10^{-6}`, r the spectral radius of I - PH."""
    r = float(np.max(np.abs(1.0 - np.linalg.eigvals(P @ H).real)))
    return int(np.ceil(np.log(1e-6) / (2.0 * np.log(r)))) if 0 < r < 1 else 1


@_cites
def simulate_sgd(
    problem: QuadraticProblem | LinearRegression,
    lr,
    steps: int,
    batch_size: int = 1,
    n_chains: int = 100,
    rng=None,
    *,
    burn_in: int | None = None,
    thin: int | None = None,
    init: ArrayLike | None = None,
) -> SGDSimulation:
    r"""Run SGD on ``problem`` with ``n_chains`` independent chains and measure its stationary law.

    Update :math:`w \leftarrow w - P\,\hat g(w)` with P = lr (scalar), diag(lr)
    (per-parameter rates) or the matrix lr.  :class:`LinearRegression`:
    :math:`\hat g` is the mean gradient of a minibatch of ``batch_size`` samples
    drawn uniformly with replacement (module docstring); :class:`QuadraticProblem`:
    :math:`\hat g = H(w-w^*) + \xi`, :math:`\xi \sim N(0, \Sigma/B)`.

    Parameters
    ----------
    problem : QuadraticProblem or LinearRegression
    lr : float, (d,) or (d, d) array_like
        Learning rate(s), within the stability bound :math:`\lambda_{max}(P^{1/2}HP^{1/2}) < 2`
        (scalar: :math:`\mathrm{lr} < 2/\lambda_{max}(H)`).
    steps : int
        Recorded steps after burn-in.
    batch_size : int
        Minibatch size B.
    n_chains : int
        Independent chains (>= 2 for standard errors), advanced together.
    rng : seed or Generator
    burn_in : int, optional
        Steps discarded first (default: until a covariance built up from the start at the minimum is
        stationary to 1e-6, :math:`\lceil \ln 10^{-6}/(2\ln r)\rceil`, r the spectral radius of I - PH).
    thin : int, optional
        Keep every thin-th state in ``samples`` (default: at most 1000 per chain).  The moments use every step.
    init : (d,) or (n_chains, d) array_like, optional
        Start (default: the minimum).

    Returns
    -------
    SGDSimulation
    """
    if not isinstance(problem, (QuadraticProblem, LinearRegression)):
        raise ValueError(f"problem must be a QuadraticProblem or a LinearRegression, got {problem!r}")
    H, d = problem.hessian, problem.dim
    P, kind, _ = check_lr(lr, H)
    steps = check_int("steps", steps, minimum=1, maximum=10**9)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=10**6)
    n_chains = check_int("n_chains", n_chains, minimum=1, maximum=10**7)
    burn_in = _default_burn_in(P, H) if burn_in is None else check_int("burn_in", burn_in, minimum=0, maximum=10**9)
    thin = max(1, steps // 1000) if thin is None else check_int("thin", thin, minimum=1, maximum=10**9)
    if n_chains * (steps // thin) * d > MAX_STORED:
        raise ValueError(
            f"thin must be >= {int(np.ceil(n_chains * steps * d / MAX_STORED))} to keep at most "
            f"{MAX_STORED} stored entries (n_chains x steps/thin x d), got {thin}"
        )
    rng = as_rng(rng)
    W = np.broadcast_to(problem.minimum, (n_chains, d)).copy()
    if init is not None:
        w_init = np.asarray(check_finite("init", init), dtype=float)
        if w_init.shape not in ((d,), (n_chains, d)):
            raise ValueError(f"init must have shape ({d},) or ({n_chains}, {d}), got {w_init.shape}")
        W[:] = w_init
    grad = problem._sampler(batch_size, n_chains, rng)
    lr_vec = P.diagonal().copy() if kind != "matrix" else None
    rec = ChainRecorder(n_chains, d, steps, thin, center=problem.minimum)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(burn_in + steps):
            g = grad(W)
            W -= g * lr_vec if lr_vec is not None else g @ P
            if t % 64 == 0 and not np.all(np.isfinite(W)):
                raise FloatingPointError(
                    f"SGD diverged at step {t} (lr = {lr}, batch_size = {batch_size}): "
                    "the second moments are unstable at this rate"
                )
            if t >= burn_in:
                rec.push(W)
    if not np.all(np.isfinite(W)):
        raise FloatingPointError(
            f"SGD diverged (lr = {lr}, batch_size = {batch_size}): the second moments are unstable at this rate"
        )
    s = rec.summary()
    pred = problem.predict(lr, batch_size)
    if isinstance(problem, LinearRegression):
        try:
            exact = problem.stationary_covariance(lr, batch_size) if d <= MAX_EXACT_DIM else np.full((d, d), np.nan)
        except ValueError:
            exact = np.full((d, d), np.inf)
    else:
        exact = pred.covariance
    return SGDSimulation(
        mean=s["mean"],
        mean_stderr=s["mean_stderr"],
        covariance=s["covariance"],
        covariance_stderr=s["covariance_stderr"],
        autocorr_time=s["autocorr_time"],
        samples=s["samples"],
        prediction=pred,
        covariance_exact=exact,
        lr=pred.lr,
        batch_size=batch_size,
        steps=steps,
        burn_in=burn_in,
        thin=thin,
        n_chains=n_chains,
        problem=repr(problem),
    )
