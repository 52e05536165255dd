r"""Online learning of a perceptron from a sign teacher: order-parameter ODEs and simulation.

Setting (Biehl & Schwarze 1995, J. Phys. A 28, 643; Engel & Van den Broeck
2001, *Statistical Mechanics of Learning*, ch. 9; Saad (ed.) 1998, *On-line
Learning in Neural Networks*).  A student :math:`J \in \mathbb R^N` learns a
teacher :math:`B` with :math:`|B|^2 = N` from one fresh input
:math:`x \sim N(0, I_N)` per step, labelled :math:`\sigma = \mathrm{sign}(b)`,
with local fields :math:`h = J\cdot x/\sqrt N` and :math:`b = B\cdot x/\sqrt N`.
Every rule has the form

.. math:: J \leftarrow J + \frac{\eta}{\sqrt N}\, f(h, b)\, x,

with learning rate :math:`\eta` (``lr``) and modulation

.. math::
    f_{\rm Hebb} = \sigma,\qquad
    f_{\rm perceptron} = \theta(-h\sigma)\,\sigma,\qquad
    f_{\rm AdaTron} = |h|\,\theta(-h\sigma)\,\sigma = -h\,\theta(-h\sigma).

With :math:`\alpha = \text{steps}/N` the overlaps :math:`R = J\cdot B/N` and
:math:`Q = J\cdot J/N` self-average as :math:`N\to\infty` and obey
(:math:`\Delta R = \eta f b/N`, :math:`\Delta Q = (2\eta f h + \eta^2 f^2 |x|^2/N)/N`)

.. math::
    \frac{dR}{d\alpha} = \eta\,\langle f b\rangle,\qquad
    \frac{dQ}{d\alpha} = 2\eta\,\langle f h\rangle + \eta^2\langle f^2\rangle,

where :math:`(h, b)` is Gaussian with covariance :math:`[[Q, R], [R, 1]]`.  With
:math:`\rho = R/\sqrt Q = \cos\varphi` the averages are, in closed form,

* Hebb: :math:`\langle fb\rangle = \sqrt{2/\pi}`, :math:`\langle fh\rangle = R\sqrt{2/\pi}`,
  :math:`\langle f^2\rangle = 1`;
* perceptron: :math:`\langle fb\rangle = (1-\rho)/\sqrt{2\pi}`,
  :math:`\langle fh\rangle = -\sqrt Q\,(1-\rho)/\sqrt{2\pi}`, :math:`\langle f^2\rangle = \varphi/\pi`;
* AdaTron: :math:`\langle fb\rangle = \sqrt Q\,(\sin\varphi-\varphi\cos\varphi)/\pi`,
  :math:`\langle fh\rangle = -\langle f^2\rangle = -Q\,(\varphi-\sin\varphi\cos\varphi)/\pi`

(polar coordinates in the plane of the two fields; errors occupy the two
wedges of opening :math:`\varphi` between the decision lines).  The
generalisation error is :math:`\varepsilon_g = \varphi/\pi = \arccos(R/\sqrt Q)/\pi`.

The ODEs are integrated in the variables :math:`(\varphi, \log Q)` so that
:math:`\varepsilon_g` keeps full relative accuracy as it decays (computing
:math:`\arccos(R/\sqrt Q)` near :math:`\rho = 1` loses half the digits), and
:math:`\log Q` handles a small initial norm.  From
:math:`\dot\varphi = -\dot\rho/\sin\varphi`,
:math:`\dot\rho = \dot R/\sqrt Q - \rho\dot Q/(2Q)`:

.. math::
    \text{Hebb:}\quad \dot\varphi &= -\eta\sqrt{2/\pi}\,\frac{\sin\varphi}{\sqrt Q}
        + \frac{\eta^2\cos\varphi}{2Q\sin\varphi},\\
    \text{perceptron:}\quad \dot\varphi &= -\frac{\eta\sin\varphi}{\sqrt{2\pi Q}}
        + \frac{\eta^2\cos\varphi}{2\pi Q}\,\frac{\varphi}{\sin\varphi},\\
    \text{AdaTron:}\quad \dot\varphi &= -\frac{\eta\,(\sin\varphi-\varphi\cos\varphi)
        - \tfrac12(\eta^2-2\eta)\cos\varphi\,(\varphi-\sin\varphi\cos\varphi)}{\pi\sin\varphi}.

Asymptotics (exponents as in Engel & Van den Broeck 2001, sec. 9.2, and Biehl &
Schwarze 1995; the prefactors follow from the equations above as sketched):

* Hebb: :math:`\varepsilon_g \simeq 1/\sqrt{2\pi\alpha}` (from the exact
  solution :math:`R = R_0 + \eta\sqrt{2/\pi}\,\alpha`,
  :math:`Q = Q_0 + 2\eta\sqrt{2/\pi}R_0\alpha + (2/\pi)\eta^2\alpha^2 + \eta^2\alpha`),
  independent of :math:`\eta`.
* perceptron rule: :math:`\varepsilon_g \simeq (2/3)^{1/3}\pi^{-1}\alpha^{-1/3}`
  (balance of the two terms of :math:`\dot\varphi` fixes
  :math:`\sqrt Q = \eta/(\sqrt{2\pi}\varphi)`, then :math:`\dot Q` gives
  :math:`\varphi^3\alpha = 2/3`); independent of :math:`\eta`, which only sets the
  scale of :math:`J`.
* AdaTron: :math:`\dot\varphi \simeq -\eta(3-\eta)\varphi^2/(3\pi)`, so
  :math:`\varepsilon_g \simeq 3/(\eta(3-\eta)\alpha)` for :math:`0<\eta<3`, best at
  :math:`\eta = 3/2` with :math:`\varepsilon_g \simeq 4/(3\alpha)`.  The
  :math:`\varphi` dynamics does not depend on :math:`Q`.  For :math:`\eta \ge 3`
  there is no power-law decay to zero.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.integrate import solve_ivp

from .._validation import as_rng, check_bool, check_choice, check_finite, check_int, check_positive, check_tol
from ..citations import _cites
from ..results import Result

__all__ = ["RULES", "Perceptron", "PerceptronTrajectory", "PerceptronSimulation", "simulate_perceptron"]

#: the learning rules, in the order of the module docstring
RULES = ("hebb", "perceptron", "adatron")

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SMALL_ANGLE = 0.1  # below it the wedge moments use their Taylor series (no cancellation)


def _wedge_a(phi: ArrayLike) -> np.ndarray:
    r""":math:`\sin\varphi - \varphi\cos\varphi = \sum_{k\ge1} (-1)^{k+1}\,2k\,\varphi^{2k+1}/(2k+1)!`.

    The series (8 terms, truncation error below 1e-20 relative for
    :math:`\varphi < 0.1`) avoids the cancellation of the direct form, which
    loses :math:`\sim\log_{10}(1/\varphi^2)` digits.
    """
    phi = np.asarray(phi, dtype=float)
    small = np.abs(phi) < _SMALL_ANGLE
    ps = np.where(small, phi, 0.0)
    series = np.zeros_like(ps)
    for k in range(8, 0, -1):
        series = series + (-1) ** (k + 1) * 2 * k * ps ** (2 * k + 1) / math.factorial(2 * k + 1)
    direct = np.sin(phi) - phi * np.cos(phi)
    return np.where(small, series, direct)


def _wedge_b(phi: ArrayLike) -> np.ndarray:
    r""":math:`\varphi - \sin\varphi\cos\varphi = \sum_{k\ge1} (-1)^{k+1}(2\varphi)^{2k+1}/(2\,(2k+1)!)`.

    Series for :math:`\varphi < 0.1` as in :func:`_wedge_a`.
    """
    phi = np.asarray(phi, dtype=float)
    small = np.abs(phi) < _SMALL_ANGLE
    ps = np.where(small, phi, 0.0)
    series = np.zeros_like(ps)
    for k in range(8, 0, -1):
        series = series + (-1) ** (k + 1) * (2 * ps) ** (2 * k + 1) / (2 * math.factorial(2 * k + 1))
    direct = phi - np.sin(phi) * np.cos(phi)
    return np.where(small, series, direct)


def _angle(R: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Angle between student and teacher, arccos(R / sqrt(Q)) with rho clipped to [-1, 1]."""
    return np.arccos(np.clip(R / np.sqrt(Q), -1.0, 1.0))


def generalisation_error(R: ArrayLike, Q: ArrayLike) -> np.ndarray:
    r"""Generalisation error of a perceptron against a sign teacher, :math:`\varepsilon_g = \arccos(R/\sqrt Q)/\pi`.

    The probability that :math:`\mathrm{sign}(h) \ne \mathrm{sign}(b)` for
    jointly Gaussian fields of correlation :math:`\rho = R/\sqrt Q` (Engel & Van
    den Broeck 2001, ch. 2).  ``Q`` must be > 0.
    """
    R = np.asarray(check_finite("R", R), dtype=float)
    Q = np.asarray(check_positive("Q", Q), dtype=float)
    return _angle(R, Q) / np.pi


def _default_grid(alpha_max: float, n_points: int = 200) -> np.ndarray:
    """0 followed by ``n_points`` log-spaced values from min(1e-2, alpha_max/100) to alpha_max."""
    lo = min(1e-2, alpha_max / 100.0)
    return np.concatenate(([0.0], np.geomspace(lo, alpha_max, n_points)))


def _check_grid(alpha, alpha_max: float | None) -> tuple[np.ndarray, float]:
    if alpha is None:
        a_max = 1000.0 if alpha_max is None else check_positive("alpha_max", alpha_max, scalar=True)
        return _default_grid(a_max), a_max
    grid = np.asarray(check_finite("alpha", alpha), dtype=float)
    if grid.ndim != 1 or grid.size < 1 or grid[0] < 0 or np.any(np.diff(grid) <= 0):
        raise ValueError(f"alpha must be a strictly increasing 1-d grid of values >= 0, got {grid}")
    if alpha_max is not None:
        a_max = check_positive("alpha_max", alpha_max, scalar=True)
        if grid[-1] > a_max:
            raise ValueError(f"alpha must lie in [0, alpha_max = {a_max:g}], got a last value {grid[-1]:g}")
    if grid[-1] <= 0:
        raise ValueError(f"alpha must contain a value > 0, got {grid}")
    return grid, float(grid[-1])


def _check_init(R0, Q0) -> tuple[float, float]:
    Q0 = check_positive("Q0", Q0, scalar=True)
    R0 = check_finite("R0", R0, scalar=True)
    if not R0 * R0 < Q0:
        raise ValueError(f"R0 must satisfy R0**2 < Q0 = {Q0:g} (student not parallel to the teacher), got {R0!r}")
    return R0, Q0


#: largest load accepted by :meth:`Perceptron.integrate`
MAX_ALPHA = 1e20


@dataclass(frozen=True, repr=False)
class PerceptronTrajectory(Result):
    """Solution of the order-parameter ODEs of online perceptron learning.

    Attributes
    ----------
    alpha : (n,) ndarray
        Examples per weight, steps / N (the requested grid).
    R, Q : (n,) ndarray
        Overlaps :math:`J\\cdot B/N` and :math:`J\\cdot J/N`.
    eps_g : (n,) ndarray
        Generalisation error :math:`\\arccos(R/\\sqrt Q)/\\pi`, integrated directly
        (full relative accuracy as it decays).
    rule : str
    lr : float
    R0, Q0 : float
        Initial state.
    converged : bool
        The solver reached the last grid point with finite values.
    message : str
        The solver's message.
    nfev : int
        Right-hand-side evaluations.
    """

    alpha: np.ndarray
    R: np.ndarray
    Q: np.ndarray
    eps_g: np.ndarray
    rule: str
    lr: float
    R0: float
    Q0: float
    converged: bool
    message: str
    nfev: int


@dataclass(frozen=True, repr=False)
class PerceptronSimulation(Result):
    """Online learning at finite N, several seeds advanced together.

    Attributes
    ----------
    alpha : (n,) ndarray
        Recording points, steps / N (the requested grid rounded to whole steps).
    N, n_seeds : int
    R, Q, eps_g : (n,) ndarray
        Means over seeds of :math:`J\\cdot B/N`, :math:`J\\cdot J/N` and
        :math:`\\arccos(R/\\sqrt Q)/\\pi` (each seed's own overlaps).
    R_stderr, Q_stderr, eps_g_stderr : (n,) ndarray
        Standard errors of the means over seeds (NaN for a single seed).
    R_seeds, Q_seeds : (n_seeds, n) ndarray
        Per-seed overlaps.
    rule : str
    lr : float
    R0, Q0 : float
        Initial overlaps, realised exactly by every seed.
    steps_per_second : float
        Throughput in sample-steps (seeds x steps) per second.
    """

    alpha: np.ndarray
    N: int
    n_seeds: int
    R: np.ndarray
    Q: np.ndarray
    eps_g: np.ndarray
    R_stderr: np.ndarray
    Q_stderr: np.ndarray
    eps_g_stderr: np.ndarray
    R_seeds: np.ndarray
    Q_seeds: np.ndarray
    rule: str
    lr: float
    R0: float
    Q0: float
    steps_per_second: float


@_cites
@dataclass(frozen=True)
class Perceptron:
    r"""Online learning rule of a perceptron student for a sign teacher.

    Parameters
    ----------
    rule : {'hebb', 'perceptron', 'adatron'}
        Modulation :math:`f(h, b)` of the update
        :math:`J \leftarrow J + (\eta/\sqrt N)\, f\, x` (module docstring).
    lr : float
        Learning rate :math:`\eta > 0`.  For the AdaTron the error decays as
        :math:`3/(\eta(3-\eta)\alpha)` for :math:`\eta < 3`, fastest at
        :math:`\eta = 3/2` (Engel & Van den Broeck 2001, sec. 9.2); for the
        Hebb and perceptron rules :math:`\eta` only sets the scale of J and
        the asymptotic error does not depend on it.

    Examples
    --------
    >>> perc = Perceptron(rule="adatron", lr=1.5)
    >>> traj = perc.integrate(R0=0.0, Q0=1e-2, alpha_max=1e4)
    >>> round(float(traj.eps_g[-1] * traj.alpha[-1]), 2)   # -> 4/3
    1.33
    """

    rule: str = "perceptron"
    lr: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule", check_choice("rule", self.rule, RULES))
        object.__setattr__(self, "lr", check_positive("lr", self.lr, scalar=True))

    # -- the rule --------------------------------------------------------------
    def modulation(self, h: ArrayLike, b: ArrayLike) -> np.ndarray:
        r"""The modulation :math:`f(h, b)` of the update :math:`\Delta J = (\eta/\sqrt N) f x`.

        Hebb :math:`\sigma`; perceptron :math:`\theta(-h\sigma)\sigma`; AdaTron
        :math:`-h\,\theta(-h\sigma)`, with :math:`\sigma = \mathrm{sign}(b)` and
        :math:`\theta(0) = 1` (a tie counts as an error; it has probability 0
        when Q > 0).
        """
        h = np.asarray(h, dtype=float)
        sigma = np.sign(np.asarray(b, dtype=float))
        if self.rule == "hebb":
            return sigma + 0.0 * h
        err = h * sigma <= 0
        if self.rule == "perceptron":
            return np.where(err, sigma, 0.0)
        return np.where(err, -h, 0.0)

    # -- Gaussian averages and ODEs -------------------------------------------------
    def averages(self, R: ArrayLike, Q: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""Closed forms of :math:`\langle fb\rangle, \langle fh\rangle, \langle f^2\rangle`.

        Averages over :math:`(h, b) \sim N(0, [[Q, R], [R, 1]])`; the table in
        the module docstring (wedge integrals in polar coordinates, e.g.
        :math:`\langle h^2\theta(-h\sigma)\rangle = Q(\varphi - \sin\varphi\cos\varphi)/\pi`).
        Requires Q > 0 and :math:`R^2 \le Q`.
        """
        R = np.asarray(check_finite("R", R), dtype=float)
        Q = np.asarray(check_positive("Q", Q), dtype=float)
        if np.any(R * R > Q * (1 + 1e-12)):
            raise ValueError(f"R must satisfy R**2 <= Q, got R={R}, Q={Q}")
        phi = _angle(R, Q)
        if self.rule == "hebb":
            one = np.ones(np.broadcast(R, Q).shape)
            return _SQRT_2_OVER_PI * one, _SQRT_2_OVER_PI * R * one, one
        if self.rule == "perceptron":
            one_minus_rho = 2.0 * np.sin(0.5 * phi) ** 2
            return (one_minus_rho * _INV_SQRT_2PI, -np.sqrt(Q) * one_minus_rho * _INV_SQRT_2PI, phi / np.pi)
        b2 = Q * _wedge_b(phi) / np.pi
        return np.sqrt(Q) * _wedge_a(phi) / np.pi, -b2, b2

    def rhs(self, R: ArrayLike, Q: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        r"""Right-hand sides :math:`dR/d\alpha = \eta\langle fb\rangle`,
        :math:`dQ/d\alpha = 2\eta\langle fh\rangle + \eta^2\langle f^2\rangle`.

        E.g. Hebb: :math:`dR/d\alpha = \eta\sqrt{2/\pi}`,
        :math:`dQ/d\alpha = 2\eta R\sqrt{2/\pi} + \eta^2` (Engel & Van den Broeck 2001, sec. 9.2).
        """
        fb, fh, f2 = self.averages(R, Q)
        return self.lr * fb, 2.0 * self.lr * fh + self.lr**2 * f2

    def _angle_rhs(self, phi: float, log_Q: float) -> tuple[float, float]:
        r""":math:`(d\varphi/d\alpha,\ d\log Q/d\alpha)` (module docstring).

        The AdaTron's right-hand side does not involve Q (its norm may grow
        exponentially, beyond the double range, when :math:`\eta > 2`).
        """
        eta = self.lr
        s, c = math.sin(phi), math.cos(phi)
        if self.rule != "adatron" and log_Q > 700.0:  # Q = e^log_Q overflows: the same terms via 1/sqrt(Q), 1/Q
            inv_sq, inv_q = math.exp(-0.5 * log_Q), math.exp(-log_Q)
            if self.rule == "hebb":
                return (
                    -eta * _SQRT_2_OVER_PI * s * inv_sq + eta * eta * c / (2.0 * s) * inv_q,
                    2.0 * eta * _SQRT_2_OVER_PI * c * inv_sq + eta * eta * inv_q,
                )
            ratio = phi / s if phi > 1e-8 else 1.0 + phi * phi / 6.0
            one_minus_rho = 2.0 * math.sin(0.5 * phi) ** 2
            return (
                -eta * _INV_SQRT_2PI * s * inv_sq + eta * eta * c * ratio / (2.0 * math.pi) * inv_q,
                -2.0 * eta * _INV_SQRT_2PI * one_minus_rho * inv_sq + eta * eta * phi / math.pi * inv_q,
            )
        if self.rule != "adatron":
            Q = math.exp(log_Q)
        if self.rule == "hebb":
            sq = math.sqrt(Q)
            dphi = -eta * _SQRT_2_OVER_PI * s / sq + eta * eta * c / (2.0 * Q * s)
            dlogq = (2.0 * eta * _SQRT_2_OVER_PI * sq * c + eta * eta) / Q
        elif self.rule == "perceptron":
            sq = math.sqrt(Q)
            ratio = phi / s if phi > 1e-8 else 1.0 + phi * phi / 6.0
            dphi = -eta * _INV_SQRT_2PI * s / sq + eta * eta * c * ratio / (2.0 * math.pi * Q)
            one_minus_rho = 2.0 * math.sin(0.5 * phi) ** 2
            dlogq = -2.0 * eta * _INV_SQRT_2PI * one_minus_rho / sq + eta * eta * phi / (math.pi * Q)
        else:
            a = float(_wedge_a(phi))
            b = float(_wedge_b(phi))
            dphi = -(eta * a - 0.5 * (eta * eta - 2.0 * eta) * c * b) / (math.pi * s)
            dlogq = (eta * eta - 2.0 * eta) * b / math.pi
        return dphi, dlogq

    def generalisation_error(self, R: ArrayLike, Q: ArrayLike) -> np.ndarray:
        r""":math:`\varepsilon_g = \arccos(R/\sqrt Q)/\pi` (see :func:`generalisation_error`)."""
        return generalisation_error(R, Q)

    def asymptotic_eps_g(self, alpha: ArrayLike) -> np.ndarray:
        r"""Leading large-:math:`\alpha` behaviour of :math:`\varepsilon_g` (module docstring).

        Hebb :math:`1/\sqrt{2\pi\alpha}`; perceptron
        :math:`(2/3)^{1/3}\alpha^{-1/3}/\pi`; AdaTron :math:`3/(\eta(3-\eta)\alpha)`
        (NaN for :math:`\eta \ge 3`, where the error does not decay to zero
        as a power law).  Exponents: Engel & Van den Broeck 2001, sec. 9.2;
        prefactors derived in the module docstring.
        """
        alpha = np.asarray(check_positive("alpha", alpha), dtype=float)
        if self.rule == "hebb":
            return 1.0 / np.sqrt(2.0 * np.pi * alpha)
        if self.rule == "perceptron":
            return (2.0 / 3.0) ** (1.0 / 3.0) / np.pi * alpha ** (-1.0 / 3.0)
        if self.lr >= 3.0:
            return np.full(alpha.shape, np.nan)
        return 3.0 / (self.lr * (3.0 - self.lr) * alpha)

    # -- integration -----------------------------------------------------------
    def integrate(
        self,
        R0: float = 0.0,
        Q0: float = 1e-2,
        alpha_max: float | None = None,
        alpha: ArrayLike | None = None,
        rtol: float = 1e-10,
    ) -> PerceptronTrajectory:
        r"""Integrate the ODEs from :math:`(R_0, Q_0)` with ``scipy.integrate.solve_ivp``.

        Parameters
        ----------
        R0, Q0 : float
            Initial overlaps; :math:`Q_0 > 0` and :math:`R_0^2 < Q_0` (the angle
            :math:`\varphi` must lie strictly inside :math:`(0, \pi)`; the Hebb
            tabula rasa :math:`J = 0` is the limit :math:`Q_0 \to 0`, which any
            small :math:`Q_0` such as 1e-12 approaches).
        alpha_max : float, optional
            Last :math:`\alpha` (default 1000, or the last value of ``alpha``), at most
            :data:`MAX_ALPHA` = 1e20.
        alpha : array_like, optional
            Output grid, strictly increasing in :math:`[0, \alpha_{max}]`.  Default:
            0 and 200 log-spaced points from min(1e-2, alpha_max/100) to alpha_max.
        rtol : float
            Relative tolerance of the solver (absolute tolerance ``rtol * 1e-2``).

        Notes
        -----
        The state :math:`(\varphi, \log Q)` is integrated (equations in the
        module docstring) in the time :math:`s = \log(1 + \alpha/\alpha_c)`,
        :math:`\alpha_c = \min(1, Q_0/\eta^2)`, so that decades of
        :math:`\alpha` cost the same number of steps and the initial transient of
        a small norm (duration :math:`\sim Q_0/\eta^2`) is resolved.  Method
        LSODA (stiff/non-stiff switching: a small :math:`Q_0` makes the start stiff).
        """
        R0, Q0 = _check_init(R0, Q0)
        grid, a_end = _check_grid(alpha, alpha_max)
        rtol = check_tol("rtol", rtol, floor=1e-13, ceiling=1e-2)
        if a_end > MAX_ALPHA:
            raise ValueError(
                f"alpha_max must be <= {MAX_ALPHA:g} (the angle, of order 1/alpha or less, falls below "
                f"the solver's absolute tolerance beyond), got {a_end:g}"
            )
        log_ac = min(0.0, math.log(Q0) - 2.0 * math.log(self.lr))
        if math.log(a_end) - log_ac > 690.0:  # the time s = log(1 + alpha / alpha_c) and exp(s) must stay finite
            raise ValueError(
                f"alpha_max / min(1, Q0 / lr^2) must be below 1e300 (the integration time log(1 + "
                f"alpha / alpha_c) overflows), got alpha_max = {a_end:g}, Q0 = {Q0:g}, lr = {self.lr:g}"
            )
        a_c = min(1.0, Q0 / self.lr**2) if self.lr < 1e150 else math.exp(log_ac)  # lr**2 overflows beyond

        def fun(s, y):
            a = a_c * math.expm1(s)
            phi = min(max(y[0], 1e-300), math.pi - 1e-15)
            dphi, dlogq = self._angle_rhs(phi, y[1])
            jac = a_c + a  # d alpha / d s
            return [jac * dphi, jac * dlogq]

        s_grid = np.log1p(grid / a_c)
        if s_grid[-1] < 1e-100:  # LSODA cannot take steps that short (it never returns)
            raise ValueError(
                f"alpha_max must be >= 1e-100 alpha_c (alpha_c = min(1, Q0 / lr^2) = {a_c:g}), "
                f"got alpha_max = {a_end:g}"
            )
        phi0 = math.acos(R0 / math.sqrt(Q0))
        sol = solve_ivp(
            fun,
            (0.0, float(s_grid[-1])),
            [phi0, math.log(Q0)],
            method="LSODA",
            t_eval=s_grid,
            rtol=rtol,
            atol=rtol * 1e-2,
        )
        n = sol.y.shape[1] if sol.y.size else 0
        phi = np.clip(sol.y[0], 0.0, math.pi) if n else np.zeros(0)  # rounding at the atol level stays in [0, pi]
        with np.errstate(over="ignore", invalid="ignore"):  # the AdaTron's Q grows like exp(c alpha) for lr > 2
            Q = np.exp(sol.y[1]) if n else np.zeros(0)
            R = np.sqrt(Q) * np.cos(phi)
        ok = bool(sol.success and n == grid.size and np.all(np.isfinite(sol.y)))
        message = str(sol.message)
        if n and not np.all(np.isfinite(Q)):
            ok = False
            message += f" Q overflows the double range (log Q = {sol.y[1][-1]:.6g} at the end); eps_g is valid."
        return PerceptronTrajectory(
            alpha=grid[:n].copy(),
            R=R,
            Q=Q,
            eps_g=phi / np.pi,
            rule=self.rule,
            lr=self.lr,
            R0=R0,
            Q0=Q0,
            converged=ok,
            message=message,
            nfev=int(sol.nfev),
        )


def _teacher_student(N: int, n_seeds: int, R0: float, Q0: float, rng: np.random.Generator):
    """Teacher (S, N) with |B|^2 = N and student (S, N) with J.B/N = R0, J.J/N = Q0 exactly."""
    B = rng.standard_normal((n_seeds, N))
    B *= np.sqrt(N) / np.linalg.norm(B, axis=1, keepdims=True)
    g = rng.standard_normal((n_seeds, N))
    g -= (np.einsum("sn,sn->s", g, B) / N)[:, None] * B
    g *= np.sqrt(N) / np.linalg.norm(g, axis=1, keepdims=True)
    J = R0 * B + math.sqrt(Q0 - R0 * R0) * g
    return B, J


@_cites
def simulate_perceptron(
    perc: Perceptron,
    N: int,
    alpha_max: float | None = None,
    n_seeds: int = 8,
    rng=None,
    *,
    R0: float = 0.0,
    Q0: float = 1e-2,
    alpha: ArrayLike | None = None,
    progress: bool | None = None,
) -> PerceptronSimulation:
    r"""Real online learning at dimension ``N``: ``round(alpha_max * N)`` steps for each of ``n_seeds`` runs.

    Every seed has its own teacher (:math:`|B|^2 = N` exactly) and a student
    with the initial overlaps :math:`(R_0, Q_0)` exactly; each step draws one
    fresh :math:`x \sim N(0, I_N)` per seed and applies
    :math:`J \leftarrow J + (\eta/\sqrt N) f(h, b)\, x` (:meth:`Perceptron.modulation`).
    The seeds advance together in one (n_seeds, N) array.  As
    :math:`N\to\infty` the overlaps follow :meth:`Perceptron.integrate` with
    fluctuations :math:`O(N^{-1/2})` per seed (Engel & Van den Broeck 2001, sec. 9.1).

    Parameters
    ----------
    perc : Perceptron
    N : int
        Input dimension, 2 <= N <= 10**7.
    alpha_max : float, optional
        Last :math:`\alpha` = steps / N (default 50, or the last value of ``alpha``).
    n_seeds : int
        Independent runs, 1 <= n_seeds <= 10**5.
    rng : None, int, SeedSequence or Generator
    R0, Q0 : float
        Initial overlaps (as in :meth:`Perceptron.integrate`).
    alpha : array_like, optional
        Recording grid (default: that of :meth:`Perceptron.integrate`), rounded to whole steps.
    progress : bool, optional
        Progress line on stderr (default: when stderr is a terminal).
    """
    if not isinstance(perc, Perceptron):
        raise ValueError(f"perc must be a Perceptron, got {perc!r}")
    N = check_int("N", N, minimum=2, maximum=10**7)
    n_seeds = check_int("n_seeds", n_seeds, minimum=1, maximum=10**5)
    R0, Q0 = _check_init(R0, Q0)
    if alpha is None and alpha_max is None:
        alpha_max = 50.0
    grid, a_end = _check_grid(alpha, alpha_max)
    n_steps = int(round(a_end * N))
    if n_steps * n_seeds * N > 5e13:
        raise ValueError(f"alpha_max * N^2 * n_seeds = {n_steps * n_seeds * N:.3g} operations is too large")
    rng = as_rng(rng)
    record = np.unique(np.clip(np.round(grid * N).astype(np.int64), 0, n_steps))
    B, J = _teacher_student(N, n_seeds, R0, Q0, rng)
    sq = math.sqrt(N)
    step_scale = perc.lr / sq
    chunk = max(1, min(4096, int(4e6 // (n_seeds * N))))
    rec_R, rec_Q = [], []
    show = sys.stderr.isatty() if progress is None else check_bool("progress", progress)
    t0 = time.perf_counter()
    last = t0
    i_rec = 0
    done = 0

    def take():
        rec_R.append(np.einsum("sn,sn->s", J, B) / N)
        rec_Q.append(np.einsum("sn,sn->s", J, J) / N)

    while i_rec < record.size and record[i_rec] == 0:
        take()
        i_rec += 1
    buf = np.empty((min(chunk, n_steps), n_seeds, N))
    while done < n_steps:
        c = min(chunk, n_steps - done)
        X = buf[:c]
        rng.standard_normal(out=X)
        bs = np.einsum("csn,sn->cs", X, B) / sq
        for i in range(c):
            x = X[i]
            h = np.einsum("sn,sn->s", J, x) / sq
            f = perc.modulation(h, bs[i])
            J += (step_scale * f)[:, None] * x
            done += 1
            if i_rec < record.size and record[i_rec] == done:
                take()
                i_rec += 1
        if show and time.perf_counter() - last > 1.0:
            last = time.perf_counter()
            print(f"\rsimulate_perceptron: {done}/{n_steps} steps", end="", file=sys.stderr)
    if show:
        print(file=sys.stderr)
    elapsed = max(time.perf_counter() - t0, 1e-12)
    R_s = np.array(rec_R).T  # (S, n)
    Q_s = np.array(rec_Q).T
    eps_s = _angle(R_s, Q_s) / np.pi

    def mean_err(a):
        if n_seeds == 1:
            return a[0].copy(), np.full(a.shape[1], np.nan)
        return a.mean(axis=0), a.std(axis=0, ddof=1) / math.sqrt(n_seeds)

    R_m, R_e = mean_err(R_s)
    Q_m, Q_e = mean_err(Q_s)
    e_m, e_e = mean_err(eps_s)
    return PerceptronSimulation(
        alpha=record / N,
        N=N,
        n_seeds=n_seeds,
        R=R_m,
        Q=Q_m,
        eps_g=e_m,
        R_stderr=R_e,
        Q_stderr=Q_e,
        eps_g_stderr=e_e,
        R_seeds=R_s,
        Q_seeds=Q_s,
        rule=perc.rule,
        lr=perc.lr,
        R0=R0,
        Q0=Q0,
        steps_per_second=n_steps * n_seeds / elapsed,
    )
