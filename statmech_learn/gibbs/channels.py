r"""Channels: the likelihood :math:`P_{out}(y \mid z)` of a label given the preactivation.

Every channel exposes the scalar log-partition of its Gaussian smoothing

.. math:: \log Z_{out}(y, \omega, V) = \log \int Dz\, P_{out}(y \mid \omega + \sqrt V z),

and its derivatives in :math:`\omega`: :math:`g_{out} = \partial_\omega \log Z_{out}`
and :math:`\partial g_{out} = \partial^2_\omega \log Z_{out}`, vectorised over
arrays (y, omega, V broadcast).  The derivative in V follows from the heat
equation, :math:`\partial_V \log Z_{out} = \tfrac12(\partial g_{out} + g_{out}^2)`.
These are the only place where a channel enters the solvers.

For the replica-symmetric storage problem (labels :math:`\pm1` at random,
independent of the inputs) the channel gives

.. math::
    \hat q/\alpha = \mathbb E_{y,t}\, g_{out}(y, \sqrt q t, 1-q)^2, \qquad
    \psi_{out}(q) = \mathbb E_{y,t} \log Z_{out}(y, \sqrt q t, 1-q).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_nonnegative, check_positive
from ..gaussian import hazard, log_H, normal_expectation, tail_second_moment
from scipy.special import erfcx

__all__ = ["Channel", "Margin", "Sign", "GaussianNoise", "make_channel"]


def _arrays(*xs):
    return [np.asarray(x, dtype=float) for x in xs]


class Channel(ABC):
    """Likelihood of a label given the preactivation ``z = x.w / sqrt(N)``."""

    name: str = "channel"

    @abstractmethod
    def log_likelihood(self, y: ArrayLike, z: ArrayLike) -> np.ndarray:
        r""":math:`\log P_{out}(y\mid z)` (may be -inf for hard constraints)."""

    @abstractmethod
    def log_partition(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> np.ndarray:
        r""":math:`\log Z_{out}(y,\omega,V)`."""

    @abstractmethod
    def g_out(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> np.ndarray:
        r""":math:`g_{out} = \partial_\omega \log Z_{out}`."""

    @abstractmethod
    def dg_out(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> np.ndarray:
        r""":math:`\partial_\omega g_{out} = \partial^2_\omega \log Z_{out}`."""

    def rs_storage(self, q: ArrayLike, v: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
        r"""Channel terms of the RS storage problem at overlap q (self-overlap 1).

        ``v = 1 - q`` may be passed separately so that it keeps full relative
        precision as q tends to 1.

        Returns
        -------
        qhat_per_alpha : ndarray
            :math:`\mathbb E_{y,t}\, g_{out}(y,\sqrt q t, 1-q)^2`.
        psi_out : ndarray
            :math:`\mathbb E_{y,t} \log Z_{out}(y,\sqrt q t, 1-q)`.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define a storage problem")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(self.__dict__.items()))))


class Margin(Channel):
    r"""Hard margin constraint :math:`P_{out}(y\mid z) = \theta(yz - \kappa)`.

    With :math:`x = (\kappa - y\omega)/\sqrt V` and :math:`r = \phi(x)/H(x)`:

    .. math:: \log Z_{out} = \log H(x), \quad g_{out} = \frac{y\, r(x)}{\sqrt V}, \quad
              \partial g_{out} = -\frac{r(x)\,(r(x) - x)}{V}, \qquad y \in \{-1, +1\}.

    This is Gardner's constraint (Gardner 1988); :class:`Sign` is kappa = 0.
    """

    name = "margin"

    def __init__(self, kappa: float = 0.0) -> None:
        self.kappa = float(check_nonnegative("kappa", kappa, hint=" (negative margins need replica-symmetry breaking)"))

    def _x(self, y, omega, V):
        y, omega, V = _arrays(y, omega, V)
        return (self.kappa - y * omega) / np.sqrt(V), y, V

    def log_likelihood(self, y, z):
        y, z = _arrays(y, z)
        return np.where(y * z >= self.kappa, 0.0, -np.inf)

    def log_partition(self, y, omega, V):
        x, _, _ = self._x(y, omega, V)
        return log_H(x)

    def g_out(self, y, omega, V):
        x, y, V = self._x(y, omega, V)
        return y * hazard(x) / np.sqrt(V)

    def dg_out(self, y, omega, V):
        x, _, V = self._x(y, omega, V)
        r = hazard(x)
        return -r * (r - x) / V

    def rs_storage(self, q, v=None):
        r"""Composite quadrature refined around :math:`t_0 = \kappa/\sqrt q` with
        width :math:`\sqrt{(1-q)/q}`; the label average is trivial by the
        symmetry :math:`(y, t) \to (-y, -t)`.

        The part of :math:`\log H(x) \simeq -x^2/2` that diverges as q -> 1 is
        integrated in closed form,

        .. math:: \psi_{out} = -\frac{q}{2(1-q)}\, I(t_0)
                  + \mathbb E_t\big[\log H(x) + \tfrac12 x^2\theta(x)\big],
                  \quad I(a) = \int_{-a}^\infty Dt\,(t+a)^2,

        so that the O(1) free entropy is not lost in the cancellation of two
        O(1/(1-q)) terms; accurate for 1 - q down to 1e-12 and below.
        """
        q = np.asarray(q, dtype=float)
        sq = np.sqrt(q)
        one_minus_q = 1.0 - q if v is None else np.asarray(v, dtype=float)
        sv = np.sqrt(one_minus_q)
        center = self.kappa / np.maximum(sq, 1e-300)
        width = np.minimum(sv / np.maximum(sq, 1e-300), 1.0)

        def x_of(t):
            return (self.kappa - sq[..., None] * t) / sv[..., None]

        def regular(t):  # log H(x) + x^2/2 for x >= 0, log H(x) otherwise: O(log x)
            x = x_of(t)
            xp = np.maximum(x, 0.0)
            return np.where(x >= 0, np.log(0.5 * erfcx(xp / np.sqrt(2.0))), log_H(np.minimum(x, 0.0)))

        g2 = normal_expectation(lambda t: hazard(x_of(t)) ** 2, center, width) / one_minus_q
        singular = -0.5 * q / one_minus_q * tail_second_moment(center)
        psi = singular + normal_expectation(regular, center, width)
        return g2, psi

    def __repr__(self) -> str:
        return f"Margin(kappa={self.kappa:g})"


class Sign(Margin):
    r"""Noiseless sign channel :math:`P_{out}(y\mid z) = \theta(yz)` (Margin with kappa = 0)."""

    name = "sign"

    def __init__(self) -> None:
        super().__init__(0.0)

    def __repr__(self) -> str:
        return "Sign()"


class GaussianNoise(Channel):
    r"""Linear channel with additive Gaussian noise, :math:`y = z + \sqrt\Delta\,\xi`.

    .. math:: \log Z_{out} = -\frac{(y-\omega)^2}{2(V+\Delta)} - \tfrac12\log(2\pi(V+\Delta)),
              \quad g_{out} = \frac{y-\omega}{V+\Delta}, \quad \partial g_{out} = -\frac{1}{V+\Delta}.
    """

    name = "gaussian"

    def __init__(self, variance: float = 1.0) -> None:
        self.variance = float(check_positive("variance", variance))

    def log_likelihood(self, y, z):
        y, z = _arrays(y, z)
        d = y - z
        return -0.5 * d * d / self.variance - 0.5 * np.log(2 * np.pi * self.variance)

    def log_partition(self, y, omega, V):
        y, omega, V = _arrays(y, omega, V)
        s = V + self.variance
        d = y - omega
        return -0.5 * d * d / s - 0.5 * np.log(2 * np.pi * s)

    def g_out(self, y, omega, V):
        y, omega, V = _arrays(y, omega, V)
        return (y - omega) / (V + self.variance)

    def dg_out(self, y, omega, V):
        y, omega, V = _arrays(y, omega, V)
        return np.broadcast_to(-1.0 / (V + self.variance), np.broadcast(y, omega, V).shape).copy()

    def __repr__(self) -> str:
        return f"GaussianNoise(variance={self.variance:g})"


_CHANNELS = {"sign": Sign, "margin": Margin, "gaussian": GaussianNoise}


def make_channel(channel: "str | Channel") -> Channel:
    """Return a :class:`Channel` from an instance or one of the names 'sign', 'margin', 'gaussian'."""
    if isinstance(channel, Channel):
        return channel
    if isinstance(channel, str) and channel.lower() in _CHANNELS:
        return _CHANNELS[channel.lower()]()
    raise ValueError(f"channel must be a Channel or one of {', '.join(map(repr, _CHANNELS))}, got {channel!r}")
