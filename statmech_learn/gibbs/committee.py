r"""K-dimensional priors and the committee channel: the Gibbs-posterior core with vector variables.

A committee machine has K hidden units: the weights of input i are a vector
:math:`w_i\in\mathbb R^K` and the channel sees the K preactivations
:math:`z = W^\top x/\sqrt N\in\mathbb R^K` (Schwarze 1993; Aubin, Maillard, Barbier,
Krzakala, Macris & Zdeborova 2018, NeurIPS, "The committee machine: computational to
statistical gaps in learning a two-layers neural network").  The scalar objects of
:mod:`~statmech_learn.gibbs.priors` and :mod:`~statmech_learn.gibbs.channels` become

.. math::
    A(B, \Lambda) = \log\int P_0(w)\,e^{B^\top w - w^\top\Lambda w/2}\,dw,\qquad
    f_a = \nabla_B A\in\mathbb R^K,\qquad f_v = \nabla_B\nabla_B^\top A\in\mathbb R^{K\times K},

    Z_{out}(y, \omega, V) = \int dz\,\mathcal N(z;\omega, V)\,P_{out}(y\mid z),\qquad
    g_{out} = \nabla_\omega\log Z_{out},

with B, :math:`\omega` in :math:`\mathbb R^K` and :math:`\Lambda`, V in :math:`\mathbb R^{K\times K}`;
at K = 1 they are the scalar ones.  The Bayes-optimal replica equations need one map
from each (:meth:`VectorPrior.rs_bayes`, :meth:`Committee.rs_bayes`):

.. math::
    \hat q = \alpha\,\mathbb E_\xi\sum_y Z_{out}(y, q^{1/2}\xi, \rho - q)\,g_{out}g_{out}^\top,\qquad
    q = \mathbb E_{w^*,\xi}\, f_a f_a^\top\big|_{B = \hat q w^* + \hat q^{1/2}\xi,\ \Lambda = \hat q},

    \Phi = -\tfrac12\mathrm{Tr}\,q\hat q + \mathbb E\log Z_w + \alpha\,\mathbb E_\xi\sum_y Z_{out}\log Z_{out}

(Aubin et al. 2018, eqs. (6)-(8); :math:`\rho = \mathbb E\,w w^\top = I_K` for both priors here).

The sign committee :math:`y = \mathrm{sign}(\sum_k\mathrm{sign}(z_k))` has no Gaussian integral
left to do: :math:`Z_{out}` is a sum of orthant probabilities of :math:`N(\omega, V)`, and by
Stein's lemma its gradient is a boundary density times a lower-dimensional orthant
probability.  K = 1 is :math:`H(-\omega/\sqrt V)`; K = 2 uses the bivariate normal
distribution through Owen's T function (Owen 1956, Ann. Math. Stat. 27, 1075); K = 3 uses
inclusion-exclusion, :math:`P(\ge 2\text{ positive}) = \sum_{i<j}O_{ij} - 2\,O_{123}`, with the
trivariate orthant :math:`O_{123}` a one-dimensional integral of bivariate ones.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, owens_t

from .._validation import as_rng, check_choice, check_int
from ..gaussian import _gauss_legendre, compact_normal_nodes, gauss_hermite, gauss_hermite_nd, normal_nodes

__all__ = [
    "VectorPrior",
    "GaussianVectorPrior",
    "BinaryVectorPrior",
    "VectorChannel",
    "Committee",
    "bivariate_normal_cdf",
    "trivariate_normal_cdf",
    "make_vector_prior",
]

_SQRT2PI = np.sqrt(2.0 * np.pi)
#: largest K of a committee with sign hidden units (orthant probabilities beyond K = 3 need
#: K - 2 nested integrals; large K goes through the committee-symmetric large-K limit)
MAX_SIGN_K = 3
#: largest K of the binary vector prior (its partition function sums 2^K configurations)
MAX_BINARY_K = 10


def _phi(x):
    return np.exp(-0.5 * x * x) / _SQRT2PI


def bivariate_normal_cdf(h, k, r):
    r""":math:`\Phi_2(h, k; r) = P(X < h, Y < k)` for standard normals of correlation r (vectorised).

    Owen (1956): :math:`\Phi_2 = \tfrac12[\Phi(h) + \Phi(k)] - T(h, a_h) - T(k, a_k) - \beta`,
    :math:`a_h = (k - rh)/(h\sqrt{1-r^2})`, :math:`a_k = (h - rk)/(k\sqrt{1-r^2})`, :math:`\beta = \tfrac12`
    when :math:`hk < 0` or (:math:`hk = 0` and :math:`h + k < 0`), else 0; at h = k = 0 Sheppard's
    :math:`\tfrac14 + \arcsin(r)/(2\pi)`.  Entries with :math:`|r|\le 0.925` and finite h, k use the
    cheaper angle integral of Drezner & Wesolowsky instead (:func:`_bvn_angle_term`).  ``|r|`` is clipped at
    1 - 1e-15.  Accuracy: 1e-14 absolute against mpmath (tests/test_committee.py).
    """
    h, k, r = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (h, k, r)))
    r = np.clip(r, -1.0 + 1e-15, 1.0 - 1e-15)
    angle = (np.abs(r) <= _DW_MAX_R) & np.isfinite(h) & np.isfinite(k)
    if np.all(angle):
        return np.clip(ndtr(h) * ndtr(k) + _bvn_angle_term(h, k, r), 0.0, 1.0)
    if np.any(angle):  # each entry by the formula its correlation suits
        out = np.empty(h.shape)
        out[angle] = bivariate_normal_cdf(h[angle], k[angle], r[angle])
        out[~angle] = bivariate_normal_cdf(h[~angle], k[~angle], r[~angle])
        return out
    s = np.sqrt((1.0 - r) * (1.0 + r))

    def t_term(x, y):  # T(x, a_x), a_x = (y - r x)/(x s); its limit 1/2 Phi(-|x|) sign(y - r x) at x = 0
        num = y - r * x
        out = np.empty(x.shape)
        zero = x == 0
        out[zero] = np.where(num[zero] >= 0, 0.5, -0.5) * ndtr(-np.abs(x[zero]))
        nz = ~zero
        out[nz] = owens_t(x[nz], num[nz] / (x[nz] * s[nz]))
        return out

    beta = np.where((h * k < 0) | ((h * k == 0) & (h + k < 0)), 0.5, 0.0)
    out = 0.5 * (ndtr(h) + ndtr(k)) - t_term(h, k) - t_term(k, h) - beta
    out = np.where((h == 0) & (k == 0), 0.25 + np.arcsin(r) / (2.0 * np.pi), out)  # Sheppard's orthant formula
    return np.clip(out, 0.0, 1.0)


#: |r| up to which the arcsine-angle integral is used, with the Gauss-Legendre order for |r| up to each bound
#: (error <= 4e-16 on every range, measured against Owen's T); beyond 0.925, Owen's T
_DW_MAX_R = 0.925
_DW_ORDERS = ((0.3, 6), (0.6, 10), (0.75, 12), (0.85, 16), (_DW_MAX_R, 20))


def _bvn_angle_term(h, k, r):
    r"""Drezner & Wesolowsky (1990, J. Stat. Comput. Simul. 35, 101):
    :math:`\Phi_2(h, k; r) - \Phi(h)\Phi(k) = \frac1{2\pi}\int_0^{\arcsin r}
    e^{-(h^2 - 2hk\sin\theta + k^2)/(2\cos^2\theta)}d\theta`, by Gauss-Legendre in :math:`\theta` of the order
    ``_DW_ORDERS`` gives for the largest |r| (accurate to 4e-16 for :math:`|r|\le 0.925`, the range it is
    used on).  The term is even in (h, k) -> (-h, -k)."""
    r = np.asarray(r, dtype=float)
    shape = np.broadcast_shapes(np.shape(h), np.shape(k), r.shape)
    if 4 * r.size <= int(np.prod(shape, dtype=int)):
        # few correlations for many (h, k) (one covariance, many nodes): the angles once per correlation
        top = np.max(np.abs(r), initial=0.0)
        return _angle_integral(
            np.broadcast_to(h, shape), np.broadcast_to(k, shape), r, next(n for bound, n in _DW_ORDERS if top <= bound)
        )
    h, k, r = np.broadcast_arrays(h, k, r)
    ar = np.abs(r)
    top = np.max(ar, initial=0.0)
    if r.size < 4096 or top <= _DW_ORDERS[0][0]:
        return _angle_integral(h, k, r, next(n for bound, n in _DW_ORDERS if top <= bound))
    # large batches: each entry at the order its own |r| needs
    out = np.empty(r.shape)
    lower = -1.0
    for bound, n in _DW_ORDERS:
        sel = (ar > lower) & (ar <= bound)
        lower = bound
        if np.any(sel):
            out[sel] = _angle_integral(h[sel], k[sel], r[sel], n)
    return out


def _angle_integral(h, k, r, order):
    """The angle integral of :func:`_bvn_angle_term` at one Gauss-Legendre order (r broadcasts against h, k)."""
    x, w = _gauss_legendre(order)
    a = np.arcsin(r)[..., None]
    th = 0.5 * a * (x + 1.0)
    sn, inv = np.sin(th), 0.5 / np.cos(th) ** 2
    hh, kk = h[..., None], k[..., None]
    f = np.exp(-(hh * hh + kk * kk - 2.0 * hh * kk * sn) * inv)
    return np.broadcast_to(a[..., 0], h.shape) / (4.0 * np.pi) * (f @ w)


def _phi2(x, y, r):
    s = (1.0 - r) * (1.0 + r)
    return np.exp(-(x * x - 2.0 * r * x * y + y * y) / (2.0 * s)) / (2.0 * np.pi * np.sqrt(s))


#: label probability below which the K >= 2 channel map leaves a label out (rounding level of the orthant sums)
_P_FLOOR = 1e-14
#: Gauss-Legendre nodes of Plackett's integral in trivariate_normal_cdf
_TVN_ORDER = 20


def trivariate_normal_cdf(h, r12, r13, r23):
    r""":math:`\Phi_3(h; R) = P(X_1 < h_1, X_2 < h_2, X_3 < h_3)` for standard normals of correlations
    :math:`r_{12}, r_{13}, r_{23}` (vectorised; ``h`` (..., 3)).

    Plackett's identity :math:`\partial\Phi_3/\partial r_{ij} = \phi_2(h_i, h_j; r_{ij})\,
    \Phi\big((h_k - \mu_{k|ij})/\sigma_{k|ij}\big)` integrated along :math:`R(t)`, which scales the two
    correlations of the variable decoupled at t = 0 by t (Genz 2004, Stat. Comput. 14, 251):
    :math:`\Phi_3 = \Phi(h_i)\Phi_2(h_j, h_k; r_{jk}) + \int_0^1 [r_{ij}D_{ij}(t) + r_{ik}D_{ik}(t)]dt`.  The
    decoupled variable i is, per entry, the one off the most correlated pair; the t integral has 20
    Gauss-Legendre nodes.  Accuracy (tests/test_committee.py): 1e-13 for correlations within ±0.45; 4e-8 at the
    equicorrelation -0.49 and 2e-6 at 0.97 against scipy's multivariate normal CDF.
    """
    h = np.asarray(h, dtype=float)
    r12, r13, r23 = (np.asarray(x, dtype=float) for x in (r12, r13, r23))
    shape = np.broadcast_shapes(h.shape[:-1], r12.shape, r13.shape, r23.shape)
    h = np.broadcast_to(h, shape + (3,))
    rs = np.stack([np.broadcast_to(x, shape) for x in (r23, r13, r12)], axis=-1)  # rs[i]: the pair without i
    i = np.argmax(np.abs(rs), axis=-1)  # decouple the variable off the most correlated pair
    j, k = (i + 1) % 3, (i + 2) % 3

    def pick(a, idx):
        return np.take_along_axis(a, idx[..., None], axis=-1)[..., 0]

    hi, hj, hk = pick(h, i), pick(h, j), pick(h, k)
    rjk, rik, rij = pick(rs, i), pick(rs, j), pick(rs, k)
    x, w = _gauss_legendre(_TVN_ORDER)
    t = 0.5 * (x + 1.0)
    a, b, c = rij[..., None] * t, rik[..., None] * t, rjk[..., None]
    Hi, Hj, Hk = hi[..., None], hj[..., None], hk[..., None]

    def slope(ha, hb, hc, rab, rac, rbc):  # d Phi_3 / d r_ab: x_c given x_a = ha, x_b = hb
        det = (1.0 - rab) * (1.0 + rab)
        mu = ((rac - rab * rbc) * ha + (rbc - rab * rac) * hb) / det
        var = 1.0 - (rac * rac - 2.0 * rab * rac * rbc + rbc * rbc) / det
        return _phi2(ha, hb, rab) * ndtr((hc - mu) / np.sqrt(np.maximum(var, 1e-300)))

    d = rij[..., None] * slope(Hi, Hj, Hk, a, b, c) + rik[..., None] * slope(Hi, Hk, Hj, b, a, c)
    out = ndtr(hi) * bivariate_normal_cdf(hj, hk, rjk) + 0.5 * (d @ w)
    return np.clip(out, 0.0, 1.0)


#: conditional standard deviation of omega_k, relative to sqrt(V_kk), below which omega_rule uses Gauss-Hermite
_THIN = 1e-2
#: ... and below which it uses _SMOOTH_ORDER Gauss-Hermite nodes instead of the composite rule
_SMOOTH_RATIO = 1.0
_SMOOTH_ORDER = 24


def omega_rule(q, V, panel_order: int = 6) -> tuple[np.ndarray, np.ndarray]:
    r"""Nodes and weights for :math:`\mathbb E f(\omega)`, :math:`\omega\sim N(0, q)`, refined where
    :math:`\omega_k = 0` on the scale :math:`\sqrt{V_{kk}}` (where a committee's label probabilities change).

    Nested in the Cholesky order: :math:`\omega_k = m_k(\omega_{<k}) + s_k t_k`, each :math:`t_k` on
    :func:`~statmech_learn.gaussian.compact_normal_nodes` with a feature at :math:`t_k = -m_k/s_k` of width
    :math:`\sqrt{V_{kk}}/s_k` (capped at 1), so a singular q (:math:`s_k = 0`, the non-specialised
    fixed point) needs no special case.  ``q``, ``V``: (K, K) or batched (..., K, K); returns
    ``omega`` (..., n, K) and ``w`` (..., n) with about :math:`(20\,\mathrm{panel\_order})^K` nodes.
    """
    q = np.asarray(q, dtype=float)
    V = np.asarray(V, dtype=float)
    K = q.shape[-1]
    batch = np.broadcast_shapes(q.shape[:-2], V.shape[:-2])
    q = np.broadcast_to(q, batch + (K, K))
    V = np.broadcast_to(V, batch + (K, K))
    omega = np.zeros(batch + (1, 0))
    w = np.ones(batch + (1,))
    for k in range(K):
        if k == 0:
            mean = np.zeros(batch + (1,))
            var = q[..., 0, 0][..., None]
        else:  # conditional law of omega_k given omega_<k (pseudo-inverse: q may be singular)
            A = q[..., :k, :k]
            c = q[..., :k, k]
            coef = np.einsum("...ij,...j->...i", np.linalg.pinv(A, rcond=1e-12, hermitian=True), c)
            mean = np.einsum("...nj,...j->...n", omega, coef)
            var = (q[..., k, k] - np.einsum("...j,...j->...", coef, c))[..., None] * np.ones(mean.shape)
        s = np.sqrt(np.clip(var, 0.0, None))
        if np.all(var <= 1e-14 * np.maximum(q[..., k, k], 1e-300)[..., None]):
            # omega_k is a function of omega_<k for every matrix (q singular along it, as on the
            # non-specialised line): one node
            omega = np.concatenate([omega, mean[..., None]], axis=-1)
            continue
        sv = np.sqrt(np.maximum(V[..., k, k], 1e-300))[..., None]
        thin = np.all(s <= _THIN * sv)
        if thin or (_SMOOTH_ORDER and np.all(s <= _SMOOTH_RATIO * sv)):
            # omega_k varies on a scale below sqrt(V_kk), the width of the label probabilities' change: the integrand
            # is smooth in t_k, Gauss-Hermite nodes (4 when q is nearly singular along it: the integrand is then a
            # polynomial of degree <= 7 in t_k up to terms (s / sqrt(V_kk))^8 <= 1e-16)
            x, wx = gauss_hermite(4 if thin else _SMOOTH_ORDER)
            t = np.broadcast_to(x, mean.shape + x.shape)
            wt = np.broadcast_to(wx, mean.shape + x.shape)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                center = np.where(s > 0, np.clip(-mean / np.where(s > 0, s, 1.0), -20.0, 20.0), 0.0)
                width = np.where(s > 0, np.minimum(1.0, sv / np.where(s > 0, s, 1.0)), 1.0)
            t, wt = compact_normal_nodes(center, width, panel_order)  # (..., n_prev, m)
        new = mean[..., None] + s[..., None] * t
        n_prev, m = t.shape[-2], t.shape[-1]
        omega = np.concatenate([np.repeat(omega, m, axis=-2), new.reshape(batch + (n_prev * m, 1))], axis=-1)
        w = (w[..., None] * wt).reshape(batch + (n_prev * m,))
    return omega, w


def symmetric_projection(M: np.ndarray) -> np.ndarray:
    r"""The committee-symmetric projection :math:`d I + o(\mathbf 1\mathbf 1^\top - I)` of (..., K, K) matrices:
    d the mean diagonal and o the mean off-diagonal entry (the identity for K = 1)."""
    M = np.asarray(M, dtype=float)
    K = M.shape[-1]
    if K == 1:
        return M
    d = np.mean(np.diagonal(M, axis1=-2, axis2=-1), axis=-1)
    off = (np.sum(M, axis=(-2, -1)) - K * d) / (K * (K - 1))
    return off[..., None, None] * np.ones((K, K)) + (d - off)[..., None, None] * np.eye(K)


def _sqrtm_psd(q: np.ndarray) -> np.ndarray:
    """Symmetric square root of a PSD matrix (negative eigenvalues from rounding clipped to 0)."""
    lam, U = np.linalg.eigh(0.5 * (q + np.swapaxes(q, -1, -2)))
    return (U * np.sqrt(np.clip(lam, 0.0, None))[..., None, :]) @ np.swapaxes(U, -1, -2)


class VectorPrior:
    """A factorised prior over :math:`w\\in\\mathbb R^K` (module docstring); subclasses give A, f_a, f_v."""

    K: int = 1
    name: str = "vector"

    @property
    def second_moment(self) -> np.ndarray:
        """:math:`\\mathbb E\\, ww^\\top` (K x K)."""
        return np.eye(self.K)

    def sample(self, size: int, rng=None) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def rs_bayes(self, qhat, order: int | None = None) -> dict[str, np.ndarray]:  # pragma: no cover - interface
        """Bayes-optimal prior map: ``q`` (..., K, K) and
        ``psi`` = :math:`-\\tfrac12\\mathrm{Tr}\\,q\\hat q + \\mathbb E\\log Z_w`."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.K == self.K

    def __hash__(self) -> int:
        return hash((type(self), self.K))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(K={self.K})"


class GaussianVectorPrior(VectorPrior):
    r""":math:`w\sim N(0, I_K)`: :math:`A = \tfrac12 B^\top(I+\Lambda)^{-1}B - \tfrac12\log\det(I+\Lambda)`.

    Bayes-optimal map in closed form: :math:`q = \hat q(I + \hat q)^{-1}`,
    :math:`\mathbb E\log Z_w = \tfrac12\mathrm{Tr}\,\hat q - \tfrac12\log\det(I+\hat q)`.
    """

    name = "gaussian"

    def __init__(self, K: int = 1) -> None:
        self.K = check_int("K", K, minimum=1, maximum=1000)

    def log_partition(self, B, Lam):
        B, Lam = np.asarray(B, dtype=float), np.asarray(Lam, dtype=float)
        M = np.eye(self.K) + Lam
        sol = np.linalg.solve(M, B[..., None])[..., 0]
        return 0.5 * np.sum(B * sol, axis=-1) - 0.5 * np.linalg.slogdet(M)[1]

    def mean(self, B, Lam):
        return np.linalg.solve(np.eye(self.K) + np.asarray(Lam, dtype=float), np.asarray(B, dtype=float)[..., None])[
            ..., 0
        ]

    def covariance(self, B, Lam):
        cov = np.linalg.inv(np.eye(self.K) + np.asarray(Lam, dtype=float))
        return np.broadcast_to(cov, np.shape(B)[:-1] + (self.K, self.K)).copy()

    def sample(self, size: int, rng=None) -> np.ndarray:
        return as_rng(rng).standard_normal((int(size), self.K))

    def rs_bayes(self, qhat, order: int | None = None) -> dict[str, np.ndarray]:
        qhat = np.asarray(qhat, dtype=float)
        M = np.eye(self.K) + qhat
        q = np.linalg.solve(M, qhat)  # (I + qh)^{-1} qh = qh (I + qh)^{-1} (they commute)
        q = 0.5 * (q + np.swapaxes(q, -1, -2))
        psi = (
            -0.5 * np.einsum("...ij,...ji->...", q, qhat)
            + 0.5 * np.trace(qhat, axis1=-2, axis2=-1)
            - 0.5 * np.linalg.slogdet(M)[1]
        )
        return {"q": q, "psi": psi}


class BinaryVectorPrior(VectorPrior):
    r""":math:`w_k = \pm1` independently: :math:`A = \log 2^{-K}\sum_{w\in\{\pm1\}^K} e^{B^\top w - w^\top\Lambda w/2}`.

    Bayes-optimal map by enumeration of the :math:`2^K` teachers and configurations and a
    tensor Gauss-Hermite rule in :math:`\xi` (``order`` per dimension; K = 1 uses the
    composite rule of :class:`~statmech_learn.gibbs.priors.BinaryPrior`, exact to 1e-15).
    """

    name = "binary"

    def __init__(self, K: int = 1) -> None:
        self.K = check_int("K", K, minimum=1, maximum=MAX_BINARY_K)
        grid = np.array(np.meshgrid(*([[-1.0, 1.0]] * self.K), indexing="ij")).reshape(self.K, -1).T
        self._configs = grid  # (2^K, K)

    def _terms(self, B, Lam):
        c = self._configs
        quad = np.einsum("ck,...kl,cl->...c", c, Lam, c)
        return B @ c.T - 0.5 * quad  # (..., 2^K)

    def log_partition(self, B, Lam):
        t = self._terms(np.asarray(B, dtype=float), np.asarray(Lam, dtype=float))
        mx = np.max(t, axis=-1, keepdims=True)
        return mx[..., 0] + np.log(np.mean(np.exp(t - mx), axis=-1))

    def _weights(self, B, Lam):
        t = self._terms(B, Lam)
        p = np.exp(t - np.max(t, axis=-1, keepdims=True))
        return p / np.sum(p, axis=-1, keepdims=True)

    def mean(self, B, Lam):
        return self._weights(np.asarray(B, dtype=float), np.asarray(Lam, dtype=float)) @ self._configs

    def covariance(self, B, Lam):
        p = self._weights(np.asarray(B, dtype=float), np.asarray(Lam, dtype=float))
        m = p @ self._configs
        second = np.einsum("...c,ck,cl->...kl", p, self._configs, self._configs)
        return second - m[..., :, None] * m[..., None, :]

    def sample(self, size: int, rng=None) -> np.ndarray:
        return np.where(as_rng(rng).random((int(size), self.K)) < 0.5, -1.0, 1.0)

    def rs_bayes(self, qhat, order: int | None = None) -> dict[str, np.ndarray]:
        qhat = np.asarray(qhat, dtype=float)
        if self.K == 1 and order is None:
            from .priors import BinaryPrior

            qs = qhat[..., 0, 0]
            out = BinaryPrior().rs_teacher_student(qs, qs, qs, BinaryPrior())
            return {"q": out["q"][..., None, None], "psi": out["psi"]}
        xi, w = gauss_hermite_nd(self.K, order or (40 if self.K <= 2 else 16))
        root = _sqrtm_psd(qhat)
        q = np.zeros(qhat.shape)
        logz = np.zeros(qhat.shape[:-2])
        # the 2^K teachers, equally likely; w* and -w* give the same terms (B -> -B on the symmetric nodes, and
        # the configurations are closed under sign flip): the first half of the configurations suffices
        half = self._configs[: len(self._configs) // 2]
        for ws in half:
            B = (qhat @ ws)[..., None, :] + np.einsum("...kl,nl->...nk", root, xi)
            t = self._terms(B, qhat[..., None, :, :])
            top = np.max(t, axis=-1, keepdims=True)
            e = np.exp(t - top)
            Z = np.sum(e, axis=-1)
            fa = (e @ self._configs) / Z[..., None]
            q += np.einsum("n,...nk,...nl->...kl", w, fa, fa) / len(half)
            logz += np.einsum("n,...n->...", w, top[..., 0] + np.log(Z / len(self._configs))) / len(half)
        psi = -0.5 * np.einsum("...ij,...ji->...", q, qhat) + logz
        return {"q": 0.5 * (q + np.swapaxes(q, -1, -2)), "psi": psi}


def make_vector_prior(prior, K: int) -> VectorPrior:
    """'gaussian' or 'binary' (or a scalar Gaussian/Binary prior, or a VectorPrior of the right K)."""
    from .priors import BinaryPrior, GaussianPrior

    if isinstance(prior, VectorPrior):
        if prior.K != K:
            raise ValueError(f"prior must have K = {K} components, got {prior!r}")
        return prior
    if prior == "gaussian" or (isinstance(prior, GaussianPrior) and prior.variance_ == 1.0):
        return GaussianVectorPrior(K)
    if prior == "binary" or isinstance(prior, BinaryPrior):
        return BinaryVectorPrior(K)
    raise ValueError(f"prior must be 'gaussian' or 'binary' for a committee (unit-variance components), got {prior!r}")


class VectorChannel:
    r"""A channel over K preactivations :math:`z\in\mathbb R^K` (module docstring).

    Subclasses give :meth:`sample`, :meth:`g_out` and :meth:`rs_bayes`; :meth:`dg_out` defaults to
    central differences of :meth:`g_out`.  These are all that the replica solver
    (:func:`~statmech_learn.replica.solve_committee`), state evolution and committee AMP use.
    """

    K: int = 1

    def sample(self, z, rng=None) -> np.ndarray:  # pragma: no cover - interface
        """Labels y (n,) of preactivations z (n, K)."""
        raise NotImplementedError

    def g_out(self, y, omega, V) -> np.ndarray:  # pragma: no cover - interface
        r""":math:`g_{out} = \nabla_\omega\log Z_{out}(y, \omega, V)`, shape (..., K)."""
        raise NotImplementedError

    def dg_out(self, y, omega, V) -> np.ndarray:
        r""":math:`\partial_\omega g_{out}^\top` (..., K, K): central differences of :meth:`g_out` with steps
        :math:`10^{-5}\sqrt{V_{kk}}` (truncation error ~1e-10 relative), symmetrised."""
        omega = np.asarray(omega, dtype=float)
        V = np.asarray(V, dtype=float)
        K = self.K
        h = 1e-5 * np.sqrt(np.diagonal(V, axis1=-2, axis2=-1))
        cols = []
        for k in range(K):
            e = np.zeros(K)
            e[k] = 1.0
            step = (h[..., k])[..., None] * e
            cols.append((self.g_out(y, omega + step, V) - self.g_out(y, omega - step, V)) / (2.0 * h[..., k, None]))
        J = np.stack(cols, axis=-1)
        return 0.5 * (J + np.swapaxes(J, -1, -2))

    def rs_bayes(
        self, q, rho=None, order: int | None = None, symmetric: bool = False
    ) -> dict[str, np.ndarray]:  # pragma: no cover - interface
        """Channel map of the Bayes-optimal equations: ``qhat`` (per unit alpha), ``psi``, ``error``."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and repr(other) == repr(self)

    def __hash__(self) -> int:
        return hash(repr(self))


class Committee(VectorChannel):
    r"""The committee channel :math:`y = \mathrm{sign}(\sum_{k\le K}\mathrm{sign}(z_k))`.

    Parameters
    ----------
    K : int
        Hidden units (1 <= K <= 3 for sign units; K = 1 is the sign perceptron).
    activation : {'sign'}
        Hidden units.
    output : {'sign'}
        Output function.
    tie : {'auto', 'zero', None}
        Even K: the sum of signs can vanish; ``tie='zero'`` gives the label y = 0 there
        (Aubin et al. 2018, who take sign(0) = 0).  'auto' (default) is 'zero' for even K and
        None for odd K; an even K with ``tie=None`` is refused.

    noise : float, optional
        Output noise variance; only with ``output='linear'``.

    Notes
    -----
    Labels are ``self.labels`` (-1, +1, and 0 with the tie rule).  ``output='linear'`` (with
    ``activation`` 'relu', 'sign' or 'linear' and a ``noise`` variance, default 0.1) returns the smooth
    committee :class:`~statmech_learn.gibbs.soft_committee.SoftCommittee` instead.
    """

    def __new__(
        cls,
        K: int = 2,
        activation: str = "sign",
        output: str = "sign",
        tie: str | None = "auto",
        noise: float | None = None,
    ):
        if isinstance(output, str) and output.lower() == "linear":
            from .soft_committee import SoftCommittee

            if not (tie is None or (isinstance(tie, str) and tie == "auto")):
                raise ValueError(f"tie must be 'auto' or None with a linear output (the labels are real), got {tie!r}")
            return SoftCommittee(K, activation, 0.1 if noise is None else noise)
        return super().__new__(cls)

    def __init__(
        self,
        K: int = 2,
        activation: str = "sign",
        output: str = "sign",
        tie: str | None = "auto",
        noise: float | None = None,
    ) -> None:
        self.K = check_int("K", K, minimum=1, maximum=MAX_SIGN_K)
        self.output = check_choice("output", output, ("sign", "linear"))
        if tie is not None and not isinstance(tie, str):
            raise ValueError(f"tie must be 'auto', 'zero' or None, got {tie!r}")
        if isinstance(activation, str) and activation.lower() in ("relu", "linear"):
            raise ValueError(
                f"activation must be 'sign' with a sign output, got {activation!r} "
                "(relu and linear hidden units need output='linear')"
            )
        self.activation = check_choice("activation", activation, ("sign",))
        if noise is not None:
            raise ValueError(f"noise must be None with a sign output (noiseless labels), got {noise!r}")
        if tie == "auto":
            tie = "zero" if self.K % 2 == 0 else None
        if self.K % 2 == 0 and tie is None:
            raise ValueError(
                f"tie must be 'zero' for an even K = {self.K} with a sign output (the sum of the hidden "
                "signs can vanish: y = 0 there), got None"
            )
        if tie is not None:
            tie = check_choice("tie", tie, ("zero",))
            if self.K % 2 == 1:
                raise ValueError(
                    f"tie must be None for an odd K = {self.K} (the sum of signs never vanishes), got {tie!r}"
                )
        self.tie = tie
        self.labels = np.array([-1.0, 0.0, 1.0]) if tie else np.array([-1.0, 1.0])

    # -- label probabilities and their gradients -------------------------------------------
    def probabilities(self, omega, V) -> tuple[np.ndarray, np.ndarray]:
        r""":math:`Z_{out}(y, \omega, V)` for every label and its gradient in :math:`\omega`.

        ``omega`` (..., K), ``V`` (..., K, K) broadcast; returns P (..., L) and dP (..., L, K),
        L = ``len(self.labels)``.
        """
        omega = np.asarray(omega, dtype=float)
        V = np.asarray(V, dtype=float)
        shape = np.broadcast_shapes(omega.shape[:-1], V.shape[:-2])
        omega = np.broadcast_to(omega, shape + (self.K,))
        V = np.broadcast_to(V, shape + (self.K, self.K))
        if self.K == 1:
            sig = np.sqrt(V[..., 0, 0])
            h = omega[..., 0] / sig
            up, dn = ndtr(h), ndtr(-h)
            d = _phi(h) / sig
            return np.stack([dn, up], axis=-1), np.stack([-d, d], axis=-1)[..., None]
        if self.K == 2:
            return self._k2(omega, V)
        return self._k3(omega, V)

    @staticmethod
    def _pair(omega, V, i, j, si=1.0, sj=1.0):
        """P(si z_i > 0, sj z_j > 0) and its gradient in (omega_i, omega_j)."""
        s_i, s_j = np.sqrt(V[..., i, i]), np.sqrt(V[..., j, j])
        r = si * sj * V[..., i, j] / (s_i * s_j)
        r = np.clip(r, -1.0 + 1e-15, 1.0 - 1e-15)
        hi, hj = si * omega[..., i] / s_i, sj * omega[..., j] / s_j
        c = np.sqrt((1.0 - r) * (1.0 + r))
        P = bivariate_normal_cdf(hi, hj, r)
        di = si * _phi(hi) * ndtr((hj - r * hi) / c) / s_i
        dj = sj * _phi(hj) * ndtr((hi - r * hj) / c) / s_j
        return P, di, dj

    def _k2(self, omega, V):
        s1, s2 = np.sqrt(V[..., 0, 0]), np.sqrt(V[..., 1, 1])
        r = np.clip(V[..., 0, 1] / (s1 * s2), -1.0 + 1e-15, 1.0 - 1e-15)
        if np.all(np.abs(r) <= _DW_MAX_R) and np.all(np.isfinite(omega)):
            # both orthants share the angle term (even in omega): one integral for the two
            h, k = omega[..., 0] / s1, omega[..., 1] / s2
            c = np.sqrt((1.0 - r) * (1.0 + r))
            term = _bvn_angle_term(h, k, r)
            pp = np.clip(ndtr(h) * ndtr(k) + term, 0.0, 1.0)
            mm = np.clip(ndtr(-h) * ndtr(-k) + term, 0.0, 1.0)
            ph, pk = _phi(h) / s1, _phi(k) / s2
            a, b = ndtr((k - r * h) / c), ndtr((h - r * k) / c)
            pp1, pp2 = ph * a, pk * b
            mm1, mm2 = -ph * (1.0 - a), -pk * (1.0 - b)
        else:
            pp, pp1, pp2 = self._pair(omega, V, 0, 1, 1.0, 1.0)
            mm, mm1, mm2 = self._pair(omega, V, 0, 1, -1.0, -1.0)
        tie = np.clip(1.0 - pp - mm, 0.0, 1.0)  # one hidden sign of each kind
        P = np.stack([mm, tie, pp], axis=-1)
        dP = np.stack(
            [np.stack([mm1, mm2], -1), np.stack([-(pp1 + mm1), -(pp2 + mm2)], -1), np.stack([pp1, pp2], -1)], axis=-2
        )
        return P, dP

    @staticmethod
    def _conditional(omega, V, i):
        """Mean and covariance of the other two coordinates given z_i = 0."""
        rest = [k for k in range(3) if k != i]
        vi = V[..., i, i]
        cross = V[..., rest, i]  # (..., 2)
        mu = omega[..., rest] - cross * (omega[..., i] / vi)[..., None]
        C = V[..., rest, :][..., :, rest] - cross[..., :, None] * cross[..., None, :] / vi[..., None, None]
        return mu, C

    @staticmethod
    def _triple(omega, V):
        """O_123 = P(z > 0) for K = 3 (:func:`trivariate_normal_cdf`) and its gradient (Stein: the density of z_i
        at 0 times the conditional bivariate orthant of the other two)."""
        sd = np.sqrt(np.diagonal(V, axis1=-2, axis2=-1))
        R = V / (sd[..., :, None] * sd[..., None, :])
        orth = trivariate_normal_cdf(omega / sd, R[..., 0, 1], R[..., 0, 2], R[..., 1, 2])
        grad = []
        for i in range(3):
            mu, Ci = Committee._conditional(omega, V, i)
            si = np.sqrt(V[..., i, i])
            sdi = np.sqrt(np.clip(np.diagonal(Ci, axis1=-2, axis2=-1), 1e-300, None))
            ri = Ci[..., 0, 1] / (sdi[..., 0] * sdi[..., 1])
            grad.append(
                _phi(omega[..., i] / si)
                / si
                * bivariate_normal_cdf(mu[..., 0] / sdi[..., 0], mu[..., 1] / sdi[..., 1], ri)
            )
        return orth, np.stack(grad, axis=-1)

    def _k3(self, omega, V):
        def plus(om):
            P = np.zeros(om.shape[:-1])
            dP = np.zeros(om.shape)
            for i, j in ((0, 1), (0, 2), (1, 2)):
                p, di, dj = self._pair(om, V, i, j)
                P += p
                dP[..., i] += di
                dP[..., j] += dj
            orth, d_orth = self._triple(om, V)
            return P - 2.0 * orth, dP - 2.0 * d_orth

        up, dup = plus(omega)
        dn, ddn = plus(-omega)
        return np.stack([dn, up], axis=-1), np.stack([-ddn, dup], axis=-2)

    def sample(self, z, rng=None) -> np.ndarray:
        """Labels of preactivations z (n, K)."""
        z = np.asarray(z, dtype=float)
        return np.sign(np.sum(np.sign(z), axis=-1))

    def g_out(self, y, omega, V) -> np.ndarray:
        r""":math:`\nabla_\omega\log Z_{out}(y, \omega, V)` from the exact label probabilities (..., K)."""
        P, dP = self.probabilities(omega, V)
        j = np.searchsorted(self.labels, np.asarray(y, dtype=float))
        Py = np.take_along_axis(P, j[..., None], axis=-1)
        dPy = np.take_along_axis(dP, j[..., None, None], axis=-2)[..., 0, :]
        return dPy / np.maximum(Py, 1e-300)

    # -- Bayes-optimal replica map ---------------------------------------------------------
    def rs_bayes(self, q, rho=None, order: int | None = None, symmetric: bool = False) -> dict[str, np.ndarray]:
        r"""Channel map of the Bayes-optimal equations at overlap q (K x K, ``rho - q`` the variance).

        Returns ``qhat`` (per unit alpha, K x K), ``psi`` = :math:`\mathbb E\sum_y Z\log Z` and
        ``error``, the generalisation error of the Bayes-optimal estimator in the convention of
        Aubin et al. (2018), :math:`\epsilon_g = \tfrac12\mathbb E(y - \hat y)^2` with
        :math:`\hat y(\omega) = \sum_y y\,Z_{out}(y, \omega, \rho - q)` the posterior-mean label, i.e.
        :math:`\tfrac12(\mathbb E y^2 - \mathbb E_\omega\hat y^2)` (1/2 at q = 0 for odd K, 1/4 for K = 2 where
        y = 0 has probability 1/2; K = 1: :math:`\tfrac12 - \tfrac12\mathbb E(1 - 2H)^2`).  Unlike the
        misclassification rate of :math:`\arg\max_y Z_{out}`, its integrand is smooth.  The :math:`\xi`
        integral: K = 1 the composite rule of :func:`~statmech_learn.gaussian.normal_nodes` refined on
        :math:`\sqrt{V/q}`; K >= 2 the nested rule :func:`omega_rule` with ``order`` nodes per panel (default 6 for
        K = 2, 4 for K = 3; its error is measured in tests/test_committee.py).  ``symmetric``
        projects qhat onto the committee-symmetric form (diagonal and off-diagonal means).
        """
        q = np.asarray(q, dtype=float)
        K = self.K
        rho = np.eye(K) if rho is None else np.asarray(rho, dtype=float)
        V = rho - q
        if K > 1:  # at perfect recovery (q = rho) rounding can leave V indefinite: eigenvalues floored at 1e-12
            lam, U = np.linalg.eigh(0.5 * (V + np.swapaxes(V, -1, -2)))
            V = (U * np.maximum(lam, 1e-12)[..., None, :]) @ np.swapaxes(U, -1, -2)
        if K == 1:
            qs = np.maximum(q[..., 0, 0], 1e-300)
            width = np.minimum(1.0, np.sqrt(np.maximum(V[..., 0, 0], 1e-300) / qs))
            xi, w = normal_nodes(0.0, width, 16)
            om = (np.sqrt(qs)[..., None] * xi)[..., None]
            P, dP = self.probabilities(om, V[..., None, :, :])
        else:
            om, w = omega_rule(q, V, order or (6 if K == 2 else 4))
            if om.shape[-2] * int(np.prod(om.shape[:-2], dtype=int)) > 4_000_000:
                raise ValueError(
                    f"the channel rule needs {om.shape[-2]} nodes per matrix for K = {K}: too many; "
                    "lower order or solve fewer loads at once"
                )
            P, dP = self.probabilities(om, V[..., None, :, :])
        # K >= 2 label probabilities are sums and differences of orthant probabilities, accurate to ~1e-16 absolute
        # only: a label below _P_FLOOR (a deep tail, where the computed P can be all rounding while its gradient is
        # not) is left out; it would carry at most P g^2 ~ 1e-14 |g|^2 of qhat
        ok = (1e-300 if K == 1 else _P_FLOOR) < P
        Ps = np.where(ok, P, 1.0)
        w = np.where(w > 0, w, 0.0)
        wn = np.broadcast_to(w, P.shape[:-1])
        U = np.where(ok[..., None], dP / np.sqrt(Ps)[..., None], 0.0) * np.sqrt(wn)[..., None, None]
        U = U.reshape(U.shape[:-3] + (-1, K))
        qhat = np.swapaxes(U, -1, -2) @ U
        psi = np.einsum("...n,...ny->...", wn, np.where(ok, P * np.log(Ps), 0.0))
        yhat = P @ self.labels
        err = 0.5 * np.einsum("...n,...n->...", wn, P @ self.labels**2 - yhat * yhat)
        if symmetric:
            qhat = symmetric_projection(qhat)
        return {"qhat": 0.5 * (qhat + np.swapaxes(qhat, -1, -2)), "psi": psi, "error": err}

    def __repr__(self) -> str:
        tie = f", tie={self.tie!r}" if self.tie else ""
        return f"Committee(K={self.K}, activation={self.activation!r}, output={self.output!r}{tie})"
