r"""The Bayes-optimal sign committee machine with many hidden units: the large-K replica equations.

Model: :math:`y = \mathrm{sign}(\sum_{k\le K}\mathrm{sign}(z_k))`, :math:`z = W^\top x/\sqrt N`,
W an N x K matrix of i.i.d. N(0, 1) or ±1 entries, a Bayes-optimal student, P examples and
the limit :math:`N\to\infty`, then :math:`K\to\infty` with :math:`\tilde\alpha = \alpha/K = P/(NK)`
(examples per weight) fixed (Aubin, Maillard, Barbier, Krzakala, Macris & Zdeborova 2018,
NeurIPS, arXiv:1806.05451, section on the large number of hidden units; Schwarze & Hertz 1993,
Europhys. Lett. 21, 785 for the Gibbs student).  The order parameters are committee-symmetric,
:math:`q = q_d I + q_a\mathbf 1\mathbf 1^\top/K` (:func:`~statmech_learn.replica.solve_committee`).

Derivation (sketch)
-------------------
*Channel.*  Under the replica measure :math:`\omega\sim N(0, q)` and :math:`z\mid\omega\sim N(\omega, I - q)`,
so :math:`z\sim N(0, I)`.  Split every vector into its component along :math:`e = \mathbf 1/\sqrt K`
and the rest: :math:`z = a + c\,e` with :math:`c = e^\top z\sim N(0, 1)` and
:math:`a\perp\mathbf 1` (:math:`\sum_k a_k = 0`, the :math:`a_k` marginally N(0, 1)).  Expanding
:math:`\mathrm{sign}(a_k + c/\sqrt K)` to first order and writing
:math:`\mathrm{sign}(a) = \sqrt{2/\pi}\,a + r(a)` (r has no linear Hermite component, so the constraint
:math:`\sum a_k = 0` removes only the linear part),

.. math::
    s = \frac1{\sqrt K}\sum_k\mathrm{sign}(z_k)\ \longrightarrow\ \sqrt{2/\pi}\,c + R,\qquad
    R = \frac1{\sqrt K}\sum_k r(a_k),\quad \mathrm{Var}\,R = 1 - 2/\pi .

Given :math:`\omega`: :math:`c\mid\omega\sim N(\bar\omega, 1 - q_d - q_a)` with :math:`\bar\omega = e^\top\omega`,
and by the central limit theorem :math:`R\mid\omega` is Gaussian of mean
:math:`M = K^{-1/2}\sum_k m(\omega^\perp_k)`, :math:`m(t) = \mathrm{erf}(t/\sqrt{2(1-q_d)}) - \sqrt{2/\pi}\,t`,
with :math:`\mathbb E M^2 = \tfrac2\pi(\arcsin q_d - q_d)` (Sheppard's formula), and variance
:math:`1 - 2/\pi - \mathbb E M^2`.  So :math:`s\mid\omega\sim N(\mu, 1 - Q)` with
:math:`\mu = \sqrt{2/\pi}\,\bar\omega + M\sim N(0, Q)` and

.. math::
    Q = \tfrac2\pi\,\big(q_a + \arcsin q_d\big):

the channel is that of a Bayes-optimal sign perceptron at overlap Q,
:math:`Z_{out}(y\mid\mu) = H(-y\mu/\sqrt{1-Q})` (tested against direct sampling of the finite-K
committee in tests/test_large_committee.py).  Its free entropy and conjugate (per example) are

.. math::
    \Psi_{out}(Q) = \mathbb E_\xi\sum_{y=\pm1}H(y x)\log H(y x),\qquad
    p(Q) = 2\Psi_{out}'(Q) = \frac1{1-Q}\,\mathbb E_\xi\,\phi(x)\,[r(x) + r(-x)],\qquad x = \sqrt{\tfrac{Q}{1-Q}}\,\xi,

r the hazard :math:`\phi/H`, and the Bayes classifier errs with probability
:math:`\varepsilon_g = \arccos(\sqrt Q)/\pi`.

*Free entropy.*  With :math:`\hat q = \hat q_d I + \hat q_a\mathbf 1\mathbf 1^\top/K`,
:math:`\mathrm{Tr}\,q\hat q = Kq_d\hat q_d + q_d\hat q_a + q_a\hat q_d + q_a\hat q_a` and
:math:`\alpha = \tilde\alpha K`.  Stationarity in :math:`q_a` forces :math:`\hat q_a = K\chi` with
:math:`\chi = \tilde\alpha\,\tfrac2\pi\,p(Q)`: the mean direction :math:`\sum_k w_k/\sqrt K` is seen by
:math:`\alpha\to\infty` examples per input and is learnt perfectly, :math:`q_d + q_a = 1`
(prior map of the :math:`\mathbf 1` direction at signal :math:`K\chi\to\infty`; its contribution
:math:`O(\log K)` to the free entropy vanishes per weight).  Per weight, the free entropy is then a
function of :math:`(q_d, \hat q_d)` alone,

.. math::
    \phi(\tilde\alpha) = \mathrm{extr}_{q_d,\hat q_d}\Big[\psi_w(\hat q_d) - \tfrac12 q_d\hat q_d
        + \tilde\alpha\,\Psi_{out}\big(Q(q_d)\big)\Big],\qquad Q(q_d) = \tfrac2\pi\big(1 - q_d + \arcsin q_d\big),

with :math:`\psi_w` the scalar prior's :math:`\mathbb E\log Z_w`: Gaussian
:math:`\tfrac12[\hat q - \log(1+\hat q)]`, binary :math:`\mathbb E\log\cosh(\hat q + \sqrt{\hat q}\xi) - \hat q/2`.
The saddle-point equations, iterated as state evolution, are

.. math::
    \hat q_d = \tilde\alpha\,\tfrac2\pi\,p\big(Q(q_d)\big)\Big[\frac1{\sqrt{1 - q_d^2}} - 1\Big],\qquad
    q_d = \mathbb E\,f_a(\hat q_d w^* + \sqrt{\hat q_d}\xi)\,w^*
    \quad\big(\text{Gaussian } \hat q_d/(1+\hat q_d);\
    \text{binary } \mathbb E\tanh(\hat q_d + \sqrt{\hat q_d}\xi)\big).

:math:`q_d = 0` (non-specialised: :math:`Q = 2/\pi`, :math:`\varepsilon_g = \arccos\sqrt{2/\pi}/\pi = 0.20595`)
is a fixed point at every load and is always locally stable, since :math:`\hat q_d = O(q_d^2)`:
state evolution, hence AMP, from an uninformative start never specialises at
:math:`K = \infty` (the computational gap).  The specialised branch appears discontinuously:

* Gaussian weights: at the spinodal :math:`\tilde\alpha_{sp} = \min_{q_d}\tilde\alpha(q_d)`, with
  :math:`\tilde\alpha(q_d) = \frac{q_d/(1-q_d)}{\frac2\pi p(Q)\,[(1-q_d^2)^{-1/2} - 1]}` the load at which
  :math:`q_d` is a fixed point; the free entropies cross at :math:`\tilde\alpha_{spec}` (first order).
  On the specialised branch :math:`\tilde\alpha\,\varepsilon_g\to\sqrt{2/\pi}/I_0`,
  :math:`I_0 = \int\phi(x)^2/H(x)\,dx`, as :math:`\tilde\alpha\to\infty`.
* Binary weights: :math:`q_d = 1` (perfect learning, :math:`\phi = -\log 2`, :math:`\varepsilon_g = 0`) is a stable
  fixed point at every load, so there is no spinodal on that side; the transition is the entropy
  crossing :math:`\tilde\alpha_{spec} = \log 2/(-\Psi_{out}(2/\pi))`.

Numerics: all Gaussian integrals use :func:`~statmech_learn.gaussian.normal_nodes` refined on the
integrand's width, hazards and tails through ``erfcx`` (:func:`~statmech_learn.gaussian.hazard`,
:func:`~statmech_learn.gaussian.log_H`); the state variable is :math:`1 - q_d`, so that
:math:`1 - Q = \tfrac2\pi[2\arcsin\sqrt{(1-q_d)/2} - (1 - q_d)]` keeps full relative precision as
:math:`q_d\to1`.  Accuracy against mpmath: tests/test_large_committee.py.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq, minimize_scalar
from scipy.special import expit

from .._validation import check_choice, check_finite, check_int, check_positive, check_tol
from ..citations import _cites
from ..errors import ConvergenceError, ConvergenceWarning
from ..gaussian import H, hazard, log_H, normal_nodes, phi
from ..results import Result

__all__ = [
    "LargeCommitteeCurve",
    "LargeCommitteeTransition",
    "solve_large_committee",
    "large_committee_transition",
    "large_committee_channel",
    "large_committee_prior",
    "effective_overlap",
]

PRIORS = ("gaussian", "binary")
#: q_d above which a fixed point counts as specialised
SPECIALIZED = 1e-3
#: q_d of the uninformative (AMP-like) start; q_d = 0 attracts it at every load up to ALPHA_TILDE_MAX,
#: since the map is ~ 0.4 alpha_tilde q_d^2 near 0
NON_SPECIALIZED_START = 1e-10
#: loads outside [ALPHA_TILDE_MIN, ALPHA_TILDE_MAX] are refused
ALPHA_TILDE_MIN, ALPHA_TILDE_MAX = 1e-8, 1e8
MAX_ITER_LIMIT = 1_000_000
_PANEL_ORDER = 16
_TINY = 1e-300


@dataclass(frozen=True, repr=False)
class LargeCommitteeCurve(Result):
    r"""Large-K replica fixed points of the Bayes-optimal sign committee along an :math:`\tilde\alpha` grid.

    Attributes
    ----------
    alpha_tilde : examples per weight, :math:`P/(NK)`.
    q_diagonal, q_offdiagonal : :math:`q_d` and :math:`q_a = 1 - q_d` of :math:`q = q_d I + q_a 11^T/K`.
    qhat_diagonal : :math:`\hat q_d` (the off-diagonal conjugate diverges like K); ``inf`` at perfect
        recovery (:math:`q_d = 1`, the specialised branch of binary weights).
    effective_overlap : :math:`Q = \tfrac2\pi(q_a + \arcsin q_d)` of the equivalent sign perceptron.
    free_entropy : RS free entropy per weight (divided by NK), module docstring.
    generalization_error : misclassification rate of the Bayes-optimal classifier, :math:`\arccos(\sqrt Q)/\pi`.
    squared_error : :math:`\tfrac12\mathbb E(y - \hat y)^2` of the posterior-mean label, Aubin et al.'s
        convention and that of :class:`~statmech_learn.replica.CommitteeCurve`:
        :math:`2\,\mathbb E_\xi H(x)H(-x)`, :math:`x = \sqrt{Q/(1-Q)}\,\xi`.
    specialized : :math:`q_d > 10^{-3}`.
    branch : 'non-specialized' or 'specialized' (the start whose fixed point is reported).
    converged, n_iter, residual : per load; residual is :math:`|F(q_d) - q_d|`.
    prior : 'gaussian' or 'binary'.
    model : description of the model.
    """

    alpha_tilde: object
    q_diagonal: object
    q_offdiagonal: object
    qhat_diagonal: object
    effective_overlap: object
    free_entropy: object
    generalization_error: object
    squared_error: object
    specialized: object
    branch: object
    converged: object
    n_iter: object
    residual: object
    prior: str
    model: str


@dataclass(frozen=True, repr=False)
class LargeCommitteeTransition(Result):
    r"""The specialisation transition of the large-K sign committee.

    Attributes
    ----------
    prior : 'gaussian' or 'binary'.
    alpha_tilde_spec : free-entropy crossing of the two branches (first-order transition).
    alpha_tilde_spinodal : lowest load at which the specialised branch exists (NaN for binary weights,
        whose perfect-learning fixed point exists at every load).
    alpha_tilde_amp : load at which the non-specialised fixed point loses stability, i.e. where state
        evolution (AMP) from an uninformative start specialises: ``inf`` (it is stable at every load).
    q_diagonal_spec : :math:`q_d` of the specialised branch at the transition.
    error_non_specialized, error_specialized : generalisation errors of the two branches at the transition.
    free_entropy_spec : free entropy per weight at the transition.
    converged, n_iter, residual : of the root finder (residual: ``|free-entropy difference|`` at the root).
    """

    prior: str
    alpha_tilde_spec: float
    alpha_tilde_spinodal: float
    alpha_tilde_amp: float
    q_diagonal_spec: float
    error_non_specialized: float
    error_specialized: float
    free_entropy_spec: float
    converged: bool
    n_iter: int
    residual: float


# -- the two scalar maps ---------------------------------------------------------------------


def _one_minus_Q(e):
    r""":math:`1 - Q` at :math:`q_d = 1 - e`, :math:`q_a = e`: :math:`\tfrac2\pi[\arccos(1-e) - e]`, no cancellation."""
    e = np.clip(np.asarray(e, dtype=float), 0.0, 1.0)
    return np.clip((2.0 / np.pi) * (2.0 * np.arcsin(np.sqrt(0.5 * e)) - e), 0.0, 1.0)


def effective_overlap(q_diagonal: ArrayLike, q_offdiagonal: ArrayLike | None = None) -> np.ndarray:
    r"""Overlap :math:`Q = \tfrac2\pi(q_a + \arcsin q_d)` of the sign perceptron equivalent to the large-K
    sign committee at :math:`q = q_d I + q_a 11^T/K` (module docstring); :math:`q_a = 1 - q_d` by default,
    its value at every load of the large-K limit.

    Raises ValueError unless :math:`0 \le q_d \le 1`, :math:`q_a \ge 0` and :math:`q_d + q_a \le 1`.
    """
    qd = np.asarray(check_finite("q_diagonal", q_diagonal))
    if np.any((qd < 0) | (qd > 1)):
        raise ValueError(f"q_diagonal must be in [0, 1], got {q_diagonal!r}")
    if q_offdiagonal is None:
        return 1.0 - _one_minus_Q(1.0 - qd)
    qa = np.asarray(check_finite("q_offdiagonal", q_offdiagonal))
    if np.any(qa < 0) or np.any(qd + qa > 1 + 1e-12):
        raise ValueError(f"q_offdiagonal must be >= 0 with q_diagonal + q_offdiagonal <= 1, got {q_offdiagonal!r}")
    return (2.0 / np.pi) * (qa + np.arcsin(qd))


def _channel(omq) -> dict[str, np.ndarray]:
    """Sign-perceptron channel at 1 - Q = ``omq``: p (qhat per example), psi, error; vectorised."""
    omq = np.asarray(omq, dtype=float)
    ok = omq > 1e-280
    o = np.where(ok, omq, 0.5)
    Q = 1.0 - o
    s = np.sqrt(Q / o)
    width = np.minimum(1.0, 1.0 / np.maximum(s, _TINY))
    xi, w = normal_nodes(0.0, width, _PANEL_ORDER)
    x = s[..., None] * xi
    w = np.where(w > 0, w, 0.0)
    p = np.sum(w * phi(x) * (hazard(x) + hazard(-x)), axis=-1) / o
    psi = np.sum(w * (H(x) * log_H(x) + H(-x) * log_H(-x)), axis=-1)
    err = np.arcsin(np.sqrt(o)) / np.pi
    sq = 2.0 * np.sum(w * H(x) * H(-x), axis=-1)  # 1/2 E (y - yhat)^2, yhat = H(-x) - H(x)
    return {
        "qhat": np.where(ok, p, np.inf),
        "psi": np.where(ok, psi, 0.0),
        "error": np.where(ok, err, 0.0),
        "squared_error": np.where(ok, sq, 0.0),
    }


def large_committee_channel(Q: ArrayLike) -> dict[str, np.ndarray]:
    r"""The large-K channel map at effective overlap Q in [0, 1] (vectorised): ``qhat`` = :math:`p(Q)`
    (conjugate per example), ``psi`` = :math:`\Psi_{out}(Q)`, ``error`` = :math:`\arccos(\sqrt Q)/\pi` and
    ``squared_error`` = :math:`2\,\mathbb E H(x)H(-x)`.

    Composite Gauss-Legendre rule refined on the width :math:`\sqrt{(1-Q)/Q}` of the integrand
    (relative error < 1e-12 against mpmath for 1 - Q down to 1e-12, tests/test_large_committee.py).
    """
    Q = np.asarray(check_finite("Q", Q))
    if np.any((Q < 0) | (Q > 1)):
        raise ValueError(f"Q must be in [0, 1], got {Q!r}")
    return _channel(1.0 - Q)


def _prior(prior: str, qhat) -> dict[str, np.ndarray]:
    """Scalar Bayes prior map at conjugate qhat: ``e`` = 1 - q and ``phi`` = psi_w(qhat) - q qhat / 2."""
    qhat = np.asarray(qhat, dtype=float)
    finite = np.isfinite(qhat)
    qh = np.where(finite, np.maximum(qhat, 0.0), 1.0)
    if prior == "gaussian":
        e = 1.0 / (1.0 + qh)
        ph = 0.5 * (qh / (1.0 + qh) - np.log1p(qh))
        return {"e": np.where(finite, e, 0.0), "phi": np.where(finite, ph, -np.inf)}
    # binary: h = qhat + sqrt(qhat) xi; 1 - q = E 2 expit(-2h);
    # psi_w - q qhat/2 = qhat (1 - q)/2 - log 2 + E[2 (-h)_+ + log1p(exp(-2|h|))]  (no cancellation)
    rq = np.sqrt(qh)
    xi, w = normal_nodes(-np.clip(rq, 0.0, 11.0), np.minimum(1.0, 1.0 / np.maximum(rq, _TINY)), _PANEL_ORDER)
    w = np.where(w > 0, w, 0.0)
    h = qh[..., None] + rq[..., None] * xi
    e = np.clip(np.sum(w * 2.0 * expit(-2.0 * h), axis=-1), 0.0, 1.0)
    rest = np.sum(w * (2.0 * np.maximum(-h, 0.0) + np.log1p(np.exp(-2.0 * np.abs(h)))), axis=-1)
    ph = 0.5 * qh * e - math.log(2.0) + rest
    return {"e": np.where(finite, e, 0.0), "phi": np.where(finite, ph, -math.log(2.0))}


def large_committee_prior(prior: str, qhat: ArrayLike) -> dict[str, np.ndarray]:
    r"""The scalar Bayes prior map at conjugate :math:`\hat q_d \ge 0` (vectorised): ``q`` (= :math:`q_d`),
    ``one_minus_q`` and ``phi`` = :math:`\psi_w(\hat q) - \tfrac12 q\hat q` (module docstring)."""
    prior = check_choice("prior", prior, PRIORS)
    qhat = np.asarray(check_finite("qhat", qhat))
    if np.any(qhat < 0):
        raise ValueError(f"qhat must be >= 0, got {qhat!r}")
    out = _prior(prior, qhat)
    return {"q": 1.0 - out["e"], "one_minus_q": out["e"], "phi": out["phi"]}


def _c(e):
    r""":math:`(1 - q_d^2)^{-1/2} - 1` at :math:`q_d = 1 - e` (inf at e = 0)."""
    e = np.asarray(e, dtype=float)
    ok = e > 0
    es = np.where(ok, e, 1.0)
    r = np.sqrt(es * (2.0 - es))
    qd = 1.0 - es
    return np.where(ok, qd * qd / (r * (1.0 + r)), np.inf)


def _conjugate(alpha_tilde, e):
    """qhat_d and the channel at q_d = 1 - e."""
    ch = _channel(_one_minus_Q(e))
    with np.errstate(invalid="ignore", over="ignore"):
        qh = alpha_tilde * (2.0 / np.pi) * ch["qhat"] * _c(e)
    qh = np.where(np.asarray(e) >= 1.0, 0.0, qh)  # q_d = 0 exactly: 0 * finite
    return qh, ch


def _evaluate(prior, alpha_tilde, e):
    """Map, free entropy per weight and error at q_d = 1 - e."""
    qh, ch = _conjugate(alpha_tilde, e)
    pr = _prior(prior, qh)
    return {
        "e_new": pr["e"],
        "qhat": qh,
        "phi": pr["phi"] + alpha_tilde * ch["psi"],
        "error": ch["error"],
        "squared_error": ch["squared_error"],
        "Q": 1.0 - _one_minus_Q(e),
    }


def _iterate(prior, a, e0, damping, tol, max_iter):
    """Damped fixed-point iteration of e = 1 - q_d, every load stopping at its own tolerance."""
    e = np.full(a.shape, float(e0))
    n_iter = np.zeros(a.shape, dtype=int)
    res = np.full(a.shape, np.inf)
    active = np.ones(a.shape, dtype=bool)
    for it in range(1, max_iter + 1):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        new = _evaluate(prior, a[idx], e[idx])["e_new"]
        r = np.abs(new - e[idx])
        res[idx] = r
        n_iter[idx] = it
        # relative to 1 - q_d (it sets Q and the error as q_d -> 1); a map that underflows to 1 - q_d = 0 has
        # reached the perfect-learning fixed point (binary weights: F(q_d = 1) = 1 exactly)
        done = (r <= tol * np.minimum(e[idx], 1.0)) | (new == 0.0)
        e[idx] = np.where(done, new, damping * e[idx] + (1.0 - damping) * new)
        active[idx[done]] = False
    converged = ~active & np.isfinite(e)
    return e, converged, n_iter, res


def _check_alpha_tilde(alpha_tilde):
    at = check_positive("alpha_tilde", alpha_tilde)
    arr = np.asarray(at)
    if arr.ndim > 1 or arr.size == 0:
        raise ValueError(f"alpha_tilde must be a number or a non-empty 1-d array, got shape {arr.shape}")
    bad = (arr < ALPHA_TILDE_MIN) | (arr > ALPHA_TILDE_MAX)
    if np.any(bad):
        raise ValueError(
            f"alpha_tilde must be in [{ALPHA_TILDE_MIN:g}, {ALPHA_TILDE_MAX:g}], got {arr[bad].ravel()[0]:g}"
        )
    return at


def _model_name(prior):
    return f"LargeCommittee(prior={prior!r}, activation='sign', output='sign', K=inf)"


@_cites
def solve_large_committee(
    prior: str,
    alpha_tilde: ArrayLike,
    *,
    init: str = "both",
    damping: float = 0.2,
    tol: float = 1e-10,
    max_iter: int = 20_000,
    strict: bool = False,
) -> LargeCommitteeCurve:
    r"""Large-K replica fixed points of the Bayes-optimal sign committee machine (module docstring).

    Parameters
    ----------
    prior : {'gaussian', 'binary'}
        Distribution of the first-layer weights (N(0, 1) or ±1).
    alpha_tilde : float or array_like
        Examples per weight, :math:`\tilde\alpha = P/(NK)`, in [1e-8, 1e8].
    init : {'both', 'non-specialized', 'specialized'}
        Start of the state-evolution iteration: :math:`q_d = 10^{-3}` (non-specialised, where AMP starts)
        or :math:`q_d = 1 - 10^{-6}` (specialised).  'both' keeps, at every load, the converged branch of
        larger free entropy.  A specialised start that falls back to :math:`q_d \le 10^{-3}` has no
        specialised fixed point there and counts as not converged (for that branch).
    damping : float in [0, 1)
        Weight of the old iterate.
    tol : float
        Convergence: :math:`|F(q_d) - q_d| \le \mathrm{tol}\cdot(1 - q_d)` (relative to :math:`1 - q_d`, which
        sets Q and the error as :math:`q_d\to1`).
    max_iter : int
    strict : bool
        Raise :class:`~statmech_learn.errors.ConvergenceError` (carrying the curve) if a load did not
        converge; otherwise a :class:`~statmech_learn.errors.ConvergenceWarning` is emitted.

    Returns
    -------
    LargeCommitteeCurve

    References
    ----------
    Aubin et al. (2018), NeurIPS, arXiv:1806.05451 (large number of hidden units).
    """
    prior = check_choice("prior", prior, PRIORS)
    at_in = _check_alpha_tilde(alpha_tilde)
    init = check_choice("init", init, ("both", "non-specialized", "specialized"))
    if (
        isinstance(damping, bool)
        or not isinstance(damping, (int, float, np.integer, np.floating))
        or not 0.0 <= float(damping) < 1.0
    ):
        raise ValueError(f"damping must be a number in [0, 1), got {damping!r}")
    tol = check_tol("tol", tol)
    max_iter = check_int("max_iter", max_iter, minimum=1, maximum=MAX_ITER_LIMIT)
    if not isinstance(strict, (bool, np.bool_)):
        raise ValueError(f"strict must be True or False, got {strict!r}")
    a = np.atleast_1d(np.asarray(at_in, dtype=float))
    names = ["non-specialized", "specialized"] if init == "both" else [init]
    starts = {"non-specialized": 1.0 - NON_SPECIALIZED_START, "specialized": 1e-6}  # values of e = 1 - q_d
    outs = {}
    for b in names:
        e, conv, n_it, res = _iterate(prior, a, starts[b], float(damping), tol, max_iter)
        ev = _evaluate(prior, a, e)
        if b == "specialized":
            conv = conv & (1.0 - e > SPECIALIZED)
        outs[b] = dict(
            e=e,
            qhat=ev["qhat"],
            phi=ev["phi"],
            error=ev["error"],
            squared_error=ev["squared_error"],
            Q=ev["Q"],
            converged=conv,
            n_iter=n_it,
            residual=res,
        )
    if len(names) == 2:
        n, s = outs["non-specialized"], outs["specialized"]
        pick = s["converged"] & (~n["converged"] | (s["phi"] > n["phi"]))
        out = {k: np.where(pick, s[k], n[k]) for k in n}
        out["converged"] = n["converged"] | s["converged"]
        branch = np.where(pick, "specialized", "non-specialized").astype(object)
    else:
        out = outs[names[0]]
        branch = np.full(a.shape, names[0], dtype=object)
    qd = 1.0 - out["e"]
    scalar = np.ndim(at_in) == 0

    def o(x):
        return x[0] if scalar else x

    curve = LargeCommitteeCurve(
        alpha_tilde=o(a),
        q_diagonal=o(qd),
        q_offdiagonal=o(out["e"]),
        qhat_diagonal=o(out["qhat"]),
        effective_overlap=o(out["Q"]),
        free_entropy=o(out["phi"]),
        generalization_error=o(out["error"]),
        squared_error=o(out["squared_error"]),
        specialized=o(qd > SPECIALIZED),
        branch=o(branch),
        converged=o(out["converged"]),
        n_iter=o(out["n_iter"]),
        residual=o(out["residual"]),
        prior=prior,
        model=_model_name(prior),
    )
    conv = np.atleast_1d(np.asarray(curve.converged))
    if not np.all(conv):
        msg = (
            f"large-K committee saddle point did not converge (tol {tol:g}, max_iter {max_iter}) at "
            f"alpha_tilde = {np.array2string(a[~conv], threshold=8)} for {curve.model}"
        )
        if strict:
            raise ConvergenceError(msg, curve)
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    return curve


# -- the transition ----------------------------------------------------------------------------


def _alpha_of_e(prior, e):
    r"""Gaussian weights: the load :math:`\tilde\alpha` at which :math:`q_d = 1 - e` is a fixed point."""
    qh = (1.0 - e) / e
    ch = _channel(_one_minus_Q(e))
    return float(qh / ((2.0 / np.pi) * ch["qhat"] * _c(e)))


def _delta_phi_gaussian(log_e, psi_ns):
    e = math.exp(log_e)
    a = _alpha_of_e("gaussian", e)
    ev = _evaluate("gaussian", np.array(a), np.array(e))
    return float(ev["phi"]) - a * psi_ns


@_cites
def large_committee_transition(prior: str, *, xtol: float = 1e-13) -> LargeCommitteeTransition:
    r"""Specialisation transition of the large-K Bayes-optimal sign committee (module docstring).

    Gaussian weights: the specialised branch is parametrised by :math:`e = 1 - q_d` through
    :math:`\tilde\alpha(e)`; the spinodal is its minimum (bounded scalar minimisation in :math:`\log e`)
    and :math:`\tilde\alpha_{spec}` the root, by :func:`scipy.optimize.brentq` on the stable side
    :math:`e < e_{sp}`, of the free-entropy difference between the branches.  Binary weights:
    :func:`~scipy.optimize.brentq` on :math:`\phi_{spec}(\tilde\alpha) - \phi_{non}(\tilde\alpha)` with the
    perfect-learning fixed point :math:`q_d = 1` (:math:`\phi_{spec} = -\log 2`) checked to be a fixed point of
    the map.  ``xtol`` is the root finder's tolerance (in :math:`\log e`, resp. :math:`\tilde\alpha`).
    """
    prior = check_choice("prior", prior, PRIORS)
    xtol = check_tol("xtol", xtol)
    psi_ns = float(_channel(1.0 - 2.0 / np.pi)["psi"])
    err_ns = float(np.arccos(np.sqrt(2.0 / np.pi)) / np.pi)
    if prior == "gaussian":
        lo, hi = math.log(1e-8), math.log(0.9)
        m = minimize_scalar(
            lambda t: _alpha_of_e(prior, math.exp(t)),
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-10, "maxiter": 500},
        )
        log_e_sp, a_sp = float(m.x), float(m.fun)
        f_sp = _delta_phi_gaussian(log_e_sp, psi_ns)
        f_lo = _delta_phi_gaussian(lo, psi_ns)
        if not (f_sp < 0 < f_lo):
            raise ConvergenceError(
                f"no free-entropy crossing bracketed on the specialised branch of {prior!r} "
                f"weights: differences {f_sp:g} (spinodal), {f_lo:g} (q_d = 1 - 1e-8)"
            )
        root, info = brentq(
            _delta_phi_gaussian,
            lo,
            log_e_sp,
            args=(psi_ns,),
            xtol=xtol,
            rtol=4 * np.finfo(float).eps,
            full_output=True,
            disp=False,
        )
        e = math.exp(root)
        a_spec = _alpha_of_e(prior, e)
        ev = _evaluate(prior, np.array(a_spec), np.array(e))
        resid = abs(_delta_phi_gaussian(root, psi_ns))
        # the root must be a fixed point of the state-evolution map at that load
        conv = bool(info.converged) and abs(float(ev["e_new"]) - e) <= 1e-9
        return LargeCommitteeTransition(
            prior=prior,
            alpha_tilde_spec=a_spec,
            alpha_tilde_spinodal=a_sp,
            alpha_tilde_amp=math.inf,
            q_diagonal_spec=1.0 - e,
            error_non_specialized=err_ns,
            error_specialized=float(ev["error"]),
            free_entropy_spec=float(ev["phi"]),
            converged=conv,
            n_iter=int(info.iterations),
            residual=resid,
        )
    # binary: q_d = 1 is a fixed point at every load (1 - q_d = 0 maps to 0)
    fixed = float(_evaluate(prior, np.array(1.0), np.array(0.0))["e_new"])
    phi_spec = float(_prior(prior, np.array(np.inf))["phi"])

    def diff(a):
        return phi_spec - a * psi_ns

    root, info = brentq(diff, 1e-3, 1e3, xtol=xtol, rtol=4 * np.finfo(float).eps, full_output=True, disp=False)
    return LargeCommitteeTransition(
        prior=prior,
        alpha_tilde_spec=float(root),
        alpha_tilde_spinodal=math.nan,
        alpha_tilde_amp=math.inf,
        q_diagonal_spec=1.0,
        error_non_specialized=err_ns,
        error_specialized=0.0,
        free_entropy_spec=phi_spec,
        converged=bool(info.converged) and fixed == 0.0,
        n_iter=int(info.iterations),
        residual=abs(diff(root)),
    )
