r"""Gardner's replica calculation of the perceptron's storage capacity.

The fraction of weight space that stores P = alpha N random patterns
:math:`\{\mathbf x_\mu, y_\mu\}` with margin :math:`\kappa`,

.. math:: V = \int d\mu_0(\mathbf w)\prod_\mu \theta\!\Big(\frac{y_\mu\,\mathbf x_\mu\cdot\mathbf w}{\sqrt N} - \kappa\Big),

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

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq

from .._validation import check_choice, check_margin, check_positive
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


def margin_moment(kappa: ArrayLike) -> np.ndarray | float:
    r""":math:`I(\kappa) = \int_{-\kappa}^\infty Dt\,(t+\kappa)^2 = (1+\kappa^2)H(-\kappa) + \kappa\,\phi(\kappa)`."""
    out = tail_second_moment(kappa)
    return float(out) if out.ndim == 0 else out


_check_kappa = check_margin


def gardner_derrida_capacity(kappa: float = 0.0) -> float:
    r"""RS load at which q -> 1 for binary weights, :math:`2\alpha_c^{sph}(\kappa)/\pi`.

    4/pi = 1.2732... at kappa = 0 (Gardner & Derrida 1988, J. Phys. A 21, 271).
    This is *not* the capacity of binary weights: the RS entropy is negative
    there; see :func:`gardner_capacity`.
    """
    kappa = _check_kappa(kappa)
    return 2.0 / (math.pi * margin_moment(kappa))


def gardner_capacity(kappa: float = 0.0, weights: str = "spherical", xtol: float = 1e-12) -> float:
    r"""Storage capacity :math:`\alpha_c(\kappa)` of the perceptron.

    Parameters
    ----------
    kappa : float
        Margin, >= 0.
    weights : {'spherical', 'binary'}
        Spherical: Gardner's closed form
        :math:`\alpha_c = 1/\int_{-\kappa}^\infty Dt (t+\kappa)^2` (exact to
        machine precision).  Binary: the load where the RS entropy of
        :func:`gardner_volume` vanishes (Krauth & Mezard 1989), found by Brent's
        method to ``xtol``; 0.8330786 at kappa = 0.
    xtol : float
        Absolute tolerance in alpha for the binary root.

    Returns
    -------
    float

    Raises
    ------
    ConvergenceError
        If a saddle point on the way does not converge (binary weights).
    """
    kappa = _check_kappa(kappa)
    weights = check_choice("weights", weights, WEIGHTS)
    if weights == "spherical":
        return 1.0 / margin_moment(kappa)

    def entropy(alpha: float) -> float:
        return float(gardner_volume(alpha, kappa, "binary", strict=True).entropy)

    hi = gardner_derrida_capacity(kappa) * (1.0 - 1e-6)
    lo = 1e-3
    return float(brentq(entropy, lo, hi, xtol=xtol, rtol=4 * np.finfo(float).eps, maxiter=200))


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
        Bracket width on logit(q) at which bisection stops.
    max_iter : int
        Maximum bisection steps.

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
