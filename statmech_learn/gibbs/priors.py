r"""Priors: the base measure :math:`P_0(w)` of the Gibbs posterior.

Every prior exposes the scalar log-partition

.. math:: A(B, \Lambda) = \log \int P_0(w)\, e^{B w - \Lambda w^2/2}\, dw,

its first derivative in B (the posterior mean of a scalar Gaussian channel,
:math:`f_a = \partial_B A`) and second derivative (the posterior variance,
:math:`f_v = \partial_B^2 A`).  All are vectorised over arrays (B and
:math:`\Lambda` broadcast).  These three functions are the only place where a
prior enters the replica, message-passing and Monte Carlo solvers.

Domain.  The functions do not raise on bad values: NaN in an argument the value
depends on gives NaN (NaN in, NaN out).  Where the integral diverges
(:math:`\Lambda + 1/\sigma^2 \le 0` for :class:`GaussianPrior`, :math:`1 + \Lambda \le 0`
for the slab of :class:`GaussBernoulliPrior`; for :class:`L2Penalty`, whose A is a
maximum, :math:`\Lambda + \lambda < 0`, or :math:`= 0` with :math:`B \ne 0`) A is +inf,
never a finite number, and :math:`f_a, f_v` are NaN.  :class:`BinaryPrior` is
defined for every :math:`\Lambda`.

For the replica-symmetric storage problem (random labels, self-overlap fixed at
``norm``) each prior also gives the overlap and the entropic potential as a
function of the conjugate :math:`\hat q`:

.. math::
    q(\hat q) = \mathbb{E}_\xi\, f_a(\sqrt{\hat q}\,\xi, \hat\Lambda + \hat q)^2, \qquad
    \psi_w(\hat q, q) = \tfrac12 \hat\Lambda Q + \tfrac12 \hat q q
        + \mathbb{E}_\xi A(\sqrt{\hat q}\,\xi, \hat\Lambda + \hat q),

with :math:`\hat\Lambda` the Lagrange multiplier fixing :math:`Q` (Engel & Van
den Broeck, *Statistical Mechanics of Learning*, 2001, ch. 2 and app. A).

For teacher-student problems (a teacher :math:`w^* \sim P_0^*`) the prior gives
the replica-symmetric update and potential of :meth:`Prior.rs_teacher_student`,

.. math::
    B = \hat m\, w^* + \sqrt{\hat q}\,\xi,\quad
    m = \mathbb E\, w^* f_a(B, \hat V),\quad q = \mathbb E f_a^2,\quad V = \mathbb E f_v,

    \psi_w = -\hat m m + \tfrac12 \hat V Q - \tfrac12 \hat q V + \mathbb E\, A(B, \hat V),
    \quad Q = q + V,

(e.g. Aubin et al. 2020, NeurIPS, "Generalization error in high-dimensional
perceptrons", app. B).  Every teacher prior is a finite mixture of Gaussians and
atoms (:meth:`Prior.mixture`).  On a component :math:`N(\mu, s^2)` the field is
Gaussian, :math:`B \sim N(\hat m\mu, S^2)` with :math:`S^2 = \hat m^2 s^2 + \hat q`,
and the teacher enters only through its conditional mean
:math:`\mathbb E[w^*\mid B] = \mu + \hat m s^2 (B - \hat m\mu)/S^2`, so the
two-dimensional average over :math:`(w^*, \xi)` is one integral over B per
component.  That integral is taken by a composite rule refined where the
student's functions switch (:meth:`Prior.field_features`: the spike/slab switch
of a sparse prior, B = 0 for the Ising prior), which a tensor rule in
:math:`(w^*, \xi)` cannot resolve at high signal-to-noise ratio.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_real, as_rng, check_nonnegative, check_positive, check_probability, from_registry
from ..gaussian import _quiet_overflow, feature_nodes, gauss_hermite, normal_expectation

__all__ = [
    "Prior",
    "GaussianPrior",
    "BinaryPrior",
    "BernoulliPrior",
    "SphericalPrior",
    "GaussBernoulliPrior",
    "L2Penalty",
    "make_prior",
]


def _b(B: ArrayLike, Lam: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    return as_real("B", B), as_real("Lam", Lam)


def _half_square_over(B, prec):
    """B^2 / (2 prec), also where B^2 and prec both overflow (as B (B / prec) / 2 there)."""
    with np.errstate(invalid="ignore"):  # inf / inf: redone below
        out = B * B / (2.0 * prec)
    if not np.all(np.isfinite(out)):
        with np.errstate(invalid="ignore"):
            out = np.where(np.isnan(out) & ~np.isnan(B) & ~np.isnan(prec), 0.5 * B * (B / prec), out)
    return out


def _mask(ok):
    """None if ``ok`` holds everywhere (the common case), else ``ok``."""
    return None if ok.all() else ok


def _convergent(Lam, ok):
    """``(Lam, None)`` if ``ok`` (the integral converges) everywhere, else
    ``(Lam with 1 where it does not, ok)``: every prior converges at Lambda = 1."""
    ok = _mask(ok)
    return (Lam, None) if ok is None else (np.where(ok, Lam, 1.0), ok)


def _nan_unless(x, ok):
    """x where ``ok`` (None: everywhere), NaN elsewhere."""
    return x if ok is None else np.where(ok, x, np.nan)


def _inf_unless(x, ok, B, diverges):
    """x where ``ok`` (None: everywhere), +inf where ``diverges`` (unless B is NaN), NaN elsewhere."""
    if ok is None:
        return x
    return np.where(ok, x, np.where(diverges & ~np.isnan(B), np.inf, np.nan))


class Prior(ABC):
    """Base measure over one weight; subclasses give A, f_a, f_v in closed form."""

    #: name used by :func:`make_prior` and in reprs
    name: str = "prior"
    #: self-overlap Q = E w^2 under the prior (fixed for storage problems)
    norm: float = 1.0

    @abstractmethod
    def log_partition(self, B: ArrayLike, Lam: ArrayLike) -> np.ndarray:
        r""":math:`A(B, \Lambda) = \log \int P_0(w) e^{Bw - \Lambda w^2/2} dw`."""

    @abstractmethod
    def mean(self, B: ArrayLike, Lam: ArrayLike) -> np.ndarray:
        r""":math:`f_a = \partial_B A`: mean of :math:`w` under :math:`P_0(w)e^{Bw-\Lambda w^2/2}`."""

    @abstractmethod
    def variance(self, B: ArrayLike, Lam: ArrayLike) -> np.ndarray:
        r""":math:`f_v = \partial^2_B A`: variance of :math:`w` under the same tilted measure."""

    @_quiet_overflow
    def mean_variance(self, B: ArrayLike, Lam: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """:math:`(f_a, f_v)` together (message-passing loops need both; subclasses may share work)."""
        return self.mean(B, Lam), self.variance(B, Lam)

    def log_density(self, w: ArrayLike) -> np.ndarray:
        """Log density (or log mass) of P0 at ``w``, -inf outside its support."""
        raise NotImplementedError(f"{type(self).__name__} has no pointwise density")

    # Teacher side ----------------------------------------------------------
    @property
    def entropy(self) -> float:
        r"""Shannon entropy :math:`-\sum_w P_0(w)\log P_0(w)` of a discrete prior
        (NaN for priors with a continuous part).  The Bayes-optimal free entropy of
        perfect recovery is minus this."""
        return float("nan")

    @property
    def second_moment(self) -> float:
        r""":math:`\rho = \mathbb E w^2 = \sum_j p_j(\mu_j^2 + s_j^2)` under P0 (the teacher's self-overlap)."""
        mu, s2, p = self.mixture()
        return float(np.sum(p * (mu * mu + s2)))

    def mixture(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""P0 as a finite mixture :math:`\sum_j p_j N(\mu_j, s_j^2)` (atoms have :math:`s_j = 0`).

        Returns ``(mu, s2, p)``.  This is how a prior acts as a *teacher*: the
        teacher-student averages are exact in the teacher's Gaussian parts
        (module docstring).  The default wraps :meth:`quadrature` as atoms, so a
        prior that only defines a quadrature still works (as accurately as its
        quadrature resolves the student's functions).
        """
        w, p = self.quadrature()
        w = np.asarray(w, dtype=float)
        return w, np.zeros_like(w), np.asarray(p, dtype=float)

    def quadrature(self, order: int = 64) -> tuple[np.ndarray, np.ndarray]:
        r"""Nodes and weights with :math:`\mathbb E_{P_0} f(w) \approx \sum_k p_k f(w_k)`:
        the atoms of :meth:`mixture`, and Gauss-Hermite of ``order`` on each Gaussian part
        (exact for discrete priors and polynomials of degree < 2 ``order``)."""
        if type(self).mixture is Prior.mixture:
            raise NotImplementedError(f"{type(self).__name__} cannot be used as a teacher prior")
        mu, s2, p = self.mixture()
        z, wz = gauss_hermite(order)
        nodes, weights = [], []
        for m_j, s_j, p_j in zip(mu, s2, p):
            if s_j == 0:
                nodes.append([m_j])
                weights.append([p_j])
            else:
                nodes.append(m_j + np.sqrt(s_j) * z)
                weights.append(p_j * wz)
        return np.concatenate(nodes), np.concatenate(weights)

    def field_features(self, Lam: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        r"""Where :math:`f_a, f_v, A` change fast in B, as ``(centers, widths)``.

        Arrays of shape ``np.shape(Lam) + (K,)``: the functions vary on the
        scale ``widths[k]`` around ``centers[k]``.  The teacher-student
        quadrature refines its panels there.  Default: B = 0 on the scale 1
        (the tanh of the Ising prior).
        """
        Lam = np.asarray(Lam, dtype=float)
        return np.zeros(Lam.shape + (1,)), np.ones(Lam.shape + (1,))

    def sample(self, size, rng=None) -> np.ndarray:
        """Draw i.i.d. weights from P0 (``rng`` normalised by ``np.random.default_rng``)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be sampled")

    def rs_teacher_student(self, mhat, qhat, Vhat, teacher: Prior, panel_order: int = 16) -> dict[str, np.ndarray]:
        r"""RS prior update and potential of a teacher-student problem.

        Parameters
        ----------
        mhat, qhat, Vhat : array_like
            Conjugate order parameters (broadcast together).
        teacher : Prior
            The teacher's prior :math:`P_0^*`.
        panel_order : int
            Gauss-Legendre nodes per panel of the composite rule in
            :math:`\xi` (16: ~1e-15 relative; 10: ~1e-13; see docs/numerics.md).

        Returns
        -------
        dict
            ``m``, ``q``, ``V`` (student variance :math:`\mathbb E f_v`, computed
            directly, not as Q - q) and ``psi`` (the potential :math:`\psi_w`).

        The generic implementation integrates, for each component of the
        teacher's :meth:`mixture`, over the Gaussian field
        :math:`B = \hat m\mu_j + S_j t` with the teacher replaced by its
        conditional mean (module docstring), by the composite rule of
        :func:`~statmech_learn.gaussian.feature_nodes` refined at the
        student's :meth:`field_features`.  Gaussian and spherical students
        override it in closed form.
        """
        mhat, qhat, Vhat = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (mhat, qhat, Vhat)))
        mu, s2, pj = teacher.mixture()
        mh = mhat[..., None]  # (..., J)
        S = np.hypot(mh * np.sqrt(s2), np.sqrt(qhat)[..., None])  # no overflow of mhat^2
        Sf = np.maximum(S, 1e-300)
        c = mh * mu
        fc, fw = self.field_features(Vhat)  # (..., K)
        with np.errstate(over="ignore", invalid="ignore"):
            center = np.clip((fc[..., None, :] - c[..., None]) / Sf[..., None], -20.0, 20.0)
            width = np.minimum(1.0, fw[..., None, :] / Sf[..., None])
        t, wt = feature_nodes(center, width, panel_order)  # (..., J, N)
        B = c[..., None] + S[..., None] * t
        lam = Vhat[..., None, None]
        fa = self.mean(B, lam)
        fv = self.variance(B, lam)
        logz = self.log_partition(B, lam)
        w_star = mu[:, None] + (mh * s2 / Sf)[..., None] * t  # E[w* | B]
        wt = np.where(wt > 0, wt, 0.0) * pj[:, None]

        def avg(x):
            return np.sum(np.where(wt > 0, x * wt, 0.0), axis=(-2, -1))

        m = avg(fa * w_star)
        q = avg(fa * fa)
        V = avg(fv)
        # psi = -mhat m + Vhat (q + V)/2 - qhat V/2 + E A(B, Vhat); with A = B f_a - Vhat E<w^2>/2 - D
        # (D the relative entropy of the tilted measure to P0) and Stein's E[(B - mhat w*) f_a] = qhat V,
        # psi = qhat V/2 - E D: no cancellation of terms of size mhat when the fields are huge (V -> 0)
        psi = 0.5 * qhat * V - avg(self._relative_entropy(B, lam, fa, fv, logz))
        return {"m": m, "q": q, "V": V, "psi": psi}

    def _relative_entropy(self, B, Lam, fa, fv, logz):
        r""":math:`D(p_{B,\Lambda}\,\|\,P_0) = B f_a - \tfrac12\Lambda(f_a^2 + f_v) - A(B,\Lambda) \ge 0`, the
        relative entropy of the tilted measure :math:`p \propto P_0(w)e^{Bw - \Lambda w^2/2}` to the prior.
        Discrete priors override it where this difference cancels (large fields)."""
        with np.errstate(invalid="ignore", over="ignore"):
            return B * fa - 0.5 * Lam * (fa * fa + fv) - logz

    # Replica-symmetric storage problem ------------------------------------
    def rs_overlap(self, qhat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        r"""Overlap of the RS storage problem at fixed norm, as ``(q, 1 - q)``.

        The complement is computed directly (not as ``1 - q``) so that it keeps
        full relative precision as q tends to 1.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define a fixed-norm storage problem")

    def rs_potential(self, qhat: ArrayLike, q: ArrayLike, v: ArrayLike | None = None) -> np.ndarray:
        r"""Entropic potential :math:`\psi_w(\hat q, q)` (per weight, relative to P0).

        ``v = 1 - q`` may be given separately to keep its relative precision as q -> 1.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define a fixed-norm storage problem")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(self.__dict__.items()))))


class GaussianPrior(Prior):
    r"""Gaussian prior :math:`w \sim N(0, \sigma^2)`.

    .. math:: A(B,\Lambda) = \frac{B^2}{2(\Lambda + \sigma^{-2})} - \tfrac12\log(1 + \Lambda\sigma^2)
    """

    name = "gaussian"

    def __init__(self, variance: float = 1.0) -> None:
        self.variance_ = check_positive("variance", variance, scalar=True)
        self.norm = self.variance_

    def _prec(self, Lam):
        return Lam + 1.0 / self.variance_

    @_quiet_overflow
    def log_partition(self, B, Lam):
        r"""+inf where the integral diverges, :math:`\Lambda + 1/\sigma^2 \le 0`."""
        B, Lam = _b(B, Lam)
        prec = self._prec(Lam)
        Lc, ok = _convergent(Lam, prec > 0)
        out = _half_square_over(B, self._prec(Lc)) - 0.5 * np.log1p(Lc * self.variance_)
        return _inf_unless(out, ok, B, prec <= 0)

    @_quiet_overflow
    def mean(self, B, Lam):
        r"""NaN where the integral diverges."""
        B, Lam = _b(B, Lam)
        prec = self._prec(Lam)
        return B / _nan_unless(prec, _mask(prec > 0))

    @_quiet_overflow
    def variance(self, B, Lam):
        r"""NaN where the integral diverges."""
        B, Lam = _b(B, Lam)
        prec = self._prec(Lam)
        prec = _nan_unless(prec, _mask(prec > 0))
        return np.broadcast_to(1.0 / prec, np.broadcast(B, Lam).shape).copy()

    def log_density(self, w):
        w = np.asarray(w, dtype=float)
        return -0.5 * w * w / self.variance_ - 0.5 * np.log(2 * np.pi * self.variance_)

    def mixture(self):
        return np.array([0.0]), np.array([self.variance_]), np.array([1.0])

    def sample(self, size, rng=None):
        return np.sqrt(self.variance_) * as_rng(rng).standard_normal(size)

    def rs_teacher_student(self, mhat, qhat, Vhat, teacher, panel_order: int = 16):
        r"""Closed form for any teacher of second moment :math:`\rho^*`:
        with :math:`\Lambda = \hat V + 1/\sigma^2`,
        :math:`m = \hat m\rho^*/\Lambda`, :math:`q = (\hat m^2\rho^* + \hat q)/\Lambda^2`,
        :math:`V = 1/\Lambda`."""
        return self.rs_gaussian_teacher(mhat, qhat, Vhat, teacher.second_moment)

    def rs_gaussian_teacher(self, mhat, qhat, Vhat, rho) -> dict[str, np.ndarray]:
        """:meth:`rs_teacher_student` for a teacher of second moment ``rho`` (an array broadcast
        with the conjugates: :class:`~statmech_learn.gibbs.spectra.SpectralPrior` passes one per
        eigenvalue)."""
        mhat, qhat, Vhat, rho = (np.asarray(x, dtype=float) for x in (mhat, qhat, Vhat, rho))
        prec = Vhat + 1.0 / self.variance_
        b2 = mhat * mhat * rho + qhat
        m = mhat * rho / prec
        q = b2 / prec**2
        V = 1.0 / prec
        logz = b2 / (2.0 * prec) - 0.5 * np.log1p(Vhat * self.variance_)
        psi = -mhat * m + 0.5 * Vhat * (q + V) - 0.5 * qhat * V + logz
        return {"m": m, "q": q, "V": np.broadcast_to(V, np.shape(q)).copy(), "psi": psi}

    def __repr__(self) -> str:
        return f"GaussianPrior(variance={self.variance_:g})"


class BinaryPrior(Prior):
    r"""Ising prior :math:`P_0 = \tfrac12(\delta_{w,1} + \delta_{w,-1})`.

    .. math:: A(B,\Lambda) = \log\cosh B - \Lambda/2, \quad f_a = \tanh B,
              \quad f_v = 1 - \tanh^2 B.

    The storage-problem entropy is relative to the uniform measure, so the
    number of solutions per weight is :math:`\log 2 + \psi`.
    """

    name = "binary"
    norm = 1.0

    @_quiet_overflow
    def log_partition(self, B, Lam):
        B, Lam = _b(B, Lam)
        a = np.abs(B)
        return a + np.log1p(np.exp(-2.0 * a)) - np.log(2.0) - 0.5 * Lam

    @_quiet_overflow
    def mean(self, B, Lam):
        B, Lam = _b(B, Lam)
        return np.broadcast_to(np.tanh(B), np.broadcast(B, Lam).shape).copy()

    @_quiet_overflow
    def variance(self, B, Lam):
        B, Lam = _b(B, Lam)
        t = np.tanh(B)
        return np.broadcast_to(1.0 - t * t, np.broadcast(B, Lam).shape).copy()

    def log_density(self, w):
        w = np.asarray(w, dtype=float)
        return np.where(np.abs(w) == 1.0, -np.log(2.0), -np.inf)

    def _relative_entropy(self, B, Lam, fa, fv, logz):
        r""":math:`\log 2 - H(p)` with :math:`p = 1/(1 + e^{-2|B|})`:
        :math:`H = \log(1 + e^{-a}) + a e^{-a}/(1 + e^{-a})`, :math:`a = 2|B|`, finite at any field."""
        a = 2.0 * np.abs(np.asarray(B, dtype=float))
        e = np.exp(-a)
        return np.log(2.0) - np.log1p(e) - a * e / (1.0 + e)

    def mixture(self):
        return np.array([1.0, -1.0]), np.zeros(2), np.array([0.5, 0.5])

    @property
    def entropy(self) -> float:
        return float(np.log(2.0))

    def sample(self, size, rng=None):
        return 2.0 * as_rng(rng).integers(0, 2, size=size) - 1.0

    def rs_overlap(self, qhat):
        r""":math:`q = \mathbb E_\xi \tanh^2(\sqrt{\hat q}\xi)`,
        :math:`1 - q = \mathbb E_\xi\, \mathrm{sech}^2(\sqrt{\hat q}\xi)`
        (composite quadrature refined on the width :math:`1/\sqrt{\hat q}`)."""
        s = np.sqrt(np.asarray(qhat, dtype=float))
        width = np.minimum(1.0 / np.maximum(s, 1e-300), 1.0)
        q = normal_expectation(lambda t: np.tanh(s[..., None] * t) ** 2, 0.0, width)
        v = normal_expectation(lambda t: np.cosh(np.minimum(np.abs(s[..., None] * t), 350.0)) ** -2, 0.0, width)
        return q, v

    def rs_potential(self, qhat, q, v=None):
        r""":math:`\psi_w = -\tfrac12\hat q(1-q) + \mathbb E_\xi \log\cosh(\sqrt{\hat q}\xi)`.

        With :math:`\log\cosh u = |u| - \log 2 + \log(1+e^{-2|u|})` the growing part
        integrates in closed form, :math:`\mathbb E|\sqrt{\hat q}\xi| = \sqrt{2\hat q/\pi}`,
        leaving a bounded integrand for the quadrature.
        """
        qhat = np.asarray(qhat, dtype=float)
        s = np.sqrt(qhat)
        width = np.minimum(1.0 / np.maximum(s, 1e-300), 1.0)
        rest = normal_expectation(lambda t: np.log1p(np.exp(-2.0 * np.abs(s[..., None] * t))), 0.0, width)
        logcosh = s * np.sqrt(2.0 / np.pi) - np.log(2.0) + rest
        v = 1.0 - np.asarray(q, dtype=float) if v is None else np.asarray(v, dtype=float)
        return -0.5 * qhat * v + logcosh


class BernoulliPrior(Prior):
    r"""{0, 1} units: :math:`P_0 = (1-p)\,\delta_{w,0} + p\,\delta_{w,1}`.

    .. math::
        A(B,\Lambda) = \log\big[(1-p) + p\, e^{B - \Lambda/2}\big], \quad
        f_a = \sigma\big(B - \Lambda/2 + \mathrm{logit}\, p\big), \quad f_v = f_a(1 - f_a),

    with :math:`\sigma` the logistic function (:math:`w^2 = w` on {0, 1}, so the
    quadratic term is a field :math:`-\Lambda/2`).  The units of restricted
    Boltzmann machines and of the seed's mean-field equations; A is computed as a
    log-sum-exp, finite for every finite B and :math:`\Lambda`.
    """

    name = "bernoulli"

    def __init__(self, p: float = 0.5) -> None:
        p = check_probability("p", p)
        if not 0 < p < 1:
            raise ValueError(f"p must be in (0, 1), got {p}")
        self.p = float(p)
        self.norm = float(p)

    def _x(self, B, Lam):
        B, Lam = _b(B, Lam)
        return B - 0.5 * Lam + self._logit

    @property
    def _logit(self) -> float:
        return float(np.log(self.p) - np.log1p(-self.p))

    @_quiet_overflow
    def mean_variance(self, B, Lam):
        from scipy.special import expit

        m = expit(self._x(B, Lam))
        return m, m * (1.0 - m)

    @_quiet_overflow
    def log_partition(self, B, Lam):
        x = self._x(B, Lam)
        # log(1 + e^x) = max(x, 0) + log1p(e^{-|x|}): NaN in, NaN out, no warning
        if np.ndim(x) == 0:
            return np.log1p(-self.p) + np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
        x = np.array(x, dtype=float, copy=True) if not x.flags.writeable else x
        t = np.abs(x)  # in place from here: this sits in the inner loop of exact RBM sums
        np.negative(t, out=t)
        np.exp(t, out=t)
        np.log1p(t, out=t)
        np.maximum(x, 0.0, out=x)
        x += t
        x += np.log1p(-self.p)
        return x

    @_quiet_overflow
    def mean(self, B, Lam):
        from scipy.special import expit

        return expit(self._x(B, Lam))

    @_quiet_overflow
    def variance(self, B, Lam):
        from scipy.special import expit

        x = self._x(B, Lam)
        return expit(x) * expit(-x)

    def log_density(self, w):
        w = np.asarray(w, dtype=float)
        return np.where(w == 1.0, np.log(self.p), np.where(w == 0.0, np.log1p(-self.p), -np.inf))

    def mixture(self):
        return np.array([0.0, 1.0]), np.zeros(2), np.array([1.0 - self.p, self.p])

    @property
    def entropy(self) -> float:
        p = self.p
        return float(-p * np.log(p) - (1 - p) * np.log1p(-p))

    def field_features(self, Lam):
        Lam = np.asarray(Lam, dtype=float)
        centre = 0.5 * Lam - (np.log(self.p) - np.log1p(-self.p))
        return centre[..., None], np.ones(Lam.shape + (1,))

    def sample(self, size, rng=None):
        return (as_rng(rng).random(size) < self.p).astype(float)

    def __repr__(self) -> str:
        return f"BernoulliPrior(p={self.p:g})"


class SphericalPrior(Prior):
    r"""Uniform measure on the sphere :math:`|w|^2 = N` (Gardner's spherical weights).

    In the thermodynamic limit this is a standard Gaussian base measure with a
    Lagrange multiplier :math:`\hat\Lambda` enforcing :math:`Q = 1`, so the
    scalar functions are those of :class:`GaussianPrior` with unit variance,
    and the storage-problem potential is closed-form:
    :math:`q = \hat q/L^2` with :math:`L = \hat\Lambda + \hat q + 1 = (1+\sqrt{1+4\hat q})/2`,
    and at the saddle point :math:`\psi_w = \tfrac12\log(1-q) + \frac{q}{2(1-q)}`
    (Gardner 1988, J. Phys. A 21, 257, eq. 13).
    """

    name = "spherical"
    norm = 1.0

    def __init__(self) -> None:
        self._g = GaussianPrior(1.0)

    @_quiet_overflow
    def log_partition(self, B, Lam):
        return self._g.log_partition(B, Lam)

    @_quiet_overflow
    def mean(self, B, Lam):
        return self._g.mean(B, Lam)

    @_quiet_overflow
    def variance(self, B, Lam):
        return self._g.variance(B, Lam)

    def rs_overlap(self, qhat):
        qhat = np.asarray(qhat, dtype=float)
        L = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * qhat))
        return qhat / (L * L), 1.0 / L

    def rs_potential(self, qhat, q, v=None):
        r"""General (off-saddle in :math:`\hat q`) form, extremised over :math:`\hat\Lambda`:
        :math:`\tfrac12(L-1) - \tfrac12\hat q(1-q) + \hat q/(2L) - \tfrac12\log L`
        with :math:`L = (1+\sqrt{1+4\hat q})/2`."""
        qhat = np.asarray(qhat, dtype=float)
        v = 1.0 - np.asarray(q, dtype=float) if v is None else np.asarray(v, dtype=float)
        L = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * qhat))
        return 0.5 * (L - 1.0) - 0.5 * qhat * v + qhat / (2.0 * L) - 0.5 * np.log(L)

    def mixture(self):
        return self._g.mixture()

    def sample(self, size, rng=None):
        """Uniform on the sphere :math:`|w|^2 = n` for the last axis of ``size``."""
        w = as_rng(rng).standard_normal(size)
        n = np.shape(w)[-1]
        return w * np.sqrt(n) / np.linalg.norm(w, axis=-1, keepdims=True)

    def rs_teacher_student(self, mhat, qhat, Vhat, teacher, panel_order: int = 16):
        r"""Closed form with the Lagrange multiplier fixing Q = 1 (``Vhat`` is absorbed):
        :math:`L = (1+\sqrt{1+4(\hat m^2\rho^*+\hat q)})/2`, :math:`m = \hat m\rho^*/L`,
        :math:`q = (\hat m^2\rho^* + \hat q)/L^2`, :math:`V = 1/L`."""
        mhat, qhat = (np.asarray(x, dtype=float) for x in (mhat, qhat))
        rho = teacher.second_moment
        b2 = mhat * mhat * rho + qhat
        L = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * b2))
        m = mhat * rho / L
        q = b2 / L**2
        V = 1.0 / L
        psi = -mhat * m + 0.5 * (L - 1.0) - 0.5 * qhat * V + b2 / (2.0 * L) - 0.5 * np.log(L)
        return {"m": m, "q": q, "V": V, "psi": psi}

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self).__name__)


class GaussBernoulliPrior(Prior):
    r"""Sparse prior :math:`P_0 = (1-\rho)\,\delta_0 + \rho\, N(0, 1)` of density :math:`\rho`.

    .. math::
        A(B,\Lambda) = \log\Big[(1-\rho) + \frac{\rho}{\sqrt{1+\Lambda}}
            e^{B^2/(2(1+\Lambda))}\Big],

    :math:`f_a = \pi\, B/(1+\Lambda)`, :math:`f_v = \pi/(1+\Lambda) + \pi(1-\pi)B^2/(1+\Lambda)^2`,
    with :math:`\pi` the posterior probability of the Gaussian component
    (Krzakala et al. 2012, J. Stat. Mech. P08009, eqs. 9-10).
    """

    name = "gauss-bernoulli"

    def __init__(self, rho: float = 0.5) -> None:
        rho = check_probability("rho", rho)
        if rho <= 0:
            raise ValueError(f"rho must be in (0, 1], got {rho}")
        self.rho = rho
        self.norm = rho

    def _log_terms(self, B, Lam):
        B, Lam = _b(B, Lam)
        Lc, ok = _convergent(Lam, 1.0 + Lam > 0)  # the slab diverges for 1 + Lambda <= 0
        s = 1.0 + Lc
        log_slab = np.log(self.rho) - 0.5 * np.log(s) + 0.5 * B * (B / s)  # B^2 may overflow, B^2/s not
        log_spike = np.log1p(-self.rho) if self.rho < 1 else -np.inf
        return log_spike, log_slab, B, s, ok

    @_quiet_overflow
    def log_partition(self, B, Lam):
        r"""+inf where the slab's integral diverges, :math:`1 + \Lambda \le 0`."""
        log_spike, log_slab, B, _, ok = self._log_terms(B, Lam)
        with np.errstate(invalid="ignore"):  # logaddexp warns on NaN input
            out = np.logaddexp(log_spike, log_slab)
        return _inf_unless(out, ok, B, np.asarray(Lam, dtype=float) <= -1.0)

    def _pi(self, B, Lam):
        log_spike, log_slab, B, s, ok = self._log_terms(B, Lam)
        with np.errstate(invalid="ignore"):  # logaddexp warns on NaN input
            pi = np.exp(log_slab - np.logaddexp(log_spike, log_slab))
            if np.any(np.isposinf(log_slab)):  # B^2/s overflowed: the slab takes all the mass
                pi = np.where(np.isposinf(log_slab), 1.0, pi)
        return pi, B, s, ok

    @_quiet_overflow
    def mean(self, B, Lam):
        r"""NaN where the integral diverges."""
        pi, B, s, ok = self._pi(B, Lam)
        return _nan_unless(pi * B / s, ok)

    @_quiet_overflow
    def variance(self, B, Lam):
        r"""NaN where the integral diverges."""
        pi, B, s, ok = self._pi(B, Lam)
        mix = pi * (1.0 - pi)
        spread = np.where(mix == 0.0, 0.0, mix * (B / s) ** 2)  # 0 * inf where one component has all the mass
        return _nan_unless(pi / s + spread, ok)

    def mixture(self):
        if self.rho == 1.0:
            return np.array([0.0]), np.array([1.0]), np.array([1.0])
        return np.zeros(2), np.array([0.0, 1.0]), np.array([1.0 - self.rho, self.rho])

    def field_features(self, Lam):
        r"""The spike/slab switch: :math:`\pi = 1/2` at
        :math:`B_s^2 = 2(1+\Lambda)\,[\log\tfrac{1-\rho}{\rho} + \tfrac12\log(1+\Lambda)]`,
        on the scale :math:`(1+\Lambda)/B_s` (the slope of the log-odds there is
        :math:`B/(1+\Lambda)`); and B = 0, on the scale :math:`\sqrt{1+\Lambda}`.
        Where the slab wins at every B (no switch), the switch points collapse onto 0."""
        Lam = np.asarray(Lam, dtype=float)
        s = 1.0 + Lam
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = (np.log1p(-self.rho) - np.log(self.rho) if self.rho < 1 else -np.inf) + 0.5 * np.log(s)
            bs = np.sqrt(2.0 * s * np.maximum(odds, 0.0))
            w_s = np.where(bs > 0, np.minimum(s / np.where(bs > 0, bs, 1.0), np.sqrt(s)), np.sqrt(s))
        centers = np.stack([np.zeros_like(s), -bs, bs], axis=-1)
        widths = np.stack([np.sqrt(s), w_s, w_s], axis=-1)
        return centers, widths

    def sample(self, size, rng=None):
        rng = as_rng(rng)
        return rng.standard_normal(size) * (rng.random(size) < self.rho)

    def __repr__(self) -> str:
        return f"GaussBernoulliPrior(rho={self.rho:g})"


class L2Penalty(Prior):
    r"""Ridge penalty :math:`\lambda w^2/2` in the zero-temperature (ERM) scaling.

    The Gibbs weight :math:`e^{-\beta\lambda w^2/2}` with :math:`\beta\to\infty`,
    :math:`B,\Lambda = O(\beta)`: the "log-partition" is the maximum
    :math:`\max_w [Bw - (\Lambda+\lambda) w^2/2] = B^2/(2(\Lambda+\lambda))`,
    with :math:`f_a = B/(\Lambda+\lambda)` (the proximal point) and
    :math:`f_v = 1/(\Lambda+\lambda)`.  ``l2 = 0`` (no penalty) is allowed.
    """

    name = "l2"

    def __init__(self, l2: float = 0.0) -> None:
        self.l2 = check_nonnegative("l2", l2, scalar=True)

    @_quiet_overflow
    def log_partition(self, B, Lam):
        r"""+inf where the maximum is unbounded: :math:`\Lambda + \lambda < 0`, or
        :math:`\Lambda + \lambda = 0` and :math:`B \ne 0` (0 at B = 0)."""
        B, Lam = _b(B, Lam)
        prec = Lam + self.l2
        Lc, ok = _convergent(Lam, prec > 0)
        out = _half_square_over(B, Lc + self.l2)
        if ok is None:
            return out
        return np.where((prec == 0) & (B == 0), 0.0, _inf_unless(out, ok, B, prec <= 0))

    @_quiet_overflow
    def mean(self, B, Lam):
        r"""NaN where :math:`\Lambda + \lambda \le 0` (no unique maximiser)."""
        B, Lam = _b(B, Lam)
        prec = Lam + self.l2
        return B / _nan_unless(prec, _mask(prec > 0))

    @_quiet_overflow
    def variance(self, B, Lam):
        r"""NaN where :math:`\Lambda + \lambda \le 0`."""
        B, Lam = _b(B, Lam)
        prec = Lam + self.l2
        prec = _nan_unless(prec, _mask(prec > 0))
        return np.broadcast_to(1.0 / prec, np.broadcast(B, Lam).shape).copy()

    def rs_teacher_student(self, mhat, qhat, Vhat, teacher, panel_order: int = 16):
        r""":math:`m = \hat m\rho^*/(\hat V+\lambda)`, :math:`q = (\hat m^2\rho^*+\hat q)/(\hat V+\lambda)^2`,
        :math:`V = 1/(\hat V + \lambda)`.

        ``psi`` is the :math:`\beta\to\infty` limit of :math:`\psi_w/\beta`,
        :math:`-\hat m m + \tfrac12\hat V q - \tfrac12\hat q V + \mathbb E B^2/(2(\hat V+\lambda))`:
        the self-overlap Q = q + V/beta tends to q, so the ``Vhat V / 2`` of finite
        temperature drops out."""
        return self.rs_gaussian_teacher(mhat, qhat, Vhat, teacher.second_moment)

    def rs_gaussian_teacher(self, mhat, qhat, Vhat, rho) -> dict[str, np.ndarray]:
        """:meth:`rs_teacher_student` for a teacher of second moment ``rho`` (an array broadcast
        with the conjugates)."""
        mhat, qhat, Vhat, rho = (np.asarray(x, dtype=float) for x in (mhat, qhat, Vhat, rho))
        prec = Vhat + self.l2
        b2 = mhat * mhat * rho + qhat
        m = mhat * rho / prec
        q = b2 / prec**2
        V = 1.0 / prec
        psi = -mhat * m + 0.5 * Vhat * q - 0.5 * qhat * V + b2 / (2.0 * prec)
        return {"m": m, "q": q, "V": np.broadcast_to(V, np.shape(q)).copy(), "psi": psi}

    def __repr__(self) -> str:
        return f"L2Penalty(l2={self.l2:g})"


_PRIORS = {
    "gaussian": GaussianPrior,
    "binary": BinaryPrior,
    "bernoulli": BernoulliPrior,
    "spherical": SphericalPrior,
    "gauss-bernoulli": GaussBernoulliPrior,
}


def make_prior(prior: str | Prior, name: str = "prior") -> Prior:
    """Return a :class:`Prior` from an instance or one of the names
    'gaussian', 'binary', 'bernoulli', 'spherical', 'gauss-bernoulli' (``name``: the parameter named in errors)."""
    return from_registry(name, prior, Prior, _PRIORS)
