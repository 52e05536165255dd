r"""Reweighting samples of :math:`p` to a perturbed distribution :math:`p'`.

Samples :math:`x_j \sim p(x) = e^{-H(x)}/Z` are given together with the value
of a perturbation :math:`\Delta H(x_j)` at each of them (energies in units of
:math:`k_B T`, i.e. :math:`\beta` absorbed in :math:`\Delta H`).  The perturbed
distribution is :math:`p'(x) = e^{-H(x) - \Delta H(x)}/Z'` and, for any
per-sample quantity :math:`L`,

.. math::

    \langle L \rangle_{p'} = \frac{\langle L\, e^{-\Delta H} \rangle_p}{\langle e^{-\Delta H} \rangle_p},
    \qquad \frac{Z'}{Z} = \langle e^{-\Delta H} \rangle_p .

So a loss :math:`\mathcal L = \langle L(x, \theta) \rangle_{x\sim p}` is moved to :math:`p'` by weighting every
sample with :math:`w_j = e^{-\Delta H(x_j)}` [1]_ (the identity is Zwanzig's free-energy perturbation [2]_).
The module offers

* :func:`weights`, :func:`log_weights` -- raw :math:`w_j = e^{-\Delta H_j}` or normalised
  :math:`\tilde w_j = w_j / \sum_k w_k`, computed in log space;
* :func:`effective_sample_size` -- Kish's [3]_ :math:`(\sum w)^2/\sum w^2`, with a :class:`ReweightWarning`
  when few samples carry the weight;
* :func:`reweighted_loss`, :func:`reweighted_gradient` -- the self-normalised estimator [4]_ of
  :math:`\langle L\rangle_{p'}` (or the literal :math:`\langle L e^{-\Delta H}\rangle_p`) and its gradient;
* :class:`AdjustedBatchSampler` -- minibatches of variable size whose *adjusted batch size*
  :math:`B = \sum_{j\in\text{batch}} w_j` averages to a target, by carrying the rounding error from one
  step to the next;
* :func:`free_energy_shift` -- :math:`\Delta F = -\log\langle e^{-\Delta H}\rangle_p` with its error bar
  and the cumulant series;
* :func:`linear_response` -- :math:`\langle A\rangle_{p'}` to first order in :math:`\Delta H` beside the
  exact reweighted mean.

``docs/theory/reweighting.md`` collects the identities and the numbers measured by
``tests/test_reweight.py``.

References
----------
.. [1] "Perturbation theory in machine learning" (note, 18 February 2024): the reweighted loss
   :math:`\langle L\, e^{-\Delta H}\rangle_p`, the adjusted batch size and the error-carry batching.
.. [2] R. W. Zwanzig, "High-temperature equation of state by a perturbation method. I. Nonpolar
   gases", J. Chem. Phys. 22, 1420 (1954).
.. [3] L. Kish, *Survey Sampling* (Wiley, 1965), sec. 11.7.
.. [4] A. B. Owen, *Monte Carlo theory, methods and examples* (2013), ch. 9 (self-normalised importance
   sampling, its delta-method variance, effective sample size).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._validation import as_rng, check_bool, check_choice, check_finite, check_int, check_positive, check_probability
from .citations import _cites
from .results import Result

__all__ = [
    "ReweightWarning",
    "weights",
    "log_weights",
    "effective_sample_size",
    "reweighted_loss",
    "reweighted_gradient",
    "AdjustedBatchSampler",
    "FreeEnergyShift",
    "free_energy_shift",
    "LinearResponse",
    "linear_response",
]

#: log of the largest double; exp of anything above overflows
_LOG_MAX = math.log(np.finfo(float).max)


class ReweightWarning(UserWarning):
    """Emitted when the weights :math:`e^{-\\Delta H}` are dominated by a few samples, or when an
    :class:`AdjustedBatchSampler` target cannot be reached on average."""


# --------------------------------------------------------------------------- helpers


def _as_samples(name: str, value: ArrayLike, min_size: int = 1) -> np.ndarray:
    """A finite 1-D float array with at least ``min_size`` entries (ValueError naming ``name``)."""
    arr = check_finite(name, value)
    if np.ndim(arr) != 1:
        raise ValueError(f"{name} must be a 1-D array with one value per sample, got shape {np.shape(arr)}")
    if arr.size < min_size:
        what = "must not be empty" if min_size == 1 else f"must have at least {min_size} samples"
        raise ValueError(f"{name} {what}, got {arr.size}")
    with np.errstate(over="ignore"):
        spread = float(np.max(arr) - np.min(arr))
    if not math.isfinite(spread):  # max - min is the largest log-weight ratio: it must be a double
        raise ValueError(
            f"{name} must span less than the double range (max - min overflows), got values from "
            f"{float(np.min(arr)):.3g} to {float(np.max(arr)):.3g}"
        )
    return arr


def _per_sample(name: str, value: ArrayLike, n: int, ndim_one: bool) -> np.ndarray:
    """Finite per-sample array of leading length ``n`` (1-D when ``ndim_one``)."""
    arr = np.asarray(check_finite(name, value), dtype=float)
    if ndim_one and arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array with one value per sample, got shape {arr.shape}")
    if arr.ndim == 0:
        raise ValueError(f"{name} must have one entry per sample along axis 0, got a scalar")
    if arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} samples but delta_h has {n}")
    return arr


def _root_sum_squares(x: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """sqrt(sum_j w_j x_j^2) over axis 0 (no ``w``: the plain sum), computed on x / max|x| where x^2
    would overflow."""
    big = float(np.max(np.abs(x))) if x.size else 0.0
    y, factor = (x, 1.0) if big <= 1e150 else (x / big, big)
    total = np.sum(y**2, axis=0) if w is None else np.tensordot(w, y**2, axes=(0, 0))
    return factor * np.sqrt(total)


def _logsumexp(a: np.ndarray) -> float:
    """:math:`\\log \\sum_j e^{a_j}` with the maximum factored out (finite for finite ``a``)."""
    m = float(np.max(a))
    return m + math.log(float(np.sum(np.exp(a - m))))


def _normalized(dh: np.ndarray) -> np.ndarray:
    """:math:`\\tilde w_j = e^{-\\Delta H_j} / \\sum_k e^{-\\Delta H_k}`, never overflowing."""
    a = -dh
    a = a - float(np.max(a))
    w = np.exp(a)
    return w / float(np.sum(w))


def _log_ess(dh: np.ndarray) -> float:
    b = float(np.min(dh)) - dh  # -DeltaH shifted to max 0: the ESS is shift invariant, and nothing cancels
    with np.errstate(over="ignore"):  # 2 b = -inf: exp(2 b) = 0, as it should
        return 2.0 * _logsumexp(b) - _logsumexp(2.0 * b)


def _ess(dh: np.ndarray) -> float:
    # mathematically 1 <= ESS <= n; clip the last-ulp excursions
    return float(min(max(math.exp(_log_ess(dh)), 1.0), dh.size))


def _log_mean_weight(dh: np.ndarray) -> float:
    return _logsumexp(-dh) - math.log(dh.size)


# --------------------------------------------------------------------------- weights


def log_weights(delta_h: ArrayLike, normalize: bool = False) -> np.ndarray:
    r"""Log-weights :math:`\log w_j = -\Delta H_j`, or normalised :math:`\log \tilde w_j`.

    .. math:: \log \tilde w_j = -\Delta H_j - \log \sum_k e^{-\Delta H_k}

    (log-sum-exp with the maximum factored out, finite for every finite input).

    Parameters
    ----------
    delta_h : array_like, shape (n,)
        Perturbation :math:`\Delta H(x_j)` at each sample, finite.
    normalize : bool, default False
        Subtract :math:`\log \sum_k w_k`, so that the exponentials sum to one.

    Returns
    -------
    ndarray, shape (n,)
    """
    dh = _as_samples("delta_h", delta_h)
    if not check_bool("normalize", normalize):
        return -dh
    b = float(np.min(dh)) - dh  # -DeltaH shifted to max 0 first: subtracting a large log-sum-exp would cost digits
    return b - _logsumexp(b)


def weights(delta_h: ArrayLike, normalize: bool = False) -> np.ndarray:
    r"""Importance weights :math:`w_j = e^{-\Delta H(x_j)}` of samples of :math:`p` for :math:`p'`.

    .. math::

        w_j = e^{-\Delta H_j} \quad (\text{raw}), \qquad
        \tilde w_j = \frac{e^{-\Delta H_j - m}}{\sum_k e^{-\Delta H_k - m}}, \;
        m = \max_k(-\Delta H_k) \quad (\text{normalised}).

    The normalised form sums to one and is finite for every finite ``delta_h``
    (the largest term is exactly 1 before the division).  The raw form is
    returned as computed when every entry is finite; entries with
    :math:`\Delta H_j \gtrsim 745` underflow to 0 (a raw weight that small is 0
    in double precision anyway).  Use :func:`log_weights` for the logarithms.

    Parameters
    ----------
    delta_h : array_like, shape (n,)
        Perturbation :math:`\Delta H(x_j)` at each sample, finite.
    normalize : bool, default False
        Return :math:`\tilde w` (sum 1) instead of the raw :math:`w`.

    Returns
    -------
    ndarray, shape (n,)

    Raises
    ------
    ValueError
        ``delta_h`` empty, not 1-D or not finite; or, for the raw form, some
        :math:`-\Delta H_j > \log(\text{DBL\_MAX}) \approx 709.78` so that
        :math:`e^{-\Delta H_j}` overflows (use ``normalize=True`` or :func:`log_weights`).

    References
    ----------
    See the module docstring, [1].
    """
    dh = _as_samples("delta_h", delta_h)
    if check_bool("normalize", normalize):
        return _normalized(dh)
    with np.errstate(over="ignore"):
        w = np.exp(-dh)
    if not np.all(np.isfinite(w)):
        raise ValueError(
            f"delta_h has entries down to {float(np.min(dh)):.6g}: the raw weights exp(-delta_h) overflow "
            f"(exp(x) is finite only for x <= {_LOG_MAX:.6g}); use weights(delta_h, normalize=True) or log_weights"
        )
    return w


@_cites
def effective_sample_size(delta_h: ArrayLike, *, warn_below: float = 0.1) -> float:
    r"""Kish's effective sample size of the weights :math:`w_j = e^{-\Delta H_j}`.

    .. math::

        \mathrm{ESS} = \frac{\left(\sum_j w_j\right)^2}{\sum_j w_j^2}
        = \exp\!\left(2\,\mathrm{LSE}(-\Delta H) - \mathrm{LSE}(-2\Delta H)\right),

    with :math:`\mathrm{LSE}` the log-sum-exp, so nothing overflows.  It is
    :math:`n` for equal weights, 1 when one weight dominates, and
    :math:`n / \mathrm{ESS} - 1` is the relative variance of the weights
    (population form).  For :math:`\Delta H = \varepsilon x`, :math:`x \sim N(0,1)`,
    :math:`\mathrm{ESS}/n \to e^{-\varepsilon^2}`.

    Parameters
    ----------
    delta_h : array_like, shape (n,)
        Perturbation at each sample, finite.
    warn_below : float in [0, 1], default 0.1
        Emit a :class:`ReweightWarning` (with the ESS and n in the message) when
        :math:`\mathrm{ESS}/n` < ``warn_below``; 0 never warns.

    Returns
    -------
    float
        The ESS, in [1, n].

    References
    ----------
    L. Kish, *Survey Sampling* (1965); A. B. Owen, *Monte Carlo theory, methods and examples* (2013), sec. 9.3.
    """
    dh = _as_samples("delta_h", delta_h)
    warn_below = check_probability("warn_below", warn_below)
    ess = _ess(dh)
    n = dh.size
    if ess / n < warn_below:
        warnings.warn(
            f"effective sample size {ess:.4g} of n = {n} samples (ESS/n = {ess / n:.3g} < warn_below = "
            f"{warn_below:g}): reweighted averages are dominated by a few samples; shrink the perturbation",
            ReweightWarning,
            stacklevel=2,
        )
    return ess


# --------------------------------------------------------------------------- losses and gradients


def _weighted_mean(values: np.ndarray, dh: np.ndarray, normalize: bool):
    wn = _normalized(dh)
    mean = np.tensordot(wn, values, axes=(0, 0))  # sum_j w~_j v_j
    if normalize:
        return mean
    log_scale = _log_mean_weight(dh)  # log mean_j w_j
    if log_scale > _LOG_MAX:
        raise ValueError(
            f"delta_h has entries down to {float(np.min(dh)):.6g}: the mean raw weight exp({log_scale:.6g}) "
            "overflows; use normalize=True (the self-normalised estimator)"
        )
    with np.errstate(over="ignore"):
        out = math.exp(log_scale) * mean
    if not np.all(np.isfinite(out)):
        raise ValueError("the unnormalised reweighted mean overflows for these delta_h; use normalize=True")
    return out


@_cites
def reweighted_loss(per_sample_loss: ArrayLike, delta_h: ArrayLike, *, normalize: bool = True) -> float:
    r"""Loss moved from :math:`p` to :math:`p'` by the weights :math:`w_j = e^{-\Delta H_j}`.

    .. math::

        \text{normalize=True:}\quad \hat{\mathcal L} = \frac{\sum_j w_j L_j}{\sum_j w_j}
        \;\to\; \langle L \rangle_{p'}, \qquad
        \text{normalize=False:}\quad \hat{\mathcal L} = \frac1n \sum_j w_j L_j
        \;\to\; \langle L\, e^{-\Delta H} \rangle_p = \frac{Z'}{Z}\langle L \rangle_{p'} .

    The self-normalised form (default) estimates the loss under :math:`p'` and
    is invariant under a constant shift of :math:`\Delta H`; its delta-method
    variance is :math:`\sum_j \tilde w_j^2 (L_j - \hat{\mathcal L})^2`
    (see :func:`linear_response`).  The unnormalised form is the literal loss of
    [1]; it differs by the constant factor :math:`Z'/Z` (same minimiser in
    :math:`\theta`) and is computed as :math:`\bar w \sum_j \tilde w_j L_j`
    with :math:`\log \bar w` by log-sum-exp.

    Parameters
    ----------
    per_sample_loss : array_like, shape (n,)
        :math:`L(x_j, \theta)`, finite.
    delta_h : array_like, shape (n,)
        :math:`\Delta H(x_j)`, finite.
    normalize : bool, default True
        Self-normalised (True) or literal (False) form.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Empty, non-finite or mismatched inputs; with ``normalize=False``, a mean
        raw weight that overflows.
    """
    dh = _as_samples("delta_h", delta_h)
    loss = _per_sample("per_sample_loss", per_sample_loss, dh.size, ndim_one=True)
    return float(_weighted_mean(loss, dh, check_bool("normalize", normalize)))


@_cites
def reweighted_gradient(per_sample_grads: ArrayLike, delta_h: ArrayLike, normalize: bool = True) -> np.ndarray:
    r"""Gradient of :func:`reweighted_loss` from per-sample gradients.

    The weights do not depend on the parameters, so

    .. math::

        \nabla_\theta \hat{\mathcal L} = \frac{\sum_j w_j \nabla_\theta L_j}{\sum_j w_j}
        \quad(\text{normalize=True}), \qquad
        \frac1n \sum_j w_j \nabla_\theta L_j \quad(\text{normalize=False}).

    Parameters
    ----------
    per_sample_grads : array_like, shape (n, ...)
        :math:`\nabla_\theta L(x_j, \theta)` of each sample along axis 0, finite.
    delta_h : array_like, shape (n,)
        :math:`\Delta H(x_j)`, finite.
    normalize : bool, default True
        As in :func:`reweighted_loss`.

    Returns
    -------
    ndarray, shape per_sample_grads.shape[1:]
        (a 0-d array for 1-D ``per_sample_grads``.)
    """
    dh = _as_samples("delta_h", delta_h)
    grads = _per_sample("per_sample_grads", per_sample_grads, dh.size, ndim_one=False)
    return np.asarray(_weighted_mean(grads, dh, check_bool("normalize", normalize)))


# --------------------------------------------------------------------------- error-carry batches


class AdjustedBatchSampler:
    r"""Minibatches whose adjusted size :math:`B = \sum_{j\in\text{batch}} w_j` averages to ``target``.

    The error-carry rule of [1], with weights :math:`w_j = e^{-\Delta H_j}` scaled
    as set by ``scale``.  Samples are taken in the order of a permutation of
    the data set; ``err`` starts at 0 and every step

    1. adds the target: :math:`e = \mathrm{err} + B_{avg}`;
    2. takes the longest run of the next samples whose weights sum to at most
       :math:`e` (adding one more would make the adjusted size exceed :math:`e`);
       if even the next sample alone outweighs :math:`e`, takes that sample alone
       (a batch is never empty, otherwise the loop would stall);
    3. sets :math:`\mathrm{err} = e - B`, with :math:`B` the adjusted size of the batch.

    Invariant: with :math:`S_k` the adjusted size of everything yielded in the first :math:`k`
    steps, :math:`\mathrm{err}_k = k\,B_{avg} - S_k`, so the mean adjusted size after :math:`K`
    steps is :math:`B_{avg} - \mathrm{err}_K/K`.  Equivalently, batch :math:`k` ends at the last
    sample whose cumulative weight (over the samples yielded, in order) is :math:`\le k\,B_{avg}`
    -- but after at least one new sample, and at the latest at the end of the epoch: the batches
    cut the cumulative weight at multiples of the target.  Bounds on ``err``:

    * after a batch ended by the rule, :math:`0 \le \mathrm{err} < w_{next} \le w_{max}`, with
      :math:`w_{next}` the weight of the sample that did not fit;
    * after the last batch of an epoch (``drop_last=False``), which takes the samples that are
      left, :math:`0 \le \mathrm{err} \le e`: the surplus (:math:`< w_{max} + B_{avg}` when the
      epoch has at least two batches) is carried into the next epoch, whose first batch absorbs it;
    * a forced single-sample batch leaves the debt :math:`\mathrm{err} = e - w_j < 0`; the next
      steps take small (or forced) batches until it is repaid.  Over a run of forced batches
      the debt is at most :math:`M = \max \sum_{j \in \text{run}} (w_j - B_{avg})`, the largest
      sum over consecutive samples, so :math:`\mathrm{err} \ge -M`.  Forced batches need a weight
      above the target: with ``target >= max(w)``, :math:`M \le 0` and :math:`\mathrm{err} \ge 0`
      always.  With heavy weights :math:`M` can exceed :math:`w_{max}` (several heavy samples in a row).

    The target is reachable on average only if ``target >= mean(w)`` (one sample per batch
    already gives the mean weight); below it the debt grows by :math:`n\,(\bar w - B_{avg})`
    per epoch and a :class:`ReweightWarning` is emitted.

    Iterating over the sampler runs **one epoch**: every sample exactly once, in a
    fresh permutation when ``shuffle=True``.  ``err``, the random state and the
    history persist from one epoch to the next; :meth:`epochs` chains several.  There
    is no ``__len__``: the number of batches of an epoch depends on the permutation
    and on the carried ``err``; its long-run mean is :attr:`expected_batches_per_epoch`.

    Parameters
    ----------
    delta_h : array_like, shape (n,)
        :math:`\Delta H(x_j)` of the data set, finite.
    target : float
        :math:`B_{avg} > 0`, in the units of the scaled weights; at most the total weight of an
        epoch.
    scale : {'raw', 'mean'}, default 'raw'
        ``'raw'``: :math:`w_j = e^{-\Delta H_j}` exactly as in [1] (ValueError if it overflows).
        ``'mean'``: :math:`w_j = e^{-\Delta H_j} / \overline{e^{-\Delta H}}` (mean 1, computed in log
        space, never overflows), so that ``target`` counts samples: ``target=32`` gives batches
        of adjusted size 32 on average, with 32 samples per batch on average.  The batches are
        those of ``'raw'`` with the target multiplied by the mean raw weight (up to rounding).
    rng : None, int, SeedSequence or Generator
        Source of the permutations (see :func:`statmech_learn._validation.as_rng`).
    shuffle : bool, default True
        Fresh random permutation per epoch; False takes the samples in index order.
    drop_last : bool, default False
        Drop the last batch of an epoch when it is incomplete, i.e. the samples left sum to less
        than :math:`e`.  A dropped batch is not a step: ``err`` keeps its value and the
        dropped samples are not visited in that epoch.

    Attributes
    ----------
    err : float
        The running error after the last yielded batch (0 before the first).
    weights : ndarray
        The scaled weights :math:`w_j` (a read-only array).
    total_weight : float
        :math:`\sum_j w_j`, the adjusted size of a whole epoch.
    target : float
        :math:`B_{avg}`.

    Raises
    ------
    ValueError
        ``delta_h`` empty or non-finite; ``target`` not finite, <= 0 or larger than the total
        weight; raw weights that overflow; ``scale`` not one of 'raw', 'mean'.

    Examples
    --------
    >>> import numpy as np
    >>> from statmech_learn.reweight import AdjustedBatchSampler
    >>> s = AdjustedBatchSampler(np.zeros(10), target=3, shuffle=False)
    >>> [b.tolist() for b in s]
    [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    >>> s.adjusted_sizes.tolist(), s.err
    ([3.0, 3.0, 3.0, 1.0], 2.0)
    """

    def __init__(
        self,
        delta_h: ArrayLike,
        target: float,
        *,
        scale: str = "raw",
        rng=None,
        shuffle: bool = True,
        drop_last: bool = False,
    ) -> None:
        dh = _as_samples("delta_h", delta_h)
        self.scale = check_choice("scale", scale, ("raw", "mean"))
        if self.scale == "raw":
            with np.errstate(over="ignore"):
                w = np.exp(-dh)
            if not np.all(np.isfinite(w)):
                raise ValueError(
                    f"delta_h has entries down to {float(np.min(dh)):.6g}: the raw weights exp(-delta_h) overflow; "
                    "use scale='mean'"
                )
        else:
            w = _normalized(dh) * dh.size
        if np.ndim(target) != 0:
            raise ValueError(f"target must be a number, got {target!r}")
        target = check_positive("target", target, scalar=True)
        try:
            total = math.fsum(w)
        except OverflowError:
            total = math.inf
        if not math.isfinite(total):
            raise ValueError("delta_h gives raw weights exp(-delta_h) whose sum overflows; use scale='mean'")
        if target > total:
            raise ValueError(
                f"target must be <= the total weight of an epoch, {total:.6g} (scale={self.scale!r}), got {target:g}"
            )
        if target < total / dh.size:
            warnings.warn(
                f"target {target:g} is below the mean weight {total / dh.size:.6g}: even one sample per batch "
                "exceeds it on average, so err runs into a growing debt and the batches end up single samples",
                ReweightWarning,
                stacklevel=2,
            )
        w.setflags(write=False)
        self.weights = w
        self.target = target
        self.total_weight = total
        self.shuffle = check_bool("shuffle", shuffle)
        self.drop_last = check_bool("drop_last", drop_last)
        self._rng = as_rng(rng)
        self.err = 0.0
        self._sizes: list[float] = []
        self._errs: list[float] = []
        self._n_epochs = 0

    # -- bookkeeping -----------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of samples in the data set."""
        return int(self.weights.size)

    @property
    def adjusted_sizes(self) -> np.ndarray:
        r"""Adjusted size :math:`B_k = \sum_{j \in \text{batch } k} w_j` of every batch yielded so far."""
        return np.array(self._sizes, dtype=float)

    @property
    def err_history(self) -> np.ndarray:
        """``err`` after every batch yielded so far."""
        return np.array(self._errs, dtype=float)

    @property
    def n_steps(self) -> int:
        """Number of batches yielded so far."""
        return len(self._sizes)

    @property
    def n_epochs(self) -> int:
        """Number of epochs started so far."""
        return self._n_epochs

    @property
    def expected_batches_per_epoch(self) -> float:
        """Long-run mean number of batches per epoch, ``total_weight / target`` (with ``drop_last=False``)."""
        return self.total_weight / self.target

    def __repr__(self) -> str:
        return (
            f"AdjustedBatchSampler(n={self.n}, target={self.target:g}, scale={self.scale!r}, "
            f"total_weight={self.total_weight:.6g}, err={self.err:.6g}, n_steps={self.n_steps})"
        )

    # -- iteration -------------------------------------------------------------------
    def __iter__(self) -> Iterator[np.ndarray]:
        """One epoch of batches (integer index arrays); see the class docstring."""
        return self._epoch()

    def epochs(self, n_epochs: int) -> Iterator[np.ndarray]:
        """Batches of ``n_epochs`` consecutive epochs, each a fresh permutation."""
        n_epochs = check_int("n_epochs", n_epochs, minimum=1)
        for _ in range(n_epochs):
            yield from self._epoch()

    def _epoch(self) -> Iterator[np.ndarray]:
        self._n_epochs += 1
        n = self.n
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        w = self.weights[order]
        cum = np.concatenate(([0.0], np.cumsum(w)))  # cum[q] - cum[p] = w[p:q].sum() up to rounding
        p = 0
        while p < n:
            e = self.err + self.target
            # largest q with w[p:q].sum() <= e, located on the cumulative sums ...
            q = int(np.searchsorted(cum, cum[p] + e, side="right")) - 1
            q = min(max(q, p), n)
            b = math.fsum(w[p:q])
            # ... and settled on exact sums (the cumulative sums carry rounding)
            while q > p and b > e:
                q -= 1
                b = math.fsum(w[p:q])
            while q < n and b + w[q] <= e:
                q += 1
                b = math.fsum(w[p:q])
            if q == p:  # the next sample alone outweighs e: take it alone and carry the debt
                q = p + 1
                b = float(w[p])
            elif q == n and b < e and self.drop_last:  # incomplete last batch: not a step
                return
            self.err = e - b
            self._sizes.append(b)
            self._errs.append(self.err)
            batch = order[p:q].copy()
            p = q
            yield batch


# --------------------------------------------------------------------------- free energy


@dataclass(frozen=True, repr=False)
class FreeEnergyShift(Result):
    r"""Free-energy perturbation estimate of :math:`\Delta F = F' - F` (units of :math:`k_B T`).

    Attributes
    ----------
    delta_f : float
        :math:`-\log \frac1n \sum_j e^{-\Delta H_j}` (log-mean-exp).
    stderr : float
        Delta-method standard error :math:`\mathrm{sd}(w)/(\bar w \sqrt n)`.
    first_order : float
        :math:`\langle \Delta H \rangle` (first cumulant).
    second_order : float
        :math:`\langle \Delta H \rangle - \mathrm{Var}(\Delta H)/2` (cumulants to second order).
    var_delta_h : float
        :math:`\mathrm{Var}(\Delta H)`, plug-in (``ddof=0``).
    ess : float
        Kish effective sample size of the weights.
    n_samples : int
        n.
    """

    delta_f: float
    stderr: float
    first_order: float
    second_order: float
    var_delta_h: float
    ess: float
    n_samples: int


@_cites
def free_energy_shift(delta_h: ArrayLike) -> FreeEnergyShift:
    r"""Free-energy difference between :math:`p'` and :math:`p` from samples of :math:`p` (Zwanzig).

    .. math::

        \Delta F = -\log\frac{Z'}{Z} = -\log \langle e^{-\Delta H} \rangle_p
        = \kappa_1 - \frac{\kappa_2}{2} + \frac{\kappa_3}{6} - \dots,

    with :math:`\kappa_m` the cumulants of :math:`\Delta H` under :math:`p`
    (:math:`\kappa_1 = \langle\Delta H\rangle`, :math:`\kappa_2 = \mathrm{Var}\,\Delta H`).
    The estimate is the log-mean-exp of the samples; its standard error by the
    delta method, :math:`\mathrm{Var}(\log \bar w) \approx \mathrm{Var}(w)/(n \langle w\rangle^2)`, is
    computed from :math:`r_j = w_j / \bar w = n \tilde w_j` (mean 1, at most n, no overflow):

    .. math:: \mathrm{se} = \sqrt{\frac{1}{n} \frac{1}{n-1} \sum_j (r_j - 1)^2}.

    The cumulant series uses the plug-in moments (``ddof=0``): it is then the
    Taylor expansion of the log-mean-exp of the same samples, from which it
    differs by :math:`\hat\kappa_3/6 + O(\Delta H^4)`, the sample third cumulant.  For Gaussian
    :math:`\Delta H` the series stops at second order.  The error bar assumes
    independent samples and a finite :math:`\langle w^2 \rangle_p`; it is
    unreliable when the ESS is small (heavy-tailed weights).

    Parameters
    ----------
    delta_h : array_like, shape (n,)
        :math:`\Delta H(x_j)`, finite, at least 2 samples.

    Returns
    -------
    FreeEnergyShift

    References
    ----------
    R. W. Zwanzig, J. Chem. Phys. 22, 1420 (1954).
    """
    dh = _as_samples("delta_h", delta_h, min_size=2)
    n = dh.size
    r = _normalized(dh) * n
    stderr = math.sqrt(float(np.sum((r - 1.0) ** 2)) / (n - 1) / n)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = float(np.mean(dh))
        var = float(np.mean((dh - mean) ** 2))
    if not (math.isfinite(var) and math.isfinite(mean)):
        raise ValueError(
            f"delta_h is too spread for its variance to be a double (|delta_h - mean| up to "
            f"{float(np.max(np.abs(dh - mean))):.3g}; keep it below ~1e154)"
        )
    return FreeEnergyShift(
        delta_f=-_log_mean_weight(dh),
        stderr=stderr,
        first_order=mean,
        second_order=mean - 0.5 * var,
        var_delta_h=var,
        ess=_ess(dh),
        n_samples=n,
    )


# --------------------------------------------------------------------------- linear response


@dataclass(frozen=True, repr=False)
class LinearResponse(Result):
    r"""Mean of an observable under :math:`p'`, to first order and reweighted.

    Scalars for a 1-D observable, arrays of shape ``observable.shape[1:]`` otherwise.

    Attributes
    ----------
    mean : float or ndarray
        :math:`\langle A \rangle_p`, the unperturbed sample mean.
    covariance : float or ndarray
        :math:`\mathrm{Cov}_p(A, \Delta H)`, plug-in (``ddof=0``).
    first_order : float or ndarray
        :math:`\langle A\rangle_p - \mathrm{Cov}_p(A, \Delta H)`.
    first_order_stderr : float or ndarray
        Its delta-method (influence-function) standard error.
    reweighted : float or ndarray
        Self-normalised reweighted mean :math:`\sum_j \tilde w_j A_j` (no expansion).
    reweighted_stderr : float or ndarray
        Its delta-method standard error :math:`\sqrt{\sum_j \tilde w_j^2 (A_j - \hat A)^2}`.
    ess : float
        Kish effective sample size of the weights.
    n_samples : int
        n.
    """

    mean: float | np.ndarray
    covariance: float | np.ndarray
    first_order: float | np.ndarray
    first_order_stderr: float | np.ndarray
    reweighted: float | np.ndarray
    reweighted_stderr: float | np.ndarray
    ess: float
    n_samples: int


def _out(x: np.ndarray):
    return float(x) if np.ndim(x) == 0 else np.asarray(x)


@_cites
def linear_response(observable: ArrayLike, delta_h: ArrayLike) -> LinearResponse:
    r"""First-order response of :math:`\langle A \rangle` to the perturbation :math:`\Delta H`.

    .. math::

        \langle A \rangle_{p'} = \frac{\langle A e^{-\Delta H}\rangle_p}{\langle e^{-\Delta H}\rangle_p}
        = \langle A \rangle_p - \mathrm{Cov}_p(A, \Delta H) + O(\Delta H^2)

    (expand both exponentials to first order; equivalently
    :math:`\partial_\lambda \langle A \rangle_{\lambda} = -\mathrm{Cov}(A, \Delta H)` for
    :math:`H + \lambda \Delta H`).  Beside it, the exact self-normalised mean
    :math:`\hat A = \sum_j \tilde w_j A_j`.  With plug-in (``ddof=0``) moments the first-order
    value is the exact first-order Taylor term of :math:`\hat A` on the same samples, so the
    two differ by :math:`O(\Delta H^2)` sample by sample.

    Standard errors (independent samples, delta method):

    * first order: the estimator is a smooth function of sample means; its influence
      function is :math:`\psi_j = (A_j - \bar A) - [(A_j - \bar A)(\Delta H_j - \overline{\Delta H})
      - \mathrm{Cov}]`, and :math:`\mathrm{se}^2 = \mathrm{Var}(\psi)/n` (``ddof=1``);
    * reweighted: linearising the ratio,
      :math:`\mathrm{se}^2 = \sum_j \tilde w_j^2 (A_j - \hat A)^2` (Owen 2013, eq. 9.8); it needs
      :math:`\langle w^2 A^2 \rangle_p < \infty` and is unreliable at small ESS.

    Parameters
    ----------
    observable : array_like, shape (n,) or (n, ...)
        :math:`A(x_j)`, finite.
    delta_h : array_like, shape (n,)
        :math:`\Delta H(x_j)`, finite, at least 2 samples.

    Returns
    -------
    LinearResponse

    References
    ----------
    A. B. Owen, *Monte Carlo theory, methods and examples* (2013), sec. 9.2; D. Chandler,
    *Introduction to Modern Statistical Mechanics* (Oxford, 1987), ch. 8.
    """
    dh = _as_samples("delta_h", delta_h, min_size=2)
    n = dh.size
    a = _per_sample("observable", observable, n, ndim_one=False)
    shape = (n,) + (1,) * (a.ndim - 1)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below
        dhc = (dh - dh.mean()).reshape(shape)
        mean = a.mean(axis=0)
        ac = a - mean
        prod = ac * dhc
        cov = prod.mean(axis=0)
        first = mean - cov
        psi = ac - (prod - cov)
    if not (np.all(np.isfinite(psi)) and np.all(np.isfinite(first))):
        raise ValueError(
            "the means and covariance of observable and delta_h overflow double precision "
            f"(|observable| up to {float(np.max(np.abs(a))):.3g}, |delta_h| up to "
            f"{float(np.max(np.abs(dh))):.3g})"
        )
    if psi.size == 0 or np.max(np.abs(psi)) <= 1e150:
        first_se = np.sqrt(np.sum(psi**2, axis=0) / (n - 1) / n)
    else:  # psi^2 would overflow
        first_se = _root_sum_squares(psi) / np.sqrt(n - 1) / np.sqrt(n)
    wn = _normalized(dh)
    rw = np.tensordot(wn, a, axes=(0, 0))
    rw_se = _root_sum_squares(a - rw, wn**2)
    return LinearResponse(
        mean=_out(mean),
        covariance=_out(cov),
        first_order=_out(first),
        first_order_stderr=_out(first_se),
        reweighted=_out(rw),
        reweighted_stderr=_out(rw_se),
        ess=_ess(dh),
        n_samples=n,
    )
