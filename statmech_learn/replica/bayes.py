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
_TAB_STEP = 0.05  # step in log qhat of the tabulated prior map (bracketing only)
_PANEL_ORDER = 10  # composite rule: ~1e-13 relative on these integrands (docs/numerics.md)


@dataclass
class BayesOptimalMaps:
    """The two alpha-independent scalar functions of the Bayes-optimal RS equations."""

    model: TeacherStudent
    panel_order: int = _PANEL_ORDER

    def __post_init__(self) -> None:
        self._overrides: dict[tuple[float, int], tuple] = {}  # exact bracket ends found near spinodals
        self._tab_k = np.zeros(0, dtype=np.int64)  # table of log V_prior on log qhat = k * _TAB_STEP
        self._tab_lv = np.zeros(0)
        self.rho = self.model.rho
        self.u_max = np.log(self.rho)
        self.u_grid = np.linspace(_U_MIN, self.u_max, _GRID)
        self.g_grid = self.channel_qhat(np.exp(self.u_grid))

    def channel(self, V):
        # V = exp(log rho) may exceed rho by an ulp: q = rho - V must not go negative
        V = np.minimum(np.asarray(V, dtype=float), self.rho)
        q = self.rho - V
        ch = self.model.channel
        return ch.rs_teacher_student(q, q, V, ch, self.rho, V_star=V, panel_order=self.panel_order)

    def channel_qhat(self, V):
        r""":math:`\hat G(V)`: the channel conjugate per unit load at variance V."""
        return self.channel(V)["qhat"]

    def prior(self, qhat):
        qhat = np.asarray(qhat, dtype=float)
        return self.model.student_prior.rs_teacher_student(
            qhat, qhat, qhat, self.model.prior, panel_order=self.panel_order
        )

    def h(self, u, alpha, g=None):
        r""":math:`h(u) = \log F_\alpha(e^u) - u` (exact; ``g`` = :math:`\hat G(e^u)` if known)."""
        g = self.channel_qhat(np.exp(u)) if g is None else g
        Vn = self.prior(alpha * g)["V"]
        with np.errstate(divide="ignore"):
            return np.log(np.maximum(Vn, 0.0)) - u

    def log_prior_variance_table(self, lq):
        r""":math:`\log V_{prior}(e^{lq})` interpolated linearly in :math:`\log\hat q` on a
        table of step 0.05 (exact values, computed once and extended on demand:
        the prior map does not depend on alpha).  Interpolation error below ~1e-3
        in log V; used for bracketing only."""
        lq = np.clip(np.asarray(lq, dtype=float), -690.0, 690.0)
        k_lo = int(np.floor(lq.min() / _TAB_STEP)) - 1
        k_hi = int(np.ceil(lq.max() / _TAB_STEP)) + 1
        have = self._tab_k
        need = np.arange(k_lo, k_hi + 1)
        if have.size:
            need = need[(need < have[0]) | (need > have[-1])]
        if need.size:
            with np.errstate(divide="ignore"):
                lv = np.log(np.maximum(self.prior(np.exp(need * _TAB_STEP))["V"], 1e-320))
            k = np.concatenate([have, need])
            order = np.argsort(k)
            self._tab_k, self._tab_lv = k[order], np.concatenate([self._tab_lv, lv])[order]
        return np.interp(lq, self._tab_k * _TAB_STEP, self._tab_lv)

    def h_table(self, alpha):
        r"""h on the u-grid for every alpha, shape (len(alpha), grid), for bracketing only
        (the prior's :math:`\log V_{prior}` from :meth:`log_prior_variance_table`);
        brackets are then checked and polished with the exact functions."""
        alpha = np.asarray(alpha, dtype=float)
        qh = alpha[:, None] * self.g_grid[None, :]
        lq = np.log(np.clip(qh, 1e-300, 1e300))
        return self.log_prior_variance_table(lq) - self.u_grid[None, :]

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
    for n in range(1, max_iter + 1):  # noqa: B007 (the count is returned)
        with np.errstate(invalid="ignore", divide="ignore"):
            u_new = np.where(
                np.isfinite(f_lo) & np.isfinite(f_hi) & (f_lo != f_hi),
                (lo * f_hi - hi * f_lo) / (f_hi - f_lo),
                0.5 * (lo + hi),
            )
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
    ug = maps.u_grid
    # extrema that the table puts just on the wrong side of zero (close to a spinodal) are
    # resolved exactly: a bump that is positive adds a downward crossing just above it, a dip
    # that is negative one just below it; the exact extremum is a valid end of that bracket
    for i in range(H.shape[0]):
        row = H[i]
        maxima, minima = _local_extrema(row)
        a = float(alpha[i])
        for j in maxima:
            if -_NEAR <= row[j] <= 0 and not down[i, j]:
                u, h = _exact_extremum(maps, a, ug[j - 1], ug[j + 1], "max")
                if h > 0:
                    cell = min(j, G - 2)  # the root lies between the bump and the next grid point
                    down[i, cell] = True
                    maps._overrides[(a, cell)] = (u, None)
        for j in minima:
            if 0 < row[j] <= _NEAR and not down[i, j - 1]:
                u, h = _exact_extremum(maps, a, ug[j - 1], ug[j + 1], "min")
                if h < 0:
                    cell = j - 1
                    down[i, cell] = True
                    maps._overrides[(a, cell)] = (None, u)
    any_down = down.any(axis=1)
    last = np.where(any_down, (G - 2) - np.argmax(down[:, ::-1], axis=1), -1)
    first = np.where(any_down, np.argmax(down, axis=1), -1)
    perfect = ~pos[:, 0]
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
    # an exact extremum found by _brackets is a valid end (h > 0 at a bump, h < 0 at a dip)
    for k, a in enumerate(alpha):
        lo_u, hi_u = maps._overrides.get((float(a), int(j[k])), (None, None))
        if lo_u is not None and not f_lo[k] > 0:
            lo[k] = lo_u
        if hi_u is not None and not f_hi[k] < 0:
            hi[k] = hi_u
    return lo, hi


def solve_bayes_optimal(
    model: TeacherStudent,
    alpha: np.ndarray,
    tol: float = 1e-12,
    max_iter: int = 60,
    maps: BayesOptimalMaps | None = None,
) -> dict[str, dict[str, np.ndarray]]:
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
        results[branch] = dict(
            m=q, q=q, V=V, mhat=qh, qhat=qh, Vhat=qh, phi=phi, converged=conv, n_iter=n_it, residual=res
        )
    return results


@dataclass(frozen=True)
class _TransitionPoints:
    alpha_it: float
    alpha_spinodal: float
    alpha_spinodal_informed: float
    first_order: bool
    converged: bool
    message: str


_SCAN = 600  # loads of the coexistence scan (log-spaced over alpha_range)
_NEAR = 0.05  # |h| of an interior extremum of the tabulated h that is checked exactly


def _local_extrema(row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the interior local maxima and minima of a tabulated h."""
    r = np.where(np.isfinite(row), row, -np.inf)
    mid = r[1:-1]
    maxima = np.flatnonzero((mid >= r[:-2]) & (mid > r[2:])) + 1
    minima = np.flatnonzero((mid <= r[:-2]) & (mid < r[2:])) + 1
    return maxima, minima


def _exact_extremum(maps: BayesOptimalMaps, a: float, lo: float, hi: float, kind: str) -> tuple[float, float]:
    """(u, h) at the exact maximum (kind='max') or minimum of h(., a) on [lo, hi] (Brent, bounded)."""
    sign = -1.0 if kind == "max" else 1.0

    def f(u: float) -> float:
        v = sign * float(maps.h(np.array([u]), np.array([a]))[0])
        return v if np.isfinite(v) else 1e300  # outside the map's domain: never the extremum

    res = minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    return float(res.x), sign * float(res.fun)


def _signs(maps: BayesOptimalMaps, a: float, row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sign pattern of h(., a) along u, with interior extrema near zero resolved exactly.

    Returns the sorted abscissae and signs (+1/-1) of the tabulated points plus
    the exact extrema that the table puts within ``_NEAR`` of zero.
    """
    ug = maps.u_grid
    us, hs = list(ug), list(row)
    maxima, minima = _local_extrema(row)
    for idx, kind in [(maxima, "max"), (minima, "min")]:
        for j in idx:
            if abs(row[j]) <= _NEAR:
                u, h = _exact_extremum(maps, a, ug[j - 1], ug[j + 1], kind)
                us.append(u)
                hs.append(h)
    order = np.argsort(us)
    return np.asarray(us)[order], np.sign(np.asarray(hs)[order])


def _n_stable(signs: np.ndarray) -> int:
    """Stable fixed points: downward crossings of h, plus V = 0 when h < 0 at the bottom."""
    pos = signs > 0
    return int(np.count_nonzero(pos[:-1] & ~pos[1:]) + (not pos[0]))


def _coexistence(maps: BayesOptimalMaps, alpha: np.ndarray) -> np.ndarray:
    """Whether two stable fixed points coexist at each load (table plus exact near-tangencies)."""
    H = maps.h_table(alpha)
    return np.array([_n_stable(_signs(maps, float(a), row)[1]) >= 2 for a, row in zip(alpha, H)])


def _tangency(maps: BayesOptimalMaps, a_in: float, a_out: float, kind: str, xtol: float) -> float:
    """Load where the extremum of h that makes the second stable point (kind='max': the bump
    below the uninformed root; 'min': the dip above the informed root) touches zero, between
    a coexisting load ``a_in`` and a single-point load ``a_out``: Brent's method in alpha on the
    exact extremum, searched in a window of the u-grid around its tabulated positions."""
    ug = maps.u_grid
    row = maps.h_table(np.array([a_in]))[0]
    # the uninformed crossing: the last downward one, near-tangent extrema resolved exactly
    us, signs = _signs(maps, a_in, row)
    pos = signs > 0
    downs = np.flatnonzero(pos[:-1] & ~pos[1:])
    top = int(np.searchsorted(ug, us[downs[-1]])) if downs.size else ug.size - 1
    maxima, minima = _local_extrema(row)
    if kind == "max":  # the bump just below the uninformed crossing
        cand = maxima[maxima <= top + 1]
        j = int(cand[-1]) if cand.size else top
        lo_j, hi_j = max(j - 3, 0), min(j + 3, ug.size - 1)
    else:  # the deepest dip below the uninformed crossing, kept away from it
        cand = minima[minima < top - 1]
        if not cand.size:
            return float("nan")
        j = int(cand[np.argmin(row[cand])])
        lo_j, hi_j = max(j - 3, 0), min(j + 3, top - 1)

    def extreme(a: float) -> float:
        return _exact_extremum(maps, a, ug[lo_j], ug[hi_j], kind)[1]

    f_in, f_out = extreme(a_in), extreme(a_out)
    want_in = 1.0 if kind == "max" else -1.0  # sign of the extremum where the two points coexist
    if not (np.sign(f_in) == want_in and np.sign(f_out) == -want_in):
        return 0.5 * (a_in + a_out) if abs(a_in - a_out) <= xtol else float("nan")
    return float(brentq(extreme, min(a_in, a_out), max(a_in, a_out), xtol=xtol))


def bayes_transitions(model: TeacherStudent, alpha_range=(0.01, 10.0), xtol: float = 1e-6) -> _TransitionPoints:
    r"""Spinodals and first-order transition of a Bayes-optimal model in ``alpha_range``.

    1. Scan ``_SCAN`` log-spaced loads; at each, count the stable fixed points
       of the state-evolution map (downward crossings of h, plus perfect
       recovery when h < 0 at V -> 0), resolving extrema of h that the table
       puts near zero with the exact functions.  Two stable points coexist
       on an interval of loads: the metastable region of a first-order
       transition.
    2. Its ends are tangencies: ``alpha_spinodal_informed``, where the
       informed (small-V) point appears (the minimum of h between the informed
       and the unstable point touches zero), and ``alpha_spinodal``, where the
       uninformed (large-V) point disappears (the maximum of h between the
       unstable and the uninformed point touches zero): Brent's method in alpha
       on the exact extremum.  A discrete prior's perfect recovery (V = 0) may
       be stable at every load, in which case the informed spinodal is below
       the range and reported as NaN.
    3. ``alpha_it``: Brent's root of :math:`\Phi_{informed} - \Phi_{uninformed}`
       inside the metastable interval.

    No coexistence anywhere in the range (a continuous transition, or none) is
    reported with ``first_order=False`` and NaN loads, not an exception.
    """
    maps = BayesOptimalMaps(model)
    lo, hi = alpha_range
    scan = np.geomspace(lo, hi, _SCAN)
    co = _coexistence(maps, scan)
    nan = float("nan")
    if not np.any(co):
        return _TransitionPoints(
            nan,
            nan,
            nan,
            False,
            True,
            f"no first-order transition in alpha_range {alpha_range}: one stable fixed point "
            f"at every load of a {_SCAN}-point scan (a continuous or no transition)",
        )
    runs = np.flatnonzero(np.diff(np.concatenate([[0], co.astype(int), [0]])))
    starts, ends = runs[0::2], runs[1::2] - 1  # first metastable region [starts[0], ends[0]]
    i0, i1 = int(starts[0]), int(ends[0])
    notes = []
    if starts.size > 1:
        notes.append(f"{starts.size} separate metastable regions in the range; the first is reported")
    if i1 == scan.size - 1:
        return _TransitionPoints(
            nan,
            nan,
            nan,
            True,
            False,
            f"the uninformed branch still coexists with the informed one at alpha = {hi:g}: extend alpha_range upwards",
        )
    alpha_sp = _tangency(maps, float(scan[i1]), float(scan[i1 + 1]), "max", xtol)
    if i0 == 0:
        alpha_sp_inf = nan
        notes.append(f"the informed branch is stable at every load down to alpha = {lo:g}")
        a_left = float(scan[0])
    else:
        alpha_sp_inf = _tangency(maps, float(scan[i0]), float(scan[i0 - 1]), "min", xtol)
        a_left = alpha_sp_inf if np.isfinite(alpha_sp_inf) else float(scan[i0])
    a_right = alpha_sp if np.isfinite(alpha_sp) else float(scan[i1])

    def dphi(x: float) -> float:
        out = solve_bayes_optimal(model, np.array([x]), maps=maps)
        i, u = out["informed"], out["uninformed"]
        if not (i["converged"][0] and u["converged"][0]):
            return nan
        if abs(i["V"][0] - u["V"][0]) <= 1e-9 * maps.rho:  # one point found: a branch not resolved
            return nan
        return float(i["phi"][0] - u["phi"][0])

    # evaluate just inside the metastable interval, where both branches are found robustly
    inset = 1e-4 * (a_right - a_left)
    xa, xb = a_left + inset, a_right - inset
    fa, fb = dphi(xa), dphi(xb)
    for _ in range(8):  # move inwards if a branch was not resolved right at a tangency
        if np.isfinite(fa) and np.isfinite(fb):
            break
        if not np.isfinite(fa):
            xa = xa + 0.1 * (xb - xa)
            fa = dphi(xa)
        if not np.isfinite(fb):
            xb = xb - 0.1 * (xb - xa)
            fb = dphi(xb)
    ok = np.isfinite(alpha_sp) and (i0 == 0 or np.isfinite(alpha_sp_inf))
    if np.isfinite(fa) and np.isfinite(fb) and fa * fb <= 0:
        alpha_it = float(brentq(dphi, xa, xb, xtol=xtol))
    elif np.isfinite(fa) and np.isfinite(fb) and fa > 0:
        alpha_it, ok = nan, False
        notes.append(
            "the informed branch already dominates where it appears: alpha_it is not in the metastable "
            "interval (check alpha_range)"
        )
    else:
        alpha_it, ok = nan, False
        notes.append("the free-entropy difference has no sign change in the metastable interval")
    msg = "; ".join(notes) if notes else "spinodals and transition located"
    return _TransitionPoints(alpha_it, float(alpha_sp), float(alpha_sp_inf), True, bool(ok), msg)
