r"""Naive mean field and TAP for pairwise measures, written once over the unit prior.

For :math:`p(s) \propto \prod_i P_0(s_i)\, e^{\beta(s^\top J s/2 + h^\top s)}` every
unit enters only through the scalar functions of its prior
(:mod:`statmech_learn.gibbs.priors`): the log-partition
:math:`A(B, \Lambda) = \log\int P_0(s)\, e^{Bs - \Lambda s^2/2} ds`, the mean
:math:`f_a = \partial_B A` and the variance :math:`f_v = \partial_B^2 A`, the same
functions GAMP and state evolution use (``replica/amp.py``).  The TAP fixed point
(second-order Plefka expansion; Thouless, Anderson & Palmer 1977; Plefka 1982)
reads

.. math::
    \Lambda_i = -\beta^2 \sum_j J_{ij}^2 v_j, \qquad
    B_i = \beta\Big(h_i + \sum_j J_{ij} m_j\Big) + \Lambda_i m_i, \qquad
    m_i = f_a(B_i, \Lambda_i),\quad v_i = f_v(B_i, \Lambda_i),

and naive mean field drops the :math:`\Lambda` terms.  The reductions: ±1 units
give :math:`m_i = \tanh(\beta(h_i + \sum_j J_{ij}m_j) - \beta^2 m_i\sum_j J_{ij}^2(1-m_j^2))`;
{0, 1} units give the logistic equation with the factor :math:`(m_i - 1/2)`,
:math:`m_i = \sigma(\beta(h_i + \sum_j J_{ij}m_j) - \beta^2 (m_i - \tfrac12)\sum_j J_{ij}^2 m_j(1-m_j))`;
Gaussian units give the exact means of the Gaussian measure and the cavity
variances.

The free entropy at fixed moments is one expression in A: with the site term
:math:`G_i = A(B_i, \Lambda_i) - B_i m_i + \Lambda_i (m_i^2 + v_i)/2` (the Legendre
transform of A in both arguments, the entropy of unit i at mean :math:`m_i` and
variance :math:`v_i`),

.. math::
    \Phi_{\rm TAP} = \sum_i G_i + \beta h^\top m + \tfrac{\beta}{2} m^\top J m
        + \tfrac{\beta^2}{4}\sum_{ij} J_{ij}^2 v_i v_j,

whose stationarity in :math:`m_i` and :math:`v_i` is the fixed point above; naive
mean field has :math:`\Lambda = 0` and no last term.  :math:`\Phi` approximates
:math:`\log Z` of the prior-weighted sum (``measures.py``).

Iteration.  The Onsager term uses the previous iterate,
:math:`B^t = \beta(h + J m^t) + \Lambda^t m^{t-1}` (Bolthausen 2014, Commun. Math.
Phys. 325, 333: this time indexing converges wherever replica symmetry holds,
where the plain parallel iteration oscillates), with damping
:math:`m^{t+1} = (1 - d) f_a + d\, m^t`.  ``anneal`` solves along a ladder of
inverse temperatures up to ``beta``, each warm-started from the last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import as_real, as_rng, check_bool, check_finite, check_int, check_tol
from ..citations import _cites
from ..errors import ConvergenceError, ConvergenceWarning
from ..results import Result
from .measures import Bipartite, Ising

__all__ = ["MeanFieldResult", "tap", "naive_mean_field", "tap_free_entropy", "tap_hessian", "tap_stability"]


@dataclass(frozen=True, repr=False)
class MeanFieldResult(Result):
    """A naive mean-field or TAP fixed point.

    Attributes
    ----------
    method : 'tap' or 'naive'.
    m, v : means and variances of the units, shape (n,), or (k, n) when solved from k starts at once.
    B, Lam : the fields and precisions of the tilted single-unit measures (Lam = 0 for naive).
    free_entropy : the approximation of log Z (prior-weighted sum; module docstring); (k,) for k starts.
    beta : inverse temperature.
    converged : the residual fell below ``tol`` (a bool, or a (k,) bool array for k starts).
    n_iter : iterations (all annealing stages; one iteration updates every layer once).
    residual : max ``|m^{t+1} - m^t|`` of the undamped update at the end (float, or (k,)).
    """

    method: str
    m: np.ndarray
    v: np.ndarray
    B: np.ndarray
    Lam: np.ndarray
    free_entropy: float
    beta: float
    converged: bool
    n_iter: int
    residual: float


def _fields(measure, m: np.ndarray, v: np.ndarray, memory: np.ndarray, onsager: bool, sl: slice = slice(None)):
    """B and Lambda of the units in ``sl`` (module docstring); ``memory`` is the m of those units in the
    Onsager term."""
    beta = measure.beta
    B = measure.local_field(m, sl)
    if beta != 1.0:
        B = beta * B
    if onsager:
        Lam = measure.onsager_precision(v, sl)
        Lam *= -(beta**2)
        B += Lam * memory
    else:
        Lam = np.zeros_like(B)
    return B, Lam


def _site_terms(measure, m: np.ndarray, v: np.ndarray, onsager: bool, grad3=None):
    """B, Lambda (full arrays) at a fixed point and the sum of the site terms G_i over units."""
    B = np.empty_like(m)
    Lam = np.empty_like(m)
    site = np.zeros(m.shape[:-1])
    for sl, prior in measure.layers:
        b, lam = _fields(measure, m, v, m[..., sl], onsager, sl)
        if grad3 is not None:
            b = b + grad3[..., sl]
        ms, vs = m[..., sl], v[..., sl]
        site = site + np.sum(prior.log_partition(b, lam) - b * ms + 0.5 * lam * (ms * ms + vs), axis=-1)
        B[..., sl], Lam[..., sl] = b, lam
    return B, Lam, site


def _third_order(measure: Ising, m: np.ndarray) -> tuple[float, np.ndarray]:
    r"""Third Plefka order for ±1 units (Georges & Yedidia 1991, J. Phys. A 24, 2173) and its gradient.

    .. math::
        \Phi_3 = \beta^3\Big[\tfrac23\sum_{i<j} J_{ij}^3 a_i a_j
            + \sum_{i<j<k} J_{ij}J_{jk}J_{ki}\, u_i u_j u_k\Big],\qquad u = 1 - m^2,\ a = m u,

    i.e. :math:`\beta^3[\tfrac13 a^\top (J^{\circ 3}) a + \tfrac16\mathrm{tr}(JU)^3]`;
    :math:`\partial_i\Phi_3 = \beta^3[\tfrac23 (J^{\circ 3}a)_i (1 - 3m_i^2) - m_i (JUJUJ)_{ii}]`.
    The loop term costs a matrix product per call.
    """
    beta, J = measure.beta, measure.J
    u = 1.0 - m * m
    a = m * u
    C = J * J * J
    Ca = C @ a
    X = J * u[None, :]  # J U
    XX = X @ X
    diag = np.einsum("ij,ji->i", XX, J)  # (J U J U J)_ii
    phi = beta**3 * (a @ Ca / 3.0 + np.sum(diag * u) / 6.0)
    grad = beta**3 * (2.0 / 3.0 * Ca * (1.0 - 3.0 * m * m) - m * diag)
    return float(phi), grad


def tap_free_entropy(measure, m: np.ndarray, v: np.ndarray, *, onsager: bool = True, order: int = 2):
    r""":math:`\Phi` at moments (m, v) (module docstring), with B and :math:`\Lambda` from the fixed-point
    relations; equal to the TAP (or naive, ``onsager=False``) free entropy at a fixed point.

    ``measure`` is an :class:`~statmech_learn.meanfield.measures.Ising` or
    :class:`~statmech_learn.meanfield.measures.Bipartite` measure; m and v have shape (n,) (a float is
    returned) or (k, n) (k values).  ``order=3`` adds the third Plefka order of ±1 units
    (:func:`_third_order`).  The moments are not checked for finiteness: NaN in, NaN out."""
    _check_measure(measure)
    m = as_real("m", m)
    v = as_real("v", v)
    onsager = check_bool("onsager", onsager)
    if m.shape[-1:] != (measure.n,) or v.shape != m.shape or m.ndim > 2:
        raise ValueError(
            f"m and v must have the same shape (n,) or (k, n) with n = {measure.n}, got {m.shape} and {v.shape}"
        )
    order = _check_order(measure, order, onsager)
    phi3, grad3 = _third_order(measure, m) if order == 3 else (0.0, None)
    beta = measure.beta
    _, _, site = _site_terms(measure, m, v, onsager, grad3)
    phi = site + beta * (m @ measure.h) + 0.5 * beta * measure.quadratic(m)
    if onsager:
        phi = phi + 0.25 * beta**2 * measure.quadratic2(v)
    phi = phi + phi3
    return float(phi) if m.ndim == 1 else np.asarray(phi)


def _check_measure(measure) -> None:
    if not isinstance(measure, (Ising, Bipartite)):
        raise ValueError(f"measure must be an Ising, SK or Bipartite measure, got {measure!r}")


def _check_order(measure, order: int, onsager: bool) -> int:
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order not in (2, 3):
        raise ValueError(f"order must be 2 or 3, got {order!r}")
    if order == 3 and (not isinstance(measure, Ising) or measure.prior.name != "binary" or not onsager):
        raise ValueError(
            f"order=3 (third Plefka order) is written for TAP with 'binary' (±1) units, got units={measure.units!r}"
        )
    return int(order)


def prior_moments(measure) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of every unit under its own prior (no field): the paramagnetic start, shape (n,)."""
    m0, v0 = np.empty(measure.n), np.empty(measure.n)
    for sl, prior in measure.layers:
        m0[sl] = prior.mean(0.0, 0.0)
        v0[sl] = prior.variance(0.0, 0.0)
    return m0, v0


def iterate(
    measure, m: np.ndarray, v: np.ndarray, *, onsager: bool, damping: float, tol: float, max_iter: int, order: int = 2
):
    """The fixed-point iteration itself, without validation (for solvers and trainers in the subpackage).

    m, v of shape (n,) or (k, n) are the starting moments (not modified).  Returns
    ``(m, v, residual, converged, n_iter)`` with residual and converged of shape m.shape[:-1]."""
    layers = measure.layers
    batch_shape = m.shape[:-1]
    m_prev = m
    m, v = m.copy(), v.copy()
    residual: np.ndarray = np.full(batch_shape, np.inf)
    converged = np.zeros(batch_shape, dtype=bool)
    used = 0
    for _ in range(max_iter):
        used += 1
        if len(layers) == 1:  # parallel update; Onsager term with the previous iterate (Bolthausen)
            ((sl, prior),) = layers
            B, Lam = _fields(measure, m, v, m_prev, onsager, sl)
            if order == 3:
                B = B + _third_order(measure, m)[1]
            new_m, new_v = prior.mean_variance(B, Lam)
            residual = np.max(np.abs(new_m - m), axis=-1)
            m_prev = m
            if damping:
                new_m = (1.0 - damping) * new_m + damping * m
                new_v = (1.0 - damping) * new_v + damping * v
            m, v = new_m, new_v
        else:  # layers in turn; a layer's own current m in its Onsager term (Gabrie et al. 2015)
            worst: np.ndarray | None = None
            for sl, prior in layers:
                B, Lam = _fields(measure, m, v, m[..., sl], onsager, sl)
                new_m, new_v = prior.mean_variance(B, Lam)
                r = np.max(np.abs(new_m - m[..., sl]), axis=-1)
                worst = r if worst is None else np.maximum(worst, r)
                if damping:
                    new_m = (1.0 - damping) * new_m + damping * m[..., sl]
                    new_v = (1.0 - damping) * new_v + damping * v[..., sl]
                m[..., sl] = new_m
                v[..., sl] = new_v
            assert worst is not None  # this branch has two layers or more
            residual = worst
        # NaN anywhere in new means makes the residual NaN (np.max propagates it)
        converged = residual < tol
        if not np.all(np.isfinite(residual)):
            residual = np.where(np.isfinite(residual), residual, np.inf)
            break
        if np.all(converged):
            break
    if np.ndim(v) and not np.all(np.isfinite(v)):
        bad = ~np.all(np.isfinite(v), axis=-1)
        residual = np.where(bad, np.inf, residual)
        converged = converged & ~bad
    return m, v, residual, converged, used


def _solve(
    measure,
    onsager: bool,
    damping: float,
    tol: float,
    max_iter: int,
    init,
    anneal: int,
    strict: bool,
    rng,
    order: int = 2,
) -> MeanFieldResult:
    _check_measure(measure)
    order = _check_order(measure, order, onsager)
    damping = check_finite("damping", damping, scalar=True)
    if not 0 <= damping < 1:
        raise ValueError(f"damping must be in [0, 1), got {damping}")
    tol = check_tol("tol", tol)
    max_iter = check_int("max_iter", max_iter, minimum=1, maximum=10**7)
    anneal = check_int("anneal", anneal, minimum=1, maximum=10**4)
    strict = check_bool("strict", strict)
    n = measure.n
    m0, v = prior_moments(measure)
    if init is None:
        m = m0 + 1e-3 * as_rng(rng).standard_normal(n)
    else:
        m = np.array(check_finite("init", init), dtype=float)
        if m.ndim not in (1, 2) or m.shape[-1] != n or m.size == 0:
            raise ValueError(f"init must have shape ({n},) or (k, {n}) with k >= 1, got {m.shape}")
    v = np.broadcast_to(v, m.shape).copy()
    batch_shape = m.shape[:-1]
    betas = measure.beta * np.linspace(1.0 / anneal, 1.0, anneal)
    total = 0
    for beta in betas:
        stage = measure if beta == measure.beta else measure.with_beta(float(beta))
        m, v, residual, converged, used = iterate(
            stage, m, v, onsager=onsager, damping=damping, tol=tol, max_iter=max_iter, order=order
        )
        total += used
    method = "tap" if onsager else "naive"
    if not np.all(converged):
        bad = int(np.size(converged) - np.count_nonzero(converged))
        which = "" if m.ndim == 1 else f"{bad} of {converged.size} starts "
        msg = (
            f"{method} on {measure!r} did not converge: {which}residual {float(np.max(residual)):.3g} after "
            f"{total} iterations (tol {tol:g}); below the AT line TAP may have no stable fixed point"
        )
        if strict:
            raise ConvergenceError(msg)
        import warnings

        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
    finite = np.all(np.isfinite(m)) and np.all(np.isfinite(v))
    if finite:
        phi = tap_free_entropy(measure, m, v, onsager=onsager, order=order)
        grad3 = _third_order(measure, m)[1] if order == 3 else None
        B, Lam, _ = _site_terms(measure, m, v, onsager, grad3)
    else:
        phi = float("nan") if m.ndim == 1 else np.full(batch_shape, np.nan)
        B, Lam = np.full(m.shape, np.nan), np.full(m.shape, np.nan)
    if m.ndim == 1:
        converged, residual = bool(converged), float(residual)
    return MeanFieldResult(
        method=method,
        m=m,
        v=v,
        B=B,
        Lam=Lam,
        free_entropy=phi,
        beta=measure.beta,
        converged=converged,
        n_iter=total,
        residual=residual,
    )


@_cites
def tap(
    measure: Ising,
    *,
    damping: float = 0.0,
    tol: float = 1e-10,
    max_iter: int = 5000,
    init=None,
    anneal: int = 1,
    strict: bool = False,
    rng=None,
    order: int = 2,
) -> MeanFieldResult:
    r"""The TAP fixed point of ``measure`` (module docstring).

    Parameters
    ----------
    measure : Ising, SK or Bipartite
        A measure with one group of units is updated in parallel, with the Onsager term
        of the previous iterate (Bolthausen 2014); a bipartite measure (an RBM) layer by
        layer, hidden then visible, each with its own prior, the Onsager term carrying
        the layer's current means (Gabrie, Tramel & Krzakala 2015, NeurIPS, eqs. 8-9).
    damping : float in [0, 1)
        Weight of the old iterate (TAP default 0: the time-indexed iteration converges
        undamped in the replica-symmetric phase; naive mean field default 0.3).
    tol : float
        Convergence when max ``|m^{t+1} - m^t|`` < tol.
    max_iter : int
        Iterations per annealing stage.
    init : array_like, shape (n,) or (k, n), optional
        Starting means (default: the prior mean plus 1e-3 noise from ``rng``); k starts
        are solved together (vectorised), each with its own convergence flag.
    anneal : int
        Number of inverse temperatures beta k / anneal, k = 1..anneal, solved in turn.
    strict : bool
        Raise :class:`~statmech_learn.errors.ConvergenceError` instead of warning when not converged.
    rng : seed or Generator
        For the default start.
    order : {2, 3}
        Plefka order: 2 is TAP; 3 adds Georges & Yedidia's third order (±1 units only;
        a matrix product per iteration).

    Returns
    -------
    MeanFieldResult

    References
    ----------
    Thouless, Anderson & Palmer 1977, Phil. Mag. 35, 593; Plefka 1982, J. Phys. A 15, 1971;
    Bolthausen 2014, Commun. Math. Phys. 325, 333; Gabrie, Tramel & Krzakala 2015, "Training
    restricted Boltzmann machines via the Thouless-Anderson-Palmer free energy", NeurIPS 28.
    """
    return _solve(measure, True, damping, tol, max_iter, init, anneal, strict, rng, order)


@_cites
def naive_mean_field(
    measure: Ising,
    *,
    damping: float = 0.3,
    tol: float = 1e-10,
    max_iter: int = 5000,
    init=None,
    anneal: int = 1,
    strict: bool = False,
    rng=None,
) -> MeanFieldResult:
    r"""The naive mean-field fixed point :math:`m_i = f_a(\beta(h_i + \sum_j J_{ij} m_j), 0)`.

    Parameters as :func:`tap` (default damping 0.3: the parallel naive iteration oscillates
    otherwise on SK-like couplings).  Its free entropy is the first-order Plefka (variational) bound
    :math:`\Phi_{\rm NMF} \le \log Z` at any m (Gibbs-Bogoliubov-Feynman).
    """
    return _solve(measure, False, damping, tol, max_iter, init, anneal, strict, rng)


def tap_hessian(measure: Ising, m: np.ndarray) -> np.ndarray:
    r"""Hessian of the ±1 TAP free entropy :math:`\Phi(m)` (v = 1 - m^2) at magnetisations m.

    .. math::
        H_{ij} = \beta J_{ij} + 2\beta^2 J_{ij}^2 m_i m_j, \qquad
        H_{ii} = -\frac{1}{1 - m_i^2} - \beta^2 \sum_j J_{ij}^2 (1 - m_j^2).

    A TAP solution is a local maximum of :math:`\Phi` when all eigenvalues are negative.  At the
    paramagnet (m = 0) of SK the largest is :math:`2\beta - 1 - \beta^2 = -(1-\beta)^2`: it
    touches zero at :math:`\beta = 1` and is negative on both sides.  The quantity that changes
    sign at T = 1 (and on the AT line) is :func:`tap_stability` (Plefka 1982).
    """
    if not isinstance(measure, Ising):
        raise ValueError(f"measure must be an Ising or SK measure, got {measure!r}")
    if measure.prior.name != "binary":
        raise ValueError(f"tap_hessian is written for 'binary' (±1) units, got measure units={measure.units!r}")
    m = np.asarray(check_finite("m", m), dtype=float)
    if m.shape != (measure.n,) or np.any(np.abs(m) >= 1):
        raise ValueError(f"m must have shape ({measure.n},) with |m_i| < 1")
    beta, J2 = measure.beta, measure.J2
    H = beta * measure.J + 2.0 * beta**2 * J2 * np.outer(m, m)
    H[np.diag_indices(measure.n)] = -1.0 / (1.0 - m * m) - beta**2 * (J2 @ (1.0 - m * m))
    return H


@_cites
def tap_stability(measure: Ising, v: np.ndarray) -> float:
    r"""Plefka's stability eigenvalue of a TAP solution with unit variances v (any units).

    .. math::
        \lambda_{\rm P} = 1 - \beta^2 \rho\big(D_v\, J^{\circ 2} D_v\big),
        \qquad D_v = \mathrm{diag}(v),\; (J^{\circ 2})_{ij} = J_{ij}^2,

    with :math:`\rho` the spectral radius (the largest eigenvalue, the matrix being
    non-negative).  It is the denominator of the spin-glass susceptibility of the TAP
    linear response, :math:`\chi_{\rm SG} \propto (1 - \beta^2 J^{\circ 2} D_v^2)^{-1}`,
    and the convergence condition of the Plefka expansion (Plefka 1982, J. Phys. A 15, 1971,
    eq. 20).  For SK, :math:`J^{\circ 2} \approx 11^\top/n` and
    :math:`\lambda_{\rm P} = 1 - \beta^2 \tfrac1n\sum_i (1 - m_i^2)^2`: the replicon
    eigenvalue of the RS solution (de Almeida & Thouless 1978), which changes sign on the AT
    line, and at the paramagnet (v = 1) equals :math:`1 - \beta^2`, crossing zero at T = 1.
    The TAP Hessian (:func:`tap_hessian`) only *touches* zero there: its largest eigenvalue at
    m = 0 is :math:`-(1-\beta)^2` on both sides.
    """
    _check_measure(measure)
    v = np.asarray(check_finite("v", v), dtype=float)
    if v.shape != (measure.n,) or np.any(v < 0):
        raise ValueError(f"v must have shape ({measure.n},) with v_i >= 0, got shape {v.shape}")
    M = measure.J2 * np.outer(v, v)
    if measure.n <= 400:
        rho = float(np.linalg.eigvalsh(M)[-1])
    else:
        from scipy.sparse.linalg import eigsh

        rho = float(eigsh(M, k=1, which="LA", v0=np.sqrt(v + 1e-12), tol=1e-10)[0][0])
    return 1.0 - measure.beta**2 * rho
