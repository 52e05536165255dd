r"""Generalised approximate message passing (GAMP) and its state evolution.

GAMP (Rangan 2011, "Generalized approximate message passing for estimation
with random linear mixing", ISIT, 2168) estimates the posterior mean of the
teacher's weights from one instance :math:`(X, y)` of a teacher-student
generalised linear model.  In the notation of Zdeborova & Krzakala (2016, Adv.
Phys. 65, 453, sec. 6) and of the GAMP algorithm of Barbier, Krzakala, Macris,
Miolane & Zdeborova (2019, PNAS 116, 5451), with :math:`F = X/\sqrt N` (so that
the preactivation is :math:`z = F w`, see ``docs/conventions.md``), one
iteration reads

.. math::
    V^t &= F^{\circ 2}\, \hat v^t, \qquad
    \omega^t = F \hat w^t - V^t \circ g^{t-1},\\
    g^t &= g_{out}(y, \omega^t, V^t), \qquad
    \Lambda^t = -(F^{\circ 2})^\top \partial_\omega g_{out}(y, \omega^t, V^t),\\
    B^t &= F^\top g^t + \Lambda^t \circ \hat w^t, \qquad
    \hat w^{t+1} = f_a(B^t, \Lambda^t), \qquad \hat v^{t+1} = f_v(B^t, \Lambda^t),

where :math:`F^{\circ 2}` is the entry-wise square, :math:`g^{0} = 0`,
:math:`f_a, f_v` are :meth:`Prior.mean` and :meth:`Prior.variance` and
:math:`g_{out}, \partial g_{out}` are :meth:`Channel.g_out` and
:meth:`Channel.dg_out`; the term :math:`-V^t g^{t-1}` is the Onsager reaction.
The uninformed start is the prior itself, :math:`\hat w^1 = f_a(0, 0)` and
:math:`\hat v^1 = f_v(0, 0)` (mean and variance of :math:`P_0`).

In the limit :math:`N\to\infty` at fixed :math:`\alpha = P/N` the overlaps of
the iterates follow the *state evolution* (Bayati & Montanari 2011, IEEE Trans.
Inf. Theory 57, 764; Rangan 2011 and Javanmard & Montanari 2013, Inf. Inference 2,
115, for GAMP): in the Bayes-optimal
case :math:`m_t = q_t = \rho - V_t` with

.. math::
    \hat q_t = \alpha\, \mathbb E\, g_{out}^2(y, \sqrt{q_t}\,\xi, V_t), \qquad
    V_{t+1} = \mathbb E\, f_v(\hat q_t w^* + \sqrt{\hat q_t}\,\xi, \hat q_t),

which is the undamped iteration of the replica-symmetric equations of
:mod:`statmech_learn.replica.glm` started at :math:`V_0 = \rho` (one step of
the state evolution is one GAMP iteration).  Its fixed point reached from the
uninformed start is the "uninformed branch"; for the binary perceptron with a
sign teacher it is the algorithm's answer up to the spinodal
:math:`\alpha_{sp} \approx 1.493`, above which GAMP reaches perfect recovery
(Barbier et al. 2019).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_rng, check_bool, check_choice, check_finite, check_int, check_positive, check_tol
from ..citations import _cites
from ..errors import ConvergenceError, ConvergenceWarning
from ..results import Result
from .glm import _V_FLOOR, MAX_ITER_LIMIT, _check_alpha, _equations, _generalization
from .models import TeacherStudent

__all__ = ["AMPRun", "StateEvolution", "CommitteeAMPRun", "CommitteeStateEvolution", "amp", "state_evolution"]

#: floor of the channel variance V (relative to rho): when the posterior has collapsed
#: (v_hat = 0) the channel functions would divide by zero; 1e-18 keeps g_out ~ omega / V
#: far from overflow for preactivations of order one
_VAR_FLOOR = 1e-18
#: an iteration that multiplies the mean variance by more than this, starting from a
#: collapsed posterior (total variance sum_i v_i <= rho), is a breakdown, not a step
_BREAKDOWN = 10.0
#: largest number of weights of a simulated instance (the dense P x N inputs must fit in memory)
MAX_WEIGHTS = 10**7
#: largest number of entries P * N of a simulated input matrix (4 GB of float64)
MAX_ENTRIES = 5 * 10**8


def check_patterns(alpha: float, n: int) -> int:
    """Number of patterns P = round(alpha n) of an instance, >= 1 and of a size that fits in memory."""
    P = alpha * n
    if P < 0.5:
        raise ValueError(f"alpha * n must round to at least one pattern, got alpha = {alpha:g}, n = {n}")
    if P * n > MAX_ENTRIES:
        raise ValueError(
            f"alpha * n^2 = {P * n:.3g} input entries exceed {MAX_ENTRIES:.0e} (4 GB): got alpha = {alpha:g}, n = {n}"
        )
    return int(round(P))


#: standard deviation (relative to sqrt(rho)) of the noise added to w* by init="informed"
_INFORMED_NOISE = 1e-3


@dataclass(frozen=True, repr=False)
class AMPRun(Result):
    """GAMP on one instance.

    Attributes
    ----------
    alpha : load P/N of the instance.
    n : number of weights N.
    m, q : final overlaps :math:`\\hat w\\cdot w^*/N` and :math:`\\hat w\\cdot\\hat w/N`
        (m is NaN when the teacher is unknown).
    mse : :math:`|\\hat w - w^*|^2/N` (NaN when the teacher is unknown).
    m_history, q_history, v_history : overlaps and mean posterior variance
        :math:`\\sum_i \\hat v_i/N` of the iterates; index 0 is the start, index t
        the iterate after t GAMP iterations (the same indexing as
        :class:`StateEvolution`).
    n_iter : number of GAMP iterations performed.
    converged : whether the root-mean-square change of :math:`\\hat w` fell below ``tol``.
    residual : that change at the last iteration (NaN if the iteration broke down).
    generalization_error : the error of the final estimate on a fresh sample, from
        the instance's own overlaps with :math:`\\rho_N = |w^*|^2/N` (exact for
        Gaussian inputs): 0-1 error :math:`\\arccos(m/\\sqrt{\\rho_N q})/\\pi` for
        labels ±1, test mean squared error :math:`\\rho_N - 2m + q + \\Delta` for
        regression.
    message : why the iteration stopped.
    model : repr of the model.
    """

    alpha: float
    n: int
    m: float
    q: float
    mse: float
    m_history: np.ndarray
    q_history: np.ndarray
    v_history: np.ndarray
    n_iter: int
    converged: bool
    residual: float
    generalization_error: float
    message: str
    model: str


@dataclass(frozen=True, repr=False)
class StateEvolution(Result):
    """State evolution of Bayes-optimal GAMP (scalars and 1-d histories for scalar alpha).

    Attributes
    ----------
    alpha : load(s).
    q_history, m_history, V_history : trajectories, iteration along the last
        axis (index 0 is the start :math:`V_0`); :math:`m_t = q_t = \\rho - V_t`.
    q : final overlap.
    converged : relative change of V in one step reached ``tol`` (or V reached
        the floor of perfect recovery).
    n_iter : number of steps (the length of every history minus one).
    residual : relative change of V in the last step taken (0 at the floor).
    model : repr of the model.
    """

    alpha: object
    q_history: np.ndarray
    m_history: np.ndarray
    V_history: np.ndarray
    q: object
    converged: object
    n_iter: int
    residual: object
    model: str


@dataclass(frozen=True, repr=False)
class CommitteeAMPRun(Result):
    r"""Committee AMP on one instance (the matrix form of :class:`AMPRun`).

    Attributes
    ----------
    alpha, n : load P/N and number of inputs N.
    q, m : final overlaps :math:`\hat W^\top\hat W/N` and :math:`\hat W^\top W^*/N` (K x K; m is NaN
        without the teacher).
    q_diagonal, q_offdiagonal : :math:`q_d, q_a` of q (least squares in :math:`q_d I + q_a 11^\top/K`), the
        permutation-invariant parts compared with :class:`CommitteeStateEvolution`.
    q_history : q of the iterates (n_iter + 1, K, K), index 0 the start.
    mse : :math:`|\hat W - W^*|^2/(NK)` (NaN without the teacher).
    generalization_error : the channel's Bayes error at the instance's overlap q (exact for Gaussian inputs
        under the Nishimori identity m = q; NaN without the teacher).
    n_iter, converged, residual, message : as in :class:`AMPRun` (residual: root-mean-square change of
        :math:`\hat W`).
    model : repr of the model.
    """

    alpha: float
    n: int
    q: np.ndarray
    m: np.ndarray
    q_diagonal: float
    q_offdiagonal: float
    q_history: np.ndarray
    mse: float
    generalization_error: float
    n_iter: int
    converged: bool
    residual: float
    message: str
    model: str


@dataclass(frozen=True, repr=False)
class CommitteeStateEvolution(Result):
    r"""State evolution of committee AMP.

    Attributes
    ----------
    alpha : load(s).
    q_history : (..., n_iter + 1, K, K), index 0 the start :math:`q_0 = \epsilon^2 I`.
    q_diagonal_history, q_offdiagonal_history : :math:`q_d, q_a` along the iteration.
    error_history : the Bayes error at each :math:`q_t`.
    q, q_diagonal, q_offdiagonal, generalization_error : the final values.
    converged : :math:`\max|q_{t+1} - q_t|\le` tol reached.
    n_iter : number of steps; residual : the last step's change.
    model : repr of the model.
    """

    alpha: object
    q_history: np.ndarray
    q_diagonal_history: np.ndarray
    q_offdiagonal_history: np.ndarray
    error_history: np.ndarray
    q: np.ndarray
    q_diagonal: object
    q_offdiagonal: object
    generalization_error: object
    converged: object
    n_iter: int
    residual: object
    model: str


#: standard deviation of the random start of committee AMP (K > 1): the uninformed start W = 0 is a fixed
#: point of the permutation symmetry (every hidden unit gets the same update), so it is broken by
#: W_ik ~ N(0, eps^2); state evolution starts from the matching q_0 = eps^2 I
COMMITTEE_INIT = 1e-2
#: floor added to the committee channel variance V (K x K) so that it stays positive definite
_COMMITTEE_V_FLOOR = 1e-12


def _unwrappers(scalar: bool):
    """For a scalar alpha: the first entry of an array (``o``) and of a 1-entry array as a Python number (``s``);
    otherwise the identity, both."""

    def o(x):
        return x[0] if scalar else x

    def s(x):
        return x[0].item() if scalar else x

    return o, s


def _check_bayes_optimal(model) -> TeacherStudent:
    if not isinstance(model, TeacherStudent) or not model.bayes_optimal:
        raise ValueError(f"model must be a Bayes-optimal TeacherStudent, got {model!r}")
    if model.inputs is not None:
        raise ValueError(f"AMP and state evolution are implemented for isotropic inputs, got inputs={model.inputs!r}")
    return model


def _is_committee(model) -> bool:
    from ..gibbs.committee import VectorChannel

    return isinstance(model.channel, VectorChannel)


@_cites
def state_evolution(
    model: TeacherStudent, alpha: ArrayLike, n_iter: int = 200, V0: ArrayLike | None = None, *, tol: float = 1e-10
) -> StateEvolution | CommitteeStateEvolution:
    r"""State evolution of Bayes-optimal GAMP, vectorised over ``alpha``.

    Iterates the Bayes-optimal replica-symmetric map of
    :mod:`statmech_learn.replica.glm` without damping,

    .. math:: V_{t+1} = \mathbb E f_v\big(\hat q_t w^* + \sqrt{\hat q_t}\xi,\ \hat q_t\big),
              \quad \hat q_t = \alpha\,\mathbb E\, g_{out}^2(y, \sqrt{\rho - V_t}\,\xi, V_t),

    from :math:`V_0 = \rho` (the uninformed start of GAMP), recording
    :math:`q_t = m_t = \rho - V_t` (Zdeborova & Krzakala 2016, sec. 6;
    Barbier et al. 2019, PNAS 116, 5451).  ``q_history[..., t]`` predicts the
    overlaps of GAMP's ``t``-th iterate, ``AMPRun.m_history[t]``.

    Parameters
    ----------
    model : TeacherStudent
        Must be Bayes-optimal.
    alpha : float or array_like
        Loads > 0.
    n_iter : int
        Number of steps.  Histories have ``n_iter + 1`` entries for every alpha:
        a point whose step changed V by a relative amount <= ``tol``, or that
        reached perfect recovery (V at the floor 1e-250 of the replica
        equations, q = rho to double precision), is a fixed point and keeps its
        value for the remaining steps.
    V0 : float or array_like, optional
        Initial variance in [1e-100 rho, rho]; default rho, GAMP's uninformed start for
        a prior of zero mean (all the priors of :mod:`statmech_learn.gibbs`).
    tol : float
        Convergence: relative change of V in one step <= tol.

    Returns
    -------
    StateEvolution
        or :class:`CommitteeStateEvolution` for a committee machine: the undamped committee-symmetric
        map of :mod:`~statmech_learn.replica.committee` from :math:`q_0 = 10^{-4} I` (AMP's random start).
    """
    model = _check_bayes_optimal(model)
    alpha_in = _check_alpha(alpha)
    n_iter = check_int("n_iter", n_iter, minimum=1, maximum=MAX_ITER_LIMIT)
    tol = check_tol("tol", tol)
    if _is_committee(model):
        if V0 is not None:
            raise ValueError("V0 is not used by committee state evolution: it starts at q_0 = eps^2 I (COMMITTEE_INIT)")
        return _committee_state_evolution(model, alpha_in, n_iter, tol)
    alpha_arr = np.atleast_1d(np.asarray(alpha_in, dtype=float))
    rho = model.rho
    if V0 is None:
        V = np.full(alpha_arr.shape, rho)
    else:
        try:
            V = np.broadcast_to(check_positive("V0", V0), alpha_arr.shape).astype(float)
        except ValueError as exc:
            if str(exc).startswith("V0"):
                raise
            raise ValueError(
                f"V0 must be a number or an array of the shape of alpha {alpha_arr.shape}, got shape {np.shape(V0)}"
            ) from None
        if np.any(rho * (1 + 1e-12) < V) or np.any(1e-100 * rho > V):  # below: perfect recovery, V^-2 overflows
            raise ValueError(f"V0 must be in [1e-100 rho, rho] with rho = {rho:g}, got {V0}")
    x = V.copy()
    hist = [V]
    res = np.full(alpha_arr.shape, np.inf)
    active = np.ones(alpha_arr.shape, dtype=bool)
    for _ in range(n_iter):
        if np.any(active):
            # the map is evaluated on the points still moving: a converged point is a fixed
            # point, and one at the floor V = _V_FLOOR has q = rho to double precision (the
            # channel integrals are not evaluated at V = _V_FLOOR)
            update, residual, _, _ = _equations(model, alpha_arr[active])
            xa = {"V": x[active]}
            fx = update(xa)
            r = np.asarray(residual(xa, fx), dtype=float)
            res[active] = np.where(np.isfinite(r), r, np.inf)
            x = x.copy()
            x[active] = fx["V"]
            active &= ~((res <= tol) | (x <= _V_FLOOR))
        hist.append(x)
    V_hist = np.stack(hist, axis=-1)
    q_hist = rho - V_hist
    # at the floor the clipped map is stationary (it returns _V_FLOOR): residual 0
    res = np.where(x <= _V_FLOOR, 0.0, res)
    conv = res <= tol
    o, s = _unwrappers(np.ndim(alpha_in) == 0)
    return StateEvolution(
        alpha=s(alpha_arr),
        q_history=o(q_hist),
        m_history=o(q_hist.copy()),
        V_history=o(V_hist),
        q=s(q_hist[..., -1]),
        converged=s(conv),
        n_iter=n_iter,
        residual=s(res),
        model=repr(model),
    )


def _committee_state_evolution(model, alpha_in, n_iter: int, tol: float) -> CommitteeStateEvolution:
    r"""Undamped iteration :math:`q_{t+1} = F_\alpha(q_t)` of the committee map
    (:mod:`~statmech_learn.replica.committee`), committee-symmetric, from :math:`q_0 = \epsilon^2 I`."""
    from .committee import _compose, _maps, _symmetric_parts

    K = model.K
    a = np.atleast_1d(np.asarray(alpha_in, dtype=float))
    F = _maps(model, a, True, None)
    q = np.broadcast_to(COMMITTEE_INIT**2 * np.eye(K), a.shape + (K, K)).copy()
    hist, err = [q], []
    res = np.full(a.shape, np.inf)
    active = np.ones(a.shape, dtype=bool)
    e = np.zeros(a.shape)
    with np.errstate(all="ignore"):
        for _ in range(n_iter):
            q = q.copy()
            if np.any(active):
                qn, _, _, ch = F(q[active], a[active])
                e = e.copy()
                e[active] = ch["error"]  # the error at q_t
                qn = _compose(*_symmetric_parts(qn), K)
                r = np.max(np.abs(qn - q[active]), axis=(-2, -1))
                res[active] = np.where(np.isfinite(r), r, np.inf)
                q[active] = qn
                active &= ~(res <= tol)
            hist.append(q)
            err.append(e)
        err.append(model.channel.rs_bayes(q)["error"])
    qh = np.stack(hist, axis=1)  # (n_alpha, n_iter + 1, K, K)
    eh = np.stack(err, axis=1)
    qd, qa = _symmetric_parts(qh)
    conv = res <= tol
    o, s = _unwrappers(np.ndim(alpha_in) == 0)
    return CommitteeStateEvolution(
        alpha=s(a),
        q_history=o(qh),
        q_diagonal_history=o(qd),
        q_offdiagonal_history=o(qa),
        error_history=o(eh),
        q=o(qh[:, -1]),
        q_diagonal=s(qd[:, -1]),
        q_offdiagonal=s(qa[:, -1]),
        generalization_error=s(eh[:, -1]),
        converged=s(conv),
        n_iter=n_iter,
        residual=s(res),
        model=repr(model),
    )


def _psd(M: np.ndarray, upper: float | None = None) -> np.ndarray:
    """Symmetric part of a batch of matrices with eigenvalues clipped to [0, upper]."""
    lam, U = np.linalg.eigh(0.5 * (M + np.swapaxes(M, -1, -2)))
    lam = np.clip(lam, 0.0, upper)
    return (U * lam[..., None, :]) @ np.swapaxes(U, -1, -2)


def _gamp_committee(
    model: TeacherStudent, F: np.ndarray, y: np.ndarray, W: np.ndarray, C: np.ndarray, damping: float
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    r"""Committee AMP (Aubin et al. 2018, Algorithm 1): :func:`_gamp` with K-vectors and K x K matrices,

    .. math::
        V_\mu = \sum_i F_{\mu i}^2 \hat C_i,\quad \omega_\mu = \sum_i F_{\mu i}\hat w_i - V_\mu g_\mu^{old},\quad
        g_\mu = g_{out}(y_\mu, \omega_\mu, V_\mu),\quad
        \Lambda_i = -\sum_\mu F_{\mu i}^2\,\partial_\omega g_{out},\quad
        B_i = \sum_\mu F_{\mu i} g_\mu + \Lambda_i\hat w_i,

    then :math:`\hat w_i = f_a(B_i, \Lambda_i)` and :math:`\hat C_i = f_v(B_i, \Lambda_i)` (the vector prior's
    mean and covariance).  :math:`\Lambda_i` is projected onto the PSD cone, as the scalar code clips it at 0.
    """
    return _gamp_loop(model, F, y, W, C, damping, _MatrixArithmetic(F.shape, W.shape[1]))


def _committee_amp(model, n, alpha, rng, n_iter, tol, damping, X, y, w_star, init, strict) -> CommitteeAMPRun:
    from .committee import _symmetric_parts

    K = model.K
    P = check_patterns(alpha, n)
    X, y, w_star = _instance(model, n, P, rng, X, y, w_star)
    if init == "informed":
        if w_star is None:
            raise ValueError("init='informed' needs the teacher: pass w_star")
        W = w_star + _INFORMED_NOISE * rng.standard_normal((n, K))
        C = np.broadcast_to(_INFORMED_NOISE**2 * np.eye(K), (n, K, K)).copy()
    else:
        W = np.zeros((n, K)) + (COMMITTEE_INIT * rng.standard_normal((n, K)) if K > 1 else 0.0)
        C = np.broadcast_to(model.prior.covariance(np.zeros(K), np.zeros((K, K))), (n, K, K)).copy()
    F = X / np.sqrt(n)
    del X
    q_hist = [W.T @ W / n]
    residual, converged, t = np.inf, False, 0
    message = f"no convergence in {n_iter} iterations (tol {tol:g})"
    steps = _gamp_committee(model, F, y, W, C, damping)
    with np.errstate(all="ignore"):
        while t < n_iter:
            nxt = next(steps, None)
            if nxt is None:
                residual = np.nan
                message = f"non-finite iterate at iteration {t + 1}; the last finite iterate is returned"
                break
            W_new, C = nxt
            t += 1
            residual = float(np.sqrt(np.mean((W_new - W) ** 2)))
            W = W_new
            q_hist.append(W.T @ W / n)
            if residual <= tol:
                converged, message = True, f"converged in {t} iterations"
                break
    q = q_hist[-1]
    qd, qa = _symmetric_parts(q)
    if w_star is not None:
        m = W.T @ w_star / n
        mse = float(np.mean((W - w_star) ** 2))
        eg = float(model.channel.rs_bayes(_psd(q, 1.0 - 1e-9))["error"])
    else:
        m, mse, eg = np.full((K, K), np.nan), np.nan, np.nan
    run = CommitteeAMPRun(
        alpha=alpha,
        n=n,
        q=q,
        m=m,
        q_diagonal=float(qd),
        q_offdiagonal=float(qa),
        q_history=np.array(q_hist),
        mse=mse,
        generalization_error=eg,
        n_iter=t,
        converged=converged,
        residual=residual,
        message=message,
        model=repr(model),
    )
    if not converged:
        msg = (
            f"committee AMP did not converge for {model!r} at alpha = {alpha:g}, n = {n}: {message}, "
            f"residual {residual:.3g}"
        )
        if strict:
            raise ConvergenceError(msg, run)
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
    return run


def _instance(
    model: TeacherStudent, n: int, P: int, rng, X, y, w_star
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Fill in the missing parts of (w*, X, y) in that order from ``rng``."""
    if X is None:
        if y is not None:
            raise ValueError("y was given without X: pass the inputs X that produced it")
        w_star = model.prior.sample(n, rng) if w_star is None else w_star
        X = rng.standard_normal((P, n))
    else:
        X = np.asarray(check_finite("X", X))
        if X.shape != (P, n):
            raise ValueError(f"X must have shape (round(alpha * n), n) = {(P, n)}, got {X.shape}")
        check_finite("X", X)
        if y is None and w_star is None:
            w_star = model.prior.sample(n, rng)
    if w_star is not None:
        w_star = np.asarray(check_finite("w_star", w_star))
        shape = (n, model.K) if _is_committee(model) else (n,)
        if w_star.shape != shape:
            raise ValueError(f"w_star must have shape {shape}, got {w_star.shape}")
        check_finite("w_star", w_star)
    if y is None:
        y = model.channel.sample(X @ w_star / np.sqrt(n), rng)
    y = np.asarray(check_finite("y", y))
    if y.shape != (P,):
        raise ValueError(f"y must have shape ({P},), got {y.shape}")
    check_finite("y", y)
    return X, y, w_star


class _ScalarArithmetic:
    """The scalar GLM's algebra in the GAMP loop: variances are numbers, products elementwise."""

    def __init__(self, shape: tuple[int, int], v_floor: float) -> None:
        self.g0 = np.zeros(shape[0])
        self.v_floor = v_floor

    def channel_variance(self, F2, v):
        return np.maximum(F2 @ v, self.v_floor)

    @staticmethod
    def times(A, x):
        return A * x

    @staticmethod
    def field_precision(F2, dg):
        return np.maximum(F2.T @ (-dg), 0.0)

    @staticmethod
    def posterior_variance(prior, B, Lam):
        return prior.variance(B, Lam)

    @staticmethod
    def clip(v):
        return np.maximum(v, 0.0)


class _MatrixArithmetic:
    """The committee's algebra in the GAMP loop: K x K variances, matrix-vector products, PSD projections."""

    def __init__(self, shape: tuple[int, int], K: int) -> None:
        self.P, self.n = shape
        self.K = K
        self.g0 = np.zeros((self.P, K))

    def channel_variance(self, F2, C):
        K = self.K
        V = (F2 @ C.reshape(self.n, K * K)).reshape(self.P, K, K)
        return 0.5 * (V + np.swapaxes(V, -1, -2)) + _COMMITTEE_V_FLOOR * np.eye(K)

    @staticmethod
    def times(A, x):
        return np.einsum("...kl,...l->...k", A, x)

    def field_precision(self, F2, dg):
        K = self.K
        return _psd((F2.T @ (-dg).reshape(self.P, K * K)).reshape(self.n, K, K))

    @staticmethod
    def posterior_variance(prior, B, Lam):
        return prior.covariance(B, Lam)

    @staticmethod
    def clip(C):
        return _psd(C)


def _gamp_loop(
    model: TeacherStudent, F: np.ndarray, y: np.ndarray, w: np.ndarray, v: np.ndarray, damping: float, ops
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The GAMP iteration (module docstring), one loop for the perceptron and the committee: ``ops`` supplies the
    algebra of the variances (numbers, or K x K matrices).  Yields the iterates (w_hat, v_hat), starting after the
    first iteration; stops (returns) when an iterate is not finite, the caller keeping the last finite one."""
    prior, channel = model.prior, model.channel
    F2 = F * F
    g = ops.g0
    while True:
        V = ops.channel_variance(F2, v)
        omega = F @ w - ops.times(V, g)
        g = channel.g_out(y, omega, V)
        dg = channel.dg_out(y, omega, V)
        Lam = ops.field_precision(F2, dg)
        B = F.T @ g + ops.times(Lam, w)
        w_new = prior.mean(B, Lam)
        v_new = ops.posterior_variance(prior, B, Lam)
        if damping:
            w_new = (1 - damping) * w_new + damping * w
            v_new = (1 - damping) * v_new + damping * v
        if not (np.all(np.isfinite(w_new)) and np.all(np.isfinite(v_new)) and np.all(np.isfinite(g))):
            return
        w, v = w_new, ops.clip(v_new)
        yield w, v


def _gamp(
    model: TeacherStudent, F: np.ndarray, y: np.ndarray, w: np.ndarray, v: np.ndarray, damping: float
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield the GAMP iterates (w_hat, v_hat) of the scalar GLM, starting after the first iteration
    (:func:`_gamp_loop`).

    Stops (returns) when an iterate is not finite; the caller keeps the last
    finite one.
    """
    return _gamp_loop(model, F, y, w, v, damping, _ScalarArithmetic(F.shape, _VAR_FLOOR * model.rho))


@_cites
def amp(
    model: TeacherStudent,
    n: int,
    alpha: float,
    rng=None,
    n_iter: int = 200,
    tol: float = 1e-8,
    damping: float = 0.0,
    X: ArrayLike | None = None,
    y: ArrayLike | None = None,
    w_star: ArrayLike | None = None,
    init: str = "uninformed",
    *,
    strict: bool = False,
) -> AMPRun | CommitteeAMPRun:
    r"""Bayes-optimal GAMP on one teacher-student instance.

    The instance is :math:`w^* \sim P_0` (``model.prior.sample``), inputs
    :math:`X \in \mathbb R^{P\times N}` with i.i.d. N(0, 1) entries,
    :math:`P = \mathrm{round}(\alpha N)`, and labels
    :math:`y \sim P_{out}(\cdot\mid X w^*/\sqrt N)` (``model.channel.sample``),
    drawn from ``rng`` in that order; any of ``w_star``, ``X``, ``y`` may be
    given instead.  The iteration is the GAMP algorithm of the module docstring
    (Rangan 2011; Zdeborova & Krzakala 2016, sec. 6; Barbier et al. 2019, PNAS
    116, 5451), using only :meth:`Prior.mean`, :meth:`Prior.variance`,
    :meth:`Channel.g_out` and :meth:`Channel.dg_out` of the model.

    Parameters
    ----------
    model : TeacherStudent
        Must be Bayes-optimal (the student's prior and channel are the teacher's).
    n : int
        Number of weights N >= 1.
    alpha : float
        Load > 0.
    rng : None, int, SeedSequence or Generator
    n_iter : int
        Maximum number of iterations.
    tol : float
        Stop when the root-mean-square change of :math:`\hat w` between two
        iterations, :math:`|\hat w^{t+1} - \hat w^t|/\sqrt N`, is at most tol.
        The iteration also stops, converged, at a collapsed posterior (a
        noiseless channel and a discrete prior, beyond perfect recovery): when
        every :math:`\hat v_i` is 0 in double precision, or when an iteration
        started from a total variance :math:`\sum_i \hat v_i \le \rho` would
        multiply the mean variance by more than 10, in which case that
        iteration is discarded.  Such a jump is a breakdown of GAMP on a finite
        noiseless instance, not a step of the algorithm: once the channel
        variance V is below the squared smallest preactivation of the
        instance, the curvature :math:`\Lambda` vanishes and the estimate falls
        back towards the prior mean, whereas the state evolution's variance
        only decreases from the uninformed start.  ``message`` says which rule
        stopped the run.
    damping : float in [0, 1)
        Weight of the old value in the prior step,
        :math:`\hat w^{t+1} \leftarrow (1-d) f_a + d\,\hat w^t` and the same for
        :math:`\hat v`; the channel step is left undamped, so that its Onsager
        term :math:`V^t g^{t-1}` pairs the variance and the output of the same
        iterations as in the undamped algorithm.  0 is plain GAMP, whose state evolution is
        :func:`state_evolution`; damping slows the iteration down but can
        rescue channels or instances on which plain GAMP oscillates.
    X, y, w_star : array_like, optional
        The instance, or parts of it (shapes (P, N), (P,), (N,)).  Without
        ``w_star`` the overlaps m, mse and the generalisation error are NaN.
    init : {'uninformed', 'informed'}
        'uninformed': :math:`\hat w = f_a(0,0)`, :math:`\hat v = f_v(0,0)` (the
        prior's mean and variance).  'informed': :math:`\hat w = w^* + \epsilon\xi`
        with :math:`\epsilon = 10^{-3}\sqrt\rho`, :math:`\hat v = \epsilon^2`
        (a start on the perfect-recovery branch, for tests).
    strict : bool
        Raise :class:`ConvergenceError` (carrying the result) instead of
        warning with :class:`ConvergenceWarning` when GAMP does not converge.

    Returns
    -------
    AMPRun
        or :class:`CommitteeAMPRun` for a committee machine (:class:`~statmech_learn.gibbs.Committee`
        channel): the same iteration with K-vectors and K x K matrices (:func:`_gamp_committee`),
        ``w_star`` of shape (N, K), and for K > 1 a random start :math:`\hat W_{ik}\sim N(0, 10^{-4})` that
        breaks the permutation symmetry.
    """
    model = _check_bayes_optimal(model)
    n = check_int("n", n, minimum=1, maximum=MAX_WEIGHTS)
    alpha = check_positive("alpha", alpha, scalar=True)
    n_iter = check_int("n_iter", n_iter, minimum=1, maximum=MAX_ITER_LIMIT)
    tol = check_tol("tol", tol)
    damping = check_finite("damping", damping, scalar=True)
    if not 0.0 <= damping < 1.0:
        raise ValueError(f"damping must be in [0, 1), got {damping}")
    init = check_choice("init", init, ("uninformed", "informed"))
    strict = check_bool("strict", strict)
    P = check_patterns(alpha, n)
    rng = as_rng(rng)
    if _is_committee(model):
        return _committee_amp(model, n, alpha, rng, n_iter, tol, damping, X, y, w_star, init, strict)
    X, y, w_star = _instance(model, n, P, rng, X, y, w_star)
    rho = model.rho
    if init == "informed":
        if w_star is None:
            raise ValueError("init='informed' needs the teacher: pass w_star")
        eps = _INFORMED_NOISE * np.sqrt(rho)
        w = w_star + eps * rng.standard_normal(n)
        v = np.full(n, eps * eps)
    else:
        w = np.full(n, float(model.prior.mean(0.0, 0.0)))
        v = np.full(n, float(model.prior.variance(0.0, 0.0)))

    def overlaps(w):
        m = float(w @ w_star) / n if w_star is not None else np.nan
        return m, float(w @ w) / n

    m0, q0 = overlaps(w)
    m_hist, q_hist, v_hist = [m0], [q0], [float(np.mean(v))]
    F = X / np.sqrt(n)
    del X  # a generated X is no longer needed: F and F**2 are the large arrays
    residual = np.inf
    converged = False
    t = 0
    message = f"no convergence in {n_iter} iterations (tol {tol:g})"
    steps = _gamp(model, F, y, w, v, damping)
    while t < n_iter:
        nxt = next(steps, None)
        if nxt is None:
            residual = np.nan
            message = f"non-finite iterate at iteration {t + 1}; the last finite iterate is returned"
            break
        w_new, v_new = nxt
        v_mean = float(np.mean(v_new))
        if t >= 1 and n * v_hist[-1] <= rho and v_mean > _BREAKDOWN * v_hist[-1]:
            converged = True
            message = (
                f"stopped after {t} iterations at a collapsed posterior (total variance "
                f"{n * v_hist[-1]:.3g}): iteration {t + 1} lost the channel's curvature and was discarded"
            )
            break
        t += 1
        residual = float(np.sqrt(np.mean((w_new - w) ** 2)))
        w, v = w_new, v_new
        m, q = overlaps(w)
        m_hist.append(m)
        q_hist.append(q)
        v_hist.append(v_mean)
        if residual <= tol:
            converged = True
            message = f"converged in {t} iterations"
            break
        if v_mean == 0.0:
            converged = True
            message = f"posterior collapsed to a point (every variance is 0 in double precision) in {t} iterations"
            break
    m, q = m_hist[-1], q_hist[-1]
    mse = float(np.mean((w - w_star) ** 2)) if w_star is not None else np.nan
    # the instance's own teacher norm |w*|^2/N, not the prior's second moment: then
    # m <= sqrt(rho_N q) (Cauchy-Schwarz) and the error is that of this estimator
    rho_n = float(w_star @ w_star) / n if w_star is not None else np.nan
    eg = float(_generalization(model, m, q, v_hist[-1], rho=rho_n)) if w_star is not None else np.nan
    run = AMPRun(
        alpha=alpha,
        n=n,
        m=m,
        q=q,
        mse=mse,
        m_history=np.array(m_hist),
        q_history=np.array(q_hist),
        v_history=np.array(v_hist),
        n_iter=t,
        converged=converged,
        residual=residual,
        generalization_error=eg,
        message=message,
        model=repr(model),
    )
    if not converged:
        msg = f"GAMP did not converge for {model!r} at alpha = {alpha:g}, n = {n}: {message}, residual {residual:.3g}"
        if strict:
            raise ConvergenceError(msg, run)
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    return run
