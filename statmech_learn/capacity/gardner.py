r"""Gardner's replica calculation of the perceptron's storage capacity.

The fraction of weight space that stores P = alpha N random patterns
:math:`\{\mathbf x_\mu, y_\mu\}` with margin :math:`\kappa`,

.. math:: V = \int d\mu_0(\mathbf w)\prod_\mu
    \theta\!\Big(\frac{y_\mu\,\mathbf x_\mu\cdot\mathbf w}{\sqrt N} - \kappa\Big),

is the partition function of the Gibbs posterior with prior :math:`\mu_0`
(spherical or binary weights) and the :class:`~statmech_learn.gibbs.Margin`
channel.  In the replica-symmetric (RS) ansatz its typical log per weight is
(Gardner 1988, J. Phys. A 21, 257, eqs. 13-16)

.. math::
    S(\alpha) = \operatorname{extr}_{q,\hat q}\Big[\psi_w(\hat q, q)
      + \alpha\int Dt\,\log H\Big(\frac{\kappa - \sqrt q\, t}{\sqrt{1-q}}\Big)\Big],

with :math:`\psi_w = \tfrac12\log(1-q) + q/(2(1-q))` for spherical weights and
:math:`\psi_w = -\tfrac12\hat q(1-q) + \int D\xi\log\cosh\sqrt{\hat q}\xi` for
:math:`\pm1` weights (Krauth & Mezard 1989, J. Phys. France 50, 3057).  Both are
evaluated through the shared :class:`~statmech_learn.gibbs.GibbsPosterior`.

Capacities
----------
* Spherical weights: q -> 1 at :math:`\alpha_c(\kappa) = 1/\int_{-\kappa}^\infty Dt\,(t+\kappa)^2`
  (alpha_c(0) = 2, alpha_c(0.5) = 0.9612050528...); RS is exact for kappa >= 0.
* Binary weights: RS gives q -> 1 only at the Gardner-Derrida value
  :math:`\alpha_{GD} = 2\alpha_c(\kappa)/\pi` (4/pi at kappa = 0), but the entropy
  of the RS solution is already negative there.  A count of solutions of a
  discrete system cannot be negative: the entropy vanishes at
  :math:`\alpha_{KM} \approx 0.8330786` (kappa = 0), where the typical number of
  solutions stops being exponential; the one-step RSB solution of Krauth &
  Mezard freezes there (q jumps to 1), so alpha_KM is the capacity.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import overload

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq

from .._validation import check_bool, check_choice, check_int, check_margin, check_positive, check_tol
from ..citations import _cites
from ..errors import ConvergenceError, ConvergenceWarning
from ..gaussian import tail_second_moment
from ..gibbs import GibbsPosterior, Margin
from ..results import Result

__all__ = [
    "GardnerVolume",
    "gardner_volume",
    "gardner_capacity",
    "gardner_derrida_capacity",
    "margin_moment",
    "WEIGHTS",
]

WEIGHTS = ("spherical", "binary")


@dataclass(frozen=True, repr=False)
class GardnerVolume(Result):
    """RS saddle point of Gardner's volume at one or several alpha.

    Attributes
    ----------
    alpha : float or ndarray
        Load P/N.
    kappa : float
        Margin.
    weights : str
        'spherical' or 'binary'.
    q : float or ndarray
        Typical overlap between two weight vectors of the version space.
    one_minus_q : float or ndarray
        1 - q, computed without cancellation (it reaches 1e-12 near capacity).
    qhat : float or ndarray
        Conjugate of q.
    entropy : float or ndarray
        Spherical: log of the fraction of the sphere that stores the patterns,
        per weight.  Binary: log of the number of solutions per weight
        (log 2 at alpha = 0, zero at the capacity).
    converged : bool or ndarray
        Saddle point found to the bracket tolerance with finite entropy.
    n_iter : int
        Bisection steps.
    residual : float or ndarray
        Relative change of 1 - q under one more application of the RS map.
    """

    alpha: object
    kappa: float
    weights: str
    q: object
    one_minus_q: object
    qhat: object
    entropy: object
    converged: object
    n_iter: int
    residual: object


@overload
def margin_moment(kappa: float) -> float: ...
@overload
def margin_moment(kappa: ArrayLike) -> np.ndarray | float: ...
def margin_moment(kappa: ArrayLike) -> np.ndarray | float:
    r""":math:`I(\kappa) = \int_{-\kappa}^\infty Dt\,(t+\kappa)^2 = (1+\kappa^2)H(-\kappa) + \kappa\,\phi(\kappa)`.

    Finite for every finite :math:`\kappa` below about 1.3e154; ``inf`` (without a
    floating-point warning) beyond, where :math:`1 + \kappa^2` exceeds the
    largest double; it tends to 0 as :math:`\kappa \to -\infty`.  A vectorised kernel:
    NaN in, NaN out (no validation).
    """
    out = tail_second_moment(kappa)
    return float(out) if out.ndim == 0 else out


#: Largest margin accepted by the capacity functions: alpha_c ~ 1/kappa^2 must stay a
#: normal double (1/KAPPA_MAX^2 = 1e-300 > 2.2e-308).
KAPPA_MAX = 1e150

#: Above this margin the binary capacity is taken from its large-kappa expansion
#: (see :func:`gardner_capacity`), whose relative error in alpha is below 1e-16 there.
KAPPA_ASYMPTOTIC = 1000.0


def _check_kappa(kappa) -> float:
    """``check_margin`` plus the upper bound :data:`KAPPA_MAX`."""
    kappa = check_margin(kappa)
    if kappa > KAPPA_MAX:
        raise ValueError(
            f"kappa must be <= {KAPPA_MAX:g} (the capacity ~ 1/kappa^2 underflows double precision "
            f"beyond it), got {kappa:g}"
        )
    return kappa


@_cites
def gardner_derrida_capacity(kappa: float = 0.0) -> float:
    r"""RS load at which q -> 1 for binary weights, :math:`2\alpha_c^{sph}(\kappa)/\pi`.

    4/pi = 1.2732... at kappa = 0 (Gardner & Derrida 1988, J. Phys. A 21, 271).
    This is *not* the capacity of binary weights: the RS entropy is negative
    there; see :func:`gardner_capacity`.
    """
    kappa = _check_kappa(kappa)
    return 2.0 / (math.pi * margin_moment(kappa))


#: Tolerances accepted by gardner_capacity (relative, on alpha) and gardner_volume
#: (bracket on logit q, relative to max(1, |logit q|)).
_TOL_FLOOR = 1e-14
_TOL_CEILING = 1e-2
_MAX_ITER = 10_000
_SADDLE_XTOL = 1e-8


def _binary_gap_asymptotic(kappa: float) -> float:
    r"""Relative gap :math:`\epsilon = 1 - \alpha_{KM}/\alpha_{GD}` for large kappa.

    Zero of the large-kappa, q -> 1 expansion of the RS entropy (see
    :func:`gardner_capacity`): with :math:`\alpha = \alpha_{GD}(1-\epsilon)`,
    :math:`v = 1 - q` stationary in
    :math:`S(v) = \epsilon/(\pi v) + \pi^2 v/24 + \tfrac{\alpha}{2}\log v
    + \alpha\,[\tfrac12 - \log(\kappa\sqrt{2\pi}) + 1/(2\kappa^2)]`,
    solved for :math:`S = 0` in :math:`\log\epsilon`.  Returns 0.0 when
    :math:`\epsilon` is below 1e-18 (invisible next to 1 in double precision).
    """
    alpha_gd = gardner_derrida_capacity(kappa)
    const = 0.5 - math.log(kappa * math.sqrt(2.0 * math.pi)) + 0.5 / kappa**2
    a_coef = math.pi**2 / 24.0

    def entropy(log_eps: float) -> float:
        eps = math.exp(log_eps)
        alpha = alpha_gd * (1.0 - eps)
        b = 0.5 * alpha
        # stationary point of S(v): a v^2 + b v - eps/pi = 0, stable root
        v = 2.0 * eps / math.pi / (b + math.sqrt(b * b + 4.0 * a_coef * eps / math.pi))
        return eps / (math.pi * v) + a_coef * v + b * math.log(v) + alpha * const

    lo, hi = math.log(1e-18), math.log(1e-4)
    if entropy(lo) >= 0.0:  # the gap is below 1e-18: alpha_KM = alpha_GD in double precision
        return 0.0
    if entropy(hi) <= 0.0:  # pragma: no cover - not reached for kappa >= KAPPA_ASYMPTOTIC
        raise ConvergenceError(f"large-kappa expansion of the binary capacity has no root at kappa = {kappa:g}")
    return math.exp(brentq(entropy, lo, hi, xtol=1e-12, rtol=1e-14, maxiter=200))


def _binary_capacity(kappa: float, xtol: float) -> float:
    """Zero of the RS entropy of binary weights, as alpha_GD (1 - eps) with eps bracketed in log eps."""
    alpha_gd = gardner_derrida_capacity(kappa)
    if kappa > KAPPA_ASYMPTOTIC:
        return alpha_gd * (1.0 - _binary_gap_asymptotic(kappa))

    def entropy(log_eps):
        alpha = alpha_gd * (1.0 - np.exp(log_eps))
        # the entropy is stationary at the saddle point, so an error du in logit(q) moves it by
        # O(du^2): a bracket of 1e-8 on logit(q) gives it to ~1e-16, at 2/3 of the cost of 1e-13
        return gardner_volume(alpha, kappa, "binary", strict=True, xtol=_SADDLE_XTOL).entropy

    # one vectorised scan brackets the root: from alpha = 1e-3 alpha_GD (entropy ~ log 2 > 0) up to
    # alpha_GD (1 - 1e-13), where the entropy ~ (alpha/2) log(1 - q) < 0 for kappa <= 1000 (the gap
    # eps is 0.35 at kappa = 0 and 1.3e-10 at kappa = 1000)
    grid = np.log([0.999, 0.5, 0.2, 0.05, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8, 1e-10, 1e-13])
    values = np.asarray(entropy(grid), dtype=float)
    if not values[0] > 0.0:
        raise ConvergenceError(
            f"RS entropy of binary weights is not positive at alpha = 1e-3 alpha_GD, kappa = {kappa:g} "
            f"(got {values[0]:g}); cannot bracket the capacity"
        )
    negative = np.nonzero(values < 0.0)[0]
    if negative.size == 0:
        raise ConvergenceError(
            f"RS entropy of binary weights stays positive up to alpha = alpha_GD (1 - 1e-13) at "
            f"kappa = {kappa:g}; cannot bracket the capacity"
        )
    i = negative[0]
    s_lo, s_hi = grid[i], grid[i - 1]  # log eps at negative / positive entropy
    eps_hi = math.exp(s_hi)
    # |d alpha / alpha| = eps/(1 - eps) |d log eps| <= eps_hi/(1 - eps_hi) |d log eps|
    s_tol = xtol * (1.0 - eps_hi) / eps_hi
    log_eps = brentq(lambda s: float(entropy(s)), s_lo, s_hi, xtol=s_tol, rtol=4 * np.finfo(float).eps, maxiter=200)
    return float(alpha_gd * (1.0 - math.exp(log_eps)))


@_cites
def gardner_capacity(kappa: float = 0.0, weights: str = "spherical", xtol: float = 1e-12) -> float:
    r"""Storage capacity :math:`\alpha_c(\kappa)` of the perceptron.

    Parameters
    ----------
    kappa : float
        Margin, 0 <= kappa <= 1e150 (beyond, alpha_c ~ 1/kappa^2 underflows).
    weights : {'spherical', 'binary'}
        Spherical: Gardner's closed form
        :math:`\alpha_c = 1/\int_{-\kappa}^\infty Dt (t+\kappa)^2` (exact to
        machine precision).  Binary: the load where the RS entropy of
        :func:`gardner_volume` vanishes (Krauth & Mezard 1989); 0.8330786 at
        kappa = 0.  See the notes for how it is found.
    xtol : float
        Relative tolerance on the binary capacity, in [1e-14, 1e-2):
        :math:`|\Delta\alpha_c| \le` ``xtol`` :math:`\alpha_c` (up to the
        accuracy of the RS entropy itself, about 1e-12 relative).  Checked for
        spherical weights too, though unused there.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For a bad ``kappa``, ``weights`` or ``xtol``.
    ConvergenceError
        If a saddle point on the way does not converge (binary weights).

    Notes
    -----
    *Binary weights.*  The zero lies below the Gardner-Derrida load
    :math:`\alpha_{GD} = 2\alpha_c^{sph}/\pi` where the RS overlap reaches
    q = 1, so it is sought as :math:`\alpha = \alpha_{GD}(1-\epsilon)` with
    Brent's method on :math:`\log\epsilon`, after one vectorised scan of
    :math:`10^{-13} \le \epsilon \le 0.999` for a sign change.  The gap
    :math:`\epsilon` shrinks fast with the margin (0.35 at kappa = 0, 4e-5 at
    kappa = 30, 1.3e-10 at kappa = 1000), so a bracket in alpha itself fails
    at large kappa.

    *Large margins.*  For :math:`\kappa\to\infty` the capacity sits where q -> 1,
    and the RS entropy can be expanded in :math:`v = 1-q` and :math:`1/\kappa`:
    with :math:`\log H(x) = -x^2/2 - \log(x\sqrt{2\pi}) - x^{-2} + \dots`,
    :math:`\mathbb E\log\cosh(\sqrt{\hat q}\xi) = \sqrt{2\hat q/\pi} - \log 2
    + \pi^2\phi(0)/(12\sqrt{\hat q}) + O(\hat q^{-3/2})`, and
    :math:`\alpha(1+\kappa^2) = (2/\pi)(1-\epsilon)`,

    .. math:: S = \frac{\epsilon}{\pi v} + \frac{\pi^2 v}{24} + \frac{\alpha}{2}\log v
              + \alpha\Big[\frac12 - \log(\kappa\sqrt{2\pi}) + \frac{1}{2\kappa^2}\Big]
              + O(v^3, \alpha v/\kappa^2, \alpha/\kappa^4),

    to be made stationary in v and set to zero; to leading order
    :math:`\epsilon \simeq 6L^2/(\pi^3\kappa^4)` with
    :math:`L = \log(2\pi\kappa^2/(e\,v))`, so
    :math:`\alpha_c \simeq \alpha_{GD} \simeq 2/(\pi\kappa^2)`.  For
    kappa > 1000 (:data:`KAPPA_ASYMPTOTIC`) this expansion is used instead of
    the full RS entropy: it agrees with the latter to a relative 1e-6 in
    :math:`\epsilon` at kappa = 1000, i.e. to 1e-16 in alpha.
    """
    kappa = _check_kappa(kappa)
    weights = check_choice("weights", weights, WEIGHTS)
    xtol = check_tol("xtol", xtol, floor=_TOL_FLOOR, ceiling=_TOL_CEILING)
    if weights == "spherical":
        return 1.0 / margin_moment(kappa)
    return _binary_capacity(kappa, xtol)


@_cites
def gardner_volume(
    alpha: ArrayLike,
    kappa: float = 0.0,
    weights: str = "spherical",
    *,
    strict: bool = False,
    xtol: float = 1e-13,
    max_iter: int = 200,
) -> GardnerVolume:
    r"""RS saddle point of Gardner's volume: overlap q and entropy per weight.

    Solves :math:`\hat q = \alpha\,\mathbb E_t\, g_{out}^2`, :math:`q = q_{prior}(\hat q)`
    (see :meth:`~statmech_learn.gibbs.GibbsPosterior.solve_rs_storage`) for
    every alpha at once and evaluates the free entropy there.

    Parameters
    ----------
    alpha : float or array_like
        Load P/N, > 0.  Spherical weights need alpha < alpha_c(kappa); binary
        weights need alpha < 2 alpha_c(kappa)/pi, where the RS overlap reaches 1.
    kappa : float
        Margin, >= 0.
    weights : {'spherical', 'binary'}
    strict : bool
        Raise :class:`ConvergenceError` (carrying the result) if any alpha did
        not converge; otherwise a :class:`ConvergenceWarning` names them.
    xtol : float
        Bisection on :math:`u = \mathrm{logit}(q) = \log(q/(1-q))` stops when the
        bracket is narrower than ``xtol * max(1, |u|)``; in [1e-14, 1e-2).  The
        floor is ~50 ulp of u (a narrower bracket cannot be resolved in double
        precision); the ceiling refuses brackets too wide to call the result
        converged (``xtol = 1e-2`` already leaves a relative error up to
        1e-2 max(1, ``|u|``) on q (1-q)).
    max_iter : int
        Maximum bisection steps, in [1, 10000] (about 60 are needed from the
        widest initial bracket to xtol = 1e-14).

    Returns
    -------
    GardnerVolume
        Scalars for scalar alpha, arrays otherwise.

    Examples
    --------
    >>> vol = gardner_volume(alpha=1.0, kappa=0.0)
    >>> round(vol.q, 6)
    0.585312
    """
    kappa = _check_kappa(kappa)
    weights = check_choice("weights", weights, WEIGHTS)
    xtol = check_tol("xtol", xtol, floor=_TOL_FLOOR, ceiling=_TOL_CEILING)
    max_iter = check_int("max_iter", max_iter, minimum=1, maximum=_MAX_ITER)
    strict = check_bool("strict", strict)
    alpha_in = check_positive("alpha", alpha)
    alpha_arr = np.atleast_1d(np.asarray(alpha_in, dtype=float))
    if weights == "spherical":
        limit, what = gardner_capacity(kappa), "alpha_c(kappa)"
    else:
        limit, what = gardner_derrida_capacity(kappa), "2 alpha_c(kappa)/pi (RS q -> 1)"
    if np.any(alpha_arr >= limit):
        bad = alpha_arr[alpha_arr >= limit][0]
        raise ValueError(
            f"alpha must be < {what} = {limit:.10g} for {weights} weights at kappa = {kappa:g}; "
            f"the volume vanishes beyond it, got {bad:g}"
        )
    posterior = GibbsPosterior(weights, Margin(kappa))
    sol = posterior.solve_rs_storage(alpha_arr, xtol=xtol, max_iter=max_iter)
    entropy = sol["free_entropy"] + (np.log(2.0) if weights == "binary" else 0.0)
    scalar = np.ndim(alpha_in) == 0

    def out(x):
        return x[0].item() if scalar else x

    result = GardnerVolume(
        alpha=out(alpha_arr),
        kappa=kappa,
        weights=weights,
        q=out(sol["q"]),
        one_minus_q=out(sol["one_minus_q"]),
        qhat=out(sol["qhat"]),
        entropy=out(entropy),
        converged=out(sol["converged"]),
        n_iter=int(sol["n_iter"]),
        residual=out(sol["residual"]),
    )
    if not np.all(sol["converged"]):
        bad = alpha_arr[~sol["converged"]]
        msg = (
            f"Gardner saddle point did not converge (bracket tol {xtol:g}, {sol['n_iter']} steps) "
            f"at alpha = {np.array2string(bad, threshold=8)}"
        )
        if strict:
            raise ConvergenceError(msg, result)
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    return result
