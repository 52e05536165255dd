r"""The symmetric (unspecialised) plateau of a soft committee machine and its escape rate.

With an orthonormal teacher (:math:`T = I`) and both second layers fixed to 1,
the ODEs of :mod:`~statmech_learn.online.committee` leave the *symmetric*
subspace invariant: every student unit has the same norm, the same overlap
with every other student unit and the same overlap with every teacher unit,

.. math::
    Q_{ii} = Q,\qquad Q_{ik} = C\ (i\ne k),\qquad R_{in} = R .

On it the dynamics reduces to three ODEs (Saad & Solla 1995), for
:math:`dQ_{11}/dt`, :math:`dQ_{12}/dt` and :math:`dR_{11}/dt`, whose fixed point
is the plateau that online SGD from a small random start reaches before the
student units specialise.  The reduced right-hand side here is written
directly from the definition of the averages (each 3x3 and 4x4 covariance of
fields assembled and averaged with :meth:`Activation.I3` / :meth:`Activation.I4`),
independently of the contracted evaluation the full ODE uses.

For small learning rate the plateau tends to the minimum of
:math:`\varepsilon_g` over identical student units,
:math:`Q = C = 1/(2K-1)`, :math:`R = 1/\sqrt{K(2K-1)}` for K = M and erf,
with height (Saad & Solla 1995, Phys. Rev. Lett. 74, 4337)

.. math::
    \varepsilon_g^{(0)} = \frac{K}{\pi}\Big[\frac{\pi}{6} - K\arcsin\frac{1}{2K}\Big].

The plateau is a saddle of the full ODE: the largest eigenvalue
:math:`\lambda > 0` of its Jacobian (outside the symmetric subspace) is the rate
at which a small asymmetry grows, so a start with asymmetry of order
:math:`N^{-1/2}` leaves the plateau after a time :math:`\log N / (2\lambda)` + const.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import root

from .._validation import check_bool
from ..citations import _cites
from ..errors import ConvergenceError
from ..results import Result
from .committee import TwoLayer

__all__ = ["SymmetricPlateau", "symmetric_plateau", "small_lr_plateau_height"]


@dataclass(frozen=True, repr=False)
class SymmetricPlateau(Result):
    """The symmetric fixed point of a soft committee machine's ODEs.

    Attributes
    ----------
    Q, C, R : student norm, student-student and student-teacher overlaps at the fixed point
        (C = Q: the student units are identical there; C is NaN for K = 1).
    eps_g : generalisation error there (the plateau height).
    escape_rate : largest real part of the eigenvalues of the full ODE's Jacobian at the
        fixed point (> 0: the plateau is left; the exit time grows as log N / (2 escape_rate)).
    symmetric_drift : largest real eigenvalue part of the reduced (Q, C, R) Jacobian: the
        rate O(lr^2) at which identical student units drift apart within the symmetric subspace.
    small_lr_height : Saad & Solla's lr -> 0 height (K = M, erf; NaN otherwise).
    converged : the reduced ODEs' residual is below ``tol``.
    n_iter : function evaluations of the root finder.
    residual : max ``|d(Q, C, R)/dt|`` at the returned point.
    """

    Q: float
    C: float
    R: float
    eps_g: float
    escape_rate: float
    symmetric_drift: float
    small_lr_height: float
    converged: bool
    n_iter: int
    residual: float


def small_lr_plateau_height(K: int) -> float:
    r""":math:`\varepsilon_g^{(0)} = (K/\pi)[\pi/6 - K\arcsin(1/2K)]`, the lr -> 0 plateau of K = M erf units.

    Saad & Solla 1995, Phys. Rev. Lett. 74, 4337.
    """
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 1:
        raise ValueError(f"K must be an integer >= 1, got {K!r}")
    return max(K / math.pi * (math.pi / 6.0 - K * math.asin(1.0 / (2.0 * K))), 0.0)  # 0 for K = 1


def _state(model: TwoLayer, x: np.ndarray):
    """Symmetric (Q, R, T) from x = (Q, C, R) (or (Q, R) for K = 1)."""
    K, M = model.K, model.M
    q, c, r = (x[0], x[1], x[2]) if K > 1 else (x[0], 0.0, x[1])
    Q = np.full((K, K), c) + (q - c) * np.eye(K)
    return Q, np.full((K, M), r), np.eye(M)


def _reduced_rhs(model: TwoLayer, x: np.ndarray) -> np.ndarray:
    """d(Q, C, R)/dt on the symmetric subspace, from the averages' definitions."""
    K, M = model.K, model.M
    Q, R, T = _state(model, x)
    omega = np.block([[Q, R], [R.T, T]])
    n = K + M
    u = np.concatenate([-np.ones(K), np.ones(M)])  # y - phi = sum_a u_a g(field_a)
    act = model.activation
    a = np.arange(n)

    def drive(i, k):  # sum_b u_b I3(i, k, b)
        idx = np.stack([np.full(n, i), np.full(n, k), a], -1)  # (n, 3)
        return act.I3(omega[idx[:, :, None], idx[:, None, :]], check=False) @ u

    def second(i, k):  # sum_ab u_a u_b I4(i, k, a, b)
        ia, ib = np.meshgrid(a, a, indexing="ij")
        idx = np.stack([np.full_like(ia, i), np.full_like(ia, k), ia, ib], -1)  # (n, n, 4)
        return u @ act.I4(omega[idx[..., :, None], idx[..., None, :]], check=False) @ u

    def dq(i, k):
        out = model.lr * (drive(i, k) + drive(k, i)) + model.lr**2 * second(i, k)
        if model.noise > 0:
            out += model.lr**2 * model.noise**2 * act.J2(omega[np.ix_([i, k], [i, k])], check=False)
        return out

    d_r = model.lr * drive(0, K)
    if K == 1:
        return np.array([dq(0, 0), d_r])
    return np.array([dq(0, 0), dq(0, 1), d_r])


@_cites
def symmetric_plateau(model: TwoLayer, *, tol: float = 1e-12, strict: bool = False) -> SymmetricPlateau:
    r"""The symmetric fixed point of a soft committee machine with an orthonormal teacher.

    Parameters
    ----------
    model : SoftCommittee (or TwoLayer with ``lr_second = 0`` and a teacher second layer of ones)
    tol : float
        Residual below which the fixed point counts as converged.
    strict : bool
        Raise :class:`~statmech_learn.errors.ConvergenceError` when it does not converge.

    Returns
    -------
    SymmetricPlateau

    Notes
    -----
    The plateau lies on the manifold of identical student units (C = Q), which
    the dynamics leaves invariant: online SGD from a small random start is drawn
    to it and sits near its fixed point until it specialises.  (Q - C grows away
    from it only at a rate O(lr^2), ``symmetric_drift``, slower than the
    specialisation, ``escape_rate`` = O(lr), so the plateau seen is this point.)
    The reduced ODEs (module docstring) on that manifold are integrated from a
    small start until they settle, and the fixed point polished by
    ``scipy.optimize.root`` (hybrid Powell); the residual is that of the three
    reduced ODEs.  The escape rate is the largest
    real part of the eigenvalues of the full ODE's Jacobian (central
    differences, step 1e-6) at the fixed point.
    """
    if not isinstance(model, TwoLayer):
        raise ValueError(f"model must be a SoftCommittee, got {model!r}")
    if model.lr_second != 0 or not np.all(model.v_star == 1.0):
        raise ValueError(
            "model must have both second layers fixed to 1 (a SoftCommittee), got "
            f"lr_second={model.lr_second:g}, v_star={model.v_star}"
        )
    if not (isinstance(tol, (float, int)) and not isinstance(tol, bool) and 0 < tol < 1):
        raise ValueError(f"tol must be in (0, 1), got {tol!r}")
    strict = check_bool("strict", strict)
    K, M = model.K, model.M

    def full(y):  # (Q, R) with identical students, C = Q
        return np.array([y[0], y[0], y[1]]) if K > 1 else y

    def reduced(y):  # d(Q, R)/dt on the identical-student manifold (it is invariant)
        return _reduced_rhs(model, full(y))[[0, -1]]

    def blowup(_, y):
        return 1e4 - np.max(np.abs(y))  # overlaps of 1e4 with a unit-norm teacher: diverging

    blowup.terminal = True  # type: ignore[attr-defined]  # solve_ivp reads event options off the function
    # settle on the manifold (the approach takes a time O(1/lr)), then polish
    sol = solve_ivp(
        lambda _, y: reduced(y),
        (0.0, 200.0 / model.lr),
        np.array([1e-3, 1e-3]),
        method="LSODA",
        rtol=1e-10,
        atol=1e-13,
        events=blowup,
    )
    if sol.status == 0:
        fit = root(reduced, sol.y[:, -1], method="hybr", tol=1e-14)
        x, n_iter = full(fit.x), int(fit.nfev)
    else:  # the reduced flow blew up (lr beyond stability): no plateau
        x, n_iter = full(sol.y[:, -1]), int(sol.nfev)
    res = float(np.max(np.abs(_reduced_rhs(model, x))))
    converged = bool(np.all(np.isfinite(x)) and res < tol and sol.status == 0)
    if not converged and strict:
        raise ConvergenceError(f"symmetric plateau of {model!r} did not converge: residual {res:.3g}")
    Q, R, T = _state(model, x)
    eps = float(model.eps_g(Q, R, T, np.ones(K)))
    # the reduced Jacobian in (Q, C, R): the drift of Q - C away from identical students
    h = 1e-7
    Jr = np.column_stack(
        [(_reduced_rhs(model, x + h * e) - _reduced_rhs(model, x - h * e)) / (2 * h) for e in np.eye(x.size)]
    )
    drift = float(np.max(np.linalg.eigvals(Jr).real))
    escape = _escape_rate(model, Q, R, T)
    height0 = (
        small_lr_plateau_height(K)
        if (K == M and model.activation.name == "erf" and model.activation.builtin)
        else float("nan")
    )
    return SymmetricPlateau(
        Q=float(Q[0, 0]),
        C=float(Q[0, 1]) if K > 1 else float("nan"),
        R=float(R[0, 0]),
        eps_g=eps,
        escape_rate=escape,
        symmetric_drift=drift,
        small_lr_height=height0,
        converged=converged,
        n_iter=n_iter,
        residual=res,
    )


def _escape_rate(model: TwoLayer, Q: np.ndarray, R: np.ndarray, T: np.ndarray) -> float:
    """Largest real eigenvalue part of the full (Q upper triangle, R) Jacobian at (Q, R)."""
    K, M = model.K, model.M
    iu = np.triu_indices(K)
    y0 = np.concatenate([Q[iu], R.ravel()])
    n = y0.size
    h = 1e-6
    Y = np.concatenate([y0[:, None] + h * np.eye(n), y0[:, None] - h * np.eye(n)], axis=1).T  # (2n, n)
    Qs = np.zeros((2 * n, K, K))
    Qs[:, iu[0], iu[1]] = Y[:, : iu[0].size]
    Qs[:, iu[1], iu[0]] = Y[:, : iu[0].size]
    Rs = Y[:, iu[0].size :].reshape(2 * n, K, M)
    dQ, dR, _ = model._rhs(Qs, Rs, T, np.ones((2 * n, K)))
    F = np.concatenate([dQ[:, iu[0], iu[1]], dR.reshape(2 * n, -1)], axis=1)
    J = ((F[:n] - F[n:]) / (2 * h)).T
    return float(np.max(np.linalg.eigvals(J).real))
