"""Locating the finite-size separability transition from a Monte Carlo curve."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["half_crossing"]


def half_crossing(alpha: ArrayLike, p: ArrayLike, stderr: ArrayLike, level: float = 0.5) -> tuple[float, float]:
    r"""Load at which a decreasing probability curve crosses ``level``, with its error.

    Linear interpolation between the last grid point with :math:`p \ge` level
    and the next one.  The error propagates the interpolated standard error of
    p through the local slope, :math:`\delta\alpha = \sigma_p/|dp/d\alpha|`
    (the interpolation bias is of second order in the grid step and is not
    included: use a grid finer than the width of the transition).

    Returns
    -------
    (alpha_half, error) : tuple of float
        NaN if the curve does not cross ``level`` inside the grid.
    """
    a = np.asarray(alpha, dtype=float)
    p = np.asarray(p, dtype=float)
    s = np.asarray(stderr, dtype=float)
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
