r"""Restricted Boltzmann machines against variational renormalisation: two objectives, two optima.

A data distribution over visible configurations v (the spins of a small periodic 2-D Ising model,
all :math:`2^{L^2}` states enumerated),

.. math::
    P(v) = e^{-H(v)} / e^{-F}, \qquad H(v) = \beta E(s), \qquad F = -\log\sum_s e^{-\beta E(s)},

is fitted by the visible marginal of an RBM (:class:`~statmech_learn.meanfield.measures.Bipartite`,
parameters :math:`\lambda = (W, b, c)`, counting convention :math:`E_\lambda = -v^\top W h - b^\top v - c^\top h`),

.. math::
    H_\lambda(v) = -\log\sum_h e^{-E_\lambda(v, h)}, \qquad
    F_\lambda = -\log\sum_v e^{-H_\lambda(v)}, \qquad
    P_\lambda(v) = e^{-H_\lambda(v) + F_\lambda},

(:math:`-H_\lambda` is :func:`~statmech_learn.meanfield.partition.log_marginal_visible` and :math:`-F_\lambda`
:func:`~statmech_learn.meanfield.partition.exact_log_partition`, both with ``counting=True``; the data averages
are taken here over a grid of the two halves of v, the same sums in another order), in two ways (Burns 2021,
"Renormalization and Boltzmann machines", eqs. 14-16; the proposed correspondence is Mehta & Schwab 2014,
arXiv:1410.3831):

- the RBM objective, :math:`D_{KL}(P\|P_\lambda) = \langle H_\lambda\rangle_P - F_\lambda - S(P)`, with gradient
  :math:`\langle\nabla H_\lambda\rangle_P - \langle\nabla H_\lambda\rangle_{P_\lambda}` (eq. 14);
- the variational-RG objective, :math:`\tfrac12(F - F_\lambda)^2`, with gradient
  :math:`-(F - F_\lambda)\nabla F_\lambda`, :math:`\nabla F_\lambda = \langle\nabla H_\lambda\rangle_{P_\lambda}`
  (eqs. 7, 15).

Here :math:`\nabla_\lambda H_\lambda(v) = -(v\, \mathbb E[h|v]^\top,\ v,\ \mathbb E[h|v])` with
:math:`\mathbb E[h|v] = f_a(c + W^\top v)` the hidden prior's mean (sigmoid for {0, 1} units, tanh for
±1), so :math:`\langle\nabla H_\lambda\rangle_{P_\lambda} = -(\langle v h^\top\rangle, \langle v\rangle,
\langle h\rangle)` under the model (:func:`~statmech_learn.meanfield.partition.model_moments`).

Burns's eq. (16), :math:`\nabla F_\lambda = 0`, is the stationarity condition of the RG objective only
where :math:`F_\lambda \ne F`.  Which case applies depends on the units:

- {0, 1} units (``'bernoulli'``): the term v = h = 0 gives :math:`Z_\lambda \ge 1`, and
  :math:`F_\lambda` takes every value in :math:`(-\infty, 0)` (it tends to 0 as b, c go to
  :math:`-\infty` at W = 0 and to :math:`-\infty` as b goes to :math:`+\infty`).  Any F < 0 (always the
  case for the data here, :math:`F \le -L^2\log 2` by Jensen's inequality) is reached, the RG optimum is the
  codimension-one manifold :math:`F_\lambda = F`, where the stationarity
  :math:`(F - F_\lambda)\nabla F_\lambda = 0` holds because the first factor vanishes, and eq. (16)
  has no solution at finite :math:`\lambda`: :math:`\partial F_\lambda/\partial b_i = -\langle v_i\rangle < 0`.
- ±1 units (``'binary'``): by Jensen's inequality over the uniform measure
  :math:`\log Z_\lambda \ge (n_v + n_h)\log 2`, so :math:`F_\lambda \le F_{max} = -(n_v + n_h)\log 2`,
  attained only at :math:`\lambda = 0` (:math:`\log Z_\lambda` is strictly convex with zero gradient
  there).  If :math:`F < F_{max}` the optimum is again the manifold :math:`F_\lambda = F`; if
  :math:`F > F_{max}` the manifold is empty, the RG optimum is :math:`\lambda = 0`, where eq. (16) holds
  exactly and the KL gradient is :math:`-(0, \langle v\rangle_P, 0)`: with a field the KL condition is
  violated; without one :math:`\lambda = 0` is a stationary point of the KL objective too (a saddle: the
  W-block of the KL Hessian there is :math:`I - \langle v v^\top\rangle_P` for each hidden unit, and the
  largest eigenvalue of :math:`\langle v v^\top\rangle_P` exceeds 1 with ferromagnetic correlations: 6.6 at
  L = 3, T = 2.5).  Which case holds is measured, not assumed
  (:attr:`RGvsKL.free_energy_reachable`); at T = 2.5 with n_h = 4, F < F_max at L = 4
  (F = -14.561 < -13.863) and F > F_max at L = 3 (F = -8.456 > -9.011).

Both objectives are minimised with L-BFGS-B from the same random start (:func:`rg_vs_kl`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

from .._validation import as_rng, check_choice, check_finite, check_int, check_positive, check_tol
from ..citations import _cites
from ..results import Result
from .measures import Bipartite, Ising2D
from .partition import exact_log_partition, model_moments

__all__ = ["Optimum", "RGvsKL", "rg_vs_kl", "MODELS", "RBM_UNITS"]

#: data models accepted by :func:`rg_vs_kl`
MODELS = ("ising2d",)
#: RBM units accepted by :func:`rg_vs_kl` (the same prior on both layers)
RBM_UNITS = ("bernoulli", "binary")
#: largest hidden layer
MAX_HIDDEN = 64
#: max-norm below which the messages call a first-order condition satisfied or lambda zero
CONDITION_TOL = 1e-6


@dataclass(frozen=True, repr=False)
class Optimum(Result):
    r"""The end point of one minimisation (of the KL divergence or of the free-energy objective).

    Attributes
    ----------
    objective : str
        ``'kl'`` (:math:`D_{KL}(P\|P_\lambda)`) or ``'free_energy'`` (:math:`(F - F_\lambda)^2/2`).
    W : (n_visible, n_hidden) array
    b : (n_visible,) array
    c : (n_hidden,) array
        The parameters :math:`\lambda` reached.
    max_abs_parameter : float
        :math:`\max|\lambda|`.
    kl : float
        :math:`D_{KL}(P\|P_\lambda)`.
    model_free_energy : float
        :math:`F_\lambda` (counting convention).
    free_energy_gap : float
        :math:`F - F_\lambda`, signed.
    kl_condition_residual : float
        :math:`\max|\langle\nabla H_\lambda\rangle_P - \langle\nabla H_\lambda\rangle_{P_\lambda}|`
        (eq. 14; the KL gradient).
    rg_condition_residual : float
        :math:`\max|\langle\nabla H_\lambda\rangle_{P_\lambda}| = \max|\nabla F_\lambda|` (eq. 16).
    free_energy_objective_residual : float
        :math:`\max|(F - F_\lambda)\nabla F_\lambda|`, the gradient of :math:`(F - F_\lambda)^2/2` (eq. 15).
    converged : bool
        scipy's ``success``: the projected gradient fell below ``tol`` (False on the iteration cap or an
        abnormal line-search exit, whatever the residuals).
    n_iter : int
        L-BFGS-B iterations.
    n_evaluations : int
        Objective-and-gradient evaluations.
    message : str
        scipy's message.
    path_kl : (n_iter + 1,) array
        :math:`D_{KL}` at the start and after every iteration (ending at the returned point).
    path_free_energy_gap : (n_iter + 1,) array
        :math:`|F - F_\lambda|` at the same points.
    """

    objective: str
    W: np.ndarray
    b: np.ndarray
    c: np.ndarray
    max_abs_parameter: float
    kl: float
    model_free_energy: float
    free_energy_gap: float
    kl_condition_residual: float
    rg_condition_residual: float
    free_energy_objective_residual: float
    converged: bool
    n_iter: int
    n_evaluations: int
    message: str
    path_kl: np.ndarray
    path_free_energy_gap: np.ndarray


@dataclass(frozen=True, repr=False)
class RGvsKL(Result):
    r"""The KL and free-energy optima of an RBM fitted to an exactly enumerated Ising model.

    Attributes
    ----------
    model : str
        ``'ising2d'``.
    L : int
    temperature : float
    field : float
        The data model: periodic L x L Ising model, ±1 spins, coupling 1.
    units : str
        RBM units on both layers, ``'bernoulli'`` ({0, 1}) or ``'binary'`` (±1).
    n_visible, n_hidden : int
    n_states : int
        Data states enumerated, :math:`2^{L^2}`.
    free_energy : float
        Data free energy :math:`F = -\log\sum_s e^{-\beta E(s)}` (counting).
    entropy : float
        Data entropy :math:`S(P) = -\sum_v P(v)\log P(v)`.
    model_free_energy_bound : float
        :math:`\sup_\lambda F_\lambda`: 0 for {0, 1} units (not attained), :math:`-(n_v + n_h)\log 2` for ±1
        units (attained at :math:`\lambda = 0`).
    free_energy_reachable : bool
        :math:`F <` ``model_free_energy_bound``, i.e. the manifold :math:`F_\lambda = F` is not empty.
    initial_kl, initial_free_energy_gap : float
        :math:`D_{KL}` and :math:`F - F_\lambda` at the common starting point.
    kl_optimum : Optimum
        Minimum of :math:`D_{KL}(P\|P_\lambda)`.
    rg_optimum : Optimum
        Minimum of :math:`(F - F_\lambda)^2/2` (the variational-RG objective).
    message : str
        What the computation shows, with the measured numbers.
    """

    model: str
    L: int
    temperature: float
    field: float
    units: str
    n_visible: int
    n_hidden: int
    n_states: int
    free_energy: float
    entropy: float
    model_free_energy_bound: float
    free_energy_reachable: bool
    initial_kl: float
    initial_free_energy_gap: float
    kl_optimum: Optimum
    rg_optimum: Optimum
    message: str


@dataclass(frozen=True)
class _Evaluation:
    kl: float
    model_free_energy: float
    grad_data: np.ndarray  # <grad H_lambda>_P
    grad_model: np.ndarray  # <grad H_lambda>_{P_lambda} = grad F_lambda


class _Problem:
    r"""The enumerated data and the RBM family; evaluates KL, :math:`F_\lambda` and both averaged gradients.

    State k has bits :math:`s_i = 2\,\mathrm{bit}_i(k) - 1`.  Writing k = lo + 2^{n_lo} hi (the first
    n_lo = n // 2 units and the rest), every sum over the data is a sum over a (2^{n - n_lo}, 2^{n_lo})
    grid, and the hidden fields are :math:`c + W^\top v = (c + W_{hi}^\top v_{hi}) + W_{lo}^\top v_{lo}`, a
    broadcast sum of two small tables: no (2^n, n) matrix product per evaluation.
    """

    def __init__(self, L: int, temperature: float, field: float, n_hidden: int, units: str) -> None:
        ising = Ising2D(L, beta=1.0 / temperature, field=field, periodic=True)
        n = L * L
        self.n_lo = n // 2
        bits = _bits(n)
        log_w = -ising.beta * ising.energy(2.0 * bits - 1.0)  # -H(v) = -beta E(s)
        log_z = float(logsumexp(log_w))
        P = np.exp(log_w - log_z)
        self.free_energy = -log_z
        self.entropy = float(log_z - P @ log_w)
        self.units = units
        self.V_lo, self.V_hi = _bits(self.n_lo), _bits(n - self.n_lo)  # v = (s + 1)/2
        if units == "binary":  # v = s
            self.V_lo, self.V_hi = 2.0 * self.V_lo - 1.0, 2.0 * self.V_hi - 1.0
        self.P = P.reshape(self.V_hi.shape[0], self.V_lo.shape[0])  # [hi, lo]
        self.mean_v = np.concatenate([self.V_lo.T @ self.P.sum(axis=0), self.V_hi.T @ self.P.sum(axis=1)])
        self.n_states = int(P.size)
        self.n_visible, self.n_hidden = n, n_hidden
        self.size = n * n_hidden + n + n_hidden
        self._last: tuple[bytes, _Evaluation] | None = None

    def visible(self) -> np.ndarray:
        """All visible configurations, (2^n, n), in the order of the flattened ``P``."""
        n_lo = self.V_lo.shape[0]
        hi, lo = np.divmod(np.arange(self.n_states), n_lo)
        return np.concatenate([self.V_lo[lo], self.V_hi[hi]], axis=1)

    def unpack(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        nv, nh = self.n_visible, self.n_hidden
        return x[: nv * nh].reshape(nv, nh), x[nv * nh : nv * nh + nv], x[nv * nh + nv :]

    def measure(self, x: np.ndarray) -> Bipartite:
        W, b, c = self.unpack(x)
        return Bipartite(W, b, c, beta=1.0, visible=self.units, hidden=self.units)

    def evaluate(self, x: np.ndarray) -> _Evaluation:
        x = np.asarray(x, dtype=float)
        key = x.tobytes()
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        rbm = self.measure(x)
        W, b, c = self.unpack(x)
        k, P = self.n_lo, self.P
        # hidden fields c + W^T v as [a, hi, lo]: reductions over a add contiguous planes
        fields = (c[:, None, None] + (self.V_hi @ W[k:]).T[:, :, None]) + (self.V_lo @ W[:k]).T[:, None, :]
        log_sum_h, mean_h = _hidden_terms(self.units, fields)
        # <H_lambda>_P = -b.<v>_P - <sum_a log sum_{h_a} e^{h_a (c + W^T v)_a}>_P  (= -log_marginal_visible)
        mean_h_lambda = -(b @ self.mean_v + float(np.sum(P * np.sum(log_sum_h, axis=0))))
        f_lambda = -exact_log_partition(rbm, counting=True).value
        kl = float(mean_h_lambda - f_lambda - self.entropy)
        weighted = mean_h * P  # P(v) E[h|v], [a, hi, lo]
        vh = np.concatenate([self.V_lo.T @ weighted.sum(axis=1).T, self.V_hi.T @ weighted.sum(axis=2).T])
        grad_data = -np.concatenate([vh.ravel(), self.mean_v, weighted.sum(axis=(1, 2))])
        mv, mh, mvh, _ = model_moments(rbm)
        grad_model = -np.concatenate([mvh.ravel(), mv, mh])
        ev = _Evaluation(kl, float(f_lambda), grad_data, grad_model)
        self._last = (key, ev)
        return ev


def _hidden_terms(units: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Counting log-sum and mean of one hidden unit at field x: :math:`\log(1 + e^x)` and
    :math:`\sigma(x)` for {0, 1} units, :math:`\log 2\cosh x` and :math:`\tanh x` for ±1 units (the prior's
    A + log 2 and f_a at :math:`\Lambda = 0`, sharing one exponential)."""
    a = np.abs(x)
    if units == "bernoulli":
        e = np.exp(-a)
        return np.maximum(x, 0.0) + np.log1p(e), np.where(x >= 0, 1.0, e) / (1.0 + e)
    return a + np.log1p(np.exp(-2.0 * a)), np.tanh(x)


def _bits(n: int) -> np.ndarray:
    """The n low bits of 0 .. 2^n - 1 as a (2^n, n) float array, bit i in column i."""
    return ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(float)


def _minimise(problem: _Problem, x0: np.ndarray, objective: str, tol: float, max_iter: int) -> Optimum:
    F = problem.free_energy
    path_kl: list[float] = []
    path_gap: list[float] = []
    last = [b""]

    def record(xk: np.ndarray) -> None:  # scipy calls it after every iteration, at the accepted point
        ev = problem.evaluate(xk)
        path_kl.append(ev.kl)
        path_gap.append(abs(F - ev.model_free_energy))
        last[0] = np.asarray(xk, dtype=float).tobytes()

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        ev = problem.evaluate(x)
        if objective == "kl":
            return ev.kl, ev.grad_data - ev.grad_model
        gap = F - ev.model_free_energy
        return 0.5 * gap * gap, -gap * ev.grad_model

    record(x0)
    res = minimize(
        fun,
        x0,
        jac=True,
        method="L-BFGS-B",
        callback=record,
        options=dict(maxiter=max_iter, maxfun=20 * max_iter, gtol=tol, ftol=0.0, maxls=50),
    )
    x = np.asarray(res.x, dtype=float)
    ev = problem.evaluate(x)
    if x.tobytes() != last[0]:  # the path ends at the returned point
        record(x)
    W, b, c = problem.unpack(x.copy())
    gap = F - ev.model_free_energy
    return Optimum(
        objective=objective,
        W=W,
        b=b,
        c=c,
        max_abs_parameter=float(np.max(np.abs(x))),
        kl=ev.kl,
        model_free_energy=ev.model_free_energy,
        free_energy_gap=float(gap),
        kl_condition_residual=float(np.max(np.abs(ev.grad_data - ev.grad_model))),
        rg_condition_residual=float(np.max(np.abs(ev.grad_model))),
        free_energy_objective_residual=float(np.max(np.abs(gap * ev.grad_model))),
        converged=bool(res.success),
        n_iter=int(res.nit),
        n_evaluations=int(res.nfev),
        message=str(res.message),
        path_kl=np.asarray(path_kl),
        path_free_energy_gap=np.asarray(path_gap),
    )


def _message(units: str, F: float, bound: float, reachable: bool, field: float, kl: Optimum, rg: Optimum) -> str:
    """What the two optima show, from the measured numbers (a condition holds below ``CONDITION_TOL``)."""
    tol = CONDITION_TOL
    head = (
        f"KL optimum: KL = {kl.kl:.6g}, |F - F_lambda| = {abs(kl.free_energy_gap):.4g}, KL residual "
        f"{kl.kl_condition_residual:.2g}, eq. (16) residual {kl.rg_condition_residual:.3g}. "
        f"Free-energy optimum: KL = {rg.kl:.6g}, |F - F_lambda| = {abs(rg.free_energy_gap):.3g}, "
        f"objective residual {rg.free_energy_objective_residual:.2g}, KL residual "
        f"{rg.kl_condition_residual:.3g}, eq. (16) residual {rg.rg_condition_residual:.3g}. "
    )
    on_manifold = abs(rg.free_energy_gap) <= tol
    where = (
        "the free-energy optimum lies on the manifold F_lambda = F, stationary because F - F_lambda = 0"
        if on_manifold
        else f"the free-energy run did not reach the manifold F_lambda = F "
        f"(|F - F_lambda| = {abs(rg.free_energy_gap):.3g} > {tol:g})"
    )
    if units == "bernoulli":
        body = (
            f"{{0,1}} units: Z_lambda >= 1, so F_lambda ranges over (-inf, 0), which contains F = {F:.6g}; "
            f"{where}; eq. (16) grad F_lambda = 0 has no finite solution (dF_lambda/db_i = -<v_i> < 0)."
        )
    elif reachable:
        body = f"+-1 units: F_lambda <= -(n_v + n_h) log 2 = {bound:.6g}, and F = {F:.6g} is below this bound; {where}."
    else:
        at_zero = rg.max_abs_parameter <= tol
        found = (
            f"the free-energy optimum is lambda = 0 (max|lambda| = {rg.max_abs_parameter:.2g}), where eq. (16) "
            f"{'holds' if rg.rg_condition_residual <= tol else 'fails'}"
            if at_zero
            else f"the free-energy run ended at max|lambda| = {rg.max_abs_parameter:.3g}, not at lambda = 0"
        )
        if field != 0:
            side = f"with field {field:g} the KL residual there is max|<v>_P|"
        elif rg.kl_condition_residual <= tol and kl.kl < rg.kl:
            side = "with no field it is a stationary point of KL as well, a saddle (the KL run ends lower)"
        else:
            side = "with no field its KL gradient is -(0, <v>_P, 0) = 0 at lambda = 0"
        body = (
            f"+-1 units: F_lambda <= -(n_v + n_h) log 2 = {bound:.6g} < F = {F:.6g}, so F_lambda = F is "
            f"unreachable; {found}; {side}."
        )
    return head + body


@_cites
def rg_vs_kl(
    model: str = "ising2d",
    L: int = 4,
    temperature: float = 2.5,
    n_hidden: int = 4,
    *,
    units: str = "bernoulli",
    field: float = 0.0,
    rng=None,
    init_scale: float = 0.01,
    tol: float = 1e-10,
    max_iter: int = 20000,
) -> RGvsKL:
    r"""Fit an RBM to an enumerated Ising model by KL and by the free-energy difference; compare the optima.

    The data are the :math:`2^{L^2}` states of the periodic L x L Ising model (±1 spins s, coupling 1,
    uniform field), :math:`P(s) \propto e^{-\beta E(s)}`, :math:`\beta = 1/T`, presented to the RBM as
    :math:`v = (s + 1)/2` ({0, 1} units) or :math:`v = s` (±1 units).  With :math:`H(v) = \beta E(s)`,
    :math:`F = -\log\sum_s e^{-\beta E(s)}` and the RBM's
    :math:`H_\lambda(v) = -\log\sum_h e^{v^\top W h + b^\top v + c^\top h}`,
    :math:`F_\lambda = -\log\sum_v e^{-H_\lambda(v)}` (counting convention, both layers enumerated or summed
    exactly), two objectives are minimised by L-BFGS-B from the same :math:`\lambda_0 \sim N(0,`
    ``init_scale``:math:`^2)`:

    .. math::
        D_{KL}(P\|P_\lambda) = \langle H_\lambda\rangle_P - F_\lambda - S(P), \qquad
        \nabla D_{KL} = \langle\nabla H_\lambda\rangle_P - \langle\nabla H_\lambda\rangle_{P_\lambda},

    .. math::
        g(\lambda) = \tfrac12 (F - F_\lambda)^2, \qquad \nabla g = -(F - F_\lambda)\,\nabla F_\lambda, \qquad
        \nabla F_\lambda = \langle\nabla H_\lambda\rangle_{P_\lambda},

    with :math:`\nabla H_\lambda(v) = -(v\,\mathbb E[h|v]^\top, v, \mathbb E[h|v])` (Burns 2021, eqs. 7, 14, 15).

    What the computation shows (T = 2.5, ``rng=0``; ``docs/theory/renormalization.md`` has the table).
    L = 4, n_h = 4, {0, 1} units: :math:`Z_\lambda \ge 1`, so :math:`F_\lambda \in (-\infty, 0)` and F = -14.561
    is reached; the free-energy optimum is a point of the manifold :math:`F_\lambda = F` (``|F - F_lambda|`` = 7e-12,
    KL = 5.362), stationary because :math:`F - F_\lambda = 0`; eq. (16) fails there (residual 0.55) and has no
    finite solution (:math:`\partial F_\lambda/\partial b_i = -\langle v_i\rangle < 0`); the KL condition fails
    too (residual 0.027).  The KL optimum (KL = 0.3005, residual 3e-8) is 9.1 away from the manifold.  ±1 units:
    :math:`F_\lambda \le -(n_v + n_h)\log 2 = -13.863`, above F, so the manifold is again reached (free-energy
    optimum: KL = 5.686, KL residual 0.46; KL optimum: KL = 0.2144, ``|F - F_lambda|`` = 12.4).  At L = 3, n_h = 4
    instead :math:`F = -8.456 > -9.011` (-8.840 with field 0.3): the manifold is empty and the free-energy
    optimum is :math:`\lambda = 0`, where eq. (16) holds exactly and, with a field, the KL condition fails by
    :math:`\max|\langle v\rangle_P|` (0.640 at field 0.3).  The KL runs stop when an iteration no longer lowers
    KL in double precision (scipy's ``success`` is then True), at gradients of 1e-8 to 4e-8 rather than ``tol``;
    for {0, 1} units their end point is sensitive to rounding (another summation order of the same sums ended
    at KL = 0.3039, ``|F - F_lambda|`` = 17.7).  The measured numbers of a call are in :attr:`RGvsKL.message`.

    Parameters
    ----------
    model : {'ising2d'}
        The data model.
    L : int
        Lattice side, 2 to 4 (all :math:`2^{L^2}` states are enumerated).
    temperature : float
        T = 1/beta > 0.
    n_hidden : int
        Hidden units (1 to 64).
    units : {'bernoulli', 'binary'}
        RBM units on both layers: {0, 1} or ±1.
    field : float
        Uniform field of the data model.
    rng : seed or Generator
        Draws the common starting point.
    init_scale : float
        Standard deviation of the starting parameters (in (0, 1e3]; :math:`\lambda = 0` is a stationary point of KL
        when the field is 0).
    tol : float
        ``gtol`` of L-BFGS-B (max-norm of the projected gradient).  ``ftol`` is 0, so a run stops only when
        the gradient is below ``tol``, an iteration no longer lowers the objective at all (in double
        precision), a line search fails, or at the iteration cap; ``converged`` and ``message`` say which.
    max_iter : int
        Iteration cap of each run (function evaluations are capped at 20 times this).

    Returns
    -------
    RGvsKL

    Raises
    ------
    ValueError
        Naming the parameter: an unknown model or units, L outside 2..4, a non-positive or non-finite
        temperature, n_hidden < 1, a bad tolerance or iteration cap.
    """
    model = check_choice("model", model, MODELS)
    units = check_choice("units", units, RBM_UNITS)
    if isinstance(L, (bool, np.bool_)) or not isinstance(L, (int, np.integer)) or not 2 <= int(L) <= 4:
        raise ValueError(
            f"L must be an integer from 2 to 4 (all 2^(L^2) states must be enumerated: L = 4 is "
            f"65536 states), got {L!r}"
        )
    L = int(L)
    temperature = check_positive("temperature", temperature, scalar=True)
    n_hidden = check_int("n_hidden", n_hidden, minimum=1, maximum=MAX_HIDDEN)
    field = check_finite("field", field, scalar=True)
    if (1.0 + abs(field)) / temperature > 1e150:  # beta E enters squared in the free-energy objective
        raise ValueError(
            f"(1 + |field|) / temperature must be <= 1e150 (the squared free-energy gap overflows "
            f"beyond), got field = {field:g}, temperature = {temperature:g}"
        )
    init_scale = check_positive("init_scale", init_scale, scalar=True)
    if init_scale > 1e3:  # couplings far beyond the saturated regime; their squares overflow near 1e154
        raise ValueError(f"init_scale must be <= 1e3, got {init_scale:g}")
    tol = check_tol("tol", tol)
    max_iter = check_int("max_iter", max_iter, minimum=1, maximum=10**6)
    rng = as_rng(rng)

    problem = _Problem(L, temperature, field, n_hidden, units)
    F, nv = problem.free_energy, problem.n_visible
    bound = 0.0 if units == "bernoulli" else -(nv + n_hidden) * math.log(2.0)
    reachable = bool(bound > F)
    x0 = init_scale * rng.standard_normal(problem.size)
    start = problem.evaluate(x0)
    kl_opt = _minimise(problem, x0, "kl", tol, max_iter)
    rg_opt = _minimise(problem, x0, "free_energy", tol, max_iter)
    return RGvsKL(
        model=model,
        L=L,
        temperature=temperature,
        field=field,
        units=units,
        n_visible=nv,
        n_hidden=n_hidden,
        n_states=problem.n_states,
        free_energy=F,
        entropy=problem.entropy,
        model_free_energy_bound=bound,
        free_energy_reachable=reachable,
        initial_kl=start.kl,
        initial_free_energy_gap=float(F - start.model_free_energy),
        kl_optimum=kl_opt,
        rg_optimum=rg_opt,
        message=_message(units, F, bound, reachable, field, kl_opt, rg_opt),
    )
