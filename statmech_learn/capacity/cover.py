r"""Cover's function-counting theorem for the perceptron.

For P points in general position in :math:`\mathbb R^N`, the number of
dichotomies realisable by a hyperplane through the origin is

.. math:: C(P, N) = 2\sum_{k=0}^{N-1} \binom{P-1}{k}

(Cover 1965, IEEE Trans. Electron. Comput. EC-14, 326, Theorem 1; Schlafli's
count of the cells of a central hyperplane arrangement).  For random labels the
probability of linear separability is therefore

.. math:: f(P, N) = \frac{C(P,N)}{2^P} = \Pr[\mathrm{Bin}(P-1, \tfrac12) \le N-1]
          = I_{1/2}(P-N,\, N) \quad (P > N),

with :math:`I_x(a,b)` the regularised incomplete beta function; f = 1 for
:math:`P \le N` and f = 1/2 exactly at P = 2N by the symmetry
:math:`I_{1/2}(a,a) = 1/2`.

Finite-size width of the transition: by the central limit theorem, at
:math:`P = \alpha N`,

.. math:: f \approx \Phi\!\Big(\sqrt N\,\frac{2-\alpha}{\sqrt\alpha}\Big),

so the step at :math:`\alpha_c = 2` has slope :math:`-\sqrt{N/4\pi}` and a
10%-90% width :math:`\Delta\alpha \approx 2.563\sqrt{2/N}` (0.36 at N = 100,
0.11 at N = 1000).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betainc, gammaln, logsumexp

from .._validation import check_finite, check_int
from ..citations import _cites

__all__ = ["cover_count", "cover_fraction", "log_cover_fraction", "cover_transition_width"]


def _split(m: int, a: int, b: int) -> tuple[int, int, int]:
    """Binary splitting of the terms t_k = prod_{j<=k} (m-j+1)/j for a <= k < b.

    Returns (P, Q, T) with P = prod (m-k+1), Q = prod k and
    T/Q = sum_{k=a}^{b-1} prod_{j=a}^{k} (m-j+1)/j.
    """
    if b - a == 1:
        return m - a + 1, a, m - a + 1
    mid = (a + b) // 2
    p1, q1, t1 = _split(m, a, mid)
    p2, q2, t2 = _split(m, mid, b)
    return p1 * p2, q1 * q2, t1 * q2 + p1 * t2


def _binomial_partial_sum(m: int, k_max: int) -> int:
    """Exact :math:`\\sum_{k=0}^{k_{max}} \\binom{m}{k}` with Python integers.

    Sums the shorter tail, by binary splitting of the hypergeometric series
    (O(M(bits) log^2) instead of k_max big-integer multiplications).
    """
    if k_max < 0:
        return 0
    if k_max >= m:
        return 1 << m
    if 2 * k_max > m:  # sum the shorter, complementary tail
        return (1 << m) - _binomial_partial_sum(m, m - k_max - 1)
    if k_max == 0:
        return 1
    _, q, t = _split(m, 1, k_max + 1)
    return 1 + t // q


@_cites
def cover_count(p: int, n: int) -> int:
    r"""Exact number of dichotomies of p points in general position in R^n
    realisable by a hyperplane through the origin.

    .. math:: C(p, n) = 2\sum_{k=0}^{n-1}\binom{p-1}{k}\quad (= 2^p \text{ for } p \le n)

    Parameters
    ----------
    p : int
        Number of points, >= 1.
    n : int
        Dimension, >= 1.

    Returns
    -------
    int
        Exact (arbitrary-precision) count.

    Examples
    --------
    >>> cover_count(4, 2)
    8

    References
    ----------
    T. M. Cover, IEEE Trans. Electron. Comput. EC-14, 326 (1965).
    """
    p = check_int("p", p, minimum=1)
    n = check_int("n", n, minimum=1)
    return 2 * _binomial_partial_sum(p - 1, n - 1)


@_cites
def cover_fraction(p: ArrayLike, n: ArrayLike) -> np.ndarray | float:
    r"""Probability that p random dichotomies of points in general position in
    R^n are linearly separable: :math:`C(p,n)/2^p`.

    Computed as :math:`I_{1/2}(p-n, n)` (or its complement
    :math:`1 - I_{1/2}(n, p-n)`, whichever is the small tail), so it is
    accurate without overflow for p up to 1e6 and beyond; exactly 1/2 at p = 2n.
    Vectorised over ``p`` and ``n``; returns a float for scalar input.

    Examples
    --------
    >>> cover_fraction(200, 100)
    0.5
    """
    p_arr = np.asarray(p)
    n_arr = np.asarray(n)
    for name, arr in (("p", p_arr), ("n", n_arr)):
        if not np.issubdtype(arr.dtype, np.integer) and not (
            np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))
        ):
            raise ValueError(f"{name} must be an integer >= 1, got {arr.tolist()}")
        if np.any(arr < 1):
            raise ValueError(f"{name} must be >= 1, got {arr[arr < 1].ravel()[0]}")
    pf, nf = np.broadcast_arrays(p_arr.astype(float), n_arr.astype(float))
    a = pf - nf  # p - n
    b = nf
    safe_a = np.maximum(a, 1.0)
    lower_tail = betainc(safe_a, b, 0.5)  # small when a > b
    upper_tail = 1.0 - betainc(b, safe_a, 0.5)  # accurate when a < b
    out = np.where(a > b, lower_tail, upper_tail)
    out = np.where(a == b, 0.5, out)
    out = np.where(a <= 0, 1.0, out)
    return float(out) if out.ndim == 0 else out


@_cites
def log_cover_fraction(p: int, n: int) -> float:
    r"""Natural log of :math:`C(p,n)/2^p`, finite even when the fraction underflows.

    .. math:: \log f = \log 2 - p\log 2 + \operatorname{logsumexp}_{k<n}
              \log\binom{p-1}{k}

    using ``gammaln`` for the binomials (relative accuracy ~1e-13 for p up to
    1e6).  Use it far beyond the transition, e.g. p = 1e6, n = 10, where the
    fraction itself is ~1e-301020.
    """
    p = check_int("p", p, minimum=1)
    n = check_int("n", n, minimum=1)
    if p <= n:
        return 0.0
    m = p - 1
    k = np.arange(n, dtype=float)
    log_binom = gammaln(m + 1.0) - gammaln(k + 1.0) - gammaln(m - k + 1.0)
    if 2 * (n - 1) >= m:  # fraction >= 1/2: no underflow, use the incomplete beta
        return float(np.log(cover_fraction(p, n)))
    return float(logsumexp(log_binom) - m * np.log(2.0))


def cover_transition_width(n: int, low: float = 0.1, high: float = 0.9) -> float:
    r"""Width in alpha over which the separable fraction falls from ``high`` to ``low``
    at dimension n, from the central-limit form
    :math:`f \approx \Phi(\sqrt n(2-\alpha)/\sqrt\alpha)` expanded at :math:`\alpha = 2`:
    :math:`\Delta\alpha \approx (\Phi^{-1}(high) - \Phi^{-1}(low))\sqrt{2/n}`.

    Parameters
    ----------
    n : int
        Dimension, >= 1.
    low, high : float
        Levels of the separable fraction, 0 < low < high < 1.

    Returns
    -------
    float
        The width, > 0.
    """
    from scipy.stats import norm

    n = check_int("n", n, minimum=1)
    low = check_finite("low", low, scalar=True)
    high = check_finite("high", high, scalar=True)
    for name, value in (("low", low), ("high", high)):
        if not 0.0 < value < 1.0:
            raise ValueError(f"{name} must be in (0, 1), got {value:g}")
    if low >= high:
        raise ValueError(f"low must be < high, got low = {low:g} and high = {high:g}")
    return float((norm.ppf(high) - norm.ppf(low)) * math.sqrt(2.0 / n))
