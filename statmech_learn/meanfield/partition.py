r"""Partition functions of bipartite measures (RBMs): exact layer sums and annealed importance sampling.

For :math:`p(v, h) \propto \prod_i P_v(v_i)\prod_\mu P_h(h_\mu)\, e^{\beta(v^\top W h + b^\top v + c^\top h)}`
(:class:`~statmech_learn.meanfield.measures.Bipartite`) one layer can always be summed in closed
form through its prior's log-partition A (the same function the TAP solver uses):

.. math::
    \log Z = \log \sum_{h} P_h(h)\, e^{\beta c^\top h}
        \exp\Big(\sum_i A_v\big(\beta(b + W h)_i, 0\big)\Big),

so exact enumeration runs over the *smaller* discrete layer only: :math:`2^{\min(n_v, n_h)}`
terms, in chunks with a running log-sum-exp.  The unnormalised log-marginal of a visible
configuration is :math:`\log p^*(v) = \beta b^\top v + \sum_\mu A_h(\beta(c + W^\top v)_\mu, 0)`.

Conventions.  The measures of the subpackage are prior-weighted (``log Z`` of the normalised unit
priors).  Machine-learning RBMs count configurations instead: :math:`Z = \sum_{v,h} e^{-E(v, h)}`
with :math:`E = -v^\top W h - b^\top v - c^\top h` (plus :math:`|v|^2/2` for Gaussian visible
units, whose base measure is Lebesgue).  The two differ by a constant per unit,
:data:`COUNTING_OFFSET` (log 2 for {0, 1} and ±1 units with p = 1/2, :math:`\tfrac12\log 2\pi`
for unit-variance Gaussian units).  Functions here take ``counting=True`` for the latter.

Annealed importance sampling (Neal 2001, Statistics and Computing 11, 125; for RBMs
Salakhutdinov & Murray 2008, ICML) interpolates the visible marginals

.. math::
    p_k^*(v) = P_v(v)\, e^{(1 - \beta_k) b_A^\top v}\,
        e^{\beta_k \beta b^\top v} \prod_\mu e^{A_h(\beta_k \beta (c + W^\top v)_\mu, 0)},

from the product measure :math:`p_0` (visible fields :math:`b_A`, whose log-partition is
:math:`\sum_i A_v(b_{A,i}, 0)`) to the model, with one block-Gibbs sweep (h | v, then v | h) at
each :math:`\beta_k`.  The estimate is :math:`\log Z_A + \log \overline{w}` over the runs; its
standard error, by the delta method, is :math:`\mathrm{sd}(w) / (\overline{w}\sqrt{M})`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import numpy as np
from scipy.special import logsumexp

from .._validation import as_real, as_rng, check_bool, check_choice, check_finite, check_int
from ..citations import _cites
from ..gibbs.priors import BernoulliPrior
from ..results import Result
from .measures import Bipartite

__all__ = [
    "COUNTING_OFFSET",
    "MAX_EXACT_LAYER",
    "LogPartition",
    "exact_log_partition",
    "log_marginal_visible",
    "model_moments",
    "ais",
    "counting_offset",
    "sample_tilted",
]

#: log of the counting (or Lebesgue) base measure per unit, relative to the normalised prior
COUNTING_OFFSET = {"bernoulli": math.log(2.0), "binary": math.log(2.0), "gaussian": 0.5 * math.log(2.0 * math.pi)}
#: largest layer enumerated exactly (2^24 = 16.8 million configurations)
MAX_EXACT_LAYER = 24
#: rows of one enumeration chunk
_CHUNK = 2**14


@dataclass(frozen=True, repr=False)
class LogPartition(Result):
    """An estimate of log Z.

    Attributes
    ----------
    value : float
        log Z (counting or prior-weighted convention, see ``counting``).
    error : float
        Standard error (0 for exact; the delta-method error for AIS; NaN for TAP, which has no
        error bar, only a systematic error).
    method : 'exact', 'ais' or 'tap'.
    counting : bool
        True when ``value`` counts configurations (the machine-learning convention).
    n_terms : int
        Configurations summed (exact), runs x temperatures (AIS), or fixed points found (TAP).
    converged : bool
        False for a TAP estimate with no converged fixed point, or AIS whose error is not finite.
    """

    value: float
    error: float
    method: str
    counting: bool
    n_terms: int
    converged: bool


def counting_offset(measure: Bipartite) -> float:
    """log Z(counting) - log Z(prior-weighted) of ``measure`` (module docstring)."""
    total = 0.0
    for prior, count in ((measure.visible_prior, measure.n_visible), (measure.hidden_prior, measure.n_hidden)):
        name = prior.name
        ok = (
            (name == "bernoulli" and cast(BernoulliPrior, prior).p == 0.5)
            or name == "binary"
            or (name == "gaussian" and getattr(prior, "variance_", None) == 1.0)
        )
        if not ok:
            raise ValueError(
                f"the counting convention is defined for 'bernoulli' (p = 1/2), 'binary' and unit-"
                f"variance 'gaussian' units, got {prior!r}"
            )
        total += count * COUNTING_OFFSET[name]
    return total


def _atoms(prior) -> tuple[np.ndarray, np.ndarray] | None:
    """Values and log-weights of a discrete prior, or None."""
    means, variances, weights = prior.mixture()
    if np.any(np.asarray(variances) != 0):
        return None
    return np.asarray(means, dtype=float), np.log(np.asarray(weights, dtype=float))


def _enumerated_layer(measure: Bipartite) -> str:
    """'hidden' or 'visible': the smaller discrete layer."""
    disc = {"visible": _atoms(measure.visible_prior) is not None, "hidden": _atoms(measure.hidden_prior) is not None}
    sizes = {"visible": measure.n_visible, "hidden": measure.n_hidden}
    options = [k for k in ("hidden", "visible") if disc[k]]
    if not options:
        raise ValueError(f"exact summation needs one discrete layer, got measure units={measure.units!r}")
    layer = min(options, key=lambda k: sizes[k])
    if sizes[layer] > MAX_EXACT_LAYER:
        raise ValueError(
            f"exact summation enumerates the smaller discrete layer, here the measure has {sizes[layer]} "
            f"{layer} units; "
            f"at most {MAX_EXACT_LAYER} are supported (2^{MAX_EXACT_LAYER} configurations); use "
            "method='ais' (annealed importance sampling, with an error bar) or method='tap'"
        )
    return layer


def _layer_terms(measure: Bipartite, layer: str):
    """(atoms, log-weights, own fields, couplings to the other layer, the other prior, the other fields)."""
    beta = measure.beta
    atoms = _atoms(measure.hidden_prior if layer == "hidden" else measure.visible_prior)
    assert atoms is not None  # layer comes from _enumerated_layer: a discrete one
    vals, logw = atoms
    if layer == "hidden":
        return vals, logw, beta * measure.c, beta * measure.W.T, measure.visible_prior, beta * measure.b
    return vals, logw, beta * measure.h[: measure.n_visible], beta * measure.W, measure.hidden_prior, beta * measure.c


def _configurations(k: int, vals: np.ndarray, logw: np.ndarray):
    """All len(vals)^k configurations of k units in chunks: (values (rows, k), log prior weight (rows,))."""
    if len(vals) != 2:
        raise ValueError(f"enumeration is written for two-valued units, got {len(vals)} values")
    total = 2**k
    shifts = np.arange(k)
    step, lw_step = vals[1] - vals[0], logw[1] - logw[0]
    for start in range(0, total, _CHUNK):
        idx = np.arange(start, min(start + _CHUNK, total))
        bits = ((idx[:, None] >> shifts) & 1).astype(float)
        yield vals[0] + step * bits, k * logw[0] + lw_step * bits.sum(axis=1)


def exact_log_partition(measure: Bipartite, *, counting: bool = False) -> LogPartition:
    r"""log Z by enumerating the smaller discrete layer and summing the other through its prior's A.

    Parameters
    ----------
    measure : Bipartite
    counting : bool
        Return log Z of the counting convention (module docstring) instead of the prior-weighted one.

    Raises
    ------
    ValueError
        When the smaller discrete layer has more than :data:`MAX_EXACT_LAYER` units (use AIS or TAP).
    """
    _check(measure)
    counting = check_bool("counting", counting)
    layer = _enumerated_layer(measure)
    vals, logw, own, coupling, other, other_field = _layer_terms(measure, layer)
    k = coupling.shape[0]
    chunks = []
    for X, lw in _configurations(k, vals, logw):
        chunks.append(logsumexp(lw + X @ own + np.sum(other.log_partition(other_field + X @ coupling, 0.0), axis=1)))
    value = float(logsumexp(chunks))
    if counting:
        value += counting_offset(measure)
    return LogPartition(
        value=value, error=0.0, method="exact", counting=counting, n_terms=len(vals) ** k, converged=True
    )


def log_marginal_visible(measure: Bipartite, V: np.ndarray, *, counting: bool = False) -> np.ndarray:
    r"""Unnormalised log-marginal :math:`\log p^*(v) = \beta b^\top v + \sum_\mu A_h(\beta(c + W^\top v)_\mu, 0)`
    of each row of V (shape (m, n_visible)), i.e. :math:`-F(v)`; with ``counting=True`` the
    machine-learning convention (hidden units counted, :math:`-|v|^2/2` for Gaussian visible units).
    V is not checked for finiteness (NaN in, NaN out)."""
    _check(measure)
    counting = check_bool("counting", counting)
    V = as_real("V", V)
    if V.ndim not in (1, 2) or V.shape[-1] != measure.n_visible:
        raise ValueError(f"V must have shape (m, {measure.n_visible}) or ({measure.n_visible},), got {V.shape}")
    beta = measure.beta
    hp = measure.hidden_prior
    out = beta * (V @ measure.b) + np.sum(hp.log_partition(beta * (measure.c + V @ measure.W), 0.0), axis=-1)
    if counting:
        out = out + measure.n_hidden * COUNTING_OFFSET[hp.name]
        if measure.visible_prior.name == "gaussian":
            out = out - 0.5 * np.sum(V * V, axis=-1)
    return out


def model_moments(measure: Bipartite) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    r"""Exact :math:`\langle v\rangle`, :math:`\langle h\rangle`, :math:`\langle v h^\top\rangle` and log Z
    (prior-weighted) by enumerating the smaller discrete layer; the other layer's conditional means are
    its prior's :math:`f_a`.  These are minus the gradients of :math:`-\log Z / \beta` in b, c and W."""
    _check(measure)
    layer = _enumerated_layer(measure)
    vals, logw, own, coupling, other, other_field = _layer_terms(measure, layer)
    k = coupling.shape[0]
    n_other = coupling.shape[1]
    shift = -np.inf  # running maximum of the log-terms; sums are kept relative to exp(shift)
    s0, s_x, s_y, s_xy = 0.0, np.zeros(k), np.zeros(n_other), np.zeros((k, n_other))
    for X, lw in _configurations(k, vals, logw):
        field = other_field + X @ coupling
        lt = lw + X @ own + np.sum(other.log_partition(field, 0.0), axis=1)
        new = max(shift, float(np.max(lt)))
        scale = math.exp(shift - new) if np.isfinite(shift) else 0.0
        w = np.exp(lt - new)
        Y = other.mean(field, 0.0)
        s0 = s0 * scale + float(np.sum(w))
        s_x = s_x * scale + w @ X
        s_y = s_y * scale + w @ Y
        s_xy = s_xy * scale + (X * w[:, None]).T @ Y
        shift = new
    ex, ey, exy = s_x / s0, s_y / s0, s_xy / s0
    log_z = float(shift + math.log(s0))
    if layer == "hidden":  # X are the hidden units, Y the visible ones
        return ey, ex, exy.T, log_z
    return ex, ey, exy, log_z


def _check(measure) -> None:
    if not isinstance(measure, Bipartite):
        raise ValueError(f"measure must be a Bipartite measure (an RBM), got {measure!r}")


def sample_tilted(prior, B: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draws from the prior tilted by fields B, :math:`\\propto P_0(s) e^{B s}` (discrete or Gaussian)."""
    atoms = _atoms(prior)
    if atoms is None:
        if prior.name != "gaussian":
            raise ValueError(f"sampling is written for discrete and Gaussian units, got {prior!r}")
        var = prior.variance_
        return var * B + math.sqrt(var) * rng.standard_normal(B.shape)
    vals, logw = atoms
    if len(vals) != 2:
        raise ValueError(f"sampling is written for two-valued discrete units, got {prior!r}")
    # P(s = vals[1]) = sigmoid(B (v1 - v0) + logw1 - logw0)
    x = B * (vals[1] - vals[0]) + (logw[1] - logw[0])
    u = rng.random(B.shape)
    return np.where(u < 0.5 * (1.0 + np.tanh(0.5 * x)), vals[1], vals[0])


@_cites
def ais(
    measure: Bipartite, *, n_runs: int = 100, n_betas: int = 10_000, base_fields=None, rng=None, counting: bool = False
) -> LogPartition:
    r"""Annealed importance sampling estimate of log Z with its standard error (module docstring).

    Parameters
    ----------
    measure : Bipartite
        Any hidden units with a two-valued prior; visible units two-valued or Gaussian.
    n_runs : int
        Independent annealing runs M (vectorised), 2 to 100000.
    n_betas : int
        Intermediate temperatures, 10 to 10^6, spaced as Salakhutdinov & Murray (2008): a tenth
        of them on [0, 0.5], four tenths on [0.5, 0.9], half on [0.9, 1].
    base_fields : array_like, shape (n_visible,), optional
        Visible fields :math:`b_A` of the product base measure (default: the model's :math:`\beta b`).
        The log-odds of the data marginals make a better base for a trained model.
    rng : seed or Generator
    counting : bool
        Counting convention (module docstring).

    Returns
    -------
    LogPartition
        ``value`` and ``error`` (the standard error of the estimate; AIS underestimates log Z on
        average by about error^2 / 2).
    """
    _check(measure)
    n_runs = check_int("n_runs", n_runs, minimum=2, maximum=100_000)
    n_betas = check_int("n_betas", n_betas, minimum=10, maximum=10**6)
    counting = check_bool("counting", counting)
    rng = as_rng(rng)
    vp, hp = measure.visible_prior, measure.hidden_prior
    hidden_atoms = _atoms(hp)
    if hidden_atoms is None or len(hidden_atoms[0]) != 2:
        raise ValueError(f"AIS needs two-valued hidden units, got hidden={hp!r}")
    beta = measure.beta
    bA = beta * measure.b if base_fields is None else np.asarray(check_finite("base_fields", base_fields), float)
    if bA.shape != (measure.n_visible,):
        raise ValueError(f"base_fields must have shape ({measure.n_visible},), got {bA.shape}")
    nb = n_betas
    betas = np.unique(
        np.concatenate(
            [
                np.linspace(0.0, 0.5, max(2, nb // 10), endpoint=False),
                np.linspace(0.5, 0.9, max(2, 4 * nb // 10), endpoint=False),
                np.linspace(0.9, 1.0, max(2, nb - nb // 10 - 4 * nb // 10)),
            ]
        )
    )
    bB, c, W = beta * measure.b, beta * measure.c, beta * measure.W

    def log_p(V, bk):
        return (1.0 - bk) * (V @ bA) + bk * (V @ bB) + np.sum(hp.log_partition(bk * (c + V @ W), 0.0), axis=1)

    V = sample_tilted(vp, np.broadcast_to(bA, (n_runs, measure.n_visible)), rng)
    log_w = np.zeros(n_runs)
    for k in range(1, len(betas)):
        b_prev, b_k = betas[k - 1], betas[k]
        log_w += log_p(V, b_k) - log_p(V, b_prev)
        H = sample_tilted(hp, b_k * (c + V @ W), rng)
        V = sample_tilted(vp, (1.0 - b_k) * bA + b_k * (bB + H @ W.T), rng)
    log_z_a = float(np.sum(vp.log_partition(bA, 0.0)))
    top = float(np.max(log_w))
    w = np.exp(log_w - top)
    mean = float(np.mean(w))
    value = log_z_a + top + math.log(mean)
    error = float(np.std(w, ddof=1) / (mean * math.sqrt(n_runs)))
    if counting:
        value += counting_offset(measure)
    return LogPartition(
        value=value,
        error=error,
        method="ais",
        counting=counting,
        n_terms=n_runs * len(betas),
        converged=bool(np.isfinite(value) and np.isfinite(error)),
    )


def _check_method(method: str) -> str:
    return check_choice("method", method, ("exact", "ais", "tap"))
