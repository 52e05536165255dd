r"""Bayes-optimal teacher-student models: one order parameter on the Nishimori line.

When the student knows the teacher's prior and channel, m = q,
:math:`\hat m = \hat q = \hat V` and V = rho - q, and the RS equations reduce
to a scalar map, the state evolution of AMP (Barbier et al. 2019, PNAS 116,
5451, eqs. 12-13):

.. math:: V \mapsto F_\alpha(V) = V_{prior}\big(\alpha\,\hat G(V)\big),\qquad
          \hat G(V) = \mathbb E_\xi\!\int\! dy\, Z_{out}\, g_{out}^2\Big|_{q=\rho-V},

with :math:`V_{prior}(\hat q) = \mathbb E f_v(\hat q w^* + \sqrt{\hat q}\xi, \hat q)`.
Neither function depends on alpha.  The solver therefore

1. tabulates :math:`\hat G` on a logarithmic grid of V once for the whole alpha grid;
2. locates every fixed point of every alpha as a sign change of
   :math:`h(u) = \log F_\alpha(e^u) - u` on that grid (a stable fixed point is a
   downward crossing); the *uninformed* branch is the largest stable fixed
   point (where AMP from an uninformed start stops), the *informed* branch the
   smallest (or perfect recovery V = 0 when :math:`F_\alpha(V) < V` down to
   :math:`V = 10^{-60}`, as for discrete priors);
3. polishes each root with safeguarded secant steps on the exact functions,
   to :math:`|h| \le` tol, and evaluates the free entropy there.

Iterating the map instead would need thousands of steps near the spinodal
(critical slowing down), for every alpha.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from .models import TeacherStudent

__all__ = ["BayesOptimalMaps", "solve_bayes_optimal", "bayes_transitions"]

_U_MIN = np.log(1e-60)
_GRID = 360
_PANEL_ORDER = 10  # composite rule: ~1e-13 relative on these integrands (docs/numerics.md)


@dataclass
class BayesOptimalMaps:
    """The two alpha-independent scalar functions of the Bayes-optimal RS equations."""

    model: TeacherStudent
    panel_order: int = _PANEL_ORDER

    def __post_init__(self) -> None:
        self._peaks: dict[float, float] = {}
        self.rho = self.model.rho
        self.u_max = np.log(self.rho)
        self.u_grid = np.linspace(_U_MIN, self.u_max, _GRID)
        self.g_grid = self.channel_qhat(np.exp(self.u_grid))

    def channel(self, V):
        V = np.asarray(V, dtype=float)
        q = self.rho - V
        ch = self.model.channel
        return ch.rs_teacher_student(q, q, V, ch, self.rho, V_star=V, panel_order=self.panel_order)

    def channel_qhat(self, V):
        r""":math:`\hat G(V)`: the channel conjugate per unit load at variance V."""
        return self.channel(V)["qhat"]

    def prior(self, qhat):
        qhat = np.asarray(qhat, dtype=float)
        return self.model.prior.rs_teacher_student(qhat, qhat, qhat, self.model.prior, panel_order=self.panel_order)

    def h(self, u, alpha, g=None):
        r""":math:`h(u) = \log F_\alpha(e^u) - u` (exact; ``g`` = :math:`\hat G(e^u)` if known)."""
        g = self.channel_qhat(np.exp(u)) if g is None else g
        Vn = self.prior(alpha * g)["V"]
        with np.errstate(divide="ignore"):
            return np.log(np.maximum(Vn, 0.0)) - u

    def h_table(self, alpha):
        r"""h on the u-grid for every alpha, shape (len(alpha), grid), for bracketing only.

        The prior's :math:`\log V_{prior}` is interpolated (linearly in
        :math:`\log\hat q`, on 800 exact points spanning the needed range);
        brackets are then checked and polished with the exact functions.
        """
        alpha = np.asarray(alpha, dtype=float)
        qh = alpha[:, None] * self.g_grid[None, :]
        lq = np.log(np.clip(qh, 1e-300, 1e300))
        grid = np.linspace(lq.min(), lq.max() + 1e-12, 800)
        with np.errstate(divide="ignore"):
            lv = np.log(np.maximum(self.prior(np.exp(grid))["V"], 1e-320))
        return np.interp(lq, grid, lv) - self.u_grid[None, :]

    def free_entropy(self, V, alpha):
        r""":math:`\Phi = \psi_w(\hat q) + \alpha\,\psi_{out}(V)` with :math:`\hat q = \alpha\hat G(V)`."""
        ch = self.channel(V)
        qh = alpha * ch["qhat"]
        return self.prior(qh)["psi"] + alpha * ch["psi"], qh

    def perfect_free_entropy(self, alpha):
        r"""Free entropy of perfect recovery (V -> 0): :math:`-H(P_0) + \alpha\,\mathbb E\log P_{out}(y|z^*)`,
        the channel term evaluated at :math:`V = 10^{-60}` (its limit to ~1e-30)."""
        ch = self.channel(np.full(np.shape(alpha), np.exp(_U_MIN)))
        return -self.model.prior.entropy + np.asarray(alpha) * ch["psi"]


def _polish(maps: BayesOptimalMaps, alpha, lo, hi, tol, max_iter=60):
    """Root of h(., alpha) in [lo, hi] (h(lo) > 0 > h(hi)): Illinois false position, vectorised."""
    f_lo = maps.h(lo, alpha)
    f_hi = maps.h(hi, alpha)
    valid = (f_lo > 0) & (f_hi < 0)
    u = 0.5 * (lo + hi)
    n = 0
    side = np.zeros(alpha.shape, dtype=int)
    done = np.zeros(alpha.shape, dtype=bool)
    f_u = np.full(alpha.shape, np.inf)
    for n in range(1, max_iter + 1):
        with np.errstate(invalid="ignore", divide="ignore"):
            u_new = np.where(np.isfinite(f_lo) & np.isfinite(f_hi) & (f_lo != f_hi),
                             (lo * f_hi - hi * f_lo) / (f_hi - f_lo), 0.5 * (lo + hi))
        u_new = np.where((u_new <= lo) | (u_new >= hi) | ~np.isfinite(u_new), 0.5 * (lo + hi), u_new)
        u = np.where(done, u, u_new)
        f_u = np.where(done, f_u, maps.h(u, alpha))
        pos = f_u > 0
        # Illinois: halve the value at an end that is retained twice in a row
        keep_lo = ~pos & (side == 1)  # hi replaced now and at the previous step
        keep_hi = pos & (side == -1)  # lo replaced now and at the previous step
        f_lo = np.where(pos, f_u, np.where(keep_lo, 0.5 * f_lo, f_lo))
        lo = np.where(pos, u, lo)
        f_hi = np.where(~pos, f_u, np.where(keep_hi, 0.5 * f_hi, f_hi))
        hi = np.where(~pos, u, hi)
        side = np.where(pos, -1, 1)
        done = done | (np.abs(f_u) <= tol) | (hi - lo <= 1e-15 * np.maximum(1.0, np.abs(u)))
        if np.all(done):
            break
    return u, np.abs(f_u), done & valid & (np.abs(f_u) <= max(tol, 1e-9)), n


def _near_tangent(maps: BayesOptimalMaps, a: float, hrow: np.ndarray) -> int:
    """Grid cell of a positive bump of h missed by the grid (near a spinodal), or -1.

    Maximises the exact h around the largest grid value when that value is
    slightly negative; returns j such that the root lies in [u_j, u_{j+1}].
    """
    inner = np.where(np.isfinite(hrow), hrow, -np.inf)
    j = int(np.argmax(inner[1:-1])) + 1
    if inner[j] < -0.05:
        return -1
    ug = maps.u_grid
    res = minimize_scalar(lambda u: -float(maps.h(np.array([u]), np.array([a]))[0]),
                          bounds=(ug[j - 1], ug[j + 1]), method="bounded", options={"xatol": 1e-10})
    if -res.fun <= 0:
        return -1
    u_peak = float(res.x)
    maps._peaks[a] = u_peak  # the polish starts from the exact peak
    return j if u_peak < ug[j] else j + 1 if j + 1 < ug.size - 1 else j


def _brackets(maps: BayesOptimalMaps, alpha):
    """For each alpha, the grid cells of the largest and smallest stable roots of h.

    A stable fixed point is a downward (+ to -) crossing of h.  Returns
    ``last``/``first`` (cell index, -1 if none), ``perfect`` (h < 0 at the
    bottom of the grid: V -> 0 is stable) and ``any``.
    """
    H = maps.h_table(alpha)  # (A, G)
    pos = H > 0
    down = pos[:, :-1] & ~pos[:, 1:]
    G = H.shape[1]
    any_down = down.any(axis=1)
    last = np.where(any_down, (G - 2) - np.argmax(down[:, ::-1], axis=1), -1)
    first = np.where(any_down, np.argmax(down, axis=1), -1)
    perfect = ~pos[:, 0]
    for i in np.nonzero(~any_down)[0]:  # a bump narrower than the grid (close to a spinodal)?
        j = _near_tangent(maps, float(alpha[i]), H[i])
        if j >= 0:
            last[i] = first[i] = j
            any_down[i] = True
    return {"last": last, "first": first, "perfect": perfect, "any": any_down}


def _exact_brackets(maps: BayesOptimalMaps, alpha, j):
    """Exact ends [lo, hi] with h(lo) > 0 > h(hi) around grid cell j (widened if needed)."""
    ug = maps.u_grid
    lo_i, hi_i = j.copy(), j + 1
    f_lo = maps.h(ug[lo_i], alpha)
    f_hi = maps.h(ug[hi_i], alpha)
    for _ in range(4):
        bad_lo = ~(f_lo > 0) & (lo_i > 0)
        bad_hi = ~(f_hi < 0) & (hi_i < ug.size - 1)
        if not (np.any(bad_lo) or np.any(bad_hi)):
            break
        lo_i = np.where(bad_lo, lo_i - 1, lo_i)
        hi_i = np.where(bad_hi, hi_i + 1, hi_i)
        if np.any(bad_lo):
            f_lo = np.where(bad_lo, maps.h(ug[lo_i], alpha), f_lo)
        if np.any(bad_hi):
            f_hi = np.where(bad_hi, maps.h(ug[hi_i], alpha), f_hi)
    lo, hi = ug[lo_i].copy(), ug[hi_i].copy()
    # a peak found by maximisation is a valid positive end
    for k, a in enumerate(alpha):
        if a in maps._peaks and not f_lo[k] > 0:
            lo[k] = maps._peaks[a]
    return lo, hi


def solve_bayes_optimal(model: TeacherStudent, alpha: np.ndarray, tol: float = 1e-12, max_iter: int = 60,
                        maps: BayesOptimalMaps | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Both branches of a Bayes-optimal model on an alpha grid (raw dicts, see glm._to_curve).

    Returns ``{"uninformed": out, "informed": out}`` where ``out`` has m, q, V,
    mhat, qhat, Vhat, phi, converged, n_iter, residual (arrays over alpha).
    """
    maps = maps or BayesOptimalMaps(model)
    alpha = np.asarray(alpha, dtype=float)
    br = _brackets(maps, alpha)
    results = {}
    for branch in ("uninformed", "informed"):
        j = br["last"] if branch == "uninformed" else br["first"]
        # perfect recovery (V -> 0 stable): the informed branch whenever it is stable, the
        # uninformed one only when no other stable fixed point exists
        perfect = br["perfect"] if branch == "informed" else ~br["any"] & br["perfect"]
        need = (j >= 0) & ~perfect
        u = np.full(alpha.shape, np.nan)
        res = np.full(alpha.shape, np.nan)
        conv = np.zeros(alpha.shape, dtype=bool)
        n_it = np.zeros(alpha.shape, dtype=int)
        if np.any(need):
            lo, hi = _exact_brackets(maps, alpha[need], j[need])
            u_n, r_n, c_n, n_n = _polish(maps, alpha[need], lo, hi, tol, max_iter)
            u[need], res[need], conv[need], n_it[need] = u_n, r_n, c_n, n_n
        V = np.exp(u)
        V = np.where(perfect, 0.0, V)
        phi = np.full(alpha.shape, np.nan)
        qh = np.full(alpha.shape, np.nan)
        if np.any(need):
            phi[need], qh[need] = maps.free_entropy(V[need], alpha[need])
        if np.any(perfect):
            phi[perfect] = maps.perfect_free_entropy(alpha[perfect])
            qh[perfect] = np.inf
            res[perfect] = 0.0
            conv[perfect] = True
        q = maps.rho - V
        conv = conv & np.isfinite(phi)
        results[branch] = dict(m=q, q=q, V=V, mhat=qh, qhat=qh, Vhat=qh, phi=phi, converged=conv, n_iter=n_it,
                               residual=res)
    return results


@dataclass(frozen=True)
class _TransitionPoints:
    alpha_it: float
    alpha_spinodal: float
    converged: bool


def bayes_transitions(model: TeacherStudent, alpha_range=(0.5, 3.0), xtol: float = 1e-6) -> _TransitionPoints:
    """Spinodal (where the uninformed branch ends) and first-order transition (equal free entropies).

    Spinodal: the largest alpha where :math:`\\max_u h(u) > 0` above the informed
    branch, i.e. where the uninformed fixed point merges with the unstable one
    (a tangency); located by bisection in alpha, with the maximum of h found
    by Brent's method on the exact functions around the best grid point.
    Transition: Brent's root of :math:`\\Phi_{informed} - \\Phi_{uninformed}`
    below the spinodal.
    """
    maps = BayesOptimalMaps(model)
    lo, hi = alpha_range

    def has_uninformed(a: float) -> bool:
        hrow = maps.h_table(np.array([a]))[0]
        j = int(np.argmax(np.where(np.isfinite(hrow), hrow, -np.inf)[1:-1])) + 1
        if hrow[j] > 0:
            return True
        res = minimize_scalar(lambda u: -float(maps.h(np.array([u]), np.array([a]))[0]),
                              bracket=(maps.u_grid[j - 1], maps.u_grid[j], maps.u_grid[j + 1]),
                              tol=1e-12)
        return bool(-res.fun > 0)

    if not has_uninformed(lo) or has_uninformed(hi):
        raise ValueError(f"alpha_range must bracket the spinodal, got {alpha_range}")
    a, b = lo, hi
    while b - a > xtol:
        mid = 0.5 * (a + b)
        if has_uninformed(mid):
            a = mid
        else:
            b = mid
    alpha_sp = 0.5 * (a + b)

    def dphi(x: float) -> float:
        out = solve_bayes_optimal(model, np.array([x]), maps=maps)
        return float(out["informed"]["phi"][0] - out["uninformed"]["phi"][0])

    try:
        alpha_it = brentq(dphi, lo, a - 1e-3 * (a - lo), xtol=xtol)
        ok = True
    except ValueError:
        alpha_it, ok = float("nan"), False
    return _TransitionPoints(float(alpha_it), float(alpha_sp), ok)
