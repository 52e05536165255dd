r"""Covariance spectra of the Gaussian covariate model and the prior they induce.

In the Gaussian covariate model (Loureiro, Gerbelot, Cui, Goldt, Krzakala,
Mezard & Zdeborova 2021, NeurIPS, "Learning curves of generic features maps
for realistic datasets with a teacher-student model") the teacher sees
features :math:`u\in\mathbb R^p` and the student features
:math:`v\in\mathbb R^d`, jointly Gaussian with covariances
:math:`\Psi = \mathbb E uu^\top`, :math:`\Omega = \mathbb E vv^\top`,
:math:`\Phi = \mathbb E uv^\top`.  Labels are :math:`y \sim P_{out}(\cdot\mid z^*)`,
:math:`z^* = \theta\cdot u/\sqrt p`; the student predicts from :math:`w\cdot v/\sqrt d`.
With :math:`\Omega = \sum_i \omega_i e_ie_i^\top` the replica equations need
only the joint spectrum

.. math::
    \{(\omega_i,\ \tau_i)\}_{i\le d},\qquad \tau_i = (e_i^\top\Phi^\top\theta)^2/p,
    \qquad \rho = \theta^\top\Psi\theta/p,

which :class:`Spectrum` holds as a discrete measure: atoms :math:`\omega_k` with
weights :math:`w_k` (fractions of the d directions) and teacher powers
:math:`\bar\tau_k` (:math:`d\,\tau` averaged over the atom), so that
:math:`\frac1d\sum_i f(\omega_i) = \sum_k w_k f(\omega_k)` and
:math:`\sum_i \tau_i f(\omega_i) = \sum_k w_k\bar\tau_k f(\omega_k)`.  Null
directions of :math:`\Omega` carry neither student nor teacher signal and are
dropped (their weight is ``1 - weight.sum()``).

The student's prior in the eigenbasis.  In coordinates :math:`w_i = e_i\cdot w`
the channel sees :math:`\sqrt{\omega_i}\,w_i`, so the prior term of the replica
free entropy is the isotropic one per direction with rescaled conjugates,

.. math::
    \hat m_i = \hat m\sqrt{\omega_i},\quad \hat q_i = \hat q\,\omega_i,\quad \hat V_i = \hat V\omega_i,
    \quad \rho_i = \bar\tau_i/\omega_i,

    m = \sum_k w_k\sqrt{\omega_k}\, m_k,\quad q = \sum_k w_k\,\omega_k q_k,\quad
    V = \sum_k w_k\,\omega_k V_k,\quad \psi_w = \sum_k w_k\,\psi_k,

where :math:`(m_k, q_k, V_k, \psi_k)` are the base prior's isotropic update
(:meth:`~statmech_learn.gibbs.priors.Prior.rs_teacher_student`) for a teacher
of second moment :math:`\rho_k`.  For an l2 penalty this is eq. (2.8) of
Loureiro et al.: :math:`V = \frac1d\mathrm{tr}\,\Omega(\lambda + \hat V\Omega)^{-1}`,
:math:`m = \hat m\sum_i\tau_i/(\lambda+\hat V\omega_i)`,
:math:`q = \frac1d\sum_i \hat q\omega_i^2/(\lambda+\hat V\omega_i)^2
+ \hat m^2\sum_i\tau_i\omega_i/(\lambda+\hat V\omega_i)^2`.
:class:`SpectralPrior` implements it; the channel side is unchanged, with
:math:`\rho` the teacher's variance.  One atom at :math:`\omega = 1` with
:math:`\bar\tau = \rho` is the isotropic model, with identical arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._validation import check_finite, check_int, check_positive
from ..results import Result
from .priors import GaussianPrior, L2Penalty, Prior

__all__ = ["Spectrum", "SpectralPrior", "marchenko_pastur", "tanh_sinh"]

#: eigenvalues below this fraction of the largest are null directions
NULL_EIGENVALUE = 1e-12


@dataclass(frozen=True, repr=False)
class Spectrum(Result):
    r"""Joint spectrum of the student covariance and the teacher (module docstring).

    Attributes
    ----------
    omega : eigenvalues :math:`\omega_k > 0` (atoms).
    weight : fraction of the d student directions at each atom (sum <= 1; the rest are null).
    teacher : teacher power per direction :math:`\bar\tau_k` at each atom.
    rho : teacher variance :math:`\rho = \mathbb E z^{*2}`.
    source : how the atoms were obtained ('identity', 'blocks', 'marchenko-pastur
        tanh-sinh', 'eigendecomposition of a d x d matrix', ...).
    """

    omega: np.ndarray
    weight: np.ndarray
    teacher: np.ndarray
    rho: float
    source: str

    def __post_init__(self) -> None:
        om = np.atleast_1d(np.asarray(check_finite("omega", self.omega), dtype=float))
        wt = np.atleast_1d(np.asarray(check_finite("weight", self.weight), dtype=float))
        te = np.atleast_1d(np.asarray(check_finite("teacher", self.teacher), dtype=float))
        if om.ndim != 1 or om.size == 0 or om.shape != wt.shape or om.shape != te.shape:
            raise ValueError(
                f"omega, weight and teacher must be non-empty 1-d arrays of one length, got shapes "
                f"{om.shape}, {wt.shape}, {te.shape}"
            )
        if np.any(om <= 0):
            raise ValueError(f"omega must be > 0 (drop null directions), got {om[om <= 0][0]:g}")
        if np.any(wt < 0) or wt.sum() > 1.0 + 1e-9 or wt.sum() <= 0:
            raise ValueError(f"weight must be >= 0 with 0 < sum <= 1, got sum {wt.sum():g}")
        if np.any(te < 0):
            raise ValueError(f"teacher must be >= 0, got {te[te < 0][0]:g}")
        rho = check_positive("rho", self.rho, scalar=True)
        if self.explained_variance(om, wt, te) > rho * (1.0 + 1e-6) + 1e-12:
            raise ValueError(
                f"the teacher power the student can see, sum_k weight tau/omega = "
                f"{self.explained_variance(om, wt, te):.6g}, exceeds rho = {rho:.6g}: the joint "
                "covariance of teacher and student features is not positive semi-definite"
            )
        for name, v in (("omega", om), ("weight", wt), ("teacher", te)):
            v.setflags(write=False)
            object.__setattr__(self, name, v)
        object.__setattr__(self, "rho", rho)

    @staticmethod
    def explained_variance(omega, weight, teacher) -> float:
        r""":math:`\sum_k w_k\bar\tau_k/\omega_k`: the variance of the best linear predictor of
        :math:`z^*` from the student's features (at most :math:`\rho`)."""
        return float(np.sum(np.asarray(weight) * np.asarray(teacher) / np.asarray(omega)))

    @property
    def size(self) -> int:
        """Number of atoms."""
        return int(self.omega.size)

    @property
    def visible_fraction(self) -> float:
        r"""Share of the teacher's variance a linear student can explain,
        :math:`\sum_k w_k\bar\tau_k/(\omega_k\rho)`."""
        return self.explained_variance(self.omega, self.weight, self.teacher) / self.rho

    @classmethod
    def identity(cls, rho: float = 1.0) -> Spectrum:
        r"""The isotropic model: :math:`\Psi=\Omega=\Phi=I`, teacher of second moment ``rho``."""
        return cls(np.array([1.0]), np.array([1.0]), np.array([float(rho)]), float(rho), "identity")

    @classmethod
    def from_eigen(cls, omega, tau_bar, rho: float, source: str) -> Spectrum:
        """Atoms of equal weight 1/d from d eigenvalues and teacher powers; null directions dropped."""
        omega = np.asarray(omega, dtype=float)
        tau_bar = np.asarray(tau_bar, dtype=float)
        d = omega.size
        keep = omega > NULL_EIGENVALUE * max(float(np.max(omega)), 1e-300)
        return cls(omega[keep], np.full(int(keep.sum()), 1.0 / d), np.maximum(tau_bar[keep], 0.0), rho, source)

    def sums(self, l2, Vhat) -> dict[str, np.ndarray]:
        r"""The four resolvent sums of the l2-penalised student at conjugate ``Vhat`` (broadcast with ``l2``):

        ``g`` :math:`=\sum_k w_k\omega_k/(\lambda+\hat V\omega_k)`,
        ``s2`` :math:`=\sum_k w_k\omega_k^2/(\lambda+\hat V\omega_k)^2`,
        ``t1`` :math:`=\sum_k w_k\bar\tau_k/(\lambda+\hat V\omega_k)`,
        ``t2`` :math:`=\sum_k w_k\bar\tau_k\omega_k/(\lambda+\hat V\omega_k)^2`,
        ``n2`` :math:`=\sum_k w_k\omega_k/(\lambda+\hat V\omega_k)^2` (the :math:`\lambda` derivative of g),
        and ``u2`` :math:`=\sum_k w_k\bar\tau_k/(\lambda+\hat V\omega_k)^2`.
        """
        l2 = np.asarray(l2, dtype=float)[..., None]
        Vhat = np.asarray(Vhat, dtype=float)[..., None]
        om, wt, te = self.omega, self.weight, self.teacher
        inv = 1.0 / (l2 + Vhat * om)
        return {
            "g": np.sum(wt * om * inv, axis=-1),
            "s2": np.sum(wt * (om * inv) ** 2, axis=-1),
            "t1": np.sum(wt * te * inv, axis=-1),
            "t2": np.sum(wt * te * om * inv * inv, axis=-1),
            "n2": np.sum(wt * om * inv * inv, axis=-1),
            "u2": np.sum(wt * te * inv * inv, axis=-1),
        }


class SpectralPrior(Prior):
    r"""A student prior seen through a feature covariance (module docstring).

    Parameters
    ----------
    base : Prior
        The prior (or penalty) on the student's weights: :class:`~statmech_learn.gibbs.priors.L2Penalty`
        (ERM) or :class:`~statmech_learn.gibbs.priors.GaussianPrior` (Bayesian students).
        These are the priors whose isotropic update is Gaussian and rotation invariant;
        others have no eigenbasis form.
    spectrum : Spectrum
    """

    name = "spectral"

    def __init__(self, base: Prior, spectrum: Spectrum) -> None:
        if not isinstance(base, (L2Penalty, GaussianPrior)):
            raise ValueError(f"base must be an L2Penalty or a GaussianPrior (a rotation-invariant prior), got {base!r}")
        if not isinstance(spectrum, Spectrum):
            raise ValueError(f"spectrum must be a Spectrum, got {spectrum!r}")
        self.base = base
        self.spectrum = spectrum

    def rs_teacher_student(self, mhat, qhat, Vhat, teacher, panel_order: int = 16):
        """Eigenbasis sum of the base prior's update (module docstring); ``teacher`` enters through
        the spectrum's teacher powers, which were built from its second moment."""
        sp = self.spectrum
        om, wt = sp.omega, sp.weight
        root = np.sqrt(om)
        mhat, qhat, Vhat = (np.asarray(x, dtype=float)[..., None] for x in (mhat, qhat, Vhat))
        out = self.base.rs_gaussian_teacher(mhat * root, qhat * om, Vhat * om, sp.teacher / om)
        return {
            "m": np.sum(wt * root * out["m"], axis=-1),
            "q": np.sum(wt * om * out["q"], axis=-1),
            "V": np.sum(wt * om * out["V"], axis=-1),
            "psi": np.sum(wt * out["psi"], axis=-1),
        }

    def squared_norm(self, mhat, qhat, Vhat) -> np.ndarray:
        r""":math:`|w|^2/d` of the estimator (for the l2 penalty's share of the objective):
        :math:`\sum_k w_k q_k` in the eigenbasis (q weighs directions by :math:`\omega_k`, this does not)."""
        sp = self.spectrum
        om = sp.omega
        mhat, qhat, Vhat = (np.asarray(x, dtype=float)[..., None] for x in (mhat, qhat, Vhat))
        out = self.base.rs_gaussian_teacher(mhat * np.sqrt(om), qhat * om, Vhat * om, sp.teacher / om)
        return np.sum(sp.weight * out["q"], axis=-1)

    def _scalar(self, *args):
        raise NotImplementedError(
            "a SpectralPrior acts on the whole weight vector through its covariance; "
            "it has no scalar log-partition (use its base prior)"
        )

    log_partition = mean = variance = _scalar

    @property
    def second_moment(self) -> float:
        return float(self.spectrum.rho)

    def __repr__(self) -> str:
        return f"SpectralPrior({self.base!r}, {self.spectrum.size} atoms from {self.spectrum.source})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SpectralPrior) and other.base == self.base and other.spectrum is self.spectrum

    def __hash__(self) -> int:
        return hash((type(self), repr(self.base), id(self.spectrum)))


@lru_cache(maxsize=8)
def _tanh_sinh(level: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from scipy.special import expit

    h = 2.0**-level
    t = np.arange(-int(4.0 / h), int(4.0 / h) + 1) * h
    s = 0.5 * np.pi * np.sinh(t)
    lo = 2.0 * expit(2.0 * s)  # 1 + tanh(s), accurate near -1
    hi = 2.0 * expit(-2.0 * s)  # 1 - tanh(s), accurate near +1
    with np.errstate(over="ignore"):
        w = h * 0.5 * np.pi * np.cosh(t) / np.cosh(s) ** 2
    keep = (lo > 0) & (hi > 0) & (w > 1e-300)
    return lo[keep], hi[keep], w[keep]


def tanh_sinh(a: float, b: float, level: int = 5) -> tuple[np.ndarray, np.ndarray]:
    r"""Tanh-sinh (double-exponential) nodes and weights on (a, b) (Takahasi & Mori 1974).

    :math:`x = \tfrac{a+b}2 + \tfrac{b-a}2\tanh(\tfrac\pi2\sinh t)` on a uniform t-grid of step
    :math:`2^{-\mathrm{level}}` in [-4, 4]; nodes near an end are placed at their distance from
    it (no rounding to the end point).  Endpoint singularities (square roots,
    :math:`x^{-1/2}`) and boundary layers of any width cost a few nodes; for functions analytic
    inside the interval the error falls like :math:`e^{-c/h}`.  Level 5 (about 250 nodes)
    integrates the Marchenko-Pastur resolvent sums to ~1e-13 (tests/test_gaussian_covariate.py,
    against mpmath).
    """
    a = check_finite("a", a, scalar=True)
    b = check_finite("b", b, scalar=True)
    lo, hi, w = _tanh_sinh(check_int("level", level, minimum=1, maximum=12))
    half = 0.5 * (b - a)
    x = np.where(lo < hi, a + half * lo, b - half * hi)
    return x, half * w


def marchenko_pastur(ratio: float, level: int = 5) -> tuple[np.ndarray, np.ndarray, float]:
    r"""Quadrature of the Marchenko-Pastur law of ratio c = ``ratio`` (unit variance).

    The law of the eigenvalues of :math:`FF^\top/D`, F a P x D matrix of i.i.d. unit-variance
    entries, P/D -> c: density :math:`\sqrt{(b-s)(s-a)}/(2\pi c s)` on
    :math:`[a, b] = [(1-\sqrt c)^2, (1+\sqrt c)^2]` and an atom of mass :math:`1 - 1/c` at 0 if
    c > 1 (Marchenko & Pastur 1967).  Returns the nodes and weights of the continuous part
    (tanh-sinh, :func:`tanh_sinh`) and the mass of the atom at zero.
    """
    c = check_positive("ratio", ratio, scalar=True)
    level = check_int("level", level, minimum=2, maximum=9)
    a, b = (1.0 - np.sqrt(c)) ** 2, (1.0 + np.sqrt(c)) ** 2
    s, w = tanh_sinh(a, b, level)
    if c < 1e100:
        dens = np.sqrt(np.maximum((b - s) * (s - a), 0.0)) / (2.0 * np.pi * c * s)
    else:  # (b - s)(s - a) ~ c^2 would overflow
        dens = (np.sqrt(np.maximum(b - s, 0.0)) / s) * (np.sqrt(np.maximum(s - a, 0.0)) / (2.0 * np.pi * c))
    keep = dens > 0
    return s[keep], (w * dens)[keep], max(0.0, 1.0 - 1.0 / c)
