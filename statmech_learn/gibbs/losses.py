r"""Losses of empirical risk minimisation and their proximal maps.

ERM with loss :math:`\ell(y, z)` is the zero-temperature limit of the Gibbs
posterior with :math:`P_{out}(y\mid z) = e^{-\beta\ell(y,z)}`.  As
:math:`\beta\to\infty` with :math:`V = O(1/\beta)` the channel log-partition
becomes minus the Moreau envelope,

.. math::
    \frac1\beta\log Z_{out}(y,\omega,V/\beta) \to -\mathcal M(y,\omega,V)
    = -\min_z\Big[\ell(y,z) + \frac{(z-\omega)^2}{2V}\Big],

whose minimiser is the proximal point :math:`p = \mathrm{prox}_{V\ell(y,\cdot)}(\omega)`;
then :math:`g_{out} = (p-\omega)/V` and :math:`\partial_\omega g_{out} = (\partial_\omega p - 1)/V`
(e.g. Aubin et al. 2020, NeurIPS, sec. 3; Gerace et al. 2020, ICML, app. C).
:class:`LossChannel` wraps a loss as a :class:`~statmech_learn.gibbs.Channel`
so that the replica engine treats ERM like any other student.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit, log1p

from .._validation import as_real, from_registry
from ..gaussian import _quiet_overflow, normal_nodes
from .channels import Channel, _by_domain, _positive_V

__all__ = ["Loss", "SquareLoss", "LogisticLoss", "HingeLoss", "LossChannel", "make_loss"]


def _arrays(*xs):
    return [as_real("input", x) for x in xs]


class Loss(ABC):
    """A per-sample loss ``l(y, z)`` with its proximal map."""

    name = "loss"

    @abstractmethod
    def value(self, y: ArrayLike, z: ArrayLike) -> np.ndarray:
        """The loss l(y, z)."""

    @abstractmethod
    def derivative(self, y: ArrayLike, z: ArrayLike) -> np.ndarray:
        """dl/dz (a subgradient where l is not differentiable)."""

    @abstractmethod
    def prox(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        r"""Proximal point :math:`p = \arg\min_z [\ell(y,z) + (z-\omega)^2/(2V)]` and
        :math:`\partial p/\partial\omega`."""

    def kinks(self, V: ArrayLike) -> list[tuple[np.ndarray, float]]:
        r"""Where the proximal map of labels :math:`\pm1` is not smooth, in :math:`a = y\omega`.

        A list of ``(a_k, s_k)``: a kink of the map :math:`a \mapsto y\,\mathrm{prox}`
        at :math:`a_k` (an array broadcast with V), exact if :math:`s_k = 0`, else a
        singularity at distance :math:`s_k` from the real axis.  The replica
        quadrature puts panel breaks there.  Default: none (smooth everywhere).
        """
        return []

    def error_boundary(self, V: ArrayLike) -> np.ndarray:
        r"""The :math:`a = y\omega` below which the proximal point is misclassified,
        :math:`y\,\mathrm{prox}(a) \le 0`: at :math:`p = 0`, :math:`a = V y\,\ell'(y, 0)`
        (for labels :math:`\pm1`; the map is nondecreasing in a)."""
        V = np.asarray(V, dtype=float)
        return V * self.derivative(1.0, 0.0)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self).__name__)


class SquareLoss(Loss):
    r""":math:`\ell = (y-z)^2/2`; :math:`p = (\omega + Vy)/(1+V)`, :math:`\partial p = 1/(1+V)`."""

    name = "square"

    @_quiet_overflow
    def value(self, y, z):
        y, z = _arrays(y, z)
        return 0.5 * (y - z) ** 2

    @_quiet_overflow
    def derivative(self, y, z):
        y, z = _arrays(y, z)
        return z - y

    @_quiet_overflow
    def prox(self, y, omega, V):
        y, omega, V = _arrays(y, omega, V)
        p = (omega + V * y) / (1.0 + V)
        return p, np.broadcast_to(1.0 / (1.0 + V), p.shape).copy()


class LogisticLoss(Loss):
    r""":math:`\ell = \log(1 + e^{-yz})` (labels :math:`\pm1`).

    Proximal point: with :math:`a = y\omega` and :math:`u = yp`, the root of
    :math:`f(u) = u - a - V\sigma(-u)`, increasing (:math:`f' = 1 + V\sigma(u)\sigma(-u) \ge 1`),
    convex for :math:`u < 0` and concave for :math:`u > 0`.  The sign of
    :math:`f(0) = -a - V/2` tells on which side the root lies; Newton's method
    started at :math:`\max(a, 0)` (root :math:`\ge 0`, where :math:`f \le 0`) or at
    :math:`\min(a + V, 0)` (root :math:`< 0`, where :math:`f > 0`) then moves
    monotonically to the root (the tangent of a concave function lies above
    it, of a convex one below) and converges quadratically: at most ~9 steps
    for :math:`|a| \le 100`, :math:`10^{-2} \le V \le 10^3`.  Stops when
    :math:`|\Delta u| \le 10^{-14}(1 + |u|)`.  :math:`\partial p = 1/(1 + V\sigma(yp)\sigma(-yp))`.

    :meth:`kinks`: the proximal map :math:`a \mapsto u` is analytic in the strip
    :math:`|\mathrm{Im}\, a| < \pi` and singular (branch points, where
    :math:`f'(u) = 0`) at :math:`u = x_\pm + i\pi` with
    :math:`x_\pm = \pm 2\,\mathrm{arcsinh}(\sqrt V/2)`, i.e. at
    :math:`\mathrm{Re}\, a = x_\pm - V/(1 - e^{x_\pm})`: the smoothed versions of
    the hinge's kinks at :math:`a = 1` and :math:`a = 1 - V`.
    """

    name = "logistic"

    @_quiet_overflow
    def value(self, y, z):
        y, z = _arrays(y, z)
        t = -y * z
        return np.maximum(t, 0.0) + log1p(np.exp(-np.abs(t)))

    @_quiet_overflow
    def derivative(self, y, z):
        y, z = _arrays(y, z)
        return -y * expit(-y * z)

    @_quiet_overflow
    def prox(self, y, omega, V, tol: float = 1e-14, max_iter: int = 100):
        y, omega, V = np.broadcast_arrays(*_arrays(y, omega, V))
        shape = y.shape
        a = (y * omega).ravel()
        Vf = np.array(V, dtype=float).ravel()
        root_nonneg = -a - 0.5 * Vf <= 0.0
        u = np.where(root_nonneg, np.maximum(a, 0.0), np.minimum(a + Vf, 0.0))
        idx = np.arange(u.size)
        ui, ai, Vi = u, a, Vf
        # outside the domain (infinite omega or V, V < 0) the steps are NaN, quietly: NaN out
        with np.errstate(invalid="ignore", divide="ignore"):
            for _ in range(max_iter):
                s = expit(-ui)
                step = (ui - ai - Vi * s) / (1.0 + Vi * s * (1.0 - s))
                ui = ui - step
                u[idx] = ui
                todo = np.abs(step) > tol * (1.0 + np.abs(ui))
                if not np.any(todo):
                    break
                idx, ui, ai, Vi = idx[todo], ui[todo], ai[todo], Vi[todo]
            u = u.reshape(shape)
            s = expit(-u)
            return y * u, 1.0 / (1.0 + V * s * (1.0 - s))

    def kinks(self, V):
        V = np.asarray(V, dtype=float)
        x = 2.0 * np.arcsinh(0.5 * np.sqrt(V))
        with np.errstate(divide="ignore", invalid="ignore"):
            upper = np.where(x > 0, x + V / np.expm1(x), 0.0)
            lower = np.where(x > 0, -x + V / np.expm1(-x), 0.0)
        return [(upper, np.pi), (lower, np.pi)]


class HingeLoss(Loss):
    r""":math:`\ell = \max(0, 1 - yz)`; :math:`p = \omega` if :math:`y\omega\ge1`,
    :math:`\omega + Vy` if :math:`y\omega \le 1 - V`, else :math:`y` (on the hinge)."""

    name = "hinge"

    @_quiet_overflow
    def value(self, y, z):
        y, z = _arrays(y, z)
        return np.maximum(0.0, 1.0 - y * z)

    @_quiet_overflow
    def derivative(self, y, z):
        y, z = _arrays(y, z)
        return np.where(y * z < 1.0, -y, 0.0)

    @_quiet_overflow
    def prox(self, y, omega, V):
        y, omega, V = np.broadcast_arrays(*_arrays(y, omega, V))
        a = y * omega
        p = np.where(a >= 1.0, omega, np.where(a <= 1.0 - V, omega + V * y, y))
        dp = np.where((a >= 1.0) | (a <= 1.0 - V), 1.0, 0.0)
        return p, dp

    def kinks(self, V):
        V = np.asarray(V, dtype=float)
        return [(np.ones_like(V), 0.0), (1.0 - V, 0.0)]


_LOSSES = {"square": SquareLoss, "logistic": LogisticLoss, "hinge": HingeLoss}


def make_loss(loss: str | Loss) -> Loss:
    """Return a :class:`Loss` from an instance or one of 'square', 'logistic', 'hinge'."""
    return from_registry("loss", loss, Loss, _LOSSES)


# Quadrature of the zero-temperature channel integrals -------------------------

_ROUNDED = np.array([-8, -4, -2, -1, 0, 1, 2, 4, 8], dtype=float)


def _xi_nodes(sq, teacher_width, loss: Loss | None, V, panel_order: int, extra=()):
    r"""Composite Gauss-Legendre nodes and weights for :math:`\mathbb E_\xi` of the ERM integrands.

    The rule of :func:`statmech_learn.gaussian.normal_nodes` (graded around
    :math:`\xi = 0` on the teacher's scale) with further breaks, for each label
    :math:`y = \pm1` and each kink :math:`(a_k, s_k)` of the loss
    (:meth:`Loss.kinks`, plus ``extra``), at :math:`\xi = y a_k/\sqrt q`
    (graded on :math:`s_k/\sqrt q` when the kink is rounded).  Every panel then
    holds an integrand analytic on the panel's own scale, so ``panel_order``
    Gauss-Legendre nodes per panel converge geometrically.
    """
    sq = np.asarray(sq, dtype=float)
    shape = sq.shape
    kinks = (loss.kinks(V) if loss is not None else []) + list(extra)
    inv = 1.0 / sq[..., None]
    parts = [np.zeros(shape + (0,))]
    for a_k, s_k in kinks:
        a_k = np.broadcast_to(np.asarray(a_k, dtype=float), shape)[..., None]
        offsets = s_k * _ROUNDED if s_k > 0 else np.zeros(1)
        for y in (1.0, -1.0):
            parts.append((y * a_k + offsets) * inv)
    return normal_nodes(
        0.0,
        np.broadcast_to(np.asarray(teacher_width, dtype=float), shape),
        panel_order,
        extra_breaks=np.concatenate(parts, axis=-1),
    )


_SMOOTH_LOSSES = (SquareLoss, LogisticLoss)  # differentiable everywhere: g_out = -l'(p) at the prox


def _nan_if_nan(x, ref):
    """x, with NaN where ``ref`` is NaN (a loss's subgradient or prox may hide a NaN input)."""
    return np.where(np.isnan(ref), np.nan, x)


def _curvature(loss: Loss, y, z):
    r""":math:`\partial_z^2\ell(y, z) = -\lim_{V\to0}\partial_\omega g_{out}` (labels :math:`\pm1`
    for the logistic loss).  Closed form for the built-in losses; otherwise from the
    proximal map, :math:`(1 - \partial p)/V` at V = h, 2h extrapolated to V = 0."""
    y, z = _arrays(y, z)
    kind = type(loss)
    if kind is SquareLoss or kind is HingeLoss:
        return np.where(np.isnan(y + z), np.nan, 1.0 if kind is SquareLoss else 0.0)
    if kind is LogisticLoss:
        s = expit(-y * z)
        return s * (1.0 - s)
    h = 1e-5
    return 2.0 * (1.0 - loss.prox(y, z, h)[1]) / h - (1.0 - loss.prox(y, z, 2.0 * h)[1]) / (2.0 * h)


class LossChannel(Channel):
    r"""Zero-temperature channel of ERM: :math:`\log Z_{out} = -\mathcal M_\ell(y,\omega,V)`.

    ``log_likelihood`` is :math:`-\ell(y,z)`; ``g_out`` and ``dg_out`` come from
    the proximal map (module docstring).  Domain as for every channel
    (:mod:`statmech_learn.gibbs.channels`): NaN in, NaN out; V < 0 gives NaN; V = 0
    the limit :math:`-\ell`, :math:`-\partial_z\ell`, :math:`-\partial_z^2\ell` at :math:`z = \omega`.
    """

    name = "loss"

    def __init__(self, loss: str | Loss) -> None:
        self.loss = make_loss(loss)

    def log_likelihood(self, y, z):
        return -self.loss.value(y, z)

    @_quiet_overflow
    def log_partition(self, y, omega, V):
        r""":math:`-\ell(y, p) - (p - \omega)^2/(2V)`, the square as :math:`(p-\omega) g_{out}/2`.
        At V = 0: :math:`-\ell(y, \omega)`."""
        y, omega, V = _arrays(y, omega, V)
        Vp, pos = _positive_V(V)
        p, _ = self.loss.prox(y, omega, Vp)
        lz = -(self.loss.value(y, p) + 0.5 * (p - omega) * self._g(y, omega, Vp, p))
        return _by_domain(pos, V, lz, lambda: -self.loss.value(y, omega))

    def _g(self, y, omega, Vp, p):
        r""":math:`(p - \omega)/V` (V > 0), as :math:`-\partial_z\ell(y, p)` where that is exact."""
        kind = type(self.loss)
        if kind in _SMOOTH_LOSSES:
            return -self.loss.derivative(y, p)
        if kind is HingeLoss:  # on the hinge p = y exactly, and g in (0, 1) y
            return _nan_if_nan(np.where(y * p == 1.0, (p - omega) / Vp, -self.loss.derivative(y, p)), p)
        return (p - omega) / Vp

    @_quiet_overflow
    def g_out(self, y, omega, V):
        r""":math:`(p - \omega)/V`, which is :math:`-\partial_z\ell(y, p)` for the smooth built-in
        losses (square, logistic) and for the hinge off its kink (evaluated so, without
        the cancellation of :math:`p - \omega` at small V).
        At V = 0: :math:`-\partial_z\ell(y, \omega)`."""
        y, omega, V = _arrays(y, omega, V)
        Vp, pos = _positive_V(V)
        p, _ = self.loss.prox(y, omega, Vp)
        g = self._g(y, omega, Vp, p)
        return _by_domain(pos, V, g, lambda: _nan_if_nan(-self.loss.derivative(y, omega), y * omega))

    @_quiet_overflow
    def dg_out(self, y, omega, V):
        r""":math:`(\partial p - 1)/V`, which is :math:`-\ell''(p)/(1 + V\ell''(p))` for the smooth
        built-in losses (evaluated so).  At V = 0: :math:`-\partial_z^2\ell(y, \omega)`
        (0 for the hinge, also at its kink, where the proximal map is the identity for every V)."""
        y, omega, V = _arrays(y, omega, V)
        Vp, pos = _positive_V(V)
        p, dp = self.loss.prox(y, omega, Vp)
        if type(self.loss) in _SMOOTH_LOSSES:
            c = _curvature(self.loss, y, p)
            dg = -c / (1.0 + Vp * c)
        else:
            dg = _nan_if_nan((dp - 1.0) / Vp, y * omega)  # a hinge's dp is finite at NaN input
        return _by_domain(pos, V, dg, lambda: -_curvature(self.loss, y, omega))

    def _teacher_geometry(self, m, q, V, rho, V_star):
        m, q, V = np.broadcast_arrays(*_arrays(m, q, V))
        q = np.maximum(q, 1e-300)
        sq = np.sqrt(q)
        Vs = rho - m * m / q if V_star is None else np.broadcast_to(np.asarray(V_star, dtype=float), q.shape)
        Vs = np.maximum(Vs, 1e-300)
        a = m / sq  # teacher's mean preactivation omega* = a xi, variance Vs
        with np.errstate(divide="ignore"):
            width = np.minimum(1.0, np.sqrt(Vs) / np.abs(a))
        return m, q, V, sq, Vs, a, width

    def rs_teacher_student(self, m, q, V, teacher, rho, V_star=None, panel_order: int = 10):
        r"""ERM conjugates (per unit alpha) and zero-temperature potential.

        Same integrals as :meth:`Channel.rs_teacher_student`, with
        :math:`g_{out} = (p - \omega)/V`, :math:`\partial g_{out} = (\partial p - 1)/V`,
        :math:`\log Z_{out} = -\ell(y, p) - (p-\omega)^2/(2V)`, the proximal point
        :math:`p` computed once per node.  The :math:`\xi` rule
        (:func:`_xi_nodes`) puts panel breaks at the loss's kinks for labels
        :math:`\pm1`, so ``panel_order = 10`` nodes per panel reach a relative
        accuracy of ~1e-12 on the conjugates of the logistic and hinge losses
        for :math:`10^{-3} \le V \le 10^3`, :math:`q \le 10^3` (against
        ``panel_order = 40``; ``benchmarks/replica_erm.py`` compares with nested
        adaptive quadrature).
        """
        m, q, V, sq, Vs, a, width = self._teacher_geometry(m, q, V, rho, V_star)
        binary = teacher.labels == "binary"
        xi, wxi = _xi_nodes(sq, width, self.loss if binary else None, V, panel_order)
        y, wy, dwy = teacher.label_nodes(a[..., None] * xi, Vs[..., None])  # (..., N, K)
        om = (sq[..., None] * xi)[..., None]
        vv = V[..., None, None]
        p, dp = self.loss.prox(y, om, vv)
        g = (p - om) / vv
        dg = (dp - 1.0) / vv
        lz = -(self.loss.value(y, p) + 0.5 * (p - om) * g)
        W = wxi[..., None] * wy
        DW = wxi[..., None] * dwy

        def tot(weight, x):
            return np.sum(np.where(weight != 0, weight * x, 0.0), axis=(-2, -1))

        return {"mhat": tot(DW, g), "qhat": tot(W, g * g), "Vhat": -tot(W, dg), "psi": tot(W, lz)}

    def rs_train(self, m, q, V, teacher, rho, panel_order: int = 10):
        r"""Mean training loss :math:`\mathbb E\,\ell(y, p)` and training error
        :math:`\mathbb P(yp \le 0)` at the proximal points (labels :math:`\pm1`;
        NaN for real labels).  The training inputs' preactivations are the
        proximal points of the cavity fields (Aubin et al. 2020, NeurIPS, sec. 3).
        The error's jump (:meth:`Loss.error_boundary`) is a panel break.
        """
        m, q, V, sq, Vs, a, width = self._teacher_geometry(m, q, V, rho, None)
        binary = teacher.labels == "binary"
        extra = [(self.loss.error_boundary(V), 0.0)] if binary else []
        xi, wxi = _xi_nodes(sq, width, self.loss if binary else None, V, panel_order, extra)
        y, wy, _ = teacher.label_nodes(a[..., None] * xi, Vs[..., None])
        om = (sq[..., None] * xi)[..., None]
        p, _ = self.loss.prox(y, om, V[..., None, None])
        W = wxi[..., None] * wy
        loss = np.sum(np.where(W != 0, W * self.loss.value(y, p), 0.0), axis=(-2, -1))
        if not binary:
            return loss, np.full(loss.shape, np.nan)
        return loss, np.sum(np.where(y * p <= 0, W, 0.0), axis=(-2, -1))

    def __repr__(self) -> str:
        return f"LossChannel({self.loss!r})"
