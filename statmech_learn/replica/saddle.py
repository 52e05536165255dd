"""Damped fixed-point iteration of saddle-point equations, vectorised over a grid.

The state is a dict of arrays (one entry per order parameter, one element per
grid point).  Every grid point iterates

    x <- (1 - damping) * F(x) + damping * x

until its own residual falls below ``tol``; converged points are frozen (their
iterate no longer changes), the others go on until ``max_iter``.  The
residual is supplied by the caller (relative change of each order parameter
on its natural scale).  This is the engine of the teacher-student equations;
single monotone equations (Gardner's storage problem) use bracketing instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["IterationResult", "iterate"]

State = dict[str, np.ndarray]


@dataclass
class IterationResult:
    """Final state with per-point convergence information."""

    state: State
    converged: np.ndarray
    n_iter: np.ndarray
    residual: np.ndarray


def iterate(
    update: Callable[[State], State],
    x0: State,
    residual: Callable[[State, State], np.ndarray],
    damping: float = 0.5,
    tol: float = 1e-10,
    max_iter: int = 10_000,
    project: Callable[[State], State] | None = None,
) -> IterationResult:
    """Damped iteration ``x <- (1-damping) F(x) + damping x`` with per-point stopping.

    Parameters
    ----------
    update : callable
        The map F on the full state (all grid points; frozen points are
        recomputed but not changed).
    x0 : dict of arrays
        Initial state, each array of the grid's shape.
    residual : callable
        ``residual(x, F(x))`` -> array of the grid's shape (>= 0).
    damping : float in [0, 1)
        Weight of the old iterate.
    tol : float
        A point is converged when its residual is <= tol.
    max_iter : int
        Maximum number of applications of F.
    project : callable, optional
        Applied to the damped state (e.g. to keep variances positive).

    Returns
    -------
    IterationResult
    """
    if not 0.0 <= damping < 1.0:
        raise ValueError(f"damping must be in [0, 1), got {damping}")
    x = {k: np.array(v, dtype=float) for k, v in x0.items()}
    shape = next(iter(x.values())).shape
    active = np.ones(shape, dtype=bool)
    n_iter = np.zeros(shape, dtype=int)
    res = np.full(shape, np.inf)
    for _ in range(max_iter):
        fx = update(x)
        r = np.asarray(residual(x, fx), dtype=float)
        r = np.where(np.isfinite(r), r, np.inf)
        res = np.where(active, r, res)
        n_iter = n_iter + active
        newly = active & (r <= tol)
        step = active & ~newly
        for k in x:
            damped = (1.0 - damping) * fx[k] + damping * x[k]
            x[k] = np.where(newly, fx[k], np.where(step, damped, x[k]))
        if project is not None:
            x = project(x)
        active = step
        if not np.any(active):
            break
    return IterationResult(x, ~active & (res <= tol), n_iter, res)
