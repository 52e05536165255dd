r"""Channels: the likelihood :math:`P_{out}(y \mid z)` of a label given the preactivation.

Every channel exposes the scalar log-partition of its Gaussian smoothing

.. math:: \log Z_{out}(y, \omega, V) = \log \int Dz\, P_{out}(y \mid \omega + \sqrt V z),

and its derivatives in :math:`\omega`: :math:`g_{out} = \partial_\omega \log Z_{out}`
and :math:`\partial g_{out} = \partial^2_\omega \log Z_{out}`, vectorised over
arrays (y, omega, V broadcast).  The derivative in V follows from the heat
equation, :math:`\partial_V \log Z_{out} = \tfrac12(\partial g_{out} + g_{out}^2)`.
These are the only place where a channel enters the solvers.

Domain.  The kernels are vectorised and do not raise on bad values: NaN in an
argument the value depends on gives NaN (NaN in, NaN out).  V < 0 is outside
the domain and gives NaN, never a finite number.  V = 0 gives the limit
V -> 0+, where :math:`Z_{out}` tends to :math:`P_{out}(y\mid\omega)`: for
:class:`Margin`, :math:`\log Z_{out} = \log\theta(y\omega-\kappa)` (:math:`\theta(0) = 1/2`),
:math:`g_{out} = \partial g_{out} = 0` where :math:`y\omega > \kappa`, and
:math:`g_{out} = +\infty\cdot y`, :math:`\partial g_{out} = -\infty` where :math:`y\omega \le \kappa`.
A tiny V > 0 gives values close to that limit (finite where it is finite).

For the replica-symmetric storage problem (labels :math:`\pm1` at random,
independent of the inputs) the channel gives

.. math::
    \hat q/\alpha = \mathbb E_{y,t}\, g_{out}(y, \sqrt q t, 1-q)^2, \qquad
    \psi_{out}(q) = \mathbb E_{y,t} \log Z_{out}(y, \sqrt q t, 1-q).

For teacher-student problems the labels come from a teacher channel through
:meth:`Channel.label_nodes` (the teacher's :math:`Z^*_{out}` and its
:math:`\omega`-derivative on label nodes), and the student channel gives the
conjugates of :meth:`Channel.rs_teacher_student`: with
:math:`\omega = \sqrt q\,\xi`, :math:`\omega^* = (m/\sqrt q)\,\xi`,
:math:`V^* = \rho - m^2/q`,

.. math::
    \frac{\hat m}{\alpha} = \mathbb E_\xi\!\int\! dy\, \partial_{\omega^*}Z^*_{out}\, g_{out},\quad
    \frac{\hat q}{\alpha} = \mathbb E_\xi\!\int\! dy\, Z^*_{out}\, g_{out}^2,\quad
    \frac{\hat V}{\alpha} = -\mathbb E_\xi\!\int\! dy\, Z^*_{out}\, \partial_\omega g_{out},

and :math:`\psi_{out} = \mathbb E_\xi\int dy\, Z^*_{out}\log Z_{out}` (Aubin et al. 2020,
NeurIPS, app. B; Barbier et al. 2019, PNAS 116, 5451, for the Bayes-optimal case).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import erfcx

from .._validation import as_real, as_rng, check_margin, check_positive, check_probability, from_registry
from ..gaussian import (
    _quiet_overflow,
    gauss_hermite,
    hazard,
    hazard_gap,
    log_H,
    normal_expectation,
    normal_nodes,
    tail_second_moment,
)

__all__ = [
    "Channel",
    "Margin",
    "Sign",
    "NoisySign",
    "ErrorCounting",
    "Probit",
    "GaussianNoise",
    "make_channel",
]

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


def _arrays(*xs):
    return [as_real("input", x) for x in xs]


def _positive_V(V):
    """``(V, None)`` if every V > 0, else ``(V with the other entries set to 1, mask V > 0)``."""
    pos = V > 0
    if pos.all():
        return V, None
    return np.where(pos, V, 1.0), pos


def _by_domain(pos, V, regular, limit):
    """``regular`` where V > 0, ``limit()`` (the V -> 0 limit) where V == 0, NaN where V < 0 or NaN."""
    if pos is None:
        return regular
    zero = V == 0
    at_zero = limit() if zero.any() else np.nan
    return np.where(pos, regular, np.where(zero, at_zero, np.nan))


def _nonnegative_V(V):
    """V, with NaN where V < 0 (a channel's variance; V = 0 is allowed)."""
    return V if np.all(V >= 0) else np.where(V >= 0, V, np.nan)


def _teacher_nodes(m, q, V, teacher: Channel, rho: float, V_star, panel_order: int):
    r"""Nodes of the teacher-student average :math:`\mathbb E_{y,\omega}` at overlaps (m, q, V).

    The student's cavity field is :math:`\omega = \sqrt q\,\xi`, the teacher's preactivation has mean
    :math:`(m/\sqrt q)\xi` and variance :math:`V^* = \rho - m^2/q`; :math:`\xi` on a composite
    Gauss-Hermite rule refined on the narrower of the two widths, y on the teacher's label nodes.
    Returns ``(y, omega, V, W, DW)`` broadcast to ``(..., n_xi, n_y)``: the weights W of
    :math:`\mathbb E f(y, \omega)` and DW of its derivative in m.
    """
    m, q, V = np.broadcast_arrays(*_arrays(m, q, V))
    q = np.maximum(q, 1e-300)
    sq = np.sqrt(q)
    Vs = rho - m * m / q if V_star is None else np.broadcast_to(np.asarray(V_star, dtype=float), q.shape)
    Vs = np.maximum(Vs, 1e-300)
    a = m / sq  # omega* = a xi
    with np.errstate(divide="ignore"):
        width = np.minimum(1.0, np.minimum(np.sqrt(Vs) / np.abs(a), np.sqrt(V) / sq))
    xi, wxi = normal_nodes(0.0, width, panel_order)  # (..., N)
    y, wy, dwy = teacher.label_nodes(a[..., None] * xi, Vs[..., None])  # (..., N, K)
    om = (sq[..., None] * xi)[..., None]
    W = np.where(wxi > 0, wxi, 0.0)[..., None] * wy
    DW = np.where(wxi > 0, wxi, 0.0)[..., None] * dwy
    return y, om, V[..., None, None], W, DW


def _node_sum(weight: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Quadrature sum over the last two axes, skipping the nodes of zero weight (where x may be inf)."""
    with np.errstate(invalid="ignore", over="ignore"):  # inf x 0 at the skipped nodes; inf sums stay inf
        return np.sum(np.where(weight != 0, weight * x, 0.0), axis=(-2, -1))


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

    #: "binary" for labels in {-1, +1}, "real" for real-valued labels
    labels: str = "binary"

    def sample(self, z: ArrayLike, rng=None) -> np.ndarray:
        """Draw labels y ~ Pout(. | z) for an array of preactivations."""
        raise NotImplementedError(f"{type(self).__name__} cannot generate labels")

    def label_nodes(self, omega: ArrayLike, V: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""Label nodes for :math:`\int dy\, Z_{out}(y,\omega,V)\, f(y)` and its :math:`\omega`-derivative.

        Returns ``(y, w, dw)`` with a trailing axis over the nodes such that
        :math:`\int dy\, Z_{out} f \approx \sum_k w_k f(y_k)` and
        :math:`\int dy\, \partial_\omega Z_{out} f \approx \sum_k dw_k f(y_k)`.
        For labels in {-1, +1}: the two labels with :math:`w = Z_{out}(y)` and
        :math:`dw = Z_{out}(y) g_{out}(y)`.
        """
        omega, V = np.broadcast_arrays(*_arrays(omega, V))
        y = np.broadcast_to(np.array([1.0, -1.0]), omega.shape + (2,))
        om, vv = omega[..., None], V[..., None]
        w = np.exp(self.log_partition(y, om, vv))
        return y, w, w * self.g_out(y, om, vv)

    def rs_teacher_student(self, m, q, V, teacher: Channel, rho: float, V_star=None, panel_order: int = 16):
        r"""Channel conjugates (divided by alpha) and potential of a teacher-student problem.

        Parameters
        ----------
        m, q, V : array_like
            Teacher-student overlap, student overlap and student variance
            (broadcast together).
        teacher : Channel
            The teacher's channel :math:`P^*_{out}`.
        rho : float
            Teacher's second moment.
        V_star : array_like, optional
            :math:`\rho - m^2/q`, if known more precisely than by subtraction
            (the Bayes-optimal case passes V).

        Returns
        -------
        dict with ``mhat``, ``qhat``, ``Vhat`` (per unit alpha) and ``psi``.
        """
        y, om, vv, W, DW = _teacher_nodes(m, q, V, teacher, rho, V_star, panel_order)
        g = self.g_out(y, om, vv)
        dg = self.dg_out(y, om, vv)
        lz = self.log_partition(y, om, vv)
        with np.errstate(over="ignore"):  # g^2 beyond 1e308 near perfect learning: qhat is inf there
            gg = g * g
        return {
            "mhat": _node_sum(DW, g),
            "qhat": _node_sum(W, gg),
            "Vhat": -_node_sum(W, dg),
            "psi": _node_sum(W, lz),
        }

    def label_moments(self, rho: float) -> tuple[float, float] | None:
        r"""Moments :math:`(\mathbb E[y z^*]/\rho,\ \mathbb E[y^2])` of the labels this channel
        generates from :math:`z^* \sim N(0, \rho)`, or None if they have no closed form.

        They are all a square loss sees of a teacher: with them the square-loss
        replica equations close without quadrature
        (:func:`statmech_learn.replica.ridge_saddle_point`).
        """
        return None

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
        self.kappa = check_margin(kappa)

    def _x(self, y, omega, V):
        r"""x on V > 0 (V = 1 elsewhere), with ``a = y omega - kappa`` for the V = 0 limits."""
        y, omega, V = _arrays(y, omega, V)
        Vp, pos = _positive_V(V)
        a = y * omega - self.kappa
        with np.errstate(over="ignore"):
            x = -a / np.sqrt(Vp)
        return x, y, a, V, Vp, pos

    def log_likelihood(self, y, z):
        y, z = _arrays(y, z)
        return np.where(y * z >= self.kappa, 0.0, -np.inf)

    @_quiet_overflow
    def log_partition(self, y, omega, V):
        r"""At V = 0: :math:`\log\theta(y\omega - \kappa)` (0, -inf, and log(1/2) on the boundary)."""
        x, _, a, V, _, pos = self._x(y, omega, V)
        with np.errstate(divide="ignore", over="ignore"):
            lz = log_H(x)

        def limit():
            with np.errstate(divide="ignore"):
                return np.log(0.5 + 0.5 * np.sign(a))

        return _by_domain(pos, V, lz, limit)

    @_quiet_overflow
    def g_out(self, y, omega, V):
        r"""At V = 0: 0 where :math:`y\omega > \kappa`, :math:`+\infty\cdot y` where :math:`y\omega \le \kappa`."""
        x, y, a, V, Vp, pos = self._x(y, omega, V)
        with np.errstate(divide="ignore", over="ignore"):
            g = y * hazard(x) / np.sqrt(Vp)
        return _by_domain(pos, V, g, lambda: np.where(a > 0, 0.0, np.where(a <= 0, np.copysign(np.inf, y), np.nan)))

    @_quiet_overflow
    def dg_out(self, y, omega, V):
        r""":math:`-r(r-x)/V` by :func:`~statmech_learn.gaussian.hazard_gap` (no cancellation for
        large x); at V = 0: 0 where :math:`y\omega > \kappa`, -inf where :math:`y\omega \le \kappa`."""
        x, _, a, V, Vp, pos = self._x(y, omega, V)
        with np.errstate(over="ignore"):
            dg = -hazard_gap(x) / Vp
        return _by_domain(pos, V, dg, lambda: np.where(a > 0, 0.0, np.where(a <= 0, -np.inf, np.nan)))

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

    def sample(self, z, rng=None):
        return np.where(np.asarray(z, dtype=float) >= 0, 1.0, -1.0)

    def label_moments(self, rho):
        r""":math:`\mathbb E[\mathrm{sign}(z^*) z^*]/\rho = \sqrt{2/(\pi\rho)}`, :math:`\mathbb E y^2 = 1`."""
        return float(np.sqrt(2.0 / (np.pi * rho))), 1.0

    def __repr__(self) -> str:
        return "Sign()"


class _MixedSign(Channel):
    r""":math:`P_{out}(y\mid z) = a + b\,\theta(yz)`, so :math:`Z_{out} = a + b H(x)` with
    :math:`x = -y\omega/\sqrt V`, :math:`g_{out} = b\,y\,\phi(x)/(\sqrt V Z_{out})` and
    :math:`\partial g_{out} = g_{out}(x y/\sqrt V - g_{out})` (labels :math:`\pm1`).
    As V -> 0, :math:`Z_{out} \to a + b\,\theta(y\omega)`."""

    _a: float = 0.0
    _b: float = 1.0

    def log_likelihood(self, y, z):
        y, z = _arrays(y, z)
        return np.log(self._a + self._b * (y * z > 0))

    def _parts(self, y, omega, V, need_lz=True):
        y, omega, V = _arrays(y, omega, V)
        Vp, pos = _positive_V(V)
        sv = np.sqrt(Vp)
        s = y * omega
        lh = lz = None
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # logaddexp warns on NaN
            x = np.clip(-s / sv, -1e300, 1e300)  # finite, so that 0 * x below is 0
            if need_lz:
                lh = log_H(x)
                lz = np.logaddexp(np.log(self._a), np.log(self._b) + lh) if self._a > 0 else lh
        return x, y, s, Vp, sv, lh, lz, V, pos

    def _rho(self, x, lz):
        r""":math:`b\,\phi(x)/Z_{out} = y\sqrt V g_{out}` (the hazard of x if a = 0)."""
        with np.errstate(over="ignore"):
            if self._a > 0:
                return np.exp(np.log(self._b) - 0.5 * x * x - _LOG_SQRT_2PI - lz)
            return hazard(x)

    def _jump(self, s):
        r"""Where the V -> 0 limit :math:`a + b\,\theta(y\omega)` of :math:`Z_{out}` is singular in omega."""
        return s <= 0 if self._a == 0 else s == 0

    @_quiet_overflow
    def log_partition(self, y, omega, V):
        r"""At V = 0: :math:`\log(a + b\,\theta(y\omega))`, with :math:`\theta(0) = 1/2`."""
        _, _, s, _, _, _, lz, V, pos = self._parts(y, omega, V)

        def limit():
            with np.errstate(divide="ignore"):
                return np.log(self._a + self._b * (0.5 + 0.5 * np.sign(s)))

        return _by_domain(pos, V, lz, limit)

    @_quiet_overflow
    def g_out(self, y, omega, V):
        r"""At V = 0: :math:`+\infty\cdot y` where the limit of :math:`Z_{out}` jumps
        (:math:`y\omega = 0`, or :math:`y\omega \le 0` if a = 0), 0 elsewhere."""
        x, y, s, _, sv, _, lz, V, pos = self._parts(y, omega, V, need_lz=self._a > 0)
        with np.errstate(over="ignore"):
            g = y / sv * self._rho(x, lz)
        return _by_domain(
            pos, V, g, lambda: np.where(self._jump(s), np.copysign(np.inf, y), np.where(np.isnan(s), np.nan, 0.0))
        )

    @_quiet_overflow
    def dg_out(self, y, omega, V):
        r""":math:`\rho(x - \rho)/V` with :math:`\rho = b\phi(x)/Z_{out}`.

        For x > 2 where :math:`a/Z_{out} < 1/2` (so that :math:`\rho \simeq r \simeq x`,
        r the hazard of x, and :math:`x - \rho` cancels) it is evaluated as
        :math:`[\rho\, r\, a/Z_{out} - (bH/Z_{out})\, r(r - x)]/V`, with
        :math:`r(r - x)` from :func:`~statmech_learn.gaussian.hazard_gap`
        (for a = 0 that is :math:`-r(r-x)/V` everywhere, as for :class:`Margin`).
        At V = 0: -inf where the limit of :math:`Z_{out}` jumps, 0 elsewhere."""
        x, y, s, Vp, _, lh, lz, V, pos = self._parts(y, omega, V, need_lz=self._a > 0)
        with np.errstate(over="ignore"):
            if self._a > 0:
                rho = self._rho(x, lz)
                dg = rho * (x - rho) / Vp
                fix = (x > 2.0) & (lz > np.log(2.0 * self._a))
                if np.any(fix):
                    dg = np.array(dg)  # writable, also for 0-d results
                    xf, lzf = x[fix], lz[fix]
                    r = hazard(xf)
                    w = np.exp(np.log(self._b) + lh[fix] - lzf)  # b H / Z, in [0, 1]
                    q = np.exp(np.log(self._a) - lzf)  # a / Z
                    dg[fix] = (rho[fix] * r * q - w * hazard_gap(xf)) / np.broadcast_to(Vp, x.shape)[fix]
            else:
                dg = -hazard_gap(x) / Vp
        return _by_domain(pos, V, dg, lambda: np.where(self._jump(s), -np.inf, np.where(np.isnan(s), np.nan, 0.0)))


class NoisySign(_MixedSign):
    r"""Sign teacher whose labels are flipped with probability ``flip`` in [0, 1/2):
    :math:`P_{out}(y\mid z) = (1-\epsilon)\,\theta(yz) + \epsilon\,\theta(-yz)`."""

    name = "noisy-sign"

    def __init__(self, flip: float = 0.1) -> None:
        self.flip = check_probability("flip", flip, upper=0.5, closed_upper=False)
        self._a = self.flip
        self._b = 1.0 - 2.0 * self.flip

    def sample(self, z, rng=None):
        z = np.asarray(z, dtype=float)
        y = np.where(z >= 0, 1.0, -1.0)
        return np.where(as_rng(rng).random(z.shape) < self.flip, -y, y)

    def label_moments(self, rho):
        r""":math:`(1 - 2\epsilon)\sqrt{2/(\pi\rho)}` and 1."""
        return float((1.0 - 2.0 * self.flip) * np.sqrt(2.0 / (np.pi * rho))), 1.0

    def __repr__(self) -> str:
        return f"NoisySign(flip={self.flip:g})"


class ErrorCounting(_MixedSign):
    r"""Gibbs learning's likelihood :math:`P_{out}(y\mid z) = e^{-\beta\,\theta(-yz)}`:
    the energy is the number of training errors (Engel & Van den Broeck 2001, ch. 4).
    :math:`\beta = \infty` is the version space (:class:`Sign`)."""

    name = "error-counting"

    def __init__(self, beta: float) -> None:
        self.beta = check_positive("beta", beta, scalar=True)
        self._a = float(np.exp(-self.beta))
        self._b = float(-np.expm1(-self.beta))

    def log_likelihood(self, y, z):
        y, z = _arrays(y, z)
        return np.where(y * z > 0, 0.0, -self.beta)

    def rs_train_error(self, m, q, V, teacher: Channel, rho: float, panel_order: int = 16) -> np.ndarray:
        r"""Mean fraction of training errors of a Gibbs sample, replica symmetric.

        .. math::
            \varepsilon_t = \mathbb E_{y,\omega}\,
                \frac{e^{-\beta} H(y\omega/\sqrt V)}{e^{-\beta} + (1 - e^{-\beta})\,H(-y\omega/\sqrt V)},

        the posterior probability :math:`\langle\theta(-yz)\rangle` of an error on a training
        pattern (Engel & Van den Broeck 2001, ch. 4), averaged over the teacher's labels y and the
        cavity field :math:`\omega` (nodes of :meth:`Channel.rs_teacher_student`).  It equals
        :math:`-\alpha^{-1}\partial\phi/\partial\beta`, the energy of the free entropy.
        """
        y, om, vv, W, _ = _teacher_nodes(m, q, V, teacher, rho, None, panel_order)
        x = y * om / np.sqrt(np.maximum(vv, 1e-300))
        log_den = np.logaddexp(-self.beta, np.log(self._b) + log_H(-x))
        return _node_sum(W, np.exp(-self.beta + log_H(x) - log_den))

    def __repr__(self) -> str:
        return f"ErrorCounting(beta={self.beta:g})"


class Probit(Channel):
    r"""Sign of a noisy preactivation, :math:`y = \mathrm{sign}(z + \sqrt\Delta\,\xi)`:
    :math:`P_{out}(y\mid z) = H(-yz/\sqrt\Delta)` and :math:`Z_{out} = H(-y\omega/\sqrt{V+\Delta})`."""

    name = "probit"

    def __init__(self, variance: float = 0.1) -> None:
        self.variance = check_positive("variance", variance, scalar=True)
        self._sign = Sign()

    def log_likelihood(self, y, z):
        y, z = _arrays(y, z)
        return log_H(-y * z / np.sqrt(self.variance))

    @_quiet_overflow
    def log_partition(self, y, omega, V):
        return self._sign.log_partition(y, omega, _nonnegative_V(np.asarray(V, dtype=float)) + self.variance)

    @_quiet_overflow
    def g_out(self, y, omega, V):
        return self._sign.g_out(y, omega, _nonnegative_V(np.asarray(V, dtype=float)) + self.variance)

    @_quiet_overflow
    def dg_out(self, y, omega, V):
        return self._sign.dg_out(y, omega, _nonnegative_V(np.asarray(V, dtype=float)) + self.variance)

    def sample(self, z, rng=None):
        z = np.asarray(z, dtype=float)
        return np.where(z + np.sqrt(self.variance) * as_rng(rng).standard_normal(z.shape) >= 0, 1.0, -1.0)

    def label_moments(self, rho):
        r""":math:`\mathbb E[y z^*]/\rho = \sqrt{2/\pi}/\sqrt{\rho + \Delta}` (Stein: :math:`\mathbb E\,\partial_z P`),
        and 1."""
        return float(np.sqrt(2.0 / np.pi) / np.sqrt(rho + self.variance)), 1.0

    def __repr__(self) -> str:
        return f"Probit(variance={self.variance:g})"


class GaussianNoise(Channel):
    r"""Linear channel with additive Gaussian noise, :math:`y = z + \sqrt\Delta\,\xi`.

    .. math:: \log Z_{out} = -\frac{(y-\omega)^2}{2(V+\Delta)} - \tfrac12\log(2\pi(V+\Delta)),
              \quad g_{out} = \frac{y-\omega}{V+\Delta}, \quad \partial g_{out} = -\frac{1}{V+\Delta}.
    """

    name = "gaussian"
    labels = "real"

    def __init__(self, variance: float = 1.0) -> None:
        self.variance = check_positive("variance", variance, scalar=True)

    def sample(self, z, rng=None):
        z = np.asarray(z, dtype=float)
        return z + np.sqrt(self.variance) * as_rng(rng).standard_normal(z.shape)

    def label_nodes(self, omega, V, order: int = 40):
        r"""Gauss-Hermite nodes of :math:`y = \omega + \sqrt{V+\Delta}\,u`:
        :math:`w_k` the GH weights, :math:`dw_k = w_k u_k/\sqrt{V+\Delta}`."""
        omega, V = np.broadcast_arrays(*_arrays(omega, V))
        u, wu = gauss_hermite(order)
        s = np.sqrt(V + self.variance)[..., None]
        y = omega[..., None] + s * u
        w = np.broadcast_to(wu, y.shape)
        return y, w, w * u / s

    def log_likelihood(self, y, z):
        y, z = _arrays(y, z)
        d = y - z
        return -0.5 * d * d / self.variance - 0.5 * np.log(2 * np.pi * self.variance)

    @_quiet_overflow
    def log_partition(self, y, omega, V):
        y, omega, V = _arrays(y, omega, V)
        s = _nonnegative_V(V) + self.variance
        d = y - omega
        return -0.5 * d * d / s - 0.5 * np.log(2 * np.pi * s)

    @_quiet_overflow
    def g_out(self, y, omega, V):
        y, omega, V = _arrays(y, omega, V)
        return (y - omega) / (_nonnegative_V(V) + self.variance)

    @_quiet_overflow
    def dg_out(self, y, omega, V):
        y, omega, V = _arrays(y, omega, V)
        return np.broadcast_to(-1.0 / (_nonnegative_V(V) + self.variance), np.broadcast(y, omega, V).shape).copy()

    def label_moments(self, rho):
        r""":math:`\mathbb E[y z^*]/\rho = 1`, :math:`\mathbb E y^2 = \rho + \Delta`."""
        return 1.0, float(rho + self.variance)

    def __repr__(self) -> str:
        return f"GaussianNoise(variance={self.variance:g})"


_CHANNELS = {
    "sign": Sign,
    "margin": Margin,
    "noisy-sign": NoisySign,
    "probit": Probit,
    "gaussian": GaussianNoise,
}


def make_channel(channel: str | Channel, name: str = "channel") -> Channel:
    """Return a :class:`Channel` from an instance or one of the names
    'sign', 'margin', 'noisy-sign', 'probit', 'gaussian' (``name``: the parameter named in errors)."""
    return from_registry(name, channel, Channel, _CHANNELS)


from .committee import Committee  # noqa: E402,F401  (the K-dimensional channel; it builds on this module)
from .soft_committee import SoftCommittee  # noqa: E402,F401
