"""Input checks of the dynamics subpackage: symmetric positive-definite matrices and learning rates.

Every check raises :class:`ValueError` naming the parameter and the offending
value, in the style of :mod:`statmech_learn._validation`.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_finite, check_positive

__all__ = ["check_spd", "check_lr", "lr_matrix", "spd_sqrt"]

#: relative asymmetry |M - M^T| / |M| above which a matrix is refused as not symmetric
SYMMETRY_RTOL = 1e-10


def check_spd(name: str, value, dim: int | None = None) -> np.ndarray:
    """Return ``value`` as a (d, d) float array after checking it is symmetric positive definite.

    A scalar is read as a 1 x 1 matrix.  Refuses non-finite entries, anything
    that is not a square matrix (or not d x d when ``dim`` is given), asymmetry
    beyond a relative 1e-10, and a smallest eigenvalue <= 0 (the message names it).
    The returned matrix is exactly symmetrised.
    """
    arr = check_finite(name, value)
    arr = np.atleast_2d(np.asarray(arr, dtype=float))
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] < 1:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {np.shape(value)}")
    if dim is not None and arr.shape[0] != dim:
        raise ValueError(f"{name} must have shape ({dim}, {dim}), got {arr.shape}")
    scale = float(np.max(np.abs(arr))) if arr.size else 0.0
    with np.errstate(over="ignore"):  # an inf difference is an asymmetry too
        asym = np.max(np.abs(arr - arr.T))
    if asym > SYMMETRY_RTOL * max(scale, 1e-300):
        raise ValueError(f"{name} must be symmetric, got max |{name} - {name}^T| = {asym:.3g}")
    arr = 0.5 * arr + 0.5 * arr.T if scale > 1e307 else 0.5 * (arr + arr.T)
    lam_min = float(np.linalg.eigvalsh(arr)[0])
    if not lam_min > 0:
        raise ValueError(f"{name} must be positive definite, got smallest eigenvalue {lam_min:.6g}")
    return arr


def spd_sqrt(a: np.ndarray, inverse: bool = False) -> np.ndarray:
    """Symmetric square root :math:`A^{1/2}` (or :math:`A^{-1/2}`) of an SPD matrix by eigendecomposition."""
    lam, u = np.linalg.eigh(a)
    r = lam ** (-0.5 if inverse else 0.5)
    out = (u * r) @ u.T
    return 0.5 * (out + out.T)


def lr_matrix(name: str, lr, dim: int) -> tuple[np.ndarray, str]:
    """Learning rate(s) as a preconditioner matrix P and its kind.

    ``lr`` may be a positive scalar (P = lr I, kind 'scalar'), a (d,) array of
    positive per-parameter rates (P = diag(lr), kind 'diagonal') or a (d, d)
    symmetric positive-definite matrix (kind 'matrix').
    """
    arr = check_finite(name, lr)
    if np.ndim(arr) == 0:
        check_positive(name, arr)
        return float(arr) * np.eye(dim), "scalar"
    arr = np.asarray(arr, dtype=float)
    if arr.ndim == 1:
        if arr.shape != (dim,):
            raise ValueError(
                f"{name} must be a scalar, a ({dim},) array or a ({dim}, {dim}) matrix, got shape {arr.shape}"
            )
        check_positive(name, arr)
        return np.diag(arr), "diagonal"
    if arr.ndim == 2:
        return check_spd(name, arr, dim), "matrix"
    raise ValueError(f"{name} must be a scalar, a ({dim},) array or a ({dim}, {dim}) matrix, got shape {arr.shape}")


def check_lr(lr, hessian: np.ndarray, name: str = "lr") -> tuple[np.ndarray, str, float]:
    r"""Validate learning rate(s) against the stability bound of SGD on the Hessian.

    The mean of :math:`w \leftarrow w - P(H(w-w^*) + \xi)` contracts iff every
    eigenvalue of :math:`PH` (real and positive: it is similar to
    :math:`P^{1/2}HP^{1/2}`) lies in (0, 2).  For a scalar rate this is
    :math:`0 < \eta < 2/\lambda_{max}(H)`.

    Returns ``(P, kind, kappa)`` with :math:`\kappa = \lambda_{max}(P^{1/2}HP^{1/2}) < 2`.
    """
    P, kind = lr_matrix(name, lr, hessian.shape[0])
    root = spd_sqrt(P)
    with np.errstate(over="ignore", invalid="ignore"):  # a huge rate: refused below
        M = root @ hessian @ root
    kappa = float(np.linalg.eigvalsh(M)[-1]) if np.all(np.isfinite(M)) else math.inf
    if not kappa < 2.0:
        if kind == "scalar":
            bound = 2.0 / float(np.linalg.eigvalsh(hessian)[-1])
            raise ValueError(
                f"{name} must satisfy 0 < {name} < 2/lambda_max(hessian) = {bound:.6g} "
                f"(beyond it SGD diverges), got {float(P[0, 0]):g}"
            )
        raise ValueError(
            f"{name} must satisfy lambda_max(P^1/2 H P^1/2) < 2 with P the learning-rate "
            f"{'diagonal' if kind == 'diagonal' else 'matrix'} (beyond it SGD diverges); got "
            f"{kappa:.6g}: scale {name} by less than {2.0 / kappa:.6g}"
        )
    return P, kind, kappa
