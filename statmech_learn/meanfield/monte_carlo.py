r"""Markov-chain Monte Carlo for pairwise measures: heat bath and Metropolis, many chains at once.

The measure of :mod:`statmech_learn.meanfield.measures`,

.. math::
    p(s) \propto \prod_i P_0(s_i)\, e^{\beta(\frac12 s^\top J s + h^\top s)},

is sampled by single-site updates in sweeps (one sweep: every site once, in a
fixed or a fresh random order).  With :math:`J_{ii} = 0` the conditional of one
unit given the others is the prior tilted by its local field
:math:`f_i = h_i + \sum_j J_{ij} s_j`,

.. math:: p(s_i \mid s_{\setminus i}) \propto P_0(s_i)\, e^{\beta f_i s_i}.

*Heat bath* (Gibbs sampling; Geman & Geman 1984) draws :math:`s_i` from it:
:math:`P(s_i = 1) = (1 + \tanh\beta f_i)/2` for ±1 spins,
:math:`P(s_i = 1) = \sigma(\beta f_i + \mathrm{logit}\,p)` for {0, 1} units of
prior :math:`P_0(1) = p`, and :math:`N(\sigma^2\beta f_i, \sigma^2)` for Gaussian
units :math:`N(0, \sigma^2)`.  *Metropolis* (Metropolis et al. 1953) proposes
the flip :math:`s_i \to -s_i` (±1) or the toggle :math:`s_i \to 1 - s_i` ({0, 1}),
or a Gaussian random walk :math:`s_i \to s_i + 2.4\sigma\xi` for Gaussian units
(the conditional has standard deviation :math:`\sigma`, and 2.4 standard
deviations is the efficient one-dimensional step of Gelman, Roberts & Gilks
1996), accepted with probability :math:`\min(1, e^{\Delta})`,
:math:`\Delta = \beta f_i (s_i' - s_i) + \log P_0(s_i') - \log P_0(s_i)`.

Implementation.  All chains advance together: the state is an array with one
column per chain and every site update acts on all chains in a few array
operations.  For discrete units both rules are a threshold on the local field,
:math:`s_i' = \mathrm{sign}(f_i - \theta_i)` (±1) or :math:`\Theta(f_i - \theta_i)`
({0, 1}), with :math:`\theta_i` drawn for a whole sweep at once: heat bath
:math:`\theta = \lambda/(2\beta)` (±1) or :math:`(\lambda - \mathrm{logit}\,p)/\beta` ({0, 1}),
:math:`\lambda` standard logistic; Metropolis :math:`\theta = s_i R/(2\beta)` (±1) or
:math:`((2 s_i - 1)R - \mathrm{logit}\,p)/\beta` ({0, 1}), R standard exponential.
The local fields are kept up to date incrementally, never recomputed as
:math:`J s` per site.  The sites are visited in blocks of :data:`BLOCK`; in a
block, site k sees its field from the start of the block corrected by the
changes of the sites before it,

.. math:: f_k = c_k + (L s')_k, \qquad c = f^{(0)} - \theta - L s,

with L the strictly lower triangle of the block's couplings and s' the new
states, and after the block every field receives the rank-B update
:math:`f \leftarrow f + J_{:,b}(s' - s)_b` (a rank-one update per changed site,
grouped).  For discrete units the block's new states solve
:math:`s' = \mathrm{sign}(c + L s')` (or :math:`\Theta`), which is solved by
iterating it from :math:`s' = \mathrm{sign}(c + L s)`: since L is strictly lower
triangular the k-th iterate is exact on the first k sites, and an iterate that
repeats is exact on all of them (it is the unique solution, found by forward
substitution).  A few iterations, each one matrix product on all chains,
replace B single-site steps; after :data:`ITERATIONS` without a repeat the
remaining sites are updated one at a time.  The chain is the same, state for
state, as with one update after the other (up to rounding in the last bit of a
field).  Gaussian units are updated one
site at a time.  The fields are recomputed from scratch every :data:`REFRESH`
sweeps so that rounding errors do not accumulate.

Error bars.  The chains are independent and identically distributed, so the
grand mean over chains is the average of the chain means and its variance is
that of one chain mean over ``n_chains``:

- for the energy and the total magnetisation
  :math:`\mathrm{Var}(\bar x) = 2\tau_{\mathrm{int}}\sigma^2/(n_{\mathrm{chains}} T)`,
  with :math:`\sigma^2` the variance within a chain, T the measured sweeps per
  chain and :math:`\tau_{\mathrm{int}}` the integrated autocorrelation time
  (:func:`integrated_autocorrelation_time`, autocorrelation averaged over chains);
- for the per-site magnetisations, where an autocorrelation time per site would
  be costly and noisy, from the spread of the chain means,
  :math:`\mathrm{sd}_c(\bar m_{c,i})/\sqrt{n_{\mathrm{chains}}}` (unbiased for the
  variance whatever the autocorrelation; NaN with a single chain).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_rng, check_bool, check_choice, check_finite, check_int, check_positive
from ..citations import _cites
from ..gibbs.priors import BernoulliPrior, GaussianPrior
from ..results import Result
from .measures import Bipartite, Ising

__all__ = ["MonteCarloResult", "monte_carlo", "integrated_autocorrelation_time", "METHODS", "ORDERS"]

#: update rules accepted by :func:`monte_carlo`
METHODS = ("heat-bath", "metropolis")
#: site orders accepted by :func:`monte_carlo`
ORDERS = ("sequential", "random")
#: sites per block of the delayed field update (module docstring)
BLOCK = 32
#: fixed-point iterations per block before the remaining sites are updated one by one (module docstring)
ITERATIONS = 8
#: sweeps between recomputations of the local fields from the state
REFRESH = 64
#: columns (chains x sweeps) of the stack of states whose Gram matrix is added to the second moment at once
STACK_COLUMNS = 512
#: largest matrix product (multiply-adds) issued as one call inside the sweep loop
SERIAL_PRODUCT = 2**18
#: Metropolis step of Gaussian units, in units of the prior standard deviation
GAUSSIAN_STEP = 2.4
#: a chain shorter than this many autocorrelation times gives an unreliable tau (Sokal 1997)
MIN_LENGTH_IN_TAU = 50.0


@dataclass(frozen=True, repr=False)
class MonteCarloResult(Result):
    r"""Monte Carlo averages of a pairwise measure, with error bars and autocorrelation times.

    Attributes
    ----------
    m, m_err : (n,) arrays
        :math:`\langle s_i\rangle` and its standard error (spread of the chain means).
    second_moment : (n, n) array
        :math:`\langle s_i s_j\rangle` averaged over chains and measured sweeps.
    correlation : (n, n) array
        :math:`\langle s_i s_j\rangle - m_i m_j`.
    energy, energy_err : float
        Mean energy :math:`\langle E\rangle`, :math:`E = -\tfrac12 s^\top J s - h^\top s`,
        and its standard error :math:`\sqrt{2\tau\sigma^2/(n_{\mathrm{chains}}T)}`.
    energy_var : float
        Variance of the energy within a chain (an estimate of :math:`\mathrm{Var}\,E`).
    magnetisation, magnetisation_err : float
        Total magnetisation :math:`\langle\sum_i s_i\rangle` and its standard error.
    tau_energy, tau_magnetisation : float
        Integrated autocorrelation times in sweeps (:math:`\frac12 + \sum_{t\ge1}\rho(t)`;
        1/2 for independent samples).
    window_energy, window_magnetisation : int
        Summation windows M chosen by the automatic rule :math:`M \ge c\,\tau(M)`, M even
        (-1: none found, 0: no fluctuation).
    converged : bool
        Whether both windows were found and the measured sweeps are at least
        :data:`MIN_LENGTH_IN_TAU` times both autocorrelation times.
    acceptance_rate : float
        Fraction of accepted Metropolis proposals over the measured sweeps (1 for heat bath).
    n_sweeps, burn_in, n_chains : int
        Sweeps per chain (including burn-in), discarded sweeps, chains.
    n_samples : int
        Measured sweeps over all chains, ``n_chains * (n_sweeps - burn_in)``.
    method, order : str
        Update rule and site order.
    updates_per_second : float
        Site updates (sweeps x n x chains) per second of wall time, measurements included.
    final_state : (n_chains, n) array
        The last state of every chain (pass it as ``init`` to continue).
    measure : str
        Repr of the measure.
    message : str
        What the autocorrelation analysis found.
    """

    m: np.ndarray
    m_err: np.ndarray
    second_moment: np.ndarray
    correlation: np.ndarray
    energy: float
    energy_err: float
    energy_var: float
    magnetisation: float
    magnetisation_err: float
    tau_energy: float
    tau_magnetisation: float
    window_energy: int
    window_magnetisation: int
    converged: bool
    acceptance_rate: float
    n_sweeps: int
    burn_in: int
    n_chains: int
    n_samples: int
    method: str
    order: str
    updates_per_second: float
    final_state: np.ndarray
    measure: str
    message: str


def integrated_autocorrelation_time(series: ArrayLike, c: float = 5.0) -> tuple[float, int]:
    r"""Integrated autocorrelation time with the automatic window of Madras & Sokal.

    .. math::
        \tau_{\mathrm{int}}(M) = \tfrac12 + \sum_{t=1}^{M}\rho(t), \qquad
        M = \min\{M \text{ even} : M \ge c\,\tau_{\mathrm{int}}(M)\},

    with :math:`\rho(t)` the normalised autocovariance (each chain centred on its own
    mean, the autocovariances averaged over chains, computed by FFT).  Then
    :math:`\mathrm{Var}(\bar x) \approx 2\tau_{\mathrm{int}}\sigma^2/T` for one chain of length T.
    Madras & Sokal (1988), J. Stat. Phys. 50, 109; Sokal (1997), "Monte Carlo methods
    in statistical mechanics", in *Functional Integration*, sec. 3.  For an AR(1) series
    :math:`x_{t+1} = \phi x_t + \xi_t`, :math:`\tau_{\mathrm{int}} = (1+\phi)/(2(1-\phi))`.

    The window is even, so that the sum ends on whole pairs :math:`\rho(2k-1) + \rho(2k)`
    (Geyer 1992, Stat. Sci. 7, 473): a Metropolis sweep at high acceptance flips most
    spins, the total magnetisation then alternates in sign from sweep to sweep, and a
    window ending on an odd lag could make :math:`\tau` negative.  For such
    anticorrelated series the estimate errs on the large (conservative) side.

    Parameters
    ----------
    series : array_like, shape (T,) or (T, n_chains)
        Measurements, time along the first axis; at least two.
    c : float
        Window factor (about 5 for a roughly exponential decay).

    Returns
    -------
    tau : float
        NaN for a constant series.
    window : int
        The window M, or -1 if no M <= T - 1 satisfies the rule (``tau`` is then the
        sum over the whole series and underestimates: run longer).
    """
    x = np.asarray(check_finite("series", series), dtype=float)
    scale = float(np.max(np.abs(x))) if x.size else 0.0
    if scale > 1e100 or 0.0 < scale < 1e-100:  # tau is scale invariant: keep the squares finite and normal
        x = x / scale
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1 or not np.all(np.isfinite(x)):
        raise ValueError(f"series must be a finite (T,) or (T, n_chains) array with T >= 2, got shape {x.shape}")
    c = check_positive("c", c, scalar=True)
    T = x.shape[0]
    y = x - x.mean(axis=0)
    scale = float(np.max(np.abs(x)))
    nfft = 1 << (2 * T - 1).bit_length()
    f = np.fft.rfft(y, n=nfft, axis=0)
    acov = np.fft.irfft(f.real**2 + f.imag**2, n=nfft, axis=0)[:T].mean(axis=1) / T
    if not acov[0] > (1e-13 * scale) ** 2:
        return math.nan, 0
    rho = acov[1:] / acov[0]
    taus = 0.5 + np.cumsum(rho)  # tau(M) for M = 1 .. T-1
    windows = np.arange(1, T)
    ok = (windows >= c * taus) & (windows % 2 == 0)
    if ok.any():
        k = int(np.argmax(ok))
        return float(taus[k]), int(windows[k])
    return float(taus[-1]), -1


def _check_gaussian(measure: Ising, var: float) -> None:
    """Raise unless the precision matrix I/var - beta J is positive definite."""
    prec = np.eye(measure.n) / var - measure.beta * measure.J
    try:
        np.linalg.cholesky(prec)
    except np.linalg.LinAlgError:
        low = float(np.linalg.eigvalsh(prec)[0])
        raise ValueError(
            f"the Gaussian measure is not normalisable: the precision matrix I/sigma^2 - beta J has "
            f"smallest eigenvalue {low:.4g} <= 0 (beta={measure.beta:g}, sigma^2={var:g}); "
            "lower beta or the prior variance"
        ) from None


def _initial_state(measure: Ising, init, n_chains: int, rng: np.random.Generator) -> np.ndarray:
    """(n, n_chains) starting state: drawn from the prior, or ``init`` checked and broadcast."""
    n, units = measure.n, measure.prior.name
    if init is None:
        return np.ascontiguousarray(measure.prior.sample((n_chains, n), rng).T)
    x = np.asarray(check_finite("init", init), dtype=float)
    if x.shape == (n,):
        x = np.broadcast_to(x, (n_chains, n))
    if x.shape != (n_chains, n):
        raise ValueError(f"init must have shape ({n},) or (n_chains, n) = ({n_chains}, {n}), got shape {x.shape}")
    support = {"binary": (-1.0, 1.0), "bernoulli": (0.0, 1.0)}.get(units)
    if support is not None and not np.all((x == support[0]) | (x == support[1])):
        raise ValueError(f"init must hold only the values {support[0]:g} and {support[1]:g} of {units!r} units")
    return np.ascontiguousarray(x.T)


@_cites
def monte_carlo(
    measure: Ising,
    n_sweeps: int = 20_000,
    n_chains: int = 16,
    *,
    method: str = "heat-bath",
    order: str = "sequential",
    burn_in: int | None = None,
    rng=None,
    init: ArrayLike | None = None,
    progress: bool | None = None,
) -> MonteCarloResult:
    r"""Sample a pairwise measure with single-site heat-bath or Metropolis sweeps, many chains at once.

    .. math::
        p(s) \propto \prod_i P_0(s_i)\, e^{\beta(\frac12 s^\top J s + h^\top s)},
        \qquad s_i \mid s_{\setminus i} \sim P_0(s_i)\, e^{\beta f_i s_i},
        \quad f_i = h_i + \textstyle\sum_j J_{ij}s_j,

    with the update rules, the field bookkeeping and the error bars of the module
    docstring.

    Parameters
    ----------
    measure : Ising or SK
        The measure; ``'binary'`` (±1), ``'bernoulli'`` ({0, 1}) or ``'gaussian'`` units.
        Gaussian units need a positive definite precision :math:`I/\sigma^2 - \beta J`.
    n_sweeps : int
        Sweeps per chain, burn-in included (>= 2).
    n_chains : int
        Independent chains, advanced together (at least 2 for per-site error bars).
    method : {'heat-bath', 'metropolis'}
        Update rule.
    order : {'sequential', 'random'}
        Sites in the order 0 .. n-1 every sweep, or in a fresh random permutation.
    burn_in : int, optional
        Sweeps discarded at the start (default ``n_sweeps // 10``); at most
        ``n_sweeps - 2``, so that at least two sweeps are measured.
    rng : seed or Generator
        Normalised by ``np.random.default_rng``; the same seed gives the same numbers.
    init : array_like, optional
        Starting state, shape (n,) (every chain) or (n_chains, n); default a draw
        from the prior for every chain.
    progress : bool, optional
        Progress line on stderr once the run has lasted a few seconds (default: when
        stderr is a terminal).

    Returns
    -------
    MonteCarloResult

    Raises
    ------
    ValueError
        For bad parameters, units other than the three above, or a Gaussian measure
        that is not normalisable.
    """
    if isinstance(measure, Bipartite):  # the same measure on (v, h) when both layers share a prior
        measure = measure.as_ising()
    if not isinstance(measure, Ising):
        raise ValueError(f"measure must be an Ising, SK or Bipartite measure, got {measure!r}")
    units = measure.prior.name
    if units not in ("binary", "bernoulli", "gaussian"):
        raise ValueError(f"monte_carlo supports 'binary', 'bernoulli' and 'gaussian' units, got units={units!r}")
    n_sweeps = check_int("n_sweeps", n_sweeps, minimum=2, maximum=10**9)
    n_chains = check_int("n_chains", n_chains, minimum=1, maximum=10**6)
    method = check_choice("method", method, METHODS)
    order = check_choice("order", order, ORDERS)
    burn_in = n_sweeps // 10 if burn_in is None else burn_in
    burn_in = check_int("burn_in", burn_in, minimum=0)
    if burn_in > n_sweeps - 2:
        raise ValueError(
            f"burn_in must be <= n_sweeps - 2 = {n_sweeps - 2} (at least two sweeps are measured), got {burn_in}"
        )
    n_meas = n_sweeps - burn_in
    if n_meas * n_chains > 10**8:
        raise ValueError(
            f"(n_sweeps - burn_in) * n_chains = {n_meas * n_chains:.3g} measurements would not fit in "
            "memory; use fewer sweeps or chains (at most 1e8)"
        )
    n = measure.n
    J, h, beta = measure.J, measure.h, measure.beta
    if units == "gaussian":
        var = cast(GaussianPrior, measure.prior).variance_  # units is the prior's name
        _check_gaussian(measure, var)
    rng = as_rng(rng)
    X = _initial_state(measure, init, n_chains, rng)  # (n, C): one column per chain
    C = n_chains

    # per rule: the scale of the block rows, the per-sweep draws and the thresholds (module docstring)
    metropolis = method == "metropolis"
    gauss_mh = units == "gaussian" and metropolis
    log_odds = 0.0
    if units == "bernoulli":
        p_one = cast(BernoulliPrior, measure.prior).p  # units is the prior's name
        log_odds = math.log(p_one) - math.log1p(-p_one)
    scale = var * beta if units == "gaussian" and not metropolis else 1.0

    def uniform():
        """(n, C) uniforms on the open interval (0, 1): the midpoints of numpy's 2^-53 grid."""
        u = rng.random((n, C))
        u += 2.0**-54
        return u

    def draws():
        """Random numbers of one sweep, (n, C) (rows in visiting order), scaled so that ``theta`` is cheap.

        Standard logistic L = log(U / (1 - U)) and standard exponential R = -log(1 - U) by inversion."""
        if units == "gaussian":
            if metropolis:
                return (GAUSSIAN_STEP * math.sqrt(var)) * rng.standard_normal((n, C)), -np.log1p(-uniform())
            return (-math.sqrt(var)) * rng.standard_normal((n, C)), None
        u = uniform()
        if metropolis:  # R scaled: R / (2 beta) for +-1, R / beta for {0, 1}
            return np.log1p(-u, out=u) * (-0.5 / beta if units == "binary" else -1.0 / beta), None
        np.divide(u, 1.0 - u, out=u)
        np.log(u, out=u)
        if units == "binary":
            return u * (0.5 / beta), None
        return (u - log_odds) * (1.0 / beta), None

    def theta(x_old, a):
        """Thresholds of a block: its state and its (scaled) draws."""
        if not metropolis:
            return a
        if units == "binary":
            return x_old * a
        if units == "bernoulli":
            return (2.0 * x_old - 1.0) * a - log_odds / beta
        return 0.0

    buffers = {}

    def block(idx, jb, jcol):
        """A block of sites: L = scale * (strictly lower part of J_bb), the rows of [L | I] (as a matrix
        and paired with the state rows they update) and the block's columns of J."""
        b = jb.shape[0]
        if b not in buffers:
            aug = np.empty((2 * b, C))
            buffers[b] = (aug, list(aug[:b]), np.empty((b, C)), np.empty((b, C)), np.empty((b, C)))
        aug, xrows, tmp, f_blk, s_blk = buffers[b]
        low = scale * np.tril(jb, -1)
        rows = np.hstack([low, np.eye(b)])
        return idx, low, rows, jcol, aug, tmp, f_blk, s_blk, list(zip(rows, xrows))

    # ceil(n / BLOCK) blocks of nearly equal size (a short last block would cost as many iterations)
    edges = np.linspace(0, n, -(-n // BLOCK) + 1).round().astype(int)
    if order == "sequential":
        fixed_blocks = [
            block(sl, np.ascontiguousarray(J[sl, sl]), np.ascontiguousarray(J[:, sl]))
            for sl in (slice(a, b) for a, b in zip(edges[:-1], edges[1:]))
        ]

    H = J @ X + h[:, None]  # local fields h + J s, (n, C)
    energies = np.empty((n_meas, C))
    mags = np.empty((n_meas, C))
    m_sum = np.zeros((n, C))
    second = np.zeros((n, n))
    # states of consecutive measured sweeps are stacked and X X^T summed over a stack in one product;
    # {0, +-1} entries make float32 exact there (integer sums below 2^24)
    stack_sweeps = max(1, STACK_COLUMNS // C)
    stack = np.empty((n, C * stack_sweeps), dtype=np.float32 if units != "gaussian" else float)
    stacked = 0
    # matrix products inside the loop are cut into row panels of at most SERIAL_PRODUCT
    # multiply-adds: a multi-threaded BLAS call between the many small single-site operations
    # leaves worker threads spinning, which on a busy machine slows the whole loop several-fold
    update_panels = _panels(n, n_cols=C, inner=min(BLOCK, n))
    refresh_panels = _panels(n, n_cols=C, inner=n)
    accepted: int | np.intp = 0
    f = np.empty(C)
    h_change = np.empty((n, C))
    dot, sign, subtract, heaviside = np.dot, np.sign, np.subtract, np.heaviside
    decide = sign if units == "binary" else (lambda x, out: heaviside(x, 1.0, out))
    discrete = units != "gaussian"
    show = sys.stderr.isatty() if progress is None else check_bool("progress", progress)
    t0 = last_print = time.perf_counter()
    printed = False

    for sweep in range(n_sweeps):
        a_draw, b_draw = draws()
        if order == "sequential":
            blocks = fixed_blocks
        else:
            perm = rng.permutation(n)
            blocks = [
                block(idx, J[np.ix_(idx, idx)], J[:, idx]) for idx in (perm[a:b] for a, b in zip(edges[:-1], edges[1:]))
            ]
        changed: int | np.intp = 0  # np.count_nonzero gives np.intp
        pos = 0
        for idx, low, _rows, jcol, aug, tmp, f_blk, s_blk, pairs in blocks:
            b = low.shape[0]
            x_old = X[idx]
            top, c = aug[:b], aug[b:]
            # c = scale H - theta - L x_old, so that site k, after the sites before it in the block, sees
            # c_k + (L s_new)_k.  Outputs are passed by position: keyword ``out=`` costs as much again on
            # arrays this small.
            if scale != 1.0:
                subtract(H[idx] * scale, theta(x_old, a_draw[pos : pos + b]), c)
            else:
                subtract(H[idx], theta(x_old, a_draw[pos : pos + b]), c)
            first = 0  # sites before ``first`` are final
            if discrete:
                # fixed point of s = decide(c + L s), iterated from s = decide(c + L x_old): L is strictly
                # lower triangular, so the k-th iterate is exact on the first k sites, and an iterate that
                # repeats is exact everywhere (the same states as updating the sites one by one)
                decide(c, top)
                dot(low, x_old, tmp)
                c -= tmp
                for _ in range(ITERATIONS):
                    dot(low, top, f_blk)
                    f_blk += c
                    decide(f_blk, s_blk)
                    first += 1
                    if s_blk.tobytes() == top.tobytes():  # (cheaper than array_equal here)
                        first = b
                        break
                    top[...] = s_blk
                for row, xrow in pairs[first:]:  # the rest (if any) site by site
                    dot(row, aug, f)
                    decide(f, xrow)
                if units == "binary":  # a tie f = theta (probability ~1e-16 per update) gave 0: make it +1
                    np.copysign(1.0, top, top)
            else:
                top[...] = x_old
                c -= dot(low, x_old, tmp)
            if not discrete and not gauss_mh:
                for row, xrow in pairs:
                    dot(row, aug, f)
                    np.copyto(xrow, f)
            elif gauss_mh:
                steps, expo = a_draw[pos : pos + b], b_draw[pos : pos + b]
                for k, (row, x) in enumerate(pairs):
                    dot(row, aug, f)
                    y = x + steps[k]
                    log_ratio = (y - x) * (beta * f - (y + x) / (2.0 * var))
                    np.copyto(x, y, where=expo[k] > -log_ratio)
            delta = subtract(top, x_old, tmp)
            X[idx] = top
            for sl in update_panels:
                dot(jcol[sl], delta, h_change[sl])
            H += h_change
            if metropolis:
                changed += np.count_nonzero(delta)
            pos += b
        if (sweep + 1) % REFRESH == 0:
            for sl in refresh_panels:
                dot(J[sl], X, out=H[sl])
            H += h[:, None]
        t = sweep - burn_in
        if t >= 0:
            accepted += changed
            energies[t] = -0.5 * (np.einsum("ic,ic->c", X, H) + h @ X)
            mags[t] = X.sum(axis=0)
            m_sum += X
            stack[:, stacked * C : (stacked + 1) * C] = X
            stacked += 1
            if stacked == stack_sweeps or sweep == n_sweeps - 1:
                part = stack[:, : stacked * C]
                second += dot(part, part.T)
                stacked = 0
        if show:
            now = time.perf_counter()
            if now - t0 > 2.0 and now - last_print > 1.0:
                last_print = now
                printed = True
                print(
                    f"\rmonte_carlo ({method}, n={n}, {C} chains): sweep {sweep + 1} / {n_sweeps}",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )
    if printed:
        print(file=sys.stderr)
    elapsed = max(time.perf_counter() - t0, 1e-12)

    chain_means = m_sum / n_meas  # (n, C)
    m = chain_means.mean(axis=1)
    m_err = chain_means.std(axis=1, ddof=1) / math.sqrt(C) if C > 1 else np.full(n, math.nan)
    second /= n_meas * C
    e_stats = _series_stats(energies)
    m_stats = _series_stats(mags)
    ok = all(s[3] > 0 and n_meas >= MIN_LENGTH_IN_TAU * s[2] for s in (e_stats, m_stats))
    if ok:
        message = (
            f"autocorrelation times {e_stats[2]:.3g} (energy), {m_stats[2]:.3g} (magnetisation) sweeps; "
            f"{n_meas} measured sweeps per chain"
        )
    elif math.isnan(e_stats[2]) or math.isnan(m_stats[2]):
        message = (
            f"no fluctuation of the {'energy' if math.isnan(e_stats[2]) else 'magnetisation'} in "
            f"{n_meas} measured sweeps per chain: the chains are frozen, error bars are not meaningful"
        )
    else:
        message = (
            f"autocorrelation time not resolved: tau = {e_stats[2]:.3g} (energy), {m_stats[2]:.3g} "
            f"(magnetisation) sweeps with {n_meas} measured sweeps per chain (need >= "
            f"{MIN_LENGTH_IN_TAU:g} tau and a window); run longer"
        )
    return MonteCarloResult(
        m=m,
        m_err=m_err,
        second_moment=second,
        correlation=second - np.outer(m, m),
        energy=e_stats[0],
        energy_err=e_stats[1],
        energy_var=e_stats[4],
        magnetisation=m_stats[0],
        magnetisation_err=m_stats[1],
        tau_energy=e_stats[2],
        tau_magnetisation=m_stats[2],
        window_energy=e_stats[3],
        window_magnetisation=m_stats[3],
        converged=bool(ok),
        acceptance_rate=accepted / (n_meas * n * C) if metropolis else 1.0,
        n_sweeps=n_sweeps,
        burn_in=burn_in,
        n_chains=C,
        n_samples=n_meas * C,
        method=method,
        order=order,
        updates_per_second=n_sweeps * n * C / elapsed,
        final_state=np.ascontiguousarray(X.T),
        measure=repr(measure),
        message=message,
    )


def _panels(n_rows: int, n_cols: int, inner: int) -> list[slice]:
    """Row slices of an (n_rows, inner) x (inner, n_cols) product with at most SERIAL_PRODUCT multiply-adds each."""
    step = max(1, SERIAL_PRODUCT // max(1, inner * n_cols))
    return [slice(a, min(a + step, n_rows)) for a in range(0, n_rows, step)]


def _series_stats(x: np.ndarray) -> tuple[float, float, float, int, float]:
    """(mean, stderr, tau, window, variance) of a (T, C) series of independent chains (module docstring)."""
    T, C = x.shape
    mean = float(x.mean())
    var = float(np.mean(x.var(axis=0)))
    tau, window = integrated_autocorrelation_time(x)
    if math.isnan(tau):  # constant chains: no fluctuation seen
        return mean, 0.0, math.nan, 0, var
    if tau > 0:
        err = math.sqrt(2.0 * tau * var / (T * C))
    elif C > 1:  # an estimate <= 0 is noise: fall back on the spread of the chain means
        err = float(np.std(x.mean(axis=0), ddof=1)) / math.sqrt(C)
    else:
        err = math.nan
    return mean, err, tau, window, var
