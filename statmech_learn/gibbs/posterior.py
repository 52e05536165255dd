r"""The Gibbs posterior: a prior times a product of channel likelihoods.

.. math::
    p(\mathbf w \mid X, \mathbf y) = \frac{1}{Z}\prod_{i=1}^N P_0(w_i)
        \prod_{\mu=1}^P P_{out}\!\Big(y_\mu \,\Big|\, \frac{\mathbf x_\mu\cdot\mathbf w}{\sqrt N}\Big),
    \qquad \log Z \text{ the free entropy.}

For empirical risk minimisation :math:`P_{out} = e^{-\beta\,\ell}`; for Gardner's
storage problem the labels are random and :math:`P_{out} = \theta(yz-\kappa)`
(:class:`~statmech_learn.gibbs.channels.Margin`), so Z is the fraction of
weight space that stores the patterns.

This module holds what every solver shares: the log-weight of one
configuration, exact enumeration of Z for small binary systems, and the
replica-symmetric equations of the storage problem,

.. math::
    \hat q = \alpha\, \mathbb E_{y,t}\, g_{out}(y,\sqrt q t,1-q)^2, \qquad
    q = q_{prior}(\hat q), \qquad
    \phi_{RS} = \psi_w(\hat q, q) + \alpha\, \psi_{out}(q),

which reduce to Gardner (1988) for the spherical prior and to Krauth & Mezard
(1989) for the binary one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit, logsumexp

from .._roots import bisect
from ..citations import _cites
from .channels import Channel, make_channel
from .priors import BinaryPrior, Prior, make_prior

__all__ = ["GibbsPosterior"]


@_cites
@dataclass(frozen=True)
class GibbsPosterior:
    """Gibbs posterior of a generalised linear model: ``prior`` x ``channel``.

    Parameters
    ----------
    prior : Prior or str
        Base measure over one weight ('gaussian', 'binary', 'spherical').
    channel : Channel or str
        Likelihood of a label given the preactivation ('sign', 'margin', 'gaussian').
    """

    prior: Prior
    channel: Channel

    def __init__(self, prior: Prior | str, channel: Channel | str) -> None:
        object.__setattr__(self, "prior", make_prior(prior))
        object.__setattr__(self, "channel", make_channel(channel))

    # Finite instances ----------------------------------------------------
    def preactivations(self, w: ArrayLike, X: ArrayLike) -> np.ndarray:
        r""":math:`z_\mu = \mathbf x_\mu\cdot\mathbf w/\sqrt N` for one or many weight vectors.

        ``w`` has shape (N,) or (N, K); ``X`` has shape (P, N).
        """
        X = np.asarray(X, dtype=float)
        return X @ np.asarray(w, dtype=float) / np.sqrt(X.shape[1])

    def log_weight(self, w: ArrayLike, X: ArrayLike, y: ArrayLike) -> np.ndarray:
        r"""Unnormalised log posterior :math:`\sum_i\log P_0(w_i) + \sum_\mu \log P_{out}(y_\mu|z_\mu)`.

        ``w`` of shape (N,) gives a scalar, (N, K) gives K values.
        """
        w = np.asarray(w, dtype=float)
        z = self.preactivations(w, X)
        y = np.asarray(y, dtype=float)
        y = y[:, None] if z.ndim == 2 else y
        return np.sum(self.prior.log_density(w), axis=0) + np.sum(self.channel.log_likelihood(y, z), axis=0)

    def log_partition_enumerate(self, X: ArrayLike, y: ArrayLike, chunk: int = 1 << 16) -> float:
        r"""Exact :math:`\log Z = \log \sum_{\mathbf w\in\{\pm1\}^N} P_0(\mathbf w)\prod_\mu P_{out}`
        by enumerating all :math:`2^N` binary weight vectors (binary prior only, N <= 24).

        Returns -inf when no configuration has positive weight.
        """
        if not isinstance(self.prior, BinaryPrior):
            raise ValueError(f"prior must be BinaryPrior for exact enumeration, got {self.prior!r}")
        X = np.asarray(X, dtype=float)
        n = X.shape[1]
        if n > 24:
            raise ValueError(f"n must be <= 24 for exact enumeration, got {n}")
        total = []
        for start in range(0, 1 << n, chunk):
            idx = np.arange(start, min(start + chunk, 1 << n))
            W = 1.0 - 2.0 * ((idx[None, :] >> np.arange(n)[:, None]) & 1)
            total.append(logsumexp(self.log_weight(W, X, y)))
        return float(logsumexp(total))

    # Replica-symmetric storage problem -----------------------------------
    def rs_storage_update(self, q: ArrayLike, alpha: ArrayLike, v: ArrayLike | None = None):
        r"""One application of the RS map :math:`q \mapsto q_{prior}(\alpha\,\mathbb E g_{out}^2)`.

        Returns ``(q_new, 1 - q_new, qhat)``; ``v = 1 - q`` may be given for precision.
        """
        g2, _ = self.channel.rs_storage(q, v)
        qhat = np.asarray(alpha, dtype=float) * g2
        q_new, v_new = self.prior.rs_overlap(qhat)
        return q_new, v_new, qhat

    def rs_storage_free_entropy(self, q: ArrayLike, alpha: ArrayLike, v: ArrayLike | None = None):
        r"""RS free entropy :math:`\psi_w(\hat q(q), q) + \alpha\,\psi_{out}(q)` per weight.

        Equal to the saddle-point value when q solves the RS equations.
        """
        g2, psi_out = self.channel.rs_storage(q, v)
        alpha = np.asarray(alpha, dtype=float)
        return self.prior.rs_potential(alpha * g2, q, v) + alpha * psi_out

    def solve_rs_storage(self, alpha: ArrayLike, xtol: float = 1e-13, max_iter: int = 200):
        r"""Solve the RS storage equations for every alpha at once.

        The fixed point is sought in the logit :math:`u = \log(q/(1-q))`, on which
        :math:`F(u) = \mathrm{logit}(q_{new}(q(u))) - u` decreases from positive
        (q -> 0) to negative (q -> 1, below the q -> 1 limit of the RS solution);
        vectorised bisection then finds it with the bracket width as an explicit
        criterion.

        Returns
        -------
        dict with arrays ``q``, ``one_minus_q``, ``qhat``, ``free_entropy``,
        ``converged``, ``n_iter``, ``residual`` (relative change of 1 - q under one more map).
        """
        alpha = np.atleast_1d(np.asarray(alpha, dtype=float))

        def resid(u):
            q, v = expit(u), expit(-u)
            q_new, v_new, _ = self.rs_storage_update(q, alpha, v)
            with np.errstate(divide="ignore"):
                return np.log(q_new) - np.log(v_new) - u

        lo = np.full(alpha.shape, -30.0)
        for _ in range(20):  # widen downwards for tiny alpha
            bad = resid(lo) <= 0
            if not np.any(bad):
                break
            lo = np.where(bad, lo - 30.0, lo)
        hi = np.full(alpha.shape, 4.0)
        for _ in range(6):  # widen upwards as q -> 1 (up to 1 - q ~ 1e-28)
            bad = resid(hi) >= 0
            if not np.any(bad):
                break
            hi = np.where(bad, 2.0 * hi, hi)
        u, converged, n_iter = bisect(resid, lo, hi, xtol=xtol, max_iter=max_iter)
        q, v = expit(u), expit(-u)
        _, v_new, qhat = self.rs_storage_update(q, alpha, v)
        residual = np.abs(v_new - v) / np.where(v > 0, v, 1.0)
        free_entropy = self.rs_storage_free_entropy(q, alpha, v)
        converged = converged & np.isfinite(free_entropy)
        return {
            "q": q,
            "one_minus_q": v,
            "qhat": qhat,
            "free_entropy": free_entropy,
            "converged": converged,
            "n_iter": n_iter,
            "residual": residual,
        }
