r"""Monte Carlo separability: the probability that random patterns can be stored.

A perceptron with weights :math:`\mathbf w \in \mathbb R^n` stores the pattern
:math:`(\mathbf x_\mu, y_\mu)` with margin :math:`\kappa \ge 0` if

.. math:: y_\mu z_\mu \ge \kappa, \qquad z_\mu = \frac{\mathbf x_\mu\cdot\mathbf w}{\sqrt n},

the hard constraint of :class:`statmech_learn.gibbs.Margin`.  The storage
problem draws :math:`P = \mathrm{round}(\alpha n)` patterns with inputs
:math:`\mathbf x_\mu \sim \mathcal N(0, I_n)` and labels :math:`y_\mu = \pm 1`
uniformly at random, independent of the inputs, and asks whether one weight
vector stores all of them, either on the sphere :math:`|\mathbf w|^2 = n`
(*spherical*) or on the corners of the hypercube :math:`\mathbf w\in\{-1,+1\}^n`
(*binary*).  This module estimates the probability

.. math:: p(\alpha, n, \kappa) = \Pr\big[\exists\, \mathbf w:\ y_\mu z_\mu \ge \kappa
          \ \ \forall \mu \le P\big]

by deciding exactly, instance by instance, whether the patterns are stored.
The benchmarks it is compared with are

* Cover's function counting theorem (spherical weights, :math:`\kappa = 0`),
  exact at every finite n for patterns in general position:
  :math:`p = C(P, n)/2^P = 2^{1-P}\sum_{k<n}\binom{P-1}{k}`, which crosses
  1/2 at :math:`\alpha = 2` [Cover1965]_;
* Gardner's capacity :math:`\alpha_c(\kappa) = \big[\int_{-\kappa}^\infty Dt\,
  (t+\kappa)^2\big]^{-1}` of spherical weights as :math:`n\to\infty` [Gardner1988]_;
* the capacity :math:`\alpha_c \simeq 0.833` of binary weights at
  :math:`\kappa = 0` [KrauthMezard1989]_.

Exact decisions
---------------
*Spherical weights, kappa = 0.*  The patterns are strictly separable,
:math:`\exists\mathbf w: y_\mu\mathbf x_\mu\cdot\mathbf w > 0` for all
:math:`\mu`, iff (by rescaling w) the linear program
:math:`y_\mu\mathbf x_\mu\cdot\mathbf w \ge 1` is feasible.  By Gordan's
theorem of the alternative exactly one of the two systems

.. math:: \text{(P)}\ \ G\mathbf w > 0, \qquad
          \text{(D)}\ \ \boldsymbol\lambda \ge 0,\ \ \textstyle\sum_\mu\lambda_\mu = 1,\ \
          G^{\mathsf T}\boldsymbol\lambda = \sum_\mu \lambda_\mu y_\mu \mathbf x_\mu = 0,

has a solution (rows :math:`G_\mu = y_\mu \mathbf x_\mu^{\mathsf T}`)
[Gordan1873]_.  The decision solves the feasibility LP (D) with the HiGHS dual
simplex method [HuangfuHall2018]_ through :func:`scipy.optimize.linprog`: HiGHS
status 0 (a certificate of non-separability found) means *not separable*,
status 2 (infeasible) means *separable*.  (D) was chosen over the primal
feasibility LP (P) :math:`G\mathbf w \ge 1` because, measured on Gaussian
instances with n = 100 and 150 <= P <= 300, it is as fast (18 ms against
21 ms per solve without presolve) and fails less often: HiGHS' dual simplex
returns status 4 ("model status Unknown") on about one in seven infeasible
(P) and on about one in a hundred infeasible (D).  Since the two fail on
opposite sides, any status other than 0 or 2 on (D) is re-solved as (P) (a
returned w is checked), then as (D) by the interior-point method, and if
still undecided raises :class:`RuntimeError`.  At :math:`\kappa = 0` the
decision is about *strict* separability; for patterns in general position
(Gaussian inputs, with probability one) it coincides with the existence of
:math:`\mathbf w \ne 0` with :math:`y_\mu z_\mu \ge 0`.

*Spherical weights, kappa > 0.*  The sphere is not convex, so the question is
not an LP; it is answered by the maximal margin

.. math:: \gamma^* = \max_{|\mathbf w|^2 = n}\ \min_\mu \frac{y_\mu\mathbf x_\mu\cdot\mathbf w}{\sqrt n}
          = \max_{|\mathbf u| = 1}\ \min_\mu\, G_\mu\mathbf u ,
          \qquad \text{stored with margin } \kappa \iff \gamma^* \ge \kappa .

If :math:`\gamma^* > 0` it follows from the least-distance program (LDP)
:math:`\min |\mathbf v|` subject to :math:`G\mathbf v \ge 1`: for every feasible
v the unit vector :math:`\mathbf u = \mathbf v/|\mathbf v|` has margins
:math:`G\mathbf u \ge 1/|\mathbf v|`, and conversely :math:`\mathbf v =
\mathbf u^*/\gamma^*` is feasible, so :math:`\gamma^* = 1/|\mathbf v^*|`.  The
LDP is solved exactly by Lawson & Hanson's reduction to non-negative least
squares [LawsonHanson1974]_ (ch. 23):

.. math:: \min_{\mathbf s\ge 0} |E\mathbf s - \mathbf f|, \qquad
          E = \begin{pmatrix} G^{\mathsf T} \\ \mathbf 1^{\mathsf T}\end{pmatrix},\quad
          \mathbf f = (0,\dots,0,1)^{\mathsf T},

solved with :func:`scipy.optimize.nnls`.  With :math:`\sigma = \sum_\mu s_\mu`
the KKT conditions give :math:`|E\mathbf s - \mathbf f|^2 = 1 - \sigma`; the LDP
is infeasible iff this residual vanishes, and otherwise
:math:`\mathbf v^* = G^{\mathsf T}\mathbf s/(1-\sigma)` and
:math:`\gamma^{*2} = (1-\sigma)/\sigma`.  The decision uses two certificates
computed from the solution: the margin actually reached by
:math:`\mathbf w = \sqrt n\,\mathbf v^*/|\mathbf v^*|` (a lower bound on
:math:`\gamma^*`) and :math:`|G^{\mathsf T}\boldsymbol\lambda|` with
:math:`\boldsymbol\lambda = \mathbf s/\sigma` (an upper bound, since
:math:`\min_\mu G_\mu\mathbf u \le \sum_\mu\lambda_\mu G_\mu\mathbf u`); they
agree to rounding at the optimum, and a gap larger than that raises
:class:`RuntimeError`.

*Binary weights.*  All :math:`2^n` sign vectors are enumerated (n <= 24), one
of each pair :math:`\pm\mathbf w` explicitly: w stores the patterns iff
:math:`\min_\mu y_\mu z_\mu \ge \kappa` and -w iff
:math:`\max_\mu y_\mu z_\mu \le -\kappa`.  The preactivations of all sign
vectors are sums of two tables (one per half of the components), computed
pattern by pattern, and vectors are dropped as soon as they fail a pattern.

Largest separable prefix
------------------------
Storability is monotone in the number of patterns: a prefix of a stored set
is stored.  :func:`max_separable_prefix` therefore bisects over the prefix
length, keeping a certified lower bound (a weight vector that stores the
prefix, extended by the further patterns it happens to store as well) and a
certified upper bound.  For spherical weights at :math:`\kappa=0` the bisection
is driven by the LDP (about 3 ms against 15-30 ms for an LP at n = 100),
whose non-separability answers are only used as hints, and its probes split
Cover's distribution of :math:`P^*` in half (this orders the probes only).
The answer is certified at both ends: the lower end by a weight vector that
separates it, the upper end by one HiGHS LP, restricted to the at most n + 1
patterns that carry the LDP's certificate of non-separability (a Gordan
certificate among them is one for the whole prefix) and, if that fails, by an
LP bisection on the full prefixes.  A master instance of n = 100 typically
costs one LP and five NNLS solves.  :func:`separability_curve` uses one call
per master instance to decide every :math:`\alpha` at once.

Randomness
----------
``rng`` is normalised by :func:`numpy.random.default_rng`.  A call first draws
one seed per instance, ``seeds = rng.integers(2**63, size=n_samples)`` (shape
``(len(alphas), n_samples)`` for independent instances per alpha), and the
instance of seed s is ``g = np.random.default_rng(s)``;
``X = g.standard_normal((P, n))``; ``y = 2.0 * g.integers(0, 2, size=P) - 1``.
Results therefore depend on ``rng`` only, never on ``workers``.

References
----------
.. [Cover1965] T. M. Cover, "Geometrical and statistical properties of systems
   of linear inequalities with applications in pattern recognition", IEEE
   Trans. Electron. Comput. EC-14, 326-334 (1965).
.. [Gardner1988] E. Gardner, "The space of interactions in neural network
   models", J. Phys. A 21, 257-270 (1988).
.. [KrauthMezard1989] W. Krauth and M. Mezard, "Storage capacity of memory
   networks with binary couplings", J. Phys. France 50, 3057-3066 (1989).
.. [Gordan1873] P. Gordan, "Ueber die Aufloesung linearer Gleichungen mit
   reellen Coefficienten", Math. Ann. 6, 23-28 (1873).
.. [LawsonHanson1974] C. L. Lawson and R. J. Hanson, *Solving Least Squares
   Problems*, Prentice-Hall (1974), ch. 23 (SIAM reprint 1995).
.. [HuangfuHall2018] Q. Huangfu and J. A. J. Hall, "Parallelizing the dual
   revised simplex method", Math. Prog. Comp. 10, 119-142 (2018).
"""

from __future__ import annotations

import functools
import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import linprog, nnls
from scipy.stats import binom

from .._validation import as_rng, check_choice, check_finite, check_int, check_margin, check_positive
from ..citations import _cites
from ..results import Result

__all__ = [
    "SeparabilityEstimate",
    "SeparabilityCurve",
    "separability",
    "separability_curve",
    "separability_point",
    "is_separable",
    "max_separable_prefix",
    "separable_prefixes",
]

WEIGHTS = ("spherical", "binary")
MAX_BINARY_N = 24

# A separating vector is accepted only if every margin exceeds this fraction of
# |x_mu| |w|: the rounding error of a dot product of length n is ~ n * 1e-16.
_REL_MARGIN = 1e-10
# The LDP is declared infeasible when its residual 1 - sigma falls below this.
_LDP_INFEASIBLE = 1e-13
# Largest admissible relative gap between the lower and upper bounds on gamma*.
_LDP_GAP = 1e-8
# Sign vectors per block of the binary enumeration: 2 MB per float64 array of
# preactivations, about 10 MB of working memory per block in all.
_BINARY_BLOCK = 1 << 18
# Bytes of cached preactivation tables of the binary enumeration.
_BINARY_CACHE = 32 << 20
_LOW_BITS = 12


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------
def _wilson(p: np.ndarray | float, n_samples: int, z: float):
    z = check_positive("z", z, scalar=True)
    z2n = z * z / n_samples
    center = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * np.sqrt(p * (1 - p) / n_samples + z2n / (4 * n_samples))
    return np.clip(center - half, 0.0, 1.0), np.clip(center + half, 0.0, 1.0)


@dataclass(frozen=True, repr=False)
class SeparabilityEstimate(Result):
    r"""Monte Carlo estimate of the probability that random patterns are stored.

    Attributes
    ----------
    alpha : float
        Load :math:`\alpha`; the instances have ``n_patterns = round(alpha * n)`` patterns.
    n : int
        Input dimension.
    n_patterns : int
        Number of patterns P per instance.
    kappa : float
        Margin :math:`\kappa \ge 0`.
    weights : str
        ``'spherical'`` or ``'binary'``.
    p : float
        Fraction of the instances that are stored, ``n_separable / n_samples``.
    stderr : float
        Binomial standard error of the mean, :math:`\sqrt{p(1-p)/N_{samples}}`.
        It is 0 at p = 0 or 1, where it says nothing about the uncertainty;
        use :meth:`interval` (Wilson score interval) there.
    n_samples : int
        Number of independent instances.
    n_separable : int
        Number of instances that are stored.
    """

    alpha: float
    n: int
    n_patterns: int
    kappa: float
    weights: str
    p: float
    stderr: float
    n_samples: int
    n_separable: int

    def interval(self, z: float = 3.0) -> tuple[float, float]:
        r"""Wilson score interval of the separability probability [Wilson1927]_.

        .. math:: \frac{\hat p + z^2/2N \pm z\sqrt{\hat p(1-\hat p)/N + z^2/4N^2}}{1 + z^2/N}

        Unlike ``p ± z * stderr`` it has non-zero width at p = 0 and p = 1.

        Parameters
        ----------
        z : float
            Number of standard deviations (3 gives about 99.7 % coverage).

        Returns
        -------
        low, high : float

        References
        ----------
        .. [Wilson1927] E. B. Wilson, J. Am. Stat. Assoc. 22, 209-212 (1927).
        """
        low, high = _wilson(self.p, self.n_samples, z)
        return float(low), float(high)

    def __str__(self) -> str:
        extra = ""
        if self.kappa != 0:
            extra += f", kappa={self.kappa:g}"
        if self.weights != "spherical":
            extra += f", {self.weights} weights"
        return (
            f"p = {self.p:.3f} ± {self.stderr:.3f} (alpha={self.alpha:g}, n={self.n}{extra}, {self.n_samples} samples)"
        )


@dataclass(frozen=True, repr=False, eq=False)
class SeparabilityCurve(Result):
    r"""Separability probability as a function of the load :math:`\alpha`.

    Attributes
    ----------
    alpha : ndarray
        Loads, in the order given.
    p : ndarray
        Fraction of stored instances at each alpha.
    stderr : ndarray
        Binomial standard errors :math:`\sqrt{p(1-p)/N_{samples}}` (0 at p in {0, 1};
        see :meth:`interval`).
    n_separable : ndarray of int
        Number of stored instances at each alpha.
    n : int
        Input dimension.
    kappa : float
        Margin.
    weights : str
        ``'spherical'`` or ``'binary'``.
    n_samples : int
        Instances per alpha.
    """

    alpha: np.ndarray
    p: np.ndarray
    stderr: np.ndarray
    n_separable: np.ndarray
    n: int
    kappa: float
    weights: str
    n_samples: int

    def interval(self, z: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
        """Wilson score intervals (low, high) at every alpha; see :meth:`SeparabilityEstimate.interval`."""
        return _wilson(self.p, self.n_samples, z)


# ---------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------
def _check_kappa(kappa: float) -> float:
    return check_margin(kappa)


def _check_weights(weights: str, n: int) -> str:
    weights = check_choice("weights", weights, WEIGHTS)
    if weights == "binary" and n > MAX_BINARY_N:
        raise ValueError(
            f"n must be <= {MAX_BINARY_N} for weights='binary' (exhaustive enumeration of 2^n sign vectors), got {n}"
        )
    return weights


#: largest number of entries P * n of one instance (4 GB of float64), as for the replica simulations
MAX_ENTRIES = 5 * 10**8
#: largest number of instances of one call
MAX_SAMPLES = 10**7
#: largest number of worker processes
MAX_WORKERS = 1024


def _n_patterns(alpha: float, n: int, name: str = "alpha") -> int:
    """round(alpha n), after checking that an instance of that many patterns fits in memory."""
    if alpha * n * n > MAX_ENTRIES:
        raise ValueError(
            f"{name} * n^2 = {alpha * n * n:.3g} input entries exceed {MAX_ENTRIES:.0e} (4 GB): "
            f"got {name} = {alpha:g}, n = {n}"
        )
    return int(round(alpha * n))


def _signed_patterns(X: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Validate one instance and return the rows G_mu = y_mu x_mu."""
    X = np.asarray(check_finite("X", X), dtype=float)
    if X.ndim != 2 or X.shape[1] < 1:
        raise ValueError(f"X must be a 2-D array of shape (P, n) with n >= 1, got shape {X.shape}")
    y = np.asarray(check_finite("y", y), dtype=float)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got shape {y.shape}")
    if not np.all(np.abs(y) == 1):
        raise ValueError(f"y must contain only labels -1 and +1, got {np.unique(y)[:6]}")
    return X * y[:, None]


def _rescaled(G: np.ndarray, kappa: float) -> tuple[np.ndarray, float]:
    """``(G / c, kappa / c)`` with c = max |G|, when c is so large (or small) that the least-distance
    program would overflow (or underflow); every decision is invariant under this scaling."""
    c = float(np.max(np.abs(G))) if G.size else 0.0
    if c == 0.0 or 1e-100 <= c <= 1e100:
        return G, kappa
    with np.errstate(over="ignore"):  # kappa / c = inf for a tiny c: nothing is stored with that margin
        return G / c, kappa / c


def _instance(seed: int, n_patterns: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The instance of one seed: X ~ N(0, I_n) row by row, then labels y = ±1."""
    g = np.random.default_rng(seed)
    X = g.standard_normal((n_patterns, n))
    y = 2.0 * g.integers(0, 2, size=n_patterns) - 1.0
    return X, y


# ---------------------------------------------------------------------------
# Spherical weights
# ---------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------
# Binary weights
# ---------------------------------------------------------------------------
def _half_table(Gc: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """``T[mu, k] = offset[mu] + sum_i (1 - 2 bit_i(k)) Gc[mu, i]`` for all k < 2^b.

    Built by doubling (elementwise, so that no multithreaded BLAS call competes
    with the worker processes).
    """
    T = offset[:, None].copy()
    for i in range(Gc.shape[1]):
        g = Gc[:, i : i + 1]
        T = np.concatenate([T + g, T - g], axis=1)
    return T


def _binary_max_prefix(G: np.ndarray, kappa: float, target: int | None = None, low_bits: int = _LOW_BITS) -> int:
    r"""max over w in {-1,+1}^n of the number of leading rows stored with margin kappa.

    Row mu is stored by w iff ``G_mu . w >= kappa sqrt(n)`` (i.e. y z >= kappa,
    the condition of :class:`~statmech_learn.gibbs.Margin`).  Vectors are
    enumerated as w = (+1, w_low, w_high), with index k = k_low + 2^b k_high,
    together with their negatives; the preactivation of w is
    ``t_high[mu, k_high] + t_low[mu, k_low]``.  A block of vectors is tested on
    the full grid pattern by pattern until few survive, then the survivors by
    index.  The search stops early once ``target`` leading rows are stored.
    """
    P, n = G.shape
    target = P if target is None else min(target, P)
    if P == 0 or target == 0:
        return 0
    thr = kappa * math.sqrt(n)
    free = n - 1
    nl = min(free, low_bits)
    n_low, n_high = 1 << nl, 1 << (free - nl)
    # Tables of the first rows, computed on demand and kept (every block of
    # vectors starts again at row 0); rows past the cache (reached only by
    # vectors that store many patterns) are recomputed for each use.
    t_high, t_low = np.empty((0, n_high)), np.empty((0, n_low))
    cache_rows = max(16, _BINARY_CACHE // (8 * (n_high + n_low)))

    def tables(mu0: int, mu1: int) -> tuple[np.ndarray, np.ndarray]:
        """Tables of rows mu0..mu1-1."""
        nonlocal t_high, t_low
        r0 = t_high.shape[0]
        if mu1 > r0 and r0 < cache_rows:
            r1 = min(P, cache_rows, max(mu1, 2 * r0, 16))
            Gb = G[r0:r1]
            t_high = np.concatenate([t_high, _half_table(Gb[:, 1 + nl :], Gb[:, 0])])
            t_low = np.concatenate([t_low, _half_table(Gb[:, 1 : 1 + nl], np.zeros(r1 - r0))])
        if mu1 <= t_high.shape[0]:
            return t_high[mu0:mu1], t_low[mu0:mu1]
        Gb = G[mu0:mu1]
        return _half_table(Gb[:, 1 + nl :], Gb[:, 0]), _half_table(Gb[:, 1 : 1 + nl], np.zeros(mu1 - mu0))

    highs_per_block = max(1, _BINARY_BLOCK // n_low)
    best = 0
    for h0 in range(0, n_high, highs_per_block):
        h1 = min(h0 + highs_per_block, n_high)
        pos = neg = None
        mu = 0
        alive = 1
        # Grid phase: every vector of the block, one pattern at a time.
        while mu < P:
            th, tl = tables(mu, mu + 1)
            z = th[0, h0:h1, None] + tl[0, None, :]
            if pos is None:
                pos, neg = z >= thr, z <= -thr
            else:
                pos &= z >= thr
                neg &= z <= -thr
            mu += 1
            alive = np.count_nonzero(pos) + np.count_nonzero(neg)
            if alive == 0 or 8 * alive <= pos.size:
                break
        if alive == 0:
            best = max(best, mu - 1)
        else:
            # Survivor phase: (k_high, k_low, sign) of each surviving vector.
            hp, lp = np.nonzero(pos)
            hn, ln = np.nonzero(neg)
            kh = np.concatenate([hp, hn]) + h0
            kl = np.concatenate([lp, ln])
            sign = np.concatenate([np.ones(hp.size), -np.ones(hn.size)])
            while mu < P and kh.size:
                stop = min(P, mu + 8)
                th, tl = tables(mu, stop)
                fail = sign * (th[:, kh] + tl[:, kl]) < thr  # (rows, survivors)
                failed = fail.any(axis=0)
                if np.any(failed):
                    best = max(best, mu + int(np.argmax(fail[:, failed], axis=0).max()))
                keep = ~failed
                kh, kl, sign = kh[keep], kl[keep], sign[keep]
                mu = stop
            if kh.size:
                return P
        if best >= target:
            return best
    return best


# ---------------------------------------------------------------------------
# Public decisions
# ---------------------------------------------------------------------------
@_cites
def is_separable(X: ArrayLike, y: ArrayLike, kappa: float = 0.0, weights: str = "spherical") -> bool:
    r"""Decide exactly whether one weight vector stores every pattern with margin kappa.

    .. math:: \exists\, \mathbf w \in \mathcal W:\quad
              \frac{y_\mu \mathbf x_\mu\cdot\mathbf w}{\sqrt n} \ge \kappa \quad \forall \mu,
              \qquad \mathcal W = \{|\mathbf w|^2 = n\} \text{ or } \{-1,+1\}^n .

    Spherical weights at :math:`\kappa = 0` ask for strict separability and are
    decided by Gordan's alternative as a HiGHS LP (a separating vector found by
    the LDP and verified answers positively without it); at
    :math:`\kappa > 0` by the maximal margin from the least-distance program;
    binary weights by exhaustive enumeration.  See the module notes.

    Parameters
    ----------
    X : array_like, shape (P, n)
        Inputs, one pattern per row.
    y : array_like, shape (P,)
        Labels, -1 or +1.
    kappa : float
        Margin :math:`\kappa \ge 0`.
    weights : {'spherical', 'binary'}
        Weight space; 'binary' requires n <= 24.

    Returns
    -------
    bool

    Raises
    ------
    RuntimeError
        If the LP solver returns a status other than optimal or infeasible.
    """
    kappa = _check_kappa(kappa)
    G, kappa = _rescaled(_signed_patterns(X, y), kappa)
    weights = _check_weights(weights, G.shape[1])
    if weights == "binary":
        return _binary_max_prefix(G, kappa) == G.shape[0]
    return _spherical_separable(G, kappa)


@_cites
def max_separable_prefix(X: ArrayLike, y: ArrayLike, kappa: float = 0.0, weights: str = "spherical") -> int:
    r"""Largest P' such that the first P' patterns are stored with margin kappa.

    .. math:: P^* = \max\{P' \le P:\ \exists\,\mathbf w \in\mathcal W,\ y_\mu z_\mu \ge \kappa
              \ \ \forall \mu \le P'\}.

    Because a prefix of a stored set is stored, the first P' patterns are
    stored iff :math:`P' \le P^*`, so one call decides every prefix length.

    *Spherical weights*: bisection over P' with exact decisions, accelerated by
    certificates: (a) at :math:`\kappa = 0` the first min(n, P) patterns are
    separable in general position (:math:`G\mathbf w = 1` is solvable), here
    verified by the LDP's vector since the data are arbitrary; (b) a separating
    vector found for P' patterns is tested on the following ones and raises the
    lower bound by the number it also stores; (c) the support of a
    certificate of non-separability lowers the upper bound to the prefix it
    spans.  At :math:`\kappa = 0` the bisection runs on the LDP and the final
    upper bound is confirmed by an LP, so the result is certified at both
    ends; usually one LP solve per call (see the module notes).

    *Binary weights*: :math:`P^* = \max_{\mathbf w}` (index of the first pattern
    w fails), by enumeration in one pass.

    Parameters
    ----------
    X : array_like, shape (P, n)
        Inputs, one pattern per row.
    y : array_like, shape (P,)
        Labels, -1 or +1.
    kappa : float
        Margin :math:`\kappa \ge 0`.
    weights : {'spherical', 'binary'}
        Weight space; 'binary' requires n <= 24.

    Returns
    -------
    int
        :math:`P^*`, between 0 and P.
    """
    kappa = _check_kappa(kappa)
    G, kappa = _rescaled(_signed_patterns(X, y), kappa)
    weights = _check_weights(weights, G.shape[1])
    if weights == "binary":
        return _binary_max_prefix(G, kappa)
    return _spherical_max_prefix(G, kappa)


# ---------------------------------------------------------------------------
# Monte Carlo
# ---------------------------------------------------------------------------
def _run_chunk(task: tuple) -> np.ndarray:
    """Decide the instances of a list of seeds (module level so that it pickles).

    ``task = (mode, seeds, n_patterns, n, kappa, weights)``.  Mode 'prefix':
    one master instance of ``n_patterns`` rows per seed, returns P* per seed.
    Mode 'decide': one instance per seed, returns 1 if stored else 0.
    """
    mode, seeds, n_patterns, n, kappa, weights = task
    out = np.empty(len(seeds), dtype=np.int64)
    for i, seed in enumerate(seeds):
        X, y = _instance(int(seed), n_patterns, n)
        G = X * y[:, None]
        if weights == "binary":
            prefix = _binary_max_prefix(G, kappa, target=None if mode == "prefix" else n_patterns)
            out[i] = prefix if mode == "prefix" else int(prefix == n_patterns)
        elif mode == "prefix":
            out[i] = _spherical_max_prefix(G, kappa, general_position=True)
        else:
            out[i] = int(_spherical_separable(G, kappa, general_position=True))
    return out


def _run_tasks(jobs: list[tuple], workers: int) -> list[np.ndarray]:
    """Apply :func:`_run_chunk` to ``jobs = [(mode, seeds, n_patterns, n, kappa, weights), ...]``.

    With ``workers > 1`` the seeds of all jobs are cut into about ``4 * workers``
    chunks run on a process pool; the results are reassembled per job, in order.
    """
    if workers == 1:
        return [_run_chunk(job) for job in jobs]
    per_job = max(1, -(-4 * workers // len(jobs)))
    tasks, owner = [], []
    for j, (mode, seeds, *rest) in enumerate(jobs):
        for chunk in np.array_split(seeds, min(per_job, max(seeds.size, 1))):
            tasks.append((mode, chunk, *rest))
            owner.append(j)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(_run_chunk, tasks))
    return [np.concatenate([part for part, o in zip(parts, owner) if o == j]) for j in range(len(jobs))]


def _draw_seeds(rng, shape, name: str = "rng") -> np.ndarray:
    return as_rng(rng, name).integers(2**63, size=shape)


@_cites
def separability(
    alpha: float,
    n: int,
    n_samples: int = 200,
    kappa: float = 0.0,
    weights: str = "spherical",
    rng=None,
    workers: int = 1,
) -> SeparabilityEstimate:
    r"""Estimate the probability that P = round(alpha n) random patterns are stored.

    .. math:: \hat p = \frac{1}{N_{samples}}\sum_{s=1}^{N_{samples}}
              \mathbb 1\big[\exists\,\mathbf w\in\mathcal W:\ y^s_\mu z^s_\mu \ge \kappa\ \forall\mu\big],
              \qquad \mathrm{stderr} = \sqrt{\hat p(1-\hat p)/N_{samples}},

    over independent instances :math:`x_{\mu i}\sim\mathcal N(0,1)`,
    :math:`y_\mu = \pm1` with probability 1/2, each decided exactly by
    :func:`is_separable`.  For spherical weights at :math:`\kappa=0` the
    expectation is Cover's fraction :math:`C(P,n)/2^P` (Cover 1965).

    Parameters
    ----------
    alpha : float
        Load :math:`\alpha = P/n > 0`.
    n : int
        Input dimension (<= 24 for binary weights).
    n_samples : int
        Number of independent instances.
    kappa : float
        Margin :math:`\kappa \ge 0`.
    weights : {'spherical', 'binary'}
        Weight space.
    rng : None, int, SeedSequence or Generator
        Source of the per-instance seeds (see the module notes).
    workers : int
        Number of processes; 1 runs in the calling process.  The result does
        not depend on it.

    Returns
    -------
    SeparabilityEstimate
    """
    alpha = check_positive("alpha", alpha, scalar=True)
    n = check_int("n", n, 1, maximum=MAX_ENTRIES)
    n_samples = check_int("n_samples", n_samples, 1, maximum=MAX_SAMPLES)
    kappa = _check_kappa(kappa)
    weights = _check_weights(weights, n)
    workers = check_int("workers", workers, 1, maximum=MAX_WORKERS)
    n_patterns = _n_patterns(alpha, n)
    seeds = _draw_seeds(rng, n_samples)
    (decided,) = _run_tasks([("decide", seeds, n_patterns, n, kappa, weights)], workers)
    k = int(decided.sum())
    p = k / n_samples
    return SeparabilityEstimate(
        alpha=alpha,
        n=n,
        n_patterns=n_patterns,
        kappa=kappa,
        weights=weights,
        p=p,
        stderr=math.sqrt(p * (1 - p) / n_samples),
        n_samples=n_samples,
        n_separable=k,
    )


@_cites
def separability_curve(
    alphas: ArrayLike,
    n: int,
    n_samples: int = 200,
    kappa: float = 0.0,
    weights: str = "spherical",
    rng=None,
    workers: int = 1,
    nested: bool = True,
) -> SeparabilityCurve:
    r"""Separability probability :math:`p(\alpha)` at several loads.

    With ``nested=True`` (default) each sample is one master instance of
    :math:`P_{max} = \mathrm{round}(\max\alpha\cdot n)` patterns, and the instance
    at :math:`\alpha` is its first :math:`\mathrm{round}(\alpha n)` patterns.  The
    first P rows of a Gaussian master instance are themselves a Gaussian
    instance of P rows, so every :math:`\hat p(\alpha)` is an unbiased estimate
    with the binomial standard error :math:`\sqrt{p(1-p)/N_{samples}}`; the
    estimates at different alphas are positively correlated (the curve is a
    monotone, smoother-looking function of alpha), which matters only for
    statistics that combine several alphas.  Since stored sets are closed under
    taking prefixes, one :func:`max_separable_prefix` per master instance
    decides every alpha at once:
    :math:`\mathbb 1[\mathrm{round}(\alpha n) \le P^*]`.

    With ``nested=False`` every (alpha, sample) pair is an independent instance
    decided by :func:`is_separable`.

    Parameters
    ----------
    alphas : array_like
        Loads :math:`\alpha > 0` (1-D, any order).
    n : int
        Input dimension (<= 24 for binary weights).
    n_samples : int
        Instances per alpha.
    kappa : float
        Margin :math:`\kappa \ge 0`.
    weights : {'spherical', 'binary'}
        Weight space.
    rng : None, int, SeedSequence or Generator
        Source of the per-instance seeds (see the module notes).
    workers : int
        Number of processes; the result does not depend on it.
    nested : bool
        Prefixes of one master instance (True) or independent instances (False).

    Returns
    -------
    SeparabilityCurve
    """
    alphas = np.atleast_1d(check_positive("alphas", alphas)).astype(float)
    if alphas.ndim != 1 or alphas.size == 0:
        raise ValueError(f"alphas must be a non-empty 1-D array, got shape {alphas.shape}")
    n = check_int("n", n, 1, maximum=MAX_ENTRIES)
    n_samples = check_int("n_samples", n_samples, 1, maximum=MAX_SAMPLES)
    kappa = _check_kappa(kappa)
    weights = _check_weights(weights, n)
    workers = check_int("workers", workers, 1, maximum=MAX_WORKERS)
    sizes = np.array([_n_patterns(a, n, "alphas") for a in alphas], dtype=np.int64)
    if nested:
        seeds = _draw_seeds(rng, n_samples)
        (prefix,) = _run_tasks([("prefix", seeds, int(sizes.max()), n, kappa, weights)], workers)
        counts = (sizes[:, None] <= prefix[None, :]).sum(axis=1)
    else:
        seeds = _draw_seeds(rng, (alphas.size, n_samples))
        jobs = [("decide", seeds[i], int(sizes[i]), n, kappa, weights) for i in range(alphas.size)]
        counts = np.array([int(d.sum()) for d in _run_tasks(jobs, workers)], dtype=np.int64)
    p = counts / n_samples
    return SeparabilityCurve(
        alpha=alphas,
        p=p,
        stderr=np.sqrt(p * (1 - p) / n_samples),
        n_separable=counts.astype(np.int64),
        n=n,
        kappa=kappa,
        weights=weights,
        n_samples=n_samples,
    )


@_cites
def separability_point(
    alpha: float,
    n: int,
    seed: Any,
    n_samples: int = 200,
    kappa: float = 0.0,
    weights: str = "spherical",
) -> dict[str, Any]:
    """One point of a parameter sweep: :func:`separability` as a flat record.

    Parameters
    ----------
    alpha, n, n_samples, kappa, weights
        As in :func:`separability`.
    seed : int, SeedSequence or None
        Passed to :func:`separability` as ``rng``.

    Returns
    -------
    dict
        Keys ``alpha, n, kappa, weights, n_samples, p, stderr, n_separable``,
        values plain Python numbers and strings.
    """
    est = separability(alpha, n, n_samples=n_samples, kappa=kappa, weights=weights, rng=seed, workers=1)
    d = est.to_dict()
    return {k: d[k] for k in ("alpha", "n", "kappa", "weights", "n_samples", "p", "stderr", "n_separable")}


@_cites
def separable_prefixes(
    n: int,
    p_max: int,
    seed: int,
    n_instances: int = 10,
    kappa: float = 0.0,
    weights: str = "spherical",
) -> dict[str, Any]:
    r"""Largest stored prefix :math:`P^*` of ``n_instances`` master instances (a sweep point).

    A plain picklable function of keyword arguments for
    :func:`statmech_learn.sweep`: the instances are those of
    ``separability_curve(..., rng=seed, nested=True)`` with ``p_max`` rows,
    so the separable fraction at any load is
    :math:`\hat p(\alpha) = \mathrm{mean}(P^* \ge \mathrm{round}(\alpha n))` over the
    collected prefixes.

    Returns
    -------
    dict
        ``{"prefixes": [P*_1, ..., P*_k], "n_instances": k}``.
    """
    n = check_int("n", n, 1, maximum=MAX_ENTRIES)
    p_max = check_int("p_max", p_max, 1)
    n_instances = check_int("n_instances", n_instances, 1, maximum=MAX_SAMPLES)
    kappa = _check_kappa(kappa)
    weights = _check_weights(weights, n)
    _n_patterns(p_max / n, n, "p_max / n")
    seeds = _draw_seeds(seed, n_instances, "seed")
    prefixes = _run_chunk(("prefix", seeds, p_max, n, kappa, weights))
    return {"prefixes": [int(v) for v in prefixes], "n_instances": n_instances}
