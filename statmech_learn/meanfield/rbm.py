r"""Restricted Boltzmann machines trained by exact gradients, CD-k, PCD, naive mean field and TAP.

The machine is the bipartite measure of :class:`~statmech_learn.meanfield.measures.Bipartite`
in the counting convention of machine learning,

.. math::
    p(v, h) = \frac{1}{Z} e^{v^\top W h + b^\top v + c^\top h}
    \quad(\text{times } e^{-|v|^2/2} \text{ for Gaussian visible units}),

with {0, 1} (``'bernoulli'``) or Gaussian visible units and {0, 1} hidden units.  The
log-likelihood gradient is a difference of a data term and a model term,

.. math::
    \partial_{W} \langle \log p(v)\rangle_{\rm data}
        = \langle v\, f_a^h(c + W^\top v)^\top\rangle_{\rm data} - \langle v h^\top\rangle_{p},

and the trainers differ only in the model term (the "negative phase"):

- ``'exact'``: :func:`~statmech_learn.meanfield.partition.model_moments`, enumerating the
  smaller layer (small machines);
- ``'cd'`` (Hinton 2002): k block-Gibbs sweeps started at the minibatch;
- ``'pcd'`` (Tieleman 2008): k sweeps of persistent chains;
- ``'naive'`` and ``'tap'`` (Gabrie, Tramel & Krzakala 2015, NeurIPS 28): the gradient of the
  mean-field free entropy :math:`\Phi(W, b, c)` at its fixed points, which at a fixed point is

  .. math::
      \partial_{W_{i\mu}}\Phi = m_i m_\mu + W_{i\mu}\, v_i v_\mu,\qquad
      \partial_{b_i}\Phi = m_i,\qquad \partial_{c_\mu}\Phi = m_\mu,

  (the last term of the first only for TAP; :math:`v = m(1 - m)` for {0, 1} units), averaged over
  persistent magnetisations, each solved to convergence by the same iteration as
  :func:`~statmech_learn.meanfield.tap.tap`.  A start that does not converge is left out of the
  average and counted (``learning_curve_.tap_failures``); a step with no converged start is
  skipped and counted too.

The estimator follows scikit-learn's conventions (``get_params``/``set_params``, ``random_state``,
fitted attributes with a trailing underscore, ``fit``/``partial_fit``/``transform``/
``score_samples``) without depending on scikit-learn, and works in a ``Pipeline``.
"""

from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

from .._validation import (
    as_real,
    as_rng,
    check_bool,
    check_choice,
    check_finite,
    check_int,
    check_nonnegative,
    check_positive,
    check_tol,
)
from ..citations import _cites
from ..errors import ConvergenceWarning
from ..results import Result
from .measures import Bipartite
from .partition import (
    LogPartition,
    ais,
    counting_offset,
    exact_log_partition,
    log_marginal_visible,
    model_moments,
    sample_tilted,
)
from .tap import iterate, prior_moments, tap_free_entropy

__all__ = ["RBM", "LearningCurve", "TAPFixedPoints", "METHODS", "MAX_EXACT_SCORE", "mean_field_gradient"]

#: training methods of :class:`RBM`
METHODS = ("exact", "cd", "pcd", "naive", "tap")
#: largest smaller layer for which ``score_samples`` is exact (AIS beyond)
MAX_EXACT_SCORE = 20


@dataclass(frozen=True, repr=False)
class LearningCurve(Result):
    """Per-epoch record of a training run.

    Attributes
    ----------
    epoch : ndarray of int
        Epochs completed (1, 2, ...).
    log_likelihood : ndarray
        Mean log-likelihood per sample of the training data, weighted by ``sample_weight`` if given (exact,
        or AIS; NaN with ``learning_curve='none'``).
    log_likelihood_err : ndarray
        Its standard error from the log Z estimate (0 when exact).
    log_likelihood_tap : ndarray
        The same with log Z replaced by the TAP estimate (NaN when no TAP fixed point converged or nothing is
        recorded).
    tap_failures : ndarray of int
        Mean-field starts that did not converge during the epoch (naive and TAP training).
    skipped_steps : ndarray of int
        Minibatch steps skipped because no mean-field start converged.
    method : str
        How ``log_likelihood`` was computed: 'exact', 'ais' or 'none'.
    """

    epoch: np.ndarray
    log_likelihood: np.ndarray
    log_likelihood_err: np.ndarray
    log_likelihood_tap: np.ndarray
    tap_failures: np.ndarray
    skipped_steps: np.ndarray
    method: str


@dataclass(frozen=True, repr=False)
class TAPFixedPoints(Result):
    """TAP fixed points of a trained machine from many starts.

    Attributes
    ----------
    visible, hidden : ndarray, shape (k, n_visible), (k, n_hidden)
        Magnetisations of each start's fixed point (the machine's "memories").
    free_entropy : ndarray, shape (k,)
        TAP free entropy of each (counting convention).
    converged : ndarray of bool, shape (k,)
    residual : ndarray, shape (k,)
    n_iter : int
    unique : ndarray of int
        Indices of distinct converged fixed points (max-norm distance above 1e-4), by
        decreasing free entropy.
    counts : ndarray of int
        How many converged starts reached each of ``unique``.
    """

    visible: np.ndarray
    hidden: np.ndarray
    free_entropy: np.ndarray
    converged: np.ndarray
    residual: np.ndarray
    n_iter: int
    unique: np.ndarray
    counts: np.ndarray


def mean_field_gradient(measure: Bipartite, m: np.ndarray, v: np.ndarray, *, onsager: bool = True):
    r"""Gradient of the mean-field free entropy :math:`\Phi(W, b, c)` of a bipartite measure (beta = 1) at
    fixed points m, v (shape (n,) or (k, n); averaged over k), by stationarity in m and v:

    .. math::
        \partial_{W_{i\mu}}\Phi = \langle m_i m_\mu + W_{i\mu} v_i v_\mu\rangle,\qquad
        \partial_{b_i}\Phi = \langle m_i\rangle,\qquad \partial_{c_\mu}\Phi = \langle m_\mu\rangle

    (the W v v term only with ``onsager``; Gabrie, Tramel & Krzakala 2015, eq. 10).  Returns
    ``(dW, db, dc)`` with dW of shape (n_visible, n_hidden); m and v are not checked for finiteness
    (NaN in, NaN out)."""
    if not isinstance(measure, Bipartite):
        raise ValueError(f"measure must be a Bipartite measure (an RBM), got {measure!r}")
    m = np.atleast_2d(as_real("m", m))
    v = np.atleast_2d(as_real("v", v))
    if m.ndim != 2 or m.shape[1] != measure.n or m.shape[0] < 1 or v.shape != m.shape:
        raise ValueError(
            f"m and v must have the same shape (n,) or (k, n) with n = {measure.n} and k >= 1, "
            f"got {m.shape} and {v.shape}"
        )
    onsager = check_bool("onsager", onsager)
    nv = measure.n_visible
    k = m.shape[0]
    mv, mh = m[:, :nv], m[:, nv:]
    dW = mv.T @ mh / k
    if onsager:
        dW = dW + measure.W * (v[:, :nv].T @ v[:, nv:]) / k
    return dW, mv.mean(axis=0), mh.mean(axis=0)


@_cites
class RBM:
    r"""Restricted Boltzmann machine estimator (module docstring).

    Parameters
    ----------
    n_hidden : int
        Hidden units (1 to 100000).
    method : {'exact', 'cd', 'pcd', 'naive', 'tap'}
        Negative phase of the gradient.
    learning_rate : float
        Step of the stochastic gradient ascent on the mean log-likelihood (> 0).
    n_iter : int
        Epochs of :meth:`fit`.
    batch_size : int
        Samples per minibatch.
    k : int
        Gibbs sweeps per step (CD-k, PCD).
    n_chains : int or None
        Persistent chains (PCD) or mean-field starts (naive, TAP); default ``batch_size``.
    l2 : float
        Weight decay on W (>= 0).
    visible : {'bernoulli', 'gaussian'}
        Visible units: {0, 1}, or real-valued with unit variance (the Gaussian-Bernoulli RBM).
    tap_tol, tap_max_iter, tap_damping :
        Convergence of the mean-field solves during training (max-norm change of the means).
    learning_curve : {'auto', 'exact', 'ais', 'none'}
        Per-epoch log-likelihood: 'auto' is exact when the smaller layer has at most
        :data:`MAX_EXACT_SCORE` units, else none; 'ais' costs an AIS run per epoch.
    random_state : int, Generator or None
        Seeds the initial weights, minibatch order, chains and AIS.
    verbose : bool
        Print one line per epoch.

    Attributes
    ----------
    components_ : ndarray, shape (n_hidden, n_features)
        W transposed, as in scikit-learn's ``BernoulliRBM``.
    intercept_visible_, intercept_hidden_ : ndarray
        b and c.
    n_features_in_ : int
    learning_curve_ : LearningCurve
    n_tap_failures_ : int
        Non-converged mean-field starts over all training.
    """

    def __init__(
        self,
        n_hidden: int = 16,
        *,
        method: str = "tap",
        learning_rate: float = 0.05,
        n_iter: int = 30,
        batch_size: int = 20,
        k: int = 1,
        n_chains: int | None = None,
        l2: float = 0.0,
        visible: str = "bernoulli",
        tap_tol: float = 1e-5,
        tap_max_iter: int = 200,
        tap_damping: float = 0.0,
        learning_curve: str = "auto",
        random_state=None,
        verbose: bool = False,
    ) -> None:
        self.n_hidden = n_hidden
        self.method = method
        self.learning_rate = learning_rate
        self.n_iter = n_iter
        self.batch_size = batch_size
        self.k = k
        self.n_chains = n_chains
        self.l2 = l2
        self.visible = visible
        self.tap_tol = tap_tol
        self.tap_max_iter = tap_max_iter
        self.tap_damping = tap_damping
        self.learning_curve = learning_curve
        self.random_state = random_state
        self.verbose = verbose

    # ----------------------------------------------------------------- scikit-learn protocol
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict:
        """Constructor parameters, as scikit-learn's ``BaseEstimator.get_params``."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params) -> RBM:
        """Set constructor parameters; unknown names raise ``ValueError`` naming them."""
        valid = set(self._param_names())
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for RBM; valid parameters: {sorted(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = [
            f"{k}={v!r}"
            for k, v in self.get_params().items()
            if defaults.get(k) is not v and not (isinstance(v, (int, float, str)) and v == defaults.get(k))
        ]
        return f"RBM({', '.join(changed)})"

    def __sklearn_tags__(self):
        from sklearn.utils import Tags, TargetTags, TransformerTags  # only called by scikit-learn itself

        return Tags(
            estimator_type=None,
            target_tags=TargetTags(required=False),
            transformer_tags=TransformerTags(),
            requires_fit=True,
        )

    # ----------------------------------------------------------------- validation
    def _validate_params(self) -> dict:
        p: dict[str, Any] = {
            "n_hidden": check_int("n_hidden", self.n_hidden, minimum=1, maximum=100_000),
            "method": check_choice("method", self.method, METHODS),
            "learning_rate": check_positive("learning_rate", self.learning_rate, scalar=True),
            "n_iter": check_int("n_iter", self.n_iter, minimum=1, maximum=10**6),
            "batch_size": check_int("batch_size", self.batch_size, minimum=1, maximum=10**7),
            "k": check_int("k", self.k, minimum=1, maximum=10**5),
            "l2": check_nonnegative("l2", self.l2, scalar=True),
            "visible": check_choice("visible", self.visible, ("bernoulli", "gaussian")),
            "tap_tol": check_tol("tap_tol", self.tap_tol),
            "tap_max_iter": check_int("tap_max_iter", self.tap_max_iter, minimum=1, maximum=10**6),
            "learning_curve": check_choice("learning_curve", self.learning_curve, ("auto", "exact", "ais", "none")),
            "verbose": check_bool("verbose", self.verbose),
        }
        p["n_chains"] = (
            p["batch_size"] if self.n_chains is None else check_int("n_chains", self.n_chains, minimum=1, maximum=10**6)
        )
        damping = check_finite("tap_damping", self.tap_damping, scalar=True)
        if not 0 <= damping < 1:
            raise ValueError(f"tap_damping must be in [0, 1), got {damping}")
        p["tap_damping"] = damping
        if p["learning_rate"] > 1e3:
            raise ValueError(f"learning_rate must be <= 1e3, got {p['learning_rate']}")
        if p["learning_rate"] * p["l2"] >= 2.0:  # the decay step W <- (1 - lr l2) W would grow W geometrically
            raise ValueError(
                f"l2 * learning_rate must be < 2 (the weight decay diverges beyond), got "
                f"l2 = {p['l2']:g}, learning_rate = {p['learning_rate']:g}"
            )
        return p

    def _check_X(self, X, fitted: bool, visible: str | None = None) -> np.ndarray:
        if X is None or isinstance(X, (str, bool)):
            raise ValueError(f"X must be a 2-D array of samples, got {X!r}")
        X = np.asarray(X)
        if X.dtype == object or X.dtype.kind == "c" or not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
            raise ValueError(f"X must be real numbers, got dtype {X.dtype}")
        X = X.astype(float)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(f"X must be non-empty, got shape {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError("X must be finite (it contains NaN or inf)")
        visible = visible or getattr(self, "_visible_", None) or self.visible
        if visible == "bernoulli" and not np.all((X == 0) | (X == 1)):
            bad = X[(X != 0) & (X != 1)][0]
            raise ValueError(
                f"X must be binary (0 or 1) for visible='bernoulli' units, got a value {bad:g}; "
                "binarise it (e.g. datasets.digits(binarize=True)) or use visible='gaussian'"
            )
        if fitted and X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but the RBM was fitted with {self.n_features_in_}")
        return X

    def _check_fitted(self) -> None:
        if not hasattr(self, "components_"):
            raise ValueError("this RBM is not fitted yet: call fit or partial_fit first")

    # ----------------------------------------------------------------- the model
    def measure(self) -> Bipartite:
        """The fitted machine as a :class:`~statmech_learn.meanfield.measures.Bipartite` measure (beta = 1)."""
        self._check_fitted()
        return Bipartite(
            self.components_.T,
            self.intercept_visible_,
            self.intercept_hidden_,
            1.0,
            visible=self._visible_,
            hidden="bernoulli",
        )

    def _fast_measure(self) -> Bipartite:
        """The same without validation (inside the training loop)."""
        m = object.__new__(Bipartite)
        W = self.components_.T
        m.W, m.b, m.c, m.beta = W, self.intercept_visible_, self.intercept_hidden_, 1.0
        m.visible_prior, m.hidden_prior = self._priors
        m.n_visible, m.n_hidden = W.shape
        m.n = W.shape[0] + W.shape[1]
        m.h = np.concatenate([m.b, m.c])
        m.W2 = W * W
        m._J = None
        return m

    def _hidden_means(self, V: np.ndarray) -> np.ndarray:
        return expit(self.intercept_hidden_ + V @ self.components_.T)

    def _visible_field(self, H: np.ndarray) -> np.ndarray:
        return self.intercept_visible_ + H @ self.components_

    def _initialise(self, X: np.ndarray, p: dict, weight: np.ndarray | None = None) -> None:
        rng = as_rng(self.random_state)
        self._rng = rng
        nv = X.shape[1]
        self.n_features_in_ = nv
        self._visible_ = p["visible"]
        from ..gibbs.priors import make_prior

        self._priors = (make_prior(p["visible"], "visible"), make_prior("bernoulli", "hidden"))
        self.components_ = 0.01 * rng.standard_normal((p["n_hidden"], nv))
        self.intercept_hidden_ = np.zeros(p["n_hidden"])
        mean = X.mean(axis=0) if weight is None else weight @ X / weight.sum()
        if p["visible"] == "bernoulli":  # data log-odds, clipped (Hinton 2010, "A practical guide", sec. 8.1)
            q = np.clip(mean, 1e-3, 1 - 1e-3)
            self.intercept_visible_ = np.log(q) - np.log1p(-q)
        else:
            self.intercept_visible_ = mean
        starts = X[rng.integers(0, X.shape[0], p["n_chains"])]
        self.persistent_visible_ = starts.copy()
        self._tap_m: np.ndarray | None = None
        self.n_tap_failures_ = 0
        self._epochs = 0
        self._curve: dict[str, list] = {k: [] for k in ("epoch", "ll", "ll_err", "ll_tap", "fail", "skip")}
        self._base_fields = self.intercept_visible_.copy()

    # ----------------------------------------------------------------- negative phases
    def _gibbs(self, V: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
        rng = self._rng
        vp, hp = self._priors
        for _ in range(steps):
            H = sample_tilted(hp, self.intercept_hidden_ + V @ self.components_.T, rng)
            V = sample_tilted(vp, self._visible_field(H), rng)
        return V, self._hidden_means(V)

    def _mean_field(self, p: dict, onsager: bool):
        """Mean-field fixed points from the persistent magnetisations: (gradient of Phi or None, failures)."""
        measure = self._fast_measure()
        if self._tap_m is None:
            mv = self.persistent_visible_
            if self._visible_ == "bernoulli":
                mv = np.clip(mv, 0.05, 0.95)
            self._tap_m = np.hstack([mv, self._hidden_means(mv)])
            self._tap_v = np.broadcast_to(prior_moments(measure)[1], self._tap_m.shape).copy()
        m0, v0 = self._tap_m, self._tap_v
        m, v, residual, converged, _ = iterate(
            measure, m0, v0, onsager=onsager, damping=p["tap_damping"], tol=p["tap_tol"], max_iter=p["tap_max_iter"]
        )
        ok = np.isfinite(residual)
        if np.all(ok):
            self._tap_m, self._tap_v = m, v
        else:  # restart the starts that blew up from where they were
            self._tap_m, self._tap_v = np.where(ok[:, None], m, m0), np.where(ok[:, None], v, v0)
        ok &= converged
        failures = int(np.count_nonzero(~ok))
        if not np.any(ok):
            return None, failures
        return mean_field_gradient(measure, m[ok], v[ok], onsager=onsager), failures

    def _step(self, batch: np.ndarray, p: dict, weight: np.ndarray | None = None) -> tuple[int, bool]:
        """One gradient step; returns (mean-field failures, skipped).  With sample weights the data term is the
        self-normalised weighted mean over the minibatch."""
        lr, method = p["learning_rate"], p["method"]
        H_data = self._hidden_means(batch)
        if weight is None:
            n = batch.shape[0]
            pos_w = H_data.T @ batch / n
            pos_b, pos_c = batch.mean(axis=0), H_data.mean(axis=0)
        else:
            q = weight / weight.sum()
            pos_w = (H_data * q[:, None]).T @ batch
            pos_b, pos_c = q @ batch, q @ H_data
        failures = 0
        if method == "exact":
            ev, eh, evh, _ = model_moments(self._fast_measure())
            neg_w, neg_b, neg_c = evh.T, ev, eh
        elif method in ("cd", "pcd"):
            start = batch if method == "cd" else self.persistent_visible_
            V, Hm = self._gibbs(start, p["k"])
            if method == "pcd":
                self.persistent_visible_ = V
            neg_w, neg_b, neg_c = Hm.T @ V / V.shape[0], V.mean(axis=0), Hm.mean(axis=0)
        else:
            grad, failures = self._mean_field(p, onsager=method == "tap")
            if grad is None:
                return failures, True
            neg_w, neg_b, neg_c = grad[0].T, grad[1], grad[2]
        self.components_ += lr * (pos_w - neg_w - p["l2"] * self.components_)
        self.intercept_visible_ += lr * (pos_b - neg_b)
        self.intercept_hidden_ += lr * (pos_c - neg_c)
        if not (np.all(np.isfinite(self.components_)) and np.all(np.isfinite(self.intercept_visible_))):
            raise FloatingPointError(
                f"the parameters diverged at epoch {self._epochs + 1} (method={method!r}); "
                f"lower learning_rate (got {lr:g})"
            )
        return failures, False

    # ----------------------------------------------------------------- fitting
    def fit(self, X, y=None, sample_weight=None, batches=None) -> RBM:
        r"""Train for ``n_iter`` epochs from a fresh initialisation (``y`` is ignored).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        sample_weight : array_like, shape (n_samples,), optional
            Non-negative weights: the data term of each minibatch is the weighted mean
            :math:`\sum_j w_j s_j / \sum_j w_j`, so that the machine learns the reweighted law
            :math:`p'(v) \propto w(v) p(v)` (with :math:`w = e^{-\Delta H}`,
            :mod:`statmech_learn.reweight`).
        batches : iterable of index arrays, optional
            Minibatches of one epoch, iterated afresh every epoch (for instance
            :class:`statmech_learn.reweight.AdjustedBatchSampler`, whose error-carry batches keep the
            adjusted size :math:`\sum_j w_j` near a target); default: shuffled slices of ``batch_size``.
        """
        p = self._validate_params()
        X = self._check_X(X, fitted=False, visible=p["visible"])
        weight = self._check_weight(sample_weight, X.shape[0])
        self._initialise(X, p, weight)
        for _ in range(p["n_iter"]):
            self._epoch(X, p, weight, batches)
        return self

    def partial_fit(self, X, y=None, sample_weight=None, batches=None) -> RBM:
        """One epoch over X (initialising on the first call), as scikit-learn's ``partial_fit``; ``sample_weight``
        and ``batches`` as in :meth:`fit`."""
        p = self._validate_params()
        fitted = hasattr(self, "components_")
        X = self._check_X(X, fitted=fitted, visible=p["visible"] if not fitted else self._visible_)
        weight = self._check_weight(sample_weight, X.shape[0])
        if not fitted:
            self._initialise(X, p, weight)
        elif self.components_.shape[0] != p["n_hidden"]:
            raise ValueError(f"n_hidden changed from {self.components_.shape[0]} to {p['n_hidden']} after fitting")
        self._epoch(X, p, weight, batches)
        return self

    @staticmethod
    def _check_weight(sample_weight, n: int) -> np.ndarray | None:
        if sample_weight is None:
            return None
        w = np.asarray(check_finite("sample_weight", sample_weight), dtype=float)
        if w.shape != (n,):
            raise ValueError(f"sample_weight must have shape ({n},), got {w.shape}")
        if np.any(w < 0) or not np.any(w > 0):
            raise ValueError("sample_weight must be >= 0 with at least one positive weight")
        return w

    def _batches(self, n: int, p: dict, batches):
        if batches is None:
            order = self._rng.permutation(n)
            for start in range(0, n, p["batch_size"]):
                yield order[start : start + p["batch_size"]]
            return
        for idx in batches:
            idx = np.asarray(idx)
            if (
                idx.ndim != 1
                or idx.size == 0
                or not np.issubdtype(idx.dtype, np.integer)
                or idx.min() < 0
                or idx.max() >= n
            ):
                raise ValueError(f"batches must yield non-empty 1-D integer index arrays within [0, {n}), got {idx!r}")
            yield idx

    def _epoch(self, X: np.ndarray, p: dict, weight: np.ndarray | None = None, batches=None) -> None:
        failures = skipped = 0
        for idx in self._batches(X.shape[0], p, batches):
            wb = None if weight is None else weight[idx]
            if wb is not None and not np.any(wb > 0):
                skipped += 1
                continue
            f, s = self._step(X[idx], p, wb)
            failures += f
            skipped += int(s)
        self._epochs += 1
        self.n_tap_failures_ += failures
        if failures and p["method"] in ("naive", "tap"):
            warnings.warn(
                f"{failures} mean-field starts did not converge in epoch {self._epochs} "
                f"(tap_tol {p['tap_tol']:g}, tap_max_iter {p['tap_max_iter']}); they were left out of "
                f"the gradient{f', {skipped} step(s) skipped' if skipped else ''}",
                ConvergenceWarning,
                stacklevel=3,
            )
        self._record(X, p, failures, skipped, weight)

    def _record(self, X: np.ndarray, p: dict, failures: int, skipped: int, weight=None) -> None:
        mode = p["learning_curve"]
        small = min(self.n_features_in_, p["n_hidden"]) <= MAX_EXACT_SCORE
        if mode == "auto":
            mode = "exact" if small else "none"
        ll = err = ll_tap = math.nan
        if mode != "none":  # the data term, the exact or AIS log Z, and the TAP estimate beside them
            lm = log_marginal_visible(self._fast_measure(), X, counting=True)
            data_term = float(np.mean(lm) if weight is None else weight @ lm / weight.sum())
            if mode == "exact":
                ll, err = data_term - exact_log_partition(self._fast_measure(), counting=True).value, 0.0
            else:
                est = self.log_partition("ais")
                ll, err = data_term - est.value, est.error
            tap_z = self.log_partition("tap")
            ll_tap = data_term - tap_z.value if tap_z.converged else math.nan
        c = self._curve
        for key, val in (
            ("epoch", self._epochs),
            ("ll", ll),
            ("ll_err", err),
            ("ll_tap", ll_tap),
            ("fail", failures),
            ("skip", skipped),
        ):
            c[key].append(val)
        self.learning_curve_ = LearningCurve(
            epoch=np.array(c["epoch"]),
            log_likelihood=np.array(c["ll"]),
            log_likelihood_err=np.array(c["ll_err"]),
            log_likelihood_tap=np.array(c["ll_tap"]),
            tap_failures=np.array(c["fail"]),
            skipped_steps=np.array(c["skip"]),
            method=mode,
        )
        if self.verbose:
            print(
                f"[RBM {p['method']}] epoch {self._epochs}: log-likelihood {ll:.3f} (TAP {ll_tap:.3f}), "
                f"mean-field failures {failures}"
            )

    # ----------------------------------------------------------------- using the machine
    def transform(self, X) -> np.ndarray:
        """Hidden means :math:`E[h | v] = \\sigma(c + W^\\top v)`, shape (n_samples, n_hidden)."""
        self._check_fitted()
        return self._hidden_means(self._check_X(X, fitted=True))

    def fit_transform(self, X, y=None) -> np.ndarray:
        """``fit(X).transform(X)``."""
        return self.fit(X).transform(X)

    def log_partition(self, method: str = "exact", **kwargs) -> LogPartition:
        """log Z (counting convention) by exact summation of the smaller layer, AIS or TAP.

        ``'exact'`` refuses a smaller layer above 24 units (use AIS); ``'ais'`` takes the keyword
        arguments of :func:`~statmech_learn.meanfield.partition.ais` (default base: the initial
        visible fields; rng: the estimator's); ``'tap'`` returns the largest TAP free entropy among the
        fixed points reached from the persistent magnetisations and the data-independent start
        (no error bar: its error is systematic)."""
        self._check_fitted()
        method = check_choice("method", method, ("exact", "ais", "tap"))
        measure = self._fast_measure()
        if method == "exact":
            return exact_log_partition(measure, counting=True)
        if method == "ais":
            kwargs.setdefault("base_fields", self._base_fields)
            kwargs.setdefault("rng", self._rng)
            return ais(measure, counting=True, **kwargs)
        starts = [
            np.concatenate(
                [
                    expit(self._base_fields) if self._visible_ == "bernoulli" else self._base_fields,
                    np.full(measure.n_hidden, 0.5),
                ]
            )[None, :]
        ]
        if self._tap_m is not None:
            starts.append(self._tap_m)
        m0 = np.vstack(starts)
        v0 = np.broadcast_to(prior_moments(measure)[1], m0.shape).copy()
        m, v, _, converged, _ = iterate(measure, m0, v0, onsager=True, damping=0.0, tol=1e-9, max_iter=2000)
        if not np.any(converged):
            return LogPartition(value=math.nan, error=math.nan, method="tap", counting=True, n_terms=0, converged=False)
        phi = tap_free_entropy(measure, m[converged], v[converged])
        return LogPartition(
            value=float(np.max(phi)) + counting_offset(measure),
            error=math.nan,
            method="tap",
            counting=True,
            n_terms=int(np.count_nonzero(converged)),
            converged=True,
        )

    def score_samples(self, X) -> np.ndarray:
        """Log-likelihood log p(v) of each sample (counting convention): exact when the smaller layer has at
        most :data:`MAX_EXACT_SCORE` units, else with log Z from AIS (its error: :meth:`log_partition`)."""
        self._check_fitted()
        X = self._check_X(X, fitted=True)
        measure = self._fast_measure()
        small = min(measure.n_visible, measure.n_hidden) <= MAX_EXACT_SCORE
        log_z = self.log_partition("exact" if small else "ais").value
        return log_marginal_visible(measure, X, counting=True) - log_z

    def log_likelihood_gradient(self, X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""Exact gradient of the mean log-likelihood of X in (W, b, c), W of shape (n_visible, n_hidden):
        :math:`\langle v\, E[h|v]^\top\rangle_X - \langle v h^\top\rangle_p` and likewise for b and c, the
        model term by :func:`~statmech_learn.meanfield.partition.model_moments` (smaller layer <= 24)."""
        self._check_fitted()
        X = self._check_X(X, fitted=True)
        H = self._hidden_means(X)
        ev, eh, evh, _ = model_moments(self._fast_measure())
        return X.T @ H / X.shape[0] - evh, X.mean(axis=0) - ev, H.mean(axis=0) - eh

    def score(self, X, y=None) -> float:
        """Mean log-likelihood per sample."""
        return float(np.mean(self.score_samples(X)))

    def tap_fixed_points(
        self, n_starts: int = 20, rng=None, *, tol: float = 1e-9, max_iter: int = 5000
    ) -> TAPFixedPoints:
        """TAP fixed points reached from ``n_starts`` random visible configurations (uniform on {0, 1}, or
        standard normal for Gaussian units), with the hidden means they induce as hidden starts."""
        self._check_fitted()
        n_starts = check_int("n_starts", n_starts, minimum=1, maximum=100_000)
        tol = check_tol("tol", tol)
        max_iter = check_int("max_iter", max_iter, minimum=1, maximum=10**7)
        rng = as_rng(rng)
        measure = self._fast_measure()
        nv = measure.n_visible
        if self._visible_ == "bernoulli":
            V = rng.random((n_starts, nv))
        else:
            V = rng.standard_normal((n_starts, nv))
        m0 = np.hstack([V, self._hidden_means(V)])
        v0 = np.broadcast_to(prior_moments(measure)[1], m0.shape).copy()
        m, v, residual, converged, used = iterate(
            measure, m0, v0, onsager=True, damping=0.0, tol=tol, max_iter=max_iter
        )
        phi = np.full(n_starts, np.nan)
        fin = np.all(np.isfinite(m), axis=1)
        if np.any(fin):
            phi[fin] = tap_free_entropy(measure, m[fin], v[fin]) + counting_offset(measure)
        if not np.all(converged):
            warnings.warn(
                f"{n_starts - int(np.count_nonzero(converged))} of {n_starts} TAP starts did not converge",
                ConvergenceWarning,
                stacklevel=2,
            )
        order = [i for i in np.argsort(-np.where(converged, phi, -np.inf)) if converged[i]]
        unique: list[int] = []
        counts: list[int] = []
        for i in order:
            for j, u in enumerate(unique):
                if np.max(np.abs(m[i] - m[u])) < 1e-4:
                    counts[j] += 1
                    break
            else:
                unique.append(int(i))
                counts.append(1)
        return TAPFixedPoints(
            visible=m[:, :nv],
            hidden=m[:, nv:],
            free_entropy=phi,
            converged=converged,
            residual=residual,
            n_iter=used,
            unique=np.array(unique, dtype=int),
            counts=np.array(counts, dtype=int),
        )

    def sample(self, n_samples: int, n_steps: int = 1000, rng=None) -> np.ndarray:
        """Visible samples after ``n_steps`` block-Gibbs sweeps from random starts."""
        self._check_fitted()
        n_samples = check_int("n_samples", n_samples, minimum=1, maximum=10**7)
        n_steps = check_int("n_steps", n_steps, minimum=1, maximum=10**7)
        saved = self._rng
        self._rng = as_rng(rng)
        try:
            V = sample_tilted(
                self._priors[0], np.broadcast_to(self._base_fields, (n_samples, self.n_features_in_)), self._rng
            )
            return self._gibbs(V, n_steps)[0]
        finally:
            self._rng = saved
