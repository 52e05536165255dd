r"""Markov chain Monte Carlo on the Gibbs posterior of a generalised linear model.

The posterior

.. math::
    p(\mathbf w \mid X, \mathbf y) \propto \prod_{i=1}^N P_0(w_i)
        \prod_{\mu=1}^P P_{out}\big(y_\mu \mid z_\mu\big), \qquad z_\mu = \frac{\mathbf x_\mu\cdot\mathbf w}{\sqrt N},

is sampled one weight at a time (Metropolis within Gibbs).  For weight i the proposal
:math:`w_i' \sim P_0` is drawn from the prior, independently of :math:`w_i`, so that the
Metropolis-Hastings ratio is the likelihood ratio alone,

.. math::
    A = \min\Big(1, \prod_\mu \frac{P_{out}(y_\mu \mid z_\mu + x_{\mu i}(w_i' - w_i)/\sqrt N)}
        {P_{out}(y_\mu \mid z_\mu)}\Big),

and the conditional law of :math:`w_i` given the others is left invariant for any separable
prior that can be sampled and any channel with a finite log-likelihood (Tierney 1994, Ann.
Statist. 22, 1701).  A sweep visits the weights in order; each update costs O(P) with the
preactivations kept up to date.  Many chains (instances, replicas) run side by side as one
batch, so the loop over weights is the only Python loop.

The channel's log-likelihood must be finite everywhere (:class:`~.channels.ErrorCounting`,
:class:`~.channels.NoisySign`, :class:`~.channels.Probit`, :class:`~.channels.GaussianNoise`):
a hard constraint such as :class:`~.channels.Sign` gives a posterior whose support a chain
started outside cannot find by prior proposals.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._validation import as_rng, check_finite, check_int
from ..citations import _cites
from .channels import Channel, Sign, _MixedSign
from .priors import GaussianPrior, Prior, SphericalPrior

__all__ = ["metropolis_within_gibbs", "sign_channel_weights", "truncated_gaussian_hmc", "split_rhat"]

#: largest number of sweeps accepted
MAX_SWEEPS = 10**7
#: wall hits allowed in one Hamiltonian trajectory before it is reported as stuck
MAX_BOUNCES = 10**6


@_cites
def metropolis_within_gibbs(
    prior: Prior,
    channel: Channel,
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    n_sweeps: int,
    rng=None,
    observe: Callable[[np.ndarray, np.ndarray], None] | None = None,
) -> tuple[np.ndarray, float]:
    r"""Run ``n_sweeps`` Metropolis-within-Gibbs sweeps on a batch of posteriors.

    Parameters
    ----------
    prior : Prior
        Separable prior :math:`P_0` with a ``sample`` method (not the spherical prior, which is
        not a product measure).
    channel : Channel
        Likelihood :math:`P_{out}(y\mid z)` through ``channel.log_likelihood``, finite everywhere.
    X : ndarray, shape (B, P, N)
        Patterns of each of the B chains (unscaled: :math:`z = Xw/\sqrt N`).
    y : ndarray, shape (B, P)
        Labels.
    w : ndarray, shape (B, N)
        Starting weights (copied).
    n_sweeps : int
        Number of sweeps over the N weights.
    rng : None, int, SeedSequence or Generator
        Normalised by ``np.random.default_rng``.
    observe : callable, optional
        Called after every sweep as ``observe(w, z)`` with the current weights (B, N) and
        preactivations (B, P); the arrays are the sampler's own, to be read, not kept.

    Returns
    -------
    w : ndarray, shape (B, N)
        The weights after the last sweep.
    acceptance : float
        Fraction of accepted proposals over all chains and sweeps (NaN for zero sweeps).
    """
    if not isinstance(prior, Prior) or not isinstance(channel, Channel):
        raise ValueError(f"prior must be a Prior and channel a Channel, got {prior!r} and {channel!r}")
    if isinstance(prior, SphericalPrior):
        raise ValueError(
            "prior must be a product measure; the spherical prior is not (use the Gaussian prior, "
            "which has the same thermodynamic limit)"
        )
    X, y, w, n_sweeps, g = _check_batch(X, y, w, n_sweeps, rng, observe)
    B, _, N = X.shape
    columns = np.ascontiguousarray(np.moveaxis(X, 2, 0)) / np.sqrt(N)  # (N, B, P): column i of every chain
    z = np.einsum("bpn,bn->bp", X, w) / np.sqrt(N)
    ll = channel.log_likelihood(y, z)
    if not np.all(np.isfinite(ll)):
        raise ValueError(
            f"the log-likelihood of {channel!r} is not finite at the starting weights; this sampler needs "
            "a channel whose log-likelihood is finite everywhere (e.g. ErrorCounting, NoisySign, Probit)"
        )
    accepted = 0
    for _ in range(n_sweeps):
        proposals = np.asarray(prior.sample((N, B), g), dtype=float)
        log_u = np.log(g.random((N, B)))
        for i in range(N):
            a = columns[i]
            step = proposals[i] - w[:, i]
            z_new = z + a * step[:, None]
            ll_new = channel.log_likelihood(y, z_new)
            accept = log_u[i] < np.sum(ll_new - ll, axis=1)
            if accept.any():
                w[accept, i] = proposals[i, accept]
                z[accept] = z_new[accept]
                ll[accept] = ll_new[accept]
                accepted += int(np.count_nonzero(accept))
        if observe is not None:
            observe(w, z)
    acceptance = accepted / (n_sweeps * N * B) if n_sweeps else float("nan")
    return w, acceptance


def _check_batch(X, y, w, n_sweeps, rng, observe):
    """Validate a batch of chains: finite X (B, P, N), y (B, P), w (B, N); sizes; the rng and callback."""
    n_sweeps = check_int("n_sweeps", n_sweeps, minimum=0, maximum=MAX_SWEEPS)
    X = check_finite("X", X)
    y = check_finite("y", y)
    w = np.array(check_finite("w", w), dtype=float)
    if np.ndim(X) != 3 or np.shape(y) != np.shape(X)[:2] or np.shape(w) != (np.shape(X)[0], np.shape(X)[2]):
        raise ValueError(
            f"X, y and w must have shapes (B, P, N), (B, P) and (B, N), got {np.shape(X)}, {np.shape(y)} and "
            f"{np.shape(w)}"
        )
    if X.size == 0:
        raise ValueError(f"X must have at least one chain, pattern and weight, got shape {X.shape}")
    if observe is not None and not callable(observe):
        raise ValueError(f"observe must be callable or None, got {observe!r}")
    return X, y, w, n_sweeps, as_rng(rng)


@_cites
def split_rhat(chains: np.ndarray) -> np.ndarray:
    r"""Split potential scale reduction :math:`\hat R` of scalar traces (Gelman et al. 2013, BDA3, 11.4).

    Each of the C chains of length T (last axis) is cut into two halves; with W the mean
    within-half variance and B/n the variance of the half means (n = T // 2 draws each),

    .. math:: \hat R = \sqrt{\frac{(n-1)/n\,W + B/n}{W}}.

    Values near 1 mean the chains, started apart, agree; 1.01-1.1 are the usual thresholds.

    Parameters
    ----------
    chains : array_like, shape (..., C, T)
        T >= 4 draws of C >= 1 chains.

    Returns
    -------
    ndarray, shape (...)
        :math:`\hat R`; 1 where every draw is equal, inf where the halves are constant but differ.
    """
    x = np.asarray(check_finite("chains", chains), dtype=float)
    if x.ndim < 2 or x.shape[-1] < 4 or x.shape[-2] < 1:
        raise ValueError(f"chains must have shape (..., C, T) with C >= 1 and T >= 4, got {x.shape}")
    n = x.shape[-1] // 2
    halves = np.concatenate([x[..., :n], x[..., -n:]], axis=-2)  # (..., 2C, n)
    W = np.mean(np.var(halves, axis=-1, ddof=1), axis=-1)
    B_over_n = np.var(np.mean(halves, axis=-1), axis=-1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.sqrt(((n - 1) / n * W + B_over_n) / W)
    return np.where(W > 0, r, np.where(B_over_n > 0, np.inf, 1.0))


@_cites
def sign_channel_weights(channel: Channel) -> tuple[float, float] | None:
    r"""The weights :math:`(\lambda_0, \lambda_1)` of :math:`P_{out}(y\mid z) = \lambda_0 + \lambda_1\theta(yz)`.

    :class:`~.channels.Sign` is (0, 1), :class:`~.channels.NoisySign` :math:`(\epsilon, 1 - 2\epsilon)`,
    :class:`~.channels.ErrorCounting` :math:`(e^{-\beta}, 1 - e^{-\beta})`; None for any other channel.
    """
    if isinstance(channel, _MixedSign):
        return float(channel._a), float(channel._b)
    if type(channel) is Sign:
        return 0.0, 1.0
    return None


@_cites
def truncated_gaussian_hmc(
    prior: GaussianPrior,
    channel: Channel,
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    n_sweeps: int,
    rng=None,
    observe: Callable[[np.ndarray, np.ndarray], None] | None = None,
) -> tuple[np.ndarray, float]:
    r"""Sample the posterior of a Gaussian prior and a sign-type channel by exact Hamiltonian Monte Carlo.

    With :math:`P_{out}(y\mid z) = \lambda_0 + \lambda_1\theta(yz)` (:func:`sign_channel_weights`)
    each pattern gets a latent :math:`c_\mu \in \{0, 1\}` with joint weight
    :math:`\lambda_0^{1-c_\mu}(\lambda_1\theta(y_\mu z_\mu))^{c_\mu}`, whose sum over c is the
    likelihood.  One sweep alternates

    1. :math:`c \mid \mathbf w`: :math:`c_\mu = 1` with probability :math:`\lambda_1/(\lambda_0 + \lambda_1)`
       where :math:`y_\mu z_\mu > 0`, else 0;
    2. :math:`\mathbf w \mid c`: a Gaussian :math:`N(0, \sigma^2 I)` truncated to the polytope
       :math:`\{y_\mu z_\mu \ge 0 : c_\mu = 1\}`, moved by Hamiltonian dynamics of duration
       :math:`\pi/2` with a fresh velocity :math:`\mathbf v \sim N(0, \sigma^2 I)`.  Between walls
       the motion is exactly :math:`\mathbf w(t) = \mathbf w\cos t + \mathbf v\sin t`; at a wall the
       velocity is reflected.  The move leaves the truncated Gaussian invariant with no rejection
       (Pakman & Paninski 2014, J. Comput. Graph. Stat. 23, 518).

    Every weight moves at every sweep, by O(1) without constraints (a quarter period of the
    harmonic motion is an independent Gaussian draw); this is what coordinate-wise updates
    cannot do when the likelihood has jumps.

    Parameters
    ----------
    prior : GaussianPrior
    channel : Channel
        Sign, NoisySign or ErrorCounting.
    X, y, w, n_sweeps, rng, observe
        As in :func:`metropolis_within_gibbs`.  A start where :math:`\lambda_0 = 0` and a pattern
        is misclassified is moved into the polytope as soon as the dynamics cross its wall.

    Returns
    -------
    w : ndarray, shape (B, N)
    bounces : float
        Mean number of wall reflections per trajectory.
    """
    weights = sign_channel_weights(channel)
    if not isinstance(prior, GaussianPrior) or weights is None:
        raise ValueError(
            f"truncated_gaussian_hmc needs a Gaussian prior and a Sign, NoisySign or ErrorCounting channel, "
            f"got {prior!r} and {channel!r}"
        )
    lam0, lam1 = weights
    keep = lam1 / (lam0 + lam1)
    X, y, w, n_sweeps, g = _check_batch(X, y, w, n_sweeps, rng, observe)
    if not np.all(np.abs(y) == 1.0):
        raise ValueError(f"y must be labels ±1 for {channel!r}, got values {np.unique(y)[:5]}")
    B, P, N = X.shape
    sigma = float(np.sqrt(prior.variance_))
    F = y[:, :, None] * X / np.sqrt(N)  # rows f_mu: y_mu z_mu = f_mu . w
    G = np.einsum("bpn,bqn->bpq", F, F)  # Gram matrices, for the velocity's projections after a reflection
    total = 0
    z = np.empty((B, P))
    for _ in range(n_sweeps):
        for k in range(B):
            a = F[k] @ w[k]
            active = (a > 0) & (g.random(P) < keep)
            v = sigma * g.standard_normal(N)
            w[k], total = _trajectory(w[k], v, a, F[k] @ v, F[k], G[k], active, total)
            z[k] = y[k] * (F[k] @ w[k])
        if observe is not None:
            observe(w, z)
    return w, total / max(n_sweeps * B, 1)


def _trajectory(w, v, a, b, F, G, active, total, duration=0.5 * np.pi):
    """One exact Hamiltonian trajectory of the truncated Gaussian (walls f.w >= 0 where active)."""
    left = duration
    for _ in range(MAX_BOUNCES):
        # a cos t + b sin t = R cos(t - phi) reaches 0 going down at t = phi + pi/2 (mod 2 pi)
        hit = np.mod(np.arctan2(b, a) + 0.5 * np.pi, 2.0 * np.pi)
        hit = np.where(active & (hit > 1e-12), hit, np.inf)
        j = int(np.argmin(hit))
        t = min(float(hit[j]), left)
        c, s = np.cos(t), np.sin(t)
        w, v = w * c + v * s, v * c - w * s
        a, b = a * c + b * s, b * c - a * s
        left -= t
        if left <= 0.0:
            return w, total
        coef = 2.0 * b[j] / G[j, j]
        v = v - coef * F[j]
        b = b - coef * G[j]
        a[j] = max(a[j], 0.0)
        total += 1
    raise RuntimeError(f"a Hamiltonian trajectory hit its walls more than {MAX_BOUNCES} times")
