r"""Bayes-optimal committee machines: the replica equations over K x K order parameters.

The teacher-student model with a :class:`~statmech_learn.gibbs.committee.Committee` channel
and a K-dimensional prior per input (Aubin et al. 2018, NeurIPS, "The committee machine:
computational to statistical gaps in learning a two-layers neural network"; Schwarze 1993,
J. Phys. A 26, 5781; Schwarze & Hertz 1993, Europhys. Lett. 21, 785).  The fixed point of

.. math::
    q \leftarrow F_\alpha(q) = q_{prior}\big(\alpha\,\hat q_{out}(q)\big)

is the state evolution of committee AMP (one application per AMP iteration), iterated with
damping from two starts: *non-specialised* (:math:`q = \epsilon(\delta I + \mathbf{1}\mathbf{1}^\top/K)`,
where AMP starts; every hidden unit learns the same direction, :math:`q \propto \mathbf{1}\mathbf{1}^\top`)
and *specialised* (:math:`q = (1 - \epsilon)I`, each student unit aligned with one teacher unit).
The thermodynamic branch has the larger free entropy
:math:`\Phi = -\tfrac12\mathrm{Tr}\,q\hat q + \mathbb E\log Z_w + \alpha\,\mathbb E\sum_y Z_{out}\log Z_{out}`.

``symmetric=True`` restricts q to the committee-symmetric form :math:`q = q_d I + q_a\mathbf{1}\mathbf{1}^\top/K`
(projected after each step; the integrals then use the permutation-sorted nodes, K! fewer);
the general matrix iteration is the reference it is tested against.  The channel sums over
labels exactly (orthant probabilities), the prior maps are closed form (Gaussian) or enumerate
the :math:`2^K` sign configurations (binary).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_choice, check_int
from ..results import Result

__all__ = ["CommitteeCurve", "solve_committee"]


@dataclass(frozen=True, repr=False)
class CommitteeCurve(Result):
    """Replica fixed points of a Bayes-optimal committee machine along an alpha grid.

    Attributes
    ----------
    alpha : loads P/N.
    q, qhat : order parameters, shape (n_alpha, K, K).
    q_diagonal, q_offdiagonal : :math:`q_d` and :math:`q_a` of :math:`q = q_d I + q_a 11^T/K` (their
        least-squares values when q is not committee-symmetric).
    free_entropy : RS free entropy per input.
    generalization_error : misclassification rate of the Bayes-optimal classifier.
    specialized : the hidden units have specialised, :math:`q_d > 10^{-3}`.
    branch : the start whose fixed point each point is ('non-specialized', 'specialized') or
        'unique' where both starts reach the same fixed point.
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


def _iterate(model, alpha, q0, damping, tol, max_iter, symmetric, order, accelerate=True):
    """Fixed-point iteration on the packed coordinates, each load stopping at its own tolerance
    (:func:`~statmech_learn.replica.saddle.iterate`; Anderson-accelerated when ``accelerate``)."""
    from .saddle import iterate

    K = model.channel.K
    F = _maps(model, alpha, symmetric, order)
    x0 = _pack(np.broadcast_to(q0, alpha.shape + (K, K)), symmetric)

    def update(x, idx):
        qn = F(_unpack(x, K, symmetric), alpha[idx])[0]
        return _pack(qn, symmetric)

    def residual(x, fx):
        return np.max(np.abs(np.stack([fx[k] - x[k] for k in x])), axis=0)

    kw = dict(acceleration="anderson", memory=4, max_step=0.5) if accelerate else {}
    with np.errstate(all="ignore"):
        it = iterate(update, x0, residual, damping=damping, tol=tol, max_iter=max_iter, subset=True, **kw)
    return _finish(model, alpha, _unpack(it.state, K, symmetric), it.converged, it.n_iter, it.residual, symmetric,
                   order)


def _finish(model, alpha, q, converged, n_iter, residual, symmetric, order):
    qn, qh, pr, ch = _maps(model, alpha, symmetric, order)(q)
    conv = converged & np.all(np.isfinite(qn), axis=(-2, -1))
    return dict(q=q, qhat=qh, phi=pr["psi"] + alpha * ch["psi"], error=ch["error"], converged=conv, n_iter=n_iter,
                residual=residual)


def _specialized(model, alpha, damping, tol, max_iter, order):
    """The specialised branch by continuation: loads in decreasing order, each started from the fixed point of
    the previous one (the largest from 0.9 I); a load whose iteration falls back onto the
    symmetric line (:math:`q_d` < ``SPECIALIZED``) is outside the branch, and the next starts afresh."""
    K = model.channel.K
    order_idx = np.argsort(alpha)[::-1]
    keys = ("q", "qhat", "phi", "error", "converged", "n_iter", "residual")
    res = {k: [None] * alpha.size for k in keys}
    start = 0.9 * np.eye(K)
    for i in order_idx:
        o = _iterate(model, alpha[i:i + 1], start, damping, tol, max_iter, True, order)
        ok = bool(o["converged"][0]) and _symmetric_parts(o["q"])[0][0] > SPECIALIZED
        o["converged"] = np.array([ok])
        start = o["q"][0] if ok else 0.9 * np.eye(K)
        for k in keys:
            res[k][i] = o[k][0]
    return {k: np.array(v) for k, v in res.items()}


def _non_specialized(model, alpha, damping, tol, max_iter, order):
    """The symmetric branch on its invariant line q_d = 0 (a one-parameter fixed point in q_a), and the
    slope of the map across the line, d F_d / d q_d at q_d = 0: the branch is stable (reached by state
    evolution, i.e. by AMP) where the slope is < 1."""
    from .saddle import iterate

    K = model.channel.K
    F = _maps(model, alpha, True, order)

    def update(x, idx):
        qn = F(_compose(np.zeros(np.shape(x["qa"])), x["qa"], K), alpha[idx])[0]
        return {"qa": _symmetric_parts(qn)[1]}

    def residual(x, fx):
        return np.abs(fx["qa"] - x["qa"])

    with np.errstate(all="ignore"):
        it = iterate(update, {"qa": np.full(alpha.shape, 1e-3)}, residual, damping=damping, tol=tol,
                     max_iter=max_iter, subset=True, acceleration="anderson", memory=3, max_step=0.5)
    qa = it.state["qa"]
    delta = 1e-6
    slope = _symmetric_parts(F(_compose(np.full(alpha.shape, delta), qa, K))[0])[0] / delta
    out = _finish(model, alpha, _compose(np.zeros(alpha.shape), qa, K), it.converged, it.n_iter, it.residual, True,
                  order)
    out["slope"] = slope
    return out


def solve_committee(model, alpha: ArrayLike, *, init: str = "both", symmetric: bool = True, damping: float = 0.3,
                    tol: float = 1e-10, max_iter: int = 5000, order: int | None = None,
                    strict: bool = False) -> CommitteeCurve:
    r"""Bayes-optimal replica fixed points of a committee machine (module docstring).

    Parameters
    ----------
    model : TeacherStudent
        With a :class:`~statmech_learn.gibbs.committee.Committee` channel.
    alpha : float or array_like
    init : {'both', 'non-specialized', 'specialized'}
        'both' keeps, at each load, the converged branch of larger free entropy.
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

    alpha_in = _check_alpha(alpha)
    init = check_choice("init", init, ("both", "non-specialized", "specialized"))
    tol, max_iter, damping = _check_options(tol, max_iter, damping, False, strict)
    if order is not None:
        order = check_int("order", order, minimum=4, maximum=200)
    if not isinstance(symmetric, (bool, np.bool_)):
        raise ValueError(f"symmetric must be True or False, got {symmetric!r}")
    a = np.atleast_1d(np.asarray(alpha_in, dtype=float))
    K = model.channel.K
    eps = 1e-3
    names = ["non-specialized", "specialized"] if init == "both" else [init]
    outs = {}
    if K == 1:  # the perceptron: the uninformed and informed starts of the scalar model, plain damped iteration
        starts = {"non-specialized": np.full((1, 1), eps), "specialized": np.full((1, 1), 1.0 - eps)}
        for b in names:
            outs[b] = _iterate(model, a, starts[b], damping, tol, max_iter, False, order, accelerate=False)
    elif symmetric:
        if "non-specialized" in names:
            n = _non_specialized(model, a, damping, tol, max_iter, order)
            n["converged"] = n["converged"] & (n["slope"] < 1.0)  # unstable across the line: not a branch
            outs["non-specialized"] = n
        if "specialized" in names:
            outs["specialized"] = _specialized(model, a, damping, tol, max_iter, order)
    else:  # the general K x K iteration (Anderson-accelerated), the reference of the symmetric ansatz
        starts = {"non-specialized": _compose(np.array(eps * 1e-2), np.array(eps), K),
                  "specialized": 0.9 * np.eye(K)}
        for b in names:
            outs[b] = _iterate(model, a, starts[b], damping, tol, max_iter, False, order)
    if len(names) == 2:
        n, s = outs["non-specialized"], outs["specialized"]
        pick = s["converged"] & (~n["converged"] | (s["phi"] > n["phi"]))
        out = {k: np.where(pick.reshape((-1,) + (1,) * (np.ndim(n[k]) - 1)), s[k], n[k])
               for k in ("q", "qhat", "phi", "error", "converged", "n_iter", "residual")}
        out["converged"] = n["converged"] | s["converged"]
        same = n["converged"] & s["converged"] & (np.max(np.abs(n["q"] - s["q"]), axis=(-2, -1)) <= 1e-6)
        branch = np.where(same, "unique", np.where(pick, "specialized", "non-specialized")).astype(object)
    else:
        out = outs[names[0]]
        branch = np.full(a.shape, names[0], dtype=object)
    qd, qa = _symmetric_parts(out["q"])
    scalar = np.ndim(alpha_in) == 0

    def o(x):
        return x[0] if scalar else x

    curve = CommitteeCurve(alpha=o(a), q=o(out["q"]), qhat=o(out["qhat"]), q_diagonal=o(qd), q_offdiagonal=o(qa),
                           free_entropy=o(out["phi"]), generalization_error=o(out["error"]),
                           specialized=o(qd > SPECIALIZED), branch=o(branch), converged=o(out["converged"]),
                           n_iter=o(out["n_iter"]), residual=o(out["residual"]), model=repr(model))
    report_convergence(curve, a, "committee saddle point", tol, max_iter, model, strict)
    return curve
