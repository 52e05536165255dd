r"""Stationary law of SGD on a quadratic loss: covariance, temperatures, Gibbs condition.

SGD on :math:`L(w) = \tfrac12 (w-w^*)^\top H (w-w^*)` with additive gradient
noise and learning rate(s) P (a scalar :math:`\eta` times the identity, a
diagonal of per-parameter rates, or a symmetric positive-definite
preconditioner),

.. math:: w_{t+1} = w_t - P\,\big(H(w_t - w^*) + \xi_t\big), \qquad \xi_t \sim N(0, \Sigma),

is a linear (vector AR(1)) recursion.  Its stationary law is Gaussian with mean
:math:`w^*` and covariance C solving the **discrete Lyapunov equation**

.. math:: C = (I - PH)\,C\,(I - PH)^\top + P\Sigma P,

which in one dimension is :math:`C = \eta\sigma^2/(h(2-\eta h))`.  It exists iff
every eigenvalue of PH lies in (0, 2) (for scalar :math:`\eta`:
:math:`0<\eta<2/\lambda_{max}(H)`).  Dropping the :math:`O(P^2)` term
:math:`PHCHP` gives the small-learning-rate (Ornstein-Uhlenbeck, Fokker-Planck)
limit, the **continuous Lyapunov equation**

.. math:: PH\,C_0 + C_0\,HP = P\Sigma P \qquad (\text{scalar } \eta:\ HC_0 + C_0H = \eta\Sigma).

**Temperature convention.**  A Gibbs law :math:`p(w)\propto e^{-L(w)/T}` of the
quadratic loss is :math:`N(w^*, T H^{-1})`.  In Hessian-normalised coordinates
:math:`\Phi = H^{1/2}(w-w^*)`, where :math:`L = |\Phi|^2/2`, the SGD law has
covariance :math:`H^{1/2} C H^{1/2}`; its eigenvalues are the **temperatures**
:math:`T_i` and its eigenvectors :math:`u_i` the directions along which
:math:`p \propto \exp(-\sum_i (u_i\cdot\Phi)^2/(2T_i))`.  The law is Gibbs (one
temperature) iff :math:`C \propto H^{-1}`.  When H and :math:`\Sigma` commute and
:math:`\eta` is a scalar, in their common eigenbasis
:math:`T_i = \eta\sigma_i^2/2` at small :math:`\eta` (exactly
:math:`\eta\sigma_i^2/(2-\eta h_i)`) -- the "temperature" of McAllester's notes
(TTIC 31230, 2020, "Stationary distributions of SDEs and temperature"), whose
1-D result :math:`p\propto\exp(-2L/(\eta\sigma^2))` is this :math:`T = \eta\sigma^2/2`.
With a scalar rate the small-lr law is Gibbs iff the noise is isotropic,
:math:`\Sigma = \sigma^2 I` (:math:`HC_0 + C_0H = 2TI` for :math:`C_0 = TH^{-1}`), for any H;
noise proportional to the Hessian (:math:`\Sigma = cH`, as when the gradient
covariance is close to the Fisher matrix) gives instead :math:`C_0 = (\eta c/2) I` and
:math:`T_i = \eta c\,h_i/2`: one temperature per curvature.

**Gibbs learning rates.**  With a preconditioner P the small-lr condition
:math:`C_0 = TH^{-1}` reads :math:`2TP = P\Sigma P`, i.e.
:math:`P = 2T\,\Sigma^{-1}`, for *any* H: :math:`P = \eta'\Sigma^{-1}` gives
:math:`T = \eta'/2`.  For diagonal noise this is the per-parameter rule
:math:`\eta_i = \eta'/\sigma_i^2` (:func:`gibbs_learning_rates`).  At finite
:math:`\eta'` the discrete equation adds :math:`-T\,PHP` and the law is Gibbs
only up to :math:`O(\eta')`.

**Hessian-normalised form** (:func:`hessian_normalised`).  Running SGD in the
coordinates :math:`\Phi` (Hessian I, gradient noise
:math:`\Sigma_\Phi = H^{-1/2}\Sigma H^{-1/2}`) the continuous equation is
:math:`2C_\Phi = \eta\Sigma_\Phi`, so along the eigenvectors of
:math:`\Sigma_\Phi` (eigenvalues :math:`\sigma_i^2`)

.. math:: p(\Phi) \propto \exp\Big(-\sum_i \frac{\Phi_i^2}{\eta\,\sigma_i^2}\Big),

factor **1**, not the 2 printed in the notes: the 1-D rule
:math:`\exp(-2L/(\eta\sigma^2))` with :math:`L = \Phi^2/2` (Hessian 1) gives
:math:`\exp(-\Phi^2/(\eta\sigma^2))`; the factor 2 would halve the variance.
Exactly (discrete recursion) :math:`C_\Phi = \eta\Sigma_\Phi/(2-\eta)`, i.e.
factor :math:`1 - \eta/2`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_continuous_lyapunov, solve_discrete_lyapunov

from .._validation import check_finite, check_positive, check_tol
from ..citations import _cites
from ..results import Result
from ._checks import check_lr, check_spd, spd_sqrt

__all__ = [
    "SGDStationary",
    "HessianNormalised",
    "sgd_stationary",
    "hessian_normalised",
    "gibbs_learning_rates",
    "SEED_FACTOR",
]

#: the factor c in exp(-sum_i c Phi_i^2 / (eta sigma_i^2)) printed in the TTIC 31230 notes (2020);
#: the correct small-lr factor is 1 (see :func:`hessian_normalised`)
SEED_FACTOR = 2.0


def _sym(a: np.ndarray) -> np.ndarray:
    return 0.5 * (a + a.T)


def _discrete_lyapunov(A: np.ndarray, Q: np.ndarray) -> np.ndarray:
    r"""C solving :math:`C = (I-A)C(I-A)^\top + Q`, i.e. :math:`AC + CA^\top - ACA^\top = Q`.

    :func:`scipy.linalg.solve_discrete_lyapunov` works with :math:`I - A` and loses
    :math:`\epsilon/|A|` in relative accuracy to the cancellation in :math:`1 - (1-a)^2`
    (garbage for :math:`|A| \lesssim 10^{-15}`, e.g. lr -> 0); below :math:`|A| = 10^{-4}` the
    expanded form is solved instead, by the continuous equation
    :math:`AC + CA^\top = Q + ACA^\top` iterated from :math:`ACA^\top = 0` (contraction
    factor about :math:`|A|/2`, so a few iterations reach double precision)."""
    if np.linalg.norm(A, 2) >= 1e-4:
        return solve_discrete_lyapunov(np.eye(A.shape[0]) - A, Q)
    C = solve_continuous_lyapunov(A, Q)
    for _ in range(50):
        C_new = solve_continuous_lyapunov(A, Q + A @ C @ A.T)
        done = np.max(np.abs(C_new - C)) <= 4.0 * np.finfo(float).eps * np.max(np.abs(C_new))
        C = C_new
        if done:
            break
    return C


def _temperatures(C: np.ndarray, h_root: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and eigenvectors of H^{1/2} C H^{1/2}."""
    return np.linalg.eigh(_sym(h_root @ C @ h_root))


def _one_temperature(T: np.ndarray, rtol: float) -> tuple[bool, float]:
    gibbs = bool(T[-1] - T[0] <= rtol * abs(T[-1]))
    return gibbs, (float(np.mean(T)) if gibbs else float("nan"))


@dataclass(frozen=True, repr=False)
class SGDStationary(Result):
    r"""Stationary law of SGD on a quadratic loss with additive Gaussian gradient noise.

    Attributes
    ----------
    hessian, noise_cov : (d, d) the Hessian H and the per-step gradient-noise covariance :math:`\Sigma`.
    lr : the learning rate(s) as given (float, (d,) or (d, d)).
    preconditioner : (d, d) the matrix P of the update :math:`w \leftarrow w - P\hat g`.
    covariance : (d, d) exact stationary covariance (discrete Lyapunov equation).
    covariance_small_lr : (d, d) its small-lr limit :math:`C_0` (continuous Lyapunov equation).
    temperatures, temperatures_small_lr : (d,) eigenvalues of :math:`H^{1/2}CH^{1/2}` (ascending):
        the law is :math:`\exp(-\sum_i (u_i\cdot\Phi)^2/(2T_i))` in :math:`\Phi = H^{1/2}(w-w^*)`.
    temperature_directions : (d, d) columns :math:`u_i` (in :math:`\Phi` coordinates) of the exact law.
    is_gibbs, is_gibbs_small_lr : C (resp. :math:`C_0`) proportional to :math:`H^{-1}`, i.e.
        :math:`T_{max} - T_{min} \le` ``rtol`` :math:`T_{max}`.
    temperature, temperature_small_lr : the common temperature when Gibbs, NaN otherwise.
    commuting : H and :math:`\Sigma` commute and the rate is a scalar: then :math:`T_i =
        \eta\sigma_i^2/(2-\eta h_i)` (small lr: :math:`\eta\sigma_i^2/2`) in the common eigenbasis.
    lr_bound : :math:`2/\lambda_{max}(H)`, the largest stable scalar rate.
    stability : :math:`\lambda_{max}(P^{1/2}HP^{1/2})`, < 2 (the stability condition).
    rtol : relative tolerance of the Gibbs test.
    """

    hessian: np.ndarray
    noise_cov: np.ndarray
    lr: object
    preconditioner: np.ndarray
    covariance: np.ndarray
    covariance_small_lr: np.ndarray
    temperatures: np.ndarray
    temperatures_small_lr: np.ndarray
    temperature_directions: np.ndarray
    is_gibbs: bool
    is_gibbs_small_lr: bool
    temperature: float
    temperature_small_lr: float
    commuting: bool
    lr_bound: float
    stability: float
    rtol: float

    def log_density(self, w, minimum=None, small_lr: bool = False) -> np.ndarray:
        r"""Log of the stationary Gaussian density at ``w`` (shape (..., d)), minimum ``w*`` (default 0)."""
        C = self.covariance_small_lr if small_lr else self.covariance
        w = np.asarray(w, dtype=float)
        d = C.shape[0]
        x = w - (np.zeros(d) if minimum is None else np.asarray(minimum, dtype=float))
        sol = np.linalg.solve(C, x[..., None])[..., 0]
        _, logdet = np.linalg.slogdet(C)
        return -0.5 * np.sum(x * sol, axis=-1) - 0.5 * (logdet + d * np.log(2 * np.pi))


@_cites
def sgd_stationary(hessian, noise_cov, lr, *, rtol: float = 1e-6) -> SGDStationary:
    r"""Stationary covariance and temperatures of SGD on a quadratic loss.

    Update :math:`w \leftarrow w - P\,(H(w - w^*) + \xi)`, :math:`\xi\sim N(0,\Sigma)`
    (``noise_cov`` is the covariance of the gradient noise of one step, e.g. of a
    minibatch).  Exact covariance from the discrete Lyapunov equation
    :math:`C = (I-PH)C(I-PH)^\top + P\Sigma P`
    (:func:`scipy.linalg.solve_discrete_lyapunov`), 1-D: :math:`\eta\sigma^2/(h(2-\eta h))`;
    small-lr covariance from :math:`PHC_0 + C_0HP = P\Sigma P`
    (:func:`scipy.linalg.solve_continuous_lyapunov`), scalar rate:
    :math:`HC_0 + C_0H = \eta\Sigma`.  Temperatures: eigenvalues of
    :math:`H^{1/2}CH^{1/2}`, so that a Gibbs law :math:`e^{-L/T}` (covariance
    :math:`TH^{-1}`) has all :math:`T_i = T`; commuting H, :math:`\Sigma`:
    :math:`T_i = \eta\sigma_i^2/2` at small :math:`\eta` (module docstring;
    Mandt, Hoffman & Blei 2017, JMLR 18(134), sec. 3; McAllester, TTIC 31230 notes, 2020).

    Parameters
    ----------
    hessian : (d, d) array_like or float
        Symmetric positive-definite Hessian H.
    noise_cov : (d, d) array_like or float
        Symmetric positive-definite gradient-noise covariance :math:`\Sigma` per step.
    lr : float, (d,) or (d, d) array_like
        Scalar rate :math:`\eta` (P = :math:`\eta` I), per-parameter rates (P = diag(lr)) or an SPD
        preconditioner P.  Must satisfy :math:`\lambda_{max}(P^{1/2}HP^{1/2}) < 2`; for a scalar
        :math:`0 < \eta < 2/\lambda_{max}(H)`.
    rtol : float
        Relative tolerance of the one-temperature (Gibbs) test.

    Returns
    -------
    SGDStationary

    Raises
    ------
    ValueError
        Non-SPD ``hessian`` / ``noise_cov`` (naming the smallest eigenvalue), mismatched shapes,
        non-finite entries, or ``lr`` outside the stability bound (naming the bound).
    """
    H = check_spd("hessian", hessian)
    d = H.shape[0]
    S = check_spd("noise_cov", noise_cov, d)
    rtol = check_tol("rtol", rtol)
    P, kind, kappa = check_lr(lr, H)
    A = P @ H
    Q = _sym(P @ S @ P)
    if np.linalg.norm(A, 2) < 1e-150:  # P Sigma P ~ lr^2 underflows: the covariance would come out 0
        raise ValueError(
            f"lr is too small: |lr H| = {np.linalg.norm(A, 2):.3g} < 1e-150, and the noise term "
            f"P Sigma P ~ lr^2 underflows double precision"
        )
    try:
        C = _sym(_discrete_lyapunov(A, Q))
        C0 = _sym(solve_continuous_lyapunov(A, Q))
    except np.linalg.LinAlgError:  # I - PH = I to rounding: the equation is singular in double precision
        raise ValueError(
            f"lr is too small for the Lyapunov equations to be solved in double precision: "
            f"lr * lambda_min(H) = {float(np.min(np.linalg.eigvalsh(_sym(A)))):.3g}"
        ) from None
    h_root = spd_sqrt(H)
    T, U = _temperatures(C, h_root)
    T0, _ = _temperatures(C0, h_root)
    g, t = _one_temperature(T, rtol)
    g0, t0 = _one_temperature(T0, rtol)
    scale = max(np.max(np.abs(H)) * np.max(np.abs(S)), 1e-300)
    commuting = kind == "scalar" and bool(np.max(np.abs(H @ S - S @ H)) <= 1e-10 * scale)
    lr_out = float(P[0, 0]) if kind == "scalar" else np.array(check_finite("lr", lr), dtype=float)
    return SGDStationary(
        hessian=H,
        noise_cov=S,
        lr=lr_out,
        preconditioner=P,
        covariance=C,
        covariance_small_lr=C0,
        temperatures=T,
        temperatures_small_lr=T0,
        temperature_directions=U,
        is_gibbs=g,
        is_gibbs_small_lr=g0,
        temperature=t,
        temperature_small_lr=t0,
        commuting=commuting,
        lr_bound=float(2.0 / np.linalg.eigvalsh(H)[-1]),
        stability=kappa,
        rtol=rtol,
    )


@dataclass(frozen=True, repr=False)
class HessianNormalised(Result):
    r"""Stationary law of SGD run in Hessian-normalised coordinates :math:`\Phi = H^{1/2}(w-w^*)`.

    There :math:`L = |\Phi|^2/2` (Hessian I) and the gradient noise has covariance
    :math:`\Sigma_\Phi = H^{-1/2}\Sigma H^{-1/2}`; SGD
    :math:`\Phi \leftarrow \Phi - \eta(\Phi + \xi_\Phi)` has, along the eigenvectors
    :math:`v_i` of :math:`\Sigma_\Phi` (eigenvalues :math:`\sigma_i^2`),

    .. math:: p(\Phi) \propto \exp\Big(-\sum_i c\,\frac{(v_i\cdot\Phi)^2}{\eta\,\sigma_i^2}\Big),
              \qquad c = 1 \text{ (small } \eta), \quad c = 1 - \eta/2 \text{ (exact)}.

    Attributes
    ----------
    noise_cov_phi : (d, d) :math:`\Sigma_\Phi`.
    noise_variances : (d,) :math:`\sigma_i^2`, ascending.  noise_directions : (d, d) columns :math:`v_i`.
    lr : :math:`\eta` (stable iff :math:`0 < \eta < 2`).
    factor : 1.0, the small-lr c.  factor_exact : :math:`1 - \eta/2`.
    seed_factor : 2.0, the c printed in the TTIC 31230 notes (wrong by a factor 2).
    covariance_small_lr : :math:`\eta\Sigma_\Phi/2`.  covariance : :math:`\eta\Sigma_\Phi/(2-\eta)` (exact).
    temperatures_small_lr : :math:`\eta\sigma_i^2/2`.  temperatures : :math:`\eta\sigma_i^2/(2-\eta)`.
    """

    noise_cov_phi: np.ndarray
    noise_variances: np.ndarray
    noise_directions: np.ndarray
    lr: float
    factor: float
    factor_exact: float
    seed_factor: float
    covariance_small_lr: np.ndarray
    covariance: np.ndarray
    temperatures_small_lr: np.ndarray
    temperatures: np.ndarray

    def log_density(self, phi, exact: bool = True) -> np.ndarray:
        r"""Unnormalised :math:`-\sum_i c\,(v_i\cdot\Phi)^2/(\eta\sigma_i^2)` at ``phi`` (shape (..., d))."""
        c = self.factor_exact if exact else self.factor
        proj = np.asarray(phi, dtype=float) @ self.noise_directions
        return -np.sum(c * proj**2 / (self.lr * self.noise_variances), axis=-1)


@_cites
def hessian_normalised(hessian, noise_cov, lr) -> HessianNormalised:
    r"""The Hessian-normalised stationary density of SGD and its factor.

    Derivation (small lr).  With :math:`w = w^* + H^{-1/2}\Phi` the loss is
    :math:`|\Phi|^2/2` and the stochastic gradient in :math:`\Phi` is
    :math:`H^{-1/2}\hat g_w = \Phi + \xi_\Phi`, :math:`\xi_\Phi\sim N(0,\Sigma_\Phi)`,
    :math:`\Sigma_\Phi = H^{-1/2}\Sigma H^{-1/2}`.  SGD taken in :math:`\Phi`
    solves the continuous Lyapunov equation with Hessian I,
    :math:`C_\Phi + C_\Phi = \eta\Sigma_\Phi`, so :math:`C_\Phi = \eta\Sigma_\Phi/2` and
    :math:`p \propto \exp(-\tfrac12\Phi^\top C_\Phi^{-1}\Phi) =
    \exp(-\sum_i \Phi_i^2/(\eta\sigma_i^2))` in the eigenbasis of :math:`\Sigma_\Phi`:
    the factor is c = 1.  The notes' c = 2 contradicts their own 1-D result
    :math:`\exp(-2L/(\eta\sigma^2))` with :math:`L = \Phi^2/2`; it would give
    :math:`\mathrm{Var}\,\Phi_i = \eta\sigma_i^2/4`, half the true value.  The exact
    discrete recursion :math:`C = (1-\eta)^2C + \eta^2\Sigma_\Phi` gives
    :math:`C_\Phi = \eta\Sigma_\Phi/(2-\eta)`, c = :math:`1-\eta/2`.

    Note that SGD run in the original coordinates w with a scalar rate is,
    in :math:`\Phi`, SGD preconditioned by H; its law there is
    :math:`H^{1/2}C_wH^{1/2}` (:attr:`SGDStationary.temperatures`), which for commuting
    H, :math:`\Sigma` has variances :math:`\eta s_i^2/2` with :math:`s_i^2 = h_i\sigma_i^2`
    the noise eigenvalues in w.  The reduction "take the Hessian to be I without
    loss of generality" thus holds for the law only if the steps are taken in :math:`\Phi`.

    Parameters
    ----------
    hessian, noise_cov : (d, d) array_like or float
        SPD Hessian and gradient-noise covariance in the original coordinates w.
    lr : float
        Learning rate of SGD in :math:`\Phi` coordinates, 0 < lr < 2.

    Returns
    -------
    HessianNormalised
    """
    H = check_spd("hessian", hessian)
    S = check_spd("noise_cov", noise_cov, H.shape[0])
    lr = check_positive("lr", lr, scalar=True)
    if not lr < 2.0:
        raise ValueError(
            f"lr must satisfy 0 < lr < 2/lambda_max(I) = 2 in Hessian-normalised coordinates "
            f"(beyond it SGD diverges), got {lr:g}"
        )
    inv_root = spd_sqrt(H, inverse=True)
    S_phi = _sym(inv_root @ S @ inv_root)
    s2, V = np.linalg.eigh(S_phi)
    return HessianNormalised(
        noise_cov_phi=S_phi,
        noise_variances=s2,
        noise_directions=V,
        lr=lr,
        factor=1.0,
        factor_exact=1.0 - 0.5 * lr,
        seed_factor=SEED_FACTOR,
        covariance_small_lr=0.5 * lr * S_phi,
        covariance=lr * S_phi / (2.0 - lr),
        temperatures_small_lr=0.5 * lr * s2,
        temperatures=lr * s2 / (2.0 - lr),
    )


@_cites
def gibbs_learning_rates(noise_var, base_lr, hessian=None) -> np.ndarray:
    r"""Learning rates that make the small-lr stationary law of SGD a Gibbs law at :math:`T = \eta'/2`.

    For a (d,) vector of per-parameter gradient-noise variances :math:`\sigma_i^2`
    (diagonal noise) returns :math:`\eta_i = \eta'/\sigma_i^2` (McAllester, TTIC
    31230 notes); for a (d, d) noise covariance :math:`\Sigma` returns the
    preconditioner :math:`P = \eta'\Sigma^{-1}`.  Either way the continuous
    Lyapunov equation :math:`PHC + CHP = P\Sigma P` is solved by
    :math:`C = (\eta'/2)H^{-1}` for *every* SPD Hessian H (not only separable
    losses): :math:`2TP = P\Sigma P \Leftrightarrow P = 2T\Sigma^{-1}`.  With a
    diagonal vector and correlated noise the law is not Gibbs; pass the matrix.
    At finite :math:`\eta'` the exact law deviates by :math:`O(\eta')`
    (:func:`sgd_stationary` gives it).

    Parameters
    ----------
    noise_var : (d,) or (d, d) array_like
        Per-parameter noise variances (> 0), or an SPD noise covariance.
    base_lr : float
        :math:`\eta' > 0`; the temperature is :math:`\eta'/2`.
    hessian : (d, d) array_like, optional
        If given, the rates are checked against the stability bound
        :math:`\lambda_{max}(P^{1/2}HP^{1/2}) < 2` (ValueError naming ``base_lr`` otherwise).

    Returns
    -------
    ndarray
        (d,) rates or (d, d) preconditioner.
    """
    base_lr = check_positive("base_lr", base_lr, scalar=True)
    arr = np.asarray(check_finite("noise_var", noise_var), dtype=float)
    if arr.ndim == 1 and arr.size >= 1:
        check_positive("noise_var", arr)
        with np.errstate(over="ignore"):  # refused below
            out = base_lr / arr
    elif arr.ndim == 2:
        S = check_spd("noise_var", arr)
        with np.errstate(over="ignore", invalid="ignore"):  # refused below
            out = _sym(base_lr * np.linalg.inv(S))
    else:
        raise ValueError(f"noise_var must be a (d,) array of variances or a (d, d) covariance, got shape {arr.shape}")
    if not np.all(np.isfinite(out)):
        raise ValueError(
            f"base_lr / noise_var overflows double precision, got base_lr = {base_lr:g} and noise_var "
            f"down to {float(np.min(np.abs(arr))):g}"
        )
    if hessian is not None:
        H = check_spd("hessian", hessian, out.shape[0])
        try:
            check_lr(out, H, name="lr")
        except ValueError as exc:
            raise ValueError(f"base_lr = {base_lr:g} gives unstable rates: {exc}") from None
    return out
