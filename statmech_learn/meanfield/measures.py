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
from ..citations import _cites
from ..gibbs.priors import Prior, make_prior

__all__ = ["Ising", "Ising2D", "SK", "Bipartite", "UNITS"]

#: unit names accepted by :class:`Ising` (or any Prior instance)
UNITS = ("binary", "bernoulli", "gaussian")


#: largest coupling magnitude accepted: its square (the J^2 of the Onsager terms) stays finite
MAX_COUPLING = 1e150


def _check_couplings(name: str, value) -> np.ndarray:
    """``value`` as a finite float array whose entries are at most :data:`MAX_COUPLING` in magnitude."""
    arr = np.asarray(check_finite(name, value), dtype=float)
    if arr.size and np.max(np.abs(arr)) > MAX_COUPLING:
        raise ValueError(
            f"{name} entries must be <= {MAX_COUPLING:g} in magnitude (their squares enter the "
            f"mean-field equations), got {np.max(np.abs(arr)):g}"
        )
    return arr


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
        J = _check_couplings("J", J)
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
        self.beta = check_positive("beta", beta, scalar=True)
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

    @property
    def layers(self) -> tuple[tuple[slice, Prior], ...]:
        """Groups of units updated together by the mean-field solvers, with their prior: one group
        (a parallel update) for a general pairwise measure."""
        return ((slice(0, self.n), self.prior),)

    def local_field(self, m: np.ndarray, sl: slice = slice(None)) -> np.ndarray:
        r""":math:`(h + J m)_i` for the units in ``sl``, vectorised over leading axes of ``m`` (..., n)."""
        return self.h[sl] + m @ self.J[:, sl]

    def onsager_precision(self, v: np.ndarray, sl: slice = slice(None)) -> np.ndarray:
        r""":math:`\sum_j J_{ij}^2 v_j` for the units in ``sl`` (without the factor :math:`\beta^2`)."""
        return v @ self.J2[:, sl]

    def quadratic(self, m: np.ndarray) -> np.ndarray:
        r""":math:`m^\top J m`, vectorised over leading axes."""
        return np.sum((m @ self.J) * m, axis=-1)

    def quadratic2(self, v: np.ndarray) -> np.ndarray:
        r""":math:`v^\top J^{\circ 2} v`, vectorised over leading axes."""
        return np.sum((v @ self.J2) * v, axis=-1)

    def energy(self, s: ArrayLike) -> np.ndarray:
        r""":math:`E(s) = -\tfrac12 s^\top J s - h^\top s`, vectorised over leading axes of ``s`` (..., n)."""
        s = np.asarray(s, dtype=float)
        return -0.5 * np.sum((s @ self.J) * s, axis=-1) - s @ self.h

    def with_beta(self, beta: float) -> Ising:
        """The same couplings, fields and units at another inverse temperature."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.beta = check_positive("beta", beta, scalar=True)
        return new

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n={self.n}, beta={self.beta:g}, units={self.units!r})"


@_cites
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
        field = check_finite("field", field, scalar=True)
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

    def __init__(
        self,
        L: int,
        beta: float = 1.0,
        field: float = 0.0,
        coupling: float = 1.0,
        periodic: bool = True,
        units: str | Prior = "binary",
    ) -> None:
        L = check_int("L", L, minimum=2, maximum=300)
        coupling = check_finite("coupling", coupling, scalar=True)
        if abs(coupling) > MAX_COUPLING / 2:  # L = 2 doubles it
            raise ValueError(f"coupling must be <= {MAX_COUPLING / 2:g} in magnitude, got {coupling:g}")
        if not isinstance(periodic, (bool, np.bool_)):
            raise ValueError(f"periodic must be True or False, got {periodic!r}")
        n = L * L
        J = np.zeros((n, n))
        idx = np.arange(n).reshape(L, L)
        for shift_axis in (0, 1):
            nb = np.roll(idx, -1, axis=shift_axis)
            a, b = idx.ravel(), nb.ravel()
            if not periodic:  # drop the bonds that wrap around
                keep = np.arange(L) < L - 1
                mask = keep[:, None] if shift_axis == 0 else keep[None, :]
                a, b = idx[np.broadcast_to(mask, (L, L))], nb[np.broadcast_to(mask, (L, L))]
            np.add.at(J, (a, b), coupling)
            np.add.at(J, (b, a), coupling)
        super().__init__(J, check_finite("field", field, scalar=True), beta, units)
        self.L, self.field, self.coupling, self.periodic = L, float(field), coupling, bool(periodic)

    def __repr__(self) -> str:
        return (
            f"Ising2D(L={self.L}, beta={self.beta:g}, field={self.field:g}, coupling={self.coupling:g}, "
            f"periodic={self.periodic}, units={self.units!r})"
        )


class Bipartite:
    r"""A bipartite pairwise measure (a restricted Boltzmann machine) over two unit priors.

    .. math::
        p(v, h) \propto \prod_{i} P_v(v_i) \prod_{\mu} P_h(h_\mu)\,
            \exp\big(\beta(v^\top W h + b^\top v + c^\top h)\big).

    It is the pairwise measure of :class:`Ising` on the n = n_v + n_h units s = (v, h)
    with couplings :math:`J = \begin{pmatrix} 0 & W \\ W^\top & 0\end{pmatrix}` and
    fields (b, c), except that each layer has its own prior; the mean-field solvers
    (:mod:`~statmech_learn.meanfield.tap`) update the layers in turn, and the dense J is
    never formed unless asked for (:attr:`J`).  ``log Z`` is that of the prior-weighted
    sum, as everywhere in the subpackage.

    Parameters
    ----------
    W : array_like, shape (n_visible, n_hidden)
        Finite couplings.
    b, c : array_like or float
        Visible and hidden fields (scalars are broadcast).
    beta : float
        Inverse temperature, > 0.
    visible, hidden : {'binary', 'bernoulli', 'gaussian'} or Prior
        The unit priors of the two layers.
    """

    def __init__(
        self,
        W: ArrayLike,
        b: ArrayLike = 0.0,
        c: ArrayLike = 0.0,
        beta: float = 1.0,
        visible: str | Prior = "bernoulli",
        hidden: str | Prior = "bernoulli",
    ) -> None:
        if isinstance(W, (bool, str)) or W is None:
            raise ValueError(f"W must be an (n_visible, n_hidden) array of couplings, got {W!r}")
        W = _check_couplings("W", W)
        if W.ndim != 2 or min(W.shape) < 1:
            raise ValueError(f"W must be a 2-D (n_visible, n_hidden) array with both sizes >= 1, got shape {W.shape}")
        nv, nh = W.shape
        b = np.asarray(check_finite("b", b), dtype=float)
        c = np.asarray(check_finite("c", c), dtype=float)
        b = np.full(nv, float(b)) if b.ndim == 0 else b
        c = np.full(nh, float(c)) if c.ndim == 0 else c
        if b.shape != (nv,):
            raise ValueError(f"b must be a scalar or have shape ({nv},), got shape {b.shape}")
        if c.shape != (nh,):
            raise ValueError(f"c must be a scalar or have shape ({nh},), got shape {c.shape}")
        for name, u in (("visible", visible), ("hidden", hidden)):
            if isinstance(u, str) and u not in UNITS:
                raise ValueError(f"{name} must be one of {', '.join(map(repr, UNITS))} or a Prior, got {u!r}")
        self.W, self.b, self.c = W, b, c
        self.beta = check_positive("beta", beta, scalar=True)
        self.visible_prior: Prior = make_prior(visible, "visible")
        self.hidden_prior: Prior = make_prior(hidden, "hidden")
        self.n_visible, self.n_hidden, self.n = nv, nh, nv + nh
        self.h = np.concatenate([b, c])
        self.W2 = W * W
        self._J: np.ndarray | None = None

    @property
    def layers(self) -> tuple[tuple[slice, Prior], ...]:
        """The two layers, hidden first: the solvers update the hidden units from the visible ones,
        then the visible units from the new hidden ones (Gabrie, Tramel & Krzakala 2015)."""
        nv = self.n_visible
        return ((slice(nv, self.n, None), self.hidden_prior), (slice(0, nv, None), self.visible_prior))

    @property
    def units(self) -> str:
        """Names of the two priors, 'visible/hidden'."""
        return f"{self.visible_prior.name}/{self.hidden_prior.name}"

    @property
    def J(self) -> np.ndarray:
        """The dense (n, n) couplings [[0, W], [W^T, 0]], formed on first use."""
        if self._J is None:
            nv = self.n_visible
            J = np.zeros((self.n, self.n))
            J[:nv, nv:] = self.W
            J[nv:, :nv] = self.W.T
            self._J = J
        return self._J

    @property
    def J2(self) -> np.ndarray:
        """The dense squared couplings."""
        return self.J * self.J

    def _split(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x[..., : self.n_visible], x[..., self.n_visible :]

    def local_field(self, m: np.ndarray, sl: slice = slice(None)) -> np.ndarray:
        r""":math:`(h + J m)` restricted to ``sl``: :math:`b + W m_h` (visible), :math:`c + W^\top m_v` (hidden)."""
        return self._blockwise(m, self.W, sl, self.h)

    def onsager_precision(self, v: np.ndarray, sl: slice = slice(None)) -> np.ndarray:
        r""":math:`\sum_j J_{ij}^2 v_j` restricted to ``sl`` (:math:`W^{\circ 2}` in place of W, no fields)."""
        return self._blockwise(v, self.W2, sl, None)

    def _blockwise(self, x, W, sl, h):
        nv = self.n_visible
        if sl.start == 0 and sl.stop == nv and sl.step is None:  # the visible layer
            out = x[..., nv:] @ W.T
            return out if h is None else out + self.b
        if sl.start == nv and sl.stop == self.n and sl.step is None:  # the hidden layer
            out = x[..., :nv] @ W
            return out if h is None else out + self.c
        out = np.concatenate([x[..., nv:] @ W.T, x[..., :nv] @ W], axis=-1)[..., sl]
        return out if h is None else out + h[sl]

    def quadratic(self, m: np.ndarray) -> np.ndarray:
        r""":math:`m^\top J m = 2 m_v^\top W m_h`."""
        mv, mh = self._split(m)
        return 2.0 * np.sum((mv @ self.W) * mh, axis=-1)

    def quadratic2(self, v: np.ndarray) -> np.ndarray:
        r""":math:`v^\top J^{\circ 2} v = 2 v_v^\top W^{\circ 2} v_h`."""
        vv, vh = self._split(v)
        return 2.0 * np.sum((vv @ self.W2) * vh, axis=-1)

    def energy(self, s: ArrayLike) -> np.ndarray:
        r""":math:`E(v, h) = -v^\top W h - b^\top v - c^\top h` for s = (v, h), vectorised over leading axes."""
        s = np.asarray(s, dtype=float)
        v, h = self._split(s)
        return -np.sum((v @ self.W) * h, axis=-1) - v @ self.b - h @ self.c

    def with_beta(self, beta: float) -> Bipartite:
        """The same couplings, fields and units at another inverse temperature."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.beta = check_positive("beta", beta, scalar=True)
        return new

    def as_ising(self) -> Ising:
        """The same measure as an :class:`Ising` measure on (v, h), when both layers have the same prior."""
        if self.visible_prior.name != self.hidden_prior.name or repr(self.visible_prior) != repr(self.hidden_prior):
            raise ValueError(f"as_ising needs the same prior on both layers, got units={self.units!r}")
        return Ising(self.J, self.h, self.beta, self.visible_prior)

    def __repr__(self) -> str:
        return (
            f"Bipartite(n_visible={self.n_visible}, n_hidden={self.n_hidden}, beta={self.beta:g}, units={self.units!r})"
        )
