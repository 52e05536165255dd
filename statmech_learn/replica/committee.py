r"""Bayes-optimal committee machines: the replica equations over K x K order parameters.

The teacher-student model with a :class:`~statmech_learn.gibbs.committee.Committee` channel
and a K-dimensional prior per input (Aubin et al. 2018, NeurIPS, "The committee machine:
computational to statistical gaps in learning a two-layers neural network"; Schwarze 1993,
J. Phys. A 26, 5781; Schwarze & Hertz 1993, Europhys. Lett. 21, 785).  The fixed point of

.. math::
    q \leftarrow F_\alpha(q) = q_{prior}\big(\alpha\,\hat q_{out}(q)\big)

is the state evolution of committee AMP (one application per AMP iteration).  Two branches:
*uninformed*, the fixed point the state evolution reaches from AMP's start (q near 0, the permutation
symmetry broken by a small :math:`q_d`): on the invariant line :math:`q_d = 0` (every hidden unit learns
the same direction, :math:`q \propto \mathbf{1}\mathbf{1}^\top`, *non-specialised*) while the map contracts
across it, else wherever the flow off the line ends (*specialised*, possibly only partly); and *informed*,
continued from :math:`q = (1 - 10^{-4}) I` (each student unit aligned with one teacher unit; perfect recovery for
±1 weights).  The Bayes-optimal (thermodynamic) answer is the one of larger free entropy
:math:`\Phi = -\tfrac12\mathrm{Tr}\,q\hat q + \mathbb E\log Z_w + \alpha\,\mathbb E\sum_y Z_{out}\log Z_{out}`;
where the two differ AMP is suboptimal (the computational gap of Aubin et al.).

``symmetric=True`` restricts q to the committee-symmetric form :math:`q = q_d I + q_a\mathbf{1}\mathbf{1}^\top/K`
(projected after each step); the general matrix iteration is the reference it is tested against.  The channel sums over
labels exactly (orthant probabilities), the prior maps are closed form (Gaussian) or enumerate
the :math:`2^K` sign configurations (binary).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_bool, check_choice, check_int
from ..citations import _cites
from ..results import Result
from .glm import Transitions

__all__ = ["CommitteeCurve", "CommitteeTransitions", "solve_committee", "committee_transitions"]


@dataclass(frozen=True, repr=False)
class CommitteeCurve(Result):
    r"""Replica fixed points of a Bayes-optimal committee machine along an alpha grid.

    Attributes
    ----------
    alpha : loads P/N.
    q, qhat : order parameters, shape (n_alpha, K, K).
    q_diagonal, q_offdiagonal : :math:`q_d` and :math:`q_a` of :math:`q = q_d I + q_a 11^T/K` (their
        least-squares values when q is not committee-symmetric).
    free_entropy : RS free entropy per input.
    generalization_error : :math:`\tfrac12\mathbb E(y - \hat y)^2` of the Bayes-optimal (posterior-mean)
        label, Aubin et al.'s convention (:meth:`~statmech_learn.gibbs.Committee.rs_bayes`).
    specialized : the hidden units have specialised, :math:`q_d > 10^{-3}`.
    branch : the branch each point is on ('uninformed', 'informed'), 'unique' where both reach the
        same fixed point.
    converged, n_iter, residual : per alpha; residual is :math:`\\max|F(q) - q|`.
    model : repr of the model.
    """

    alpha: object
    q: object
    qhat: object
    q_diagonal: object
    q_offdiagonal: object
    free_entropy: object
    generalization_error: object
    specialized: object
    branch: object
    converged: object
    n_iter: object
    residual: object
    model: str


#: q_d above which a fixed point counts as specialised
SPECIALIZED = 1e-3
#: the informed start q = (1 - 1e-4) I: near perfect recovery (a fixed point for ±1 weights at every load, whose
#: basin a start like 0.9 I can miss)
_INFORMED_START = 1.0 - 1e-4
#: iterations of one continuation step (a step that needs more has left its branch)
_CONTINUATION_ITER = 60
#: plain iterations that follow the state-evolution flow off the non-specialised line
_FLOW_ITER = 250


def _symmetric_parts(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(q_d, q_a) of the committee-symmetric projection q_d I + q_a 11^T / K."""
    K = q.shape[-1]
    tr = np.trace(q, axis1=-2, axis2=-1)
    tot = np.sum(q, axis=(-2, -1))
    if K == 1:
        return np.zeros(q.shape[:-2]), tot
    off = (tot - tr) / (K * (K - 1))  # mean off-diagonal entry = q_a / K
    d = tr / K - off
    return d, K * off


def _compose(qd, qa, K):
    return qd[..., None, None] * np.eye(K) + (qa / K)[..., None, None] * np.ones((K, K))


def _maps(model, alpha, symmetric, order):
    prior, channel = model.prior, model.channel

    def F(q, a=alpha):
        ch = channel.rs_bayes(q, order=order, symmetric=symmetric)
        qh = a[:, None, None] * ch["qhat"]
        pr = prior.rs_bayes(qh)
        qn = pr["q"]
        if symmetric:
            qn = _compose(*_symmetric_parts(qn), channel.K)
        return qn, qh, pr, ch

    return F


def _pack(q, symmetric):
    """The iterated coordinates: (q_d, q_a) in the symmetric ansatz, the upper triangle otherwise."""
    if symmetric:
        qd, qa = _symmetric_parts(q)
        return {"qd": qd, "qa": qa}
    K = q.shape[-1]
    iu = np.triu_indices(K)
    return {f"q{i}{j}": q[..., i, j] for i, j in zip(*iu)}


def _unpack(x, K, symmetric):
    if symmetric:
        return _compose(np.asarray(x["qd"]), np.asarray(x["qa"]), K)
    first = next(iter(x.values()))
    q = np.zeros(np.shape(first) + (K, K))
    for i, j in zip(*np.triu_indices(K)):
        q[..., i, j] = q[..., j, i] = x[f"q{i}{j}"]
    return q


def _iterate(model, alpha, q0, damping, tol, max_iter, symmetric, order, accelerate=True, plain_tol=None):
    """Fixed-point iteration on the packed coordinates, each load stopping at its own tolerance
    (:func:`~statmech_learn.replica.saddle.iterate`; Anderson-accelerated when ``accelerate``).

    ``plain_tol``: first iterate the plain damped map down to that residual, so that the iteration follows
    the state evolution to the *stable* fixed point it reaches (Anderson's quasi-Newton steps converge to
    unstable fixed points as well); then accelerate from there."""
    from .saddle import iterate

    K = model.channel.K
    F = _maps(model, alpha, symmetric, order)
    if plain_tol is not None and plain_tol > tol:
        first = _iterate(model, alpha, q0, damping, plain_tol, max_iter, symmetric, order, accelerate=False)
        q0 = np.where(np.isfinite(first["q"]), first["q"], q0)
        max_iter = max(1, max_iter - int(np.max(first["n_iter"])))
    x0 = _pack(np.broadcast_to(q0, alpha.shape + (K, K)), symmetric)

    def update(x, idx):
        qn = F(_unpack(x, K, symmetric), alpha[idx])[0]
        return _pack(qn, symmetric)

    def residual(x, fx):
        return np.max(np.abs(np.stack([fx[k] - x[k] for k in x])), axis=0)

    kw = dict(acceleration="anderson", memory=4, max_step=0.5) if accelerate else {}
    with np.errstate(all="ignore"):
        it = iterate(update, x0, residual, damping=damping, tol=tol, max_iter=max_iter, subset=True, **kw)
    return _finish(
        model, alpha, _unpack(it.state, K, symmetric), it.converged, it.n_iter, it.residual, symmetric, order
    )


def _finish(model, alpha, q, converged, n_iter, residual, symmetric, order):
    qn, qh, pr, ch = _maps(model, alpha, symmetric, order)(q)
    conv = converged & np.all(np.isfinite(qn), axis=(-2, -1))
    return dict(
        q=q,
        qhat=qh,
        phi=pr["psi"] + alpha * ch["psi"],
        error=ch["error"],
        converged=conv,
        n_iter=n_iter,
        residual=residual,
    )


def _radius(model, alpha, q, order, step=1e-6):
    """Spectral radius of the committee-symmetric map's Jacobian in (q_d, q_a) at q (central differences):
    a fixed point with radius < 1 is stable, i.e. reached by state evolution."""
    K = model.channel.K
    F = _maps(model, alpha, True, order)
    qd, qa = _symmetric_parts(q)
    cols = []
    for dd, da in ((step, 0.0), (0.0, step)):
        hi = _symmetric_parts(F(_compose(qd + dd, qa + da, K))[0])
        lo = _symmetric_parts(F(_compose(np.maximum(qd - dd, 0.0), qa - da, K))[0])
        width = (qd + dd) - np.maximum(qd - dd, 0.0) if dd else 2.0 * step
        cols.append(np.stack([(hi[0] - lo[0]) / width, (hi[1] - lo[1]) / width], axis=-1))
    J = np.stack(cols, axis=-1)  # (..., 2, 2)
    return np.max(np.abs(np.linalg.eigvals(J)), axis=-1)


def _recovers_perfectly(model) -> bool:
    """±1 weights and a deterministic label (the sign committee): q = I is a fixed point at every load."""
    from ..gibbs.committee import BinaryVectorPrior, Committee

    return isinstance(model.prior, BinaryVectorPrior) and isinstance(model.channel, Committee)


def _perfect_recovery(model, alpha):
    r"""Perfect recovery, q = I: with ±1 weights and noiseless labels it is a fixed point at every load (the labels
    fix :math:`\hat q = \infty`, which maps back to q = I) and super-stable.  Its free entropy is
    :math:`-K\log 2` (the prior's entropy, the channel term :math:`\mathbb E\sum_y Z\log Z` being 0 for
    deterministic labels) and the error is 0; :math:`\hat q` is reported as inf."""
    K = model.channel.K
    n = alpha.size
    return dict(
        q=np.broadcast_to(np.eye(K), (n, K, K)).copy(),
        qhat=np.full((n, K, K), np.inf),
        phi=np.full(n, -K * np.log(2.0)),
        error=np.zeros(n),
        converged=np.ones(n, dtype=bool),
        n_iter=np.zeros(n, dtype=int),
        residual=np.zeros(n),
    )


def _informed(model, alpha, damping, tol, max_iter, order):
    """The informed branch by continuation: loads in decreasing order, the largest started from (1 - 1e-4) I (plain
    iteration first, then Anderson) and each next one from the linear extrapolation of the two previous fixed
    points.  The first load whose iteration fails or falls onto the symmetric line (:math:`q_d` <
    ``SPECIALIZED``) is where the branch ends: it and every smaller load are reported not converged (NaN order
    parameters) without iterating.  Near its end a continuation can step onto an unstable fixed point, so the
    lowest points are checked (:func:`_radius` < 1) and dropped while unstable.

    ±1 weights and a noiseless sign committee: the informed branch is perfect recovery, an exact fixed point at every
    load (:func:`_perfect_recovery`), returned without iterating."""
    K = model.channel.K
    if _recovers_perfectly(model):
        return _perfect_recovery(model, alpha)
    order_idx = np.argsort(alpha)[::-1]
    keys = ("q", "qhat", "phi", "error", "converged", "n_iter", "residual")
    nan_row = (np.full((K, K), np.nan), np.full((K, K), np.nan), np.nan, np.nan, False, 0, np.nan)
    res = {k: [None] * alpha.size for k in keys}
    start = _INFORMED_START * np.eye(K)
    found = []  # (index, alpha, q) of the fixed points on the branch, in the order found
    ended = False
    for i in order_idx:
        if ended:
            for k, v in zip(keys, nan_row):
                res[k][i] = v
            continue
        if len(found) >= 2:
            (_, a1, q1), (_, a2, q2) = found[-2], found[-1]
            guess = q2 + (q2 - q1) * (alpha[i] - a2) / (a2 - a1)
            qd, qa = _symmetric_parts(guess)
            start = (
                _compose(np.clip(qd, 2 * SPECIALIZED, 1.0 - 1e-9), np.clip(qa, 0.0, 1.0 - qd), K)
                if np.all(np.isfinite(guess))
                else q2
            )
        o = _iterate(
            model,
            alpha[i : i + 1],
            start,
            damping,
            tol,
            max_iter if not found else min(max_iter, 4 * _CONTINUATION_ITER),
            True,
            order,
            plain_tol=None if found else 1e-4,
        )
        ok = bool(o["converged"][0]) and _symmetric_parts(o["q"])[0][0] > SPECIALIZED
        o["converged"] = np.array([ok])
        for k in keys:
            res[k][i] = o[k][0]
        if ok:
            found.append((i, alpha[i], o["q"][0]))
            start = o["q"][0]
        else:
            ended = True
    while found:  # the lowest points: drop them while unstable
        i, a, q = found[-1]
        if _radius(model, np.array([a]), q[None], order)[0] < 1.0:
            break
        res["converged"][i] = False
        found.pop()
    return {k: np.array(v) for k, v in res.items()}


def _line(model, alpha, damping, tol, max_iter, order):
    """The fixed point on the invariant line q_d = 0 (every hidden unit learns the same direction; a
    one-parameter fixed point in q_a), and the slope of the map across the line, d F_d / d q_d at q_d = 0."""
    from .saddle import iterate

    K = model.channel.K
    F = _maps(model, alpha, True, order)

    def update(x, idx):
        qn = F(_compose(np.zeros(np.shape(x["qa"])), x["qa"], K), alpha[idx])[0]
        return {"qa": _symmetric_parts(qn)[1]}

    def residual(x, fx):
        return np.abs(fx["qa"] - x["qa"])

    with np.errstate(all="ignore"):
        it = iterate(
            update,
            {"qa": np.full(alpha.shape, 1e-3)},
            residual,
            damping=damping,
            tol=tol,
            max_iter=max_iter,
            subset=True,
            acceleration="anderson",
            memory=3,
            max_step=0.5,
        )
    qa = it.state["qa"]
    delta = 1e-6
    slope = _symmetric_parts(F(_compose(np.full(alpha.shape, delta), qa, K))[0])[0] / delta
    out = _finish(
        model, alpha, _compose(np.zeros(alpha.shape), qa, K), it.converged, it.n_iter, it.residual, True, order
    )
    out["slope"] = slope
    return out


def _uninformed(model, alpha, damping, tol, max_iter, order, informed=None):
    """The fixed point the state evolution reaches from AMP's start (q ~ 0, the symmetry broken by a small q_d).

    On the line q_d = 0 where the map contracts across it (slope < 1).  Beyond, the flow leaves the line; the
    loads there are taken in increasing order, each by Anderson's iteration from the previous one's fixed
    point (continuation; from the ``informed`` fixed point when that is within 0.05 of the prediction), and
    where there is no previous one or the continuation fails (it falls back onto the line, is unstable or does
    not converge) by following the flow itself: up to 250 plain iterations from q_d = 1e-3 at a cheaper rule
    (panel order 4) and Anderson's iteration from where they end."""
    K = model.channel.K
    keys = ("q", "qhat", "phi", "error", "converged", "n_iter", "residual")
    out = _line(model, alpha, damping, tol, max_iter, order)
    for k in keys:
        out[k] = np.array(out[k])
    off = np.flatnonzero(out["converged"] & (out["slope"] >= 1.0))
    out["converged"][off] = False
    prev = None
    for i in off[np.argsort(alpha[off])]:
        a = alpha[i : i + 1]
        o = None
        if prev is not None:
            start = prev
            if informed is not None and informed["converged"][i] and np.max(np.abs(informed["q"][i] - prev)) < 0.05:
                start = informed["q"][i]
            o = _iterate(model, a, start, damping, tol, min(max_iter, _CONTINUATION_ITER), True, order)
        # a continuation step that lands on the informed branch, or within 1e-2 of where it started, stays on the
        # stable branch it follows (folds are where the correction grows): no stability check
        near = (
            o is not None
            and bool(o["converged"][0])
            and _symmetric_parts(o["q"])[0][0] > SPECIALIZED
            and (
                np.max(np.abs(o["q"][0] - start)) <= 1e-2
                or (
                    informed is not None
                    and bool(informed["converged"][i])
                    and np.max(np.abs(o["q"][0] - informed["q"][i])) <= 1e-6
                )
            )
        )
        if not near and (o is None or not _accept(model, a, o, order)):
            qa = _symmetric_parts(out["q"][i])[1]
            flow = _iterate(
                model,
                a,
                _compose(np.array(1e-3), qa, K),
                damping,
                1e-6,
                min(max_iter, _FLOW_ITER),
                True,
                4,
                accelerate=False,
            )
            o = _iterate(model, a, flow["q"][0], damping, tol, min(max_iter, 4 * _CONTINUATION_ITER), True, order)
            if not _accept(model, a, o, order):
                prev = None
                continue
        for k in keys:
            out[k][i] = o[k][0]
        prev = o["q"][0]
    return out


def _accept(model, a, o, order) -> bool:
    """A converged, specialised (q_d > ``SPECIALIZED``) and stable fixed point (perfect recovery, q_d = 1 to
    1e-6, is absorbing)."""
    if not (bool(o["converged"][0]) and _symmetric_parts(o["q"])[0][0] > SPECIALIZED):
        return False
    return _symmetric_parts(o["q"])[0][0] >= 1.0 - 1e-6 or _radius(model, a, o["q"], order)[0] < 1.0


@_cites
def _check_committee_model(model):
    """``model`` after checking it is a teacher-student model with a committee channel."""
    from ..gibbs.committee import VectorChannel
    from .models import TeacherStudent

    if not isinstance(model, TeacherStudent) or not isinstance(model.channel, VectorChannel):
        raise ValueError(
            f"model must be a TeacherStudent with a committee channel (gibbs.Committee or "
            f"gibbs.SoftCommittee), got {model!r}"
        )
    return model


def solve_committee(
    model,
    alpha: ArrayLike,
    *,
    init: str = "both",
    symmetric: bool = True,
    damping: float = 0.3,
    tol: float = 1e-10,
    max_iter: int = 5000,
    order: int | None = None,
    strict: bool = False,
) -> CommitteeCurve:
    r"""Bayes-optimal replica fixed points of a committee machine (module docstring).

    Parameters
    ----------
    model : TeacherStudent
        With a :class:`~statmech_learn.gibbs.committee.Committee` channel.
    alpha : float or array_like
    init : {'both', 'uninformed', 'informed'}
        'uninformed': the fixed point state evolution reaches from AMP's start (the non-specialised line
        q_d = 0 while it is stable across the line, else where the flow off it ends); 'informed': the branch
        continued down from (1 - 1e-4) I (specialised; perfect recovery for ±1 weights) while it exists and is
        stable.  'both' keeps, at each load, the converged branch of larger free entropy (the
        Bayes-optimal answer); ``branch`` says which, 'unique' where they coincide.
    symmetric : bool
        Committee-symmetric ansatz (module docstring); False iterates the full K x K matrix.
    damping : float in [0, 1)
        Weight of the old iterate.
    tol : float
        Convergence: :math:`\max_{kl}|F(q)_{kl} - q_{kl}| \le` tol.
    max_iter : int
    order : int, optional
        Gauss-Hermite nodes per dimension of the channel integral (K >= 2).
    strict : bool
        Raise :class:`ConvergenceError` if a load did not converge (otherwise a warning).
    """
    from .glm import _check_alpha, _check_options, report_convergence

    model = _check_committee_model(model)
    alpha_in = _check_alpha(alpha)
    init = check_choice("init", init, ("both", "uninformed", "informed"))
    tol, max_iter, damping = _check_options(tol, max_iter, damping, False, strict)
    if order is not None:
        order = check_int("order", order, minimum=4, maximum=200)
    if not isinstance(symmetric, (bool, np.bool_)):
        raise ValueError(f"symmetric must be True or False, got {symmetric!r}")
    a = np.atleast_1d(np.asarray(alpha_in, dtype=float))
    K = model.channel.K
    eps = 1e-3
    names = ["uninformed", "informed"] if init == "both" else [init]
    outs = {}
    if K == 1:  # the perceptron: the uninformed and informed starts of the scalar model, plain damped iteration
        starts = {"uninformed": np.full((1, 1), eps), "informed": np.full((1, 1), 1.0 - eps)}
        for b in names:
            outs[b] = _iterate(model, a, starts[b], damping, tol, max_iter, False, order, accelerate=False)
    elif symmetric:
        if "informed" in names:
            outs["informed"] = _informed(model, a, damping, tol, max_iter, order)
        if "uninformed" in names:
            outs["uninformed"] = _uninformed(model, a, damping, tol, max_iter, order, outs.get("informed"))
    else:  # the general K x K iteration, the reference of the symmetric ansatz
        starts = {"uninformed": _compose(np.array(eps), np.array(eps), K), "informed": _INFORMED_START * np.eye(K)}
        for b in names:
            outs[b] = _iterate(model, a, starts[b], damping, tol, max_iter, False, order, plain_tol=1e-5)
    if len(names) == 2:
        n, s = outs["uninformed"], outs["informed"]
        pick = s["converged"] & (~n["converged"] | (s["phi"] > n["phi"]))
        out = {
            k: np.where(pick.reshape((-1,) + (1,) * (np.ndim(n[k]) - 1)), s[k], n[k])
            for k in ("q", "qhat", "phi", "error", "converged", "n_iter", "residual")
        }
        out["converged"] = n["converged"] | s["converged"]
        same = n["converged"] & s["converged"] & (np.max(np.abs(n["q"] - s["q"]), axis=(-2, -1)) <= 1e-6)
        branch = np.where(same, "unique", np.where(pick, "informed", "uninformed")).astype(object)
    else:
        out = outs[names[0]]
        branch = np.full(a.shape, names[0], dtype=object)
    qd, qa = _symmetric_parts(out["q"])
    scalar = np.ndim(alpha_in) == 0

    def o(x):
        return x[0] if scalar else x

    curve = CommitteeCurve(
        alpha=o(a),
        q=o(out["q"]),
        qhat=o(out["qhat"]),
        q_diagonal=o(qd),
        q_offdiagonal=o(qa),
        free_entropy=o(out["phi"]),
        generalization_error=o(out["error"]),
        specialized=o(qd > SPECIALIZED),
        branch=o(branch),
        converged=o(out["converged"]),
        n_iter=o(out["n_iter"]),
        residual=o(out["residual"]),
        model=repr(model),
    )
    report_convergence(curve, a, "committee saddle point", tol, max_iter, model, strict)
    return curve


@dataclass(frozen=True, repr=False)
class CommitteeTransitions(Transitions):
    """Transitions of a Bayes-optimal committee machine (K >= 2): :class:`Transitions` and the specialisation.

    Attributes
    ----------
    alpha_it : where the informed branch overtakes the uninformed one in free entropy (first-order, the
        information-theoretic threshold; NaN when the two never coexist in the range).
    alpha_spinodal : where the uninformed branch (AMP) reaches the informed one: the algorithmic threshold
        (NaN without coexistence).
    alpha_spinodal_informed : lowest load of the informed branch where it coexists with the uninformed one
        (NaN when it exists over the whole range, as perfect recovery does for ±1 weights, or when the
        transition is continuous: the branches merge at ``alpha_specialization``).
    first_order : the informed and uninformed branches coexist somewhere in the range.
    converged : every load reported was located to ``xtol``.
    xtol, alpha_range, message : tolerance in alpha, the range searched, what was found.
    alpha_specialization : where the non-specialised fixed point (q_d = 0) becomes unstable across its line
        (the slope of the map across it reaches 1): state evolution, and AMP, leave it there.  For Gaussian
        weights at K = 2 this is the continuous specialisation transition.
    """

    alpha_specialization: float


@_cites
def committee_transitions(
    model, alpha_range: tuple[float, float] = (0.5, 4.0), *, n_grid: int = 16, xtol: float = 1e-4, strict: bool = False
) -> CommitteeTransitions:
    r"""Specialisation, information-theoretic and algorithmic thresholds of a committee machine.

    ``alpha_specialization`` is the root of :math:`\partial F_d/\partial q_d|_{q_d=0} = 1` on the non-specialised
    line (Brent's method, each evaluation one solve on the line).  The branches are solved on an ``n_grid``-point
    grid of ``alpha_range`` (:func:`solve_committee`, committee-symmetric); where the informed and uninformed
    fixed points differ, ``alpha_it`` is the zero of their free-entropy difference (Brent's method between the
    grid points around the sign change, each evaluation the two branches continued from the nearest grid
    point), ``alpha_spinodal`` the first grid load above it where they coincide again and
    ``alpha_spinodal_informed`` the first grid load where the informed branch exists, both refined by bisection
    to ``xtol``.
    """
    from scipy.optimize import brentq

    from ..errors import ConvergenceError
    from .glm import check_alpha_range

    model = _check_committee_model(model)
    strict = check_bool("strict", strict)
    if model.K < 2:
        raise ValueError(f"committee_transitions needs K >= 2 hidden units, got K = {model.K}: use transitions()")
    lo, hi = check_alpha_range(alpha_range)
    n_grid = check_int("n_grid", n_grid, minimum=4, maximum=400)
    from .._validation import check_tol

    xtol = check_tol("xtol", xtol, floor=1e-8)
    K = model.K

    def slope(a):
        return float(_line(model, np.array([a]), 0.3, 1e-12, 2000, None)["slope"][0]) - 1.0

    notes = []
    s_lo, s_hi = slope(lo), slope(hi)
    if s_lo < 0.0 < s_hi:
        a_spec = brentq(slope, lo, hi, xtol=xtol)
    else:
        a_spec = np.nan
        notes.append("the non-specialised line is " + ("unstable" if s_lo >= 0 else "stable") + " over the whole range")
    grid = np.linspace(lo, hi, n_grid)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inf = _informed(model, grid, 0.3, 1e-10, 5000, None)
            uni = _uninformed(model, grid, 0.3, 1e-10, 5000, None, inf)
    both = inf["converged"] & uni["converged"]
    differ = both & (np.max(np.abs(inf["q"] - uni["q"]), axis=(-2, -1)) > 1e-6)
    a_it = a_sp = a_spi = np.nan
    first_order = bool(np.any(differ))
    converged = True
    if first_order and inf["converged"].any() and not inf["converged"][0]:
        j = int(np.argmax(inf["converged"]))

        def exists(a):
            o = _informed(model, np.array([a, grid[j]]), 0.3, 1e-10, 5000, None)
            return bool(o["converged"][0])

        a0, a1 = grid[j - 1], grid[j]
        while a1 - a0 > xtol:
            mid = 0.5 * (a0 + a1)
            a0, a1 = (a0, mid) if exists(mid) else (mid, a1)
        a_spi = a1
    if first_order:
        dphi = np.where(differ, inf["phi"] - uni["phi"], np.nan)
        idx = np.flatnonzero(differ)
        sign_change = [i for i in idx[:-1] if i + 1 in idx and dphi[i] < 0 <= dphi[i + 1]]
        if sign_change:
            i = sign_change[0]

            def gap(a):
                o_inf = (
                    _perfect_recovery(model, np.array([a]))
                    if _recovers_perfectly(model)
                    else _iterate(model, np.array([a]), inf["q"][i + 1], 0.3, 1e-11, 5000, True, None)
                )
                o_uni = _iterate(model, np.array([a]), uni["q"][i], 0.3, 1e-11, 5000, True, None)
                return float(o_inf["phi"][0] - o_uni["phi"][0])

            a_it = brentq(gap, grid[i], grid[i + 1], xtol=xtol)
        elif np.all(dphi[idx] >= 0):
            notes.append(
                "the informed branch dominates wherever both exist: alpha_it is below the first grid load "
                "where they differ"
            )
            converged = False
        top = idx[-1]
        if top + 1 < grid.size and both[top + 1] and not differ[top + 1]:

            def joined(a):
                o = _uninformed(model, np.array([a]), 0.3, 1e-10, 5000, None)
                return bool(o["converged"][0]) and np.max(np.abs(o["q"][0] - inf["q"][top + 1])) < 1e-3 * K

            a0, a1 = grid[top], grid[top + 1]
            while a1 - a0 > xtol:
                mid = 0.5 * (a0 + a1)
                a0, a1 = (a0, mid) if joined(mid) else (mid, a1)
            a_sp = a1
        else:
            notes.append("the uninformed branch does not reach the informed one in the range")
    parts = [f"specialisation at alpha = {a_spec:.6g}" if np.isfinite(a_spec) else "no specialisation in the range"]
    if first_order:
        parts.append(f"first order: alpha_it = {a_it:.6g}, alpha_spinodal = {a_sp:.6g}")
    out = CommitteeTransitions(
        alpha_specialization=float(a_spec),
        alpha_it=float(a_it),
        alpha_spinodal=float(a_sp),
        alpha_spinodal_informed=float(a_spi),
        first_order=first_order,
        converged=converged,
        xtol=xtol,
        alpha_range=(lo, hi),
        message="; ".join(parts + notes),
    )
    if strict and not converged:
        raise ConvergenceError(f"committee transitions of {model!r}: {out.message}", out)
    return out
