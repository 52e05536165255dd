r"""Stationary statistics of many independent chains advanced together.

A :class:`ChainRecorder` receives the states (n_chains, d) of every step after
burn-in.  It accumulates, per chain, the time sums of the deviation
:math:`x = w - c` from a fixed centre c (no cancellation when the fluctuations
are small compared with c) and of :math:`x x^\top`, and keeps every
``thin``-th state.  The estimates:

- mean and covariance pooled over chains and steps (the covariance about the
  pooled mean);
- their standard errors from the spread of the per-chain estimates over the
  independent chains, :math:`\mathrm{sd}_k/\sqrt K` -- valid whatever the
  autocorrelation inside a chain, once each chain is much longer than its
  autocorrelation time (the batch-means method with one batch per chain;
  Flegal & Jones 2010, Ann. Stat. 38, 1034);
- the integrated autocorrelation time of each coordinate,
  :math:`\tau = 1 + 2\sum_{k\ge1}\rho_k`, from the same spread:
  :math:`\mathrm{Var}(\bar x_{chain}) \simeq \tau\,\mathrm{Var}(x)/n`
  (Sokal 1997, "Monte Carlo methods in statistical mechanics", eq. 2.20).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ChainRecorder"]

_BLOCK = 256


class ChainRecorder:
    """Accumulate per-chain moments of ``n_steps`` recorded states of ``n_chains`` chains in dimension d."""

    def __init__(self, n_chains: int, dim: int, n_steps: int, thin: int, center=None, moments: bool = True) -> None:
        self.n_chains, self.dim, self.n_steps, self.thin = n_chains, dim, n_steps, thin
        self.center = np.zeros(dim) if center is None else np.asarray(center, dtype=float)
        self.moments = moments
        self.s1 = np.zeros((n_chains, dim))
        self.s2 = np.zeros((n_chains, dim, dim)) if moments else None
        self.buf = np.empty((_BLOCK, n_chains, dim))
        self.fill = 0
        self.count = 0
        self.samples = np.empty((n_chains, n_steps // thin, dim))
        self.kept = 0

    def push(self, w: np.ndarray) -> None:
        """Record the states ``w`` (n_chains, d) of one step."""
        self.count += 1
        if self.count % self.thin == 0 and self.kept < self.samples.shape[1]:
            self.samples[:, self.kept] = w
            self.kept += 1
        self.buf[self.fill] = w
        self.fill += 1
        if self.fill == _BLOCK:
            self._flush()

    def _flush(self) -> None:
        if self.fill == 0:
            return
        x = self.buf[: self.fill] - self.center
        self.s1 += x.sum(axis=0)
        if self.moments:
            self.s2 += np.einsum("tci,tcj->cij", x, x)
        self.fill = 0

    def summary(self) -> dict[str, np.ndarray]:
        """Pooled mean, covariance, their standard errors and the autocorrelation times."""
        self._flush()
        n, K = self.count, self.n_chains
        m_chain = self.s1 / n  # (K, d), about the centre
        m = m_chain.mean(axis=0)
        mean = self.center + m
        mean_se = m_chain.std(axis=0, ddof=1) / np.sqrt(K) if K > 1 else np.full(self.dim, np.nan)
        out = {"mean": mean, "mean_stderr": mean_se, "samples": self.samples[:, : self.kept]}
        if not self.moments:
            return out
        assert self.s2 is not None  # allocated in __init__ whenever self.moments
        # per-chain second moment about the pooled mean
        c_chain = (
            self.s2 / n
            - np.einsum("ci,j->cij", m_chain, m)
            - np.einsum("i,cj->cij", m, m_chain)
            + np.einsum("i,j->ij", m, m)[None]
        )
        cov = c_chain.mean(axis=0)
        cov = 0.5 * (cov + cov.T)
        cov_se = c_chain.std(axis=0, ddof=1) / np.sqrt(K) if K > 1 else np.full((self.dim, self.dim), np.nan)
        var = np.diag(cov)
        with np.errstate(divide="ignore", invalid="ignore"):
            tau = (
                np.where(var > 0, n * m_chain.var(axis=0, ddof=1) / var, np.nan) if K > 1 else np.full(self.dim, np.nan)
            )
        out.update(covariance=cov, covariance_stderr=cov_se, autocorr_time=tau)
        return out
