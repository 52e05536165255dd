r"""Replica-symmetric saddle point of teacher-student generalised linear models.

Order parameters per load alpha: the teacher-student overlap m, the student
overlap q and the student variance V (for ERM: :math:`\beta(Q-q)`), with
conjugates :math:`\hat m, \hat q, \hat V`.  One iteration is

.. math::
    (\hat m, \hat q, \hat V) = \alpha\,\mathrm{Channel.rs\_teacher\_student}(m, q, V),\qquad
    (m, q, V) = \mathrm{Prior.rs\_teacher\_student}(\hat m, \hat q, \hat V),

i.e. every integral is one of the shared prior/channel methods of
:mod:`statmech_learn.gibbs`.  The free entropy is

.. math:: \Phi = \psi_w(\hat m,\hat q,\hat V; m, q, V) + \alpha\,\psi_{out}(m, q, V)

(Aubin et al. 2020, NeurIPS, "Generalization error in high-dimensional
perceptrons", eqs. (11)-(14); Barbier et al. 2019, PNAS 116, 5451, for the
Bayes-optimal case, where m = q, :math:`\hat m=\hat q=\hat V` and V = rho - q
reduce the iteration to one order parameter).  For ERM
(:class:`~statmech_learn.gibbs.losses.LossChannel`,
:class:`~statmech_learn.gibbs.priors.L2Penalty`) the same expression is the
zero-temperature free entropy, minus the regularised training loss per weight.

Generalisation errors: for labels ±1, the probability that the estimator's
sign disagrees with the teacher's noiseless sign,
:math:`\varepsilon_g = \arccos(m/\sqrt{\rho\,Q_{est}})/\pi` with :math:`Q_{est} = q`
for point estimators (Bayes-optimal posterior mean, ERM) and :math:`q + V` for a
Gibbs sample; for real labels the test mean squared error on a fresh noisy
label, :math:`\rho - 2m + Q_{est} + \Delta`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq

from .._validation import check_positive
from ..errors import ConvergenceError, ConvergenceWarning
from ..gibbs.losses import LossChannel
from ..results import Result
from .models import ERM, Gibbs, TeacherStudent
from .saddle import iterate

__all__ = ["ReplicaCurve", "Transitions", "solve", "solve_branches", "transitions"]

_V_FLOOR = 1e-250  # perfect-learning branch: V underflows; clamp keeps every term finite


@dataclass(frozen=True, repr=False)
class ReplicaCurve(Result):
    """RS saddle point along an alpha grid (scalars for scalar alpha).

    Attributes
    ----------
    alpha : load P/N.
    m, q, V : teacher-student overlap, student overlap, student variance
        (for ERM, V is the rescaled :math:`\\beta(Q - q)`).
    Q : student self-overlap q + V (Gibbs and Bayes-optimal students).
    mhat, qhat, Vhat : conjugate parameters.
    free_entropy : RS free entropy per weight (ERM: minus the regularised training loss).
    generalization_error : 0-1 error for classification, test MSE for regression.
    train_loss : ERM only: mean training loss per sample (NaN otherwise).
    train_error : ERM classification only: fraction of misclassified training samples.
    converged, n_iter, residual : per alpha.
    branch : 'uninformed' or 'informed' start that produced each point.
    model : repr of the model.
    """

    alpha: object
    m: object
    q: object
    V: object
    Q: object
    mhat: object
    qhat: object
    Vhat: object
    free_entropy: object
    generalization_error: object
    train_loss: object
    train_error: object
    converged: object
    n_iter: object
    residual: object
    branch: object
    model: str


@dataclass(frozen=True, repr=False)
class Transitions(Result):
    """First-order transition and spinodal of a Bayes-optimal model.

    Attributes
    ----------
    alpha_it : load where the informed and uninformed branches have equal free
        entropy (information-theoretic transition; Gyorgyi 1990: 1.245 for the
        binary perceptron).
    alpha_spinodal : largest load at which the uninformed branch (the fixed
        point reached from an uninformed start, i.e. by AMP) exists (1.493).
    converged : both located to the requested tolerance.
    """

    alpha_it: float
    alpha_spinodal: float
    converged: bool
    xtol: float


def _generalization(model: TeacherStudent, m, q, V):
    rho = model.rho
    gibbs = isinstance(model.student, Gibbs)
    q_est = q + V if gibbs else q
    if model.task == "classification":
        c = np.clip(m / np.sqrt(np.maximum(rho * q_est, 1e-300)), -1.0, 1.0)
        return np.arccos(c) / np.pi
    noise = getattr(model.channel, "variance", 0.0)
    return rho - 2.0 * m + q_est + noise


def _erm_train(model: TeacherStudent, m, q, V):
    """Mean training loss and training error at the proximal points (ERM)."""
    from ..gaussian import normal_nodes

    ch: LossChannel = model.student_channel
    m, q, V = np.broadcast_arrays(m, q, V)
    sq = np.sqrt(np.maximum(q, 1e-300))
    a = m / sq
    Vs = np.maximum(model.rho - m * m / np.maximum(q, 1e-300), 1e-300)
    xi, wxi = normal_nodes(0.0, np.minimum(1.0, np.sqrt(V) / sq))
    y, wy, _ = model.channel.label_nodes(a[..., None] * xi, Vs[..., None])
    om = (sq[..., None] * xi)[..., None]
    p, _ = ch.loss.prox(y, om, V[..., None, None])
    W = wxi[..., None] * wy
    loss = np.sum(W * ch.loss.value(y, p), axis=(-2, -1))
    err = np.sum(W * (y * p <= 0), axis=(-2, -1)) if model.task == "classification" else np.full(m.shape, np.nan)
    return loss, err


def _equations(model: TeacherStudent, alpha: np.ndarray):
    """Update map, residual and initial states for the model."""
    rho = model.rho
    sp, sc, tp, tc = model.student_prior, model.student_channel, model.prior, model.channel

    if model.bayes_optimal:

        def conj(x):
            V = x["V"]
            q = rho - V
            ch = sc.rs_teacher_student(q, q, V, tc, rho, V_star=V)
            qh = alpha * ch["qhat"]
            return qh, ch

        def update(x):
            qh, _ = conj(x)
            pr = sp.rs_teacher_student(qh, qh, qh, tp)
            return {"V": np.clip(pr["V"], _V_FLOOR, rho)}

        def residual(x, fx):
            return np.abs(fx["V"] - x["V"]) / np.maximum(x["V"], _V_FLOOR)

        def finish(x):
            V = x["V"]
            q = rho - V
            qh, ch = conj(x)
            pr = sp.rs_teacher_student(qh, qh, qh, tp)
            return dict(m=q, q=q, V=V, mhat=qh, qhat=qh, Vhat=qh, phi=pr["psi"] + alpha * ch["psi"])

        starts = {"uninformed": {"V": np.full(alpha.shape, rho * (1 - 1e-6))},
                  "informed": {"V": np.full(alpha.shape, 1e-8 * rho)}}
        return update, residual, finish, starts

    def conj(x):
        ch = sc.rs_teacher_student(x["m"], x["q"], x["V"], tc, rho)
        return alpha * ch["mhat"], alpha * ch["qhat"], alpha * ch["Vhat"], ch

    def update(x):
        mh, qh, Vh, _ = conj(x)
        pr = sp.rs_teacher_student(mh, qh, Vh, tp)
        return {"m": pr["m"], "q": np.maximum(pr["q"], 1e-300), "V": np.maximum(pr["V"], 1e-300)}

    def residual(x, fx):
        scale = np.maximum(np.abs(x["q"]), 1e-12)
        return np.maximum.reduce([np.abs(fx["m"] - x["m"]) / np.sqrt(scale * rho),
                                  np.abs(fx["q"] - x["q"]) / scale,
                                  np.abs(fx["V"] - x["V"]) / np.maximum(x["V"], 1e-300)])

    def finish(x):
        mh, qh, Vh, ch = conj(x)
        pr = sp.rs_teacher_student(mh, qh, Vh, tp)
        return dict(m=x["m"], q=x["q"], V=x["V"], mhat=mh, qhat=qh, Vhat=Vh, phi=pr["psi"] + alpha * ch["psi"])

    ones = np.ones(alpha.shape)
    starts = {"uninformed": {"m": 1e-3 * ones * np.sqrt(rho), "q": 1e-2 * ones * rho, "V": ones},
              "informed": {"m": 0.99 * ones * rho, "q": 0.99 * ones * rho, "V": 0.01 * ones}}
    return update, residual, finish, starts


def _run_branch(model, alpha, start, damping, tol, max_iter, x0=None):
    update, residual, finish, starts = _equations(model, alpha)
    it = iterate(update, x0 if x0 is not None else starts[start], residual, damping=damping, tol=tol,
                 max_iter=max_iter)
    out = finish(it.state)
    out.update(converged=it.converged & np.isfinite(out["phi"]), n_iter=it.n_iter, residual=it.residual)
    return out


def _continuation(model, alpha, start, damping, tol, max_iter):
    """Solve point by point along ``alpha`` (in the given order), warm-starting each from the last."""
    outs = []
    x0 = None
    for a in alpha:
        out = _run_branch(model, np.array([a]), start, damping, tol, max_iter, x0)
        outs.append(out)
        x0 = {"V": out["V"]} if model.bayes_optimal else {"m": out["m"], "q": out["q"], "V": out["V"]}
    return {k: np.concatenate([np.atleast_1d(o[k]) for o in outs]) for k in outs[0]}


def solve_branches(model: TeacherStudent, alpha: ArrayLike, *, damping: float = 0.5, tol: float = 1e-10,
                   max_iter: int = 20_000, continuation: bool = False) -> dict[str, ReplicaCurve]:
    """Both branches of the RS equations: iterated from an uninformed and an informed start.

    Returns ``{"uninformed": ReplicaCurve, "informed": ReplicaCurve}`` (no
    warnings; check ``converged``).
    """
    alpha_in = check_positive("alpha", alpha)
    alpha_arr = np.atleast_1d(np.asarray(alpha_in, dtype=float))
    scalar = np.ndim(alpha_in) == 0
    return {b: _to_curve(model, alpha_arr, _solve_raw(model, alpha_arr, b, damping, tol, max_iter, continuation),
                         b, scalar)
            for b in ("uninformed", "informed")}


def _solve_raw(model, alpha, branch, damping, tol, max_iter, continuation):
    if continuation:
        order = np.argsort(alpha) if branch == "uninformed" else np.argsort(alpha)[::-1]
        out = _continuation(model, alpha[order], branch, damping, tol, max_iter)
        inv = np.empty_like(order)
        inv[order] = np.arange(order.size)
        return {k: v[inv] for k, v in out.items()}
    return _run_branch(model, alpha, branch, damping, tol, max_iter)


def _to_curve(model, alpha, out, branch, scalar) -> ReplicaCurve:
    m, q, V = out["m"], out["q"], out["V"]
    gibbs_or_bo = not isinstance(model.student, ERM)
    eg = _generalization(model, m, q, V)
    if isinstance(model.student, ERM):
        train_loss, train_err = _erm_train(model, m, q, V)
    else:
        train_loss = train_err = np.full(alpha.shape, np.nan)
    branch_arr = np.broadcast_to(np.asarray(branch, dtype=object), alpha.shape) if isinstance(branch, str) else branch

    def o(x):
        x = np.asarray(x)
        return x[0].item() if scalar else x

    return ReplicaCurve(
        alpha=o(alpha), m=o(m), q=o(q), V=o(V), Q=o(q + V if gibbs_or_bo else np.full(alpha.shape, np.nan)),
        mhat=o(out["mhat"]), qhat=o(out["qhat"]), Vhat=o(out["Vhat"]), free_entropy=o(out["phi"]),
        generalization_error=o(eg), train_loss=o(train_loss), train_error=o(train_err),
        converged=o(out["converged"]), n_iter=o(out["n_iter"]), residual=o(out["residual"]),
        branch=o(branch_arr), model=repr(model),
    )


def solve(model: TeacherStudent, alpha: ArrayLike, *, init: str = "auto", damping: float = 0.5,
          tol: float = 1e-10, max_iter: int = 20_000, continuation: bool = False,
          strict: bool = False) -> ReplicaCurve:
    """Solve the RS saddle-point equations of ``model`` on an alpha grid.

    Parameters
    ----------
    model : TeacherStudent
    alpha : float or array_like
        Loads P/N > 0.  The whole grid is iterated at once (vectorised).
    init : {'auto', 'uninformed', 'informed', 'both'}
        Start(s) of the iteration.  'both' runs the two and keeps, at each
        alpha, the converged branch of larger free entropy (the thermodynamic
        one); 'auto' is 'both' for Bayes-optimal models with a non-Gaussian
        prior and 'uninformed' otherwise.
    damping : float in [0, 1)
        Weight of the old iterate.
    tol : float
        Convergence: relative change of every order parameter below tol.
    max_iter : int
    continuation : bool
        Solve point by point along increasing alpha (uninformed branch; the
        informed one along decreasing alpha), warm-starting each point from
        the previous one.
    strict : bool
        Raise :class:`ConvergenceError` (carrying the result) if any alpha did
        not converge; otherwise warn with :class:`ConvergenceWarning` naming them.

    Returns
    -------
    ReplicaCurve
    """
    alpha_in = check_positive("alpha", alpha)
    if init not in ("auto", "uninformed", "informed", "both"):
        raise ValueError(f"init must be one of 'auto', 'uninformed', 'informed', 'both', got {init!r}")
    alpha_arr = np.atleast_1d(np.asarray(alpha_in, dtype=float))
    scalar = np.ndim(alpha_in) == 0
    if init == "auto":
        from ..gibbs import GaussianPrior, SphericalPrior

        init = "both" if model.bayes_optimal and not isinstance(model.prior, (GaussianPrior, SphericalPrior)) \
            else "uninformed"
    if init == "both":
        u = _solve_raw(model, alpha_arr, "uninformed", damping, tol, max_iter, continuation)
        i = _solve_raw(model, alpha_arr, "informed", damping, tol, max_iter, continuation)
        pick_i = i["converged"] & (~u["converged"] | (i["phi"] > u["phi"]))
        out = {k: np.where(pick_i, i[k], u[k]) for k in u}
        branch = np.where(pick_i, "informed", "uninformed").astype(object)
    else:
        out = _solve_raw(model, alpha_arr, init, damping, tol, max_iter, continuation)
        branch = init
    curve = _to_curve(model, alpha_arr, out, branch, scalar)
    conv = np.atleast_1d(curve.converged)
    if not np.all(conv):
        bad = alpha_arr[~conv]
        msg = (f"replica saddle point did not converge (tol {tol:g}, max_iter {max_iter}) at alpha = "
               f"{np.array2string(bad, threshold=8)} for {model!r}")
        if strict:
            raise ConvergenceError(msg, curve)
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    return curve


def transitions(model: TeacherStudent, alpha_range: tuple[float, float] = (0.5, 3.0), *, xtol: float = 1e-5,
                tol: float = 1e-12, max_iter: int = 200_000) -> Transitions:
    """First-order (information-theoretic) transition and spinodal of a Bayes-optimal model.

    ``alpha_spinodal`` is found by bisection on whether the iteration from the
    uninformed start ends on the uninformed branch (V above half its value on
    the informed branch... in practice: far from the informed fixed point);
    ``alpha_it`` by Brent's method on the free-entropy difference of the two
    branches, below the spinodal.
    """
    if not model.bayes_optimal:
        raise ValueError(f"model must be Bayes-optimal for transitions, got {model!r}")
    lo, hi = (float(check_positive("alpha_range", a)) for a in alpha_range)

    def branches(a):
        arr = np.array([a])
        u = _run_branch(model, arr, "uninformed", 0.5, tol, max_iter)
        i = _run_branch(model, arr, "informed", 0.5, tol, max_iter)
        return u, i

    def uninformed_survives(a):
        u, i = branches(a)
        return bool(u["V"][0] > 10.0 * i["V"][0] + 1e-6)

    if not uninformed_survives(lo) or uninformed_survives(hi):
        raise ValueError(f"alpha_range must bracket the spinodal, got {alpha_range}")
    a, b = lo, hi
    while b - a > xtol:
        mid = 0.5 * (a + b)
        if uninformed_survives(mid):
            a = mid
        else:
            b = mid
    alpha_sp = 0.5 * (a + b)

    def dphi(x):
        u, i = branches(x)
        return float(i["phi"][0] - u["phi"][0])

    lo_it = lo
    converged = True
    try:
        alpha_it = brentq(dphi, lo_it, a, xtol=xtol)
    except ValueError:
        alpha_it, converged = float("nan"), False
    return Transitions(alpha_it=float(alpha_it), alpha_spinodal=float(alpha_sp), converged=converged, xtol=xtol)
