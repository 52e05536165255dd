r"""Pairwise Gibbs measures over a unit prior: the Ising and Sherrington-Kirkpatrick models.

.. math::
    p(s) = \frac{1}{Z}\prod_i P_0(s_i)\, \exp\Big(\beta\big(\tfrac12 s^\top J s + h^\top s\big)\Big),
    \qquad J = J^\top,\ J_{ii} = 0,

with any unit prior :math:`P_0` of :mod:`statmech_learn.gibbs.priors` (``'binary'``
for ±1 spins, ``'bernoulli'`` for {0, 1} units, ``'gaussian'``, or a
:class:`~statmech_learn.gibbs.priors.Prior`).  ``log Z`` throughout the
subpackage is that of the prior-weighted sum, so that for ±1 spins it is
:math:`\log\sum_s e^{-\beta E(s)} - n\log 2`.

The SK model (Sherrington & Kirkpatrick 1975) has :math:`J_{ij} = J_{ji} \sim N(0, 1/n)`
and a uniform field.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_rng, check_finite, check_int, check_positive
from ..gibbs.priors import Prior, make_prior

__all__ = ["Ising", "Ising2D", "SK", "UNITS"]

#: unit names accepted by :class:`Ising` (or any Prior instance)
UNITS = ("binary", "bernoulli", "gaussian")


class Ising:
    r"""A pairwise measure :math:`p(s) \propto \prod_i P_0(s_i)\, e^{\beta(s^\top J s/2 + h^\top s)}`.

    Parameters
    ----------
    J : array_like, shape (n, n)
        Symmetric finite couplings; the diagonal must be zero (a diagonal term is a
        change of prior, not a coupling).
    h : array_like, shape (n,) or float
        External fields (a scalar is broadcast).
    beta : float
        Inverse temperature, > 0.
    units : {'binary', 'bernoulli', 'gaussian'} or Prior
        The unit prior :math:`P_0`.
    """

    def __init__(self, J: ArrayLike, h: ArrayLike = 0.0, beta: float = 1.0, units: str | Prior = "binary") -> None:
        if isinstance(J, (bool, str)) or J is None:
            raise ValueError(f"J must be a square array of couplings, got {J!r}")
        J = np.asarray(check_finite("J", J), dtype=float)
        if J.ndim != 2 or J.shape[0] != J.shape[1] or J.shape[0] < 1:
            raise ValueError(f"J must be a square (n, n) array with n >= 1, got shape {J.shape}")
        scale = max(float(np.max(np.abs(J))), 1e-300)
        if np.max(np.abs(J - J.T)) > 1e-12 * scale:
            raise ValueError(f"J must be symmetric, got max |J - J^T| = {np.max(np.abs(J - J.T)):.3g}")
        if np.any(np.diag(J) != 0):
            raise ValueError("J must have a zero diagonal (put self-couplings into the unit prior)")
        n = J.shape[0]
        h = np.asarray(check_finite("h", h), dtype=float)
        if h.ndim == 0:
            h = np.full(n, float(h))
        if h.shape != (n,):
            raise ValueError(f"h must be a scalar or have shape ({n},), got shape {h.shape}")
        self.J = 0.5 * (J + J.T)
        self.h = h
        self.beta = float(check_positive("beta", beta))
        if isinstance(units, str) and units not in UNITS:
            raise ValueError(f"units must be one of {', '.join(map(repr, UNITS))} or a Prior, got {units!r}")
        self.prior: Prior = make_prior(units, "units")
        self.n = n
        self._J2: np.ndarray | None = None

    @property
    def J2(self) -> np.ndarray:
        """The squared couplings :math:`J_{ij}^2` (of the Onsager terms), computed once."""
        if self._J2 is None:
            self._J2 = self.J * self.J
        return self._J2

    @property
    def units(self) -> str:
        """Name of the unit prior."""
        return self.prior.name

    def energy(self, s: ArrayLike) -> np.ndarray:
        r""":math:`E(s) = -\tfrac12 s^\top J s - h^\top s`, vectorised over leading axes of ``s`` (..., n)."""
        s = np.asarray(s, dtype=float)
        return -0.5 * np.sum((s @ self.J) * s, axis=-1) - s @ self.h

    def with_beta(self, beta: float) -> "Ising":
        """The same couplings, fields and units at another inverse temperature."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.beta = float(check_positive("beta", beta))
        return new

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n={self.n}, beta={self.beta:g}, units={self.units!r})"


class SK(Ising):
    r"""The Sherrington-Kirkpatrick model: :math:`J_{ij} = J_{ji} \sim N(0, 1/n)`, uniform field.

    Parameters
    ----------
    n : int
        Number of spins (2 to 10^5).
    beta : float
        Inverse temperature (> 0); the paramagnet becomes unstable at beta = 1 without a field.
    field : float
        Uniform external field h.
    rng : seed or Generator
        Draws the couplings.
    units : as :class:`Ising` (default ±1 spins).
    """

    def __init__(self, n: int, beta: float = 1.0, field: float = 0.0, rng=None, units: str | Prior = "binary") -> None:
        n = check_int("n", n, minimum=2, maximum=100_000)
        field = float(check_finite("field", field))
        rng = as_rng(rng)
        G = rng.standard_normal((n, n)) / np.sqrt(n)
        J = np.triu(G, 1)
        J = J + J.T
        super().__init__(J, field, beta, units)
        self.field = field

    def __repr__(self) -> str:
        return f"SK(n={self.n}, beta={self.beta:g}, field={self.field:g}, units={self.units!r})"


class Ising2D(Ising):
    r"""Nearest-neighbour Ising model on an L x L square lattice.

    .. math:: E(s) = -K\sum_{\langle ij\rangle} s_i s_j - h\sum_i s_i,

    site :math:`(r, c)` is unit :math:`rL + c`.  With periodic boundaries every site has
    four bonds (for L = 2 the two bonds between the same pair both count, so the
    coupling of that pair is 2K, as in the transfer matrix); with open boundaries the
    edge bonds are missing.  The infinite lattice orders at
    :math:`\beta_c K = \tfrac12\log(1 + \sqrt2) \approx 0.4407` (Onsager 1944).

    Parameters
    ----------
    L : int
        Side (2 to 300).
    beta : float
        Inverse temperature (> 0).
    field : float
        Uniform field h.
    coupling : float
        K (> 0 ferromagnetic).
    periodic : bool
        Periodic (default) or open boundaries.
    units : as :class:`Ising` (default ±1 spins).
    """

    def __init__(self, L: int, beta: float = 1.0, field: float = 0.0, coupling: float = 1.0, periodic: bool = True,
                 units: str | Prior = "binary") -> None:
        L = check_int("L", L, minimum=2, maximum=300)
        coupling = float(check_finite("coupling", coupling))
        if not isinstance(periodic, (bool, np.bool_)):
            raise ValueError(f"periodic must be True or False, got {periodic!r}")
        n = L * L
        J = np.zeros((n, n))
        idx = np.arange(n).reshape(L, L)
        for shift_axis in (0, 1):
            nb = np.roll(idx, -1, axis=shift_axis)
            a, b = idx.ravel(), nb.ravel()
            if not periodic:  # drop the bonds that wrap around
                keep = (np.arange(L) < L - 1)
                mask = keep[:, None] if shift_axis == 0 else keep[None, :]
                a, b = idx[np.broadcast_to(mask, (L, L))], nb[np.broadcast_to(mask, (L, L))]
            np.add.at(J, (a, b), coupling)
            np.add.at(J, (b, a), coupling)
        super().__init__(J, float(check_finite("field", field)), beta, units)
        self.L, self.field, self.coupling, self.periodic = L, float(field), coupling, bool(periodic)

    def __repr__(self) -> str:
        return (f"Ising2D(L={self.L}, beta={self.beta:g}, field={self.field:g}, coupling={self.coupling:g}, "
                f"periodic={self.periodic}, units={self.units!r})")
