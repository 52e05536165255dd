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

Code layout
-----------
This module holds the input checks, the public decisions and the Monte Carlo
drivers.  The result classes are in :mod:`statmech_learn.capacity.estimates`,
the decisions for spherical weights (LDP and LPs) in
:mod:`statmech_learn.capacity.linear_programs`, and the enumeration for binary
weights in :mod:`statmech_learn.capacity.enumeration`.

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

import math
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_rng, check_bool, check_choice, check_finite, check_int, check_margin, check_positive
from ..citations import _cites
from .enumeration import _binary_max_prefix
from .estimates import SeparabilityCurve, SeparabilityEstimate
from .linear_programs import _lp_separable as _lp_separable  # re-exported: the tests call it from here
from .linear_programs import _spherical_max_prefix, _spherical_separable

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
    nested = check_bool("nested", nested)
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
