r"""Gaussian tails and Gaussian expectations.

Conventions (see ``docs/conventions.md``): :math:`Dz = e^{-z^2/2} dz/\sqrt{2\pi}`
is the standard normal measure, :math:`\phi` its density and

.. math:: H(x) = \int_x^\infty Dz = \tfrac12 \operatorname{erfc}(x/\sqrt2).

Tails are evaluated through the scaled complementary error function
``erfcx(y) = exp(y^2) erfc(y)`` so that :math:`\log H(x)` and the ratio
:math:`\phi(x)/H(x)` stay finite and accurate far in the tail (``|x|`` = 40 and
beyond) where ``log(erfc(...))`` underflows.

Expectations over one and two standard Gaussian variables use Gauss-Hermite
quadrature (probabilists' nodes, normalised weights).  An ``order``-point rule
is exact for polynomials of degree ``2*order - 1``; for smooth, slowly varying
integrands of O(1) width the error decays geometrically with the order (see
``docs/numerics.md`` for the measured table).  Integrands with a sharp feature
(width ``w << 1``: the channel integrals of the replica equations as the
overlap tends to one) use :func:`normal_expectation`, a composite
Gauss-Legendre rule whose panels are refined around the feature.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from ._validation import as_real, check_finite, check_int

__all__ = [
    "H",
    "log_H",
    "phi",
    "hazard",
    "hazard_gap",
    "gauss_hermite",
    "expect_normal",
    "expect_normal_2d",
    "normal_expectation",
    "normal_nodes",
    "feature_nodes",
    "tail_second_moment",
    "gauss_hermite_nd",
    "compact_normal_nodes",
    "ACTIVATIONS",
    "activation_function",
    "activation_moments",
]

_SQRT2 = np.sqrt(2.0)
_SQRT2PI = np.sqrt(2.0 * np.pi)
_SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)


def _quiet_overflow(func):
    """Run a vectorised kernel without numpy's overflow and invalid-value warnings: a value beyond
    the double range (|x| > ~1.3e154 squared, say) comes out as the rounded +-inf, and infinite
    arguments give the limit or NaN, quietly (NaN in, NaN out is the kernels' convention)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore"):
            return func(*args, **kwargs)

    return wrapper


@_quiet_overflow
def phi(x: ArrayLike) -> np.ndarray:
    r"""Standard normal density :math:`\phi(x) = e^{-x^2/2}/\sqrt{2\pi}`."""
    x = as_real("x", x)
    return np.exp(-0.5 * x * x) / _SQRT2PI


def H(x: ArrayLike) -> np.ndarray:
    r"""Gaussian tail :math:`H(x) = \int_x^\infty Dz = \tfrac12\,\mathrm{erfc}(x/\sqrt2)`.

    Accurate in relative terms for every real ``x`` (it underflows to 0 only
    below ~1e-308, i.e. x > 37.5; use :func:`log_H` there).
    """
    x = as_real("x", x)
    return 0.5 * special.erfc(x / _SQRT2)


@_quiet_overflow
def log_H(x: ArrayLike) -> np.ndarray:
    r"""Logarithm of the Gaussian tail, :math:`\log H(x)`, finite for every finite x below ~1.9e154
    (beyond, :math:`-x^2/2` is -inf in double precision, returned without a warning).

    For :math:`x \ge 0`, :math:`\log H(x) = \log(\tfrac12\,\mathrm{erfcx}(x/\sqrt2)) - x^2/2`
    (no underflow: at x = 40 the value is -804.608...).  For :math:`x < 0`,
    :math:`\log H(x) = \mathrm{log1p}(-H(-x))`, accurate as :math:`H(x) \to 1`.
    """
    x = as_real("x", x)
    pos = x >= 0
    xp = np.where(pos, x, 0.0)
    xn = np.where(pos, 0.0, x)
    with np.errstate(divide="ignore"):  # erfcx underflows to 0 beyond ~1e308: log H = -inf there
        out_pos = np.log(0.5 * special.erfcx(xp / _SQRT2)) - 0.5 * xp * xp
    out_neg = np.log1p(-0.5 * special.erfc(-xn / _SQRT2))
    return np.where(pos, out_pos, out_neg)


@_quiet_overflow
def hazard(x: ArrayLike) -> np.ndarray:
    r"""Ratio :math:`\phi(x)/H(x) = -\tfrac{d}{dx}\log H(x)` (inverse Mills ratio).

    Computed as :math:`\sqrt{2/\pi}/\mathrm{erfcx}(x/\sqrt2)` for x >= 0, which
    behaves like x for large x without overflow, and directly for x < 0 where
    H >= 1/2.
    """
    x = as_real("x", x)
    pos = x >= 0
    xp = np.where(pos, x, 0.0)
    xn = np.where(pos, 0.0, x)
    # r(x) = x + 1/x - ... : beyond 1e150 it is x in double precision (erfcx underflows near 1e308)
    out_pos = np.where(xp > 1e150, xp, _SQRT_2_OVER_PI / special.erfcx(np.minimum(xp, 1e150) / _SQRT2))
    out_neg = phi(xn) / (0.5 * special.erfc(xn / _SQRT2))
    return np.where(pos, out_pos, out_neg)


# Coefficients c_k of hazard_gap(x) ~ sum_k c_k x^(-2k) as x -> +inf.  From the
# Riccati equation r' = r (r - x) of the hazard: u = r - x = sum_k a_k x^(-2k-1)
# solves u' = u^2 + x u - 1, so a_0 = 1, a_n = -(2n-1) a_(n-1) - sum_(i+j=n-1) a_i a_j,
# and hazard_gap = r' = u' + 1 gives c_0 = 1, c_(k+1) = -(2k+1) a_k
# (tests/test_kernel_domains.py rederives them from sympy's expansion of erfc).
_GAP_SERIES = np.array(
    [
        1,
        -1,
        6,
        -50,
        518,
        -6354,
        89782,
        -1435330,
        25625910,
        -505785122,
        10944711398,
        -257834384850,
        6572585595622,
        -180334118225650,
        5300553714899094,
        -166206234856979810,
        5538980473666776854,
        -195527829569946627138,
        7288988096561232432070,
        -286163849179879092465010,
    ],
    dtype=float,
)
_GAP_SERIES_HIGH_FIRST = _GAP_SERIES[::-1].copy()  # np.polyval order
_GAP_SWITCH = 12.0  # series truncation error at x >= 12: |c_20| / 12^40 = 8e-19


def hazard_gap(x: ArrayLike) -> np.ndarray:
    r""":math:`r(x)\,(r(x) - x)` with :math:`r = \phi/H` the :func:`hazard`; equal to
    :math:`1 - \mathrm{Var}(z \mid z > x)` for :math:`z \sim N(0,1)` and to :math:`r'(x)`.

    Increases from 0 (x -> -inf) to 1 (x -> +inf): it is the curvature
    :math:`-\partial_x^2 \log H(x)`, i.e. :math:`-V\,\partial g_{out}` of the margin channel.
    The product formula loses about :math:`x^2` ulps to the cancellation in
    :math:`r - x \simeq 1/x` (all of them beyond x ~ 1e8), so for x > 12 the
    asymptotic series :math:`1 - x^{-2} + 6x^{-4} - 50x^{-6} + \dots` (20 terms,
    truncation error below 1e-18 there) is used instead.  Relative error below
    ~1e-13 for every x (tests/test_kernel_domains.py, against mpmath); it
    underflows to 0 below x ~ -38.  NaN in, NaN out.
    """
    x = as_real("x", x)
    big = x > _GAP_SWITCH
    xd = np.clip(x, -50.0, _GAP_SWITCH)  # hazard_gap(-50) = 3e-542 underflows to 0; keeps NaN
    r = hazard(xd)
    out = r * (r - xd)
    if np.any(big):
        out = np.array(out)  # 0-d results of scalar arithmetic are not writable
        t = (1.0 / x[big]) ** 2  # underflows quietly to 0 for huge x
        out[big] = np.polyval(_GAP_SERIES_HIGH_FIRST, t)
    return out


def tail_second_moment(a: ArrayLike) -> np.ndarray:
    r""":math:`\int_{-a}^\infty Dt\,(t+a)^2 = (1+a^2)H(-a) + a\,\phi(a)`.

    Closed form (integrate by parts twice).  It is Gardner's margin integral,
    :math:`\alpha_c(\kappa) = 1/\text{tail\_second\_moment}(\kappa)`.
    It tends to 0 as a -> -inf (returned as 0 once :math:`H(-a)` underflows, also where
    :math:`1 + a^2` would overflow) and grows like :math:`a^2`: ``inf`` beyond
    :math:`a \approx 1.3\times10^{154}`, without a floating-point warning.  NaN in, NaN out.
    """
    a = as_real("a", a)
    with np.errstate(over="ignore", invalid="ignore"):  # 1 + a^2 = inf for |a| > 1.3e154; a phi(a) at a = inf
        tail = H(-a)
        first = np.where(tail > 0, (1.0 + a * a) * np.where(tail > 0, tail, 1.0), 0.0)
        return first + np.where(np.isinf(a), 0.0, a * phi(a))


@lru_cache(maxsize=64)
def _gauss_hermite(order: int) -> tuple[np.ndarray, np.ndarray]:
    nodes, weights = np.polynomial.hermite_e.hermegauss(order)
    weights = weights / weights.sum()
    nodes.setflags(write=False)
    weights.setflags(write=False)
    return nodes, weights


#: largest quadrature order accepted (an eigenproblem of this size; far beyond any use here)
MAX_ORDER = 2000


def gauss_hermite(order: int = 64) -> tuple[np.ndarray, np.ndarray]:
    r"""Nodes and weights of the ``order``-point rule for :math:`\int Dz\, f(z)`.

    Probabilists' Gauss-Hermite nodes; weights normalised to sum to one, so
    :math:`\mathbb{E} f(z) \approx \sum_i w_i f(z_i)`.  Exact for polynomials of
    degree up to ``2*order - 1``.  Cached and read-only.  ``order`` in [1, :data:`MAX_ORDER`].
    """
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ValueError(f"order must be an integer >= 1, got {order!r}")
    if order > MAX_ORDER:
        raise ValueError(f"order must be <= {MAX_ORDER}, got {order!r}")
    return _gauss_hermite(int(order))


def expect_normal(func: Callable[[np.ndarray], np.ndarray], order: int = 64) -> np.ndarray:
    r"""Gauss-Hermite estimate of :math:`\mathbb{E}_{z\sim N(0,1)}[f(z)]`.

    ``func`` receives the node array of shape ``(order,)`` and must return an
    array whose *last* axis runs over the nodes (extra leading axes are kept:
    pass parameters with a trailing axis, e.g. ``a[..., None]``, to vectorise).

    Accuracy: exact for polynomials of degree <= 2*order - 1.  For the smooth
    integrands of this package (order 64) the measured absolute error is below
    1e-12 on :math:`\mathbb E[H(a+bz)]` and :math:`\mathbb E[\log H(a+bz)]` for
    ``|a|`` <= 5, ``|b|`` <= 2 (tests/test_gaussian.py); for integrands varying on a
    scale w << 1 use :func:`normal_expectation`.
    """
    _check_callable("func", func)
    z, w = gauss_hermite(order)
    return np.asarray(func(z)) @ w


def expect_normal_2d(
    func: Callable[[np.ndarray, np.ndarray], np.ndarray],
    cov: ArrayLike = ((1.0, 0.0), (0.0, 1.0)),
    order: int = 40,
) -> np.ndarray:
    r"""Gauss-Hermite estimate of :math:`\mathbb{E}[f(u, v)]`, (u, v) ~ N(0, cov).

    The tensor-product rule on independent standard variables is mapped through
    the Cholesky factor of ``cov`` (:math:`u = L_{11} z_1`,
    :math:`v = L_{21} z_1 + L_{22} z_2`).  ``func`` receives two arrays of shape
    ``(order, order)`` and must return an array whose last two axes run over
    them.  Exact for polynomials of total degree <= 2*order - 1.
    ``cov`` must be symmetric positive semi-definite.
    """
    _check_callable("func", func)
    cov_arr = np.asarray(check_finite("cov", cov))  # a float for scalar input: refused by the shape check
    if cov_arr.shape != (2, 2) or not np.allclose(cov_arr, cov_arr.T):
        raise ValueError(f"cov must be a finite symmetric 2x2 matrix, got {cov_arr.tolist()}")
    a = cov_arr[0, 0]
    if a < 0:
        raise ValueError(f"cov must be positive semi-definite, got {cov_arr.tolist()}")
    l11 = np.sqrt(a)
    l21 = cov_arr[1, 0] / l11 if l11 > 0 else 0.0
    rest = cov_arr[1, 1] - l21 * l21
    if rest < -1e-12 * max(1.0, cov_arr[1, 1]):
        raise ValueError(f"cov must be positive semi-definite, got {cov_arr.tolist()}")
    l22 = np.sqrt(max(rest, 0.0))
    z, w = gauss_hermite(order)
    z1, z2 = np.meshgrid(z, z, indexing="ij")
    vals = np.asarray(func(l11 * z1, l21 * z1 + l22 * z2))
    return np.einsum("...ij,i,j->...", vals, w, w)


@lru_cache(maxsize=32)
def _gauss_hermite_nd(dim: int, order: int):
    z, w = _gauss_hermite(order)
    idx = np.array(np.meshgrid(*([np.arange(order)] * dim), indexing="ij")).reshape(dim, -1).T
    nodes, weights = z[idx], np.prod(w[idx], axis=1)
    nodes.setflags(write=False)
    weights.setflags(write=False)
    return nodes, weights


def gauss_hermite_nd(dim: int, order: int = 40) -> tuple[np.ndarray, np.ndarray]:
    r"""Tensor-product Gauss-Hermite rule for :math:`\mathbb E f(\xi)`, :math:`\xi\sim N(0, I_{dim})`.

    Returns nodes (n, dim) and weights (n,) summing to one; exact for polynomials of degree
    <= 2 order - 1 in each variable.  Cached and read-only.
    """
    if (
        isinstance(dim, bool)
        or not isinstance(dim, (int, np.integer))
        or dim < 1
        or isinstance(order, bool)
        or not isinstance(order, (int, np.integer))
        or order < 1
    ):
        raise ValueError(f"dim and order must be integers >= 1, got {dim!r} and {order!r}")
    if dim > 64 or order > MAX_ORDER:  # before order**dim, which is astronomically slow for a huge dim
        raise ValueError(f"dim must be <= 64 and order <= {MAX_ORDER}, got {dim!r} and {order!r}")
    if int(order) ** int(dim) > 5_000_000:
        raise ValueError(f"order**dim must be <= 5e6 nodes, got {order}**{dim}")
    return _gauss_hermite_nd(int(dim), int(order))


# Composite Gauss-Legendre rule for integrands with a sharp feature -----------

_CUTOFF = 12.0  # 2 H(12) = 3.6e-33: mass of the Gaussian measure beyond the cut
_GLOBAL_BREAKS = np.linspace(-_CUTOFF, _CUTOFF, 17)  # panels of width 1.5
_LOCAL_BREAKS = np.array([-64, -32, -16, -8, -4, -2, -1, -0.5, 0, 0.5, 1, 2, 4, 8, 16, 32, 64], dtype=float)


def _check_callable(name: str, func) -> None:
    if not callable(func):
        raise TypeError(f"{name} must be a callable, got {func!r}")


def _check_panel_order(panel_order) -> int:
    """``panel_order`` as int after checking 1 <= panel_order <= MAX_ORDER (the hot path: one type check)."""
    if type(panel_order) is int and 1 <= panel_order <= MAX_ORDER:
        return panel_order
    return check_int("panel_order", panel_order, minimum=1, maximum=MAX_ORDER)


def _broadcast_center_width(center, width, cname: str, wname: str) -> tuple[np.ndarray, np.ndarray]:
    """``center`` and ``width`` as float arrays broadcast together (ValueError naming them otherwise)."""
    center = as_real(cname, center)
    width = as_real(wname, width)
    try:
        center_b, width_b = np.broadcast_arrays(center, width)
        return center_b, width_b
    except ValueError:
        raise ValueError(
            f"{cname} and {wname} must broadcast together, got shapes {center.shape} and {width.shape}"
        ) from None


@lru_cache(maxsize=8)
def _gauss_legendre(order: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(order)
    return x, w


def normal_nodes(
    center: ArrayLike = 0.0,
    width: ArrayLike = 1.0,
    panel_order: int = 16,
    extra_breaks: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Nodes and weights of the composite rule of :func:`normal_expectation`.

    Returns ``(t, w)`` of shape ``broadcast(center, width).shape + (n_nodes,)`` with
    :math:`\mathbb E f(t) \approx \sum_k w_k f(t_k)` (the Gaussian density is
    folded into ``w``).  Use it to evaluate several integrands on the same nodes.
    ``extra_breaks`` (trailing axis of breakpoints, broadcast against the
    others) adds panel boundaries at further kinks of the integrand.
    """
    center, width = _broadcast_center_width(center, width, "center", "width")
    shape = center.shape
    with np.errstate(invalid="ignore", over="ignore"):  # non-finite centre or width: NaN nodes, no warning
        parts = [
            np.broadcast_to(_GLOBAL_BREAKS, shape + _GLOBAL_BREAKS.shape),
            center[..., None] + width[..., None] * _LOCAL_BREAKS,
        ]
        if extra_breaks is not None:
            extra = as_real("extra_breaks", extra_breaks)
            try:
                if extra.ndim == 0:
                    raise ValueError
                parts.append(np.broadcast_to(extra, shape + extra.shape[-1:]))
            except ValueError:
                raise ValueError(
                    f"extra_breaks must have a trailing axis of breakpoints broadcasting against "
                    f"center and width (shape {shape}), got shape {extra.shape}"
                ) from None
        breaks = np.sort(np.clip(np.concatenate(parts, axis=-1), -_CUTOFF, _CUTOFF), axis=-1)
        lo = breaks[..., :-1]
        hi = breaks[..., 1:]
        half = 0.5 * (hi - lo)
        mid = 0.5 * (hi + lo)
        x, w = _gauss_legendre(_check_panel_order(panel_order))
        n_nodes = half.shape[-1] * x.size  # explicit: an empty batch has no -1 to infer
        nodes = (mid[..., None] + half[..., None] * x).reshape(shape + (n_nodes,))
        weights = (half[..., None] * w).reshape(shape + (n_nodes,)) * phi(nodes)
    return nodes, weights


def feature_nodes(
    centers: ArrayLike,
    widths: ArrayLike,
    panel_order: int = 16,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Composite rule for :math:`\mathbb E_{t\sim N(0,1)} f(t)` with several sharp features.

    ``centers`` and ``widths`` have a trailing axis over the K features (the
    other axes broadcast); the panels of :func:`normal_nodes` are refined
    around every ``centers[..., k]`` on the scale ``widths[..., k]``.  With
    K = 1 this is :func:`normal_nodes`.  Returns ``(t, w)`` of shape
    ``batch_shape + (n_nodes,)``.
    """
    centers, widths = _broadcast_center_width(centers, widths, "centers", "widths")
    if centers.ndim == 0 or centers.shape[-1] < 1:
        raise ValueError(f"centers must have a trailing axis of features, got shape {centers.shape}")
    extra = None
    if centers.shape[-1] > 1:
        with np.errstate(invalid="ignore", over="ignore"):  # non-finite centres or widths: NaN nodes
            extra = centers[..., 1:, None] + widths[..., 1:, None] * _LOCAL_BREAKS
        extra = extra.reshape(centers.shape[:-1] + (extra.shape[-2] * extra.shape[-1],))
    return normal_nodes(centers[..., 0], widths[..., 0], panel_order, extra_breaks=extra)


def normal_expectation(
    func: Callable[[np.ndarray], np.ndarray],
    center: ArrayLike = 0.0,
    width: ArrayLike = 1.0,
    panel_order: int = 16,
) -> np.ndarray:
    r""":math:`\mathbb{E}_{t\sim N(0,1)} f(t)` for integrands with a sharp feature.

    Composite Gauss-Legendre quadrature on :math:`[-12, 12]` (the Gaussian mass
    outside is 3.6e-33) with panel breakpoints at ``center + width * s`` for
    s in {0, ±1/2, ±1, ±2, ..., ±64} added to a uniform grid of step 1.5, and
    ``panel_order`` nodes per panel.  Each panel then holds a function that is
    smooth on the panel's scale, so the rule converges geometrically in
    ``panel_order`` even when ``width`` is 1e-8.  ``center`` and ``width``
    broadcast against each other; ``func`` receives nodes of shape
    ``broadcast_shape + (n_nodes,)`` and must return the same shape.

    Accuracy (tests/test_gaussian.py, against mpmath): relative error below
    1e-12 for :math:`\mathbb E\log H((\kappa-\sqrt q t)/\sqrt{1-q})` and
    :math:`\mathbb E[\tanh^2(\sqrt{\hat q} t)]` for 1 - q down to 1e-12 and
    :math:`\hat q` up to 1e12.
    """
    _check_callable("func", func)
    nodes, weights = normal_nodes(center, width, panel_order)
    vals = np.asarray(func(nodes))
    # empty panels (clipped duplicates) have zero weight; guard 0 * inf
    return np.sum(np.where(weights > 0, vals * weights, 0.0), axis=-1)


#: activations known by name (any callable is accepted too)
ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0.0),
    "erf": special.erf,
    "tanh": np.tanh,
    "sign": lambda x: np.where(x >= 0, 1.0, -1.0),
    "linear": lambda x: np.asarray(x, dtype=float),
}


def activation_function(activation) -> Callable[[np.ndarray], np.ndarray]:
    """The function behind an activation name (``ACTIVATIONS``) or a callable, checked to be vectorised."""
    if callable(activation):
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                probe = np.asarray(activation(np.linspace(-1.0, 1.0, 5)), dtype=float)
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise ValueError(
                f"activation must map an array elementwise to finite numbers, got {activation!r} "
                f"({type(exc).__name__}: {exc})"
            ) from None
        if probe.shape != (5,) or not np.all(np.isfinite(probe)):
            raise ValueError(f"activation must map an array elementwise to finite numbers, got {activation!r}")
        return activation
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)} or a callable, got {activation!r}")
    return ACTIVATIONS[activation]


def activation_moments(activation, panel_order: int = 16) -> tuple[float, float, float]:
    r"""Gaussian-equivalence constants :math:`(\mu_0, \mu_1, \mu_\star)` of an activation.

    .. math::
        \mu_0 = \mathbb E\,\sigma(G),\qquad \mu_1 = \mathbb E\,G\sigma(G),\qquad
        \mu_\star^2 = \mathbb E\,\sigma(G)^2 - \mu_0^2 - \mu_1^2,\qquad G\sim N(0,1),

    so that the features :math:`\sigma(Fx/\sqrt D)` have the covariances of
    :math:`\mu_0 + \mu_1 Fx/\sqrt D + \mu_\star\xi` (Mei & Montanari 2022, CPAM 75, 667;
    Goldt et al. 2022, MSML, "The Gaussian equivalence of generative models").  The
    expectations use :func:`normal_expectation` with a panel boundary at 0, so kinks and jumps
    there (relu, sign) cost no accuracy: 1e-15 against the closed forms relu
    :math:`(1/\sqrt{2\pi}, 1/2, \sqrt{1/4 - 1/(2\pi)})`, erf
    :math:`(0, 2/\sqrt{3\pi}, \sqrt{\tfrac2\pi\arcsin\tfrac23 - \tfrac4{3\pi}})`, sign
    :math:`(0, \sqrt{2/\pi}, \sqrt{1-2/\pi})`, linear (0, 1, 0) (tests/test_gaussian_covariate.py).
    """
    f = activation_function(activation)
    mu0 = float(normal_expectation(lambda t: f(t), 0.0, 1.0, panel_order))
    mu1 = float(normal_expectation(lambda t: t * f(t), 0.0, 1.0, panel_order))
    m2 = float(normal_expectation(lambda t: np.asarray(f(t), dtype=float) ** 2, 0.0, 1.0, panel_order))
    star2 = m2 - mu0 * mu0 - mu1 * mu1
    if star2 < -1e-12 * max(m2, 1e-300):
        raise ValueError(f"activation {activation!r} gives E sigma^2 < mu0^2 + mu1^2: not a function of a Gaussian")
    star2 = 0.0 if star2 <= 1e-13 * max(m2, 1e-300) else star2  # rounding of a linear/constant activation
    return mu0, mu1, float(np.sqrt(star2))


_COMPACT_CUTOFF = 8.5  # 2 H(8.5) = 1.9e-17
_COMPACT_GLOBAL = np.array([-8.5, -6.0, -4.0, -2.5, -1.25, 0.0, 1.25, 2.5, 4.0, 6.0, 8.5])
_COMPACT_LOCAL = np.array([-8.0, -4.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 4.0, 8.0])


def compact_normal_nodes(
    center: ArrayLike = 0.0, width: ArrayLike = 1.0, panel_order: int = 6
) -> tuple[np.ndarray, np.ndarray]:
    r"""A leaner composite rule than :func:`normal_nodes`, for nested (multi-dimensional) use.

    Gauss-Legendre panels on [-8.5, 8.5] (outside: mass 1.9e-17) with breaks at
    {0, ±1.25, ±2.5, ±4, ±6} and at ``center + width * s``, s in {0, ±1/2, ±1, ±2, ±4, ±8}; about
    20 panels of ``panel_order`` nodes.  Used as the one-dimensional factor of the
    K-dimensional rules of :mod:`statmech_learn.gibbs.committee`; its error on the committee
    integrands is measured in tests/test_committee.py.
    """
    center, width = _broadcast_center_width(center, width, "center", "width")
    shape = center.shape
    with np.errstate(invalid="ignore", over="ignore"):  # non-finite centre or width: NaN nodes, no warning
        breaks = np.concatenate(
            [
                np.broadcast_to(_COMPACT_GLOBAL, shape + _COMPACT_GLOBAL.shape),
                center[..., None] + width[..., None] * _COMPACT_LOCAL,
            ],
            axis=-1,
        )
        breaks = np.sort(np.clip(breaks, -_COMPACT_CUTOFF, _COMPACT_CUTOFF), axis=-1)
        lo, hi = breaks[..., :-1], breaks[..., 1:]
        half, mid = 0.5 * (hi - lo), 0.5 * (hi + lo)
        x, w = _gauss_legendre(_check_panel_order(panel_order))
        n_nodes = half.shape[-1] * x.size  # explicit: an empty batch has no -1 to infer
        nodes = (mid[..., None] + half[..., None] * x).reshape(shape + (n_nodes,))
        weights = (half[..., None] * w).reshape(shape + (n_nodes,)) * phi(nodes)
    return nodes, weights
