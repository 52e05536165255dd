r"""Priors: the base measure :math:`P_0(w)` of the Gibbs posterior.

Every prior exposes the scalar log-partition

.. math:: A(B, \Lambda) = \log \int P_0(w)\, e^{B w - \Lambda w^2/2}\, dw,

its first derivative in B (the posterior mean of a scalar Gaussian channel,
:math:`f_a = \partial_B A`) and second derivative (the posterior variance,
:math:`f_v = \partial_B^2 A`).  All are vectorised over arrays (B and
:math:`\Lambda` broadcast).  These three functions are the only place where a
prior enters the replica, message-passing and Monte Carlo solvers.

For the replica-symmetric storage problem (random labels, self-overlap fixed at
``norm``) each prior also gives the overlap and the entropic potential as a
function of the conjugate :math:`\hat q`:

.. math::
    q(\hat q) = \mathbb{E}_\xi\, f_a(\sqrt{\hat q}\,\xi, \hat\Lambda + \hat q)^2, \qquad
    \psi_w(\hat q, q) = \tfrac12 \hat\Lambda Q + \tfrac12 \hat q q
        + \mathbb{E}_\xi A(\sqrt{\hat q}\,\xi, \hat\Lambda + \hat q),

with :math:`\hat\Lambda` the Lagrange multiplier fixing :math:`Q` (Engel & Van
den Broeck, *Statistical Mechanics of Learning*, 2001, ch. 2 and app. A).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_positive
from ..gaussian import normal_expectation

__all__ = ["Prior", "GaussianPrior", "BinaryPrior", "SphericalPrior", "make_prior"]


def _b(B: ArrayLike, Lam: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(B, dtype=float), np.asarray(Lam, dtype=float)


class Prior(ABC):
    """Base measure over one weight; subclasses give A, f_a, f_v in closed form."""

    #: name used by :func:`make_prior` and in reprs
    name: str = "prior"
    #: self-overlap Q = E w^2 under the prior (fixed for storage problems)
    norm: float = 1.0

    @abstractmethod
    def log_partition(self, B: ArrayLike, Lam: ArrayLike) -> np.ndarray:
        r""":math:`A(B, \Lambda) = \log \int P_0(w) e^{Bw - \Lambda w^2/2} dw`."""

    @abstractmethod
    def mean(self, B: ArrayLike, Lam: ArrayLike) -> np.ndarray:
        r""":math:`f_a = \partial_B A`: mean of :math:`w` under :math:`P_0(w)e^{Bw-\Lambda w^2/2}`."""

    @abstractmethod
    def variance(self, B: ArrayLike, Lam: ArrayLike) -> np.ndarray:
        r""":math:`f_v = \partial^2_B A`: variance of :math:`w` under the same tilted measure."""

    def log_density(self, w: ArrayLike) -> np.ndarray:
        """Log density (or log mass) of P0 at ``w``, -inf outside its support."""
        raise NotImplementedError(f"{type(self).__name__} has no pointwise density")

    # Replica-symmetric storage problem ------------------------------------
    def rs_overlap(self, qhat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        r"""Overlap of the RS storage problem at fixed norm, as ``(q, 1 - q)``.

        The complement is computed directly (not as ``1 - q``) so that it keeps
        full relative precision as q tends to 1.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define a fixed-norm storage problem")

    def rs_potential(self, qhat: ArrayLike, q: ArrayLike, v: ArrayLike | None = None) -> np.ndarray:
        r"""Entropic potential :math:`\psi_w(\hat q, q)` (per weight, relative to P0).

        ``v = 1 - q`` may be given separately to keep its relative precision as q -> 1.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define a fixed-norm storage problem")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(self.__dict__.items()))))


class GaussianPrior(Prior):
    r"""Gaussian prior :math:`w \sim N(0, \sigma^2)`.

    .. math:: A(B,\Lambda) = \frac{B^2}{2(\Lambda + \sigma^{-2})} - \tfrac12\log(1 + \Lambda\sigma^2)
    """

    name = "gaussian"

    def __init__(self, variance: float = 1.0) -> None:
        self.variance_ = float(check_positive("variance", variance))
        self.norm = self.variance_

    def _prec(self, Lam):
        return Lam + 1.0 / self.variance_

    def log_partition(self, B, Lam):
        B, Lam = _b(B, Lam)
        return B * B / (2.0 * self._prec(Lam)) - 0.5 * np.log1p(Lam * self.variance_)

    def mean(self, B, Lam):
        B, Lam = _b(B, Lam)
        return B / self._prec(Lam)

    def variance(self, B, Lam):
        B, Lam = _b(B, Lam)
        return np.broadcast_to(1.0 / self._prec(Lam), np.broadcast(B, Lam).shape).copy()

    def log_density(self, w):
        w = np.asarray(w, dtype=float)
        return -0.5 * w * w / self.variance_ - 0.5 * np.log(2 * np.pi * self.variance_)

    def __repr__(self) -> str:
        return f"GaussianPrior(variance={self.variance_:g})"


class BinaryPrior(Prior):
    r"""Ising prior :math:`P_0 = \tfrac12(\delta_{w,1} + \delta_{w,-1})`.

    .. math:: A(B,\Lambda) = \log\cosh B - \Lambda/2, \quad f_a = \tanh B,
              \quad f_v = 1 - \tanh^2 B.

    The storage-problem entropy is relative to the uniform measure, so the
    number of solutions per weight is :math:`\log 2 + \psi`.
    """

    name = "binary"
    norm = 1.0

    def log_partition(self, B, Lam):
        B, Lam = _b(B, Lam)
        a = np.abs(B)
        return a + np.log1p(np.exp(-2.0 * a)) - np.log(2.0) - 0.5 * Lam

    def mean(self, B, Lam):
        B, Lam = _b(B, Lam)
        return np.broadcast_to(np.tanh(B), np.broadcast(B, Lam).shape).copy()

    def variance(self, B, Lam):
        B, Lam = _b(B, Lam)
        t = np.tanh(B)
        return np.broadcast_to(1.0 - t * t, np.broadcast(B, Lam).shape).copy()

    def log_density(self, w):
        w = np.asarray(w, dtype=float)
        return np.where(np.abs(w) == 1.0, -np.log(2.0), -np.inf)

    def rs_overlap(self, qhat):
        r""":math:`q = \mathbb E_\xi \tanh^2(\sqrt{\hat q}\xi)`, :math:`1 - q = \mathbb E_\xi\, \mathrm{sech}^2(\sqrt{\hat q}\xi)`
        (composite quadrature refined on the width :math:`1/\sqrt{\hat q}`)."""
        s = np.sqrt(np.asarray(qhat, dtype=float))
        width = np.minimum(1.0 / np.maximum(s, 1e-300), 1.0)
        q = normal_expectation(lambda t: np.tanh(s[..., None] * t) ** 2, 0.0, width)
        v = normal_expectation(lambda t: np.cosh(np.minimum(np.abs(s[..., None] * t), 350.0)) ** -2, 0.0, width)
        return q, v

    def rs_potential(self, qhat, q, v=None):
        r""":math:`\psi_w = -\tfrac12\hat q(1-q) + \mathbb E_\xi \log\cosh(\sqrt{\hat q}\xi)`.

        With :math:`\log\cosh u = |u| - \log 2 + \log(1+e^{-2|u|})` the growing part
        integrates in closed form, :math:`\mathbb E|\sqrt{\hat q}\xi| = \sqrt{2\hat q/\pi}`,
        leaving a bounded integrand for the quadrature.
        """
        qhat = np.asarray(qhat, dtype=float)
        s = np.sqrt(qhat)
        width = np.minimum(1.0 / np.maximum(s, 1e-300), 1.0)
        rest = normal_expectation(lambda t: np.log1p(np.exp(-2.0 * np.abs(s[..., None] * t))), 0.0, width)
        logcosh = s * np.sqrt(2.0 / np.pi) - np.log(2.0) + rest
        v = 1.0 - np.asarray(q, dtype=float) if v is None else np.asarray(v, dtype=float)
        return -0.5 * qhat * v + logcosh


class SphericalPrior(Prior):
    r"""Uniform measure on the sphere :math:`|w|^2 = N` (Gardner's spherical weights).

    In the thermodynamic limit this is a standard Gaussian base measure with a
    Lagrange multiplier :math:`\hat\Lambda` enforcing :math:`Q = 1`, so the
    scalar functions are those of :class:`GaussianPrior` with unit variance,
    and the storage-problem potential is closed-form:
    :math:`q = \hat q/L^2` with :math:`L = \hat\Lambda + \hat q + 1 = (1+\sqrt{1+4\hat q})/2`,
    and at the saddle point :math:`\psi_w = \tfrac12\log(1-q) + \frac{q}{2(1-q)}`
    (Gardner 1988, J. Phys. A 21, 257, eq. 13).
    """

    name = "spherical"
    norm = 1.0

    def __init__(self) -> None:
        self._g = GaussianPrior(1.0)

    def log_partition(self, B, Lam):
        return self._g.log_partition(B, Lam)

    def mean(self, B, Lam):
        return self._g.mean(B, Lam)

    def variance(self, B, Lam):
        return self._g.variance(B, Lam)

    def rs_overlap(self, qhat):
        qhat = np.asarray(qhat, dtype=float)
        L = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * qhat))
        return qhat / (L * L), 1.0 / L

    def rs_potential(self, qhat, q, v=None):
        r"""General (off-saddle in :math:`\hat q`) form, extremised over :math:`\hat\Lambda`:
        :math:`\tfrac12(L-1) - \tfrac12\hat q(1-q) + \hat q/(2L) - \tfrac12\log L`
        with :math:`L = (1+\sqrt{1+4\hat q})/2`."""
        qhat = np.asarray(qhat, dtype=float)
        v = 1.0 - np.asarray(q, dtype=float) if v is None else np.asarray(v, dtype=float)
        L = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * qhat))
        return 0.5 * (L - 1.0) - 0.5 * qhat * v + qhat / (2.0 * L) - 0.5 * np.log(L)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self).__name__)


_PRIORS = {"gaussian": GaussianPrior, "binary": BinaryPrior, "spherical": SphericalPrior}


def make_prior(prior: "str | Prior") -> Prior:
    """Return a :class:`Prior` from an instance or one of the names
    'gaussian', 'binary', 'spherical'."""
    if isinstance(prior, Prior):
        return prior
    if isinstance(prior, str) and prior.lower() in _PRIORS:
        return _PRIORS[prior.lower()]()
    raise ValueError(f"prior must be a Prior or one of {', '.join(map(repr, _PRIORS))}, got {prior!r}")
