r"""Online SGD of two-layer networks in the teacher-student setup: the overlap ODEs.

A student :math:`\phi(x) = \sum_{k=1}^K v_k\, g(\lambda_k)` learns a teacher
:math:`y = \sum_{m=1}^M v^*_m\, g(\nu_m) + \sigma\zeta` from one fresh Gaussian
input per step, with local fields :math:`\lambda_k = w_k\cdot x/\sqrt N`,
:math:`\nu_m = w^*_m\cdot x/\sqrt N` and the updates

.. math::
    w_k \leftarrow w_k - \frac{\eta}{\sqrt N}\, v_k\, \Delta\, g'(\lambda_k)\, x,\qquad
    v_k \leftarrow v_k - \frac{\eta_v}{N}\, \Delta\, g(\lambda_k),\qquad \Delta = \phi(x) - y.

As :math:`N\to\infty` with :math:`t = \mu/N` the overlaps :math:`Q = ww^\top/N`,
:math:`R = w w^{*\top}/N`, :math:`T = w^* w^{*\top}/N` and the second layer obey
(Saad & Solla 1995, Phys. Rev. E 52, 4225; Goldt, Advani, Saxe, Krzakala &
Zdeborova 2019, NeurIPS, eqs. 9-11)

.. math::
    \frac{dR_{in}}{dt} &= \eta v_i\Big[\sum_m v^*_m I_3(i,n,m) - \sum_j v_j I_3(i,n,j)\Big],\\
    \frac{dQ_{ik}}{dt} &= \eta v_i\Big[\sum_m v^*_m I_3(i,k,m) - \sum_j v_j I_3(i,k,j)\Big] + (i\leftrightarrow k)\\
      &\quad + \eta^2 v_i v_k\Big[\sum_{jl} v_j v_l I_4(i,k,j,l) - 2\sum_{jm} v_j v^*_m I_4(i,k,j,m)
      + \sum_{nm} v^*_n v^*_m I_4(i,k,n,m) + \sigma^2 J_2(i,k)\Big],\\
    \frac{dv_i}{dt} &= \eta_v\Big[\sum_n v^*_n I_2(i,n) - \sum_j v_j I_2(i,j)\Big],

where the Gaussian averages :math:`I_2, J_2, I_3, I_4` of
:class:`~statmech_learn.online.averages.Activation` are taken over the local
fields named by their indices, whose covariance is
:math:`\Omega = \begin{pmatrix} Q & R\\ R^\top & T\end{pmatrix}`.  The
generalisation error is :math:`\varepsilon_g = \tfrac12\mathbb E(\phi - \phi^*)^2`
(noise excluded).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import OdeSolver, solve_ivp

from .._validation import as_rng, check_finite, check_int, check_nonnegative, check_positive, check_tol
from ..citations import _cites
from ..results import Result
from .averages import Activation, make_activation

__all__ = ["OverlapState", "OverlapTrajectory", "TwoLayer", "SoftCommittee"]


#: longest integration time accepted by :meth:`TwoLayer.integrate` (about a day of RK45 steps)
MAX_TIME = 1e8
_ODE_METHODS = ("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA")


@dataclass(frozen=True, repr=False)
class OverlapState(Result):
    """Order parameters of a student (K units) and a teacher (M units).

    Q (K, K), R (K, M), T (M, M), v (K,), v_star (M,).
    """

    Q: np.ndarray
    R: np.ndarray
    T: np.ndarray
    v: np.ndarray
    v_star: np.ndarray

    def gram(self) -> np.ndarray:
        """The covariance of the local fields, :math:`\\Omega = [[Q, R], [R^T, T]]`."""
        return np.block([[self.Q, self.R], [self.R.T, self.T]])


@dataclass(frozen=True, repr=False)
class OverlapTrajectory(Result):
    """Solution of the overlap ODEs on a time grid (time along the first axis).

    Attributes
    ----------
    t : (n_t,) times (steps / N).
    Q, R, T : (n_t, K, K), (n_t, K, M), (M, M).
    v, v_star : (n_t, K), (M,).
    eps_g : (n_t,) generalisation error.
    blew_up : the weights diverged (learning rate beyond stability); ``blowup_time`` says when,
        and the arrays stop there.
    blowup_time : time of the blow-up (NaN if none).
    success : the integrator reached ``t_max`` (or stopped at a reported blow-up).
    message : the integrator's message.
    n_evaluations : right-hand-side evaluations.
    model : repr of the model.
    """

    t: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    T: np.ndarray
    v: np.ndarray
    v_star: np.ndarray
    eps_g: np.ndarray
    blew_up: bool
    blowup_time: float
    success: bool
    message: str
    n_evaluations: int
    model: str


#: an overlap beyond this marks a blow-up of the weights (the ODE's solution diverges)
_BLOWUP = 1e6


@_cites
class TwoLayer:
    """Online SGD of a two-layer network (both layers learned when ``lr_second > 0``).

    Parameters
    ----------
    K, M : int
        Hidden units of the student and the teacher.
    activation : str or Activation
        'erf' (:math:`\\mathrm{erf}(x/\\sqrt2)`), 'linear', 'relu', 'sigmoid' or an Activation.
    lr : float
        First-layer learning rate :math:`\\eta > 0`.
    lr_second : float
        Second-layer learning rate :math:`\\eta_v \\ge 0` (0: second layer fixed).
    noise : float
        Output noise standard deviation :math:`\\sigma \\ge 0`.
    v_star : array_like, optional
        Teacher's second layer (default all ones).
    """

    def __init__(
        self, K: int, M: int, activation="erf", lr: float = 0.5, lr_second: float = 0.0, noise: float = 0.0, v_star=None
    ) -> None:
        self.K = check_int("K", K, minimum=1, maximum=1000)
        self.M = check_int("M", M, minimum=1, maximum=1000)
        self.activation: Activation = make_activation(activation)
        self.lr = check_positive("lr", lr, scalar=True)
        self.lr_second = check_nonnegative("lr_second", lr_second, scalar=True)
        self.noise = check_nonnegative("noise", noise, scalar=True)
        vs = np.ones(self.M) if v_star is None else np.asarray(check_finite("v_star", v_star), dtype=float)
        if vs.shape != (self.M,):
            raise ValueError(f"v_star must have shape ({self.M},), got {vs.shape}")
        self.v_star = vs
        # student pairs i <= k of the second-order term (Q is symmetric)
        self._iu = np.triu_indices(self.K)

    # -- state ---------------------------------------------------------------------------
    def initial_state(self, overlap: float = 1e-3, rng=None, *, Q=None, R=None, T=None, v=None) -> OverlapState:
        """A start: given Q, R, T (and v), or random small overlaps of size ``overlap``.

        The random start draws a student of N = 10^4 dimensions with squared norms
        ``overlap`` per unit and an orthonormal teacher (T = I), and takes their
        overlaps (so that Q, R, T form a valid Gram matrix).  v defaults to ones
        (the soft committee) or, for a learned second layer, to small random values.
        """
        overlap = check_positive("overlap", overlap, scalar=True)
        rng = as_rng(rng)
        if Q is None or R is None:
            n_dim = 10_000
            teacher = np.linalg.qr(rng.standard_normal((n_dim, self.M)))[0].T * np.sqrt(n_dim)
            student = rng.standard_normal((self.K, n_dim)) * np.sqrt(overlap)
            Q = student @ student.T / n_dim if Q is None else Q
            R = student @ teacher.T / n_dim if R is None else R
            T = teacher @ teacher.T / n_dim if T is None else T
        T = np.eye(self.M) if T is None else T
        if v is None:
            v = np.ones(self.K) if self.lr_second == 0 else 1e-3 * rng.standard_normal(self.K) + 0.5
        Q, R, T, v = (
            np.array(check_finite(name, x), dtype=float) for name, x in (("Q", Q), ("R", R), ("T", T), ("v", v))
        )
        state = OverlapState(Q=Q, R=R, T=T, v=v, v_star=self.v_star.copy())
        self._check_state(state)
        return state

    def _check_state(self, s: OverlapState, name: str = "init") -> None:
        if not isinstance(s, OverlapState):
            raise ValueError(f"{name} must be an OverlapState (e.g. model.initial_state()), got {s!r}")
        shapes = {"Q": (self.K, self.K), "R": (self.K, self.M), "T": (self.M, self.M), "v": (self.K,)}
        for name, shape in shapes.items():
            x = getattr(s, name)
            if x.shape != shape:
                raise ValueError(f"{name} must have shape {shape}, got {x.shape}")
            check_finite(name, x)
        omega = s.gram()
        if not np.allclose(omega, omega.T, rtol=1e-10, atol=1e-14):
            raise ValueError("Q and T must be symmetric")
        lam = np.linalg.eigvalsh(omega)
        if lam.min() < -1e-10 * max(1.0, lam.max()):
            raise ValueError(
                f"Q, R, T must form a positive semi-definite Gram matrix [[Q, R], [R^T, T]], "
                f"got smallest eigenvalue {lam.min():.3g}"
            )

    # -- the ODE ---------------------------------------------------------------------------
    def eps_g(self, Q, R, T, v, v_star=None) -> np.ndarray:
        r""":math:`\varepsilon_g = \tfrac12[\sum_{ij} v_iv_j I_2(i,j) - 2\sum_{in} v_iv^*_n I_2(i,n)
        + \sum_{nm} v^*_nv^*_m I_2(n,m)]`, vectorised over leading axes."""
        Q, R, T, v = (np.asarray(x, dtype=float) for x in (Q, R, T, v))
        vs = self.v_star if v_star is None else np.asarray(v_star, dtype=float)
        omega = _gram(Q, R, T)
        a = np.arange(self.K + self.M)
        i2 = self.activation.table("I2", omega, a[:, None], a[None, :])  # (..., n, n)
        u = np.concatenate([v, -np.broadcast_to(vs, v.shape[:-1] + vs.shape)], -1)
        # a quadratic form of a covariance: >= 0; round-off below 0 is clipped
        return np.maximum(0.5 * np.einsum("...a,...ab,...b->...", u, i2, u), 0.0)

    def rhs(self, state: OverlapState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(dQ/dt, dR/dt, dv/dt) at ``state`` (module docstring)."""
        return self._rhs(state.Q, state.R, state.T, state.v)

    def _rhs(self, Q, R, T, v):
        """The right-hand side, vectorised over leading axes of Q (..., K, K), R (..., K, M), v (..., K)."""
        K = self.K
        omega = _gram(Q, R, T)
        act = self.activation
        # the error's coefficients: y - phi = sum_a u_a g(field_a)
        u = np.concatenate([-v, np.broadcast_to(self.v_star, v.shape[:-1] + self.v_star.shape)], -1)
        students = np.arange(K)
        drive = act.contract_I3(omega, students, u)  # (..., K, n): E[g'(l_i) f_a (y - phi)] without noise
        vi = v[..., :, None]
        dR = self.lr * vi * drive[..., K:]
        dQ = self.lr * vi * drive[..., :K]
        dQ = dQ + np.swapaxes(dQ, -1, -2)
        iu, ku = self._iu
        second = act.contract_I4(omega, iu, ku, u)  # (..., pairs)
        if self.noise > 0:
            second = second + self.noise**2 * act.table("J2", omega, iu, ku)
        sym = np.zeros(Q.shape)
        sym[..., iu, ku] = second
        sym[..., ku, iu] = second
        dQ = dQ + self.lr**2 * (vi * v[..., None, :]) * sym
        if self.lr_second > 0:
            a = np.arange(K + self.M)
            I2 = act.table("I2", omega, students[:, None], a[None, :])  # (..., K, n)
            dv = self.lr_second * np.einsum("...ka,...a->...k", I2, u)
        else:
            dv = np.zeros(v.shape)
        return dQ, dR, dv

    def integrate(
        self, init: OverlapState, t_max: float, t=None, *, rtol: float = 1e-8, atol: float = 1e-11, method: str = "RK45"
    ) -> OverlapTrajectory:
        """Integrate the ODEs from ``init`` to ``t_max`` (``scipy.integrate.solve_ivp``).

        Output on ``t`` (default: 400 points, linear in t); ``t_max`` at most :data:`MAX_TIME`.  A blow-up (an
        overlap beyond 1e6, lr beyond stability) stops the integration with
        ``blew_up=True`` and its time; the arrays end there.
        """
        t_max = check_positive("t_max", t_max, scalar=True)
        if t_max > MAX_TIME:
            raise ValueError(
                f"t_max must be <= {MAX_TIME:g} (the ODEs take about one step per unit of time), got {t_max:g}"
            )
        rtol = check_tol("rtol", rtol, floor=1e-13)
        atol = check_positive("atol", atol)
        if np.any(np.asarray(atol) > 1.0):  # the overlaps are O(1): a larger tolerance is no tolerance
            raise ValueError(f"atol must be <= 1, got {atol}")
        if not (
            (isinstance(method, str) and method in _ODE_METHODS)
            or (isinstance(method, type) and issubclass(method, OdeSolver))
        ):
            raise ValueError(
                f"method must be one of {', '.join(map(repr, _ODE_METHODS))} or an OdeSolver class, got {method!r}"
            )
        self._check_state(init)
        grid = np.linspace(0.0, t_max, 401) if t is None else np.asarray(check_finite("t", t), dtype=float)
        if grid.ndim != 1 or grid.size < 1 or np.any(np.diff(grid) <= 0) or grid[0] < 0 or grid[-1] > t_max:
            raise ValueError("t must be an increasing grid in [0, t_max]")
        K, M = self.K, self.M
        T = init.T
        iu = self._iu
        n_q, n_r = iu[0].size, K * M

        def pack(Q, R, v):  # (..., K, K), (..., K, M), (..., K) -> (n_var, ...)
            flat = np.concatenate([Q[..., iu[0], iu[1]], R.reshape(R.shape[:-2] + (n_r,)), v], -1)
            return np.moveaxis(flat, -1, 0)

        def unpack(y):  # (n_var, ...) -> Q, R, v with the state axes last
            y = np.moveaxis(y, 0, -1)
            Q = np.zeros(y.shape[:-1] + (K, K))
            Q[..., iu[0], iu[1]] = y[..., :n_q]
            Q[..., iu[1], iu[0]] = y[..., :n_q]
            R = y[..., n_q : n_q + n_r].reshape(y.shape[:-1] + (K, M))
            return Q, R, y[..., n_q + n_r :]

        def f(_, y):  # y is (n_var,) or (n_var, n_states): solve_ivp's vectorised Jacobian
            Q, R, v = unpack(y)
            return pack(*self._rhs(Q, R, T, v))

        def blowup(_, y):
            return _BLOWUP - np.max(np.abs(y))

        blowup.terminal = True  # type: ignore[attr-defined]  # solve_ivp reads event options off the function
        sol = solve_ivp(
            f,
            (0.0, t_max),
            pack(init.Q, init.R, init.v),
            method=method,
            t_eval=grid,
            rtol=rtol,
            atol=atol,
            events=blowup,
            vectorized=True,
        )
        blew = bool(sol.status == 1 or not np.all(np.isfinite(sol.y)))
        t_blow = (
            float(sol.t_events[0][0])
            if sol.t_events and len(sol.t_events[0])
            else (float(sol.t[-1]) if blew else float("nan"))
        )
        Qs, Rs, vs = unpack(sol.y)
        eps = self.eps_g(Qs, Rs, T, vs) if Qs.shape[0] else np.zeros(0)
        return OverlapTrajectory(
            t=sol.t,
            Q=Qs,
            R=Rs,
            T=T.copy(),
            v=vs,
            v_star=self.v_star.copy(),
            eps_g=eps,
            blew_up=blew,
            blowup_time=t_blow,
            success=bool(sol.success or blew),
            message=str(sol.message),
            n_evaluations=int(sol.nfev),
            model=repr(self),
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(K={self.K}, M={self.M}, activation={self.activation.name!r}, lr={self.lr:g}, "
            f"lr_second={self.lr_second:g}, noise={self.noise:g})"
        )


class SoftCommittee(TwoLayer):
    """The soft committee machine of Saad & Solla (1995): both second layers fixed to 1."""

    def __init__(self, K: int, M: int, activation="erf", lr: float = 0.5, noise: float = 0.0) -> None:
        super().__init__(K, M, activation, lr, lr_second=0.0, noise=noise)

    def __repr__(self) -> str:
        return (
            f"SoftCommittee(K={self.K}, M={self.M}, activation={self.activation.name!r}, lr={self.lr:g}, "
            f"noise={self.noise:g})"
        )


def _gram(Q: np.ndarray, R: np.ndarray, T: np.ndarray) -> np.ndarray:
    """:math:`\\Omega = [[Q, R], [R^T, T]]` over leading axes of Q and R (T is shared)."""
    Tb = np.broadcast_to(T, R.shape[:-2] + T.shape[-2:])
    return np.concatenate([np.concatenate([Q, R], -1), np.concatenate([np.swapaxes(R, -1, -2), Tb], -1)], -2)
