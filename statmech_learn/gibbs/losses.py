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

from .channels import Channel

__all__ = ["Loss", "SquareLoss", "LogisticLoss", "HingeLoss", "LossChannel", "make_loss"]


def _arrays(*xs):
    return [np.asarray(x, dtype=float) for x in xs]


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

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self).__name__)


class SquareLoss(Loss):
    r""":math:`\ell = (y-z)^2/2`; :math:`p = (\omega + Vy)/(1+V)`, :math:`\partial p = 1/(1+V)`."""

    name = "square"

    def value(self, y, z):
        y, z = _arrays(y, z)
        return 0.5 * (y - z) ** 2

    def derivative(self, y, z):
        y, z = _arrays(y, z)
        return z - y

    def prox(self, y, omega, V):
        y, omega, V = _arrays(y, omega, V)
        p = (omega + V * y) / (1.0 + V)
        return p, np.broadcast_to(1.0 / (1.0 + V), p.shape).copy()


class LogisticLoss(Loss):
    r""":math:`\ell = \log(1 + e^{-yz})` (labels :math:`\pm1`).

    The proximal point solves :math:`p = \omega + V y\,\sigma(-yp)`; it lies
    between :math:`\omega` and :math:`\omega + Vy`, and is found for a whole
    array at once by Newton's method safeguarded by that bracket, to
    :math:`|{\Delta p}| \le 10^{-14}(1+|p|)` (at most 100 steps; quadratic
    convergence makes it ~6).  :math:`\partial p = 1/(1 + V\sigma(yp)\sigma(-yp))`.
    """

    name = "logistic"

    def value(self, y, z):
        y, z = _arrays(y, z)
        t = -y * z
        return np.maximum(t, 0.0) + log1p(np.exp(-np.abs(t)))

    def derivative(self, y, z):
        y, z = _arrays(y, z)
        return -y * expit(-y * z)

    def prox(self, y, omega, V, tol: float = 1e-14, max_iter: int = 100):
        y, omega, V = np.broadcast_arrays(*_arrays(y, omega, V))
        # work in u = y p (labels +-1): u = y omega + V sigma(-u)
        a = y * omega
        lo, hi = a.copy(), a + V
        u = a + V * expit(-a)  # one fixed-point step: already inside the bracket
        for _ in range(max_iter):
            s = expit(-u)
            f = u - a - V * s
            fp = 1.0 + V * s * (1.0 - s)
            lo = np.where(f < 0, u, lo)
            hi = np.where(f > 0, u, hi)
            step = f / fp
            u_new = u - step
            outside = (u_new <= lo) | (u_new >= hi)
            u_new = np.where(outside, 0.5 * (lo + hi), u_new)
            done = np.abs(u_new - u) <= tol * (1.0 + np.abs(u_new))
            u = u_new
            if np.all(done):
                break
        s = expit(-u)
        return y * u, 1.0 / (1.0 + V * s * (1.0 - s))


class HingeLoss(Loss):
    r""":math:`\ell = \max(0, 1 - yz)`; :math:`p = \omega` if :math:`y\omega\ge1`,
    :math:`\omega + Vy` if :math:`y\omega \le 1 - V`, else :math:`y` (on the hinge)."""

    name = "hinge"

    def value(self, y, z):
        y, z = _arrays(y, z)
        return np.maximum(0.0, 1.0 - y * z)

    def derivative(self, y, z):
        y, z = _arrays(y, z)
        return np.where(y * z < 1.0, -y, 0.0)

    def prox(self, y, omega, V):
        y, omega, V = np.broadcast_arrays(*_arrays(y, omega, V))
        a = y * omega
        p = np.where(a >= 1.0, omega, np.where(a <= 1.0 - V, omega + V * y, y))
        dp = np.where((a >= 1.0) | (a <= 1.0 - V), 1.0, 0.0)
        return p, dp


_LOSSES = {"square": SquareLoss, "logistic": LogisticLoss, "hinge": HingeLoss}


def make_loss(loss: "str | Loss") -> Loss:
    """Return a :class:`Loss` from an instance or one of 'square', 'logistic', 'hinge'."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str) and loss.lower() in _LOSSES:
        return _LOSSES[loss.lower()]()
    raise ValueError(f"loss must be a Loss or one of {', '.join(map(repr, _LOSSES))}, got {loss!r}")


class LossChannel(Channel):
    r"""Zero-temperature channel of ERM: :math:`\log Z_{out} = -\mathcal M_\ell(y,\omega,V)`.

    ``log_likelihood`` is :math:`-\ell(y,z)`; ``g_out`` and ``dg_out`` come from
    the proximal map (module docstring).
    """

    name = "loss"

    def __init__(self, loss: "str | Loss") -> None:
        self.loss = make_loss(loss)

    def log_likelihood(self, y, z):
        return -self.loss.value(y, z)

    def log_partition(self, y, omega, V):
        y, omega, V = _arrays(y, omega, V)
        p, _ = self.loss.prox(y, omega, V)
        return -(self.loss.value(y, p) + (p - omega) ** 2 / (2.0 * V))

    def g_out(self, y, omega, V):
        y, omega, V = _arrays(y, omega, V)
        p, _ = self.loss.prox(y, omega, V)
        return (p - omega) / V

    def dg_out(self, y, omega, V):
        y, omega, V = _arrays(y, omega, V)
        _, dp = self.loss.prox(y, omega, V)
        return (dp - 1.0) / V

    def __repr__(self) -> str:
        return f"LossChannel({self.loss!r})"
