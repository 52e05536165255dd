r"""Inputs of the Gaussian covariate model: structured covariances, random features, real data.

A teacher-student model sees its data through an *input model*: teacher
features :math:`u\in\mathbb R^p`, student features :math:`v\in\mathbb R^d`,
jointly Gaussian with covariances :math:`(\Psi, \Phi, \Omega)` (Loureiro et al.
2021, NeurIPS, "Learning curves of generic features maps for realistic datasets
with a teacher-student model").  Each input model gives

* :meth:`spectrum`: the joint spectrum :class:`~statmech_learn.gibbs.spectra.Spectrum`
  the replica equations need (the only thing the theory uses);
* :meth:`instance`: a finite instance (a feature map and a teacher) that
  draws samples, for simulations.

:class:`StructuredInputs`: block-diagonal input covariance, the salient and weak
features model (Gerace et al. 2020, ICML, "Generalisation error in learning with
random features and the hidden manifold model"; Loureiro et al. 2021, sec. 3).
:class:`RandomFeatureMap`: :math:`v = \sigma(Fx/\sqrt D)`, :math:`u = x\sim N(0, I_D)`, P = ratio x D
features; by Gaussian equivalence :math:`\Omega = \mu_1^2FF^\top/D + \mu_\star^2 I`,
:math:`\Phi = \mu_1F^\top/\sqrt D`, whose spectrum is the Marchenko-Pastur law
in closed form (the constant :math:`\mu_0` adds one direction, negligible as D grows).
:class:`GaussianCovariate`: any covariances, given as matrices or estimated
from samples (:meth:`GaussianCovariate.from_samples`, real data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_rng, check_finite, check_int, check_nonnegative, check_positive
from ..citations import _cites
from ..gaussian import activation_function, activation_moments
from ..gibbs.spectra import Spectrum, marchenko_pastur

__all__ = ["Inputs", "StructuredInputs", "RandomFeatureMap", "GaussianCovariate", "FeatureInstance", "RandomFeatures"]

#: largest dimension of a feature map instance (memory: P x D float64 matrix)
MAX_DIM = 20_000


@dataclass(frozen=True)
class FeatureInstance:
    """A finite instance of an input model: a teacher and a way to draw (u, v) samples.

    Attributes
    ----------
    theta : teacher weights (p,).
    p, d : teacher and student feature dimensions.
    draw : callable ``draw(n, rng) -> (u, v)`` of shapes (n, p) and (n, d).
    """

    theta: np.ndarray
    p: int
    d: int
    draw: Callable[[int, Any], tuple[np.ndarray, np.ndarray]]

    def sample(self, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
        """n samples of (teacher features, student features)."""
        return self.draw(n, rng)


class Inputs:
    """Base of the input models (module docstring)."""

    #: the student's feature dimension per teacher dimension, d/p (1 unless features differ)
    ratio: float = 1.0
    #: True when the student's features are the teacher's (a Bayes-optimal student is defined)
    matched: bool = False

    def spectrum(self, teacher_variance: float) -> Spectrum:  # pragma: no cover - interface
        """Joint spectrum for teacher weights of second moment ``teacher_variance``."""
        raise NotImplementedError

    def bayes_spectrum(self, teacher_variance: float) -> Spectrum:
        r"""Spectrum of the reparametrised model in which the teacher's prior is isotropic (Bayes-optimal
        students only)."""
        raise ValueError(
            f"a Bayes-optimal student needs the teacher's features: {self!r} gives the student different features"
        )

    def instance(self, d: int, teacher_prior, rng) -> FeatureInstance:  # pragma: no cover - interface
        """A finite instance with d student features."""
        raise NotImplementedError


def _check_blocks(blocks) -> tuple[np.ndarray, np.ndarray]:
    try:
        arr = np.asarray(check_finite("blocks", blocks), dtype=float)
    except ValueError:
        raise ValueError(
            f"blocks must be a list of (fraction, variance) pairs of finite numbers, got {blocks!r}"
        ) from None
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 1:
        raise ValueError(f"blocks must be a list of (fraction, variance) pairs, got {blocks!r}")
    frac = check_positive("block fractions", arr[:, 0])
    var = check_positive("block variances", arr[:, 1])
    if abs(float(np.sum(frac)) - 1.0) > 1e-9:
        raise ValueError(f"block fractions must sum to 1, got {np.array2string(frac)} (sum {np.sum(frac):.12g})")
    return np.atleast_1d(frac), np.atleast_1d(var)


@_cites
class StructuredInputs(Inputs):
    r"""Block-diagonal input covariance: the salient and weak features model.

    :math:`x\sim N(0, \Sigma)`, :math:`\Sigma = \mathrm{diag}(\sigma_1 I_{\phi_1 d}, \sigma_2 I_{\phi_2 d}, \dots)`,
    seen by teacher and student alike (:math:`\Psi = \Phi = \Omega = \Sigma`); the teacher's
    weights in block b have variance :math:`t_b\rho_0` (``teacher_weights`` t, :math:`\rho_0` the
    teacher prior's second moment), so the teacher is aligned with the salient block when
    its t is the larger.  Spectrum: atoms :math:`\omega_b = \sigma_b` of weight :math:`\phi_b`, teacher
    power :math:`\bar\tau_b = \sigma_b^2 t_b\rho_0`, :math:`\rho = \rho_0\sum_b\phi_b\sigma_bt_b`.

    Parameters
    ----------
    blocks : sequence of (fraction, variance)
        Fractions :math:`\phi_b` (> 0, summing to 1) and variances :math:`\sigma_b` (> 0).
    teacher_weights : sequence of float, optional
        :math:`t_b \ge 0` (not all zero); default all 1 (an isotropic teacher).
    """

    matched = True

    def __init__(self, blocks, teacher_weights: ArrayLike | None = None) -> None:
        self.fractions, self.variances = _check_blocks(blocks)
        t = (
            np.ones_like(self.fractions)
            if teacher_weights is None
            else np.atleast_1d(check_nonnegative("teacher_weights", teacher_weights))
        )
        if t.shape != self.fractions.shape:
            raise ValueError(f"teacher_weights must have one entry per block ({self.fractions.size}), got {t.size}")
        if not np.any(t > 0):
            raise ValueError(f"teacher_weights must not all be zero, got {np.array2string(t)}")
        self.teacher_weights = t

    def spectrum(self, teacher_variance: float) -> Spectrum:
        r0 = float(teacher_variance)
        s, t, f = self.variances, self.teacher_weights, self.fractions
        return Spectrum(s, f, s * s * t * r0, r0 * float(np.sum(f * s * t)), f"{s.size} blocks")

    def bayes_spectrum(self, teacher_variance: float) -> Spectrum:
        r"""With :math:`w' = w/\sqrt{t_b}` the prior is isotropic and the covariance is
        :math:`\sigma_bt_b` per block (blocks with :math:`t_b = 0` carry no signal and are dropped)."""
        r0 = float(teacher_variance)
        keep = self.teacher_weights > 0
        om = (self.variances * self.teacher_weights)[keep]
        f = self.fractions[keep]
        return Spectrum(om, f, om * om * r0, r0 * float(np.sum(f * om)), f"{om.size} blocks (reparametrised)")

    def instance(self, d: int, teacher_prior, rng) -> FeatureInstance:
        d = check_int("d", d, minimum=self.fractions.size, maximum=MAX_DIM)
        rng = as_rng(rng)
        sizes = np.floor(self.fractions * d).astype(int)
        sizes[np.argmax(self.fractions)] += d - int(sizes.sum())
        scale = np.repeat(np.sqrt(self.variances), sizes)
        theta = np.repeat(np.sqrt(self.teacher_weights), sizes) * np.asarray(teacher_prior.sample(d, rng), dtype=float)

        def draw(n, g):
            x = as_rng(g).standard_normal((n, d)) * scale
            return x, x

        return FeatureInstance(theta, d, d, draw)

    def __repr__(self) -> str:
        blocks = ", ".join(f"({f:g}, {s:g})" for f, s in zip(self.fractions, self.variances))
        return f"StructuredInputs(blocks=[{blocks}], teacher_weights={self.teacher_weights.tolist()})"


@_cites
class RandomFeatureMap(Inputs):
    r"""Random features :math:`v = \sigma(Fx/\sqrt D)` of Gaussian inputs :math:`x\sim N(0, I_D)`.

    F is P x D with i.i.d. Gaussian rows normalised to norm :math:`\sqrt D` (the
    spherical features of Mei & Montanari 2022, CPAM 75, 667), P = ``ratio`` x D.
    The teacher sees x itself.  Gaussian equivalence (:func:`~statmech_learn.gaussian.activation_moments`)
    gives :math:`\Omega = \mu_1^2 S + \mu_\star^2 I` with :math:`S = FF^\top/D` and
    :math:`\Phi = \mu_1F^\top/\sqrt D`, so with s the eigenvalues of S (Marchenko-Pastur of ratio
    P/D, :func:`~statmech_learn.gibbs.spectra.marchenko_pastur`):

    .. math::
        \omega(s) = \mu_1^2 s + \mu_\star^2,\qquad \bar\tau(s) = \frac PD\,\mu_1^2\rho_0\, s,\qquad \rho = \rho_0.

    The mean :math:`\mu_0` of the features is one direction of :math:`\Omega` (eigenvalue
    :math:`\mu_0^2 P`) that the student fits as an unpenalised offset; it changes the
    errors by O(1/P) and the theory leaves it out.

    Parameters
    ----------
    activation : str or callable
        One of :data:`~statmech_learn.gaussian.ACTIVATIONS` or a vectorised function.
    ratio : float
        P/D > 0.
    level : int
        Tanh-sinh level of the Marchenko-Pastur quadrature (5: about 210 atoms, ~1e-15).
    """

    def __init__(self, activation="relu", ratio: float = 1.0, level: int = 5) -> None:
        self.activation = activation
        self.function = activation_function(activation)
        self.ratio = check_positive("features_ratio", ratio, scalar=True)
        if self.ratio > 1e4:
            raise ValueError(f"features_ratio must be <= 1e4, got {self.ratio:g}")
        self.level = check_int("level", level, minimum=2, maximum=9)
        self.mu0, self.mu1, self.mu_star = activation_moments(activation)
        if self.mu1**2 + self.mu_star**2 <= 1e-13 * max(1.0, self.mu0**2):
            raise ValueError(f"activation {activation!r} is constant on Gaussian inputs: its features carry nothing")

    def spectrum(self, teacher_variance: float) -> Spectrum:
        r0 = float(teacher_variance)
        s, w, zero = marchenko_pastur(self.ratio, self.level)
        om = self.mu1**2 * s + self.mu_star**2
        te = self.ratio * self.mu1**2 * r0 * s
        if zero > 0 and self.mu_star > 0:  # the null space of S: pure nonlinear noise, no teacher signal
            om, w, te = np.append(om, self.mu_star**2), np.append(w, zero), np.append(te, 0.0)
        keep = om > 0
        name = self.activation if isinstance(self.activation, str) else "custom"
        return Spectrum(om[keep], w[keep], te[keep], r0, f"Marchenko-Pastur ({name}, P/D = {self.ratio:g})")

    def instance(self, d: int, teacher_prior, rng) -> FeatureInstance:
        """An instance with D = ``d`` input dimensions and P = round(ratio D) features."""
        D = check_int("d", d, minimum=1, maximum=MAX_DIM)
        P = max(1, int(round(self.ratio * D)))
        if P > MAX_DIM:
            raise ValueError(f"features_ratio x d must be <= {MAX_DIM}, got {P}")
        rng = as_rng(rng)
        F = rng.standard_normal((P, D))
        F *= np.sqrt(D) / np.linalg.norm(F, axis=1, keepdims=True)
        theta = np.asarray(teacher_prior.sample(D, rng), dtype=float)
        f, sqd = self.function, np.sqrt(D)

        def draw(n, g):
            x = as_rng(g).standard_normal((n, D))
            return x, np.asarray(f(x @ F.T / sqd), dtype=float)

        return FeatureInstance(theta, D, P, draw)

    def __repr__(self) -> str:
        name = self.activation if isinstance(self.activation, str) else "custom"
        return f"RandomFeatureMap({name!r}, ratio={self.ratio:g})"


def _check_matrix(name: str, M, shape: tuple[int, int] | None = None, symmetric: bool = False) -> np.ndarray:
    M = np.asarray(check_finite(name, M), dtype=float)
    if M.ndim != 2 or (shape is not None and M.shape != shape) or M.size == 0:
        raise ValueError(
            f"{name} must be a non-empty matrix of shape {shape if shape else '(k, k)'}, got shape {M.shape}"
        )
    if symmetric and (M.shape[0] != M.shape[1] or not np.allclose(M, M.T, rtol=1e-10, atol=1e-12 * np.max(np.abs(M)))):
        raise ValueError(
            f"{name} must be a symmetric matrix, got one with asymmetry "
            f"{np.max(np.abs(M - M.T)) if M.shape[0] == M.shape[1] else 'of shape ' + str(M.shape)}"
        )
    return M


@_cites
class GaussianCovariate(Inputs):
    r"""The Gaussian covariate model with given covariances.

    Parameters
    ----------
    Omega : (d, d) array
        Student feature covariance (symmetric positive semi-definite).
    Phi : (p, d) array, optional
        Teacher-student cross covariance; default ``Omega`` (the teacher sees the student's features).
    Psi : (p, p) array, optional
        Teacher feature covariance; default ``Omega`` when Phi is not given.
    theta : (p,) array, optional
        Fixed teacher weights (the teacher prior is then ignored).  Default: teacher weights
        drawn from the model's prior, whose average spectrum is
        :math:`\bar\tau_i = \rho_0\, d\, e_i^\top\Phi^\top\Phi e_i/p`, :math:`\rho = \rho_0\,\mathrm{tr}\Psi/p`.

    Notes
    -----
    The joint covariance :math:`[[\Psi, \Phi], [\Phi^\top, \Omega]]` must be positive
    semi-definite (checked).  The spectrum is the eigendecomposition of Omega (``size`` d).
    """

    #: number of samples the covariances were estimated from (set by :meth:`from_samples` only)
    n_samples: int

    def __init__(self, Omega, Phi=None, Psi=None, theta=None, *, noise_variance: float = 0.0) -> None:
        Omega = _check_matrix("Omega", Omega, symmetric=True)
        d = Omega.shape[0]
        matched = Phi is None
        if Phi is None:
            if Psi is not None:
                raise ValueError("Psi needs Phi: give the cross covariance Phi too (or neither)")
            Phi, Psi = Omega, Omega
        Phi = _check_matrix("Phi", Phi)
        if Phi.shape[1] != d:
            raise ValueError(f"Phi must have shape (p, {d}) (d = Omega's size), got {Phi.shape}")
        p = Phi.shape[0]
        Psi = _check_matrix("Psi", Psi, (p, p), symmetric=True) if Psi is not None else None
        if Psi is None:
            raise ValueError("Psi must be given with Phi")
        joint = np.block([[Psi, Phi], [Phi.T, Omega]])
        lo = float(np.linalg.eigvalsh(joint)[0])
        scale = float(np.max(np.abs(np.diag(joint))))
        if lo < -1e-8 * max(scale, 1e-300):
            raise ValueError(
                f"the joint covariance [[Psi, Phi], [Phi.T, Omega]] must be positive semi-definite, "
                f"got smallest eigenvalue {lo:.3g}"
            )
        if theta is not None:
            theta = np.asarray(check_finite("theta", theta), dtype=float)
            if theta.shape != (p,):
                raise ValueError(f"theta must have shape ({p},), got {theta.shape}")
        self.Omega, self.Phi, self.Psi, self.theta = Omega, Phi, Psi, theta
        self.p, self.d = p, d
        self.ratio = d / p
        self.matched = matched
        self.noise_variance = check_nonnegative("noise_variance", noise_variance, scalar=True)
        self._eig = np.linalg.eigh(Omega)
        self._joint_chol = None

    @classmethod
    def from_samples(
        cls, teacher_features, student_features=None, labels=None, *, center: bool = True, ridge: float = 1e-10
    ) -> GaussianCovariate:
        r"""Population covariances estimated from samples (real data).

        Parameters
        ----------
        teacher_features : (n, p) array
            Samples of u (e.g. the raw inputs).
        student_features : (n, d) array, optional
            Samples of v (e.g. features of the same inputs); default the teacher's.
        labels : (n,) array or str, optional
            Real labels: the teacher weights are their least-squares fit on u,
            :math:`\theta = \sqrt p\,\arg\min|y - U\theta'|^2` (min-norm, ridge ``ridge``
            relative to the largest eigenvalue), and the residual variance
            :math:`\Delta = \overline{(y - u\cdot\theta/\sqrt p)^2}` is kept as
            ``noise_variance``: for square-loss students the teacher then matches the labels'
            first two moments exactly.  A string (e.g. 'sign') or None: a synthetic teacher
            drawn from the model's prior.
        center : bool
            Subtract the sample means first (the linear student has no offset).
        """
        U = np.asarray(check_finite("teacher_features", teacher_features), dtype=float)
        V = (
            U
            if student_features is None
            else np.asarray(check_finite("student_features", student_features), dtype=float)
        )
        if U.ndim != 2 or V.ndim != 2 or U.shape[0] < 2:
            raise ValueError(
                f"teacher_features and student_features must be (n, dim) arrays with n >= 2, got "
                f"shapes {U.shape} and {V.shape}"
            )
        if V.shape[0] != U.shape[0]:
            raise ValueError(
                f"teacher_features and student_features must have the same number of rows, got "
                f"{U.shape[0]} and {V.shape[0]}"
            )
        n, p = U.shape
        y = None
        if labels is not None and not isinstance(labels, str):
            y = np.asarray(check_finite("labels", labels), dtype=float)
            if y.shape != (n,):
                raise ValueError(f"labels must have shape ({n},) (one per row), got {y.shape}")
        if center:
            U = U - U.mean(axis=0)
            V = V - V.mean(axis=0) if student_features is not None else U
            y = None if y is None else y - y.mean()
        Psi = U.T @ U / n
        Omega = V.T @ V / n if student_features is not None else Psi
        Phi = U.T @ V / n if student_features is not None else Psi
        theta, noise = None, 0.0
        if y is not None:
            A = U / np.sqrt(p)
            lam = ridge * float(np.linalg.eigvalsh(A.T @ A)[-1])
            coef = np.linalg.solve(A.T @ A + lam * np.eye(p), A.T @ y)
            theta = coef
            noise = float(np.mean((y - A @ coef) ** 2))
        out = cls(Omega, Phi, Psi, theta=theta, noise_variance=noise)
        out.n_samples = n
        if student_features is None:
            out.matched = True
        return out

    def spectrum(self, teacher_variance: float) -> Spectrum:
        om, E = self._eig
        om = np.clip(om, 0.0, None)
        if self.theta is None:
            r0 = float(teacher_variance)
            proj = E.T @ self.Phi.T  # (d, p): rows e_i^T Phi^T
            tau_bar = r0 * self.d * np.sum(proj * proj, axis=1) / self.p
            rho = r0 * float(np.trace(self.Psi)) / self.p
        else:
            c = E.T @ (self.Phi.T @ self.theta)
            tau_bar = self.d * c * c / self.p
            rho = float(self.theta @ self.Psi @ self.theta) / self.p
        return Spectrum.from_eigen(om, tau_bar, rho, f"eigendecomposition of a {self.d} x {self.d} covariance")

    def bayes_spectrum(self, teacher_variance: float) -> Spectrum:
        if not self.matched or self.theta is not None:
            return super().bayes_spectrum(teacher_variance)
        return self.spectrum(teacher_variance)

    def instance(self, d: int | None, teacher_prior, rng) -> FeatureInstance:
        """Joint Gaussian samples of (u, v) with the model's covariances (``d`` must be None or Omega's size)."""
        if d is not None and check_int("d", d) != self.d:
            raise ValueError(f"d must be {self.d} (Omega's size) for this GaussianCovariate, got {d}")
        rng = as_rng(rng)
        if self._joint_chol is None:
            joint = np.block([[self.Psi, self.Phi], [self.Phi.T, self.Omega]])
            val, vec = np.linalg.eigh(joint)
            self._joint_chol = vec * np.sqrt(np.clip(val, 0.0, None))
        L, p = self._joint_chol, self.p
        theta = np.asarray(teacher_prior.sample(p, rng), dtype=float) if self.theta is None else self.theta

        def draw(n, g):
            z = as_rng(g).standard_normal((n, L.shape[1])) @ L.T
            return z[:, :p], z[:, p:]

        return FeatureInstance(theta, p, self.d, draw)

    def __repr__(self) -> str:
        teacher = "fixed theta" if self.theta is not None else "random teacher"
        return f"GaussianCovariate(p={self.p}, d={self.d}, {teacher})"


@_cites
class RandomFeatures:
    r"""A random-features student learning a perceptron teacher, over a grid of P/D.

    Teacher :math:`y\sim P_{out}(\cdot\mid\beta\cdot x/\sqrt D)`, :math:`x\sim N(0, I_D)`,
    :math:`\beta\sim` ``prior``; student :math:`\hat y = w\cdot\sigma(Fx/\sqrt D)/\sqrt P` with F fixed
    and random, P = ``features_ratio`` x D, trained by ERM (Rahimi & Recht 2007; Mei & Montanari
    2022, CPAM 75, 667; Gerace et al. 2020, ICML).  One :class:`~statmech_learn.replica.TeacherStudent`
    with :class:`RandomFeatureMap` inputs per ratio (:meth:`model`); the load of
    :func:`~statmech_learn.replica.solve` is :math:`\alpha = n/D` (samples per input
    dimension, the seed's and Mei & Montanari's :math:`\psi_2`), so that the interpolation
    peak of ridge-less regression sits at P = n, i.e. ``features_ratio == alpha``.

    Parameters
    ----------
    activation : str or callable
    features_ratio : float or array_like
        P/D > 0.
    teacher : Channel or str
        The teacher's channel (e.g. ``channels.GaussianNoise(0.1)``, 'sign', ``NoisySign``).
    student : ERM
    prior : Prior or str
        The teacher's weights (any prior: only its second moment enters).
    """

    def __init__(
        self, activation="relu", features_ratio: ArrayLike = 1.0, teacher="sign", student=None, prior="gaussian"
    ) -> None:
        from ..gibbs import make_channel, make_prior
        from .models import ERM

        ratios = np.atleast_1d(check_positive("features_ratio", features_ratio))
        if ratios.ndim != 1:
            raise ValueError(f"features_ratio must be a number or a 1-d array, got shape {ratios.shape}")
        self.activation = activation
        activation_function(activation)
        self.features_ratio = features_ratio if np.ndim(features_ratio) == 0 else ratios
        self.teacher = make_channel(teacher, "teacher")
        self.prior = make_prior(prior)
        self.student = ERM("square", 1e-4) if student is None else student
        if not isinstance(self.student, ERM):
            raise ValueError(f"student must be an ERM student (random features are trained), got {self.student!r}")
        self._maps: dict[float, RandomFeatureMap] = {}

    def feature_map(self, ratio: float) -> RandomFeatureMap:
        """The input model at one P/D (cached: its spectrum is computed once)."""
        ratio = float(ratio)
        if ratio not in self._maps:
            self._maps[ratio] = RandomFeatureMap(self.activation, ratio)
        return self._maps[ratio]

    def model(self, ratio: float, l2: float | None = None):
        """The :class:`~statmech_learn.replica.TeacherStudent` at one P/D (optionally another penalty)."""
        from .models import ERM, TeacherStudent

        student = self.student if l2 is None else ERM(self.student.loss_, l2)
        return TeacherStudent(self.prior, self.teacher, student, inputs=self.feature_map(ratio))

    @property
    def task(self) -> str:
        return "classification" if self.teacher.labels == "binary" else "regression"

    def __repr__(self) -> str:
        name = self.activation if isinstance(self.activation, str) else "custom"
        r = np.atleast_1d(self.features_ratio)
        ratios = f"{r[0]:g}" if r.size == 1 else f"[{r.min():g}..{r.max():g}, {r.size} values]"
        return (
            f"RandomFeatures({name!r}, features_ratio={ratios}, teacher={self.teacher!r}, "
            f"student={self.student!r}, prior={self.prior!r})"
        )
