r"""Replica-symmetric (RS) solution of the Sherrington-Kirkpatrick model and its AT line.

The measure is that of :class:`~statmech_learn.meanfield.measures.SK` with ±1 spins,

.. math::
    p(s) \propto \prod_i P_0(s_i)\, \exp\Big(\beta\big(\tfrac12 s^\top J s + h\textstyle\sum_i s_i\big)\Big),
    \qquad P_0 = \tfrac12(\delta_{+1} + \delta_{-1}), \qquad J_{ij} = J_{ji} \sim N(0, 1/n),

and the free entropy per spin :math:`\phi = \lim_n \tfrac1n \mathbb E \log Z` is that of the
prior-weighted sum :math:`Z = \sum_s 2^{-n} e^{-\beta E(s)}`, i.e. the usual one minus
:math:`\log 2`.  The RS ansatz (Sherrington & Kirkpatrick 1975; Mezard, Parisi & Virasoro 1987,
ch. III) gives, with :math:`y = \beta(h + \sqrt q\, z)` and :math:`z \sim N(0, 1)`,

.. math::
    \phi_{RS} = \frac{\beta^2 (1-q)^2}{4} + \mathbb E_z \log\cosh y, \qquad
    q = \mathbb E_z \tanh^2 y, \qquad m = \mathbb E_z \tanh y,

energy per spin :math:`e = -\partial_\beta\phi = -\beta(1-q^2)/2 - h m`, Shannon entropy per spin
of the ±1 measure :math:`s = \log 2 + \phi + \beta e`, and the replicon (de Almeida-Thouless)
eigenvalue

.. math:: \lambda_{AT} = 1 - \beta^2\, \mathbb E_z \operatorname{sech}^4 y,

positive where the RS saddle point is locally stable (de Almeida & Thouless 1978).  Without field
the paramagnet q = 0 solves the equation for every beta; it is the RS solution for beta <= 1 and
becomes unstable (:math:`\lambda_{AT} = 1 - \beta^2`) at beta = 1, beyond which the RS spin-glass
solution q > 0 is returned.  That solution is itself AT-unstable at every beta > 1 (h = 0); its
zero-temperature limits :math:`e \to -\sqrt{2/\pi}` and :math:`s \to -1/(2\pi) < 0` are the
classic signs that RS fails there.

References
----------
D. Sherrington and S. Kirkpatrick, Phys. Rev. Lett. 35, 1792 (1975).
J. R. L. de Almeida and D. J. Thouless, J. Phys. A 11, 983 (1978).
M. Mezard, G. Parisi and M. A. Virasoro, *Spin Glass Theory and Beyond* (World Scientific, 1987), ch. III.
M. Talagrand, *Mean Field Models for Spin Glasses*, vol. I (Springer, 2011), ch. 1 (the Latala-Guerra lemma).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq
from scipy.special import expit

from .._roots import bisect
from .._validation import check_bool, check_finite, check_int, check_positive, check_tol
from ..citations import _cites
from ..errors import ConvergenceError, ConvergenceWarning
from ..gaussian import phi
from ..results import Result

__all__ = ["SKReplica", "replica_sk", "at_line", "AT_FIELD_MAX"]

_LOG2 = math.log(2.0)
#: Gauss-Legendre nodes per panel of the composite rule (measured error < 1e-15 against
#: 30-digit mpmath quadrature on the integrals below, tests/test_replica_sk.py)
_PANEL_ORDER = 20
#: bracket of the bisection on u = logit(q): q from 1e-304 to 1 - 1e-304
_U_MIN, _U_MAX = -700.0, 700.0
_MAX_ITER = 1_000_000
#: below this inverse temperature the AT eigenvalue is evaluated as 1 - beta^2 + beta^2 E[t^2 (2 - t^2)]
#: (no cancellation as q -> 0); above it as 1 - beta^2 E[sech^4] (no cancellation of beta^2 terms)
_AT_SWITCH = 2.0
#: largest |field| accepted by :func:`at_line` (T_AT(10) = 1.03e-22; beyond h ~ 11 the tanh step of
#: the sech^4 average leaves the quadrature range |z| <= 12 before beta reaches 1/T_AT)
AT_FIELD_MAX = 10.0
_AT_LOG_BETA_MAX = 128.0


@dataclass(frozen=True, repr=False)
class SKReplica(Result):
    r"""RS saddle point of the SK model at one or several (beta, field).

    Attributes
    ----------
    beta : float or ndarray
        Inverse temperature.
    field : float or ndarray
        Uniform external field h.
    q : float or ndarray
        Edwards-Anderson overlap, :math:`q = \mathbb E_z \tanh^2 y`.
    m : float or ndarray
        Magnetisation per spin, :math:`m = \mathbb E_z \tanh y`.
    free_entropy : float or ndarray
        :math:`\phi_{RS}`, prior-weighted convention (the log-sum free entropy minus log 2).
    energy : float or ndarray
        Energy per spin, :math:`e = -\beta(1-q^2)/2 - h m = -\partial_\beta \phi`.
    entropy : float or ndarray
        Shannon entropy per spin of the ±1 measure, :math:`s = \log 2 + \phi + \beta e`
        (log 2 at beta -> 0; negative at low temperature, where RS fails).
    at_eigenvalue : float or ndarray
        Replicon eigenvalue :math:`\lambda_{AT} = 1 - \beta^2 \mathbb E_z \mathrm{sech}^4 y`.
    rs_stable : bool or ndarray
        ``at_eigenvalue > 0``.
    converged : bool or ndarray
        The bisection bracket on logit(q) reached ``tol``.
    n_iter : int
        Bisection steps (0 when every point is a paramagnet at h = 0).
    residual : float or ndarray
        :math:`|\mathbb E_z \tanh^2 y - q|` at the returned q.
    """

    beta: object
    field: object
    q: object
    m: object
    free_entropy: object
    energy: object
    entropy: object
    at_eigenvalue: object
    rs_stable: object
    converged: object
    n_iter: int
    residual: object


# Gaussian averages ----------------------------------------------------------------------------


_CUTOFF = 12.0  # Gaussian mass beyond |z| = 12: 3.6e-33
_GLOBAL_BREAKS = np.linspace(-_CUTOFF, _CUTOFF, 17)
_LOCAL_BREAKS = np.array([-64, -32, -16, -8, -4, -2, -1, -0.5, 0, 0.5, 1, 2, 4, 8, 16, 32, 64], dtype=float)
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(_PANEL_ORDER)


def _nodes(beta: np.ndarray, h: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Arguments :math:`y_k = \beta(h + \sqrt q z_k)` and weights of a rule for :math:`\mathbb E_z f(y)`.

    The composite Gauss-Legendre rule of :func:`statmech_learn.gaussian.normal_nodes` (panels of
    width 1.5 on [-12, 12], refined at :math:`z_0 \pm w s`, s in {0, 1/2, 1, 2, ..., 64}, around
    the tanh step at :math:`z_0 = -h/\sqrt q` of width :math:`w = \min(1, 1/(\beta\sqrt q))`),
    built in the offset :math:`x = z - z_0`: then :math:`y = \beta\sqrt q\, x` carries the
    relative precision of x, whereas absolute nodes near :math:`z_0` are rounded to
    ulp(:math:`z_0`) and :math:`y` to :math:`\beta\,`ulp(:math:`z_0`) (1e-8 at beta = 1e8, h = 6).
    A step outside [-12, 12] is replaced by the nearest end as origin.  At q = 0, y = beta h.
    """
    sq = np.sqrt(q)
    pos = sq > 0
    safe = np.where(pos, sq, 1.0)
    with np.errstate(over="ignore"):  # |h|/sqrt(q) > 1e308: the step is at infinity either way
        z0 = np.where(pos, -h / safe, 0.0)
    origin = np.clip(z0, -_CUTOFF, _CUTOFF)
    shift = origin - z0  # exactly 0 when the step lies inside [-12, 12]; inf possible
    width = np.where(pos, 1.0 / np.maximum(1.0, beta * safe), 1.0)
    lo, hi = -_CUTOFF - origin, _CUTOFF - origin
    breaks = np.concatenate([_GLOBAL_BREAKS - origin[..., None], width[..., None] * _LOCAL_BREAKS], axis=-1)
    breaks = np.sort(np.clip(breaks, lo[..., None], hi[..., None]), axis=-1)
    half = 0.5 * (breaks[..., 1:] - breaks[..., :-1])
    mid = 0.5 * (breaks[..., 1:] + breaks[..., :-1])
    x = (mid[..., None] + half[..., None] * _GL_NODES).reshape(beta.shape + (-1,))
    w = (half[..., None] * _GL_WEIGHTS).reshape(beta.shape + (-1,)) * phi(x + origin[..., None])
    inside = (pos & (shift == 0))[..., None]
    z = np.where(inside, 0.0, x + origin[..., None])  # absolute nodes, used away from the step only
    with np.errstate(over="ignore"):  # |y| = inf only where tanh y = sign y to double precision
        y = np.where(inside, (beta * safe)[..., None] * x, beta[..., None] * (h[..., None] + sq[..., None] * z))
    return y, w


def _tanh_ratio(y: np.ndarray) -> np.ndarray:
    """tanh(y)/y, equal to 1 at y = 0."""
    return np.divide(np.tanh(y), y, out=np.ones_like(y), where=y != 0)


def _sech2(y: np.ndarray) -> np.ndarray:
    """sech^2 y = 4 e^{-2|y|} / (1 + e^{-2|y|})^2, without overflow."""
    e = np.exp(-2.0 * np.abs(y))
    return 4.0 * e / (1.0 + e) ** 2


def _expect(w: np.ndarray, vals: np.ndarray) -> np.ndarray:
    """sum_k w_k f_k over the last axis, skipping the empty panels (w = 0) of clipped breaks."""
    return np.sum(np.multiply(w, vals, out=np.zeros(np.broadcast(w, vals).shape), where=w > 0), axis=-1)


def _tanh_series_coefficients(n_terms: int = 20) -> np.ndarray:
    r"""Coefficients :math:`a_k` of :math:`(y - \tanh y)/y^3 = \sum_k a_k y^{2k}`, highest first.

    From :math:`\tanh y = \sum_{n\ge1} 2^{2n}(2^{2n}-1) B_{2n} y^{2n-1}/(2n)!` with the Bernoulli
    numbers :math:`B_m` in exact rational arithmetic (recurrence
    :math:`\sum_{k=0}^{m} \binom{m+1}{k} B_k = 0`): :math:`a_0 = 1/3, a_1 = -2/15, a_2 = 17/315, \dots`
    """
    n_max = 2 * n_terms + 2
    bern = [Fraction(1)]
    for m in range(1, n_max + 1):
        bern.append(-sum((math.comb(m + 1, k) * bern[k] for k in range(m)), Fraction(0)) / (m + 1))
    coeffs = [-(4**n) * (4**n - 1) * bern[2 * n] / math.factorial(2 * n) for n in range(2, n_terms + 2)]
    return np.array([float(c) for c in coeffs[::-1]])


#: series of y - tanh y for |y| < 1/2: successive terms shrink by (2y/pi)^2 < 0.11, so 20 terms
#: leave 1e-19 relative
_Y_MINUS_TANH = _tanh_series_coefficients()


def _y_minus_tanh(y: np.ndarray) -> np.ndarray:
    """y - tanh y to full relative precision (series for |y| < 1/2, where the difference cancels)."""
    small = np.abs(y) < 0.5
    ys = np.where(small, y, 0.0)
    return np.where(small, ys**3 * np.polyval(_Y_MINUS_TANH, ys * ys), y - np.tanh(y))


def _gap(u: np.ndarray, beta: np.ndarray, h: np.ndarray) -> np.ndarray:
    r"""g(q) = E tanh^2(y)/q - 1 at q = expit(u), strictly decreasing in q (Latala-Guerra lemma).

    For q > 1/2 it is evaluated as :math:`(1 - q - \mathbb E\,\mathrm{sech}^2 y)/q` with
    1 - q = expit(-u), accurate as q -> 1.  For q <= 1/2, with :math:`\mathbb E y^2 =
    \beta^2(h^2 + q)` done exactly,

    .. math:: g = (\beta^2 - 1) + \frac{\beta^2 h^2}{q} - \frac{\mathbb E[y^2 - \tanh^2 y]}{q}

    wherever :math:`\beta^2(1 + h^2/q) \le 4` (no cancellation: q keeps its relative precision
    as q -> 0, e.g. near beta = 1, where g -> beta^2 - 1), and otherwise
    :math:`g = \mathbb E[(\tanh y/y)^2 (y/\sqrt q)^2] - 1`, finite as q -> 0.
    """
    q = expit(u)
    v = expit(-u)
    y, w = _nodes(beta, h, q)
    qc = q[..., None]
    # tanh^2(y)/q, as (tanh(y)/y)^2 (y/sqrt(q))^2 where |y| <= 1 so that it stays finite as q -> 0
    inner = np.minimum(np.abs(y), 1.0) * np.sign(y)
    ratio = (_tanh_ratio(inner) * inner / np.sqrt(qc)) ** 2
    form_a = np.sum(w * np.where(np.abs(y) <= 1.0, ratio, np.tanh(y) ** 2 / qc), axis=-1) - 1.0
    with np.errstate(over="ignore"):  # an overflow here selects form_a
        field_term = (beta * h) ** 2 / q
        use_b = beta * beta + field_term <= 4.0
        bm = np.where(use_b, beta, 0.0)
    yb = np.where(use_b[..., None], y, 0.0)  # |y| <= 26 sqrt(q) < 19 there
    d = _y_minus_tanh(yb)
    form_b = (bm - 1.0) * (bm + 1.0) + np.where(use_b, field_term, 0.0) - np.sum(w * d * (2.0 * yb - d), axis=-1) / q
    large = (v - np.sum(w * _sech2(y), axis=-1)) / q
    return np.where(q <= 0.5, np.where(use_b, form_b, form_a), large)


def _observables(beta: np.ndarray, h: np.ndarray, q: np.ndarray, v: np.ndarray) -> dict:
    """m, phi, e, s and lambda_AT at the overlap q (1 - q = v given separately, for accuracy)."""
    y, w = _nodes(beta, h, q)
    ay = np.abs(y)
    e = np.exp(-2.0 * ay)
    t = np.tanh(y)
    log1p = np.log1p(e)
    m = np.where(h == 0, 0.0, np.sum(w * t, axis=-1))  # odd in h: exactly 0 without field
    logcosh = _expect(w, ay + log1p - _LOG2)
    # s = log 2 + phi + beta e = -beta^2 v^2/4 + E[log cosh y - y tanh y] + log 2 (Stein's lemma and
    # the saddle-point equation); the log 2 cancels against that of log cosh, leaving the
    # mean binary entropy of a spin with magnetisation tanh y, without the O(beta) cancellation.
    ay_e = np.multiply(ay, e, out=np.zeros_like(ay), where=e > 0)  # |y| e^{-2|y|}, 0 at |y| = inf
    spin_entropy = _expect(w, 2.0 * ay_e / (1.0 + e) + log1p)
    t2 = t * t
    b_s = np.minimum(beta, _AT_SWITCH)  # each branch is evaluated only where it is used
    lam_small = (1.0 - b_s) * (1.0 + b_s) + b_s**2 * np.sum(w * t2 * (2.0 - t2), axis=-1)
    lam_large = 1.0 - beta * (beta * np.sum(w * _sech2(y) ** 2, axis=-1))  # no overflow of beta^2
    bv2 = (beta * v) ** 2
    return {
        "m": m,
        "free_entropy": 0.25 * bv2 + logcosh,
        "energy": -0.5 * beta * v * (2.0 - v) - h * m,
        "entropy": -0.25 * bv2 + spin_entropy,
        "at_eigenvalue": np.where(beta < _AT_SWITCH, lam_small, lam_large),
    }


# Saddle point ---------------------------------------------------------------------------------


def _solve(beta: np.ndarray, h: np.ndarray, tol: float, max_iter: int) -> dict:
    """Overlap q (and 1 - q) for 1-D arrays beta, h, by bisection on u = logit(q)."""
    n = beta.shape[0]
    q = np.zeros(n)
    v = np.ones(n)
    converged = np.ones(n, dtype=bool)
    residual = np.zeros(n)
    n_iter = 0
    para = (h == 0) & (beta <= 1.0)  # q = 0 exactly: g(q) < 0 for every q > 0 there
    rest = ~para
    if np.any(rest):
        b, f = beta[rest], h[rest]
        g_lo = _gap(np.full(b.shape, _U_MIN), b, f)
        g_hi = _gap(np.full(b.shape, _U_MAX), b, f)
        # root below q = 1e-304 (|h| < ~1e-150 with beta < 1): q = 0 to double precision
        below = g_lo <= 0
        # root above q = 1 - 1e-304 (E sech^2 y < 1e-304): q = 1 to double precision
        above = g_hi >= 0
        inside = ~below & ~above
        u = np.where(below, -np.inf, np.inf)
        conv = np.ones(b.shape, dtype=bool)
        if np.any(inside):
            bi, fi = b[inside], f[inside]
            u_in, conv_in, n_iter = bisect(
                lambda x: _gap(x, bi, fi),
                np.full(bi.shape, _U_MIN),
                np.full(bi.shape, _U_MAX),
                xtol=tol,
                max_iter=max_iter,
            )
            u[inside] = u_in
            conv[inside] = conv_in
        q_r, v_r = expit(u), expit(-u)
        g = np.where(inside, _gap(np.where(inside, u, 0.0), b, f), 0.0)
        res = q_r * np.abs(g)
        # edge cases: the fixed-point residual is below 1e-304 by construction
        res[below] = np.tanh(b[below] * f[below]) ** 2
        if np.any(above):
            y, w = _nodes(b, f, q_r)
            res = np.where(above, np.sum(w * _sech2(y), axis=-1), res)
        q[rest], v[rest], converged[rest], residual[rest] = q_r, v_r, conv, res
    return {"q": q, "v": v, "converged": converged, "residual": residual, "n_iter": int(n_iter)}


@_cites
def replica_sk(
    beta: ArrayLike,
    field: ArrayLike = 0.0,
    *,
    tol: float = 1e-13,
    max_iter: int = 10_000,
    strict: bool = False,
) -> SKReplica:
    r"""RS saddle point of the SK model: overlap, free entropy, energy, entropy and AT stability.

    Solves :math:`q = \mathbb E_z \tanh^2(\beta(h + \sqrt q z))` and evaluates (prior-weighted
    convention, see the module docstring)

    .. math::
        \phi_{RS} = \frac{\beta^2(1-q)^2}{4} + \mathbb E_z\log\cosh(\beta(h+\sqrt q z)), \quad
        e = -\frac{\beta(1-q^2)}{2} - h m, \quad s = \log 2 + \phi_{RS} + \beta e, \quad
        \lambda_{AT} = 1 - \beta^2\,\mathbb E_z\,\mathrm{sech}^4(\beta(h+\sqrt q z))

    (Sherrington & Kirkpatrick 1975; de Almeida & Thouless 1978; Mezard, Parisi & Virasoro 1987,
    ch. III).

    Parameters
    ----------
    beta : float or array_like
        Inverse temperature, finite and > 0.
    field : float or array_like
        Uniform external field h, finite; broadcast against ``beta``.
    tol : float
        Bisection on :math:`u = \log(q/(1-q))` stops when the bracket is narrower than
        ``tol * max(1, |u|)``, so the relative error of q (and of 1 - q) is at most
        ``tol * max(1, |u|)``; in [1e-14, 1).
    max_iter : int
        Maximum bisection steps, >= 1 (about 55 are needed at ``tol = 1e-13``).
    strict : bool
        Raise :class:`~statmech_learn.errors.ConvergenceError` (carrying the result) if a point
        did not converge; otherwise a :class:`~statmech_learn.errors.ConvergenceWarning` names it.

    Returns
    -------
    SKReplica
        Scalars for scalar ``beta`` and ``field``, arrays of their broadcast shape otherwise.

    Raises
    ------
    ValueError
        For a bad ``beta``, ``field``, ``tol`` or ``max_iter``.
    ConvergenceError
        With ``strict=True``, if the bisection did not reach ``tol``.

    Notes
    -----
    *Solving for q.*  :math:`g(q) = \mathbb E_z\tanh^2 y/q - 1` is strictly decreasing on
    (0, 1] (Latala-Guerra lemma, Talagrand 2011, ch. 1), so the equation has one root with q > 0
    whenever :math:`h \ne 0` or :math:`\beta > 1` (then g > 0 near q = 0 and g(1) < 0); at
    h = 0 and beta <= 1 the only root is q = 0, returned exactly.  The root is bracketed in
    u = logit(q) on [-700, 700] and found by bisection, which is robust near beta = 1 where the
    fixed-point iteration slows down critically (q ~ beta - 1).  Roots below q = 1e-304
    (``|h|`` < 1e-150, beta < 1) are returned as q = 0, roots above 1 - 1e-304 as q = 1.

    *Quadrature.*  Every Gaussian average uses the composite Gauss-Legendre rule of
    :func:`statmech_learn.gaussian.normal_nodes` (20 nodes per panel on [-12, 12]), refined
    around the tanh step at :math:`z_0 = -h/\sqrt q` on its width :math:`1/(\beta\sqrt q)` and
    laid out in the offset :math:`z - z_0`, so that the argument :math:`y = \beta\sqrt q(z - z_0)`
    keeps its relative precision at large beta with a field; :math:`\log\cosh y` is evaluated
    as :math:`|y| + \mathrm{log1p}(e^{-2|y|}) - \log 2` and :math:`\mathrm{sech}^2 y` as
    :math:`4e^{-2|y|}/(1+e^{-2|y|})^2`.  The measured relative error of q, m and phi is below
    1e-13 against 30-digit mpmath quadrature (tests/test_replica_sk.py), dominated by ``tol``.
    For small q the equation is written so that q keeps its relative precision (see
    ``_gap``): at beta = 1 + 1e-15, h = 0, q = (beta^2 - 1)/(2 beta^4) to 1e-12.  A step outside
    [-12, 12] (:math:`|h| > 12\sqrt q`) is not resolved: 1 - q and the entropy are then accurate
    in absolute terms only (to 1e-33).  The entropy is
    computed as :math:`s = -\beta^2(1-q)^2/4 + \mathbb E_z[\log\cosh y - y\tanh y] + \log 2`
    (equal to :math:`\log 2 + \phi + \beta e` at the saddle point by Stein's lemma), which avoids
    the cancellation of the O(beta) terms of phi and beta e at low temperature.

    Examples
    --------
    >>> sol = replica_sk(0.5)
    >>> sol.q, round(sol.free_entropy, 12)
    (0.0, 0.0625)
    >>> round(replica_sk(2.0).q, 6)
    0.530368
    """
    beta_in = check_positive("beta", beta)
    field_in = check_finite("field", field)
    tol = check_tol("tol", tol)
    strict = check_bool("strict", strict)
    max_iter = check_int("max_iter", max_iter, minimum=1, maximum=_MAX_ITER)
    try:
        b, f = np.broadcast_arrays(np.asarray(beta_in, dtype=float), np.asarray(field_in, dtype=float))
    except ValueError:
        raise ValueError(
            f"beta and field must broadcast together, got shapes {np.shape(beta_in)} and {np.shape(field_in)}"
        ) from None
    if b.size == 0:
        raise ValueError(
            f"beta and field must hold at least one value, got shapes {np.shape(beta_in)} and {np.shape(field_in)}"
        )
    with np.errstate(over="ignore"):
        bh = b * np.abs(f)
    if np.any(bh > 1e300):  # the free entropy ~ beta |h| would overflow
        raise ValueError(f"beta * |field| must be <= 1e300 (the free entropy grows like it), got {float(np.max(bh)):g}")
    shape = b.shape
    b, f = b.ravel().copy(), f.ravel().copy()
    sol = _solve(b, f, tol, max_iter)
    obs = _observables(b, f, sol["q"], sol["v"])
    scalar = len(shape) == 0

    def out(x):
        x = np.asarray(x)
        return x.reshape(shape).item() if scalar else x.reshape(shape)

    result = SKReplica(
        beta=out(b),
        field=out(f),
        q=out(sol["q"]),
        m=out(obs["m"]),
        free_entropy=out(obs["free_entropy"]),
        energy=out(obs["energy"]),
        entropy=out(obs["entropy"]),
        at_eigenvalue=out(obs["at_eigenvalue"]),
        rs_stable=out(obs["at_eigenvalue"] > 0),
        converged=out(sol["converged"]),
        n_iter=sol["n_iter"],
        residual=out(sol["residual"]),
    )
    if not np.all(sol["converged"]):
        bad = ~sol["converged"]
        msg = (
            f"SK RS overlap did not converge (bracket tol {tol:g}, {sol['n_iter']} bisection steps) at "
            f"beta = {np.array2string(b[bad], threshold=8)}, field = {np.array2string(f[bad], threshold=8)}"
        )
        if strict:
            raise ConvergenceError(msg, result)
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    return result


# AT line --------------------------------------------------------------------------------------


def _overlap_logit(beta: float, h: float, guess: float | None = None) -> float:
    """u = logit(q) of the RS overlap at one (beta, h != 0) by Brent's method, on a bracket
    grown around ``guess`` (the previous root, when the AT root finder moves beta a little)."""
    b, f = np.array([beta]), np.array([h])

    def gap(u: float) -> float:
        return float(_gap(np.array([u]), b, f)[0])

    lo, hi = _U_MIN, _U_MAX
    if guess is not None and math.isfinite(guess):
        # g decreases in u: widen [guess - d, guess + d] until it brackets the root
        d = 0.25
        lo, hi = max(guess - d, _U_MIN), min(guess + d, _U_MAX)
        while (lo > _U_MIN and gap(lo) <= 0.0) or (hi < _U_MAX and gap(hi) >= 0.0):
            d *= 4.0
            lo, hi = max(guess - d, _U_MIN), min(guess + d, _U_MAX)
    if lo == _U_MIN and gap(lo) <= 0.0:
        return -np.inf
    if hi == _U_MAX and gap(hi) >= 0.0:
        return np.inf
    u, info = brentq(gap, lo, hi, xtol=1e-14, rtol=1e-14, maxiter=500, full_output=True)
    if not info.converged:
        raise ConvergenceError(f"SK RS overlap did not converge at beta = {beta!r}, field = {h!r}: {info.flag}")
    return u


def _at_eigenvalue(log_beta: float, h: float, memo: dict) -> float:
    """lambda_AT on the RS solution at beta = exp(log_beta), field h != 0.

    ``memo`` maps log_beta to lambda (so that the bracket ends are not re-evaluated with a
    different rounding) and holds under ``"u"`` the last logit(q), the next starting guess.
    """
    if log_beta in memo:
        return memo[log_beta]
    beta = math.exp(log_beta)
    u = _overlap_logit(beta, h, memo.get("u"))
    memo["u"] = u
    obs = _observables(np.array([beta]), np.array([h]), np.array([expit(u)]), np.array([expit(-u)]))
    memo[log_beta] = lam = float(obs["at_eigenvalue"][0])
    return lam


def _small_field_tau(h: float) -> float:
    """Leading small-field asymptote of the AT line, 1 - T_AT = (3/4)^(1/3) h^(2/3)."""
    return 0.75 ** (1.0 / 3.0) * h ** (2.0 / 3.0)


def _at_log_beta_guess(h: float) -> float:
    """log(1/T_AT) from the small-field or, beyond tau = 1/2, the large-field asymptote
    T_AT = 4 exp(-h^2/2) / (3 sqrt(2 pi)) of the AT line."""
    tau = _small_field_tau(h)
    if tau < 0.5:
        return -math.log1p(-tau)
    return 0.5 * h * h + math.log(3.0 * math.sqrt(2.0 * math.pi) / 4.0)


#: below this 1 - T_AT the small-field asymptote is returned: its relative correction is
#: O(h^(2/3)) = O(tau) (-0.30 h^(2/3) measured), i.e. an absolute error ~tau^2/3 < 1e-17 on T
_TAU_ASYMPTOTIC = 1e-8


def _at_temperature(h: float) -> float:
    h = abs(h)
    if h == 0.0:
        return 1.0
    if _small_field_tau(h) < _TAU_ASYMPTOTIC:
        return 1.0 - _small_field_tau(h)
    # bracket [lo, hi] of log(beta) with lambda(lo) > 0 > lambda(hi) around the asymptotic guess
    # (lambda > 0 at beta <= 1, lambda < 0 for large beta)
    memo: dict = {}
    guess = _at_log_beta_guess(h)
    lo, hi = guess / 1.5, guess * 1.5
    while _at_eigenvalue(lo, h, memo) <= 0.0:
        lo, hi = lo / 4.0, lo
        if lo < _TAU_ASYMPTOTIC / 16:
            raise ConvergenceError(f"no positive AT eigenvalue found above beta = 1 at field = {h!r}")
    while _at_eigenvalue(hi, h, memo) > 0.0:
        lo, hi = hi, 2.0 * hi
        if hi > _AT_LOG_BETA_MAX:
            raise ConvergenceError(
                f"no sign change of the AT eigenvalue up to beta = e^{_AT_LOG_BETA_MAX:g} at field = {h!r}"
            )
    x, info = brentq(_at_eigenvalue, lo, hi, args=(h, memo), xtol=1e-15, rtol=1e-15, maxiter=500, full_output=True)
    if not info.converged:
        raise ConvergenceError(f"AT line root finding did not converge at field = {h!r}: {info.flag}")
    return math.exp(-x)


@_cites
def at_line(field: ArrayLike) -> float | np.ndarray:
    r"""Temperature of the de Almeida-Thouless line, :math:`T_{AT}(h)`.

    The RS saddle point of :func:`replica_sk` is stable for :math:`T > T_{AT}(h)`, where the
    replicon eigenvalue is positive:

    .. math:: \lambda_{AT} = 1 - \beta^2\,\mathbb E_z\,\mathrm{sech}^4(\beta(h + \sqrt q z)) = 0
              \quad\text{at}\quad \beta = 1/T_{AT}(h),

    with q the RS overlap at (beta, h) (de Almeida & Thouless 1978, with J = 1).
    :math:`T_{AT}(0) = 1`; for small fields :math:`1 - T_{AT} \simeq (3/4)^{1/3} h^{2/3}`,
    for large fields :math:`T_{AT} \simeq \frac{4}{3\sqrt{2\pi}}e^{-h^2/2}`.

    Parameters
    ----------
    field : float or array_like
        External field h, finite, :math:`|h| \le` :data:`AT_FIELD_MAX` = 10 (T_AT(10) ~ 1e-22;
        near h ~ 12 the tanh step at :math:`z = -h/\sqrt q` leaves the quadrature range
        :math:`|z| \le 12`).  The line is even in h.

    Returns
    -------
    float or ndarray
        :math:`T_{AT}(h)`, of the shape of ``field``.

    Raises
    ------
    ValueError
        For a non-finite ``field`` or :math:`|h| >` :data:`AT_FIELD_MAX`.
    ConvergenceError
        If a saddle point or the root finding fails.

    Notes
    -----
    Brent's method on :math:`\log\beta` to ``xtol = rtol = 1e-15``, on a bracket around the
    small- or large-field asymptote, widened until the eigenvalue changes sign; each evaluation
    solves the RS equation by Brent's method on logit(q) to 1e-14, started from the previous
    root.  Where :math:`1 - T_{AT} < 10^{-8}` (h < 1.2e-12) the small-field asymptote itself is
    returned (its relative correction, O(h^(2/3)), is then below the rounding of T).  The
    measured relative error of T_AT is below 1e-14 against a 30-digit mpmath computation
    (tests/test_replica_sk.py); each field takes about 0.1-0.5 s.
    """
    field_in = check_finite("field", field)
    arr = np.asarray(field_in, dtype=float)
    if np.any(np.abs(arr) > AT_FIELD_MAX):
        bad = arr[np.abs(arr) > AT_FIELD_MAX].ravel()[0]
        raise ValueError(f"field must satisfy |field| <= {AT_FIELD_MAX:g}, got {bad!r}")
    temps = np.array([_at_temperature(float(h)) for h in arr.ravel()]).reshape(arr.shape)
    return float(temps) if temps.ndim == 0 else temps
