r"""Spherical weights: exact storage decisions by least-distance and linear programs.

The rows :math:`G_\mu = y_\mu\mathbf x_\mu^{\mathsf T}` of an instance are stored
with margin :math:`\kappa \ge 0` by a weight vector on the sphere
:math:`|\mathbf w|^2 = n` iff :math:`G_\mu\mathbf w/\sqrt n \ge \kappa` for all
:math:`\mu`.  The notes of :mod:`statmech_learn.capacity.separable` give the
derivations; this module implements them.

*kappa = 0: Gordan's alternative.*  Exactly one of the two systems

.. math:: \text{(P)}\ \ G\mathbf w > 0, \qquad
          \text{(D)}\ \ \boldsymbol\lambda \ge 0,\ \ \textstyle\sum_\mu\lambda_\mu = 1,\ \
          G^{\mathsf T}\boldsymbol\lambda = 0,

has a solution [Gordan1873].  :func:`_lp_separable` solves the feasibility LP
(D) with the HiGHS dual simplex method [HuangfuHall2018]: status 0 (a
certificate found) means *not separable*, status 2 (infeasible) means
*separable*; any other status is re-solved as the primal LP
:math:`G\mathbf w \ge 1` (a returned w is checked), then as (D) by the
interior-point method, and if still undecided raises :class:`RuntimeError`.

*kappa > 0: the maximal margin.*

.. math:: \gamma^* = \max_{|\mathbf u| = 1}\ \min_\mu\, G_\mu\mathbf u = 1/|\mathbf v^*|,
          \qquad \mathbf v^* = \arg\min\{|\mathbf v| :\ G\mathbf v \ge 1\},

the least-distance program (LDP), solved exactly by Lawson & Hanson's
reduction to non-negative least squares [LawsonHanson1974] (ch. 23)

.. math:: \min_{\mathbf s\ge 0} |E\mathbf s - \mathbf f|, \qquad
          E = \begin{pmatrix} G^{\mathsf T} \\ \mathbf 1^{\mathsf T}\end{pmatrix},\quad
          \mathbf f = (0,\dots,0,1)^{\mathsf T}.

With :math:`\sigma = \sum_\mu s_\mu` the LDP is infeasible iff
:math:`1 - \sigma` vanishes, and otherwise
:math:`\mathbf v^* = G^{\mathsf T}\mathbf s/(1-\sigma)`.  :func:`_ldp` returns
two certificates: the margin reached by :math:`\mathbf v^*` (a lower bound on
:math:`\gamma^*`) and :math:`|G^{\mathsf T}\boldsymbol\lambda|` with
:math:`\boldsymbol\lambda = \mathbf s/\sigma` (an upper bound);
:func:`_ldp_decide` compares them with :math:`\kappa` and raises
:class:`RuntimeError` if they are further apart than rounding.

*Largest stored prefix.*  :func:`_spherical_max_prefix` bisects over the prefix
length with a certified lower bound (a weight vector, extended by the further
rows it stores) and a certified upper bound.  At :math:`\kappa = 0` the
bisection is driven by the LDP and its probes split Cover's distribution
[Cover1965] of the largest separable prefix,

.. math:: \Pr[P^* \ge m] = \Pr[\mathrm{Bin}(m-1, 1/2) \le n-1],

in half (this orders the probes only); the upper end is confirmed by one LP on
the rows that carry the LDP's certificate and, if that fails, by an LP
bisection.

References
----------
* [Cover1965] T. M. Cover, "Geometrical and statistical properties of systems
  of linear inequalities with applications in pattern recognition", IEEE
  Trans. Electron. Comput. EC-14, 326-334 (1965).
* [Gordan1873] P. Gordan, "Ueber die Aufloesung linearer Gleichungen mit
  reellen Coefficienten", Math. Ann. 6, 23-28 (1873).
* [LawsonHanson1974] C. L. Lawson and R. J. Hanson, *Solving Least Squares
  Problems*, Prentice-Hall (1974), ch. 23 (SIAM reprint 1995).
* [HuangfuHall2018] Q. Huangfu and J. A. J. Hall, "Parallelizing the dual
  revised simplex method", Math. Prog. Comp. 10, 119-142 (2018).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.optimize import linprog, nnls

# A separating vector is accepted only if every margin exceeds this fraction of
# |x_mu| |w|: the rounding error of a dot product of length n is ~ n * 1e-16.
_REL_MARGIN = 1e-10
# The LDP is declared infeasible when its residual 1 - sigma falls below this.
_LDP_INFEASIBLE = 1e-13
# Largest admissible relative gap between the lower and upper bounds on gamma*.
_LDP_GAP = 1e-8


def _leading_stored(G: np.ndarray, v: np.ndarray, start: int, kappa: float) -> int:
    """Number of consecutive rows from ``start`` that the direction v stores with margin kappa.

    Margins are ``G_mu . v / |v|`` (the preactivations of w = sqrt(n) v/|v|).
    At kappa = 0 a row counts only if its margin clears the rounding level.
    """
    rest = G[start:]
    if rest.shape[0] == 0:
        return 0
    vnorm = np.linalg.norm(v)
    margins = rest @ v / vnorm
    if kappa > 0:
        ok = margins >= kappa
    else:
        ok = margins > _REL_MARGIN * np.linalg.norm(rest, axis=1)
    bad = np.flatnonzero(~ok)
    return int(bad[0]) if bad.size else rest.shape[0]


def _ldp(G: np.ndarray) -> tuple[float, float, np.ndarray | None, np.ndarray]:
    r"""Maximal margin of the rows G through the LDP/NNLS reduction.

    Returns
    -------
    gamma_low : float
        Smallest margin ``min_mu G_mu.v/|v|`` reached by the LDP solution v
        (-inf if the LDP is infeasible, i.e. gamma* <= 0).
    gamma_high : float
        Upper bound ``|G^T lambda|`` with lambda = s / sum(s) in the simplex.
    v : ndarray or None
        The LDP solution (None if infeasible).
    s : ndarray
        NNLS solution (its support carries the certificate of the upper bound).
    """
    P, n = G.shape
    E = np.empty((n + 1, P))
    E[:n] = G.T
    E[n] = 1.0
    f = np.zeros(n + 1)
    f[n] = 1.0
    maxiter = 5 * P + 50
    try:
        s, _ = nnls(E, f, maxiter=maxiter)
    except RuntimeError as exc:
        raise RuntimeError(
            f"NNLS for the least-distance program of {P} patterns in dimension {n} "
            f"did not converge in {maxiter} iterations: {exc}"
        ) from exc
    sigma = float(s.sum())
    gt_s = G.T @ s
    gamma_high = float(np.linalg.norm(gt_s) / sigma)
    slack = 1.0 - sigma
    if slack <= _LDP_INFEASIBLE:
        return -math.inf, gamma_high, None, s
    v = gt_s / slack
    gamma_low = float(np.min(G @ v) / np.linalg.norm(v))
    return gamma_low, gamma_high, v, s


def _ldp_decide(G: np.ndarray, kappa: float):
    """Exact decision gamma* >= kappa (kappa > 0) with its certificate.

    Returns (separable, v, s); v stores the rows with margin >= kappa when separable.
    """
    gamma_low, gamma_high, v, s = _ldp(G)
    if gamma_low >= kappa:
        return True, v, s
    if gamma_high < kappa:
        return False, v, s
    if gamma_high - max(gamma_low, 0.0) > _LDP_GAP * max(1.0, gamma_high):
        raise RuntimeError(
            f"the NNLS solution of the least-distance program is not optimal: the maximal margin is only "
            f"bracketed in [{gamma_low:.6g}, {gamma_high:.6g}] around kappa={kappa:g}"
        )
    # gamma* equals kappa to rounding: the margin actually reached decides.
    return False, v, s


def _gordan_lp(G: np.ndarray, method: str):
    P, n = G.shape
    A_eq = np.empty((n + 1, P))
    A_eq[:n] = G.T
    A_eq[n] = 1.0
    b_eq = np.zeros(n + 1)
    b_eq[n] = 1.0
    return linprog(np.zeros(P), A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method=method, options={"presolve": False})


def _primal_lp(G: np.ndarray):
    P, n = G.shape
    return linprog(np.zeros(n), A_ub=-G, b_ub=-np.ones(P), bounds=(None, None), method="highs-ds")


def _lp_separable(G: np.ndarray) -> bool:
    """Exact decision at kappa = 0: Gordan's alternative solved by HiGHS.

    Status 0: lambda >= 0 with sum 1 and G^T lambda = 0 exists -> not separable.
    Status 2: no such lambda -> strictly separable.  Any other status: the
    primal LP G w >= 1 (a returned w is checked), then (D) by interior point;
    if none of them decides, RuntimeError.
    """
    if G.shape[0] == 0:
        return True
    res = _gordan_lp(G, "highs-ds")
    if res.status in (0, 2):
        return res.status == 2
    tried = [f"dual simplex on (D): status {res.status} ({res.message})"]
    res = _primal_lp(G)
    if res.status == 0 and np.min(G @ res.x) > 0:
        return True
    if res.status == 2:
        return False
    tried.append(f"dual simplex on (P): status {res.status} ({res.message})")
    res = _gordan_lp(G, "highs-ipm")
    if res.status in (0, 2):
        return res.status == 2
    tried.append(f"interior point on (D): status {res.status} ({res.message})")
    raise RuntimeError("HiGHS could not decide the separability LP: " + "; ".join(tried))


def _spherical_max_prefix(G: np.ndarray, kappa: float, general_position: bool = False) -> int:
    """Largest P' such that the first P' rows of G are stored with margin kappa.

    ``general_position=True`` asserts that every min(n, P) rows of G are
    linearly independent (true with probability one for Gaussian inputs), so
    that at kappa = 0 the first min(n, P) rows are separable without a check.
    """
    P, n = G.shape
    lo, hi = 0, P + 1  # prefix lo is certified stored; prefix hi is certified not (P+1: unknown)
    if P == 0:
        return 0
    if kappa > 0:
        while hi - lo > 1:
            mid = (lo + hi) // 2
            sep, v, s = _ldp_decide(G[:mid], kappa)
            if sep:
                lo = mid + _leading_stored(G, v, mid, kappa)
            else:
                # the support of lambda is a certificate for the shorter prefix it spans
                hi = min(mid, int(np.flatnonzero(s)[-1]) + 1) if np.any(s > 0) else mid
        return lo

    # kappa = 0.  (a) up to n rows in general position are separable (G w = 1
    # is solvable); for data not known to be, the LDP's vector certifies it.
    m = min(n, P)
    if general_position:
        lo = m
    else:
        v = _ldp_direction(G[:m])
        if v is not None:
            lo = m + _leading_stored(G, v, m, 0.0)
    # Bisection driven by the LDP: separable answers are certified by a vector
    # (b), non-separable answers are hints, confirmed by an LP at the end.
    # Probes split Cover's distribution of P* in half; this only orders the
    # probes and costs nothing in correctness for other data.
    cover = _cover_tail(n, P)
    hint, hint_rows = hi, None
    while hint - lo > 1:
        mid = _median_probe(cover, lo, hint)
        try:
            _, _, v, s = _ldp(G[:mid])
        except RuntimeError:  # NNLS iteration limit: leave the rest to the LP
            break
        if v is not None and _leading_stored(G[:mid], v, 0, 0.0) == mid:
            lo = mid + _leading_stored(G, v, mid, 0.0)
        else:
            support = np.flatnonzero(s)
            if support.size:
                hint, hint_rows = min(mid, int(support[-1]) + 1), support
            else:
                hint, hint_rows = mid, None
    # (c) the rows carrying the LDP's near-certificate usually suffice for the
    # LP: a Gordan certificate among them proves the prefix hint inseparable.
    if hint == lo + 1 and hint_rows is not None and not _lp_separable(G[hint_rows]):
        return lo
    # Exact LP bisection on what is not certified.
    while hi - lo > 1:
        mid = lo + 1 if hint == lo + 1 else (lo + hi) // 2
        hint = -1
        if _lp_separable(G[:mid]):
            lo = mid
        else:
            hi = mid
    return lo


@functools.lru_cache(maxsize=64)
def _cover_tail(n: int, P: int) -> np.ndarray:
    r"""Cover's :math:`\Pr[P^* \ge m] = \Pr[\mathrm{Bin}(m-1, 1/2) \le n-1]`, m = 0..P+1 (read-only)."""
    from scipy.stats import binom  # deferred: scipy.stats costs most of the package's import time

    m = np.arange(P + 2)
    tail = binom.cdf(n - 1, np.maximum(m - 1, 0), 0.5)
    tail[0] = 1.0
    tail[P + 1] = 0.0  # P* <= P: the last prefix takes the remaining mass
    tail.setflags(write=False)
    return tail


def _median_probe(tail: np.ndarray, lo: int, hi: int) -> int:
    """Prefix length in (lo, hi) that splits the mass of tail-distributed P* in [lo, hi) in half."""
    total = tail[lo] - tail[hi]
    if not total > 1e-12:
        return (lo + hi) // 2
    # tail is non-increasing: first m with Pr[P* >= m | lo <= P* < hi] <= 1/2
    m = lo + 1 + int(np.searchsorted(-(tail[lo + 1 : hi] - tail[hi]) / total, -0.5))
    return min(max(m, lo + 1), hi - 1)


def _ldp_direction(G: np.ndarray) -> np.ndarray | None:
    """The LDP's separating direction for the rows G if it verifiably separates them, else None."""
    try:
        _, _, v, _ = _ldp(G)
    except RuntimeError:  # NNLS iteration limit: no certificate
        return None
    if v is not None and _leading_stored(G, v, 0, 0.0) == G.shape[0]:
        return v
    return None


def _spherical_separable(G: np.ndarray, kappa: float, general_position: bool = False) -> bool:
    P, n = G.shape
    if P == 0:
        return True
    if kappa > 0:
        return _ldp_decide(G, kappa)[0]
    if general_position and n >= P:
        return True
    if _ldp_direction(G) is not None:
        return True
    return _lp_separable(G)
