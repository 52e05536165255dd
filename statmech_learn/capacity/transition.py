"""Locating the finite-size separability transition from a Monte Carlo curve."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_finite, check_nonnegative

__all__ = ["half_crossing"]


def half_crossing(alpha: ArrayLike, p: ArrayLike, stderr: ArrayLike, level: float = 0.5) -> tuple[float, float]:
    r"""Load at which a decreasing probability curve crosses ``level``, with its error.

    Linear interpolation between the last grid point with :math:`p \ge` level
    and the next one.  The error propagates the interpolated standard error of
    p through the local slope, :math:`\delta\alpha = \sigma_p/|dp/d\alpha|`
    (the interpolation bias is of second order in the grid step and is not
    included: use a grid finer than the width of the transition).

    Parameters
    ----------
    alpha : array_like
        1-D grid of loads, finite and strictly increasing.
    p : array_like
        Probabilities at ``alpha`` (same length), each in [0, 1].
    stderr : float or array_like
        Standard errors of ``p``: one value for every point, or one per point;
        finite and >= 0.
    level : float
        Level in (0, 1) whose crossing is sought.

    Returns
    -------
    (alpha_half, error) : tuple of float
        NaN if the curve does not cross ``level`` inside the grid.

    Raises
    ------
    ValueError
        If the arrays are not 1-D, their lengths differ, or a value is out of range.
    """
    a = np.asarray(check_finite("alpha", alpha), dtype=float)
    if a.ndim != 1 or a.size < 2:
        raise ValueError(f"alpha must be a 1-D array of at least 2 loads, got shape {a.shape}")
    if np.any(np.diff(a) <= 0):
        raise ValueError(f"alpha must be strictly increasing, got {np.array2string(a, threshold=8)}")
    p = np.asarray(check_finite("p", p), dtype=float)
    if p.shape != a.shape:
        raise ValueError(f"p must have the same length as alpha ({a.size}), got shape {p.shape}")
    if np.any((p < 0) | (p > 1)):
        bad = p[(p < 0) | (p > 1)][0]
        raise ValueError(f"p must be in [0, 1], got {bad:g}")
    s = np.asarray(check_nonnegative("stderr", stderr), dtype=float)
    if s.ndim == 0:
        s = np.full(a.shape, float(s))
    elif s.shape != a.shape:
        raise ValueError(f"stderr must be a scalar or have the same length as alpha ({a.size}), got shape {s.shape}")
    level = check_finite("level", level, scalar=True)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level:g}")
    above = np.nonzero(p >= level)[0]
    if above.size == 0 or above[-1] + 1 >= a.size:
        return float("nan"), float("nan")
    i = above[-1]
    j = i + 1
    slope = (p[j] - p[i]) / (a[j] - a[i])
    if slope >= 0:
        return float("nan"), float("nan")
    x = a[i] + (level - p[i]) / slope
    w = (x - a[i]) / (a[j] - a[i])
    sigma = np.hypot((1 - w) * s[i], w * s[j])
    return float(x), float(sigma / abs(slope))
