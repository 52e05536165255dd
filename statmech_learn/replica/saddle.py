r"""Fixed-point iteration of saddle-point equations, vectorised over a grid.

The state is a dict of arrays (one entry per order parameter, one element per
grid point).  Every grid point iterates its own fixed-point problem
:math:`x = F(x)` until its own residual falls below ``tol``; converged points
are frozen (their iterate no longer changes), the others go on until
``max_iter``.  The residual is supplied by the caller (relative change of each
order parameter on its natural scale) and is always evaluated as
``residual(x, F(x))`` at the point that is returned, so a point is reported
converged only if it is a fixed point to ``tol``, whatever the steps that led
there.

Two step rules:

* damped iteration (default), :math:`x \leftarrow (1-d)\,F(x) + d\,x`;
* Anderson acceleration (``acceleration="anderson"``), type II with memory
  M (Anderson 1965, J. ACM 12, 547; Walker & Ni 2011, SIAM J. Numer. Anal.
  49, 1715): with :math:`g_k = F(x_k) - x_k` and the differences
  :math:`\Delta X, \Delta G` of the last M + 1 iterates and residuals,

  .. math::
      \gamma = \arg\min_\gamma \|W(g_k - \Delta G\,\gamma)\|_2,\qquad
      x_{k+1} = x_k + \beta g_k - (\Delta X + \beta\,\Delta G)\,\gamma,

  with mixing :math:`\beta` and W diagonal (1/size of each order parameter).
  The least-squares problem is solved per grid point by a pseudo-inverse
  (relative cut-off 1e-10), so a degenerate history gives a plain step.
  Safeguards: (i) a step longer than ``max_step`` in the weighted norm is
  shortened to that length (a trust region: far from the fixed point the
  secant model is unreliable); (ii) if the weighted residual at an
  extrapolated point exceeds ``safeguard`` times the residual at the point it
  was extrapolated from (or is not finite), the extrapolation is discarded,
  the history cleared, and a damped step (weight ``damping``) taken from
  that previous point instead.  Keys listed in ``positive`` are extrapolated
  in logarithm: they stay > 0 and their changes are weighed relative to
  their size.

Anderson acceleration is a local method: started far from the fixed point of
a strongly nonlinear map it may wander (the safeguards bound the damage, not
the number of iterations).  :func:`iterate_warm` therefore restarts the
points of a one-parameter grid that did not converge from their converged
neighbours, and falls back to the damped iteration for what is left.

An unconverged point returns, with the damped iteration, its last iterate
and the residual of the one before; with Anderson, the evaluated iterate of
smallest residual and that residual.

This is the engine of the teacher-student equations; single monotone equations
(Gardner's storage problem) use bracketing instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["IterationResult", "iterate", "iterate_warm"]

State = dict[str, np.ndarray]


@dataclass
class IterationResult:
    """Final state with per-point convergence information.

    ``n_restarts`` counts, per point, the Anderson extrapolations rejected by
    the safeguard (always 0 for the damped iteration).
    """

    state: State
    converged: np.ndarray
    n_iter: np.ndarray
    residual: np.ndarray
    n_restarts: np.ndarray | None = field(default=None)


class _Anderson:
    """Per-point Anderson histories for ``size`` grid points in ``d`` coordinates."""

    def __init__(
        self, size: int, d: int, memory: int, mixing: float, damping: float, safeguard: float, max_step: float
    ) -> None:
        self.M = memory
        self.mixing, self.damping, self.safeguard, self.max_step = mixing, damping, safeguard, max_step
        self.hy = np.zeros((size, memory + 1, d))
        self.hg = np.zeros((size, memory + 1, d))
        self.count = np.zeros(size, dtype=int)
        self.prev_y = np.zeros((size, d))
        self.prev_g = np.zeros((size, d))
        self.prev_norm = np.full(size, np.inf)
        self.extrapolated = np.zeros(size, dtype=bool)
        self.restarts = np.zeros(size, dtype=int)

    def step(self, ids: np.ndarray, y: np.ndarray, g: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Next iterate (transformed coordinates) of the points ``ids`` at y with residual g, weights w."""
        with np.errstate(invalid="ignore", over="ignore"):
            norm = np.sqrt(np.sum((w * g) ** 2, axis=-1))
        out = np.empty_like(y)
        bad = self.extrapolated[ids] & ~(norm <= self.safeguard * self.prev_norm[ids])
        if np.any(bad):  # back to the point the extrapolation started from; damped step from there
            rb = ids[bad]
            self.restarts[rb] += 1
            self.count[rb] = 0
            self.extrapolated[rb] = False
            out[bad] = self.prev_y[rb] + (1.0 - self.damping) * self.prev_g[rb]
        ok = ~bad
        ia = ids[ok]
        if ia.size == 0:
            return out
        y, g, w = y[ok], g[ok], w[ok]
        self.hy[ia, :-1] = self.hy[ia, 1:]
        self.hg[ia, :-1] = self.hg[ia, 1:]
        self.hy[ia, -1] = y
        self.hg[ia, -1] = g
        self.count[ia] = np.minimum(self.count[ia] + 1, self.M + 1)
        self.prev_y[ia], self.prev_g[ia], self.prev_norm[ia] = y, g, norm[ok]
        valid = (np.arange(self.M)[None, :] >= (self.M + 1 - self.count[ia])[:, None])[..., None]
        dY = np.where(valid, np.diff(self.hy[ia], axis=1), 0.0)  # (n, M, d)
        dG = np.where(valid, np.diff(self.hg[ia], axis=1), 0.0)
        beta = self.mixing
        with np.errstate(invalid="ignore", over="ignore"):
            A = np.swapaxes(dG * w[:, None, :], 1, 2)  # (n, d, M)
            # histories with non-finite entries (an extrapolation that left the domain of F)
            # cannot be solved for; those points take the damped step below
            solvable = np.all(np.isfinite(A), axis=(1, 2)) & np.all(np.isfinite(w * g), axis=-1)
            gamma = np.full(A.shape[:1] + A.shape[2:], np.nan)
            if np.any(solvable):
                try:
                    gamma[solvable] = np.einsum(
                        "nmd,nd->nm", np.linalg.pinv(A[solvable], rcond=1e-10), (w * g)[solvable]
                    )
                except np.linalg.LinAlgError:  # SVD failure on extreme but finite entries
                    pass
            s = beta * g - np.einsum("nmd,nm->nd", dY + beta * dG, gamma)
            length = np.sqrt(np.sum((w * s) ** 2, axis=-1))
            s *= np.minimum(1.0, self.max_step / np.maximum(length, 1e-300))[:, None]
        fine = np.all(np.isfinite(s), axis=-1)
        s[~fine] = (1.0 - self.damping) * g[~fine]
        self.count[ia[~fine]] = 0
        self.extrapolated[ia] = fine & (self.count[ia] >= 2)
        out[ok] = y + s
        return out


def iterate(
    update: Callable[..., State],
    x0: State,
    residual: Callable[[State, State], np.ndarray],
    damping: float = 0.5,
    tol: float = 1e-10,
    max_iter: int = 10_000,
    project: Callable[[State], State] | None = None,
    *,
    acceleration: str | None = None,
    memory: int = 3,
    mixing: float = 1.0,
    positive: tuple[str, ...] = (),
    safeguard: float = 2.0,
    max_step: float = 1.0,
    subset: bool = False,
) -> IterationResult:
    """Iterate ``x <- F(x)`` (damped or Anderson-accelerated) with per-point stopping.

    Parameters
    ----------
    update : callable
        The map F.  By default it receives the full state (all grid points;
        frozen points are recomputed but not changed).  With ``subset=True`` it
        is called as ``update(x, index)`` on the active points only: 1-d arrays
        and their flat indices into the grid.
    x0 : dict of arrays
        Initial state, each array of the grid's shape.
    residual : callable
        ``residual(x, F(x))`` -> array of x's shape (>= 0), elementwise in
        the grid points.
    damping : float in [0, 1)
        Weight of the old iterate in damped steps (every step of the damped
        iteration; Anderson's fallback steps).
    tol : float
        A point is converged when its residual is <= tol.
    max_iter : int
        Maximum number of applications of F per point.
    project : callable, optional
        Applied to the state after each step (e.g. to keep variances positive).
    acceleration : {None, 'anderson'}
        Step rule (module docstring).
    memory : int
        Anderson memory M (number of past differences).
    mixing : float in (0, 1]
        Anderson's :math:`\\beta`.
    positive : tuple of str
        Keys extrapolated in logarithm by Anderson (their values must be > 0).
    safeguard : float
        Anderson extrapolations whose weighted residual grows by more than
        this factor are rejected.
    max_step : float
        Longest Anderson step in the weighted norm (1: a factor e on a
        ``positive`` key, or a 100% change of another).
    subset : bool
        Call ``update`` on the active points only (see ``update``).

    Returns
    -------
    IterationResult
    """
    if not 0.0 <= damping < 1.0:
        raise ValueError(f"damping must be in [0, 1), got {damping}")
    if acceleration not in (None, "anderson"):
        raise ValueError(f"acceleration must be None or 'anderson', got {acceleration!r}")
    if isinstance(memory, bool) or int(memory) != memory or memory < 1:
        raise ValueError(f"memory must be an integer >= 1, got {memory}")
    if not 0.0 < mixing <= 1.0:
        raise ValueError(f"mixing must be in (0, 1], got {mixing}")
    keys = list(x0)
    shape = np.shape(x0[keys[0]])
    size = int(np.prod(shape, dtype=int))
    anderson = acceleration == "anderson"
    logs = np.array([anderson and k in positive for k in keys])

    def to_vec(state: State, n: int | None = None) -> np.ndarray:
        target = shape if n is None else (n,)
        return np.stack([np.broadcast_to(np.asarray(state[k], dtype=float), target).reshape(-1) for k in keys], axis=-1)

    def to_state(v: np.ndarray, sub: bool) -> State:
        return {k: (v[:, i] if sub else v[:, i].reshape(shape)) for i, k in enumerate(keys)}

    def enc(v: np.ndarray) -> np.ndarray:  # coordinates of the extrapolation
        if not logs.any():
            return v
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(logs, np.log(np.where(logs, v, 1.0)), v)

    def dec(v: np.ndarray) -> np.ndarray:
        if not logs.any():
            return v
        with np.errstate(over="ignore"):
            return np.where(logs, np.exp(np.where(logs, v, 0.0)), v)

    X = to_vec({k: np.asarray(x0[k], dtype=float) for k in keys})  # (size, d), original coordinates
    active = np.ones(size, dtype=bool)
    n_iter = np.zeros(size, dtype=int)
    res = np.full(size, np.inf)
    acc = _Anderson(size, len(keys), int(memory), mixing, damping, safeguard, max_step) if anderson else None
    # extrapolated points may leave the domain of F (a negative conjugate variance, say): the non-finite
    # values this produces are rejected by the safeguard, so F's floating-point warnings are silenced there
    quiet: dict[str, Any] = dict(all="ignore") if anderson else {}
    best = X.copy()

    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        with np.errstate(**quiet):
            if subset:
                FX = to_vec(update(to_state(X[idx], True), idx), idx.size)
            else:
                FX = to_vec(update(to_state(X, False)))[idx]
            r = np.asarray(residual(to_state(X[idx], True), to_state(FX, True)), dtype=float).reshape(-1)
        r = np.where(np.isfinite(r), r, np.inf)
        if acc is not None:  # keep, per point, the evaluated iterate of smallest residual
            better = r < res[idx]
            best[idx[better]] = X[idx[better]]
            res[idx] = np.minimum(res[idx], r)
        else:
            res[idx] = r
        n_iter[idx] += 1
        done = r <= tol
        X[idx[done]] = FX[done]
        active[idx[done]] = False
        go = ~done
        ids = idx[go]
        if ids.size:
            x_now, f_now = X[ids], FX[go]
            if acc is None:
                X[ids] = (1.0 - damping) * f_now + damping * x_now
            else:
                y = enc(x_now)
                with np.errstate(invalid="ignore", over="ignore"):
                    g = enc(f_now) - y
                    size_k = np.maximum(np.maximum(np.abs(x_now), np.abs(f_now)), 1e-300)
                w = np.where(logs, 1.0, 1.0 / size_k)
                X[ids] = dec(acc.step(ids, y, g, w))
        if project is not None:
            X = to_vec(project(to_state(X, False)))
    restarts = acc.restarts if acc is not None else np.zeros(size, dtype=int)
    if acc is not None:  # unconverged points: return the best evaluated iterate, whose residual is res
        X[active] = best[active]
    return IterationResult(
        to_state(X, False),
        (~active & (res <= tol)).reshape(shape),
        n_iter.reshape(shape),
        res.reshape(shape),
        restarts.reshape(shape),
    )


def iterate_warm(
    update: Callable[..., State],
    x0: State,
    residual: Callable[[State, State], np.ndarray],
    coordinate: np.ndarray,
    *,
    max_iter: int = 10_000,
    first_pass: int = 60,
    positive: tuple[str, ...] = (),
    damping: float = 0.5,
    **options,
) -> IterationResult:
    """Anderson iteration of a 1-d grid with warm starts, then damped iteration as a last resort.

    1. The whole grid is iterated at once (:func:`iterate` with
       ``acceleration='anderson'``, ``subset=True``) for at most
       ``first_pass`` iterations.
    2. Repeatedly, the unconverged point nearest (in ``coordinate``) to a
       converged one is restarted from that neighbour's solution -- linearly
       extrapolated from the two nearest converged points on the same side
       when the extrapolation reaches no further than their spacing (in
       logarithm for the ``positive`` keys) -- for at most ``4 * first_pass``
       iterations.
    3. The points still unconverged are iterated from ``x0`` by the damped
       iteration (``damping``) with what is left of their ``max_iter`` budget.

    A point that fails all three stays unconverged (``converged`` False, its
    residual reported).  ``n_iter`` counts every application of F to the
    point, never more than ``max_iter``.  ``update`` must accept
    ``(x, index)`` as for ``subset=True``; ``options`` go to :func:`iterate`.
    """
    coordinate = np.asarray(coordinate, dtype=float).reshape(-1)
    n = coordinate.size
    keys = list(x0)
    start0 = {k: np.array(np.broadcast_to(np.asarray(x0[k], dtype=float), (n,))) for k in keys}

    def run(points, start, budget, accelerated):
        def sub_update(x, idx):
            return update(x, points[idx])

        kw = dict(acceleration="anderson", positive=positive) if accelerated else {}
        return iterate(sub_update, start, residual, damping=damping, max_iter=budget, subset=True, **kw, **options)

    state = {k: v.copy() for k, v in start0.items()}
    conv = np.zeros(n, dtype=bool)
    n_iter = np.zeros(n, dtype=int)
    res = np.full(n, np.inf)
    restarts = np.zeros(n, dtype=int)

    def record(points, out):  # the latest run of a point gives its state and the residual of that state
        n_iter[points] += np.asarray(out.n_iter).reshape(-1)
        restarts[points] += np.asarray(out.n_restarts).reshape(-1)
        res[points] = np.asarray(out.residual).reshape(-1)
        conv[points] = np.asarray(out.converged).reshape(-1)
        for k in keys:
            state[k][points] = np.asarray(out.state[k]).reshape(-1)

    everything = np.arange(n)
    record(everything, run(everything, start0, min(max_iter, first_pass), True))

    tried = conv.copy()
    while True:
        todo = np.flatnonzero(~tried)
        good = np.flatnonzero(conv)
        if todo.size == 0 or good.size == 0:
            break
        dist = np.abs(coordinate[todo][:, None] - coordinate[good][None, :])
        jj, kk = np.unravel_index(np.argmin(dist), dist.shape)
        j, k = todo[jj], good[kk]
        tried[j] = True
        budget = min(max_iter - n_iter[j], 4 * first_pass)
        if budget <= 0:
            continue
        start = {key: state[key][k] for key in keys}
        side = good[(coordinate[good] - coordinate[k]) * (coordinate[j] - coordinate[k]) < 0]
        if side.size:
            k2 = side[np.argmin(np.abs(coordinate[side] - coordinate[k]))]
            t = (coordinate[j] - coordinate[k]) / (coordinate[k] - coordinate[k2])
            if abs(t) <= 1.0:
                for key in keys:
                    a, b = state[key][k], state[key][k2]
                    start[key] = a * (a / b) ** t if key in positive and a > 0 and b > 0 else a + t * (a - b)
        record(np.array([j]), run(np.array([j]), {key: np.array([start[key]]) for key in keys}, budget, True))

    left = max_iter - n_iter
    for budget in np.unique(left[~conv]):
        points = np.flatnonzero(~conv & (left == budget))
        if budget > 0:
            record(points, run(points, {k: v[points] for k, v in start0.items()}, int(budget), False))
    shape = np.shape(coordinate)
    return IterationResult({k: v.reshape(shape) for k, v in state.items()}, conv, n_iter, res, restarts)
