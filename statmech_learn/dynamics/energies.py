r"""Energies for Langevin sampling of Gibbs densities :math:`p(w) \propto e^{-E(w)/T}`.

A model for :func:`~statmech_learn.dynamics.langevin` exposes ``dim``,
``energy(W)`` and ``gradient(W)`` for a batch ``W`` of shape (n_chains, d)
(returning shapes (n_chains,) and (n_chains, d)) and, optionally, ``curvature``,
an upper bound on the largest eigenvalue of the Hessian of E (used to choose a
default step).

:class:`TeacherStudentEnergy` is Gibbs learning of a perceptron on a finite
teacher-student instance (conventions of ``docs/conventions.md``: inputs
:math:`x_\mu \sim N(0, I_N)`, preactivation :math:`z_\mu = x_\mu\cdot w/\sqrt N`,
labels from a teacher :math:`y_\mu \sim P^*_{out}(\cdot\mid x_\mu\cdot w^*/\sqrt N)`) with a
smooth energy

.. math:: E(w) = \sum_{\mu=1}^P \ell(y_\mu, z_\mu) + \frac{\lambda}{2}|w|^2,

- ``loss="square"``: :math:`\ell = (y - z)^2/2`.  Then
  :math:`e^{-E/T} = \prod_i N(w_i; 0, T/\lambda)\prod_\mu N(y_\mu; z_\mu, T)`: the
  posterior of a Gaussian prior of variance :math:`T/\lambda` and a Gaussian
  channel of variance T, which the replica engine solves as a (mismatched)
  Bayesian student, :meth:`TeacherStudentEnergy.replica_model`.
- ``loss="probit"``: :math:`\ell = -\log H(-yz/\sqrt\Delta)`, a smooth surrogate of
  error counting (it tends to :math:`\infty\cdot\theta(-yz)` as :math:`\Delta\to0`).  At T = 1,
  :math:`e^{-E}` is the posterior of a Gaussian prior of variance :math:`1/\lambda`
  and the probit channel :math:`P_{out}(y|z) = H(-yz/\sqrt\Delta)`, again solvable by
  the replica engine; at T != 1 no library channel equals :math:`H^{1/T}`.

The library's :class:`~statmech_learn.replica.Gibbs` student (energy = number of
training errors) has no gradient and cannot be sampled by Langevin dynamics.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_rng, check_choice, check_finite, check_int, check_positive
from ..gaussian import hazard, log_H
from ..gibbs import Channel, GaussianNoise, GaussianPrior, Prior, Probit, make_channel, make_prior
from ._checks import check_spd

__all__ = ["GaussianEnergy", "TeacherStudentEnergy"]


def _batch(name: str, W: ArrayLike, d: int) -> np.ndarray:
    W = np.asarray(W, dtype=float)
    if W.shape[-1:] != (d,):
        raise ValueError(f"{name} must have a last axis of length {d}, got shape {W.shape}")
    return W


@dataclass(frozen=True, repr=False, eq=False)
class GaussianEnergy:
    r""":math:`E(w) = \tfrac12 (w-\mu)^\top A (w-\mu)`; :math:`e^{-E/T}` is :math:`N(\mu, T A^{-1})`.

    Parameters
    ----------
    precision : (d, d) array_like or float
        Symmetric positive-definite A.
    mean : (d,) array_like, optional
        :math:`\mu` (default 0).
    """

    precision: np.ndarray
    mean: np.ndarray

    def __init__(self, precision, mean=None) -> None:
        A = check_spd("precision", precision)
        mu = np.zeros(A.shape[0]) if mean is None else np.atleast_1d(np.asarray(check_finite("mean", mean), float))
        if mu.shape != (A.shape[0],):
            raise ValueError(f"mean must have shape ({A.shape[0]},), got {np.shape(mean)}")
        object.__setattr__(self, "precision", A)
        object.__setattr__(self, "mean", mu)

    @property
    def dim(self) -> int:
        return self.precision.shape[0]

    @property
    def curvature(self) -> float:
        """Largest eigenvalue of A."""
        return float(np.linalg.eigvalsh(self.precision)[-1])

    def energy(self, W: ArrayLike) -> np.ndarray:
        x = _batch("W", W, self.dim) - self.mean
        return 0.5 * np.einsum("...i,ij,...j->...", x, self.precision, x)

    def gradient(self, W: ArrayLike) -> np.ndarray:
        return (_batch("W", W, self.dim) - self.mean) @ self.precision

    def energy_and_gradient(self, W: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """``(energy(W), gradient(W))`` sharing one product with A."""
        x = _batch("W", W, self.dim) - self.mean
        g = x @ self.precision
        return 0.5 * np.einsum("...i,...i->...", x, g), g

    def covariance(self, temperature: float) -> np.ndarray:
        """Covariance :math:`T A^{-1}` of the Gibbs density at ``temperature``."""
        return check_positive("temperature", temperature, scalar=True) * np.linalg.inv(self.precision)

    def __repr__(self) -> str:
        return f"GaussianEnergy(d={self.dim})"


@dataclass(frozen=True, repr=False, eq=False)
class TeacherStudentEnergy:
    r"""Gibbs learning of a perceptron on one finite teacher-student instance (module docstring).

    Parameters
    ----------
    X : (P, N) array_like
        Inputs.
    y : (P,) array_like
        Labels.
    teacher : (N,) array_like
        Teacher weights :math:`w^*` (for overlaps and generalisation errors).
    loss : {"square", "probit"}
    l2 : float
        :math:`\lambda > 0`.
    probit_variance : float
        :math:`\Delta` of the probit loss.
    prior, channel : the teacher's prior and channel (names or objects), kept for
        :meth:`replica_model` and the test error.
    """

    X: np.ndarray
    y: np.ndarray
    teacher: np.ndarray
    loss: str
    l2: float
    probit_variance: float
    prior: Prior
    channel: Channel

    def __init__(
        self,
        X,
        y,
        teacher,
        loss: str = "square",
        l2: float = 1.0,
        probit_variance: float = 0.1,
        prior="gaussian",
        channel="sign",
    ) -> None:
        X = np.asarray(check_finite("X", X), dtype=float)
        if X.ndim != 2:
            raise ValueError(f"X must be a (P, N) array, got shape {X.shape}")
        y = np.asarray(check_finite("y", y), dtype=float)
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
        w_star = np.asarray(check_finite("teacher", teacher), dtype=float)
        if w_star.shape != (X.shape[1],):
            raise ValueError(f"teacher must have shape ({X.shape[1]},), got {w_star.shape}")
        loss = check_choice("loss", loss, ("square", "probit"))
        channel = make_channel(channel)
        if loss == "probit" and channel.labels != "binary":
            raise ValueError(
                f"loss 'probit' needs labels ±1: channel must be a classification channel, got {channel!r}"
            )
        vals = dict(
            X=X,
            y=y,
            teacher=w_star,
            loss=loss,
            l2=check_positive("l2", l2, scalar=True),
            probit_variance=check_positive("probit_variance", probit_variance, scalar=True),
            prior=make_prior(prior),
            channel=channel,
        )
        for k, v in vals.items():
            object.__setattr__(self, k, v)

    @classmethod
    def random(
        cls,
        N: int,
        alpha: float,
        *,
        prior="gaussian",
        channel="sign",
        loss: str = "square",
        l2: float = 1.0,
        probit_variance: float = 0.1,
        rng=None,
    ) -> TeacherStudentEnergy:
        r"""A random instance: :math:`w^* \sim P_0^*`, :math:`P = \mathrm{round}(\alpha N)` inputs
        :math:`x_\mu \sim N(0, I_N)`, labels from the teacher's channel."""
        N = check_int("N", N, minimum=1, maximum=10**6)
        alpha = check_positive("alpha", alpha, scalar=True)
        P = max(1, int(round(alpha * N)))
        rng = as_rng(rng)
        prior, channel = make_prior(prior), make_channel(channel)
        w_star = np.asarray(prior.sample(N, rng), dtype=float)
        X = rng.standard_normal((P, N))
        y = channel.sample(X @ w_star / np.sqrt(N), rng)
        return cls(X, y, w_star, loss=loss, l2=l2, probit_variance=probit_variance, prior=prior, channel=channel)

    @property
    def dim(self) -> int:
        return self.X.shape[1]

    @property
    def alpha(self) -> float:
        return self.X.shape[0] / self.X.shape[1]

    @property
    def task(self) -> str:
        return "classification" if self.channel.labels == "binary" else "regression"

    @cached_property
    def curvature(self) -> float:
        r"""Upper bound of the Hessian of E: :math:`\lambda_{max}(X^\top X/N)\,\ell''_{max} + \lambda`,
        with :math:`\ell''_{max} = 1` (square) or :math:`1/\Delta` (probit: :math:`-\log H` has curvature < 1)."""
        lam = float(np.linalg.eigvalsh(self.X.T @ self.X / self.dim)[-1])
        return lam * (1.0 if self.loss == "square" else 1.0 / self.probit_variance) + self.l2

    def preactivations(self, W: ArrayLike) -> np.ndarray:
        """:math:`z = X w/\\sqrt N` for W of shape (..., N) -> (..., P)."""
        return _batch("W", W, self.dim) @ self.X.T / np.sqrt(self.dim)

    def _loss_and_derivative(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.loss == "square":
            r = z - self.y
            return 0.5 * r * r, r
        s = np.sqrt(self.probit_variance)
        u = -self.y * z / s
        return -log_H(u), -self.y * hazard(u) / s

    def energy(self, W: ArrayLike) -> np.ndarray:
        W = _batch("W", W, self.dim)
        ell, _ = self._loss_and_derivative(self.preactivations(W))
        return np.sum(ell, axis=-1) + 0.5 * self.l2 * np.sum(W * W, axis=-1)

    def gradient(self, W: ArrayLike) -> np.ndarray:
        W = _batch("W", W, self.dim)
        _, dl = self._loss_and_derivative(self.preactivations(W))
        return dl @ self.X / np.sqrt(self.dim) + self.l2 * W

    def energy_and_gradient(self, W: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """``(energy(W), gradient(W))`` sharing one product with X."""
        W = _batch("W", W, self.dim)
        ell, dl = self._loss_and_derivative(self.preactivations(W))
        return (
            np.sum(ell, axis=-1) + 0.5 * self.l2 * np.sum(W * W, axis=-1),
            dl @ self.X / np.sqrt(self.dim) + self.l2 * W,
        )

    def overlaps(self, W: ArrayLike) -> dict[str, np.ndarray]:
        r"""``m`` = :math:`w\cdot w^*/N`, ``Q`` = :math:`|w|^2/N` per sample and ``rho`` = :math:`|w^*|^2/N`."""
        W = _batch("W", W, self.dim)
        N = self.dim
        return {
            "m": W @ self.teacher / N,
            "Q": np.sum(W * W, axis=-1) / N,
            "rho": float(self.teacher @ self.teacher) / N,
        }

    def generalization_error(self, W: ArrayLike) -> np.ndarray:
        r"""Per sample: classification, :math:`\arccos(m/\sqrt{\rho Q})/\pi` (disagreement with the
        teacher's noiseless sign on a fresh Gaussian input); regression,
        :math:`\rho - 2m + Q + \Delta^*` (mean squared error on a fresh noisy label)."""
        o = self.overlaps(W)
        if self.task == "classification":
            c = np.clip(o["m"] / np.sqrt(np.maximum(o["rho"] * o["Q"], 1e-300)), -1.0, 1.0)
            return np.arccos(c) / np.pi
        return o["rho"] - 2.0 * o["m"] + o["Q"] + getattr(self.channel, "variance", 0.0)

    def replica_model(self, temperature: float):
        r"""The :class:`~statmech_learn.replica.TeacherStudent` whose student posterior is
        :math:`e^{-E/T}` (module docstring): student prior :math:`N(0, T/\lambda)` and, for the square
        loss, the Gaussian channel of variance T; for the probit loss (T = 1 only), the probit channel.

        A Gibbs sample of it has overlaps m and :math:`Q = q + V` of the replica solution
        (``ReplicaCurve.m``, ``ReplicaCurve.Q``); its ``generalization_error`` refers to the posterior
        mean, not to a sample.
        """
        from ..replica import BayesOptimal, TeacherStudent

        T = check_positive("temperature", temperature, scalar=True)
        channel: Channel
        if self.loss == "square":
            channel = GaussianNoise(T)
        elif abs(T - 1.0) <= 1e-12:
            channel = Probit(self.probit_variance)
        else:
            raise ValueError(
                f"temperature must be 1 for the probit loss to match a library channel "
                f"(exp(-loss/T) = H^(1/T) is not one), got {T:g}"
            )
        return TeacherStudent(
            prior=self.prior,
            channel=self.channel,
            student=BayesOptimal(),
            student_prior=GaussianPrior(T / self.l2),
            student_channel=channel,
        )

    def __repr__(self) -> str:
        return (
            f"TeacherStudentEnergy(N={self.dim}, P={self.X.shape[0]}, loss={self.loss!r}, l2={self.l2:g}, "
            f"channel={self.channel!r})"
        )
