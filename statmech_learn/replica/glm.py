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
from typing import TYPE_CHECKING, cast

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_bool, check_choice, check_int, check_positive, check_tol
from ..citations import _cites
from ..errors import ConvergenceError, ConvergenceWarning
from ..gibbs.channels import ErrorCounting
from ..gibbs.losses import HingeLoss, LossChannel, SquareLoss
from ..results import Result
from .models import ERM, BayesOptimal, Gibbs, TeacherStudent
from .saddle import iterate

if TYPE_CHECKING:  # committee imports this module
    from .committee import CommitteeCurve

__all__ = ["ReplicaCurve", "FeaturesCurve", "Transitions", "solve", "solve_branches", "transitions"]

_V_FLOOR = 1e-250  # perfect-learning branch: V underflows; clamp keeps every term finite


@dataclass(frozen=True, repr=False)
class ReplicaCurve(Result):
    """RS saddle point along an alpha grid (scalars for scalar alpha).

    Attributes
    ----------
    alpha : load P/N.
    m, q, V : teacher-student overlap, student overlap, student variance
        (for ERM, V is the rescaled :math:`\\beta(Q - q)`: ``inf`` for the square loss at ``l2 = 0``
        and :math:`\\alpha \\le 1`, and q is ``inf`` at the interpolation peak :math:`\\alpha = 1`).
    Q : student self-overlap q + V (Gibbs and Bayes-optimal students; NaN for ERM).
    mhat, qhat, Vhat : conjugate parameters (``inf`` on the perfect-recovery branch
        of a discrete prior, where V = 0 exactly).
    free_entropy : RS free entropy per weight (ERM: minus the regularised training loss).
    generalization_error : 0-1 error for classification, test MSE for regression.
    train_loss : ERM only: mean training loss per sample (NaN otherwise).
    train_error : fraction of misclassified training samples, for ERM and Gibbs students with
        labels ±1 (Gibbs: the mean over the posterior, :meth:`ErrorCounting.rs_train_error`); NaN
        otherwise.
    converged, n_iter, residual : per alpha.
    branch : the start ('uninformed' or 'informed') whose fixed point each point is,
        or 'unique' where both starts reach the same fixed point (always for ERM).
    l2 : ERM only: the penalty at each point (the optimised one for ``ERM(l2="optimal")``;
        NaN for Bayesian students).
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
    l2: object
    model: str


@dataclass(frozen=True, repr=False)
class FeaturesCurve(ReplicaCurve):
    r"""A :class:`ReplicaCurve` of a :class:`~statmech_learn.replica.RandomFeatures` model.

    ``alpha`` is n/D (samples per input dimension) and ``features_ratio`` P/D, broadcast
    together; the order parameters are those of the student's P features
    (:math:`q = w^\top\Omega w/P`), and ``samples_per_feature`` is n/P, the load of each
    point's :class:`~statmech_learn.replica.TeacherStudent`.
    """

    features_ratio: object
    samples_per_feature: object
    spectrum_size: object


@dataclass(frozen=True, repr=False)
class Transitions(Result):
    """First-order transition and spinodals of a Bayes-optimal model.

    Attributes
    ----------
    alpha_it : load where the informed and uninformed branches have equal free
        entropy (information-theoretic transition; Gyorgyi 1990: 1.245 for the
        binary perceptron).
    alpha_spinodal : largest load at which the uninformed branch (the fixed
        point reached from an uninformed start, i.e. by AMP) exists: the
        algorithmic threshold (1.493 for the binary perceptron).
    alpha_spinodal_informed : smallest load at which the informed branch
        exists (NaN when it is stable at every load of the range, as perfect
        recovery is for a discrete prior with a noiseless channel).
    first_order : two stable fixed points coexist somewhere in the range.
        False means no first-order transition there (every load NaN).
    converged : every load reported was located to ``xtol``.
    xtol : absolute tolerance in alpha.
    alpha_range : the range searched.
    message : what was found, or why something is missing.
    """

    alpha_it: float
    alpha_spinodal: float
    alpha_spinodal_informed: float
    first_order: bool
    converged: bool
    xtol: float
    alpha_range: tuple
    message: str

    @property
    def alpha_algorithmic(self) -> float:
        """Alias of :attr:`alpha_spinodal`: where AMP from an uninformed start stops being stuck."""
        return self.alpha_spinodal


#: largest max_iter accepted (a vectorised step costs milliseconds: 1e7 steps is hours)
MAX_ITER_LIMIT = 10_000_000


def _check_model(model) -> TeacherStudent:
    if not isinstance(model, TeacherStudent):
        raise ValueError(f"model must be a TeacherStudent, got {model!r}")
    return model


def _check_erm_defined(model: TeacherStudent) -> None:
    """Refuse unregularised ERM where no l2 = 0 limit is implemented (the logistic loss)."""
    st = model.student
    if isinstance(st, ERM) and st.l2 == 0 and isinstance(st.loss_, HingeLoss) and model.inputs is not None:
        raise ValueError(
            "l2 must be > 0 for the hinge loss with structured inputs, got 0: the max-margin limit "
            "is implemented for isotropic inputs only; solve with a small l2 (e.g. 1e-4)"
        )
    if isinstance(st, ERM) and st.l2 == 0 and not isinstance(st.loss_, (SquareLoss, HingeLoss)):
        raise ValueError(
            f"l2 must be > 0 for the {st.loss} loss, got 0: on linearly separable data (every alpha for a "
            f"noiseless teacher, below the separability threshold for a noisy one) the unregularised "
            f"{st.loss} minimiser does not exist (its norm diverges) and its direction tends to the "
            "max-margin one, which ERM('hinge', 0) computes; or solve with a small l2 (e.g. 1e-4). "
            "The square and hinge losses have l2 = 0 limits (least squares / least-norm; max-margin)."
        )


def _check_options(tol, max_iter, damping, continuation=False, strict=False):
    """Validate the solver options shared by :func:`solve` and :func:`solve_branches`."""
    tol = check_tol("tol", tol)
    max_iter = check_int("max_iter", max_iter, minimum=1, maximum=MAX_ITER_LIMIT)
    if (
        isinstance(damping, bool)
        or not isinstance(damping, (int, float, np.integer, np.floating))
        or not 0.0 <= float(damping) < 1.0
    ):
        raise ValueError(f"damping must be a number in [0, 1), got {damping!r}")
    for name, flag in (("continuation", continuation), ("strict", strict)):
        if not isinstance(flag, (bool, np.bool_)):
            raise ValueError(f"{name} must be True or False, got {flag!r}")
    return tol, max_iter, float(damping)


#: loads outside [ALPHA_MIN, ALPHA_MAX] are refused: below, every order parameter is its
#: alpha -> 0 limit to double precision; above, the conjugates overflow the quadrature's scales
ALPHA_MIN, ALPHA_MAX = 1e-10, 1e10


def _check_alpha(alpha):
    alpha_in = check_positive("alpha", alpha)
    a = np.asarray(alpha_in)
    if a.size == 0:
        raise ValueError(f"alpha must hold at least one load, got an empty array of shape {a.shape}")
    if np.any((a < ALPHA_MIN) | (a > ALPHA_MAX)):
        bad = a[(a < ALPHA_MIN) | (a > ALPHA_MAX)].ravel()[0]
        raise ValueError(
            f"alpha must be in [{ALPHA_MIN:g}, {ALPHA_MAX:g}] (the range the saddle-point "
            f"equations are solved on), got {bad:g}"
        )
    return alpha_in


def _generalization(model: TeacherStudent, m, q, V, rho=None, nishimori: bool = False):
    r"""0-1 error (labels ±1) or test MSE on a fresh noisy label at overlaps (m, q, V).

    ``rho`` is the teacher's self-overlap: the prior's second moment in the
    thermodynamic limit, :math:`|w^*|^2/N` on a finite instance (so that
    :math:`m/\sqrt{\rho q} \le 1` by Cauchy-Schwarz there).

    ``nishimori=True`` (the Bayes-optimal fixed point of the thermodynamic limit, where
    :math:`m = q = \rho - V`): the 0-1 error is computed as
    :math:`\arcsin(\sqrt{V/\rho})/\pi`, equal to :math:`\arccos(\sqrt{q/\rho})/\pi` but without
    the cancellation in :math:`1 - q/\rho`, which leaves no correct digit once
    :math:`V/\rho \lesssim 10^{-14}` (alpha beyond ~1e7 for the spherical perceptron, where
    :math:`\varepsilon_g \simeq 0.442/\alpha`).
    """
    rho = model.rho if rho is None else rho
    gibbs = isinstance(model.student, Gibbs)
    q_est = q + V if gibbs else q
    if model.task == "classification":
        c = np.clip(m / np.sqrt(np.maximum(rho * q_est, 1e-300)), -1.0, 1.0)
        eps = np.arccos(c) / np.pi
        if nishimori:  # where m = q = rho - V holds (to rounding), the form without cancellation
            holds = (np.abs(m - q) <= 1e-9 * rho) & (np.abs(rho - q - V) <= 1e-9 * rho)
            eps = np.where(holds, np.arcsin(np.sqrt(np.clip(V / rho, 0.0, 1.0))) / np.pi, eps)
        return eps
    noise = getattr(model.channel, "variance", 0.0)
    return rho - 2.0 * m + q_est + noise


def _erm_train(model: TeacherStudent, m, q, V):
    """Mean training loss and training error at the proximal points (ERM)."""
    ch = cast(LossChannel, model.student_channel)  # an ERM student's channel
    return ch.rs_train(m, q, V, model.channel, model.rho)


def _learnable_exactly(model: TeacherStudent) -> bool:
    """A discrete prior shared by teacher and student (not ERM): perfect learning, m = q = rho and V = 0,
    is a fixed point at every load (its free entropy is minus the prior's entropy plus the channel's)."""
    sp = model.student_prior
    return not isinstance(model.student, ERM) and np.isfinite(sp.entropy) and sp == model.prior


def _equations(model: TeacherStudent, alpha: np.ndarray):
    """Update map, residual and initial states for the model."""
    rho = model.rho
    sp, sc, tp, tc = model.student_prior, model.student_channel, model.prior, model.channel

    if model.bayes_optimal:

        def conj_bo(x):
            V = x["V"]
            q = rho - V
            ch = sc.rs_teacher_student(q, q, V, tc, rho, V_star=V)
            qh = alpha * ch["qhat"]
            return qh, ch

        def update_bo(x):
            qh, _ = conj_bo(x)
            pr = sp.rs_teacher_student(qh, qh, qh, tp)
            return {"V": np.clip(pr["V"], _V_FLOOR, rho)}

        def residual_bo(x, fx):
            return np.abs(fx["V"] - x["V"]) / np.maximum(x["V"], _V_FLOOR)

        def finish_bo(x):
            V = x["V"]
            q = rho - V
            qh, ch = conj_bo(x)
            pr = sp.rs_teacher_student(qh, qh, qh, tp)
            return dict(m=q, q=q, V=V, mhat=qh, qhat=qh, Vhat=qh, phi=pr["psi"] + alpha * ch["psi"])

        starts = {
            "uninformed": {"V": np.full(alpha.shape, rho * (1 - 1e-6))},
            "informed": {"V": np.full(alpha.shape, 1e-8 * rho)},
        }
        return update_bo, residual_bo, finish_bo, starts

    def conj(x, a):
        ch = sc.rs_teacher_student(x["m"], x["q"], x["V"], tc, rho)
        return a * ch["mhat"], a * ch["qhat"], a * ch["Vhat"], ch

    def update(x, idx=None):
        mh, qh, Vh, _ = conj(x, alpha if idx is None else alpha.reshape(-1)[idx])
        pr = sp.rs_teacher_student(mh, qh, Vh, tp)
        return {"m": pr["m"], "q": np.maximum(pr["q"], 1e-300), "V": np.maximum(pr["V"], 1e-300)}

    def residual(x, fx):
        scale = np.maximum(np.abs(x["q"]), 1e-12)
        return np.maximum.reduce(
            [
                np.abs(fx["m"] - x["m"]) / np.sqrt(scale * rho),
                np.abs(fx["q"] - x["q"]) / scale,
                np.abs(fx["V"] - x["V"]) / np.maximum(x["V"], 1e-300),
            ]
        )

    def finish(x):
        mh, qh, Vh, ch = conj(x, alpha)
        psi_w = sp.rs_teacher_student(mh, qh, Vh, tp)["psi"]  # L2Penalty: the beta -> infinity limit
        V = np.where(x["V"] <= 1e-300, 0.0, x["V"])  # at its floor: perfect learning, V = 0 exactly
        return dict(m=x["m"], q=x["q"], V=V, mhat=mh, qhat=qh, Vhat=Vh, phi=psi_w + alpha * ch["psi"])

    ones = np.ones(alpha.shape)
    starts = {
        "uninformed": {"m": 1e-3 * ones * np.sqrt(rho), "q": 1e-2 * ones * rho, "V": ones},
        "informed": {"m": 0.99 * ones * rho, "q": 0.99 * ones * rho, "V": 0.01 * ones},
    }
    if _learnable_exactly(model):  # the informed start is perfect learning itself (V at its floor)
        starts["informed"] = {"m": ones * rho, "q": ones * rho, "V": ones * 1e-300}
    return update, residual, finish, starts


_ITER_BEFORE_NEWTON = 2000


def _newton_polish(model, alpha, state, done, tol):
    """Solve F(x) = x with MINPACK's hybrid Powell method for the loads not yet converged.

    Works on (m, log q, log V) of one load at a time, starting from the last
    iterate; a load counts as converged only if the iteration residual of the
    returned state is <= tol.  Rescues the loads where the map's Jacobian has an
    eigenvalue close to one (Gibbs students at large alpha, ERM at tiny l2), on
    which damped and Anderson iterations crawl.
    """
    from scipy.optimize import root

    state = {k: np.array(v, dtype=float) for k, v in state.items()}
    res_out = np.full(alpha.shape, np.inf)
    ok = np.zeros(alpha.shape, dtype=bool)
    for k in np.nonzero(~done)[0]:
        if not all(np.isfinite(state[n][k]) for n in ("m", "q", "V")) or state["q"][k] <= 0 or state["V"][k] <= 0:
            continue
        update, residual, _, _ = _equations(model, alpha[k : k + 1])

        def unpack(z):
            return {"m": np.array([z[0]]), "q": np.array([np.exp(z[1])]), "V": np.array([np.exp(z[2])])}

        def F(z):
            fx = update(unpack(z))
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.array([fx["m"][0] - z[0], np.log(fx["q"][0]) - z[1], np.log(fx["V"][0]) - z[2]])

        z0 = np.array([state["m"][k], np.log(state["q"][k]), np.log(state["V"][k])])
        with np.errstate(all="ignore"):
            sol = root(F, z0, method="hybr", options={"xtol": 1e-14, "maxfev": 400})
        if not np.all(np.isfinite(sol.x)):
            continue
        x = unpack(sol.x)
        r = float(residual(x, update(x))[0])
        if np.isfinite(r) and r <= tol:
            for n in ("m", "q", "V"):
                state[n][k] = x[n][0]
            res_out[k] = r
            ok[k] = True
    return state, ok, res_out


def _run_branch(model, alpha, start, damping, tol, max_iter, x0=None, acceleration="anderson"):
    """Iterate one start to its fixed point on the grid ``alpha``.

    Bayes-optimal models (or ``acceleration=None``): damped iteration, whose two branches follow AMP.
    Otherwise :func:`~statmech_learn.replica.saddle.iterate_warm`: Anderson acceleration in (m, log q,
    log V) on the whole grid, restarts of the unconverged loads from converged neighbours, and the
    damped iteration from ``x0`` for what is still left, for at most 2000 steps; loads still not
    converged are then solved by :func:`_newton_polish`, and the iteration resumes (up to ``max_iter``
    in all) for any that remain.  Each load's ``converged``, ``n_iter`` and ``residual`` refer to the
    state returned."""
    from .saddle import iterate_warm

    update, residual, finish, starts = _equations(model, alpha)
    x0 = x0 if x0 is not None else starts[start]
    # perfect learning is not in reach of Anderson's extrapolation in log V: the informed branch of a
    # discrete prior is iterated plainly, like the Bayes-optimal branches
    plain = start == "informed" and x0 is starts["informed"] and _learnable_exactly(model)
    if model.bayes_optimal or acceleration is None or plain:
        it = iterate(update, x0, residual, damping=damping, tol=tol, max_iter=max_iter)
        state, conv, n_iter, res = it.state, it.converged, it.n_iter, it.residual
    else:
        first = min(max_iter, _ITER_BEFORE_NEWTON)
        it = iterate_warm(
            update,
            x0,
            residual,
            np.asarray(alpha, dtype=float),
            damping=damping,
            tol=tol,
            max_iter=first,
            positive=("q", "V"),
        )
        state, conv, n_iter, res = it.state, it.converged.copy(), it.n_iter.copy(), it.residual.copy()
        if not np.all(conv) and max_iter > first:  # the budget allows more than the first phase
            state, ok, r_ok = _newton_polish(model, np.asarray(alpha, dtype=float), state, conv, tol)
            conv = conv | ok
            res = np.where(ok, r_ok, res)
        if not np.all(conv) and max_iter > first:
            rest = iterate(update, state, residual, damping=damping, tol=tol, max_iter=max_iter - first)
            state = {k: np.where(conv, state[k], rest.state[k]) for k in state}
            n_iter = np.where(conv, n_iter, n_iter + rest.n_iter)
            res = np.where(conv, res, rest.residual)
            conv = conv | rest.converged
    out = finish(state)
    out.update(converged=conv & np.isfinite(out["phi"]), n_iter=n_iter, residual=res)
    return out


def _continuation(model, alpha, start, damping, tol, max_iter):
    """Solve point by point along ``alpha`` (in the given order), warm-starting each from the last
    (for the (m, q, V) equations, from the linear extrapolation of the last two, in log q and log V)."""
    outs = []
    x0 = None
    for j, a in enumerate(alpha):
        out = _run_branch(model, np.array([a]), start, damping, tol, max_iter, x0)
        outs.append(out)
        if model.bayes_optimal:
            x0 = {"V": out["V"]}
        elif j >= 1 and outs[-1]["converged"][0] and outs[-2]["converged"][0] and j + 1 < len(alpha):
            t = (alpha[j + 1] - a) / (a - alpha[j - 1])
            p, pp = outs[-1], outs[-2]
            x0 = {
                "m": p["m"] + t * (p["m"] - pp["m"]),
                "q": p["q"] * (p["q"] / pp["q"]) ** t,
                "V": p["V"] * (p["V"] / pp["V"]) ** t,
            }
        else:
            x0 = {"m": out["m"], "q": out["q"], "V": out["V"]}
    return {k: np.concatenate([np.atleast_1d(o[k]) for o in outs]) for k in outs[0]}


@_cites
def solve_branches(
    model: TeacherStudent,
    alpha: ArrayLike,
    *,
    damping: float = 0.5,
    tol: float = 1e-10,
    max_iter: int = 20_000,
    continuation: bool = False,
) -> dict[str, ReplicaCurve]:
    """Both branches of the RS equations: iterated from an uninformed and an informed start.

    Returns ``{"uninformed": ReplicaCurve, "informed": ReplicaCurve}`` (no
    warnings; check ``converged``).
    """
    model = _check_model(model)
    _check_erm_defined(model)
    alpha_in = _check_alpha(alpha)
    tol, max_iter, damping = _check_options(tol, max_iter, damping, continuation)
    alpha_arr = np.atleast_1d(np.asarray(alpha_in, dtype=float))
    scalar = np.ndim(alpha_in) == 0
    return {
        b: _to_curve(model, alpha_arr, _solve_raw(model, alpha_arr, b, damping, tol, max_iter, continuation), b, scalar)
        for b in ("uninformed", "informed")
    }


def _solve_raw(model, alpha, branch, damping, tol, max_iter, continuation, method="auto"):
    from .max_margin import max_margin_applicable, max_margin_saddle_point
    from .ridge import ridge_applicable, ridge_saddle_point

    if method == "auto" and ridge_applicable(model):
        return ridge_saddle_point(model, alpha)
    if max_margin_applicable(model):  # the l2 -> 0 limit: the generic equations have V = inf there
        return max_margin_saddle_point(model, alpha, tol=tol)
    if model.bayes_optimal and method == "auto":
        from .bayes import solve_bayes_optimal

        return solve_bayes_optimal(model, alpha, tol=tol)[branch]
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
    eg = _generalization(model, m, q, V, nishimori=isinstance(model.student, BayesOptimal))
    if "train_loss" in out:  # closed-form paths return their own
        train_loss, train_err = out["train_loss"], out["train_error"]
    elif isinstance(model.student, ERM):
        train_loss, train_err = _erm_train(model, m, q, V)
    elif isinstance(model.student, Gibbs) and model.task == "classification":
        ch = cast(ErrorCounting, model.student_channel)
        train_loss = np.full(alpha.shape, np.nan)
        train_err = ch.rs_train_error(m, q, V, model.channel, model.rho)
    else:
        train_loss = train_err = np.full(alpha.shape, np.nan)
    branch_arr = np.broadcast_to(np.asarray(branch, dtype=object), alpha.shape) if isinstance(branch, str) else branch

    def o(x):
        x = np.asarray(x)
        if not scalar:
            return x
        v = x.flat[0]
        return v.item() if isinstance(v, np.generic) else v

    return ReplicaCurve(
        alpha=o(alpha),
        m=o(m),
        q=o(q),
        V=o(V),
        Q=o(q + V if gibbs_or_bo else np.full(alpha.shape, np.nan)),
        mhat=o(out["mhat"]),
        qhat=o(out["qhat"]),
        Vhat=o(out["Vhat"]),
        free_entropy=o(out["phi"]),
        generalization_error=o(eg),
        train_loss=o(train_loss),
        train_error=o(train_err),
        converged=o(out["converged"]),
        n_iter=o(out["n_iter"]),
        residual=o(out["residual"]),
        branch=o(branch_arr),
        l2=o(out["l2"] if "l2" in out else np.full(alpha.shape, _l2_of(model))),
        model=repr(model),
    )


def _l2_of(model) -> float:
    st = model.student
    return float(st.l2) if isinstance(st, ERM) and not st.optimal else float("nan")


@_cites
def solve(
    model: TeacherStudent,
    alpha: ArrayLike,
    *,
    init: str = "auto",
    method: str = "auto",
    damping: float = 0.5,
    tol: float = 1e-10,
    max_iter: int = 20_000,
    continuation: bool = False,
    strict: bool = False,
) -> ReplicaCurve | CommitteeCurve:
    r"""Solve the RS saddle-point equations of ``model`` on an alpha grid.

    Parameters
    ----------
    model : TeacherStudent
    alpha : float or array_like
        Loads P/N > 0.  The whole grid is iterated at once (vectorised).
    init : {'auto', 'uninformed', 'informed', 'both'}
        Branch(es).  'both' computes the two and keeps, at each alpha, the
        converged branch of larger free entropy (the thermodynamic one);
        'auto' is 'both' for Bayes-optimal models with a non-Gaussian prior and
        for Gibbs students of a discrete prior (±1 weights: the informed branch
        is perfect learning, V = 0, a fixed point at every load and temperature,
        whose free entropy the poor-generalisation branch crosses at a
        first-order transition; Seung, Sompolinsky & Tishby 1992), and
        'uninformed' otherwise.
    method : {'auto', 'iterate'}
        'auto' solves Bayes-optimal models by locating all fixed points of the
        scalar state-evolution map (:mod:`statmech_learn.replica.bayes`: fast,
        no critical slowing down), square-loss ERM in closed form
        (:mod:`statmech_learn.replica.ridge`, including ``l2 = 0``), the
        unregularised hinge loss as the max-margin limit
        (:mod:`statmech_learn.replica.max_margin`; loads beyond the
        separability threshold of a noisy teacher are unconverged) and
        iterates the others; 'iterate' forces the generic iteration.
    damping : float in [0, 1)
        Weight of the old iterate.
    tol : float
        Convergence: relative change of every order parameter below tol
        (Bayes-optimal models: :math:`|\log F(V) - \log V| \le` tol at the polished root).
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
        A :class:`~statmech_learn.replica.committee.CommitteeCurve` for a committee machine
        (``channel=channels.Committee(K)``, K >= 2; :mod:`statmech_learn.replica.committee`), a
        :class:`FeaturesCurve` for a :class:`~statmech_learn.replica.RandomFeatures` model,
        whose ``alpha`` is n/D and ``features_ratio`` P/D (broadcast together).

    Notes
    -----
    ``ERM(loss, l2="optimal")``: at each load the penalty minimising the generalisation error,
    by bounded Brent minimisation in :math:`\log_{10}\lambda \in [-8, 3]` (to 1e-4 in the
    exponent); ``curve.l2`` reports it.  With structured inputs
    (``TeacherStudent(..., inputs=...)``) the equations are those of
    :mod:`statmech_learn.gibbs.spectra`; square-loss students are solved in closed form there too.
    """
    from .covariates import RandomFeatures

    if isinstance(model, TeacherStudent) and model.committee:
        from .committee import solve_committee

        return solve_committee(model, alpha, damping=damping, tol=tol, max_iter=max_iter, strict=strict)
    method = check_choice("method", method, ("auto", "iterate"))
    init = check_choice("init", init, ("auto", "uninformed", "informed", "both"))
    tol, max_iter, damping = _check_options(tol, max_iter, damping, continuation, strict)
    opts = dict(init=init, method=method, damping=damping, tol=tol, max_iter=max_iter, continuation=continuation)
    curve: ReplicaCurve
    if isinstance(model, RandomFeatures):
        curve = _solve_features(model, alpha, opts)
        alpha_arr = np.atleast_1d(np.asarray(curve.alpha))
    else:
        model = _check_model(model)
        alpha_in = _check_alpha(alpha)
        alpha_arr = np.atleast_1d(np.asarray(alpha_in, dtype=float))
        curve = _solve_checked(model, alpha_arr, np.ndim(alpha_in) == 0, **opts)
    report_convergence(curve, alpha_arr, "replica saddle point", tol, max_iter, model, strict)
    return curve


def report_convergence(curve, alpha, what: str, tol: float, max_iter: int, model, strict: bool) -> None:
    """Warn (:class:`ConvergenceWarning`) or, with ``strict``, raise :class:`ConvergenceError` carrying ``curve``,
    naming the loads where ``curve.converged`` is False."""
    conv = np.atleast_1d(curve.converged)
    if np.all(conv):
        return
    bad = np.broadcast_to(alpha, conv.shape)[~conv]
    msg = (
        f"{what} did not converge (tol {tol:g}, max_iter {max_iter}) at alpha = "
        f"{np.array2string(bad, threshold=8)} for {model!r}"
    )
    if strict:
        raise ConvergenceError(msg, curve)
    warnings.warn(msg, ConvergenceWarning, stacklevel=3)


#: search range of ``l2="optimal"`` (log10) and its tolerance in the exponent
L2_RANGE = (-8.0, 3.0)
L2_XTOL = 1e-4


def _solve_checked(
    model: TeacherStudent, alpha_arr, scalar, *, init, method, damping, tol, max_iter, continuation
) -> ReplicaCurve:
    """:func:`solve` on a validated model and grid, without the convergence warning."""
    if isinstance(model.student, ERM) and model.student.optimal:
        return _solve_optimal_l2(
            model,
            alpha_arr,
            scalar,
            init=init,
            method=method,
            damping=damping,
            tol=tol,
            max_iter=max_iter,
            continuation=continuation,
        )
    _check_erm_defined(model)
    if init == "auto":
        from ..gibbs import GaussianPrior, SphericalPrior

        bo_first_order = model.bayes_optimal and not isinstance(model.prior, (GaussianPrior, SphericalPrior))
        init = "both" if bo_first_order or _learnable_exactly(model) else "uninformed"
    if init == "both" and model.bayes_optimal and method == "auto":
        from .bayes import solve_bayes_optimal

        both = solve_bayes_optimal(model, alpha_arr, tol=tol)
        out, branch = _pick(model, both["uninformed"], both["informed"])
    elif init == "both":
        u = _solve_raw(model, alpha_arr, "uninformed", damping, tol, max_iter, continuation, method)
        i = _solve_raw(model, alpha_arr, "informed", damping, tol, max_iter, continuation, method)
        out, branch = _pick(model, u, i)
    else:
        out = _solve_raw(model, alpha_arr, init, damping, tol, max_iter, continuation, method)
        branch = "unique" if isinstance(model.student, ERM) else init
    return _to_curve(model, alpha_arr, out, branch, scalar)


def _search_error(c: ReplicaCurve) -> float:
    """Generalisation error of a one-load curve of the penalty search; inf if unconverged or not finite."""
    e = float(np.asarray(c.generalization_error))
    return e if c.converged and np.isfinite(e) else np.inf


def _solve_optimal_l2(model: TeacherStudent, alpha_arr, scalar, **opts) -> ReplicaCurve:
    """Minimise the generalisation error over the penalty at every load (Notes of :func:`solve`)."""
    from scipy.optimize import minimize_scalar

    points = []
    for a in alpha_arr:
        cache: dict[float, ReplicaCurve] = {}

        def err(t):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                c = _solve_checked(model.with_l2(10.0**t), np.array([a]), True, **opts)
            cache[t] = c
            return _search_error(c)

        minimize_scalar(err, bounds=L2_RANGE, method="bounded", options={"xatol": L2_XTOL})
        points.append(min(cache.values(), key=_search_error))
    fields = {
        f: np.array([getattr(c, f) for c in points]) for f in ReplicaCurve.__dataclass_fields__ if f not in ("model",)
    }
    if scalar:
        fields = {k: (v[0].item() if isinstance(v[0], np.generic) else v[0]) for k, v in fields.items()}
    return ReplicaCurve(**fields, model=repr(model))


def _solve_features(rf, alpha, opts) -> FeaturesCurve:
    """Solve a :class:`RandomFeatures` family: one model per distinct P/D, load n/P = alpha / ratio."""
    alpha_in = _check_alpha(alpha)
    ratio = rf.features_ratio
    scalar = np.ndim(alpha_in) == 0 and np.ndim(ratio) == 0
    try:
        a, r = np.broadcast_arrays(np.atleast_1d(np.asarray(alpha_in, dtype=float)), np.atleast_1d(ratio))
    except ValueError:
        raise ValueError(
            f"alpha (shape {np.shape(alpha_in)}) and the model's features_ratio (shape "
            f"{np.shape(ratio)}) must broadcast together"
        ) from None
    a, r = a.ravel(), r.ravel()
    per = {}
    sizes = np.zeros(a.shape, dtype=int)
    for value in np.unique(r):
        idx = np.flatnonzero(r == value)
        model = rf.model(value)
        _check_alpha(a[idx] / value)
        per[value] = (idx, _solve_checked(model, a[idx] / value, False, **opts))
        sizes[idx] = model.spectrum.size
    fields = {}
    for f in ReplicaCurve.__dataclass_fields__:
        if f in ("model", "alpha"):
            continue
        first = np.asarray(getattr(next(iter(per.values()))[1], f))
        col = np.empty(a.shape, dtype=first.dtype if first.dtype.kind != "U" else object)
        for idx, c in per.values():
            col[idx] = np.asarray(getattr(c, f))
        fields[f] = col
    fields.update(alpha=a, features_ratio=r, samples_per_feature=a / r, spectrum_size=sizes)
    if scalar:
        fields = {k: (v[0].item() if isinstance(v[0], np.generic) else v[0]) for k, v in fields.items()}
    return FeaturesCurve(**fields, model=repr(rf))


def _pick(model, u, i):
    """At each alpha the converged branch of larger free entropy, labelled 'informed' or
    'uninformed' by its start, or 'unique' where the two starts reach the same fixed point
    (and always for ERM, whose fixed point is unique)."""
    pick_i = i["converged"] & (~u["converged"] | (i["phi"] >= u["phi"]))
    out = {k: np.where(pick_i, i[k], u[k]) for k in u}
    scale = np.sqrt(model.rho)
    with np.errstate(invalid="ignore"):
        same = (
            u["converged"]
            & i["converged"]
            & np.all([np.abs(u[k] - i[k]) <= 1e-7 * scale for k in ("m", "q", "V")], axis=0)
        )
    branch = np.where(pick_i, "informed", "uninformed").astype(object)
    branch[same | isinstance(model.student, ERM)] = "unique"
    return out, branch


def check_alpha_range(alpha_range) -> tuple[float, float]:
    """An increasing pair (low, high) of loads > 0."""
    if isinstance(alpha_range, str) or np.ndim(alpha_range) != 1 or len(alpha_range) != 2:
        raise ValueError(f"alpha_range must be a pair (low, high), got {alpha_range!r}")
    try:
        lo, hi = (float(_check_alpha(a)) for a in alpha_range)
    except ValueError as exc:
        raise ValueError(f"alpha_range: {exc}") from None
    if not lo < hi:
        raise ValueError(f"alpha_range must be increasing, got {alpha_range}")
    return lo, hi


@_cites
def transitions(
    model: TeacherStudent, alpha_range: tuple[float, float] = (0.01, 10.0), *, xtol: float = 1e-6, strict: bool = False
) -> Transitions:
    """First-order (information-theoretic) transition and both spinodals of a Bayes-optimal model.

    Scans ``alpha_range`` for loads where two stable fixed points of the
    state-evolution map coexist (the metastable region), then locates its ends
    as tangencies, ``alpha_spinodal_informed`` (the informed branch appears)
    and ``alpha_spinodal`` (the uninformed branch, where AMP stops, ends), and
    ``alpha_it``, the zero of the free-entropy difference of the two branches
    between them.  Works for any prior, discrete or continuous (see
    :func:`statmech_learn.replica.bayes.bayes_transitions`).  A model with no
    coexistence in the range returns ``first_order=False`` and NaN loads, with
    a ``message``; ``strict=True`` raises :class:`ConvergenceError` instead
    whenever ``converged`` is False.

    Examples
    --------
    >>> tr = transitions(TeacherStudent(prior="binary", channel="sign"), (1.0, 2.0))
    >>> round(tr.alpha_it, 3), round(tr.alpha_spinodal, 3)
    (1.245, 1.493)
    """
    from .bayes import bayes_transitions

    model = _check_model(model)
    strict = check_bool("strict", strict)
    if model.committee:
        from .committee import committee_transitions

        return committee_transitions(
            model, (0.5, 4.0) if alpha_range == (0.01, 10.0) else alpha_range, xtol=max(xtol, 1e-4), strict=strict
        )
    xtol = check_tol("xtol", xtol, floor=1e-10)
    if not model.bayes_optimal:
        raise ValueError(f"model must be Bayes-optimal for transitions, got {model!r}")
    lo, hi = check_alpha_range(alpha_range)
    tp = bayes_transitions(model, (lo, hi), xtol=xtol)
    out = Transitions(
        alpha_it=tp.alpha_it,
        alpha_spinodal=tp.alpha_spinodal,
        alpha_spinodal_informed=tp.alpha_spinodal_informed,
        first_order=tp.first_order,
        converged=tp.converged,
        xtol=xtol,
        alpha_range=(lo, hi),
        message=tp.message,
    )
    if strict and not out.converged:
        raise ConvergenceError(f"transitions of {model!r}: {tp.message}", out)
    return out
