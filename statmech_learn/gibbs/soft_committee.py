r"""Committees with a linear output and Gaussian noise: the smooth committee channels.

The teacher's label is

.. math:: y = \frac1{\sqrt K}\sum_{k=1}^K\sigma(z_k) + \sqrt\Delta\,\zeta,\qquad \zeta\sim N(0, 1),

with :math:`\sigma` = relu, sign or linear hidden units (the soft committee machine of Saad & Solla 1995 and
Aubin et al. 2018 with a linear read-out).  Each of these activations is linear on every orthant
:math:`\{s_k z_k > 0\}`, :math:`s\in\{\pm1\}^K`: there :math:`f(z) = c_s + a_s^\top z` (relu:
:math:`a_s = \mathbb 1[s > 0]/\sqrt K`, :math:`c_s = 0`; sign: :math:`a_s = 0`, :math:`c_s = \sum_k s_k/\sqrt K`;
linear: one region, :math:`a = \mathbf 1/\sqrt K`).  Completing the square in z on each orthant gives the
output partition function in closed form,

.. math::
    Z_{out}(y, \omega, V) = \sum_s \mathcal N(y;\ c_s + a_s^\top\omega,\ S_s)\;
        P\big(s\odot z > 0\ \big|\ z\sim N(m_s, C_s)\big),

    S_s = \Delta + a_s^\top V a_s,\quad m_s = \omega + V a_s\,\frac{y - c_s - a_s^\top\omega}{S_s},\quad
    C_s = V - \frac{V a_s a_s^\top V}{S_s},

with the orthant probabilities of :mod:`~statmech_learn.gibbs.committee` (normal CDF, bivariate normal CDF,
the trivariate orthant for K = 3), and its gradient
:math:`\nabla_\omega Z_{out} = \sum_s \mathcal N_s[P_s a_s r_s/S_s + (I - a_s a_s^\top V/S_s)\nabla_m P_s]`,
:math:`r_s = y - c_s - a_s^\top\omega`.  No quadrature over z is left: the Bayes-optimal replica map integrates
over :math:`\omega` (the rule of :func:`~statmech_learn.gibbs.committee.omega_rule`) and over y by a
Gauss-Hermite rule on each orthant's Gaussian :math:`\mathcal N(y; c_s + a_s^\top\omega, S_s)`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from .._validation import as_rng, check_choice, check_int, check_positive
from ..gaussian import gauss_hermite, normal_nodes
from .committee import MAX_SIGN_K, Committee, VectorChannel, _phi, omega_rule, symmetric_projection

__all__ = ["SoftCommittee"]

_LOG_2PI = np.log(2.0 * np.pi)
#: Gauss-Hermite nodes per orthant of the label integral (error measured in tests/test_soft_committee.py)
Y_ORDER = 16
#: largest output noise variance accepted
MAX_NOISE = 1e6


def _orthants(m, C, signs):
    r""":math:`P(s\odot z > 0)` for :math:`z\sim N(m, C)` and its gradient in m, per region.

    ``m`` (..., R, K), ``C`` (..., R, K, K), ``signs`` (R, K); returns P (..., R) and dP (..., R, K)."""
    K = signs.shape[-1]
    if K == 1:
        sd = np.sqrt(C[..., 0, 0])
        h = signs[:, 0] * m[..., 0] / sd
        return ndtr(h), (signs[:, 0] * _phi(h) / sd)[..., None]
    if K == 2:
        P, d0, d1 = Committee._pair(m, C, 0, 1, signs[:, 0], signs[:, 1])
        return P, np.stack([d0, d1], axis=-1)
    flip = signs[..., :, None] * signs[..., None, :]
    P, dP = Committee._triple(m * signs, C * flip)
    return P, dP * signs


class SoftCommittee(VectorChannel):
    r"""Committee with a linear output and Gaussian noise, :math:`y = \sum_k\sigma(z_k)/\sqrt K + \sqrt\Delta\zeta`.

    Parameters
    ----------
    K : int
        Hidden units, 1 <= K <= 3.
    activation : {'relu', 'sign', 'linear'}
        Hidden units :math:`\sigma`.  K = 1 'linear' is the Gaussian-noise channel
        :class:`~statmech_learn.gibbs.channels.GaussianNoise`.
    noise : float
        Output noise variance :math:`\Delta > 0` (the labels are real; the channel needs a density).

    Notes
    -----
    Exact :math:`Z_{out}` and :math:`g_{out}` (module docstring); :meth:`dg_out` by central differences.
    The generalisation error of the Bayes-optimal (posterior-mean) prediction is
    :math:`\tfrac12\mathbb E(y - \hat y)^2` on noisy test labels, as for the sign committee; it is
    :math:`\tfrac12(\mathrm{Var}\,f + \Delta)` at :math:`\alpha = 0` and :math:`\Delta/2` at perfect recovery.
    """

    output = "linear"

    def __init__(self, K: int = 2, activation: str = "relu", noise: float = 0.1) -> None:
        self.K = check_int("K", K, minimum=1, maximum=MAX_SIGN_K)
        self.activation = check_choice("activation", activation, ("relu", "sign", "linear"))
        self.noise = check_positive("noise", noise, scalar=True)
        if self.noise > MAX_NOISE:
            raise ValueError(f"noise must be <= {MAX_NOISE:g}, got {noise!r}")
        K = self.K
        if self.activation == "linear":
            self._signs = None
            self._a = np.full((1, K), 1.0 / np.sqrt(K))
            self._c = np.zeros(1)
        else:
            signs = np.array(np.meshgrid(*([[-1.0, 1.0]] * K), indexing="ij")).reshape(K, -1).T
            self._signs = signs
            if self.activation == "relu":
                self._a = (signs > 0) / np.sqrt(K)
                self._c = np.zeros(len(signs))
            else:
                self._a = np.zeros(signs.shape)
                self._c = signs.sum(axis=1) / np.sqrt(K)

    # -- the teacher -----------------------------------------------------------------------
    def activate(self, z) -> np.ndarray:
        r""":math:`f(z) = \sum_k\sigma(z_k)/\sqrt K` of preactivations (..., K), without noise."""
        z = np.asarray(z, dtype=float)
        h = {"relu": np.maximum(z, 0.0), "sign": np.sign(z), "linear": z}[self.activation]
        return np.sum(h, axis=-1) / np.sqrt(self.K)

    def sample(self, z, rng=None) -> np.ndarray:
        """Labels of preactivations z (n, K): :meth:`activate` plus Gaussian noise of variance ``noise``."""
        f = self.activate(z)
        return f + np.sqrt(self.noise) * as_rng(rng).standard_normal(f.shape)

    def prediction(self, omega, V) -> np.ndarray:
        r""":math:`\hat y(\omega, V) = \int y\,Z_{out}\,dy = \mathbb E_{z\sim N(\omega, V)} f(z)`, closed form
        (relu: :math:`\omega\Phi(\omega/\sigma) + \sigma\phi(\omega/\sigma)` per unit)."""
        omega = np.asarray(omega, dtype=float)
        sd = np.sqrt(np.diagonal(np.asarray(V, dtype=float), axis1=-2, axis2=-1))
        if self.activation == "linear":
            h = omega + 0.0 * sd
        elif self.activation == "sign":
            h = 2.0 * ndtr(omega / sd) - 1.0
        else:
            h = omega * ndtr(omega / sd) + sd * _phi(omega / sd)
        return np.sum(h, axis=-1) / np.sqrt(self.K)

    def label_second_moment(self) -> float:
        r""":math:`\mathbb E y^2` for :math:`z\sim N(0, I_K)`: :math:`\tfrac12 + (K - 1)/(2\pi)` (relu, from
        :math:`\mathbb E\,\mathrm{relu}(u)^2 = \tfrac12` and :math:`(\mathbb E\,\mathrm{relu}\,u)^2 = 1/(2\pi)`),
        1 (sign, linear), plus :math:`\Delta`."""
        f2 = 0.5 + (self.K - 1) / (2.0 * np.pi) if self.activation == "relu" else 1.0
        return f2 + self.noise

    # -- the output partition function -----------------------------------------------------
    def _terms(self, y, omega, V):
        """Per region: log of the Gaussian factor, its gradient, the orthant probability and its gradient."""
        a, c = self._a, self._c
        Va = np.einsum("...kl,rl->...rk", V, a)  # (..., R, K)
        S = self.noise + np.einsum("rk,...rk->...r", a, Va)
        r = np.asarray(y, dtype=float)[..., None] - c - omega @ a.T
        logG = -0.5 * (r * r / S + np.log(S) + _LOG_2PI)
        dlogG = a * (r / S)[..., None]
        if self._signs is None:
            return logG, dlogG, np.ones(logG.shape), np.zeros(dlogG.shape)
        m = omega[..., None, :] + Va * (r / S)[..., None]
        C = V[..., None, :, :] - Va[..., :, None] * Va[..., None, :] / S[..., None, None]
        P, dPm = _orthants(m, C, self._signs)
        dP = dPm - a * (np.einsum("...rk,...rk->...r", Va, dPm) / S)[..., None]
        return logG, dlogG, P, dP

    def log_partition(self, y, omega, V) -> tuple[np.ndarray, np.ndarray]:
        r""":math:`\log Z_{out}(y, \omega, V)` and :math:`g_{out} = \nabla_\omega\log Z_{out}` (y (...), omega (..., K),
        V (..., K, K), broadcast)."""
        omega = np.asarray(omega, dtype=float)
        V = np.asarray(V, dtype=float)
        y = np.asarray(y, dtype=float)
        shape = np.broadcast_shapes(y.shape, omega.shape[:-1], V.shape[:-2])
        y = np.broadcast_to(y, shape)
        omega = np.broadcast_to(omega, shape + (self.K,))
        V = np.broadcast_to(V, shape + (self.K, self.K))
        return self._reduce(*self._terms(y, omega, V))

    @staticmethod
    def _reduce(logG, dlogG, P, dP):
        top = np.max(logG, axis=-1, keepdims=True)
        e = np.exp(logG - top)
        Z = np.sum(e * P, axis=-1)
        grad = np.einsum("...r,...rk->...k", e, P[..., None] * dlogG + dP)
        Zs = np.maximum(Z, 1e-300)
        return top[..., 0] + np.log(Zs), grad / Zs[..., None]

    def g_out(self, y, omega, V) -> np.ndarray:
        r""":math:`\nabla_\omega\log Z_{out}(y, \omega, V)`, exact (module docstring), shape (..., K)."""
        return self.log_partition(y, omega, V)[1]

    # -- Bayes-optimal replica map ---------------------------------------------------------
    def rs_bayes(
        self, q, rho=None, order: int | None = None, symmetric: bool = False, y_order: int = Y_ORDER
    ) -> dict[str, np.ndarray]:
        r"""Channel map of the Bayes-optimal equations at overlap q (``rho - q`` the variance).

        :math:`\hat q = \mathbb E_\omega\int dy\,Z_{out}\,g_{out}g_{out}^\top` and
        :math:`\psi = \mathbb E_\omega\int dy\,Z_{out}\log Z_{out}`: :math:`\omega` on the rule of
        :func:`~statmech_learn.gibbs.committee.omega_rule` (``order`` nodes per panel, default 4; K = 1 the composite
        rule of the sign committee), y on ``y_order`` Gauss-Hermite nodes per orthant, weighted by the orthant
        probability: :math:`\int dy\,Z_{out}F = \sum_s\mathbb E_{y\sim\mathcal N(c_s + a_s^\top\omega, S_s)}P_s(y)F(y)`.
        ``error`` = :math:`\tfrac12(\mathbb E y^2 - \mathbb E_\omega\hat y^2)` with the closed-form prediction.
        """
        q = np.asarray(q, dtype=float)
        K = self.K
        y_order = check_int("y_order", y_order, minimum=2, maximum=200)
        rho = np.eye(K) if rho is None else np.asarray(rho, dtype=float)
        lam, U = np.linalg.eigh(0.5 * ((rho - q) + np.swapaxes(rho - q, -1, -2)))
        V = (U * np.maximum(lam, 1e-12)[..., None, :]) @ np.swapaxes(U, -1, -2)  # floored at perfect recovery
        if K == 1:
            qs = np.maximum(q[..., 0, 0], 1e-300)
            width = np.minimum(1.0, np.sqrt(np.maximum(V[..., 0, 0], 1e-300) / qs))
            xi, w = normal_nodes(0.0, width, 16)
            om = (np.sqrt(qs)[..., None] * xi)[..., None]
        else:
            om, w = omega_rule(q, V, order or 4)
        w = np.where(w > 0, w, 0.0)
        Vn = V[..., None, :, :]
        # the label nodes: y_order per region, around that region's Gaussian
        a, c = self._a, self._c
        t, wt = gauss_hermite(y_order)
        mu = c + om @ a.T  # (..., n, R)
        S = self.noise + np.einsum("rk,...kl,rl->...r", a, V, a)[..., None, :]  # (..., 1, R)
        ys = mu[..., None] + np.sqrt(S)[..., None] * t  # (..., n, R, m)
        R = a.shape[0]
        shape = ys.shape
        ys = ys.reshape(shape[:-2] + (R * y_order,))
        terms = self._terms(ys, om[..., None, :], Vn[..., None, :, :])
        logZ, g = self._reduce(*terms)
        own = terms[2].reshape(shape[:-2] + (R, y_order, R))
        Pown = np.einsum("...rmr->...rm", own).reshape(shape[:-2] + (R * y_order,))
        wy = np.tile(wt, R) * Pown  # (..., n, R m)
        wn = w[..., None] * wy
        G = g * np.sqrt(wn)[..., None]
        G = G.reshape(G.shape[:-3] + (-1, K))
        qhat = np.swapaxes(G, -1, -2) @ G
        psi = np.einsum("...nm,...nm->...", wn, logZ)
        yhat = self.prediction(om, Vn)
        err = 0.5 * (self.label_second_moment() - np.einsum("...n,...n->...", w, yhat * yhat))
        if symmetric:
            qhat = symmetric_projection(qhat)
        return {"qhat": 0.5 * (qhat + np.swapaxes(qhat, -1, -2)), "psi": psi, "error": err}

    def __repr__(self) -> str:
        return f"SoftCommittee(K={self.K}, activation={self.activation!r}, noise={self.noise!r})"
