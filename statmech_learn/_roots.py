"""Vectorised bracketed root finding for families of scalar equations.

Used where a saddle-point condition reduces to one monotone scalar equation per
grid point (e.g. the overlap of Gardner's storage problem): solving all grid
points together keeps the quadrature vectorised, and bisection's bracket gives
a guaranteed, explicit convergence criterion.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["bisect"]


def bisect(
    func: Callable[[np.ndarray], np.ndarray],
    lo: np.ndarray,
    hi: np.ndarray,
    xtol: float = 1e-13,
    max_iter: int = 200,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Vectorised bisection for ``func(x) = 0`` on brackets ``[lo, hi]``.

    ``func`` must be elementwise (entry i of its output depends only on entry i
    of its input) and satisfy ``func(lo) > 0 > func(hi)`` or the reverse.
    Entries whose bracket has no sign change are left at NaN and reported as
    not converged.

    Returns
    -------
    x : ndarray
        Midpoints of the final brackets.
    converged : ndarray of bool
        ``hi - lo <= xtol * max(1, |x|)`` reached with a valid bracket.
    n_iter : int
        Number of bisection steps taken.
    """
    lo = np.array(lo, dtype=float)
    hi = np.array(hi, dtype=float)
    f_lo = np.asarray(func(lo), dtype=float)
    f_hi = np.asarray(func(hi), dtype=float)
    valid = np.isfinite(f_lo) & np.isfinite(f_hi) & (np.sign(f_lo) * np.sign(f_hi) <= 0)
    sign_lo = np.sign(f_lo)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (the count is returned)
        mid = 0.5 * (lo + hi)
        f_mid = np.asarray(func(mid), dtype=float)
        same = np.sign(f_mid) == sign_lo
        lo = np.where(same, mid, lo)
        hi = np.where(same, hi, mid)
        if np.all(~valid | (hi - lo <= xtol * np.maximum(1.0, np.abs(lo)))):
            break
    x = np.where(valid, 0.5 * (lo + hi), np.nan)
    converged = valid & (hi - lo <= xtol * np.maximum(1.0, np.abs(lo)))
    return x, converged, n_iter
