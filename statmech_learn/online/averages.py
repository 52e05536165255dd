r"""Gaussian averages of an activation for the online (ODE) theory of two-layer networks.

In the teacher-student analysis of online SGD for soft committee machines
(Biehl & Schwarze 1995; Saad & Solla 1995; Goldt et al. 2019) the local fields
of students and teachers are jointly Gaussian with a covariance ``C`` built from
the overlaps ``Q``, ``R``, ``T``.  The order-parameter ODEs only involve four
kinds of averages of the activation :math:`g`:

.. math::

    I_2(C) &= \mathbb E\,[g(u)\,g(v)],                 &(u, v) &\sim N(0, C), \\
    J_2(C) &= \mathbb E\,[g'(u)\,g'(v)],               &(u, v) &\sim N(0, C), \\
    I_3(C) &= \mathbb E\,[g'(u)\,v\,g(w)],             &(u, v, w) &\sim N(0, C), \\
    I_4(C) &= \mathbb E\,[g'(u)\,g'(v)\,g(w)\,g(z)],   &(u, v, w, z) &\sim N(0, C).

:class:`Activation` evaluates them, vectorised over leading batch axes of ``C``:
in closed form for ``"erf"`` and ``"linear"`` (and for :math:`I_2`, :math:`J_2`,
:math:`I_3` of ``"relu"``), otherwise by tensor-product Gauss-Hermite quadrature.

References
----------
.. [1] D. Saad and S. A. Solla, "On-line learning in soft committee machines",
   Phys. Rev. E 52, 4225 (1995).
.. [2] M. Biehl and H. Schwarze, "Learning by on-line gradient descent",
   J. Phys. A 28, 643 (1995).
.. [3] S. Goldt, M. S. Advani, A. M. Saxe, F. Krzakala and L. Zdeborova,
   "Dynamics of stochastic gradient descent for two-layer neural networks in
   the teacher-student setup", NeurIPS 2019 (appendix: the erf integrals).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Union

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from statmech_learn.gaussian import gauss_hermite

__all__ = ["Activation", "make_activation", "BUILTIN_ACTIVATIONS", "DEFAULT_ORDERS"]

BUILTIN_ACTIVATIONS = ("erf", "linear", "relu", "sigmoid")

#: Gauss-Hermite points per dimension used for the quadrature averages, keyed
#: by the dimension of the Gaussian (2 for I2/J2, 3 for I3, 4 for I4).
DEFAULT_ORDERS: dict[int, int] = {2: 40, 3: 24, 4: 16}
#: largest number of nodes of a d-dimensional tensor rule accepted in ``orders`` (order**d)
_MAX_NODES = 10**7

_SQRT2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_TWO_OVER_PI = 2.0 / math.pi
_FOUR_OVER_PI2 = 4.0 / math.pi**2
_SYM_RTOL = 1e-12  # symmetry tolerance, relative to the largest |C_ij| of the matrix
_PSD_RTOL = 1e-8  # tolerated negative eigenvalue, relative to the largest variance
_CHUNK_FLOATS = 4_000_000  # quadrature work array size (floats) per chunk of the batch

ActivationLike = Union[str, "Activation"]


# ---------------------------------------------------------------------------
# Activation functions and their derivatives
# ---------------------------------------------------------------------------


def _erf(x: ArrayLike) -> np.ndarray:
    return special.erf(np.asarray(x, dtype=float) / _SQRT2)


def _derf(x: ArrayLike) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return _SQRT_2_OVER_PI * np.exp(-0.5 * x * x)


def _linear(x: ArrayLike) -> np.ndarray:
    return np.array(x, dtype=float)


def _dlinear(x: ArrayLike) -> np.ndarray:
    return np.ones_like(np.asarray(x, dtype=float))


def _relu(x: ArrayLike) -> np.ndarray:
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def _drelu(x: ArrayLike) -> np.ndarray:
    return (np.asarray(x, dtype=float) > 0).astype(float)


def _sigmoid(x: ArrayLike) -> np.ndarray:
    return special.expit(np.asarray(x, dtype=float))


def _dsigmoid(x: ArrayLike) -> np.ndarray:
    s = special.expit(np.asarray(x, dtype=float))
    return s * (1.0 - s)


_BUILTIN_FUNCS: Mapping[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {
    "erf": (_erf, _derf),
    "linear": (_linear, _dlinear),
    "relu": (_relu, _drelu),
    "sigmoid": (_sigmoid, _dsigmoid),
}


def _bad_activation(a: object) -> ValueError:
    return ValueError(f"activation must be one of 'erf', 'linear', 'relu', 'sigmoid' or an Activation, got {a!r}")


# ---------------------------------------------------------------------------
# Covariance checks and factorisation
# ---------------------------------------------------------------------------


def _check_cov(C: ArrayLike, d: int) -> np.ndarray:
    """Return ``C`` as a float array of shape (..., d, d), symmetrised, after checks."""
    if isinstance(C, (bool, np.bool_, str)):
        raise ValueError(f"C must be an array of shape (..., {d}, {d}), got {C!r}")
    try:
        arr = np.asarray(C, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"C must be an array of numbers of shape (..., {d}, {d}), got {C!r}") from None
    if arr.ndim < 2 or arr.shape[-2:] != (d, d):
        raise ValueError(f"C must have shape (..., {d}, {d}), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("C must be finite, got non-finite entries")
    swapped = np.swapaxes(arr, -1, -2)
    scale = np.max(np.abs(arr), axis=(-2, -1))
    asym = np.max(np.abs(arr - swapped), axis=(-2, -1))
    if np.any(asym > _SYM_RTOL * scale):
        raise ValueError(
            f"C must be symmetric (within {_SYM_RTOL:g} relative), got an asymmetry of "
            f"{float(np.max(asym / np.where(scale > 0, scale, 1.0))):.3g}"
        )
    arr = 0.5 * (arr + swapped)
    diag = np.diagonal(arr, axis1=-2, axis2=-1)
    var_scale = np.max(np.abs(diag), axis=-1)
    if arr.size:
        lam_min = np.linalg.eigvalsh(arr)[..., 0]
        if np.any(lam_min < -_PSD_RTOL * np.maximum(var_scale, 1e-300)) or np.any(diag < 0):
            raise ValueError(f"C must be positive semi-definite, got smallest eigenvalue {float(np.min(lam_min)):.3g}")
    return arr


def _psd_cholesky(C: np.ndarray) -> np.ndarray:
    r"""Lower-triangular ``L`` with :math:`L L^T = C` for positive *semi*-definite ``C``.

    Cholesky-Crout over the (small) matrix dimension, vectorised over the batch;
    negative pivots from round-off are clipped to zero and a zero pivot zeroes
    its column, so rank-deficient covariances (e.g. a student equal to a
    teacher) are factorised exactly.  Keeping the factor triangular aligns the
    first variable with a grid axis of the quadrature (its kink, for ReLU).
    """
    d = C.shape[-1]
    L = np.zeros_like(C)
    for j in range(d):
        s = C[..., j, j] - np.sum(L[..., j, :j] ** 2, axis=-1)
        piv = np.sqrt(np.maximum(s, 0.0))
        L[..., j, j] = piv
        tiny = piv <= 1e-14 * np.sqrt(np.maximum(np.max(np.diagonal(C, axis1=-2, axis2=-1), axis=-1), 0.0))
        safe = np.where(tiny, 1.0, piv)
        for i in range(j + 1, d):
            val = (C[..., i, j] - np.sum(L[..., i, :j] * L[..., j, :j], axis=-1)) / safe
            L[..., i, j] = np.where(tiny, 0.0, val)
        L[..., j, j] = np.where(tiny, 0.0, piv)
    return L


def gaussian_expectation(funcs: Sequence[Callable[[np.ndarray], np.ndarray]], C: np.ndarray, order: int) -> np.ndarray:
    r"""Gauss-Hermite estimate of :math:`\mathbb E[\prod_i f_i(x_i)]`, :math:`x \sim N(0, C)`.

    Parameters
    ----------
    funcs : sequence of d vectorised callables
        ``funcs[i]`` is applied elementwise to the field :math:`x_i`.
    C : ndarray, shape (..., d, d)
        Checked, symmetric positive semi-definite covariances.
    order : int
        Points per dimension of the tensor-product rule (``order**d`` nodes).

    Returns
    -------
    ndarray, shape C.shape[:-2]

    Notes
    -----
    With the lower-triangular factor :math:`C = L L^T` (:func:`_psd_cholesky`)
    and :math:`x = L z`, the field :math:`x_i` depends on :math:`z_1..z_i`
    only, so :math:`f_i` is evaluated on ``order**i`` distinct values and the
    sum over the product rule is contracted from the innermost variable out,
    :math:`\sum_{k_1} w_{k_1} f_1 \sum_{k_2} w_{k_2} f_2 \cdots \sum_{k_d} w_{k_d} f_d`.
    Exact for polynomials of total degree :math:`\le 2\,\mathrm{order} - 1`.
    Vectorised over the batch, processed in chunks that keep the work array
    below ~4e6 floats.
    """
    d = C.shape[-1]
    if len(funcs) != d:
        raise ValueError(f"funcs must hold one callable per variable ({d}), got {len(funcs)}")
    batch_shape = C.shape[:-2]
    flat = C.reshape(-1, d, d)
    z, w = gauss_hermite(order)
    L = _psd_cholesky(flat)
    out = np.empty(flat.shape[0])
    chunk = max(1, _CHUNK_FLOATS // order**d)
    for start in range(0, flat.shape[0], chunk):
        Lc = L[start : start + chunk]
        b = Lc.shape[0]
        values = []
        for i in range(d):
            # x_i[b, k_1, ..., k_{i+1}] = sum_{m <= i} L[b, i, m] z[k_{m+1}]
            x = np.zeros((b,) + (1,) * (i + 1))
            for m in range(i + 1):
                shape = (1,) * (m + 1) + (order,) + (1,) * (i - m)
                x = x + Lc[:, i, m].reshape((b,) + (1,) * (i + 1)) * z.reshape(shape)
            x = np.broadcast_to(x, (b,) + (order,) * (i + 1))
            values.append(np.asarray(funcs[i](x), dtype=float))
        acc = values[d - 1]
        for i in range(d - 1, -1, -1):
            acc = acc @ w  # sum over the innermost variable z_{i+1}
            if i > 0:
                acc = acc * values[i - 1]
        out[start : start + b] = acc
    return out.reshape(batch_shape)


# ---------------------------------------------------------------------------
# The Activation class
# ---------------------------------------------------------------------------


class Activation:
    r"""An activation :math:`g` with the Gaussian averages of the online-learning ODEs.

    Parameters
    ----------
    func : {"erf", "linear", "relu", "sigmoid"} or callable
        A built-in name, or a vectorised callable :math:`g` (array in, array of
        the same shape out).  ``"erf"`` is :math:`g(x) = \mathrm{erf}(x/\sqrt2)`
        (the convention of Saad & Solla 1995), ``"sigmoid"`` the logistic
        :math:`1/(1+e^{-x})`, ``"relu"`` :math:`\max(x, 0)` with
        :math:`g'(0) = 0`.
    derivative : callable, optional
        Vectorised :math:`g'`; required for a user ``func``, refused for a name.
    name : str, optional
        Name of a user activation (default: ``func.__name__``).
    orders : mapping {2: int, 3: int, 4: int}, optional
        Gauss-Hermite points per dimension for the 2-, 3- and 4-d quadratures
        (default :data:`DEFAULT_ORDERS` = {2: 40, 3: 24, 4: 16}).

    Notes
    -----
    The averages, for :math:`x \sim N(0, C)` (``C`` of shape ``(..., d, d)``, any
    leading batch axes, symmetric positive semi-definite):

    .. math::

        I_2 = \mathbb E[g(x_1) g(x_2)],\quad
        J_2 = \mathbb E[g'(x_1) g'(x_2)],\quad
        I_3 = \mathbb E[g'(x_1)\, x_2\, g(x_3)],\quad
        I_4 = \mathbb E[g'(x_1) g'(x_2) g(x_3) g(x_4)].

    **erf** (closed forms: Saad & Solla 1995; Goldt et al. 2019; :math:`C_{ij}` 1-based):

    .. math::

        I_2 &= \tfrac{2}{\pi}\arcsin\frac{C_{12}}{\sqrt{(1+C_{11})(1+C_{22})}}, \qquad
        J_2 = \tfrac{2}{\pi}\,\frac{1}{\sqrt{(1+C_{11})(1+C_{22}) - C_{12}^2}}, \\
        I_3 &= \tfrac{2}{\pi}\,\frac{C_{23}(1+C_{11}) - C_{12}C_{13}}{(1+C_{11})\sqrt{\Lambda_3}},
        \qquad \Lambda_3 = (1+C_{11})(1+C_{33}) - C_{13}^2, \\
        I_4 &= \tfrac{4}{\pi^2}\,\frac{1}{\sqrt{\Lambda_4}}
               \arcsin\frac{\Lambda_0}{\sqrt{\Lambda_1\Lambda_2}},

    with :math:`\Lambda_4 = (1+C_{11})(1+C_{22}) - C_{12}^2`,
    :math:`\Lambda_0 = \Lambda_4 C_{34} - C_{23}C_{24}(1+C_{11}) - C_{13}C_{14}(1+C_{22})
    + C_{12}C_{13}C_{24} + C_{12}C_{14}C_{23}`,
    :math:`\Lambda_1 = \Lambda_4(1+C_{33}) - C_{23}^2(1+C_{11}) - C_{13}^2(1+C_{22})
    + 2C_{12}C_{13}C_{23}` and :math:`\Lambda_2` the same with 3 -> 4.
    They follow from :math:`g'(x) = \sqrt{2/\pi}\,e^{-x^2/2}`: the factor
    :math:`e^{-(x_1^2 + x_2^2)/2}` tilts the Gaussian to the covariance
    :math:`C' = C - C_{:,12}(I + C_{12,12})^{-1}C_{12,:}` with weight
    :math:`\det(I + C_{12,12})^{-1/2} = \Lambda_4^{-1/2}`, and
    :math:`\Lambda_4 C'_{34} = \Lambda_0`, :math:`\Lambda_4(1 + C'_{33}) = \Lambda_1`.
    tests/test_online_averages.py verifies these identities, Price's theorem
    :math:`\partial I_2/\partial C_{12} = J_2`,
    :math:`\partial I_4/\partial C_{34} = \mathbb E[g'g'g'g']`, and Stein's lemma
    :math:`I_3 = C_{12}\,\mathbb E[g''(x_1)g(x_3)] + C_{23}\,\mathbb E[g'(x_1)g'(x_3)]`
    symbolically (sympy), and the formulas against quadrature and Monte Carlo.

    **linear**: :math:`I_2 = C_{12}`, :math:`J_2 = 1`, :math:`I_3 = C_{23}`,
    :math:`I_4 = C_{34}`.

    **relu** (:math:`g'(0) = 0`; arc-cosine kernel, :math:`t = \arccos(C_{12}/\sqrt{C_{11}C_{22}})`):

    .. math::

        I_2 = \frac{\sqrt{C_{11}C_{22}}}{2\pi}\,(\sin t + (\pi - t)\cos t), \qquad
        J_2 = \frac{\pi - t}{2\pi}, \qquad
        I_3 = \frac{C_{12}\sqrt{C_{11}C_{33} - C_{13}^2}}{2\pi C_{11}}
              + C_{23}\,\frac{\pi - t_{13}}{2\pi}

    (:math:`I_3` by Stein's lemma, with :math:`\mathbb E[\delta(x_1) g(x_3)]` and
    :math:`t_{13}` the angle between :math:`x_1` and :math:`x_3`); a zero
    variance gives 0 (:math:`g(0) = g'(0) = 0`).  :math:`I_4` uses quadrature.

    **sigmoid**, **relu** :math:`I_4` and user activations: tensor-product
    probabilists' Gauss-Hermite quadrature on :math:`x = L z`, :math:`C = LL^T`
    (a semi-definite Cholesky factor), with ``orders[d]`` points per dimension.
    Measured absolute errors of the default orders {2: 40, 3: 24, 4: 16}
    (erf by quadrature vs the closed forms; covariances with random correlations
    and variances up to ``vmax``; the error grows with the variances because
    :math:`g'(\sigma z)` narrows on the node spacing):

    ======  =======  =======  =======  =======
    vmax    I2       J2       I3       I4
    ======  =======  =======  =======  =======
    1       1e-16    6e-15    1e-10    8e-8
    2       5e-11    1e-11    8e-8     3e-5
    4       4e-8     2e-6     1e-4     3e-4
    8       2e-5     1e-4     2e-3     4e-3
    ======  =======  =======  =======  =======

    The sigmoid is about ten times more accurate than erf at equal variance.
    ReLU's kink limits Gauss-Hermite to slow algebraic convergence: for
    variances up to 2 the quadrature errs by ~3e-3 on :math:`I_2`, ~3e-2 on
    :math:`J_2` and ~4e-3 on :math:`I_3` (hence the closed forms above), and
    by ~2e-3 on :math:`I_4` (vs a 28-point rule and Monte Carlo); the error
    scales with the variance.  Raise ``orders`` for more accuracy (the cost is
    ``orders[d]**d`` evaluations per matrix).

    Examples
    --------
    >>> import numpy as np
    >>> g = Activation("erf")
    >>> float(g.I2(np.eye(2)))
    0.0
    >>> round(float(g.J2(np.eye(2))), 12) == round(1 / np.pi, 12)
    True
    """

    __slots__ = ("_name", "_func", "_deriv", "_builtin", "_orders")

    def __init__(
        self,
        func: str | Callable[[np.ndarray], np.ndarray],
        derivative: Callable[[np.ndarray], np.ndarray] | None = None,
        *,
        name: str | None = None,
        orders: Mapping[int, int] | None = None,
    ) -> None:
        if isinstance(func, str):
            if func not in _BUILTIN_FUNCS:
                raise _bad_activation(func)
            if derivative is not None:
                raise ValueError(f"derivative must not be given for the built-in activation {func!r}")
            if name is not None and (not isinstance(name, str) or name != func):
                raise ValueError(f"name of a built-in activation must be {func!r}, got {name!r}")
            self._name = func
            self._func, self._deriv = _BUILTIN_FUNCS[func]
            self._builtin = True
        elif callable(func):
            if derivative is None or not callable(derivative):
                raise ValueError(f"derivative must be a callable g'(x) for a user activation, got {derivative!r}")
            if name is None:
                name = getattr(func, "__name__", None) or "custom"
            if not isinstance(name, str) or not name:
                raise ValueError(f"name must be a non-empty string, got {name!r}")
            self._name = name
            self._func, self._deriv = func, derivative
            self._builtin = False
        else:
            raise _bad_activation(func)
        merged = dict(DEFAULT_ORDERS)
        if orders is not None:
            if not isinstance(orders, Mapping):
                raise ValueError(f"orders must be a mapping {{2: int, 3: int, 4: int}}, got {orders!r}")
            for d, n in dict(orders).items():
                if d not in DEFAULT_ORDERS:
                    raise ValueError(f"orders keys must be 2, 3 or 4, got {d!r}")
                if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                    raise ValueError(f"orders[{d}] must be an integer >= 1, got {n!r}")
                if n**d > _MAX_NODES:  # a tensor rule of n^d nodes per covariance
                    raise ValueError(
                        f"orders[{d}] must be <= {int(_MAX_NODES ** (1 / d))} ({d}-d rules of at most "
                        f"{_MAX_NODES:.0e} nodes), got {n!r}"
                    )
                merged[d] = int(n)
        self._orders = merged

    # -- identity -----------------------------------------------------------
    @property
    def name(self) -> str:
        """Name of the activation ("erf", "linear", "relu", "sigmoid" or the user name)."""
        return self._name

    @property
    def builtin(self) -> bool:
        """True for the named activations, False for user callables."""
        return self._builtin

    @property
    def orders(self) -> dict[int, int]:
        """Gauss-Hermite points per dimension, ``{2: n2, 3: n3, 4: n4}`` (a copy)."""
        return dict(self._orders)

    def _key(self) -> tuple:
        orders = tuple(sorted(self._orders.items()))
        if self._builtin:
            return (True, self._name, orders)
        return (False, self._name, self._func, self._deriv, orders)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Activation):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        extra = "" if self._orders == DEFAULT_ORDERS else f", orders={self._orders!r}"
        if self._builtin:
            return f"Activation({self._name!r}{extra})"
        return f"Activation(<user {self._name!r}>{extra})"

    # -- pointwise ----------------------------------------------------------
    def g(self, x: ArrayLike) -> np.ndarray:
        """The activation :math:`g(x)`, elementwise."""
        return np.asarray(self._func(np.asarray(x, dtype=float)), dtype=float)

    def dg(self, x: ArrayLike) -> np.ndarray:
        """Its derivative :math:`g'(x)`, elementwise."""
        return np.asarray(self._deriv(np.asarray(x, dtype=float)), dtype=float)

    # -- averages -----------------------------------------------------------
    def I2(self, C: ArrayLike, *, check: bool = True) -> np.ndarray:
        r""":math:`I_2(C) = \mathbb E[g(u) g(v)]`, :math:`(u, v) \sim N(0, C)`.

        Parameters
        ----------
        C : array_like, shape (..., 2, 2)
            Symmetric positive semi-definite covariances (leading batch axes allowed).
        check : bool
            Validate C (shape, finite, symmetric, positive semi-definite).  Solvers that
            validated the Gram matrix the submatrices come from pass False in their hot loop.

        Returns
        -------
        ndarray, shape C.shape[:-2]
        """
        C = _check_cov(C, 2) if check else np.asarray(C, dtype=float)
        return self._average("I2", _entries(C))

    def J2(self, C: ArrayLike, *, check: bool = True) -> np.ndarray:
        r""":math:`J_2(C) = \mathbb E[g'(u) g'(v)]`, :math:`(u, v) \sim N(0, C)`.

        Parameters
        ----------
        C : array_like, shape (..., 2, 2)

        Returns
        -------
        ndarray, shape C.shape[:-2]
        """
        C = _check_cov(C, 2) if check else np.asarray(C, dtype=float)
        return self._average("J2", _entries(C))

    def I3(self, C: ArrayLike, *, check: bool = True) -> np.ndarray:
        r""":math:`I_3(C) = \mathbb E[g'(u)\, v\, g(w)]`, :math:`(u, v, w) \sim N(0, C)`.

        The middle variable enters linearly.

        Parameters
        ----------
        C : array_like, shape (..., 3, 3)

        Returns
        -------
        ndarray, shape C.shape[:-2]
        """
        C = _check_cov(C, 3) if check else np.asarray(C, dtype=float)
        return self._average("I3", _entries(C))

    def I4(self, C: ArrayLike, *, check: bool = True) -> np.ndarray:
        r""":math:`I_4(C) = \mathbb E[g'(u) g'(v) g(w) g(z)]`, :math:`(u, v, w, z) \sim N(0, C)`.

        Parameters
        ----------
        C : array_like, shape (..., 4, 4)

        Returns
        -------
        ndarray, shape C.shape[:-2]
        """
        C = _check_cov(C, 4) if check else np.asarray(C, dtype=float)
        return self._average("I4", _entries(C))

    def table(self, kind: str, omega: np.ndarray, *index: np.ndarray) -> np.ndarray:
        r"""An average over fields picked from one covariance, for every index combination.

        ``table("I4", omega, i, k, a, b)[...] = I4(omega[[i, k, a, b]][:, [i, k, a, b]])``
        with the integer index arrays broadcast against each other: the averages
        the overlap ODEs need, over all pairs of student and teacher units, in one
        call.  Closed forms read the covariance entries by broadcasting (no
        submatrices are formed); quadrature gathers the submatrices.

        Parameters
        ----------
        kind : {"I2", "J2", "I3", "I4"}
        omega : ndarray, shape (..., n, n)
            A validated covariance of all the fields (not checked again here).
        *index : int arrays
            One per variable of ``kind`` (2, 2, 3 or 4), broadcastable, in ``range(n)``.

        Returns
        -------
        ndarray of the broadcast shape of ``index``
        """
        dims = {"I2": 2, "J2": 2, "I3": 3, "I4": 4}
        if kind not in dims:
            raise ValueError(f"kind must be one of 'I2', 'J2', 'I3', 'I4', got {kind!r}")
        if len(index) != dims[kind]:
            raise ValueError(f"{kind} takes {dims[kind]} index arrays, got {len(index)}")
        omega = np.asarray(omega, dtype=float)
        return self._average(kind, lambda p, q: omega[..., index[p - 1], index[q - 1]])

    def contract_I3(self, omega: np.ndarray, i: np.ndarray, u: np.ndarray) -> np.ndarray:
        r"""The first-order drive of the ODEs, :math:`D_{pa} = \sum_b u_b\, I_3(i_p, a, b)`.

        Parameters
        ----------
        omega : ndarray, shape (..., n, n)
            Covariance of all the fields (validated by the caller).
        i : int array, shape (P,)
            The field whose derivative enters (a student unit).
        u : ndarray, shape (..., n)
            Coefficients of the error :math:`\sum_b u_b g(x_b)`.

        Returns
        -------
        ndarray, shape (..., P, n)

        Notes
        -----
        For erf the closed form is summed by matrix products:
        :math:`D_{pa} = \tfrac2\pi[(\Omega w_p)_a - \Omega_{ia}(\Omega w_p)_i/(1+\Omega_{ii})]`
        with :math:`w_{pb} = u_b/\sqrt{\Lambda_3(i_p, b)}`, so no (P, n, n) table is formed.
        """
        omega = np.asarray(omega, dtype=float)
        u = np.asarray(u, dtype=float)
        i = np.asarray(i)
        if self._builtin and self._name == "erf":
            diag = np.diagonal(omega, axis1=-2, axis2=-1)  # (..., n)
            a1 = 1.0 + diag[..., i]  # (..., P)
            oib = omega[..., i, :]  # (..., P, n)
            w = u[..., None, :] / np.sqrt(a1[..., None] * (1.0 + diag[..., None, :]) - oib**2)
            ow = np.swapaxes(omega @ np.swapaxes(w, -1, -2), -1, -2)  # (..., P, n): (Omega w_p)_a
            own = np.take_along_axis(ow, np.broadcast_to(i[:, None], ow.shape[:-1] + (1,)), -1)  # (Omega w_p)_i
            return _TWO_OVER_PI * (ow - oib * (own / a1[..., None]))
        n = omega.shape[-1]
        a = np.arange(n)
        table = self.table("I3", omega, i[:, None, None], a[None, :, None], a[None, None, :])
        return np.einsum("...pab,...b->...pa", table, u)

    def contract_I4(self, omega: np.ndarray, i: np.ndarray, k: np.ndarray, u: np.ndarray) -> np.ndarray:
        r"""The second-order term of the ODEs, :math:`S_p = \sum_{ab} u_a u_b\, I_4(i_p, k_p, a, b)`.

        Parameters
        ----------
        omega : ndarray, shape (..., n, n)
            Covariance of all the fields (validated by the caller).
        i, k : int arrays, shape (P,)
            The two fields whose derivatives enter (student units).
        u : ndarray, shape (..., n)

        Returns
        -------
        ndarray, shape (..., P)

        Notes
        -----
        For erf, :math:`\Lambda_0/\sqrt{\Lambda_1\Lambda_2}` is the correlation of fields
        a and b under the covariance tilted by :math:`e^{-(x_i^2 + x_k^2)/2}` (class notes),
        :math:`\Omega' = \Omega - X^\top (I + \Omega_{ik,ik})^{-1} X` with
        :math:`X = \Omega_{ik,:}`, a rank-2 update per pair computed by matrix
        products; the table costs one arcsin per entry.
        """
        omega = np.asarray(omega, dtype=float)
        u = np.asarray(u, dtype=float)
        i, k = np.asarray(i), np.asarray(k)
        if self._builtin and self._name == "erf":
            xi, xk = omega[..., i, :], omega[..., k, :]  # (..., P, n)
            a1, a2, c = 1.0 + omega[..., i, i], 1.0 + omega[..., k, k], omega[..., i, k]
            lam4 = a1 * a2 - c * c
            yi = (a2[..., None] * xi - c[..., None] * xk) / lam4[..., None]
            yk = (a1[..., None] * xk - c[..., None] * xi) / lam4[..., None]
            diag = np.diagonal(omega, axis1=-2, axis2=-1)[..., None, :]
            r = 1.0 / np.sqrt(1.0 + diag - xi * yi - xk * yk)  # 1 / sqrt(1 + Omega'_aa)
            corr = omega[..., None, :, :] * (r[..., :, None] @ r[..., None, :])
            corr -= np.stack([xi * r, xk * r], -1) @ np.stack([yi * r, yk * r], -2)
            np.clip(corr, -1.0, 1.0, out=corr)
            np.arcsin(corr, out=corr)
            form = (corr @ u[..., None, :, None])[..., 0]
            return _FOUR_OVER_PI2 / np.sqrt(lam4) * np.sum(form * u[..., None, :], axis=-1)
        a = np.arange(omega.shape[-1])
        table = self.table("I4", omega, i[:, None, None], k[:, None, None], a[None, :, None], a[None, None, :])
        return np.einsum("...pab,...a,...b->...p", table, u, u)

    def _average(self, kind: str, c: Callable[[int, int], np.ndarray]) -> np.ndarray:
        """The average ``kind`` from the covariance entries ``c(p, q)`` (1-based, broadcastable)."""
        closed = _CLOSED_FORMS.get(self._name) if self._builtin else None
        if closed is not None and kind in closed:
            return np.asarray(closed[kind](c), dtype=float)
        funcs = {
            "I2": (self.g, self.g),
            "J2": (self.dg, self.dg),
            "I3": (self.dg, _identity, self.g),
            "I4": (self.dg, self.dg, self.g, self.g),
        }[kind]
        d = len(funcs)
        return gaussian_expectation(funcs, _stack(c, d), self._orders[d])


def _entries(C: np.ndarray) -> Callable[[int, int], np.ndarray]:
    """Entry accessor ``c(p, q) = C[..., p-1, q-1]`` (1-based, as in the papers)."""
    return lambda p, q: C[..., p - 1, q - 1]


def _stack(c: Callable[[int, int], np.ndarray], d: int) -> np.ndarray:
    """The covariances (..., d, d) from an entry accessor."""
    entries = [[np.asarray(c(p, q), dtype=float) for q in range(1, d + 1)] for p in range(1, d + 1)]
    shape = np.broadcast_shapes(*(e.shape for row in entries for e in row))
    return np.stack([np.stack([np.broadcast_to(e, shape) for e in row], -1) for row in entries], -2)


# closed forms over the entries c(p, q) of the covariance (Activation's notes)
def _erf_I2(c):
    return _TWO_OVER_PI * np.arcsin(_clip1(c(1, 2) / np.sqrt((1.0 + c(1, 1)) * (1.0 + c(2, 2)))))


def _erf_J2(c):
    return _TWO_OVER_PI / np.sqrt((1.0 + c(1, 1)) * (1.0 + c(2, 2)) - c(1, 2) ** 2)


def _erf_I3(c):
    a1 = 1.0 + c(1, 1)
    lam3 = a1 * (1.0 + c(3, 3)) - c(1, 3) ** 2
    return _TWO_OVER_PI * (c(2, 3) * a1 - c(1, 2) * c(1, 3)) / (a1 * np.sqrt(lam3))


def _erf_I4(c):
    a1, a2 = 1.0 + c(1, 1), 1.0 + c(2, 2)
    c12, c13, c14, c23, c24 = c(1, 2), c(1, 3), c(1, 4), c(2, 3), c(2, 4)
    lam4 = a1 * a2 - c12**2
    lam0 = lam4 * c(3, 4) - c23 * c24 * a1 - c13 * c14 * a2 + c12 * (c13 * c24 + c14 * c23)
    lam1 = lam4 * (1.0 + c(3, 3)) - c23**2 * a1 - c13**2 * a2 + 2.0 * c12 * c13 * c23
    lam2 = lam4 * (1.0 + c(4, 4)) - c24**2 * a1 - c14**2 * a2 + 2.0 * c12 * c14 * c24
    return _FOUR_OVER_PI2 / np.sqrt(lam4) * np.arcsin(_clip1(lam0 / np.sqrt(lam1 * lam2)))


def _ones(c):
    return np.ones(np.broadcast_shapes(np.shape(c(1, 1)), np.shape(c(1, 2)), np.shape(c(2, 2))))


def _relu_I2(c):
    c11, c22 = np.broadcast_arrays(c(1, 1), c(2, 2))
    s = np.sqrt(c11 * c22)
    pos = s > 0
    t = np.arccos(_clip1(np.where(pos, c(1, 2), 0.0) / np.where(pos, s, 1.0)))
    return np.where(pos, s / (2.0 * np.pi) * (np.sin(t) + (np.pi - t) * np.cos(t)), 0.0)


def _relu_I3(c):
    c11, c33, c13 = c(1, 1), c(3, 3), c(1, 3)
    pos = c11 > 0
    c11s = np.where(pos, c11, 1.0)
    delta_term = np.where(pos, c(1, 2) * np.sqrt(np.maximum(c11 * c33 - c13 * c13, 0.0)) / (2.0 * np.pi * c11s), 0.0)
    return delta_term + c(2, 3) * _relu_J2(c11, c13, c33)


_CLOSED_FORMS: dict[str, dict[str, Callable]] = {
    "erf": {"I2": _erf_I2, "J2": _erf_J2, "I3": _erf_I3, "I4": _erf_I4},
    "linear": {
        "I2": lambda c: np.array(c(1, 2), dtype=float),
        "J2": _ones,
        "I3": lambda c: np.array(c(2, 3), dtype=float),
        "I4": lambda c: np.array(c(3, 4), dtype=float),
    },
    "relu": {"I2": _relu_I2, "J2": lambda c: _relu_J2(c(1, 1), c(1, 2), c(2, 2)), "I3": _relu_I3},
}


def _identity(x: np.ndarray) -> np.ndarray:
    return x


def _clip1(x: np.ndarray) -> np.ndarray:
    """Clip round-off excursions beyond [-1, 1] before arcsin / arccos."""
    return np.clip(x, -1.0, 1.0)


def _relu_J2(c11: np.ndarray, c12: np.ndarray, c22: np.ndarray) -> np.ndarray:
    r""":math:`\mathbb E[\theta(u)\theta(v)] = (\pi - t)/(2\pi)`, 0 if a variance vanishes (:math:`\theta(0)=0`)."""
    s = np.sqrt(c11 * c22)
    pos = s > 0
    t = np.arccos(_clip1(np.where(pos, c12, 0.0) / np.where(pos, s, 1.0)))
    return np.where(pos, (np.pi - t) / (2.0 * np.pi), 0.0)


def make_activation(a: ActivationLike) -> Activation:
    """Return ``a`` if it is an :class:`Activation`, else ``Activation(a)`` for a built-in name.

    Raises
    ------
    ValueError
        ``activation must be one of 'erf', 'linear', 'relu', 'sigmoid' or an
        Activation, got ...`` for anything else.
    """
    if isinstance(a, Activation):
        return a
    if isinstance(a, str) and a in _BUILTIN_FUNCS:
        return Activation(a)
    raise _bad_activation(a)
