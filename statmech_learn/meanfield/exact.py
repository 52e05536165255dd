r"""Exact enumeration of a pairwise measure over discrete units.

For a measure of :mod:`statmech_learn.meanfield.measures` with ±1 spins or {0, 1}
units, every one of the :math:`2^n` configurations is visited:

.. math::
    Z = \sum_{s} \prod_i P_0(s_i)\, e^{-\beta E(s)}, \qquad
    E(s) = -\tfrac12 s^\top J s - h^\top s,

:math:`\langle f\rangle = Z^{-1}\sum_s \prod_i P_0(s_i)\, e^{-\beta E(s)} f(s)`.
``log Z`` is that of the prior-weighted sum, the convention of the subpackage:
for ±1 spins (:math:`P_0 = 1/2` each) it is :math:`\log\sum_s e^{-\beta E(s)} - n\log 2`,
for {0, 1} units with :math:`P_0(1) = p` the weight of a configuration with k ones
is :math:`p^k (1-p)^{n-k}`.

The configurations are the bit patterns of the integers :math:`0 \dots 2^n - 1`
(bit i is unit i), taken in blocks of at most ``chunk`` consecutive integers.  A
block is a product set: all :math:`2^{n_\ell}` patterns of the low bits times K
patterns of the high bits, :math:`s = (s_\ell, s_h)`, so that its energies are

.. math::
    E = E_\ell(s_\ell) + E_h(s_h) - s_\ell^\top J_{\ell h}\, s_h,

a table of low-bit energies computed once, K high-bit energies and one
:math:`(2^{n_\ell}\times n_\ell)(n_\ell\times K)` matrix product; the second moments
of a block are :math:`S_\ell^\top \mathrm{diag}(r) S_\ell`,
:math:`S_\ell^\top P S_h` and :math:`S_h^\top \mathrm{diag}(c) S_h` with P the
block's :math:`2^{n_\ell}\times K` weights and r, c their row and column sums.  The cost is
:math:`O(2^n n)` rather than :math:`O(2^n n^2)`.

The blocks are merged into running totals in log scale (a running log-sum-exp):
with block weights :math:`W_a, W_b` kept as logarithms and fractions
:math:`f_{a,b} = W_{a,b}/(W_a + W_b)`, means and second moments are
:math:`f_a x_a + f_b x_b`, and the energy variance follows the pairwise update of
Chan, Golub & LeVeque (1979, "Updating formulae and a pairwise algorithm for
computing sample variances"),
:math:`V = f_a V_a + f_b V_b + f_a f_b (\bar E_b - \bar E_a)^2`, so that nothing
overflows and memory stays :math:`O(\text{chunk} + n^2)`.  The connected
correlations :math:`\langle s_i s_j\rangle - m_i m_j` are accurate to a few
:math:`10^{-16}` in absolute terms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import numpy as np

from .._validation import check_int
from ..citations import _cites
from ..gibbs.priors import BernoulliPrior
from ..results import Result
from .measures import Bipartite, Ising

__all__ = ["ExactResult", "exact", "MAX_UNITS"]

#: largest number of units enumerated (2^24 = 16.8 million configurations)
MAX_UNITS = 24


@dataclass(frozen=True, repr=False)
class ExactResult(Result):
    r"""Exact averages of a pairwise measure over discrete units.

    Attributes
    ----------
    log_partition : float
        :math:`\log Z` of the prior-weighted sum (module docstring).
    m : (n,) array
        Magnetisations :math:`m_i = \langle s_i\rangle`.
    second_moment : (n, n) array
        :math:`\langle s_i s_j\rangle` (diagonal: :math:`\langle s_i^2\rangle`, 1 for ±1 spins).
    correlation : (n, n) array
        Connected correlations :math:`C_{ij} = \langle s_i s_j\rangle - m_i m_j`.
    energy : float
        Mean energy :math:`\langle E\rangle`, :math:`E(s) = -\tfrac12 s^\top J s - h^\top s`.
    energy_var : float
        :math:`\langle E^2\rangle - \langle E\rangle^2`
        (:math:`= \partial_\beta^2 \log Z`; the specific heat per unit is :math:`\beta^2`
        times this over n).
    n : int
        Number of units.
    n_states : int
        Configurations enumerated, :math:`2^n`.
    beta : float
        Inverse temperature of the measure.
    units : str
        Name of the unit prior.
    measure : str
        Repr of the measure.
    """

    log_partition: float
    m: np.ndarray
    second_moment: np.ndarray
    correlation: np.ndarray
    energy: float
    energy_var: float
    n: int
    n_states: int
    beta: float
    units: str
    measure: str

    @property
    def free_entropy(self) -> float:
        r"""Free entropy per unit, :math:`\log Z / n`."""
        return self.log_partition / self.n


def _bits(start: int, stop: int, n: int) -> np.ndarray:
    """The n low bits of the integers start .. stop-1 as a (stop - start, n) float array (bit i in column i)."""
    idx = np.arange(start, stop, dtype="<u4")
    bits = np.unpackbits(idx.view(np.uint8).reshape(-1, 4), axis=1, bitorder="little")
    return bits[:, :n].astype(float)


@_cites
def exact(measure: Ising, *, chunk: int = 2**16) -> ExactResult:
    r"""Averages of a pairwise measure by summing over all :math:`2^n` configurations.

    .. math::
        \log Z = \log \sum_{s} \prod_i P_0(s_i)\, e^{\beta(\frac12 s^\top J s + h^\top s)},
        \quad m_i = \langle s_i\rangle, \quad C_{ij} = \langle s_i s_j\rangle - m_i m_j,

    together with :math:`\langle E\rangle` and :math:`\mathrm{Var}\,E`.  The sum is taken in
    blocks of ``chunk`` configurations and merged with a running log-sum-exp
    (module docstring), so neither memory nor the exponentials grow with n.

    Parameters
    ----------
    measure : Ising or SK
        A measure with ``'binary'`` (±1) or ``'bernoulli'`` ({0, 1}) units and at most
        :data:`MAX_UNITS` = 24 units.
    chunk : int
        Configurations per block (1 to 2^24); the results do not depend on it
        beyond rounding.

    Returns
    -------
    ExactResult

    Raises
    ------
    ValueError
        For continuous units (use :func:`~statmech_learn.meanfield.monte_carlo.monte_carlo`),
        more than 24 units, or a bad ``chunk``.

    Notes
    -----
    The cost is :math:`O(2^n n)` (module docstring): a fraction of a second for
    n = 22 (4.2 million configurations; see ``benchmarks/meanfield.py``).  For ±1
    spins with J = 0 the result is the independent-spin closed form
    :math:`\log Z = \sum_i \log\cosh\beta h_i`, :math:`m = \tanh\beta h`; for an open
    chain with uniform coupling and no field,
    :math:`\log Z = (n - 1)\log\cosh\beta J` (the transfer matrix of the
    one-dimensional Ising model, Baxter 1982, *Exactly Solved Models in
    Statistical Mechanics*, ch. 2).
    """
    if isinstance(measure, Bipartite):  # the same measure on (v, h) when both layers share a prior
        measure = measure.as_ising()
    if not isinstance(measure, Ising):
        raise ValueError(f"measure must be an Ising, SK or Bipartite measure, got {measure!r}")
    units = measure.prior.name
    if units not in ("binary", "bernoulli"):
        raise ValueError(
            f"exact enumeration needs discrete units ('binary' or 'bernoulli'), got units={units!r}; "
            "use monte_carlo for continuous units"
        )
    n = measure.n
    if n > MAX_UNITS:
        raise ValueError(
            f"exact enumeration is limited to n <= {MAX_UNITS} units (2^{MAX_UNITS} configurations), "
            f"got n={n}; use monte_carlo or tap instead"
        )
    chunk = check_int("chunk", chunk, minimum=1, maximum=2**MAX_UNITS)
    J, h, beta = measure.J, measure.h, measure.beta
    n_states = 1 << n
    chunk = min(chunk, n_states)
    # a block: all patterns of the n_lo low bits times k_hi consecutive patterns of the high bits
    b = chunk.bit_length() - 1  # 2^b <= chunk
    n_lo = b - b // 2
    n_hi = n - n_lo
    k_hi = chunk >> n_lo
    binary = units == "binary"
    if binary:
        log_prior_const, log_one = -n * math.log(2.0), 0.0
    else:
        p = cast(BernoulliPrior, measure.prior).p  # units is the prior's name
        log_prior_const, log_one = n * math.log1p(-p), math.log(p) - math.log1p(-p)

    def values(bits):
        return 2.0 * bits - 1.0 if binary else bits

    def part(bits, sl):
        """Unit values, energies within the part ``sl`` and log prior weight (up to a constant)."""
        s = values(bits)
        e = -0.5 * np.einsum("ki,ki->k", s @ J[sl, sl], s) - s @ h[sl]
        return s, e, log_one * bits.sum(axis=1)

    lo, hi = slice(0, n_lo), slice(n_lo, n)
    s_lo, e_lo, a_lo = part(_bits(0, 1 << n_lo, n_lo), lo)
    j_cross = J[lo, hi]

    log_w_total = -math.inf
    mu = np.zeros(n)
    second = np.zeros((n, n))
    e_mu = 0.0
    e_var = 0.0
    for start in range(0, 1 << n_hi, k_hi):
        s_hi, e_hi, a_hi = part(_bits(start, min(start + k_hi, 1 << n_hi), n_hi), hi)
        energy = e_lo[:, None] + e_hi[None, :] - s_lo @ (j_cross @ s_hi.T)  # (2^n_lo, k)
        log_w = -beta * energy
        if log_one:
            log_w += a_lo[:, None] + a_hi[None, :]
        top = float(np.max(log_w))
        w = np.exp(log_w - top)
        w_sum = float(np.sum(w))
        prob = w / w_sum
        log_w_block = top + math.log(w_sum)
        r, c = prob.sum(axis=1), prob.sum(axis=0)
        mu_b = np.concatenate([r @ s_lo, c @ s_hi])
        second_b = np.empty((n, n))
        second_b[lo, lo] = s_lo.T @ (r[:, None] * s_lo)
        second_b[hi, hi] = s_hi.T @ (c[:, None] * s_hi)
        second_b[lo, hi] = (s_lo.T @ prob) @ s_hi
        second_b[hi, lo] = second_b[lo, hi].T
        e_mu_b = float(np.sum(prob * energy))
        e_var_b = float(np.sum(prob * (energy - e_mu_b) ** 2))
        # merge into the running totals, fractions computed in log scale
        log_w_new = float(np.logaddexp(log_w_total, log_w_block))
        f_a = math.exp(log_w_total - log_w_new)
        f_b = math.exp(log_w_block - log_w_new)
        mu = f_a * mu + f_b * mu_b
        second = f_a * second + f_b * second_b
        d_e = e_mu_b - e_mu
        e_mu = f_a * e_mu + f_b * e_mu_b
        e_var = f_a * e_var + f_b * e_var_b + f_a * f_b * d_e * d_e
        log_w_total = log_w_new

    second = 0.5 * (second + second.T)
    second[np.diag_indices(n)] = 1.0 if binary else mu  # s_i^2 = 1 on ±1, s_i on {0, 1}
    cov = second - np.outer(mu, mu)
    return ExactResult(
        log_partition=log_w_total + log_prior_const,
        m=mu,
        second_moment=second,
        correlation=cov,
        energy=e_mu,
        energy_var=e_var,
        n=n,
        n_states=n_states,
        beta=beta,
        units=units,
        measure=repr(measure),
    )
