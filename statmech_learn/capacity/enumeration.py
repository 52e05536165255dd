r"""Binary weights: exact storage decisions by exhaustive enumeration of the sign vectors.

The rows :math:`G_\mu = y_\mu\mathbf x_\mu^{\mathsf T}` of an instance are stored
with margin :math:`\kappa \ge 0` by :math:`\mathbf w \in \{-1,+1\}^n` iff

.. math:: y_\mu z_\mu = \frac{G_\mu\mathbf w}{\sqrt n} \ge \kappa \quad \forall \mu .

All :math:`2^n` sign vectors are enumerated (n <= 24), one of each pair
:math:`\pm\mathbf w` explicitly: w stores the patterns iff
:math:`\min_\mu y_\mu z_\mu \ge \kappa` and -w iff
:math:`\max_\mu y_\mu z_\mu \le -\kappa`.  With
:math:`\mathbf w = (+1, \mathbf w_{low}, \mathbf w_{high})` and index
:math:`k = k_{low} + 2^b k_{high}`, the preactivations of all sign vectors are
sums of two tables, one per half of the components,

.. math:: \sqrt n\, y_\mu z_\mu = t_{high}[\mu, k_{high}] + t_{low}[\mu, k_{low}],

computed pattern by pattern, and vectors are dropped as soon as they fail a
pattern.  :func:`_binary_max_prefix` returns the largest number of leading
patterns that one sign vector stores; it is the exact benchmark for the
capacity :math:`\alpha_c \simeq 0.833` of binary weights at :math:`\kappa = 0`
[KrauthMezard1989].

References
----------
* [KrauthMezard1989] W. Krauth and M. Mezard, "Storage capacity of memory
  networks with binary couplings", J. Phys. France 50, 3057-3066 (1989).
"""

from __future__ import annotations

import math

import numpy as np

# Sign vectors per block of the binary enumeration: 2 MB per float64 array of
# preactivations, about 10 MB of working memory per block in all.
_BINARY_BLOCK = 1 << 18
# Bytes of cached preactivation tables of the binary enumeration.
_BINARY_CACHE = 32 << 20
_LOW_BITS = 12


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
        # Grid phase: every vector of the block, one pattern at a time.  All
        # vectors (pos) and their negatives (neg) start alive; P >= 1, so the
        # loop tests at least one pattern.
        pos = np.ones((h1 - h0, n_low), dtype=bool)
        neg = np.ones((h1 - h0, n_low), dtype=bool)
        mu = 0
        alive = 2 * pos.size
        while mu < P:
            th, tl = tables(mu, mu + 1)
            z = th[0, h0:h1, None] + tl[0, None, :]
            pos &= z >= thr
            neg &= z <= -thr
            mu += 1
            alive = int(np.count_nonzero(pos) + np.count_nonzero(neg))
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
